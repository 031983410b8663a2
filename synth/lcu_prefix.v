// seedchip: parallel-prefix carry chains for the sky130 flow (read by sky130.ys).
//
// Yosys maps every adder and comparator to a `$lcu` (lookahead carry unit) and, by default,
// implements it as a ripple chain: a 32-bit carry is 32 gates deep, far too slow at 200 MHz.
// This map replaces `$lcu` cells of at least MIN_WIDTH bits by a Kogge-Stone prefix network
// (log2(WIDTH) levels of (generate, propagate) merges); narrower ones fall back to the ripple
// chain (`_TECHMAP_FAIL_`), where it is both smaller and fast enough.
//
// CO[i] = G[i] | P[i] & CO[i-1], with CO[-1] = CI.
(* techmap_celltype = "$lcu" *)
module _80_seedchip_lcu_prefix (P, G, CI, CO);
    parameter WIDTH = 2;
    localparam MIN_WIDTH = {{PREFIX_MIN_WIDTH}};

    (* force_downto *)
    input [WIDTH-1:0] P, G;
    input CI;
    (* force_downto *)
    output [WIDTH-1:0] CO;

    wire _TECHMAP_FAIL_ = WIDTH < MIN_WIDTH;

    localparam LEVELS = $clog2(WIDTH);
    // Level l of the network is bits [l*WIDTH +: WIDTH]; level 0 folds the carry-in in.
    (* force_downto *)
    wire [(LEVELS+1)*WIDTH-1:0] g, p;
    assign g[WIDTH-1:0] = {G[WIDTH-1:1], G[0] | (P[0] & CI)};
    assign p[WIDTH-1:0] = P;

    genvar l, i;
    generate
        for (l = 0; l < LEVELS; l = l + 1) begin : level
            for (i = 0; i < WIDTH; i = i + 1) begin : lane
                if (i >= (1 << l)) begin : merge
                    assign g[(l+1)*WIDTH + i] = g[l*WIDTH + i] | (p[l*WIDTH + i] & g[l*WIDTH + i - (1 << l)]);
                    assign p[(l+1)*WIDTH + i] = p[l*WIDTH + i] & p[l*WIDTH + i - (1 << l)];
                end else begin : pass
                    assign g[(l+1)*WIDTH + i] = g[l*WIDTH + i];
                    assign p[(l+1)*WIDTH + i] = p[l*WIDTH + i];
                end
            end
        end
    endgenerate

    assign CO = g[LEVELS*WIDTH +: WIDTH];
endmodule
