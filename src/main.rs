//! `seedchip`: generate, verify and synthesise the seedchip accelerator.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cmd;

/// seedchip: an open AI inference accelerator generator.
///
/// Rust describes the chip (a weight-stationary int8 systolic matrix engine today); seedchip
/// emits Verilog for Yosys, sky130 and FPGA flows, and proves the RTL bit-exact against a Rust
/// reference model with randomized equivalence checking under Verilator.
#[derive(Parser)]
#[command(name = "seedchip", version, propagate_version = true)]
#[command(
    after_help = "Start with `seedchip generate --out out/` (the built-in 16x16 configuration), \
then `seedchip verify`. A configuration file is TOML (or JSON), for example:\n\n  [matrix]\n  rows = 8\n  cols = 8"
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(a) => cmd::generate::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
