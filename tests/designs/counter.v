// Hand-written sequential reference: 4-bit counter with synchronous reset and enable.
module counter (
    input  wire       clk,
    input  wire       rst,
    input  wire       en,
    output wire [3:0] q
);
    reg [3:0] n;
    always @(posedge clk) begin
        if (rst) n <= 4'd0;
        else if (en) n <= n + 4'd1;
    end
    assign q = n;
endmodule
