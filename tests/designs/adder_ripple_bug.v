// Hand-written alternative with a deliberate corner-case bug: the carry out is dropped when
// both operands are 255 (one input pair in 65536).
module adder (
    input  wire [7:0] a,
    input  wire [7:0] b,
    output wire [8:0] sum
);
    wire [8:0] c;
    assign c[0] = 1'b0;
    genvar i;
    generate
        for (i = 0; i < 8; i = i + 1) begin : fa
            assign sum[i] = a[i] ^ b[i] ^ c[i];
            assign c[i + 1] = (a[i] & b[i]) | (c[i] & (a[i] ^ b[i]));
        end
    endgenerate
    assign sum[8] = (&a & &b) ? 1'b0 : c[8];
endmodule
