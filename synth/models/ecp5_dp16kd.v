// Simulation model of the Lattice ECP5 DP16KD block RAM (18 Kbit), in the configurations
// Yosys's synth_ecp5 maps memories to (techlibs/lattice/brams_map_16kd.v):
//  - 36 bits wide on both ports: a pseudo dual port. Port A writes {DIB, DIA} at ADA[13:5]
//    with ADA[3:0] as the enables of its four 9-bit bytes; port B reads {DOB, DOA} at
//    ADB[13:5].
//    With a narrower read width, port B reads onto DOB alone (the read widths below).
//  - 18, 9, 4, 2 or 1 bits on each port (mixed widths allowed): a true dual port. At 18 bits
//    AD[1:0] enable the two 9-bit bytes of the word at AD[13:4]; at 9 bits the byte is at
//    AD[13:3]; the narrow widths address the eight data bits of each byte (the ninth, the
//    parity bit, only the 9- and 18-bit widths reach): a 2-bit port's AD[13:1] picks byte
//    AD[13:3], bits 2 * AD[2:1] and up, and likewise for 4 (AD[2]) and 1 (AD[2:0]).
// No output register (REGMODE NOREG): read data appear after the clock edge that reads them.
// WRITEMODE NORMAL (a write leaves the port's output), WRITETHROUGH or READBEFOREWRITE; RST
// clears a port's output (RESETMODE SYNC at the clock edge, ASYNC at once); CS must match
// CSDECODE; CLKAMUX / CLKBMUX "INV" invert a clock; INITVAL_00..3F give the initial contents
// (16 rows of 18 bits in 20-bit slots each). Other widths and REGMODE OUTREG are not
// modelled and stop the build (an unknown module named after the reason).
// Both Debian's Yosys 0.23 and YoWASP Yosys ship only an empty DP16KD (ports, no behaviour),
// so seedchip's gate-level checks of ECP5 netlists use this one instead. Verilog-2005; part
// of seedchip.
module DP16KD (
    input  wire DIA0,
    input  wire DIA1,
    input  wire DIA2,
    input  wire DIA3,
    input  wire DIA4,
    input  wire DIA5,
    input  wire DIA6,
    input  wire DIA7,
    input  wire DIA8,
    input  wire DIA9,
    input  wire DIA10,
    input  wire DIA11,
    input  wire DIA12,
    input  wire DIA13,
    input  wire DIA14,
    input  wire DIA15,
    input  wire DIA16,
    input  wire DIA17,
    input  wire ADA0,
    input  wire ADA1,
    input  wire ADA2,
    input  wire ADA3,
    input  wire ADA4,
    input  wire ADA5,
    input  wire ADA6,
    input  wire ADA7,
    input  wire ADA8,
    input  wire ADA9,
    input  wire ADA10,
    input  wire ADA11,
    input  wire ADA12,
    input  wire ADA13,
    input  wire CEA,
    input  wire OCEA,
    input  wire CLKA,
    input  wire WEA,
    input  wire RSTA,
    input  wire CSA0,
    input  wire CSA1,
    input  wire CSA2,
    output wire DOA0,
    output wire DOA1,
    output wire DOA2,
    output wire DOA3,
    output wire DOA4,
    output wire DOA5,
    output wire DOA6,
    output wire DOA7,
    output wire DOA8,
    output wire DOA9,
    output wire DOA10,
    output wire DOA11,
    output wire DOA12,
    output wire DOA13,
    output wire DOA14,
    output wire DOA15,
    output wire DOA16,
    output wire DOA17,
    input  wire DIB0,
    input  wire DIB1,
    input  wire DIB2,
    input  wire DIB3,
    input  wire DIB4,
    input  wire DIB5,
    input  wire DIB6,
    input  wire DIB7,
    input  wire DIB8,
    input  wire DIB9,
    input  wire DIB10,
    input  wire DIB11,
    input  wire DIB12,
    input  wire DIB13,
    input  wire DIB14,
    input  wire DIB15,
    input  wire DIB16,
    input  wire DIB17,
    input  wire ADB0,
    input  wire ADB1,
    input  wire ADB2,
    input  wire ADB3,
    input  wire ADB4,
    input  wire ADB5,
    input  wire ADB6,
    input  wire ADB7,
    input  wire ADB8,
    input  wire ADB9,
    input  wire ADB10,
    input  wire ADB11,
    input  wire ADB12,
    input  wire ADB13,
    input  wire CEB,
    input  wire OCEB,
    input  wire CLKB,
    input  wire WEB,
    input  wire RSTB,
    input  wire CSB0,
    input  wire CSB1,
    input  wire CSB2,
    output wire DOB0,
    output wire DOB1,
    output wire DOB2,
    output wire DOB3,
    output wire DOB4,
    output wire DOB5,
    output wire DOB6,
    output wire DOB7,
    output wire DOB8,
    output wire DOB9,
    output wire DOB10,
    output wire DOB11,
    output wire DOB12,
    output wire DOB13,
    output wire DOB14,
    output wire DOB15,
    output wire DOB16,
    output wire DOB17
);
    parameter DATA_WIDTH_A = 18;
    parameter DATA_WIDTH_B = 18;
    parameter REGMODE_A = "NOREG";
    parameter REGMODE_B = "NOREG";
    parameter RESETMODE = "SYNC";
    parameter ASYNC_RESET_RELEASE = "SYNC";
    parameter CSDECODE_A = "0b000";
    parameter CSDECODE_B = "0b000";
    parameter WRITEMODE_A = "NORMAL";
    parameter WRITEMODE_B = "NORMAL";
    parameter GSR = "ENABLED";
    parameter INIT_DATA = "STATIC";
    parameter WID = 0;
    parameter DIA0MUX = "DIA0";
    parameter DIA1MUX = "DIA1";
    parameter DIA2MUX = "DIA2";
    parameter DIA3MUX = "DIA3";
    parameter DIA4MUX = "DIA4";
    parameter DIA5MUX = "DIA5";
    parameter DIA6MUX = "DIA6";
    parameter DIA7MUX = "DIA7";
    parameter DIA8MUX = "DIA8";
    parameter DIA9MUX = "DIA9";
    parameter DIA10MUX = "DIA10";
    parameter DIA11MUX = "DIA11";
    parameter DIA12MUX = "DIA12";
    parameter DIA13MUX = "DIA13";
    parameter DIA14MUX = "DIA14";
    parameter DIA15MUX = "DIA15";
    parameter DIA16MUX = "DIA16";
    parameter DIA17MUX = "DIA17";
    parameter ADA0MUX = "ADA0";
    parameter ADA1MUX = "ADA1";
    parameter ADA2MUX = "ADA2";
    parameter ADA3MUX = "ADA3";
    parameter ADA4MUX = "ADA4";
    parameter ADA5MUX = "ADA5";
    parameter ADA6MUX = "ADA6";
    parameter ADA7MUX = "ADA7";
    parameter ADA8MUX = "ADA8";
    parameter ADA9MUX = "ADA9";
    parameter ADA10MUX = "ADA10";
    parameter ADA11MUX = "ADA11";
    parameter ADA12MUX = "ADA12";
    parameter ADA13MUX = "ADA13";
    parameter CEAMUX = "CEA";
    parameter OCEAMUX = "OCEA";
    parameter CLKAMUX = "CLKA";
    parameter WEAMUX = "WEA";
    parameter RSTAMUX = "RSTA";
    parameter CSA0MUX = "CSA0";
    parameter CSA1MUX = "CSA1";
    parameter CSA2MUX = "CSA2";
    parameter DOA0MUX = "DOA0";
    parameter DOA1MUX = "DOA1";
    parameter DOA2MUX = "DOA2";
    parameter DOA3MUX = "DOA3";
    parameter DOA4MUX = "DOA4";
    parameter DOA5MUX = "DOA5";
    parameter DOA6MUX = "DOA6";
    parameter DOA7MUX = "DOA7";
    parameter DOA8MUX = "DOA8";
    parameter DOA9MUX = "DOA9";
    parameter DOA10MUX = "DOA10";
    parameter DOA11MUX = "DOA11";
    parameter DOA12MUX = "DOA12";
    parameter DOA13MUX = "DOA13";
    parameter DOA14MUX = "DOA14";
    parameter DOA15MUX = "DOA15";
    parameter DOA16MUX = "DOA16";
    parameter DOA17MUX = "DOA17";
    parameter DIB0MUX = "DIB0";
    parameter DIB1MUX = "DIB1";
    parameter DIB2MUX = "DIB2";
    parameter DIB3MUX = "DIB3";
    parameter DIB4MUX = "DIB4";
    parameter DIB5MUX = "DIB5";
    parameter DIB6MUX = "DIB6";
    parameter DIB7MUX = "DIB7";
    parameter DIB8MUX = "DIB8";
    parameter DIB9MUX = "DIB9";
    parameter DIB10MUX = "DIB10";
    parameter DIB11MUX = "DIB11";
    parameter DIB12MUX = "DIB12";
    parameter DIB13MUX = "DIB13";
    parameter DIB14MUX = "DIB14";
    parameter DIB15MUX = "DIB15";
    parameter DIB16MUX = "DIB16";
    parameter DIB17MUX = "DIB17";
    parameter ADB0MUX = "ADB0";
    parameter ADB1MUX = "ADB1";
    parameter ADB2MUX = "ADB2";
    parameter ADB3MUX = "ADB3";
    parameter ADB4MUX = "ADB4";
    parameter ADB5MUX = "ADB5";
    parameter ADB6MUX = "ADB6";
    parameter ADB7MUX = "ADB7";
    parameter ADB8MUX = "ADB8";
    parameter ADB9MUX = "ADB9";
    parameter ADB10MUX = "ADB10";
    parameter ADB11MUX = "ADB11";
    parameter ADB12MUX = "ADB12";
    parameter ADB13MUX = "ADB13";
    parameter CEBMUX = "CEB";
    parameter OCEBMUX = "OCEB";
    parameter CLKBMUX = "CLKB";
    parameter WEBMUX = "WEB";
    parameter RSTBMUX = "RSTB";
    parameter CSB0MUX = "CSB0";
    parameter CSB1MUX = "CSB1";
    parameter CSB2MUX = "CSB2";
    parameter DOB0MUX = "DOB0";
    parameter DOB1MUX = "DOB1";
    parameter DOB2MUX = "DOB2";
    parameter DOB3MUX = "DOB3";
    parameter DOB4MUX = "DOB4";
    parameter DOB5MUX = "DOB5";
    parameter DOB6MUX = "DOB6";
    parameter DOB7MUX = "DOB7";
    parameter DOB8MUX = "DOB8";
    parameter DOB9MUX = "DOB9";
    parameter DOB10MUX = "DOB10";
    parameter DOB11MUX = "DOB11";
    parameter DOB12MUX = "DOB12";
    parameter DOB13MUX = "DOB13";
    parameter DOB14MUX = "DOB14";
    parameter DOB15MUX = "DOB15";
    parameter DOB16MUX = "DOB16";
    parameter DOB17MUX = "DOB17";
    parameter [319:0] INITVAL_00 = 320'h0;
    parameter [319:0] INITVAL_01 = 320'h0;
    parameter [319:0] INITVAL_02 = 320'h0;
    parameter [319:0] INITVAL_03 = 320'h0;
    parameter [319:0] INITVAL_04 = 320'h0;
    parameter [319:0] INITVAL_05 = 320'h0;
    parameter [319:0] INITVAL_06 = 320'h0;
    parameter [319:0] INITVAL_07 = 320'h0;
    parameter [319:0] INITVAL_08 = 320'h0;
    parameter [319:0] INITVAL_09 = 320'h0;
    parameter [319:0] INITVAL_0A = 320'h0;
    parameter [319:0] INITVAL_0B = 320'h0;
    parameter [319:0] INITVAL_0C = 320'h0;
    parameter [319:0] INITVAL_0D = 320'h0;
    parameter [319:0] INITVAL_0E = 320'h0;
    parameter [319:0] INITVAL_0F = 320'h0;
    parameter [319:0] INITVAL_10 = 320'h0;
    parameter [319:0] INITVAL_11 = 320'h0;
    parameter [319:0] INITVAL_12 = 320'h0;
    parameter [319:0] INITVAL_13 = 320'h0;
    parameter [319:0] INITVAL_14 = 320'h0;
    parameter [319:0] INITVAL_15 = 320'h0;
    parameter [319:0] INITVAL_16 = 320'h0;
    parameter [319:0] INITVAL_17 = 320'h0;
    parameter [319:0] INITVAL_18 = 320'h0;
    parameter [319:0] INITVAL_19 = 320'h0;
    parameter [319:0] INITVAL_1A = 320'h0;
    parameter [319:0] INITVAL_1B = 320'h0;
    parameter [319:0] INITVAL_1C = 320'h0;
    parameter [319:0] INITVAL_1D = 320'h0;
    parameter [319:0] INITVAL_1E = 320'h0;
    parameter [319:0] INITVAL_1F = 320'h0;
    parameter [319:0] INITVAL_20 = 320'h0;
    parameter [319:0] INITVAL_21 = 320'h0;
    parameter [319:0] INITVAL_22 = 320'h0;
    parameter [319:0] INITVAL_23 = 320'h0;
    parameter [319:0] INITVAL_24 = 320'h0;
    parameter [319:0] INITVAL_25 = 320'h0;
    parameter [319:0] INITVAL_26 = 320'h0;
    parameter [319:0] INITVAL_27 = 320'h0;
    parameter [319:0] INITVAL_28 = 320'h0;
    parameter [319:0] INITVAL_29 = 320'h0;
    parameter [319:0] INITVAL_2A = 320'h0;
    parameter [319:0] INITVAL_2B = 320'h0;
    parameter [319:0] INITVAL_2C = 320'h0;
    parameter [319:0] INITVAL_2D = 320'h0;
    parameter [319:0] INITVAL_2E = 320'h0;
    parameter [319:0] INITVAL_2F = 320'h0;
    parameter [319:0] INITVAL_30 = 320'h0;
    parameter [319:0] INITVAL_31 = 320'h0;
    parameter [319:0] INITVAL_32 = 320'h0;
    parameter [319:0] INITVAL_33 = 320'h0;
    parameter [319:0] INITVAL_34 = 320'h0;
    parameter [319:0] INITVAL_35 = 320'h0;
    parameter [319:0] INITVAL_36 = 320'h0;
    parameter [319:0] INITVAL_37 = 320'h0;
    parameter [319:0] INITVAL_38 = 320'h0;
    parameter [319:0] INITVAL_39 = 320'h0;
    parameter [319:0] INITVAL_3A = 320'h0;
    parameter [319:0] INITVAL_3B = 320'h0;
    parameter [319:0] INITVAL_3C = 320'h0;
    parameter [319:0] INITVAL_3D = 320'h0;
    parameter [319:0] INITVAL_3E = 320'h0;
    parameter [319:0] INITVAL_3F = 320'h0;

    // Refuse what is not modelled, at build time.
    localparam PDP = DATA_WIDTH_A == 36;
    function narrow_ok(input integer w);
        narrow_ok = w == 1 || w == 2 || w == 4 || w == 9 || w == 18;
    endfunction
    generate
        if (!(PDP && (DATA_WIDTH_B == 36 || narrow_ok(DATA_WIDTH_B))) &&
            !(narrow_ok(DATA_WIDTH_A) && narrow_ok(DATA_WIDTH_B)))
            DP16KD_model_does_not_cover_these_data_widths unsupported ();
        if (REGMODE_A != "NOREG" || REGMODE_B != "NOREG")
            DP16KD_model_does_not_cover_output_registers unsupported ();
    endgenerate

    // The contents: 2048 bytes of 9 bits (a 36-bit word is four of them, low byte first).
    reg [8:0] mem [0:2047];
    localparam [20479:0] INIT = {INITVAL_3F, INITVAL_3E, INITVAL_3D, INITVAL_3C, INITVAL_3B, INITVAL_3A, INITVAL_39, INITVAL_38, INITVAL_37, INITVAL_36, INITVAL_35, INITVAL_34, INITVAL_33, INITVAL_32, INITVAL_31, INITVAL_30, INITVAL_2F, INITVAL_2E, INITVAL_2D, INITVAL_2C, INITVAL_2B, INITVAL_2A, INITVAL_29, INITVAL_28, INITVAL_27, INITVAL_26, INITVAL_25, INITVAL_24, INITVAL_23, INITVAL_22, INITVAL_21, INITVAL_20, INITVAL_1F, INITVAL_1E, INITVAL_1D, INITVAL_1C, INITVAL_1B, INITVAL_1A, INITVAL_19, INITVAL_18, INITVAL_17, INITVAL_16, INITVAL_15, INITVAL_14, INITVAL_13, INITVAL_12, INITVAL_11, INITVAL_10, INITVAL_0F, INITVAL_0E, INITVAL_0D, INITVAL_0C, INITVAL_0B, INITVAL_0A, INITVAL_09, INITVAL_08, INITVAL_07, INITVAL_06, INITVAL_05, INITVAL_04, INITVAL_03, INITVAL_02, INITVAL_01, INITVAL_00};
    integer r;
    initial begin
        for (r = 0; r < 1024; r = r + 1) begin
            mem[2 * r] = INIT[(r / 16) * 320 + (r % 16) * 20 +: 9];
            mem[2 * r + 1] = INIT[(r / 16) * 320 + (r % 16) * 20 + 9 +: 9];
        end
    end

    // "0bXYZ" as the 3-bit chip select it expects.
    function [2:0] cs_bits(input [39:0] decode);
        cs_bits = {decode[23:16] == "1", decode[15:8] == "1", decode[7:0] == "1"};
    endfunction

    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    wire csa = {CSA2, CSA1, CSA0} == cs_bits(CSDECODE_A);
    wire csb = {CSB2, CSB1, CSB0} == cs_bits(CSDECODE_B);
    wire clka = CLKAMUX == "INV" ? ~CLKA : CLKA;
    wire clkb = CLKBMUX == "INV" ? ~CLKB : CLKB;
    wire arst_a = RESETMODE == "ASYNC" && RSTA;
    wire arst_b = RESETMODE == "ASYNC" && RSTB;
    wire srst_a = RESETMODE != "ASYNC" && RSTA;
    wire srst_b = RESETMODE != "ASYNC" && RSTB;

    // A word of `width` (up to 18) bits at address `ad`, low-aligned.
    function [17:0] read_word(input integer width, input [13:0] ad);
        reg [8:0] b;
        begin
            b = mem[ad[13:3]];
            case (width)
                18: read_word = {mem[{ad[13:4], 1'b1}], mem[{ad[13:4], 1'b0}]};
                9: read_word = {9'd0, b};
                4: read_word = {14'd0, ad[2] ? b[7:4] : b[3:0]};
                2: read_word = {16'd0, b[2 * ad[2:1] +: 2]};
                default: read_word = {17'd0, b[ad[2:0]]};
            endcase
        end
    endfunction

    // What a write of `width` bits leaves on the port's output in WRITETHROUGH.
    function [17:0] written(input integer width, input [17:0] d);
        written = width == 18 ? d : width == 9 ? {9'd0, d[8:0]} : d & ((18'd1 << width) - 1);
    endfunction

    reg [17:0] doa_q;
    reg [17:0] dob_q;

    // Port A: the write port of the 36-bit pseudo dual port, or a read/write port.
    always @(posedge clka or posedge arst_a) begin : port_a
        reg [10:0] w;
        reg [17:0] old;
        w = {ada[13:5], 2'b00};
        if (arst_a) begin
            if (!PDP) doa_q <= 18'd0;
        end else if (PDP) begin
            if (CEA && csa && WEA) begin
                if (ada[0]) mem[w] <= dia[8:0];
                if (ada[1]) mem[w + 1] <= dia[17:9];
                if (ada[2]) mem[w + 2] <= dib[8:0];
                if (ada[3]) mem[w + 3] <= dib[17:9];
            end
        end else if (srst_a) begin
            doa_q <= 18'd0;
        end else if (CEA && csa) begin
            old = read_word(DATA_WIDTH_A, ada);
            if (WEA) begin
                case (DATA_WIDTH_A)
                    18: begin
                        if (ada[0]) mem[{ada[13:4], 1'b0}] <= dia[8:0];
                        if (ada[1]) mem[{ada[13:4], 1'b1}] <= dia[17:9];
                    end
                    9: mem[ada[13:3]] <= dia[8:0];
                    4: mem[ada[13:3]][4 * ada[2] +: 4] <= dia[3:0];
                    2: mem[ada[13:3]][2 * ada[2:1] +: 2] <= dia[1:0];
                    default: mem[ada[13:3]][ada[2:0]] <= dia[0];
                endcase
                if (WRITEMODE_A == "WRITETHROUGH") doa_q <= written(DATA_WIDTH_A, dia);
                else if (WRITEMODE_A == "READBEFOREWRITE") doa_q <= old;
            end else begin
                doa_q <= old;
            end
        end
    end

    // Port B: the read port of the pseudo dual port ({DOB, DOA} at 36 bits, else DOB), or a
    // read/write port.
    always @(posedge clkb or posedge arst_b) begin : port_b
        reg [10:0] w;
        reg [17:0] old;
        w = {adb[13:5], 2'b00};
        if (arst_b || srst_b) begin
            dob_q <= 18'd0;
            if (PDP) doa_q <= 18'd0;
        end else if (PDP) begin
            if (CEB && csb) begin
                if (DATA_WIDTH_B == 36) begin
                    doa_q <= {mem[w + 1], mem[w]};
                    dob_q <= {mem[w + 3], mem[w + 2]};
                end else begin
                    dob_q <= read_word(DATA_WIDTH_B, adb);
                end
            end
        end else if (CEB && csb) begin
            old = read_word(DATA_WIDTH_B, adb);
            if (WEB) begin
                case (DATA_WIDTH_B)
                    18: begin
                        if (adb[0]) mem[{adb[13:4], 1'b0}] <= dib[8:0];
                        if (adb[1]) mem[{adb[13:4], 1'b1}] <= dib[17:9];
                    end
                    9: mem[adb[13:3]] <= dib[8:0];
                    4: mem[adb[13:3]][4 * adb[2] +: 4] <= dib[3:0];
                    2: mem[adb[13:3]][2 * adb[2:1] +: 2] <= dib[1:0];
                    default: mem[adb[13:3]][adb[2:0]] <= dib[0];
                endcase
                if (WRITEMODE_B == "WRITETHROUGH") dob_q <= written(DATA_WIDTH_B, dib);
                else if (WRITEMODE_B == "READBEFOREWRITE") dob_q <= old;
            end else begin
                dob_q <= old;
            end
        end
    end

    assign DOA0 = doa_q[0];
    assign DOA1 = doa_q[1];
    assign DOA2 = doa_q[2];
    assign DOA3 = doa_q[3];
    assign DOA4 = doa_q[4];
    assign DOA5 = doa_q[5];
    assign DOA6 = doa_q[6];
    assign DOA7 = doa_q[7];
    assign DOA8 = doa_q[8];
    assign DOA9 = doa_q[9];
    assign DOA10 = doa_q[10];
    assign DOA11 = doa_q[11];
    assign DOA12 = doa_q[12];
    assign DOA13 = doa_q[13];
    assign DOA14 = doa_q[14];
    assign DOA15 = doa_q[15];
    assign DOA16 = doa_q[16];
    assign DOA17 = doa_q[17];
    assign DOB0 = dob_q[0];
    assign DOB1 = dob_q[1];
    assign DOB2 = dob_q[2];
    assign DOB3 = dob_q[3];
    assign DOB4 = dob_q[4];
    assign DOB5 = dob_q[5];
    assign DOB6 = dob_q[6];
    assign DOB7 = dob_q[7];
    assign DOB8 = dob_q[8];
    assign DOB9 = dob_q[9];
    assign DOB10 = dob_q[10];
    assign DOB11 = dob_q[11];
    assign DOB12 = dob_q[12];
    assign DOB13 = dob_q[13];
    assign DOB14 = dob_q[14];
    assign DOB15 = dob_q[15];
    assign DOB16 = dob_q[16];
    assign DOB17 = dob_q[17];
endmodule
