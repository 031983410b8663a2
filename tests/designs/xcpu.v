// A small CPU-like decoder and ALU in the style of real cores: the default branches assign
// 'bx (don't care), so synthesis is free to pick any value there.
module xcpu (
    input  wire       clk,
    input  wire       rst,
    input  wire [3:0] op,
    input  wire [7:0] a,
    input  wire [7:0] b,
    output reg  [7:0] acc,
    output reg  [7:0] result,
    output reg        mem_write,
    output reg  [1:0] sel
);
    always @* begin
        case (op)
            4'd0: begin result = a + b;   mem_write = 1'b0; sel = 2'd0; end
            4'd1: begin result = a - b;   mem_write = 1'b0; sel = 2'd1; end
            4'd2: begin result = a & b;   mem_write = 1'b1; sel = 2'd2; end
            4'd3: begin result = a ^ b;   mem_write = 1'b1; sel = 2'bx; end
            // A rarely taken path: a = 255 swaps the pack for a subtraction.
            4'd4: begin
                result = a == 8'hff ? a - b : {a[3:0], b[7:4]};
                mem_write = 1'b0;
                sel = 2'd3;
            end
            default: begin result = 8'bx; mem_write = 1'bx; sel = 2'bx; end
        endcase
    end
    always @(posedge clk)
        if (rst) acc <= 8'd0;
        else if (op < 4'd5) acc <= acc + result;
endmodule
