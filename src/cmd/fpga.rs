//! `seedchip fpga build|run`: the chip on an FPGA board with a UART host link.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use seedchip_hdl::board::boards::Board;
use seedchip_verif::board::{check_netlist, run_gemm, BoardError, Host, SerialLink, SimLink};
use seedchip_verif::noise::XorShift64;

use crate::ConfigArg;

#[derive(Args)]
pub struct FpgaArgs {
    #[command(subcommand)]
    pub command: FpgaCommand,
}

#[derive(Subcommand)]
pub enum FpgaCommand {
    /// Generate, synthesise, place, route and pack a board's bitstream; report utilisation
    /// and Fmax against the chip's clock.
    Build(BuildArgs),
    /// Run a GEMM on a board (or its simulation) over the UART, checked against the model.
    Run(RunArgs),
}

#[derive(Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The board: icebreaker or ulx3s.
    #[arg(long)]
    pub board: Board,
    /// Output directory (default out/fpga-<board>).
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The board: icebreaker or ulx3s.
    #[arg(long)]
    pub board: Board,
    /// The board's serial port (e.g. /dev/ttyUSB1).
    #[arg(
        long,
        value_name = "DEV",
        conflicts_with = "sim",
        required_unless_present = "sim"
    )]
    pub port: Option<String>,
    /// Simulate the board instead: the Verilated board core, driven through its UART pins.
    #[arg(long)]
    pub sim: bool,
    /// With --sim: the gate-level check. Synthesise the board top for its FPGA (as `fpga
    /// build` does) and run the GEMM on the top's RTL and on the mapped netlist, simulated
    /// with the Yosys build's cell models; both must match the model and each other.
    #[arg(long, requires = "sim")]
    pub netlist: bool,
    /// With --netlist: where the synthesis and cell models go (default out/fpga-<board>-netlist).
    #[arg(long, short, value_name = "DIR", requires = "netlist")]
    pub out: Option<PathBuf>,
    /// The GEMM: M x K (activations) times K x N (weights), for example `32x32x32`.
    #[arg(long, value_name = "MxKxN")]
    pub gemm: String,
    /// Seed of the random matrices (random and printed when omitted).
    #[arg(long)]
    pub seed: Option<u64>,
}

pub fn run(args: FpgaArgs) -> Result<ExitCode> {
    match args.command {
        FpgaCommand::Build(a) => build(a),
        FpgaCommand::Run(a) => run_gemm_cmd(a),
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let info = args.board.info();
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from(format!("out/fpga-{}", info.name)));
    println!(
        "seedchip fpga build: {} on {} ({} {}) into {}",
        args.config.describe(),
        info.name,
        info.device,
        info.package,
        out.display()
    );
    let started = Instant::now();
    let r = seedchip_eda::flow::board::build(&cfg, args.board, &out)
        .with_context(|| format!("the {} build", info.name))?;
    print!("{}", seedchip_eda::flow::board::summary(&r));
    println!(
        "  report: {} ({:.0} s)",
        out.join("report.json").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(if r.meets_clock {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_gemm_cmd(args: RunArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let (m, k, n) = super::run::parse_shape(&args.gemm)?;
    let seed = args.seed.unwrap_or_else(super::clock_seed);
    let board = args.board;
    let mut spec = board.core_spec(&cfg);
    let (_, clock_hz) = board.pll(spec.clock_hz).map_err(anyhow::Error::msg)?;
    spec.clock_hz = clock_hz;
    let mut rng = XorShift64::new(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let (a, w) = (rng.matrix(m, k), rng.matrix(k, n));
    println!(
        "seedchip fpga run: {m}x{k}x{n} GEMM on {} ({}), seed {seed}, UART {} baud",
        board.info().name,
        match (args.netlist, args.sim) {
            (true, _) => "simulated RTL and netlist",
            (_, true) => "simulated",
            _ => "board",
        },
        spec.baud
    );
    let started = Instant::now();
    let result = if args.netlist {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("out/fpga-{}-netlist", board.info().name)));
        let check = check_netlist(&cfg, board, &out, &a, &w, &mut |step| {
            println!("  [{:>5.0} s] {step}", started.elapsed().as_secs_f64())
        });
        check.map(|c| {
            let cells: u64 = c.synthesis.cells.values().sum();
            println!(
                "  netlist: {} ({cells} cells) equals the RTL: same STATUS, counters, CYCLES and C, both in {} board cycles ({:.1} s)",
                c.synthesis.netlist.display(),
                c.netlist.1,
                started.elapsed().as_secs_f64()
            );
            c.netlist.0
        })
    } else if args.sim {
        let link = SimLink::new(&cfg, &spec).context("building the board's simulation")?;
        let mut host = Host::new(link);
        let r = run_gemm(&mut host, &cfg, &a, &w);
        println!(
            "  simulated {} board cycles ({:.1} s)",
            host.link.cycle,
            started.elapsed().as_secs_f64()
        );
        r
    } else {
        let port = args
            .port
            .clone()
            .expect("clap requires --port without --sim");
        let link = SerialLink::open(&port, spec.baud)?;
        run_gemm(&mut Host::new(link), &cfg, &a, &w)
    };
    let g = match result {
        Ok(g) => g,
        Err(BoardError::Mismatch(m)) => {
            println!("  MISMATCH: {m}");
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    if g.c != seedchip_verif::model::gemm(&a, &w) {
        println!("  MISMATCH: C differs from A x W");
        return Ok(ExitCode::FAILURE);
    }
    let peak = (cfg.matrix.rows * cfg.matrix.cols) as f64;
    let macs = (m * k * n) as f64;
    println!("  result: matches the model (STATUS, counters, C) and A x W");
    println!("  cycles: {} (the chip's CYCLES counter)", g.run.cycles);
    println!(
        "  utilisation: {:.1}% of {peak} MACs/cycle; {:.1} us at {:.3} MHz",
        100.0 * macs / (peak * g.run.cycles as f64),
        g.run.cycles as f64 / (clock_hz as f64 / 1e6),
        clock_hz as f64 / 1e6
    );
    println!(
        "  counters: {} instructions, {} MACs, {} bytes read, {} written",
        g.run.counters.instructions,
        g.run.counters.macs,
        g.run.counters.dram_read_bytes,
        g.run.counters.dram_write_bytes
    );
    Ok(ExitCode::SUCCESS)
}
