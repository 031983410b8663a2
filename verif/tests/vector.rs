//! The vector unit on the chip: every VECTOR operation and the STORE epilogue, RTL against the
//! reference model, in a directed program and in random programs whose data weights the
//! extremes (INT32_MIN / MAX, 0, +-1, powers of two), with proptest shrinking.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use seedchip_hdl::chip::isa::{assemble, program_bytes, Instr, Opcode, VectorOp};
use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{cached_chip, check_program};
use seedchip_verif::chip_model::{ChipModel, Launch};
use seedchip_verif::noise::XorShift64;
use seedchip_verif::random_program::{build, build_with_data, op_strategy, RawOp, DATA_BYTES};
use seedchip_verif::verilator::{Model, XInit};

fn configs() -> Vec<Config> {
    [
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        // Two lanes: the table takes 26 accumulator rows; one bank, a narrow bus.
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\nbanks = 1\n[bus]\ndata_bits = 64\n",
        // Three lanes (the reduction tree is not a power of two), R > C (longer spad rows).
        "[matrix]\nrows = 5\ncols = 3\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\nbanks = 4\n",
        // Two vector lanes for rows of six: every row in three beats.
        "[matrix]\nrows = 3\ncols = 6\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n[vector]\nlanes = 2\n",
    ]
    .iter()
    .map(|t| Config::from_toml(t, "test").unwrap())
    .collect()
}

fn model_for(cfg: &Config) -> Arc<Model> {
    cached_chip(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// A DRAM image of `size` bytes: `program` at 0, `data` at `at`; and its launch registers.
fn image(program: &[Instr], size: usize, at: u64, data: &[u8]) -> (Vec<u8>, Launch) {
    let mut dram = vec![0u8; size];
    let code = program_bytes(program);
    dram[..code.len()].copy_from_slice(&code);
    dram[at as usize..at as usize + data.len()].copy_from_slice(data);
    (dram, Launch::whole_image(program.len() as u32, size as u64))
}

/// Data words with the extremes weighted: a quarter of them INT32_MIN, INT32_MAX, 0, +-1,
/// +-2^30 or a tie-making power of two, the rest random.
fn extreme_data(seed: u64) -> Vec<u8> {
    let mut rng = XorShift64::new(seed);
    (0..DATA_BYTES / 4)
        .flat_map(|_| {
            let r = rng.next_u64();
            let v: i32 = match r % 16 {
                0 => i32::MIN,
                1 => i32::MAX,
                2 => 0,
                3 => (r >> 8) as i32 % 3 - 1,
                4 => 1 << 30,
                5 => 1 << ((r >> 8) % 31),
                6 => -(1 << ((r >> 8) % 31)),
                7 => ((r >> 8) as i32) % 256,
                _ => (r >> 16) as i32,
            };
            v.to_le_bytes()
        })
        .collect()
}

/// Raw operations weighted to VECTOR, with STOREs (half of them with an epilogue), MATMULs
/// and LOADs around them.
fn vector_op_strategy() -> impl Strategy<Value = RawOp> {
    (op_strategy(), 0u8..10).prop_map(|(mut op, k)| {
        op.kind = match k {
            0..=5 => 4,
            6 | 7 => 2,
            8 => 1,
            _ => 0,
        };
        op
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30, ..ProptestConfig::default() })]

    /// Random VECTOR-heavy programs on extreme-weighted data: the RTL equals the model.
    #[test]
    fn random_vector_programs_match_the_model(
        which in 0usize..4,
        ops in proptest::collection::vec(vector_op_strategy(), 1..32),
        seed in any::<u64>(),
    ) {
        let cfg = &configs()[which];
        // Rows load from DATA_BASE + seed % 64: a multiple of 4 keeps the words whole.
        let seed = seed & !3;
        let b = build_with_data(cfg, &ops, seed, &extreme_data(seed));
        let run = check_program(&model_for(cfg), cfg, &b.dram, &b.launch, MemoryTiming::default(), XInit::Random(seed as u32));
        prop_assert!(run.is_ok(), "{}\nprogram:\n{}", run.unwrap_err(),
            b.program.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("\n"));
        prop_assert!(run.unwrap().status.done);
    }
}

/// The random program generator really emits every vector operation, both operand sources,
/// every b mode and the epilogues (a generator that silently stopped would make the random
/// tests above prove nothing).
#[test]
fn random_programs_cover_every_vector_operation() {
    let cfg = &configs()[0];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(vector_op_strategy(), 20..32);
    let mut ops_seen = std::collections::HashSet::new();
    let mut modes = std::collections::HashSet::new();
    let mut epilogues = std::collections::HashSet::new();
    for _ in 0..60 {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        for i in build(cfg, &ops, 4).program {
            match i.opcode {
                Opcode::Vector => {
                    ops_seen.insert(i.get("op").unwrap());
                    modes.insert((i.get("b_mode").unwrap(), i.get("a_acc").unwrap()));
                }
                Opcode::Store => {
                    epilogues.insert(i.get("epilogue").unwrap());
                }
                _ => {}
            }
        }
    }
    for op in VectorOp::ALL {
        assert!(ops_seen.contains(&(op.code() as u64)), "{op:?} never drawn");
    }
    assert_eq!(modes.len(), 6, "b modes x a sources: {modes:?}");
    assert_eq!(epilogues.len(), 3, "{epilogues:?}");
}

/// A directed program: parameters loaded, then every operation once on rows holding the
/// extremes, results stored as int32 and through both epilogues. The RTL must equal the
/// model, and the model's requantised bytes must equal the TFLite formula applied here.
#[test]
fn every_operation_once_on_extreme_rows() {
    let cfg = &configs()[0];
    let c = cfg.matrix.cols as usize;
    // Accumulator rows 0..8: data; 8..13: requantisation block; 13..26: the table.
    let data: Vec<i32> = vec![
        i32::MIN,
        i32::MAX,
        0,
        -1, //
        1,
        -2,
        3,
        1 << 30, //
        -(1 << 30),
        12345,
        -54321,
        7, //
        127,
        -128,
        255,
        -256, //
        40000,
        -40000,
        6,
        -6, //
        i32::MAX,
        i32::MIN,
        1,
        -1, //
        100,
        200,
        -300,
        400, //
        2,
        4,
        8,
        16,
    ];
    let mut words = data.clone();
    // qload: multipliers, shifts, zero points, min, max (per lane).
    words.extend([1 << 30, i32::MAX, 1518500250, i32::MIN]);
    words.extend([-1, -31, 0, 0]);
    words.extend([0, -5, 3, 100]);
    words.extend([-128, -128, -32768, -128]);
    words.extend([127, 127, 32767, 127]);
    // tload: base -64, segments of 8, output range, 16 segments of y = x / 2.
    let mut table = vec![-64, 3, -1000, 1000];
    for k in 0..16 {
        table.extend([1 << 30, 0, (-64 + 8 * k) / 2]);
    }
    table.resize(13 * c, 0);
    words.extend(table);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let base = 0x1000u64;
    let text = format!(
        "load acc=1 sram_row=0 rows=26 row_bytes=16 dram_addr={base:#x} dram_stride=16\n\
         load acc=0 sram_row=0 rows=4 row_bytes=4 dram_addr={base:#x} dram_stride=4\n\
         fence\n\
         vector op=qload a_acc=1 a_row=8 rows=5\n\
         vector op=tload a_acc=1 a_row=13 rows=13\n\
         vector op=add a_acc=1 a_row=0 b_acc=1 b_row=1 b_mode=row d_acc=1 d_row=26 rows=1\n\
         vector op=sub a_acc=1 a_row=0 b_mode=imm imm=-1 d_acc=1 d_row=27 rows=1\n\
         vector op=mul a_acc=1 a_row=1 b_acc=1 b_row=2 b_mode=row d_acc=1 d_row=28 rows=1\n\
         vector op=max a_acc=1 a_row=2 b_acc=0 b_row=0 b_mode=bcast d_acc=1 d_row=29 rows=1\n\
         vector op=min a_acc=0 a_row=1 b_mode=imm imm=5 d_acc=1 d_row=30 rows=1\n\
         vector op=shl a_acc=1 a_row=3 b_mode=imm imm=33 d_acc=1 d_row=31 rows=1\n\
         store acc=1 sram_row=26 rows=6 row_bytes=16 dram_addr=0x2000 dram_stride=16\n\
         vector op=sra a_acc=1 a_row=1 b_mode=imm imm=3 d_acc=1 d_row=26 rows=1\n\
         vector op=rshr a_acc=1 a_row=1 b_mode=imm imm=1 d_acc=1 d_row=27 rows=1\n\
         vector op=relu a_acc=1 a_row=0 d_acc=1 d_row=28 rows=1\n\
         vector op=clamp a_acc=1 a_row=4 imm=0x7fff8000 d_acc=0 d_row=8 rows=1\n\
         vector op=requant a_acc=1 a_row=0 d_acc=1 d_row=29 rows=2\n\
         vector op=pwl a_acc=1 a_row=2 d_acc=1 d_row=31 rows=1\n\
         store acc=1 sram_row=26 rows=6 row_bytes=16 dram_addr=0x2100 dram_stride=16\n\
         vector op=rmax a_acc=1 a_row=0 d_acc=1 d_row=26 rows=2\n\
         vector op=rsum a_acc=1 a_row=0 d_acc=1 d_row=28 rows=2 post=recip imm=40\n\
         vector op=rsumsq a_acc=1 a_row=4 d_acc=1 d_row=30 rows=2 post=rsqrt imm=30\n\
         store acc=1 sram_row=26 rows=6 row_bytes=16 dram_addr=0x2200 dram_stride=16\n\
         store acc=0 sram_row=8 rows=1 row_bytes=4 dram_addr=0x2300 dram_stride=4\n\
         store acc=1 sram_row=0 rows=8 row_bytes=4 dram_addr=0x2400 dram_stride=4 epilogue=int8\n\
         store acc=1 sram_row=0 rows=8 row_bytes=8 dram_addr=0x2500 dram_stride=8 epilogue=int16\n\
         halt\n"
    );
    let program = assemble(&text).unwrap();
    let (dram, launch) = image(&program, 0x3000, base, &bytes);
    let run = check_program(
        &model_for(cfg),
        cfg,
        &dram,
        &launch,
        MemoryTiming::default(),
        XInit::Random(5),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(run.status.done, "{:?}", run.status);
    // The epilogue's int8 bytes, from the TFLite formula per lane.
    let mut model = ChipModel::new(cfg);
    let mut image = dram.clone();
    model.run(&mut image, &launch);
    let q = &model.vector.requant;
    for (r, row) in data.chunks(c).enumerate() {
        for (l, &x) in row.iter().enumerate() {
            let want = q[l].apply(x) as u8;
            assert_eq!(image[0x2400 + 4 * r + l], want, "row {r} lane {l}: x = {x}");
            assert_eq!(run.dram[0x2400 + 4 * r + l], want, "RTL row {r} lane {l}");
        }
    }
    assert_eq!(q[1].multiplier, i32::MAX);
    assert_eq!(q[1].shift, -31);
    // A few results spelled out: the requantisation of x = 2^31 - 1 by M = 2^31 - 1,
    // shift -31 is 1 ((2^31 - 1)^2 / 2^31 rounds to 2^31 - 2, and that / 2^31 to 1); of
    // INT32_MIN x INT32_MIN (saturates to INT32_MAX), plus the zero point 100 (saturating),
    // clamped to 127.
    assert_eq!(
        seedchip_verif::quant::multiply_by_quantized_multiplier(i32::MAX, i32::MAX, -31),
        1
    );
    assert_eq!(q[1].apply(i32::MAX), 1 - 5);
    assert_eq!(q[3].apply(i32::MIN), 127);
    let word = |at: usize| i32::from_le_bytes(run.dram[at..at + 4].try_into().unwrap());
    // add of row 0 and row 1: INT32_MIN + 1 = -2147483647.
    assert_eq!(word(0x2000), i32::MIN + 1);
    // rmax of row 0 is INT32_MAX in every lane.
    assert_eq!(word(0x2200 + 12), i32::MAX);
}

/// Values for the structured programs: extremes, or inside `-range..range`.
fn near(range: i32) -> impl Strategy<Value = i32> {
    prop_oneof![
        1 => prop_oneof![Just(i32::MIN), Just(i32::MAX), Just(0), Just(-1), Just(1)],
        1 => any::<i32>(),
        6 => -range..range,
    ]
}

/// What a structured program loads: data rows, a realistic requantisation block (multipliers
/// in [2^30, 2^31), shifts mostly -31..0) and a realistic table (segments of 2^0..2^8
/// inputs from a base near zero), so the table's inside path, rounding ties and unsaturated
/// outputs are all reached, as random words alone would rarely do.
#[derive(Clone, Debug)]
struct Structured {
    seg_shift: u32,
    base: i32,
    xs: Vec<i32>,
    q: Vec<i32>,
    segments: Vec<i32>,
    range: (i32, i32),
    k: u32,
}

const LANES: usize = 4;
const DATA_ROWS: usize = 8;

fn structured() -> impl Strategy<Value = Structured> {
    (0u32..=8).prop_flat_map(|seg_shift| {
        let span = 16i32 << seg_shift;
        let lane_q = (
            prop_oneof![3 => (1i32 << 30)..=i32::MAX, 1 => any::<i32>()],
            prop_oneof![3 => -31i32..=0, 1 => -32i32..=31],
            -20i32..20,
            prop_oneof![
                Just((-128, 127)),
                Just((-32768, 32767)),
                (-300i32..0, 0i32..300)
            ],
        );
        let segment = (
            prop_oneof![3 => (1i32 << 29)..(1i32 << 31).wrapping_sub(1), 1 => any::<i32>()],
            prop_oneof![3 => -12i32..=2, 1 => -32i32..=31],
            -2000i32..2000,
        );
        (
            Just(seg_shift),
            -span..=0,
            proptest::collection::vec(near(2 * span), DATA_ROWS * LANES),
            proptest::collection::vec(lane_q, LANES),
            proptest::collection::vec(segment, 16),
            prop_oneof![Just((i32::MIN, i32::MAX)), (-3000i32..0, 0i32..3000)],
            0u32..64,
        )
            .prop_map(|(seg_shift, base, xs, lanes, segs, range, k)| Structured {
                seg_shift,
                base,
                xs,
                q: (0..5)
                    .flat_map(|row| {
                        lanes
                            .iter()
                            .map(move |&(m, s, zp, (lo, hi))| [m, s, zp, lo, hi][row])
                            .collect::<Vec<_>>()
                    })
                    .collect(),
                segments: segs.iter().flat_map(|&(m, s, y)| [m, s, y]).collect(),
                range,
                k,
            })
    })
}

/// The 4x4 chip with 64 accumulator rows and `lanes` vector lanes.
fn structured_config(lanes: u32) -> Config {
    Config::from_toml(
        &format!(
            "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 64\n\
             [vector]\nlanes = {lanes}\n"
        ),
        "test",
    )
    .unwrap()
}

/// Run a structured program on a 4x4 chip with 64 accumulator rows: requant, pwl, every
/// reduction with every post step, both epilogues; every accumulator row is dumped. One
/// vector lane (every row in four beats, each beat meeting its column's parameters) or four.
fn check_structured(s: &Structured, lanes: u32) -> Result<(), String> {
    let cfg = structured_config(lanes);
    let mut words = s.xs.clone();
    words.extend(&s.q);
    words.extend([s.base, s.seg_shift as i32, s.range.0, s.range.1]);
    words.extend(&s.segments);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (data, dump) = (0x1000u64, 0x2000u64);
    let k = s.k;
    let text = format!(
        "load acc=1 sram_row=0 rows=26 row_bytes=16 dram_addr={data:#x} dram_stride=16\n\
         load acc=0 sram_row=0 rows=8 row_bytes=4 dram_addr={data:#x} dram_stride=16\n\
         fence\n\
         vector op=qload a_acc=1 a_row=8 rows=5\n\
         vector op=tload a_acc=1 a_row=13 rows=13\n\
         vector op=pwl a_acc=1 a_row=0 d_acc=1 d_row=26 rows=8\n\
         vector op=requant a_acc=1 a_row=0 d_acc=1 d_row=34 rows=8\n\
         vector op=requant a_acc=0 a_row=0 d_acc=0 d_row=8 rows=8\n\
         vector op=rsum a_acc=1 a_row=0 d_acc=1 d_row=42 rows=4 post=recip imm={k}\n\
         vector op=rsumsq a_acc=1 a_row=4 d_acc=1 d_row=46 rows=4 post=rsqrt imm={k}\n\
         vector op=rmax a_acc=1 a_row=0 d_acc=1 d_row=50 rows=4 post=isqrt\n\
         vector op=rsum a_acc=1 a_row=0 d_acc=1 d_row=54 rows=4 post=rsqrt imm={k}\n\
         vector op=rsumsq a_acc=0 a_row=0 d_acc=1 d_row=58 rows=4\n\
         vector op=rshr a_acc=1 a_row=0 b_mode=imm imm={k} d_acc=1 d_row=62 rows=2\n\
         store acc=1 sram_row=0 rows=8 row_bytes=4 dram_addr={:#x} dram_stride=4 epilogue=int8\n\
         store acc=1 sram_row=0 rows=8 row_bytes=8 dram_addr={:#x} dram_stride=8 epilogue=int16\n\
         store acc=1 sram_row=0 rows=64 row_bytes=16 dram_addr={dump:#x} dram_stride=16\n\
         store acc=0 sram_row=0 rows=16 row_bytes=4 dram_addr={:#x} dram_stride=4\n\
         halt\n",
        dump + 0x400,
        dump + 0x500,
        dump + 0x600,
    );
    let program = assemble(&text).map_err(|e| e.to_string())?;
    let (dram, launch) = image(&program, 0x3000, data, &bytes);
    let run = check_program(
        &model_for(&cfg),
        &cfg,
        &dram,
        &launch,
        MemoryTiming::default(),
        XInit::Random(9),
    )
    .map_err(|e| e.to_string())?;
    if !run.status.done {
        return Err(format!("{:?}", run.status));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Requantisation, the table and the reductions on realistic parameters: RTL == model.
    #[test]
    fn structured_vector_programs_match_the_model(s in structured(), one_lane in any::<bool>()) {
        if let Err(e) = check_structured(&s, if one_lane { 1 } else { 4 }) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// Every VECTOR and epilogue rule the decoder and the range checks enforce stops the chip with
/// the model's error code at the instruction's index, after the legal instruction before it.
#[test]
fn illegal_vector_fields_and_ranges_stop_with_the_model_s_error() {
    use seedchip_hdl::chip::isa::ErrorCode;
    let cfg = &configs()[0];
    let v = |op: VectorOp| {
        Instr::new(Opcode::Vector)
            .with("op", op.code() as u64)
            .with("rows", 1)
    };
    let store = |epilogue: u64, acc: u64, bytes: u64| {
        Instr::new(Opcode::Store)
            .with("acc", acc)
            .with("epilogue", epilogue)
            .with("rows", 1)
            .with("row_bytes", bytes)
            .with("dram_addr", 0x1000)
    };
    use ErrorCode::{IllegalField, RowRange};
    let cases: Vec<(&str, Instr, ErrorCode)> = vec![
        ("unknown op", v(VectorOp::Add).with("op", 31), IllegalField),
        ("b_mode 3", v(VectorOp::Add).with("b_mode", 3), IllegalField),
        (
            "post on add",
            v(VectorOp::Add).with("post", 1),
            IllegalField,
        ),
        (
            "qload from the scratchpad",
            v(VectorOp::Qload).with("rows", 5),
            IllegalField,
        ),
        (
            "qload of 4 rows",
            v(VectorOp::Qload).with("a_acc", 1).with("rows", 4),
            IllegalField,
        ),
        (
            "tload of 12 rows (13 needed)",
            v(VectorOp::Tload).with("a_acc", 1).with("rows", 12),
            IllegalField,
        ),
        (
            "d ahead of a",
            v(VectorOp::Relu)
                .with("a_acc", 1)
                .with("d_acc", 1)
                .with("d_row", 1)
                .with("rows", 4),
            IllegalField,
        ),
        (
            "d ahead of a b row",
            v(VectorOp::Add)
                .with("a_row", 10)
                .with("b_mode", 1)
                .with("b_row", 0)
                .with("d_row", 2)
                .with("rows", 4),
            IllegalField,
        ),
        ("epilogue 3", store(3, 1, 4), IllegalField),
        ("epilogue on scratchpad rows", store(1, 0, 4), IllegalField),
        (
            "a rows past the accumulator",
            v(VectorOp::Relu)
                .with("a_acc", 1)
                .with("a_row", 30)
                .with("rows", 4),
            RowRange,
        ),
        (
            "d rows past the scratchpad",
            v(VectorOp::Relu).with("d_row", 62).with("rows", 4),
            RowRange,
        ),
        (
            "b rows past the accumulator",
            v(VectorOp::Add)
                .with("b_mode", 1)
                .with("b_acc", 1)
                .with("b_row", 30)
                .with("rows", 3),
            RowRange,
        ),
        (
            "a bcast row past the accumulator",
            v(VectorOp::Max)
                .with("b_mode", 2)
                .with("b_acc", 1)
                .with("b_row", 32),
            RowRange,
        ),
        (
            "int8 epilogue of 5 bytes (4 lanes)",
            store(1, 1, 5),
            RowRange,
        ),
        ("int16 epilogue of 9 bytes", store(2, 1, 9), RowRange),
    ];
    for (what, bad, code) in cases {
        let program = vec![
            v(VectorOp::Relu).with("d_row", 40),
            bad,
            Instr::new(Opcode::Halt),
        ];
        let (dram, launch) = image(&program, 0x2000, 0, &[]);
        let run = check_program(
            &model_for(cfg),
            cfg,
            &dram,
            &launch,
            MemoryTiming::default(),
            XInit::Random(1),
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(run.status.error, code, "{what}");
        assert_eq!(run.status.pc, 1, "{what}");
    }
}

/// One beat per cycle: a VECTOR instruction over n rows takes (n - 1) x C / L cycles more than
/// over one row, whatever its path: simple, multiply (requantiser), table, reduction with its
/// longest post step. With L = C, two cycles a row when operand b is a row of its own (read
/// after a); with fewer lanes that second read hides behind the beats. Cycle counts of the RTL,
/// from the CYCLES counter, on a row a cycle and on one lane for rows of four.
#[test]
fn vector_instructions_take_one_cycle_per_beat() {
    for cfg in [configs()[0].clone(), structured_config(1)] {
        one_cycle_per_beat(&cfg);
    }
}

fn one_cycle_per_beat(cfg: &Config) {
    let model = model_for(cfg);
    let beats = cfg.vector_beats() as u64;
    let data: Vec<u8> = (0..32 * 16).map(|i| (i * 37 % 251) as u8).collect();
    let cycles = |op: &str, rows: u32| -> u64 {
        let text = format!(
            "load acc=1 sram_row=0 rows=32 row_bytes=16 dram_addr=0x1000 dram_stride=16\n\
             fence\n\
             vector {op} a_acc=1 a_row=0 d_acc=0 d_row=0 rows={rows}\n\
             halt\n"
        );
        let program = assemble(&text).unwrap();
        let (dram, launch) = image(&program, 0x2000, 0x1000, &data);
        let run = check_program(
            &model,
            cfg,
            &dram,
            &launch,
            MemoryTiming::default(),
            XInit::Random(1),
        )
        .unwrap_or_else(|e| panic!("{op}: {e}"));
        assert!(run.status.done, "{op}: {:?}", run.status);
        run.cycles
    };
    let n = 24;
    for (op, reads) in [
        ("op=add b_mode=imm imm=3", 1),
        ("op=max b_acc=1 b_row=31 b_mode=bcast", 1),
        ("op=rshr b_acc=1 b_row=0 b_mode=row", 2),
        ("op=requant", 1),
        ("op=pwl", 1),
        ("op=mul b_acc=1 b_row=5 b_mode=row", 2),
        ("op=rsumsq post=rsqrt imm=40", 1),
    ] {
        let extra = cycles(op, n) - cycles(op, 1);
        let per_row = beats.max(reads);
        assert_eq!(
            extra,
            per_row * (n as u64 - 1),
            "{op}, {beats} beat(s) a row: {n} rows take {extra} cycles more than one"
        );
    }
}
