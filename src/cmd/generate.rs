//! `seedchip generate`: write the Verilog of a configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_hdl::chip::{generate, EngineShape};

use crate::ConfigArg;

#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output directory (created if missing; existing files of the same names are replaced).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let design = generate(&cfg).context("building the design")?;
    let written = design
        .write_to(&args.out)
        .with_context(|| format!("writing the design into `{}`", args.out.display()))?;
    let shape = EngineShape::new(&cfg.matrix);
    println!(
        "seedchip generate: {} ({}), top `{}`",
        args.config.describe(),
        format_args!("{}x{} matrix engine", shape.rows, shape.cols),
        design.top().name()
    );
    let totals = design.instance_totals();
    for (path, file) in written.iter().zip(design.files()) {
        let count = totals
            .iter()
            .find(|(m, _)| *m == file.module)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        println!(
            "  wrote {:<50} {:>9} bytes  {count:>6} instance{}",
            path.display(),
            file.text.len(),
            if count == 1 { "" } else { "s" }
        );
    }
    if let Some(list) = written.last() {
        println!("  wrote {}", list.display());
    }
    Ok(ExitCode::SUCCESS)
}
