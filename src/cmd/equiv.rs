//! `seedchip equiv`: are two designs equivalent? Randomized simulation, or --formal.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use seedchip_verif::equiv::{self, file_list, EquivOptions, EquivReport, Verdict};
use seedchip_verif::verilator::XInit;

#[derive(Clone, Copy, ValueEnum)]
pub enum Init {
    Zeros,
    Ones,
    Random,
}

#[derive(Args)]
pub struct EquivArgs {
    /// Reference design: Verilog or SystemVerilog files, comma-separated; a `.f` file is a
    /// file list (sources, +incdir+, +define+, -I, -D, -f).
    #[arg(
        long,
        required = true,
        value_delimiter = ',',
        value_name = "A.v[,more.v]"
    )]
    pub gold: Vec<PathBuf>,
    /// Design under comparison (RTL or a netlist; Liberty cells get models), comma-separated;
    /// `.f` files are file lists.
    #[arg(
        long,
        required = true,
        value_delimiter = ',',
        value_name = "B.v[,more.v]"
    )]
    pub gate: Vec<PathBuf>,
    /// Top module of the gold design (and of the gate design unless --gate-top).
    #[arg(long)]
    pub top: String,
    #[arg(long, value_name = "NAME")]
    pub gate_top: Option<String>,
    /// Cycles per run (after reset), at least 1.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub cycles: u64,
    /// Random runs (at least 1); run i uses seed + i. The final line counts runs.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Seed of the first run (random and printed when omitted).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Reset input (default: `rst` when the designs have it).
    #[arg(long, value_name = "NAME")]
    pub reset: Option<String>,
    /// Do not apply a reset.
    #[arg(long, conflicts_with = "reset")]
    pub no_reset: bool,
    /// The reset is active low.
    #[arg(long)]
    pub reset_active_low: bool,
    /// Cycles the reset is held at the start of each run.
    #[arg(long, default_value_t = 2)]
    pub reset_cycles: u32,
    /// Clock input (default `clk`; without it, one of clock, clk_i, i_clk, aclk, clk_in when
    /// exactly one exists). A named clock must exist. Designs without a clock are compared
    /// combinationally.
    #[arg(long, value_name = "NAME")]
    pub clock: Option<String>,
    /// Preprocessor define for both designs (Verilator and Yosys), repeatable.
    #[arg(short = 'D', long = "define", value_name = "NAME[=VALUE]")]
    pub defines: Vec<String>,
    /// Include directory for both designs, repeatable.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    /// Parameter override of both designs' tops, repeatable (`-G DEPTH=16`).
    #[arg(short = 'G', long = "param", value_name = "NAME=VALUE", value_parser = param)]
    pub params: Vec<String>,
    /// Parameter override of the gold design's top only, repeatable.
    #[arg(long = "gold-param", value_name = "NAME=VALUE", value_parser = param)]
    pub gold_params: Vec<String>,
    /// Parameter override of the gate design's top only, repeatable.
    #[arg(long = "gate-param", value_name = "NAME=VALUE", value_parser = param)]
    pub gate_params: Vec<String>,
    /// Liberty file for a netlist of standard cells (default lookup as `seedchip synth`).
    #[arg(long, value_name = "LIB")]
    pub liberty: Option<PathBuf>,
    /// Input constraints (TOML: fixed values, ranges, valid/ready producers, qualified outputs).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,
    /// Initial value of every register in both designs.
    #[arg(long, value_enum, default_value = "zeros")]
    pub x_init: Init,
    /// Compare the gold design's X bits strictly. By default an X the gold design assigns
    /// (`'bx` in a default branch) is a don't-care: the gold design runs with every X at 0
    /// and at 1, and output bits that differ between the two are not compared that cycle.
    #[arg(long)]
    pub strict_x: bool,
    /// Directory for waveforms, the minimal failing stimulus and logs.
    #[arg(long, default_value = "equiv-out", value_name = "DIR")]
    pub out: PathBuf,
    /// Run a saved stimulus (minimal.json of an earlier failure) instead of random runs.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["formal", "runs"])]
    pub replay: Option<PathBuf>,
    /// Prove equivalence with Yosys (miter + SAT temporal induction) instead of simulating.
    #[arg(long)]
    pub formal: bool,
    /// --formal: induction and bounded-check depth, in clock cycles.
    #[arg(long, default_value_t = 20, requires = "formal")]
    pub depth: u32,
    /// --formal: seconds allowed for the proof; past them the verdict is inconclusive (exit 3).
    #[arg(long, default_value_t = 600, requires = "formal", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Also write the verdict as JSON to FILE (for scripts and CI): mode, verdict, exit code,
    /// the run's settings, and the first difference or the counterexample.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// A parameter override: `NAME=VALUE`, NAME an identifier, VALUE not empty.
fn param(s: &str) -> Result<String, String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))?;
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if !ident || value.trim().is_empty() {
        return Err(format!(
            "`{s}` is not NAME=VALUE with NAME a parameter name and a value"
        ));
    }
    Ok(s.to_string())
}

pub fn run(a: EquivArgs) -> Result<ExitCode> {
    let seed = a.seed.unwrap_or_else(super::clock_seed);
    let (gold, gate) = (file_list::expand(&a.gold)?, file_list::expand(&a.gate)?);
    let mut opts = EquivOptions::new(gold.files, gate.files, &a.top);
    opts.gate_top = a.gate_top.clone();
    opts.cycles = a.cycles as usize;
    opts.formal_timeout = std::time::Duration::from_secs(a.timeout);
    opts.runs = a.runs;
    opts.seed = seed;
    opts.reset = a.reset.clone();
    opts.no_reset = a.no_reset;
    opts.reset_active_low = a.reset_active_low;
    opts.reset_cycles = a.reset_cycles;
    opts.clock = a.clock.clone().unwrap_or_else(|| "clk".into());
    opts.clock_named = a.clock.is_some();
    opts.liberty = a.liberty.clone();
    // Defines and include directories of the file lists join the command line's (both sides).
    opts.defines = [a.defines.clone(), gold.defines, gate.defines].concat();
    opts.include_dirs = [a.include_dirs.clone(), gold.include_dirs, gate.include_dirs].concat();
    opts.gold_params = [a.params.clone(), a.gold_params.clone()].concat();
    opts.gate_params = [a.params.clone(), a.gate_params.clone()].concat();
    opts.strict_x = a.strict_x;
    opts.constraints = a.constraints.clone();
    opts.x_init = match a.x_init {
        Init::Zeros => XInit::Zeros,
        Init::Ones => XInit::Ones,
        Init::Random => XInit::Random(seed as u32),
    };
    opts.out = a.out.clone();
    opts.replay = a.replay.clone();
    let files = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    println!(
        "seedchip equiv: gold `{}` ({}) vs gate `{}` ({})",
        a.top,
        files(&a.gold),
        a.gate_top.as_deref().unwrap_or(&a.top),
        files(&a.gate)
    );
    if a.formal {
        let log = |name: &str| a.out.join(name).display().to_string();
        let verdict = equiv::formal(&opts, a.depth)?;
        write_json(&a, seed, formal_json(&verdict))?;
        return Ok(match verdict {
            Verdict::Proven { by } => {
                println!(
                    "formal: proven equivalent by {by} (logs in {})",
                    a.out.display()
                );
                ExitCode::SUCCESS
            }
            Verdict::Counterexample(inputs) => {
                println!(
                    "formal: counterexample (inputs per step; log {}):",
                    log("formal.log")
                );
                for (step, port, value) in inputs {
                    println!("  step {step}: {port} = {value}");
                }
                ExitCode::from(1)
            }
            Verdict::Inconclusive { depth, timed_out } => {
                if timed_out {
                    println!(
                        "formal: inconclusive: the {} s limit passed before a proof or a counterexample (raise --timeout, or simulate; logs in {})",
                        a.timeout,
                        a.out.display()
                    );
                } else {
                    println!(
                        "formal: inconclusive at depth {depth}: no counterexample within {depth} cycles of reset, but induction did not close (raise --depth, or simulate)"
                    );
                }
                ExitCode::from(3)
            }
        });
    }
    if a.replay.is_none() {
        println!("  {} runs x {} cycles from seed {seed}", a.runs, a.cycles);
    }
    let report = equiv::simulate(&opts, &mut |m| println!("  {m}"))?;
    print_report(&report);
    write_json(&a, seed, simulation_json(&report))?;
    Ok(ExitCode::from(report.exit_code()))
}

fn print_report(r: &EquivReport) {
    if let Some(f) = &r.first_failure {
        println!("first difference: {}", f.mismatch);
        println!(
            "minimal stimulus ({} cycles after reset, {} shrinking runs) shows: {}",
            f.minimal.cycles.len(),
            f.shrink_runs,
            f.minimal_mismatch
        );
        print!("{}", f.description);
        if let Some((g, t)) = &f.waveforms {
            println!("waveforms: {} and {}", g.display(), t.display());
        }
        let original = match f.original_cycles {
            Some(c) => format!("--seed {} --runs 1 --cycles {c}", f.run_seed),
            None => format!(
                "--seed {} --runs 1 (its length is not recorded in the replayed file)",
                f.run_seed
            ),
        };
        println!(
            "saved: {} (rerun with --replay {}); the original run is {original}",
            f.saved.display(),
            f.saved.display(),
        );
        println!("second opinion: {}", f.second_opinion.describe());
        if r.simulators_disagree() {
            println!(
                "verdict: a simulator disagreement, not a design difference (exit 3); check the design with --formal"
            );
        }
    }
    println!("{} passed, {} failed", r.passed, r.failed);
}

/// The verdict of a formal run, for `--json`.
fn formal_json(v: &Verdict) -> serde_json::Value {
    use serde_json::json;
    match v {
        Verdict::Proven { by } => {
            json!({"mode": "formal", "verdict": "proven", "exit_code": 0, "method": by})
        }
        Verdict::Counterexample(inputs) => json!({
            "mode": "formal",
            "verdict": "counterexample",
            "exit_code": 1,
            "counterexample": inputs
                .iter()
                .map(|(step, port, value)| json!({"step": step, "port": port, "value": value}))
                .collect::<Vec<_>>(),
        }),
        Verdict::Inconclusive { depth, timed_out } => json!({
            "mode": "formal",
            "verdict": "inconclusive",
            "exit_code": 3,
            "depth": depth,
            "timed_out": timed_out,
        }),
    }
}

/// The verdict of a simulation run, for `--json`.
fn simulation_json(r: &EquivReport) -> serde_json::Value {
    use serde_json::json;
    let failure = r.first_failure.as_ref().map(|f| {
        json!({
            "run_seed": f.run_seed,
            "mismatch": f.mismatch.to_string(),
            "minimal_cycles": f.minimal.cycles.len(),
            "minimal_mismatch": f.minimal_mismatch.to_string(),
            "shrink_runs": f.shrink_runs,
            "original_cycles": f.original_cycles,
            "saved": f.saved.display().to_string(),
            "waveforms": f.waveforms.as_ref().map(|(g, t)| [g.display().to_string(), t.display().to_string()]),
            "second_opinion": f.second_opinion.describe(),
        })
    });
    json!({
        "mode": "simulation",
        "verdict": match r.exit_code() {
            0 => "equivalent",
            3 => "simulator disagreement",
            _ => "not equivalent",
        },
        "exit_code": r.exit_code(),
        "passed": r.passed,
        "failed": r.failed,
        "ports_compared": r.ports,
        "first_failure": failure,
    })
}

/// Write `verdict` with the run's settings to the `--json` file, if one was asked for.
fn write_json(a: &EquivArgs, seed: u64, mut verdict: serde_json::Value) -> Result<()> {
    let Some(path) = &a.json else {
        return Ok(());
    };
    let files = |v: &[PathBuf]| {
        v.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    };
    verdict["gold"] = serde_json::json!(files(&a.gold));
    verdict["gate"] = serde_json::json!(files(&a.gate));
    verdict["top"] = serde_json::json!(a.top);
    verdict["gate_top"] = serde_json::json!(a.gate_top.as_deref().unwrap_or(&a.top));
    if verdict["mode"] == "simulation" {
        verdict["seed"] = serde_json::json!(seed);
        verdict["runs"] = serde_json::json!(a.runs);
        verdict["cycles"] = serde_json::json!(a.cycles);
        verdict["replay"] = serde_json::json!(a.replay.as_ref().map(|p| p.display().to_string()));
    }
    let text = serde_json::to_string_pretty(&verdict).expect("JSON values serialise");
    std::fs::write(path, text + "\n")
        .with_context(|| format!("cannot write the JSON report `{}`", path.display()))
}
