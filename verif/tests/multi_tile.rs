//! The multi-tile chip (tiles on request and response meshes, one DRAM port): GEMMs split
//! across the tiles, and random programs (one per tile, each in its own DRAM region), under
//! random bus timing; every tile's STATUS and counters and the whole DRAM image equal the
//! reference model's, and C equals the integer GEMM.

use proptest::prelude::*;
use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{cached_chip, check_tiles};
use seedchip_verif::chip_model::Launch;
use seedchip_verif::gemm::plan_tiles;
use seedchip_verif::model::gemm;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::random_program::{build, op_strategy, RawOp};
use seedchip_verif::verilator::XInit;

/// 2x1 and 2x2 tiles of 2x2 arrays; the 2x1 with 64-bit flits (a unit in several flits).
fn configs() -> Vec<Config> {
    [
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n\
         [tiles]\nx = 2\ny = 1\n[interconnect]\nflit_bits = 64\n",
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n\
         [tiles]\nx = 2\ny = 2\n",
    ]
    .iter()
    .map(|t| Config::from_toml(t, "test").unwrap())
    .collect()
}

fn run(
    which: usize,
    m: usize,
    k: usize,
    n: usize,
    timing: MemoryTiming,
    seed: u64,
) -> Result<u64, String> {
    let cfg = &configs()[which];
    let model = cached_chip(cfg).map_err(|e| e.to_string())?;
    let mut rng = XorShift64::new(seed);
    let a = rng.matrix(m, k);
    let w = rng.matrix(k, n);
    let p = plan_tiles(cfg, m, k, n).map_err(|e| e.to_string())?;
    let (dram, launches) = p.dram(&a, &w);
    let r = check_tiles(
        &model,
        cfg,
        &dram,
        &launches,
        timing,
        XInit::Random(seed as u32),
    )
    .map_err(|e| e.to_string())?;
    if p.result(&r.dram) != gemm(&a, &w) {
        return Err("C differs from the integer GEMM".into());
    }
    Ok(r.cycles)
}

#[test]
fn a_gemm_split_over_the_tiles_matches_the_model() {
    for which in 0..2 {
        let cycles = run(which, 6, 5, 7, MemoryTiming::default(), 3)
            .unwrap_or_else(|e| panic!("config {which}: {e}"));
        assert!(cycles > 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// Random shapes and seeds under random DRAM latency and stalls.
    #[test]
    fn random_gemms_on_random_bus_timing_match(
        which in 0usize..2,
        m in 1usize..9,
        k in 1usize..9,
        n in 1usize..11,
        latency in 1u32..30,
        stall in prop_oneof![Just(0.0f64), 0.0f64..0.5],
        seed in any::<u64>(),
    ) {
        let timing = MemoryTiming { read_latency: latency, stall, seed, ..MemoryTiming::default() };
        let r = run(which, m, k, n, timing, seed);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

/// Each tile's random program, moved to its own 4 KiB-aligned region of one DRAM image.
fn random_programs(cfg: &Config, ops: &[Vec<RawOp>], seed: u64) -> (Vec<u8>, Vec<Launch>) {
    let mut dram = Vec::new();
    let mut launches = Vec::new();
    for (t, ops) in ops.iter().enumerate() {
        let b = build(cfg, ops, seed.wrapping_add(t as u64));
        let at = (dram.len() as u64).div_ceil(4096) * 4096;
        let moved = b.relocated(at);
        dram.resize(at as usize, 0);
        dram.extend_from_slice(&moved.dram);
        launches.push(moved.launch);
    }
    (dram, launches)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]
    /// Every tile runs its own random program (LOAD, MATMUL, STORE, VECTOR, FENCE, tokens)
    /// at once, under random DRAM latency and stalls: the tiles' DMA traffic interleaves on
    /// the meshes and at the one DRAM port.
    #[test]
    fn random_programs_on_every_tile_match(
        which in 0usize..2,
        ops in proptest::collection::vec(proptest::collection::vec(op_strategy(), 1..16), 4),
        latency in 1u32..30,
        stall in prop_oneof![Just(0.0f64), 0.0f64..0.5],
        seed in any::<u64>(),
    ) {
        let cfg = &configs()[which];
        let tiles = (cfg.tiles.x * cfg.tiles.y) as usize;
        let model = cached_chip(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (dram, launches) = random_programs(cfg, &ops[..tiles], seed);
        let timing = MemoryTiming { read_latency: latency, stall, seed, ..MemoryTiming::default() };
        let r = check_tiles(&model, cfg, &dram, &launches, timing, XInit::Random(seed as u32));
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        for (t, run) in r.unwrap().tiles.iter().enumerate() {
            prop_assert!(run.status.done, "tile {} did not finish: {:?}", t, run.status);
        }
    }
}
