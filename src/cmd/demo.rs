//! `seedchip demo` (what `make demo` runs): the default chip from Verilog to a network on its
//! RTL to sky130, ending in one summary.
//!
//! ```text
//!  generate -> build/<config>/ (Verilog, files.f, seedchip.h)   lint (verilator -Wall)
//!  digits network on the RTL (examples/digits/run.py)            GEMM on the RTL
//!  sky130 synthesis of the chip, of the engine at 3 sizes        report.html, summary
//! ```
//!
//! Each step shows a spinner with its elapsed time; tool output goes to `build/<config>/logs/`
//! and to the terminal only with `-v`. Synthesis results are reused while the RTL is the same.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seedchip_hdl::chip::Top;

use super::report::{
    build_dir, figures, measure_gemm, ppa_sweep, read_inputs, synth_cached, write_page, Measured,
};
use crate::ConfigArg;

#[derive(Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Build directory (default `build/<config file stem>`, `build/default` for the built-in).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Show the tools' output (Verilator lint, the digits run, synthesis summaries).
    #[arg(long, short)]
    pub verbose: bool,
    /// Python with the seedchip module (default `.venv/bin/python`, which `make python` builds).
    #[arg(long, value_name = "FILE")]
    pub python: Option<PathBuf>,
    /// Skip the sky130 synthesis (the summary then has no area or Fmax).
    #[arg(long)]
    pub no_synth: bool,
    /// Array sizes of the report's PPA plot (the matrix engine in sky130).
    #[arg(long, default_value = "4x4,8x8,16x16", value_delimiter = ',')]
    pub sizes: Vec<String>,
}

/// Runs steps under a spinner and logs them.
struct Steps {
    verbose: bool,
    logs: PathBuf,
}

impl Steps {
    fn run<T>(&self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("  {spinner} {msg} [{elapsed}]")
                .expect("a valid template"),
        );
        bar.set_message(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        let started = Instant::now();
        let r = f();
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        match &r {
            Ok(_) => println!("  done  {name} ({secs:.1} s)"),
            Err(_) => println!("  FAIL  {name} ({secs:.1} s)"),
        }
        r
    }

    /// Run a tool; its output goes to `logs/<log>.log` (and the terminal with -v).
    fn tool(&self, log: &str, cmd: &mut Command) -> Result<String> {
        let shown = format!("{cmd:?}");
        let out = cmd
            .output()
            .with_context(|| format!("cannot run {shown}"))?;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let path = self.logs.join(format!("{log}.log"));
        std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
        if self.verbose {
            print!("{text}");
        }
        if !out.status.success() {
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "{shown} failed ({}); the end of {}:\n{}",
                out.status,
                path.display(),
                tail.join("\n")
            );
        }
        Ok(text)
    }
}

fn python(args: &DemoArgs) -> Result<PathBuf> {
    let p = args
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from(".venv/bin/python"));
    if !p.exists() {
        bail!(
            "{} not found: the digits network runs in Python with the seedchip module; run `make python` (or pass --python)",
            p.display()
        );
    }
    Ok(p)
}

fn example(path: &str) -> Result<PathBuf> {
    let p = PathBuf::from(path);
    if !p.exists() {
        bail!(
            "{path} not found: run `seedchip demo` from the repository's top directory (as `make demo` does)"
        );
    }
    Ok(p)
}

pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let dir = args.dir.clone().unwrap_or_else(|| build_dir(&args.config));
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let steps = Steps {
        verbose: args.verbose,
        logs,
    };
    let py = python(&args)?;
    let script = example("examples/digits/run.py")?;
    println!(
        "seedchip demo: {} into {}",
        args.config.describe(),
        dir.display()
    );

    steps.run("generate the Verilog, files.f and seedchip.h", || {
        let design = seedchip_hdl::chip::generate(&cfg)?;
        design.write_to(&dir)?;
        std::fs::write(
            dir.join("seedchip.h"),
            seedchip_hdl::chip::header::seedchip_h(&cfg),
        )?;
        std::fs::write(dir.join("config.toml"), toml::to_string(&cfg)?)?;
        Ok(())
    })?;
    steps.run("lint the Verilog (verilator --lint-only -Wall)", || {
        steps.tool(
            "lint",
            Command::new("verilator")
                .args(["--lint-only", "-Wall", "-F", "files.f", "--top-module"])
                .arg("seedchip")
                .current_dir(&dir),
        )
    })?;
    let config_toml = dir.join("config.toml");
    steps.run(
        "the digits network on the RTL, every test image (examples/digits)",
        || {
            steps.tool(
                "digits",
                Command::new(&py)
                    .arg(&script)
                    .arg("--config")
                    .arg(&config_toml)
                    .arg("--json")
                    .arg(dir.join("digits.json")),
            )
        },
    )?;
    let gemm = steps.run("a 64x64x64 GEMM on the RTL against the model", || {
        measure_gemm(&cfg)
    })?;
    if !args.no_synth {
        steps.run("sky130 synthesis of the chip (Yosys, OpenSTA)", || {
            let (r, reused) = synth_cached(&cfg, Top::Chip, &dir.join("sky130"))?;
            if reused {
                println!("        (the RTL is unchanged: the earlier results in sky130/ stand)");
            }
            if args.verbose {
                print!("{}", seedchip_eda::flow::summary(&r));
            }
            Ok(())
        })?;
    }
    let ppa = if args.no_synth {
        Vec::new()
    } else {
        steps.run(
            &format!(
                "sky130 synthesis of the engine at {} (the PPA plot)",
                args.sizes.join(", ")
            ),
            || ppa_sweep(&cfg, &args.sizes, &dir.join("ppa"), |_| {}),
        )?
    };
    let (digits, chip) = read_inputs(&dir)?;
    let measured = Measured {
        name: args.config.describe(),
        cfg: cfg.clone(),
        digits,
        chip: if args.no_synth { None } else { chip },
        gemm,
        ppa,
    };
    let page = steps.run("write report.html", || write_page(&dir, &measured))?;
    let lines = figures(&measured);
    let summary = summary_text(&lines, &dir, &page);
    std::fs::write(dir.join("summary.txt"), &summary)?;
    print!("{summary}");
    let exact = measured
        .digits
        .as_ref()
        .and_then(|d| d.get("bit_exact"))
        .and_then(|b| b.as_bool());
    Ok(if exact == Some(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary_text(lines: &[(String, String)], dir: &Path, page: &Path) -> String {
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut s = String::from("\nsummary\n");
    for (k, v) in lines {
        s.push_str(&format!("  {k:<width$}  {v}\n"));
    }
    s.push_str(&format!(
        "  {:<width$}  {} (Verilog, files.f, seedchip.h, logs/)\n",
        "files",
        dir.display()
    ));
    s.push_str(&format!("  {:<width$}  {}\n", "report", page.display()));
    s
}
