// Equivalent to counter.v from reset, but with two redundant counters that only agree
// because they start together: plain induction cannot prove it (unreachable states differ).
module counter (
    input  wire       clk,
    input  wire       rst,
    input  wire       en,
    output wire [3:0] q
);
    reg [3:0] n;
    reg [3:0] m;
    always @(posedge clk) begin
        if (rst) begin
            n <= 4'd0;
            m <= 4'd0;
        end else if (en) begin
            n <= n + 4'd1;
            m <= m + 4'd1;
        end
    end
    assign q = (n == m) ? n : 4'd0;
endmodule
