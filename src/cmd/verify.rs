//! `seedchip verify`: randomized equivalence of the RTL against the reference model, for the
//! whole chip (random programs, the default) or the matrix engine alone (random GEMMs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seedchip_verif::chip_harness::{build_chip, ChipError};
use seedchip_verif::chip_verify::{
    check_chip_case, check_chip_case_traced, generate_chip_case, run_chip as run_chip_cases,
    ChipCase,
};
use seedchip_verif::verify::{self, Case, CaseSpace, ModelCache};

use crate::ConfigArg;

/// What `seedchip verify` proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// The matrix engine: random GEMMs through its streams.
    Engine,
    /// The whole chip: random synchronised programs from DRAM under random bus timing.
    Chip,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// What to verify.
    #[arg(long, value_enum, default_value_t = Level::Chip)]
    pub level: Level,
    /// Number of random cases (at least 1).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub cases: u64,
    /// Seed of the run (random and printed when omitted).
    #[arg(long)]
    pub seed: Option<u64>,
    /// With --level engine: draw the engine per case (rows and cols in 1..=8, PE pipelining
    /// on or off) instead of using the configuration's.
    #[arg(long)]
    pub random_shapes: bool,
    /// Run only the case with this case seed (as printed for a failure).
    #[arg(long, value_name = "SEED", conflicts_with_all = ["replay", "cases"])]
    pub case_seed: Option<String>,
    /// Run the case saved in this JSON file (written on failure; chip or engine case).
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// With --replay or --case-seed: write a VCD waveform of the run.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Where to save the minimal failing case.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "seedchip-verify-failure.json"
    )]
    pub failure_out: PathBuf,
}

/// Save a shrunk failing case (chip or engine) for `--replay` and say how to rerun it and how
/// to regenerate the original.
fn save_failure(args: &VerifyArgs, minimal: &impl serde::Serialize, case_seed: u64) {
    let json = serde_json::to_string_pretty(minimal).expect("cases serialise");
    match std::fs::write(&args.failure_out, json) {
        Ok(()) => println!(
            "saved the minimal case to {0}; rerun it with `seedchip verify --replay {0}` (add --trace wave.vcd for a waveform)",
            args.failure_out.display()
        ),
        Err(e) => println!(
            "could not save the minimal case to {}: {e}",
            args.failure_out.display()
        ),
    }
    println!(
        "regenerate the original case with `seedchip verify --case-seed {case_seed:#x}{}`",
        args.config
            .config
            .as_ref()
            .map(|p| format!(" --config {}", p.display()))
            .unwrap_or_default()
    );
}

fn parse_seed(s: &str) -> Result<u64> {
    let s = s.trim();
    let v = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    v.with_context(|| format!("`{s}` is not a seed (a decimal or 0x-prefixed hexadecimal u64)"))
}

pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    if args.trace.is_some() && args.replay.is_none() && args.case_seed.is_none() {
        anyhow::bail!("--trace needs --replay or --case-seed (one run to trace)");
    }
    if let Some(path) = &args.replay {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        // A saved case says which level it is by its shape.
        return match (
            serde_json::from_str::<ChipCase>(&text),
            serde_json::from_str::<Case>(&text),
        ) {
            (Ok(case), _) => {
                case.validate().map_err(|e| {
                    anyhow::anyhow!("`{}` is not a valid chip case: {e}", path.display())
                })?;
                chip_single(&case, args.trace.as_deref())
            }
            (_, Ok(_)) => run_engine(args, Some(text)),
            (Err(chip), Err(engine)) => anyhow::bail!(
                "`{}` is not a saved verify case (as a chip case: {chip}; as an engine case: {engine})",
                path.display()
            ),
        };
    }
    match args.level {
        Level::Chip => run_chip(args),
        Level::Engine => run_engine(args, None),
    }
}

/// `--level engine`: random GEMMs through the matrix engine (`replay`: a saved case's text).
fn run_engine(args: VerifyArgs, replay: Option<String>) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let space = CaseSpace {
        engine: (!args.random_shapes).then(|| cfg.matrix.clone()),
        ..CaseSpace::default()
    };
    let mut models = ModelCache::default();

    let single: Option<Case> = if let Some(text) = &replay {
        let path = args
            .replay
            .as_ref()
            .expect("replay text comes from --replay");
        let case: Case = serde_json::from_str(text)
            .with_context(|| format!("`{}` is not a saved verify case", path.display()))?;
        case.validate()
            .map_err(|e| anyhow::anyhow!("`{}` is not a valid verify case: {e}", path.display()))?;
        Some(case)
    } else if let Some(s) = &args.case_seed {
        Some(verify::generate_case(&space, parse_seed(s)?).0)
    } else {
        None
    };
    if let Some(case) = single {
        println!("seedchip verify: one case\n{case}");
        let result = match &args.trace {
            Some(vcd) => verify::check_case_traced(&case, vcd),
            None => verify::check_case(&mut models, &case),
        };
        if let Some(vcd) = &args.trace {
            println!("waveform: {}", vcd.display());
        }
        return Ok(match result {
            Ok(run) => {
                println!("matches the model ({} cycles)", run.cycles);
                println!("1 passed, 0 failed");
                ExitCode::SUCCESS
            }
            Err(seedchip_verif::harness::HarnessError::Bridge(e)) => return Err(e.into()),
            Err(e) => {
                println!("MISMATCH: {e}");
                println!("0 passed, 1 failed");
                ExitCode::FAILURE
            }
        });
    }

    let seed = args.seed.unwrap_or_else(super::clock_seed);
    let shape = match &space.engine {
        Some(e) => format!(
            "{}x{} matrix engine ({})",
            e.rows,
            e.cols,
            args.config.describe()
        ),
        None => "random matrix engine shapes (1..=8 x 1..=8, both PE variants)".into(),
    };
    println!(
        "seedchip verify: {shape}, {} cases, seed {seed}",
        args.cases
    );
    if let Some(e) = &space.engine {
        // Build first, so a toolchain problem is reported before any case runs.
        eprintln!(
            "building the {}x{} model with Verilator (cached after the first build)...",
            e.rows, e.cols
        );
        models.model(e).context("building the simulation model")?;
    }
    let bar = ProgressBar::new(args.cases).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases  {msg}").expect("valid template"),
    );
    let started = std::time::Instant::now();
    let report = verify::run(&mut models, &space, args.cases, seed, |_, r| {
        bar.inc(1);
        bar.set_message(format!("{} failed", r.failed));
    })
    .context("building a simulation model")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if let Some(f) = &report.first_failure {
        println!("{f}");
        save_failure(&args, &f.minimal, f.case_seed);
    }
    println!(
        "{:.1} s, {:.1} cases/s, {} simulated cycles",
        secs,
        report.passed.saturating_add(report.failed) as f64 / secs.max(1e-9),
        report.cycles
    );
    println!("{} passed, {} failed", report.passed, report.failed);
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One chip case (from --case-seed or --replay), traced on request.
fn chip_single(case: &ChipCase, trace: Option<&std::path::Path>) -> Result<ExitCode> {
    let b = case.built();
    println!(
        "seedchip verify: one chip case on the {}x{} chip, {} instructions, DRAM timing {:?}",
        case.config.matrix.rows,
        case.config.matrix.cols,
        b.program.len(),
        case.timing
    );
    let result = match trace {
        Some(vcd) => {
            eprintln!("building a traced chip with Verilator...");
            let r = check_chip_case_traced(case, vcd);
            println!("waveform: {}", vcd.display());
            r
        }
        None => {
            eprintln!("building the chip with Verilator (cached after the first build)...");
            let model = build_chip(&case.config).context("building the chip's simulation")?;
            check_chip_case(&model, case)
        }
    };
    Ok(match result {
        Ok(run) => {
            println!("matches the model ({} cycles)", run.cycles);
            println!("1 passed, 0 failed");
            ExitCode::SUCCESS
        }
        Err(ChipError::Bridge(e)) => return Err(e.into()),
        Err(e) => {
            println!("MISMATCH: {e}\nprogram:");
            for instr in &b.program {
                println!("  {instr}");
            }
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    })
}

/// `--level chip`: random programs (seeded per case) on the configuration's chip.
fn run_chip(args: VerifyArgs) -> Result<ExitCode> {
    if args.random_shapes {
        anyhow::bail!("--random-shapes applies to --level engine (a chip level run uses the configuration's chip)");
    }
    let cfg = args.config.load()?;
    if let Some(s) = &args.case_seed {
        let (case, _) = generate_chip_case(&cfg, parse_seed(s)?);
        return chip_single(&case, args.trace.as_deref());
    }
    let seed = args.seed.unwrap_or_else(super::clock_seed);
    println!(
        "seedchip verify: the {}x{} chip ({}), {} random programs, seed {seed}",
        cfg.matrix.rows,
        cfg.matrix.cols,
        args.config.describe(),
        args.cases
    );
    eprintln!("building the chip with Verilator (cached after the first build)...");
    let model = build_chip(&cfg).context("building the chip's simulation")?;
    let bar = ProgressBar::new(args.cases).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} programs  {msg}")
            .expect("valid template"),
    );
    let started = std::time::Instant::now();
    let report = run_chip_cases(&model, &cfg, args.cases, seed, |_, r| {
        bar.inc(1);
        bar.set_message(format!("{} failed", r.failed));
    })
    .context("running the chip's simulation")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    if let Some(f) = &report.first_failure {
        let b = f.minimal.built();
        println!(
            "program FAILED (case seed {:#x}); shrunk in {} steps from {} to {} operations:\n{}\nprogram:",
            f.case_seed,
            f.shrink_steps,
            f.original.ops.len(),
            f.minimal.ops.len(),
            f.error
        );
        for instr in &b.program {
            println!("  {instr}");
        }
        save_failure(&args, &f.minimal, f.case_seed);
    }
    println!(
        "{secs:.1} s, {:.1} programs/s, {} simulated cycles",
        (report.passed + report.failed) as f64 / secs.max(1e-9),
        report.cycles
    );
    println!("{} passed, {} failed", report.passed, report.failed);
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
