//! `seedchip`: generate, verify and synthesise the seedchip accelerator.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cmd;
mod report;

/// seedchip: an open AI inference accelerator generator.
///
/// Rust describes the chip (a weight-stationary int8 systolic matrix engine today); seedchip
/// emits Verilog for Yosys, sky130 and FPGA flows, and proves the RTL bit-exact against a Rust
/// reference model with randomized equivalence checking under Verilator.
#[derive(Parser)]
#[command(name = "seedchip", version, propagate_version = true)]
#[command(
    after_help = "Start with `seedchip generate --out out/` (the built-in 16x16 configuration), \
then `seedchip verify`. A configuration file is TOML (or JSON), for example:\n\n  [matrix]\n  rows = 8\n  cols = 8\n\nExit status: 0 success; 1 a difference or failure found (verification case, equivalence run, formal counterexample); 3 inconclusive (equiv --formal, or a difference only Verilator sees); 2 bad usage or a tool error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The configuration to build; the built-in default without `--config`.
#[derive(Args, Clone)]
pub struct ConfigArg {
    /// Configuration file (TOML, or JSON if it ends in .json). Missing sections take defaults.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Write the chip's Verilog: one file per module plus `files.f`.
    #[command(
        after_help = "Every module goes to <DIR>/<module>.v; files.f lists them sub-modules first, \
relative to DIR (use `verilator -F DIR/files.f`, or run tools inside DIR). Regenerating the same \
configuration gives byte-identical files."
    )]
    Generate(cmd::generate::GenerateArgs),
    /// Prove the RTL equal to the reference model on random cases (Verilator).
    #[command(
        after_help = "Each case is a whole GEMM with random shape (M, K, N), int8 values (extremes weighted), handshake stall patterns and random initial register state. A failure is shrunk to a minimal case, printed, and saved for --replay. The last line is `N passed, M failed`; the exit status is non-zero on any failure."
    )]
    Verify(cmd::verify::VerifyArgs),
    /// Synthesise for generic gates, sky130 (area, OpenSTA timing) or an FPGA (nextpnr).
    #[command(
        after_help = "sky130 reports area per module and unit (the SRAM apart), the critical path and Fmax from OpenSTA, and writes OpenLane files; FPGA targets place and route the engine inside a pin-light shell and report utilisation and Fmax. Every target writes report.json and summary.txt."
    )]
    Synth(cmd::synth::SynthArgs),
    /// Compare two designs: randomized simulation with shrinking and waveforms, or --formal.
    #[command(
        after_help = "Both designs start from the same state, get the same reset and the same constrained-random inputs; every output is compared every cycle after reset. A run is one random stimulus of --cycles cycles (run i uses seed + i); the last line is `N passed, M failed` counting runs. On a difference: the cycle, port and both values, a shrunk minimal stimulus (saved for --replay), VCDs of both designs, and Icarus Verilog's second opinion on the minimal stimulus. An X the gold design assigns is a don't-care unless --strict-x.\n\nExit status: 0 equivalent (every run passed, or proven); 1 a difference (a failed run, or a formal counterexample); 3 inconclusive (--formal found neither, or Icarus sees no difference where Verilator does: a simulator disagreement); 2 bad usage or a tool error."
    )]
    Equiv(Box<cmd::equiv::EquivArgs>),
    /// Write the PPA table (sky130 area and Fmax, FPGA utilisation and Fmax) to docs/ppa.md.
    Ppa(cmd::ppa::PpaArgs),
    /// Run a random GEMM on the Verilated chip, check it against the model, print cycles and utilisation.
    #[command(
        after_help = "The GEMM is tiled by seedchip's GEMM library into a double-buffered program, A and W are random int8 (--seed), the chip runs it from a simulated DRAM (--dram-bytes-per-cycle, --read-latency, --stall) and the DRAM image, STATUS and counters are compared with the reference model. Utilisation = M*K*N / (rows * cols * cycles). Exit status: 0 match; 1 a difference; 2 bad usage or a tool error."
    )]
    Run(cmd::run::RunArgs),
    /// Print performance figures: generation time, Verilator cycles/s, model and verification throughput.
    Bench(cmd::bench::BenchArgs),
    /// The main job (`make demo`): generate, lint, run the digits network and a GEMM on the RTL, synthesise for sky130, write report.html, print a summary.
    #[command(
        after_help = "Writes build/<config>/ (build/default for the built-in configuration): the Verilog, files.f, seedchip.h, digits.json, sky130/, ppa/, report.html, summary.txt and logs/. Run from the repository's top directory with the Python module built (`make python`). Exit status: 0 the network's RTL run is bit-exact; 1 it is not; 2 a step failed."
    )]
    Demo(cmd::demo::DemoArgs),
    /// Write build/<config>/report.html: utilisation per layer, area per unit, cycle breakdown per unit, PPA across array sizes.
    #[command(
        after_help = "Reads what the demo measured in the build directory (digits.json, sky130/report.json; each optional) and measures the rest: a GEMM on the Verilated chip and, unless --no-ppa, the engine's sky130 area and Fmax at --sizes (synthesis reused while the RTL is unchanged)."
    )]
    Report(cmd::report::ReportArgs),
    /// The chip on an FPGA board: `build` a bitstream (iCEBreaker, ULX3S), `run` a GEMM over the UART host link (or `--sim`).
    #[command(
        after_help = "The board top holds the chip, a device memory behind its AXI4 master and a UART host bridge (docs/fpga.md: the framed protocol). `run --sim` drives the Verilated board core bit by bit through its UART pins with the same host code as a real port. Exit status: 0 success (build: the design meets its clock; run: the board matches the model); 1 not; 2 bad usage or a tool error."
    )]
    Fpga(cmd::fpga::FpgaArgs),
}

/// A closed stdout (`seedchip generate ... | head -1`) ends the command quietly, as it ends
/// any Unix tool: Rust ignores SIGPIPE by default, which turns the next `println!` into a
/// panic, so restore the default disposition.
fn quiet_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(a) => cmd::generate::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Bench(a) => cmd::bench::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Synth(a) => cmd::synth::run(a),
        Command::Ppa(a) => cmd::ppa::run(a),
        Command::Equiv(a) => cmd::equiv::run(*a),
        Command::Demo(a) => cmd::demo::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Fpga(a) => cmd::fpga::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
