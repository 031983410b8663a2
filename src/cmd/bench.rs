//! `seedchip bench`: performance figures of the generator, the simulator and the model.
//! Figures are measured on this machine each run; nothing here is asserted.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_hdl::chip::{generate_engine, Config, EngineShape};
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{build_chip, run_program};
use seedchip_verif::gemm::plan;
use seedchip_verif::harness::{EngineHarness, StallPattern};
use seedchip_verif::model::{gemm, Matrix};
use seedchip_verif::verify::{self, CaseSpace, ModelCache};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, XInit};

#[derive(Args)]
pub struct BenchArgs {
    /// Engine (and chip) sizes to simulate (RxC), comma-separated.
    #[arg(long, default_value = "4x4,16x16", value_delimiter = ',')]
    pub engines: Vec<String>,
    /// Randomized verification cases for the cases/s figure (4x4 engine).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub cases: u64,
    /// Only these sections (comma-separated); all when omitted.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Section>,
}

/// A part of the benchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// Rust -> Verilog generation time.
    Generation,
    /// The matrix engine under Verilator.
    Engine,
    /// The whole chip under Verilator.
    Chip,
    /// The reference model.
    Model,
    /// Randomized verification throughput.
    Verify,
    /// Crossbar and mesh throughput and latency.
    Interconnect,
}

fn parse_shape(s: &str) -> Result<(u32, u32)> {
    let (r, c) = s
        .split_once('x')
        .with_context(|| format!("`{s}` is not an engine size like 16x16"))?;
    let cfg = Config::with_matrix(r.trim().parse()?, c.trim().parse()?)?;
    Ok((cfg.matrix.rows, cfg.matrix.cols))
}

/// A deterministic int8 matrix: element `i` (row-major) is `i * step mod 256`.
fn pattern_matrix(rows: usize, cols: usize, step: usize) -> Matrix<i8> {
    Matrix::from_vec(
        rows,
        cols,
        (0..rows * cols)
            .map(|i| (i * step % 256) as u8 as i8)
            .collect(),
    )
}

/// Steady-state utilisation of the engine running groups of `m` rows back to back, each
/// with its own weight tile, producers always valid and results always taken: MACs over
/// R x C x cycles, from the difference between a short and a long run (so the pipeline's
/// fill and drain cancel out).
fn group_utilisation(model: &std::sync::Arc<Model>, shape: EngineShape, m: usize) -> Result<f64> {
    let (r, c) = (shape.rows as usize, shape.cols as usize);
    let runs = [8, 24]; // groups (tiles) per run
    let mut cycles = Vec::new();
    for tiles in runs {
        let a = pattern_matrix(m, tiles * r, 29);
        let w = pattern_matrix(tiles * r, c, 11);
        let mut h = EngineHarness::new(model, shape, XInit::Zeros)?;
        cycles.push(h.gemm(&a, &w, &StallPattern::default())?.cycles);
    }
    Ok(((runs[1] - runs[0]) * m) as f64 / (cycles[1] - cycles[0]) as f64)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

pub fn run(args: BenchArgs) -> Result<ExitCode> {
    let shapes: Vec<(u32, u32)> = args
        .engines
        .iter()
        .map(|s| parse_shape(s))
        .collect::<Result<_>>()?;
    let want = |s: Section| args.only.is_empty() || args.only.contains(&s);
    println!("seedchip bench (figures from this machine, this run)\n");
    if want(Section::Generation) {
        generation()?;
    }
    if want(Section::Engine) {
        engine(&shapes)?;
    }
    if want(Section::Chip) {
        chip(&shapes)?;
    }
    if want(Section::Model) {
        model();
    }
    if want(Section::Verify) {
        verification(args.cases)?;
    }
    if want(Section::Interconnect) {
        interconnect()?;
    }
    Ok(ExitCode::SUCCESS)
}

fn generation() -> Result<()> {
    println!("generation (Rust -> Verilog text, not written):");
    for (r, c) in [(16, 16), (128, 128)] {
        let cfg = Config::with_matrix(r, c)?;
        let (design, secs) = timed(|| generate_engine(&cfg));
        let bytes: usize = design?.files().iter().map(|f| f.text.len()).sum();
        println!(
            "  {r:>3}x{c:<3} {:>8.3} s  {:>6.1} MB of Verilog",
            secs,
            bytes as f64 / 1e6
        );
    }

    Ok(())
}

fn engine(shapes: &[(u32, u32)]) -> Result<()> {
    println!("\nVerilator simulation of the matrix engine:");
    for &(r, c) in shapes {
        let cfg = Config::with_matrix(r, c)?;
        let design = generate_engine(&cfg)?;
        let (model, build) = timed(|| {
            Model::build(
                &sources_of(&design),
                design.top().name(),
                &BuildOptions::default(),
            )
        });
        let model = model?;
        // Raw clocking: step() with inputs held.
        let mut sim = model.sim(XInit::Zeros)?;
        sim.reset(2)?;
        let steps = 200_000 / (r as u64 * c as u64 / 16).max(1);
        let (stepped, secs) = timed(|| sim.steps(steps));
        stepped?;
        let raw = steps as f64 / secs;
        // Through the harness: a long GEMM with full handshaking and per-row checking.
        let shape = EngineShape::new(&cfg.matrix);
        let (m, k, n) = (512, 2 * r as usize, c as usize);
        let a = pattern_matrix(m, k, 31);
        let w = pattern_matrix(k, n, 17);
        let mut h = EngineHarness::new(&model, shape, XInit::Zeros)?;
        let (run, secs) = timed(|| h.gemm(&a, &w, &StallPattern::default()));
        let run = run?;
        println!(
            "  {r:>3}x{c:<3} build {build:>6.2} s (0 when cached) | step(): {:>10.0} cycles/s | harness GEMM: {:>9.0} cycles/s, {:>7.1} M simulated MACs/s, {} cycles for {} rows",
            raw,
            run.cycles as f64 / secs,
            run.macs as f64 / secs / 1e6,
            run.cycles,
            run.act_rows
        );
        let utils = [1usize, 4, 16, 64]
            .iter()
            .map(|&m| {
                Ok(format!(
                    "M={m} {:.1}%",
                    100.0 * group_utilisation(&model, shape, m)?
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        println!(
            "          back-to-back groups of M rows, steady state: {}",
            utils.join(", ")
        );
    }

    Ok(())
}

fn chip(shapes: &[(u32, u32)]) -> Result<()> {
    println!("\nVerilator simulation of the whole chip (default memories, 128-bit AXI):");
    for &(r, c) in shapes {
        let cfg = Config::with_matrix(r, c)?;
        let (model, build) = timed(|| build_chip(&cfg));
        let model = model?;
        let mut sim = model.sim(XInit::Zeros)?;
        sim.reset(2)?;
        let steps = 400_000 / (r as u64 * c as u64 / 16).max(1);
        let (stepped, secs) = timed(|| sim.steps(steps));
        stepped?;
        let raw = steps as f64 / secs;
        // A GEMM from DRAM: the program, the DMA, the AXI memory model and checker all run.
        let size = (8 * r.max(c) as usize).max(64);
        let p = plan(&cfg, size, size, size)?;
        let a = pattern_matrix(size, size, 31);
        let w = pattern_matrix(size, size, 17);
        let (dram, launch) = p.dram(&a, &w);
        let timing = MemoryTiming {
            read_latency: 20,
            ..MemoryTiming::default()
        };
        let (run, secs) = timed(|| run_program(&model, &cfg, dram, &launch, timing, XInit::Zeros));
        let run = run?;
        if p.result(&run.dram) != gemm(&a, &w) {
            anyhow::bail!("the {r}x{c} chip computed a wrong GEMM in the benchmark");
        }
        println!(
            "  {r:>3}x{c:<3} build {build:>6.2} s (0 when cached) | step(): {raw:>10.0} cycles/s | GEMM {size}^3 from DRAM: {:>9.0} cycles/s ({} cycles, {:.1}% utilisation)",
            run.cycles as f64 / secs,
            run.cycles,
            100.0 * (size * size * size) as f64 / (r as f64 * c as f64 * run.cycles as f64)
        );
    }

    Ok(())
}

fn model() {
    println!("\nreference model:");
    let n = 256;
    let a = pattern_matrix(n, n, 13);
    let w = pattern_matrix(n, n, 7);
    let (_, secs) = timed(|| gemm(&a, &w));
    println!(
        "  int8 GEMM {n}x{n}x{n}: {:.3} s, {:.0} M MACs/s",
        secs,
        (n * n * n) as f64 / secs / 1e6
    );
}

fn verification(cases: u64) -> Result<()> {
    println!("\nrandomized verification (4x4 engine, random shapes, data, stalls, initial state):");
    let mut models = ModelCache::default();
    let engine = Config::with_matrix(4, 4)?.matrix;
    models.model(&engine)?;
    let space = CaseSpace {
        engine: Some(engine),
        ..CaseSpace::default()
    };
    let (report, secs) = timed(|| verify::run(&mut models, &space, cases, 1, |_, _| {}));
    let report = report?;
    println!(
        "  {} cases in {:.2} s: {:.0} cases/s, {:.0} simulated cycles/s ({} passed, {} failed)",
        cases,
        secs,
        cases as f64 / secs,
        report.cycles as f64 / secs,
        report.passed,
        report.failed
    );
    Ok(())
}

/// Crossbar (its cycle model, which `verif/tests/crossbar.rs` proves equal to the RTL) and
/// mesh (the Verilated RTL) under three traffic patterns.
fn interconnect() -> Result<()> {
    use seedchip_hdl::chip::mesh::MeshSpec;
    use seedchip_hdl::hw::CrossbarSpec;
    use seedchip_verif::crossbar::{measure, Traffic};
    use seedchip_verif::mesh::{saturation, throughput_limit, MeshRun, Pattern};

    let xbar = CrossbarSpec {
        requesters: 4,
        banks: 4,
        addr_bits: 10,
        wdata_bits: 32,
        rdata_bits: 32,
        reservable: false,
    };
    println!(
        "\ninterconnect: crossbar {}x{} (cycle model, proven equal to the RTL), every requester \
         always asking (saturated) and at half load; limit = min(N, M) grants/cycle (hotspot: \
         bank 0's share):",
        xbar.requesters, xbar.banks
    );
    for t in [Traffic::Uniform, Traffic::Transpose, Traffic::Hotspot] {
        let sat = measure(xbar, t, 1.0, 200_000, 7);
        let half = measure(xbar, t, 0.5, 200_000, 7);
        println!(
            "  {:<30} saturated {:.2} grants/cycle = {:>5.1}% of {:.2}, wait mean {:.2} max {} cycles | half load: wait mean {:.2} max {}",
            t.name(),
            sat.grants_per_cycle,
            100.0 * sat.grants_per_cycle / sat.limit,
            sat.limit,
            sat.mean_wait,
            sat.max_wait,
            half.mean_wait,
            half.max_wait
        );
    }

    let spec = MeshSpec {
        x: 4,
        y: 4,
        flit_bits: 64,
        depth: 4,
    };
    let model = mesh_model(&spec)?;
    // One flit a packet: the chip's own traffic with `flit_bits` unset (a whole AXI beat or
    // request a flit); the table below has longer packets.
    let flits = 1;
    println!(
        "\ninterconnect: {}x{} mesh (Verilated RTL), {}-bit flits, {}-flit buffers, {flits}-flit \
         packets; limit = 1 / the heaviest channel's load (XY routes, injection and ejection \
         channels at a flit a cycle); offered and accepted in flits/node/cycle over 4,000 cycles:",
        spec.x, spec.y, spec.flit_bits, spec.depth
    );
    for pattern in [Pattern::Uniform, Pattern::Transpose, Pattern::Hotspot] {
        let limit = throughput_limit(&spec, pattern);
        let mut run = MeshRun::new(spec, &model, 3).map_err(anyhow::Error::msg)?;
        let sweep = saturation(&mut run, pattern, flits, limit, 4_000)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("the mesh under {} traffic", pattern.name()))?;
        println!(
            "  {:<24} limit {:.3}: saturation throughput {:.3} = {:.1}% of the limit\n    offered -> accepted (mean latency): {}",
            pattern.name(),
            limit,
            sweep.saturation,
            100.0 * sweep.saturation / limit,
            sweep
                .points
                .iter()
                .map(|s| format!("{:.2} -> {:.2} ({:.0} cyc)", s.offered, s.accepted, s.mean_latency))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!("  uniform random, saturation against queue depth and packet length:");
    for depth in [4, 8, 16] {
        let spec = MeshSpec { depth, ..spec };
        let model = mesh_model(&spec)?;
        let limit = throughput_limit(&spec, Pattern::Uniform);
        let mut cells = Vec::new();
        for flits in [1, 2, 4] {
            let mut run = MeshRun::new(spec, &model, 3).map_err(anyhow::Error::msg)?;
            let sweep = saturation(&mut run, Pattern::Uniform, flits, limit, 4_000)
                .map_err(anyhow::Error::msg)?;
            cells.push(format!(
                "{flits}-flit packets {:.1}%",
                100.0 * sweep.saturation / limit
            ));
        }
        println!("    {depth}-flit queues: {}", cells.join(", "));
    }
    multi_tile_scaling()
}

/// The Verilated mesh of `spec`.
fn mesh_model(spec: &seedchip_hdl::chip::mesh::MeshSpec) -> Result<std::sync::Arc<Model>> {
    let design = seedchip_hdl::hw::Design::new(seedchip_hdl::chip::mesh::mesh(spec)?)?;
    Ok(Model::build(
        &sources_of(&design),
        design.top().name(),
        &BuildOptions::default(),
    )?)
}

/// The same GEMM on 1, 2 and 4 tiles of the same array (the Verilated chips, checked against
/// the model), at a stated DRAM bandwidth and latency: the bus's width a cycle, as
/// `seedchip run` assumes.
fn multi_tile_scaling() -> Result<()> {
    use seedchip_verif::chip_harness::cached_chip;
    use seedchip_verif::gemm::check_on_chip;
    let (m, k, n) = (128, 128, 128);
    let bus_bits = 256;
    let timing = MemoryTiming {
        read_latency: 20,
        bytes_per_cycle: bus_bits as f64 / 8.0,
        ..MemoryTiming::default()
    };
    println!(
        "\nmulti-tile GEMM scaling: {m}x{k}x{n}, {bus_bits}-bit DRAM port at {} bytes/cycle, read \
         latency {} cycles (the Verilated chips, checked against the model); DRAM = bytes read \
         and written per cycle against the port's {}:",
        timing.bytes_per_cycle, timing.read_latency, timing.bytes_per_cycle
    );
    for (array, tilings) in [
        (4, &[(1, 1), (2, 1), (2, 2)][..]),
        (8, &[(1, 1), (2, 2)][..]),
        (16, &[(1, 1), (2, 2)][..]),
    ] {
        let mut single = None;
        for &(x, y) in tilings {
            let cfg = Config::from_toml(
                &format!(
                    "[matrix]\nrows = {array}\ncols = {array}\n[bus]\ndata_bits = {bus_bits}\n\
                     [tiles]\nx = {x}\ny = {y}\n"
                ),
                "bench",
            )?;
            let model = cached_chip(&cfg)?;
            let a = pattern_matrix(m, k, 31);
            let w = pattern_matrix(k, n, 17);
            let g = check_on_chip(&model, &cfg, &a, &w, timing.clone(), XInit::Zeros)?;
            let (cycles, c) = (g.cycles, g.c);
            let moved = g.counters.dram_read_bytes + g.counters.dram_write_bytes;
            if c != gemm(&a, &w) {
                anyhow::bail!("the {x}x{y}-tile chip computed a wrong GEMM in the benchmark");
            }
            let base = *single.get_or_insert(cycles);
            let macs = (m * k * n) as f64;
            let peak = (array * array * x * y) as f64;
            println!(
                "  {array}x{array} array, {x}x{y} tiles: {cycles:>7} cycles, {:.2}x the single tile, \
                 {:.1}% of peak MACs, DRAM {:.1} bytes/cycle ({:.0}% of the port)",
                base as f64 / cycles as f64,
                100.0 * macs / (peak * cycles as f64),
                moved as f64 / cycles as f64,
                100.0 * moved as f64 / (cycles as f64 * timing.bytes_per_cycle)
            );
        }
    }
    Ok(())
}
