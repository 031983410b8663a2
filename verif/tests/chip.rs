//! The whole chip's RTL against the reference model: GEMM programs, random programs under
//! random bus timing, and the error paths.

use std::sync::Arc;

use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{cached_chip, check_program, ChipError, ChipRun};
use seedchip_verif::gemm::plan;
use seedchip_verif::model::Matrix;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::verilator::{Model, XInit};

fn small() -> Config {
    Config::from_toml(
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        "test",
    )
    .unwrap()
}

/// Verilator models built so far in this test binary, by configuration.
fn model_for(cfg: &Config) -> Arc<Model> {
    cached_chip(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// Run on the small chip and its model with the default DRAM timing; compare.
fn check_small(dram: &[u8], launch: &Launch, seed: u32) -> Result<ChipRun, ChipError> {
    let cfg = small();
    check_program(
        &model_for(&cfg),
        &cfg,
        dram,
        launch,
        MemoryTiming::default(),
        XInit::Random(seed),
    )
}

fn random_matrix(rows: usize, cols: usize, seed: u64) -> Matrix<i8> {
    XorShift64::new(seed).matrix(rows, cols)
}

#[test]
fn a_gemm_program_matches_the_model() {
    let cfg = small();
    let p = plan(&cfg, 9, 7, 6).unwrap();
    let (a, w) = (random_matrix(9, 7, 1), random_matrix(7, 6, 2));
    let (dram, launch) = p.dram(&a, &w);
    let run = check_small(&dram, &launch, 3).unwrap();
    assert!(run.status.done);
    assert_eq!(p.result(&run.dram), seedchip_verif::model::gemm(&a, &w));
}

use proptest::prelude::*;
use seedchip_verif::random_program::{build, op_strategy, MAX_OPS};

/// The small configurations random programs run on (one Verilator build each).
fn configs() -> Vec<Config> {
    [
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        // A 4 KiB scratchpad on a 64-bit bus: the prologue's contiguous LOAD crosses 2 KiB burst
        // windows (256 beats) and a 4 KiB boundary.
        "[matrix]\nrows = 2\ncols = 4\n[memory]\nscratchpad_rows = 1024\naccumulator_rows = 16\nbanks = 4\n[bus]\ndata_bits = 64\noutstanding_reads = 2\n[controller]\nqueue_depth = 2\n",
        "[matrix]\nrows = 4\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\nbanks = 1\n[bus]\ndata_bits = 256\n",
        // One PE row: results of back-to-back MATMULs leave the engine in adjacent cycles,
        // so accumulating into the same row needs the writer's forwarding.
        "[matrix]\nrows = 1\ncols = 3\n[memory]\nscratchpad_rows = 16\naccumulator_rows = 16\n",
    ]
    .iter()
    .map(|t| Config::from_toml(t, "test").unwrap())
    .collect()
}

fn timing() -> impl Strategy<Value = MemoryTiming> {
    (1u32..24, 1u32..12, 0usize..3, 0.0f64..0.4, any::<u64>()).prop_map(
        |(read_latency, write_latency, bw, stall, seed)| MemoryTiming {
            read_latency,
            write_latency,
            bytes_per_cycle: [4.0, 8.0, 64.0][bw],
            stall,
            seed,
        },
    )
}

fn cases() -> u32 {
    std::env::var("SEEDCHIP_CHIP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_programs_match_the_model_under_random_bus_timing(
        which in 0usize..4,
        ops in proptest::collection::vec(op_strategy(), 1..MAX_OPS),
        timing in timing(),
        seed in any::<u64>(),
    ) {
        let cfg = &configs()[which];
        let model = model_for(cfg);
        let b = build(cfg, &ops, seed);
        let run = check_program(&model, cfg, &b.dram, &b.launch, timing, XInit::Random(seed as u32));
        prop_assert!(run.is_ok(), "{}\nprogram:\n{}", run.unwrap_err(),
            b.program.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("\n"));
        prop_assert!(run.unwrap().status.done);
    }
}

use seedchip_hdl::chip::isa::{assemble, program_bytes, ErrorCode};
use seedchip_verif::chip_harness::ChipHarness;
use seedchip_verif::chip_model::{Launch, Window};

/// A program from assembler text at address 0 of a 16 KiB DRAM of pattern bytes, with the
/// window `[base, bound)`.
fn image(text: &str, base: u64, bound: u64) -> (Vec<u8>, Launch) {
    let p = assemble(text).unwrap();
    let mut dram: Vec<u8> = (0..0x4000u32).map(|i| (i * 7 + 3) as u8).collect();
    let code = program_bytes(&p);
    dram[..code.len()].copy_from_slice(&code);
    let launch = Launch {
        program_addr: 0,
        program_len: p.len() as u32,
        window: Window { base, bound },
    };
    (dram, launch)
}

/// Run on RTL and model, expect `error` at `pc`, and DRAM unchanged outside the window.
fn expect_error(text: &str, window: (u64, u64), error: ErrorCode, pc: u32) {
    let (dram, launch) = image(text, window.0, window.1);
    let run = check_small(&dram, &launch, 7).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(run.status.error, error, "{text}");
    assert_eq!(run.status.pc, pc, "{text}");
    assert!(!run.status.done);
    for (i, (a, b)) in run.dram.iter().zip(&dram).enumerate() {
        let inside = (i as u64) >= window.0 && (i as u64) < window.1;
        assert!(
            inside || a == b,
            "{text}: byte {i:#x} outside the window changed"
        );
    }
}

#[test]
fn an_illegal_instruction_stops_with_its_code_and_writes_nothing_after() {
    // A reserved bit set in the third instruction (index 2): the STORE before it completes.
    let (mut dram, launch) = image(
        "load sram_row=0 rows=4 row_bytes=4 dram_addr=0x1000 dram_stride=4\n\
         fence\n\
         halt\n\
         store sram_row=0 rows=4 row_bytes=4 dram_addr=0x2000 dram_stride=4\n\
         halt",
        0,
        0x4000,
    );
    dram[2 * 16 + 12] = 0x80; // a reserved bit of HALT
    let run = check_small(&dram, &launch, 1).unwrap();
    assert_eq!(
        (run.status.error, run.status.pc),
        (ErrorCode::IllegalField, 2)
    );
    assert_eq!(
        &run.dram[0x2000..0x2010],
        &dram[0x2000..0x2010],
        "nothing stored"
    );
    // Opcode 15 does not exist.
    let (mut dram, launch) = image("fence\nhalt", 0, 0x4000);
    dram[16] = 0x0f;
    let run = check_small(&dram, &launch, 1).unwrap();
    assert_eq!(
        (run.status.error, run.status.pc),
        (ErrorCode::IllegalOpcode, 1)
    );
}

#[test]
fn out_of_window_loads_and_stores_fault_before_touching_dram() {
    let w = (0x0, 0x3000);
    expect_error(
        "load sram_row=0 rows=2 row_bytes=4 dram_addr=0x2ffc dram_stride=4\nhalt",
        w,
        ErrorCode::DramWindow,
        0,
    );
    expect_error(
        "load sram_row=0 rows=4 row_bytes=4 dram_addr=0x1000 dram_stride=4\nfence\n\
         store sram_row=0 rows=4 row_bytes=4 dram_addr=0x2ff0 dram_stride=5\nhalt",
        w,
        ErrorCode::DramWindow,
        2,
    );
    expect_error(
        "load sram_row=62 rows=4 row_bytes=4 dram_addr=0x1000 dram_stride=4\nhalt",
        w,
        ErrorCode::RowRange,
        0,
    );
    expect_error("fence\nfence", w, ErrorCode::NoHalt, 2);
    expect_error(
        "matmul w_row=0 a_row=0 acc_row=0 rows=1 pop_prev\nhalt",
        w,
        ErrorCode::Deadlock,
        0,
    );
}

#[test]
fn a_program_outside_the_window_is_a_fetch_error() {
    let (dram, mut launch) = image("halt", 0x100, 0x4000);
    let run = check_small(&dram, &launch, 1).unwrap();
    assert_eq!(run.status.error, ErrorCode::Fetch);
    launch.window.base = 0;
    launch.program_addr = 8;
    let run = check_small(&dram, &launch, 1).unwrap();
    assert_eq!(run.status.error, ErrorCode::Fetch, "misaligned");
}

#[test]
fn a_bus_error_response_ends_with_bus_error_and_nothing_outside_the_window_changes() {
    let cfg = small();
    let model = model_for(&cfg);
    for (text, pc) in [
        (
            "load sram_row=0 rows=4 row_bytes=4 dram_addr=0x1000 dram_stride=4\nhalt",
            0,
        ),
        (
            "load sram_row=0 rows=4 row_bytes=4 dram_addr=0x2000 dram_stride=4\nfence\n\
             store sram_row=0 rows=4 row_bytes=4 dram_addr=0x1008 dram_stride=4\nhalt",
            2,
        ),
    ] {
        let (dram, launch) = image(text, 0, 0x3000);
        let mut h = ChipHarness::new(
            &model,
            &cfg,
            dram.clone(),
            MemoryTiming::default(),
            XInit::Random(2),
        )
        .unwrap();
        h.mem.slverr.push((0x1000, 0x1010));
        let run = h.run(&launch, 100_000).unwrap();
        assert_eq!(
            (run.status.error, run.status.pc),
            (ErrorCode::BusError, pc),
            "{text}"
        );
        assert_eq!(&run.dram[0x3000..], &dram[0x3000..]);
    }
}

#[test]
fn soft_reset_mid_program_then_a_clean_rerun_matches_the_model() {
    let cfg = small();
    let model = model_for(&cfg);
    let p = plan(&cfg, 24, 16, 12).unwrap();
    let (a, w) = (random_matrix(24, 16, 5), random_matrix(16, 12, 6));
    let (dram, launch) = p.dram(&a, &w);
    let harness = || {
        ChipHarness::new(
            &model,
            &cfg,
            dram.clone(),
            MemoryTiming::default(),
            XInit::Random(4),
        )
        .unwrap()
    };
    // Stop points inside the run: early, a third and two thirds of an uninterrupted run.
    let full = harness().run(&launch, 1_000_000).unwrap().cycles;
    let mut h = harness();
    for stop_after in [full / 20, full / 3, 2 * full / 3] {
        h.start(&launch).unwrap();
        assert!(
            !h.wait_irq(stop_after).unwrap(),
            "finished within {stop_after} cycles: not a mid-program reset"
        );
        h.soft_reset(10_000).unwrap();
        let s = h.status().unwrap();
        assert!(!s.done && s.error == ErrorCode::None, "{s:?}");
    }
    h.mem.bytes = dram;
    let run = h.run(&launch, 1_000_000).unwrap();
    assert!(run.status.done, "{:?}", run.status);
    assert_eq!(p.result(&run.dram), seedchip_verif::model::gemm(&a, &w));
}
