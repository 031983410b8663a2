// Hand-written bridge test design: ports from 1 to 300 bits.
module widths (
    input  wire         clk,
    input  wire         rst,
    input  wire [6:0]   a7,
    input  wire [64:0]  a65,
    input  wire [299:0] a300,
    input  wire         en,
    output wire [6:0]   y7,
    output wire [64:0]  y65,
    output wire [299:0] y300,
    output wire [32:0]  y33,
    output wire [63:0]  count,
    output wire [63:0]  noise
);
    reg [299:0] q300;
    reg [63:0]  counter;
    reg [63:0]  never_reset;
    always @(posedge clk) begin
        q300 <= ~a300;
        if (rst) counter <= 64'd0;
        else if (en) counter <= counter + 64'd1;
        never_reset <= never_reset;
    end
    assign y7 = a7;
    assign y65 = a65 + 65'd1;
    assign y300 = q300;
    assign y33 = {a7[6], a65[31:0]};
    assign count = counter;
    assign noise = never_reset;
endmodule
