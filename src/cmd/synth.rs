//! `seedchip synth`: synthesis, area, timing and FPGA place-and-route for a configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_eda::flow::{self, SynthOptions, Target};
use seedchip_hdl::chip::Top;
use seedchip_verif::compare::Constraints;

use crate::ConfigArg;

#[derive(Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// What to synthesise for.
    #[arg(long, short, value_name = "generic|sky130|ice40|ecp5")]
    pub target: Target,
    /// The design: `chip` (the whole accelerator; default for generic and sky130), `engine`
    /// (the matrix engine alone; what the FPGA targets measure), `crossbar` (the
    /// interconnect's crossbar, 4 requesters x 4 banks, 32-bit) or `router` (one mesh router
    /// for `[interconnect]` and `[tiles]`).
    #[arg(long, value_name = "chip|engine|crossbar|router")]
    pub top: Option<Top>,
    /// Output directory: RTL, rendered scripts, logs, netlist, report.json, summary.txt.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Clock period in ns (default 5 for sky130/generic, 20 for FPGAs).
    #[arg(long, value_name = "T")]
    pub clock_ns: Option<f64>,
    /// sky130 Liberty file (else $SEEDCHIP_LIBERTY, $PDK_ROOT, then the vendored copy).
    #[arg(long, value_name = "FILE")]
    pub liberty: Option<PathBuf>,
    /// FPGA device: up5k or hx8k (ice40); 25k, 45k or 85k (ecp5). Default: the first that fits.
    #[arg(long)]
    pub device: Option<String>,
    /// Then prove the netlist equal to the RTL by randomized simulation (`seedchip equiv`,
    /// the engine's handshake rules as constraints). generic and sky130 only.
    #[arg(long)]
    pub check_equiv: bool,
    /// --check-equiv: runs and cycles per run.
    #[arg(long, default_value_t = 4, requires = "check_equiv", value_parser = clap::value_parser!(u64).range(1..))]
    pub equiv_runs: u64,
    #[arg(long, default_value_t = 2000, requires = "check_equiv", value_parser = clap::value_parser!(u64).range(1..))]
    pub equiv_cycles: u64,
    /// sky130: also measure switching activity by simulating the netlist on a random int8
    /// GEMM (checked against the model) and report power from it, beside the flat 10% figure.
    #[arg(long)]
    pub activity: bool,
}

pub fn run(args: SynthArgs) -> Result<ExitCode> {
    if args.check_equiv && !matches!(args.target, Target::Generic | Target::Sky130) {
        anyhow::bail!("--check-equiv works on the generic and sky130 netlists; the FPGA netlists wrap the engine in a measurement shell");
    }
    if let Some(top) = args.top.filter(|t| *t != Top::Engine) {
        if matches!(args.target, Target::Ice40 | Target::Ecp5) {
            anyhow::bail!("--top {top}: the {} flow measures the matrix engine (in its FPGA measurement shell); use --top engine", args.target.name());
        }
    }
    if let Some(t) = args.clock_ns {
        if !(t.is_finite() && t > 0.0 && t <= 1e6) {
            anyhow::bail!("--clock-ns {t} is not a clock period; give a positive number of ns");
        }
    }
    if args.activity && args.target != Target::Sky130 {
        anyhow::bail!("--activity measures switching for OpenSTA's power report: sky130 only");
    }
    let cfg = args.config.load()?;
    let top = args.top.unwrap_or(match args.target {
        Target::Generic | Target::Sky130 => Top::Chip,
        Target::Ice40 | Target::Ecp5 => Top::Engine,
    });
    let opts_liberty = args.liberty.clone();
    let opts = SynthOptions {
        target: args.target,
        top,
        out: args.out.clone(),
        clock_ns: args.clock_ns,
        liberty: args.liberty,
        device: args.device,
    };
    let mut report =
        flow::synth(&cfg, &opts).with_context(|| format!("{} flow", args.target.name()))?;
    if args.activity {
        measured_power(&cfg, &args.out, &mut report)?;
    }
    print!("{}", flow::summary(&report));
    println!("  report: {}", args.out.join("report.json").display());
    if !args.check_equiv {
        return Ok(ExitCode::SUCCESS);
    }
    let rtl = args.out.join("rtl");
    let list = std::fs::read_to_string(rtl.join("files.f")).context("reading the RTL file list")?;
    let gold: Vec<PathBuf> = list.lines().map(|f| rtl.join(f)).collect();
    // The netlist keeps the hard macros as instances: simulate them with their RTL bodies.
    let mut gate = vec![args.out.join("netlist.v")];
    gate.extend(
        report
            .macros
            .iter()
            .map(|m| rtl.join(format!("{}.v", m.module))),
    );
    let mut opts = seedchip_verif::equiv::EquivOptions::new(gold, gate, &report.top);
    opts.runs = args.equiv_runs;
    opts.cycles = args.equiv_cycles as usize;
    opts.liberty = opts_liberty;
    // The top's stream interfaces say how to drive it: valid/ready producers on its sinks,
    // payload compared while valid on its sources.
    let design = top.generate(&cfg)?;
    opts.constraints_value = Some(Constraints::from_interfaces(design.top().interfaces()));
    opts.out = args.out.join("equiv");
    println!(
        "check-equiv: netlist vs RTL, {} runs x {} cycles (seed 1, the {top}'s handshake constraints)",
        opts.runs, opts.cycles
    );
    let r = seedchip_verif::equiv::simulate(&opts, &mut |m| println!("  {m}"))?;
    if let Some(f) = &r.first_failure {
        println!("  first difference: {}", f.mismatch);
        print!("{}", f.description);
        println!("  details in {}", opts.out.display());
    }
    println!("{} passed, {} failed", r.passed, r.failed);
    Ok(if r.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Simulate the sky130 netlist in `out` on a random GEMM, then report power from its
/// activity (rewrites report.json and summary.txt).
pub fn measured_power(
    cfg: &seedchip_hdl::chip::Config,
    out: &std::path::Path,
    report: &mut flow::Report,
) -> Result<()> {
    eprintln!("seedchip synth: simulating the netlist on a GEMM for its switching activity...");
    let activity = seedchip_verif::activity::measure(cfg, out, report, 1)
        .context("measuring switching activity on the netlist")?;
    flow::power::power(out, report, Some(&activity)).context("power from measured activity")?;
    flow::write_report(out, report).context("writing the report")?;
    Ok(())
}
