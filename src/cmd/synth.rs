//! `seedchip synth`: synthesis, area, timing and FPGA place-and-route for a configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use seedchip::flow::{self, SynthOptions, Target};

use crate::ConfigArg;

#[derive(Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// What to synthesise for.
    #[arg(long, short, value_enum)]
    pub target: Target,
    /// Output directory: RTL, rendered scripts, logs, netlist, report.json, summary.txt.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Clock period in ns (default 5 for sky130/generic, 20 for FPGAs).
    #[arg(long, value_name = "T")]
    pub clock_ns: Option<f64>,
    /// sky130 Liberty file (else $SEEDCHIP_LIBERTY, $PDK_ROOT, ../shared/pdk).
    #[arg(long, value_name = "FILE")]
    pub liberty: Option<PathBuf>,
    /// FPGA device: up5k or hx8k (ice40); 25k, 45k or 85k (ecp5). Default: the first that fits.
    #[arg(long)]
    pub device: Option<String>,
}

pub fn run(args: SynthArgs) -> Result<ExitCode> {
    if let Some(t) = args.clock_ns {
        if !(t.is_finite() && t > 0.0 && t <= 1e6) {
            anyhow::bail!("--clock-ns {t} is not a clock period; give a positive number of ns");
        }
    }
    let cfg = args.config.load()?;
    let opts = SynthOptions {
        target: args.target,
        out: args.out.clone(),
        clock_ns: args.clock_ns,
        liberty: args.liberty,
        device: args.device,
    };
    let report =
        flow::synth(&cfg, &opts).with_context(|| format!("{} flow", args.target.name()))?;
    print!("{}", flow::summary(&report));
    println!("  report: {}", args.out.join("report.json").display());
    Ok(ExitCode::SUCCESS)
}
