// Corpus design for `seedchip equiv`: a synchronous FIFO over a memory array, first word
// falling through, with full, empty and a count. SystemVerilog; DEPTH (a power of two)
// defaults to 4096, so comparing it with a netlist built for 16 entries needs
// `--gold-param DEPTH=16`.
module fifo #(
    parameter int WIDTH = 8,
    parameter int DEPTH = 4096
) (
    input  logic                   clk,
    input  logic                   rst,
    input  logic                   push,
    input  logic [WIDTH-1:0]       push_data,
    output logic                   full,
    input  logic                   pop,
    output logic [WIDTH-1:0]       pop_data,
    output logic                   empty,
    output logic [$clog2(DEPTH):0] count
);
    localparam int AW = $clog2(DEPTH);
    logic [WIDTH-1:0] mem [DEPTH];
    logic [AW-1:0] wr, rd;
    wire do_push = push && !full;
    wire do_pop = pop && !empty;
    assign full = count == DEPTH;
    assign empty = count == 0;
    assign pop_data = mem[rd];

    always_ff @(posedge clk)
        if (do_push) mem[wr] <= push_data;

    always_ff @(posedge clk) begin
        if (rst) begin
            wr <= '0;
            rd <= '0;
            count <= '0;
        end else begin
            if (do_push) wr <= wr + 1'b1;
            if (do_pop) rd <= rd + 1'b1;
            count <= count + do_push - do_pop;
        end
    end
endmodule
