// Corpus design for `seedchip equiv`: an 8N1 UART, transmitter and receiver, with the bit
// period a parameter (about 200 cells after `synth -flatten` at CLKS_PER_BIT = 4).
module uart #(
    parameter CLKS_PER_BIT = 16
) (
    input  wire       clk,
    input  wire       rst,
    // Transmitter: a byte is taken when tx_valid and tx_ready.
    input  wire       tx_valid,
    input  wire [7:0] tx_data,
    output wire       tx_ready,
    output wire       tx,
    // Receiver: rx_valid (or rx_error, for a low stop bit) pulses for one cycle per frame.
    input  wire       rx,
    output reg        rx_valid,
    output reg  [7:0] rx_data,
    output reg        rx_error
);
    localparam CW = $clog2(CLKS_PER_BIT) + 1;

    // --- transmitter: {stop, data, start} shifted out LSB first ---------------------------
    reg [9:0]    tx_shift;
    reg [3:0]    tx_left;
    reg [CW-1:0] tx_clk;
    assign tx_ready = tx_left == 4'd0;
    assign tx = tx_shift[0];
    always @(posedge clk) begin
        if (rst) begin
            tx_shift <= 10'h3ff;
            tx_left  <= 4'd0;
            tx_clk   <= 0;
        end else if (tx_left == 4'd0) begin
            if (tx_valid) begin
                tx_shift <= {1'b1, tx_data, 1'b0};
                tx_left  <= 4'd10;
                tx_clk   <= 0;
            end
        end else if (tx_clk == CLKS_PER_BIT - 1) begin
            tx_clk   <= 0;
            tx_shift <= {1'b1, tx_shift[9:1]};
            tx_left  <= tx_left - 4'd1;
        end else begin
            tx_clk <= tx_clk + 1'b1;
        end
    end

    // --- receiver: synchronise, find the start bit's middle, sample each bit there ---------
    reg [1:0]    rx_sync;
    reg          rx_busy;
    reg [3:0]    rx_bit;
    reg [CW-1:0] rx_clk;
    reg [7:0]    rx_shift;
    wire         rx_in = rx_sync[1];
    wire [CW-1:0] rx_wait = rx_bit == 4'd0 ? CLKS_PER_BIT / 2 - 1 : CLKS_PER_BIT - 1;
    always @(posedge clk) begin
        if (rst) begin
            rx_sync  <= 2'b11;
            rx_busy  <= 1'b0;
            rx_bit   <= 4'd0;
            rx_clk   <= 0;
            rx_shift <= 8'd0;
            rx_valid <= 1'b0;
            rx_data  <= 8'd0;
            rx_error <= 1'b0;
        end else begin
            rx_sync  <= {rx_sync[0], rx};
            rx_valid <= 1'b0;
            rx_error <= 1'b0;
            if (!rx_busy) begin
                if (!rx_in) begin
                    rx_busy <= 1'b1;
                    rx_bit  <= 4'd0;
                    rx_clk  <= 0;
                end
            end else if (rx_clk == rx_wait) begin
                rx_clk <= 0;
                if (rx_bit == 4'd0) begin
                    // Still low in the middle: a start bit; high again: a glitch.
                    if (rx_in) rx_busy <= 1'b0;
                    else rx_bit <= 4'd1;
                end else if (rx_bit <= 4'd8) begin
                    rx_shift <= {rx_in, rx_shift[7:1]};
                    rx_bit   <= rx_bit + 4'd1;
                end else begin
                    rx_busy <= 1'b0;
                    if (rx_in) begin
                        rx_valid <= 1'b1;
                        rx_data  <= rx_shift;
                    end else begin
                        rx_error <= 1'b1;
                    end
                end
            end else begin
                rx_clk <= rx_clk + 1'b1;
            end
        end
    end
endmodule
