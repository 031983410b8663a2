// Corpus design for `seedchip equiv`: a WIDTH x WIDTH -> 2*WIDTH multiplier in the style of a
// RISC-V M unit (each operand signed or unsigned), one register stage.
module mult #(
    parameter WIDTH = 16
) (
    input  wire               clk,
    input  wire               rst,
    input  wire               valid,
    input  wire [WIDTH-1:0]   rs1,
    input  wire [WIDTH-1:0]   rs2,
    input  wire               rs1_signed,
    input  wire               rs2_signed,
    output reg                out_valid,
    output reg  [2*WIDTH-1:0] product
);
    wire signed [WIDTH:0]     a = {rs1_signed & rs1[WIDTH-1], rs1};
    wire signed [WIDTH:0]     b = {rs2_signed & rs2[WIDTH-1], rs2};
    wire signed [2*WIDTH+1:0] p = a * b;
    always @(posedge clk) begin
        if (rst) begin
            out_valid <= 1'b0;
            product   <= 0;
        end else begin
            out_valid <= valid;
            if (valid) product <= p[2*WIDTH-1:0];
        end
    end
endmodule
