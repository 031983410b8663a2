//! `seedchip generate`: write the Verilog of a configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_hdl::chip::{EngineShape, Top};

use crate::ConfigArg;

#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output directory (created if missing; existing files of the same names are replaced).
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Also write OpenLane/LibreLane files beside the Verilog: config.json, constraints.sdc
    /// and macros.json (the SRAMs, as hard-macro candidates).
    #[arg(long)]
    pub openlane: bool,
    /// Clock period for --openlane, in ns.
    #[arg(long, value_name = "T", default_value_t = 5.0, requires = "openlane")]
    pub clock_ns: f64,
    /// What to write: `chip` (the whole accelerator, top `seedchip`), `engine` (the matrix
    /// engine alone), `crossbar` (the interconnect's crossbar at its reference shape) or
    /// `router` (one mesh router).
    #[arg(long, value_name = "chip|engine|crossbar|router", default_value_t = Top::Chip)]
    pub top: Top,
    /// Also write the ISA reference (Markdown, from the ISA's single definition) to FILE.
    #[arg(long, value_name = "FILE")]
    pub isa_doc: Option<std::path::PathBuf>,
}

pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let design = args.top.generate(&cfg).context("building the design")?;
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
    let header = args.out.join("seedchip.h");
    std::fs::write(&header, seedchip_hdl::chip::header::seedchip_h(&cfg))
        .with_context(|| format!("cannot write `{}`", header.display()))?;
    println!("  wrote {}", header.display());
    if args.openlane {
        if !(args.clock_ns.is_finite() && args.clock_ns > 0.0) {
            anyhow::bail!("--clock-ns {} is not a clock period", args.clock_ns);
        }
        for (name, text) in seedchip_eda::flow::openlane_files(&design, args.clock_ns, "")? {
            let p = args.out.join(&name);
            std::fs::write(&p, text).with_context(|| format!("cannot write `{}`", p.display()))?;
            println!("  wrote {}", p.display());
        }
    }
    if let Some(p) = &args.isa_doc {
        std::fs::write(p, seedchip_hdl::chip::isa::markdown())
            .with_context(|| format!("cannot write `{}`", p.display()))?;
        println!("  wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
