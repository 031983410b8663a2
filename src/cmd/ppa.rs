//! `seedchip ppa`: the PPA table (sky130 area/Fmax, FPGA utilisation/Fmax) for a set of
//! configurations, written as Markdown (docs/ppa.md in the repository).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_eda::flow::{self, Report, SynthOptions, Target};
use seedchip_hdl::chip::{Config, MatrixConfig, Multiplier};

#[derive(Args)]
pub struct PpaArgs {
    /// Markdown file to write.
    #[arg(long, default_value = "docs/ppa.md")]
    pub out: PathBuf,
    /// Working directory for the flow runs.
    #[arg(long, default_value = "out/ppa")]
    pub work: PathBuf,
    /// sky130 engine sizes (RxC); the default configuration is always included.
    #[arg(long, default_value = "4x4,8x8,16x16,32x32", value_delimiter = ',')]
    pub sky130: Vec<String>,
    /// Engine sizes only generated (Verilog written, not synthesised), for cost growth.
    #[arg(long, default_value = "64x64", value_delimiter = ',')]
    pub generate_only: Vec<String>,
    /// Skip the gate-level simulation that measures the default engine's switching activity
    /// (power is then reported for the flat activity only).
    #[arg(long)]
    pub no_activity: bool,
    /// iCE40 engine sizes.
    #[arg(long, default_value = "2x2,4x4", value_delimiter = ',')]
    pub ice40: Vec<String>,
    /// ECP5 engine sizes.
    #[arg(long, default_value = "4x4,8x8", value_delimiter = ',')]
    pub ecp5: Vec<String>,
}

fn shape(s: &str) -> Result<MatrixConfig> {
    let (r, c) = s
        .split_once('x')
        .with_context(|| format!("`{s}` is not a size like 8x8"))?;
    Ok(Config::with_matrix(r.trim().parse()?, c.trim().parse()?)?.matrix)
}

fn run_one(
    work: &std::path::Path,
    target: Target,
    m: &MatrixConfig,
) -> Result<(PathBuf, Report), String> {
    let cfg = Config {
        matrix: m.clone(),
        ..Config::default()
    };
    let tag = format!(
        "{}-{}x{}{}",
        target.name(),
        m.rows,
        m.cols,
        m.variant_suffix()
    );
    eprintln!("seedchip ppa: {tag} ...");
    let opts = SynthOptions {
        target,
        top: seedchip_hdl::chip::Top::Engine,
        out: work.join(&tag),
        clock_ns: None,
        liberty: None,
        device: None,
    };
    let dir = opts.out.clone();
    flow::synth(&cfg, &opts)
        .map(|r| (dir, r))
        .map_err(|e| format!("{e}"))
}

/// Area of the modules whose names start with `prefix` (all instances).
fn module_area(r: &Report, prefix: &str) -> f64 {
    r.modules
        .iter()
        .filter(|x| x.module.starts_with(prefix))
        .filter_map(|x| x.area_total_um2)
        .sum()
}

/// Peak memory Yosys reported at the end of its log, in MB.
fn yosys_peak_mb(dir: &std::path::Path) -> Option<f64> {
    let log = std::fs::read_to_string(dir.join("yosys.log")).ok()?;
    let tail = log.rsplit("MEM: ").next()?;
    tail.split_whitespace().next()?.parse().ok()
}

/// One row of the sky130 table.
fn sky130_row(m: &MatrixConfig, r: &Report, secs: f64, dir: &std::path::Path) -> String {
    let t = r.timing.as_ref().expect("sky130 reports timing");
    let area = r.area_um2.unwrap_or(0.0);
    let macs = r.macs as f64;
    let pe = r.modules.iter().find(|x| x.module.starts_with("pe_"));
    let array = module_area(r, "pe_") + module_area(r, "systolic_array_");
    let fifo = module_area(r, "result_fifo_");
    let fifo_sram = module_area(r, "sram_");
    // A deep enough FIFO is a hard macro: its bits, not its (uncounted) area.
    let fifo_sram_text = match r.macros.first() {
        Some(x) if fifo_sram == 0.0 => format!("macro, {} x {} bits", x.depth, x.width),
        _ => format!("{fifo_sram:.0}"),
    };
    let fmax = r.fmax_mhz.unwrap_or(0.0);
    let p = &t.critical_path;
    format!(
        "| {}x{} | {} | {} | {:.3} | {:.0} | {} | {:.0} | {:.0} | {:.0} | {} | {:.1} | {:.1} | {:.0} | {} | {} ({}) -> {} |",
        m.rows,
        m.cols,
        match m.multiplier.for_asic() {
            Multiplier::Booth => "booth",
            _ => "array",
        },
        if m.mac_pipeline { "yes" } else { "no" },
        area * 1e-6,
        pe.and_then(|x| x.area_each_um2).unwrap_or(0.0),
        pe.map_or(0, |x| x.cells_each),
        array / macs,
        area / macs,
        (area - fifo - fifo_sram) / macs,
        fifo_sram_text,
        fmax,
        2.0 * macs * fmax * 1e-3 / (area * 1e-6),
        secs,
        yosys_peak_mb(dir).map_or("-".into(), |v| format!("{v:.0}")),
        p.startpoint,
        p.start_net.as_deref().unwrap_or("?"),
        p.endpoint
    )
}

/// Power of the default engine at its Fmax: the flat-activity figure and, unless skipped,
/// the one from the activity of a random GEMM simulated on its sky130 netlist.
fn power_section(
    md: &mut String,
    cfg: &Config,
    dir: &std::path::Path,
    r: &mut Report,
    measure: bool,
) -> Result<()> {
    if measure {
        eprintln!("seedchip ppa: simulating the default engine's netlist on a GEMM for its switching activity ...");
        crate::cmd::synth::measured_power(cfg, dir, r)?;
    }
    let Some(p) = &r.power else {
        return Ok(());
    };
    let m = &cfg.matrix;
    let _ = writeln!(
        md,
        "\n## Power ({}x{} default engine, sky130 tt, OpenSTA report_power at Fmax)\n\n\
         Ideal clock (no clock tree) and no wire load, as the timing above; the measured activity \
         comes from a zero-delay gate-level simulation (Verilator, cell models from the Liberty), so \
         glitches are not counted. pJ/MAC divides the power by the MACs done per cycle: the \
         workload's for the measured row, every multiplier's for the flat one.\n",
        m.rows, m.cols
    );
    let _ = writeln!(
        md,
        "| activity | clock MHz | total mW | sequential mW | combinational mW | leakage uW | MACs / cycle | pJ / MAC | TOPS/W |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
    for x in std::iter::once(&p.flat).chain(p.measured.as_ref()) {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.2} | {:.3} |",
            x.activity,
            x.clock_mhz,
            x.total.total_w * 1e3,
            x.sequential.total_w * 1e3,
            x.combinational.total_w * 1e3,
            x.total.leakage_w * 1e6,
            x.macs_per_cycle,
            x.pj_per_mac,
            x.tops_per_w
        );
    }
    Ok(())
}

/// Engines generated but not synthesised: how Verilog size and generation time grow.
fn generation_section(md: &mut String, sizes: &[String]) -> Result<()> {
    if sizes.is_empty() {
        return Ok(());
    }
    let _ = writeln!(md, "\n## Generation only\n");
    let _ = writeln!(md, "| engine | PEs | generation s | Verilog MB | modules |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for s in sizes {
        let m = shape(s)?;
        let cfg = Config {
            matrix: m.clone(),
            ..Config::default()
        };
        let t0 = Instant::now();
        let d = seedchip_hdl::chip::generate_engine(&cfg)?;
        let secs = t0.elapsed().as_secs_f64();
        let bytes: usize = d.files().iter().map(|f| f.text.len()).sum();
        let _ = writeln!(
            md,
            "| {}x{} | {} | {:.2} | {:.1} | {} |",
            m.rows,
            m.cols,
            m.rows * m.cols,
            secs,
            bytes as f64 / 1e6,
            d.modules().len()
        );
    }
    Ok(())
}

pub fn run(args: PpaArgs) -> Result<ExitCode> {
    let mut md = String::new();
    let _ = writeln!(md, "# seedchip PPA figures\n");
    let _ = writeln!(
        md,
        "Generated by `seedchip ppa` (seedchip {}). sky130: Yosys 0.23 + ABC mapping to \
sky130_fd_sc_hd typical corner (25 C, 1.80 V), OpenSTA with an ideal clock and no wire load; \
area is cell area before placement. FPGA: the engine inside a 4-pin measurement shell (see hdl/src/chip/fpga_shell.rs), \
nextpnr seed 1.\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(md, "## sky130 (5 ns target clock)\n");
    let _ = writeln!(
        md,
        "Area per MAC three ways: the PE array alone; the stand-alone engine (skews, control, \
result FIFO); and the engine without its result FIFO, as the chip instantiates it (the FIFO's \
modules subtracted). The FIFO's SRAM is a macro candidate, listed apart (from 64 rows it is a hard macro, \
outside the area, as in the chip). Synthesis time is the \
whole flow (Yosys, OpenSTA timing and flat power), peak memory is Yosys's own report.\n"
    );
    let _ = writeln!(md, "| engine | multiplier | PE product register | area mm2 | PE um2 | cells / PE | array um2/MAC | engine um2/MAC | engine without FIFO um2/MAC | FIFO SRAM um2 | Fmax MHz | GOPS/mm2 | synth s | Yosys peak MB | critical path |");
    let _ = writeln!(
        md,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut sky: Vec<MatrixConfig> = args
        .sky130
        .iter()
        .map(|s| shape(s))
        .collect::<Result<_>>()?;
    let default = Config::default().matrix;
    if !sky.contains(&default) {
        sky.push(default.clone());
    }
    // The default engine with each other choice, for comparison.
    let mut unpipelined = default.clone();
    unpipelined.mac_pipeline = false;
    let mut array = default.clone();
    array.multiplier = Multiplier::Array;
    sky.extend([array, unpipelined]);
    let mut default_run: Option<(std::path::PathBuf, Report)> = None;
    for m in &sky {
        let t0 = Instant::now();
        match run_one(&args.work, Target::Sky130, m) {
            Ok((dir, r)) => {
                let secs = t0.elapsed().as_secs_f64();
                let _ = writeln!(md, "{}", sky130_row(m, &r, secs, &dir));
                if *m == default {
                    default_run = Some((dir, r));
                }
            }
            Err(e) => {
                let _ = writeln!(
                    md,
                    "| {}x{} | | failed: {} |",
                    m.rows,
                    m.cols,
                    e.lines().next().unwrap_or("")
                );
            }
        }
    }
    if let Some((dir, mut r)) = default_run {
        power_section(&mut md, &Config::default(), &dir, &mut r, !args.no_activity)?;
    }
    generation_section(&mut md, &args.generate_only)?;
    for (target, sizes) in [(Target::Ice40, &args.ice40), (Target::Ecp5, &args.ecp5)] {
        let _ = writeln!(md, "\n## {} (20 ns target clock)\n", target.name());
        let _ = writeln!(
            md,
            "| engine | device | logic | flip-flops | DSP | RAM | Fmax MHz |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        for s in sizes.iter() {
            let m = shape(s)?;
            match run_one(&args.work, target, &m) {
                Ok((_, r)) => {
                    let f = r.fpga.as_ref().expect("FPGA results");
                    // The first of `keys` the design uses (else the first the device has).
                    let u = |keys: &[&str]| {
                        let found: Vec<(&str, &(u64, u64))> = keys
                            .iter()
                            .filter_map(|k| f.utilization.get(*k).map(|v| (*k, v)))
                            .collect();
                        found
                            .iter()
                            .find(|(_, (used, _))| *used > 0)
                            .or(found.first())
                            .map_or("-".into(), |(k, (a, b))| format!("{a} / {b} {k}"))
                    };
                    let ffs = match target {
                        Target::Ecp5 => u(&["TRELLIS_FF"]),
                        _ => r
                            .cell_types
                            .iter()
                            .filter(|(k, _)| k.starts_with("SB_DFF"))
                            .map(|(_, n)| n)
                            .sum::<u64>()
                            .to_string(),
                    };
                    let _ = writeln!(
                        md,
                        "| {}x{} | {} {} | {} | {} | {} | {} | {:.1} |",
                        m.rows,
                        m.cols,
                        f.device,
                        f.package,
                        u(&["ICESTORM_LC", "TRELLIS_COMB"]),
                        ffs,
                        u(&["ICESTORM_DSP", "MULT18X18D"]),
                        u(&["ICESTORM_RAM", "DP16KD", "TRELLIS_RAMW"]),
                        f.fmax_mhz.unwrap_or(0.0)
                    );
                }
                Err(e) => {
                    let why = e
                        .lines()
                        .skip(1)
                        .map(str::trim)
                        .collect::<Vec<_>>()
                        .join("; ");
                    let _ = writeln!(
                        md,
                        "| {}x{} | does not fit: {} | | | | | |",
                        m.rows, m.cols, why
                    );
                }
            }
        }
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    std::fs::write(&args.out, &md)
        .with_context(|| format!("cannot write `{}`", args.out.display()))?;
    print!("{md}");
    eprintln!("seedchip ppa: wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
