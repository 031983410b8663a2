//! `seedchip run`: a random GEMM on the Verilated chip, checked against the model, with the
//! cycle count and the engine's utilisation.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{build_chip, check_program, check_tiles, ChipError};
use seedchip_verif::gemm::{plan, plan_tiles};
use seedchip_verif::model::{gemm, Matrix};
use seedchip_verif::noise::XorShift64;
use seedchip_verif::verilator::XInit;

use crate::ConfigArg;

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The GEMM: M x K (activations) times K x N (weights), for example `64x64x64`.
    #[arg(long, value_name = "MxKxN")]
    pub gemm: String,
    /// Seed of the random matrices (random and printed when omitted).
    #[arg(long)]
    pub seed: Option<u64>,
    /// DRAM bandwidth in bytes per cycle (default: the bus width, one beat per cycle).
    #[arg(long, value_name = "B")]
    pub dram_bytes_per_cycle: Option<f64>,
    /// DRAM read latency in cycles, address to first beat (20 = 100 ns at 200 MHz).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub read_latency: u32,
    /// Probability that the DRAM holds a ready or valid low in a cycle (random stalls).
    #[arg(long, default_value_t = 0.0)]
    pub stall: f64,
}

/// `MxKxN` -> (M, K, N).
pub(crate) fn parse_shape(s: &str) -> Result<(usize, usize, usize)> {
    let dims: Vec<&str> = s.split(['x', 'X']).collect();
    let bad =
        || format!("--gemm `{s}`: expected MxKxN with three positive integers, e.g. 64x64x64");
    if dims.len() != 3 {
        bail!(bad());
    }
    let mut out = [0usize; 3];
    for (o, d) in out.iter_mut().zip(&dims) {
        *o = d.trim().parse().ok().filter(|v| *v > 0).with_context(bad)?;
    }
    Ok((out[0], out[1], out[2]))
}

fn random_matrix(rows: usize, cols: usize, seed: u64) -> Matrix<i8> {
    XorShift64::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).matrix(rows, cols)
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let (m, k, n) = parse_shape(&args.gemm)?;
    let beat = cfg.bus.data_bits as f64 / 8.0;
    let bw = args.dram_bytes_per_cycle.unwrap_or(beat);
    if !(bw.is_finite() && bw > 0.0) {
        bail!("--dram-bytes-per-cycle {bw}: must be a positive number");
    }
    if !(0.0..1.0).contains(&args.stall) {
        bail!("--stall {}: must be in [0, 1)", args.stall);
    }
    let seed = args.seed.unwrap_or_else(super::clock_seed);
    if cfg.tiles.x * cfg.tiles.y > 1 {
        return run_tiles(&args, &cfg, (m, k, n), bw, seed);
    }
    let p = plan(&cfg, m, k, n).with_context(|| format!("tiling the {m}x{k}x{n} GEMM"))?;
    let (a, w) = (
        random_matrix(m, k, seed),
        random_matrix(k, n, seed ^ 0x5a5a),
    );
    let (dram, launch) = p.dram(&a, &w);
    println!(
        "seedchip run: {m}x{k}x{n} GEMM on {} ({}x{} array), seed {seed}",
        args.config.describe(),
        cfg.matrix.rows,
        cfg.matrix.cols
    );
    println!(
        "  program: {} instructions; DRAM {} bytes at {bw} bytes/cycle, read latency {} cycles",
        p.program.len(),
        dram.len(),
        args.read_latency
    );
    let model = build_chip(&cfg).context("building the chip's simulation")?;
    let started = std::time::Instant::now();
    let result = check_program(
        &model,
        &cfg,
        &dram,
        &launch,
        memory_timing(&args, bw, seed),
        XInit::Random(seed as u32),
    );
    let secs = started.elapsed().as_secs_f64();
    let Some(rtl) = settle(result)? else {
        return Ok(ExitCode::from(1));
    };
    if !rtl.status.done {
        println!("  the chip stopped with {:?}", rtl.status);
        return Ok(ExitCode::from(1));
    }
    if p.result(&rtl.dram) != gemm(&a, &w) {
        println!("  MISMATCH: C in DRAM differs from A x W");
        return Ok(ExitCode::from(1));
    }
    let macs = (m * k * n) as f64;
    let peak = (cfg.matrix.rows * cfg.matrix.cols) as f64;
    let cycles = rtl.cycles as f64;
    println!("  result: matches the model (DRAM image, STATUS, counters) and A x W");
    println!("  cycles: {}", rtl.cycles);
    println!(
        "  MACs: {} useful ({} performed by the array, edges padded)",
        m * k * n,
        rtl.counters.macs
    );
    println!("  MACs per cycle: {:.2} of {peak}", macs / cycles);
    println!("  utilisation: {:.1}%", 100.0 * macs / (peak * cycles));
    for (name, v) in &rtl.perf {
        println!("    {:<16} {v}", name.to_ascii_lowercase());
    }
    println!(
        "  simulated {} cycles in {secs:.2} s ({:.0} cycles/s)",
        rtl.cycles,
        cycles / secs
    );
    Ok(ExitCode::SUCCESS)
}

/// The GEMM split over a multi-tile chip's tiles (a grid of blocks of C, `gemm::plan_tiles`),
/// each tile running its own program; checked against the model tile by tile and A x W.
fn run_tiles(
    args: &RunArgs,
    cfg: &seedchip_hdl::chip::Config,
    (m, k, n): (usize, usize, usize),
    bw: f64,
    seed: u64,
) -> Result<ExitCode> {
    let tiles = cfg.tiles.x * cfg.tiles.y;
    let p = plan_tiles(cfg, m, k, n).with_context(|| format!("tiling the {m}x{k}x{n} GEMM"))?;
    let (a, w) = (
        random_matrix(m, k, seed),
        random_matrix(k, n, seed ^ 0x5a5a),
    );
    let (dram, launches) = p.dram(&a, &w);
    println!(
        "seedchip run: {m}x{k}x{n} GEMM on {} ({}x{} tiles of a {}x{} array), seed {seed}",
        args.config.describe(),
        cfg.tiles.x,
        cfg.tiles.y,
        cfg.matrix.rows,
        cfg.matrix.cols
    );
    println!(
        "  split over {} of {tiles} tiles ({}); DRAM {} bytes at {bw} bytes/cycle, read latency {} cycles",
        p.tiles.len(),
        p.tiles
            .iter()
            .map(|(t, _, _, _)| format!("{}x{} of C, {} instructions", t.tiling.m, t.tiling.n, t.program.len()))
            .collect::<Vec<_>>()
            .join("; "),
        dram.len(),
        args.read_latency
    );
    let model = build_chip(cfg).context("building the chip's simulation")?;
    let started = std::time::Instant::now();
    let result = check_tiles(
        &model,
        cfg,
        &dram,
        &launches,
        memory_timing(args, bw, seed),
        XInit::Random(seed as u32),
    );
    let secs = started.elapsed().as_secs_f64();
    let Some(rtl) = settle(result)? else {
        return Ok(ExitCode::from(1));
    };
    if let Some((t, r)) = rtl.tiles.iter().enumerate().find(|(_, r)| !r.status.done) {
        println!("  tile {t} stopped with {:?}", r.status);
        return Ok(ExitCode::from(1));
    }
    if p.result(&rtl.dram) != gemm(&a, &w) {
        println!("  MISMATCH: C in DRAM differs from A x W");
        return Ok(ExitCode::from(1));
    }
    let macs = (m * k * n) as f64;
    let peak = (cfg.matrix.rows * cfg.matrix.cols * tiles) as f64;
    let cycles = rtl.cycles as f64;
    println!(
        "  result: matches the model (DRAM image, every tile's STATUS and counters) and A x W"
    );
    println!(
        "  cycles: {} (first START to the last tile's end)",
        rtl.cycles
    );
    for (t, r) in rtl.tiles.iter().enumerate() {
        let perf: Vec<String> = r
            .perf
            .iter()
            .filter(|(n, _)| n.ends_with("_BUSY") || n.ends_with("_STALL"))
            .map(|(n, v)| format!("{} {v}", n.to_ascii_lowercase()))
            .collect();
        println!(
            "    tile {t}: {} cycles, {} MACs, {} bytes read, {} written; {}",
            r.cycles,
            r.counters.macs,
            r.counters.dram_read_bytes,
            r.counters.dram_write_bytes,
            perf.join(", ")
        );
    }
    println!(
        "  MACs per cycle: {:.2} of {peak} (all tiles)",
        macs / cycles
    );
    println!("  utilisation: {:.1}%", 100.0 * macs / (peak * cycles));
    println!(
        "  simulated {} cycles in {secs:.2} s ({:.0} cycles/s)",
        rtl.cycles,
        cycles / secs
    );
    Ok(ExitCode::SUCCESS)
}

/// The DRAM the run's options describe.
fn memory_timing(args: &RunArgs, bw: f64, seed: u64) -> MemoryTiming {
    MemoryTiming {
        read_latency: args.read_latency,
        write_latency: 4,
        bytes_per_cycle: bw,
        stall: args.stall,
        seed,
    }
}

/// A checked run's result; `None` after printing a mismatch with the model (exit 1).
fn settle<T>(result: Result<T, ChipError>) -> Result<Option<T>> {
    match result {
        Ok(r) => Ok(Some(r)),
        Err(ChipError::Mismatch(what)) => {
            println!("  MISMATCH: {what}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
