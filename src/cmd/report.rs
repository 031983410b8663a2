//! `seedchip report`: `build/<config>/report.html` from what the demo (or the user) measured
//! there, plus the runs it needs itself.
//!
//! Inputs in the build directory, each optional: `digits.json` (examples/digits/run.py),
//! `sky130/report.json` (the chip's synthesis). Measured here: a GEMM on the Verilated chip
//! (utilisation and the cycle breakdown per unit) and, unless `--no-ppa`, the matrix engine's
//! sky130 area and Fmax at several array sizes (each synthesis cached by its RTL's hash).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use seedchip_eda::flow::{self, Report, SynthOptions, Target};
use seedchip_hdl::chip::{Config, Top};
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::build_chip;
use seedchip_verif::gemm::check_on_chip;
use seedchip_verif::model::gemm;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::verilator::XInit;

use crate::report::{fmt_num, html, Bar, Page, Plot, Point};
use crate::ConfigArg;

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Build directory (default `build/<config file stem>`, `build/default` for the built-in).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Array sizes of the PPA plot (the matrix engine in sky130).
    #[arg(long, default_value = "4x4,8x8,16x16", value_delimiter = ',')]
    pub sizes: Vec<String>,
    /// Leave the PPA sweep out (no synthesis).
    #[arg(long)]
    pub no_ppa: bool,
}

/// `build/<name>` for a configuration argument.
pub fn build_dir(config: &ConfigArg) -> PathBuf {
    let name = config
        .config
        .as_ref()
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".into());
    PathBuf::from("build").join(name)
}

/// The GEMM the report measures: its size, cycles and the busy cycles of each unit.
pub struct GemmFigures {
    pub shape: (usize, usize, usize),
    pub cycles: u64,
    pub utilisation: f64,
    /// (counter, cycles) for the units' busy and stall counters.
    pub breakdown: Vec<(String, u64)>,
}

/// A 64x64x64 GEMM on the Verilated chip, checked against the model.
pub fn measure_gemm(cfg: &Config) -> Result<GemmFigures> {
    let (m, k, n) = (64, 64, 64);
    let mut rng = XorShift64::new(7);
    let (a, w) = (rng.matrix(m, k), rng.matrix(k, n));
    let model = build_chip(cfg).context("building the chip's simulation")?;
    let timing = MemoryTiming {
        read_latency: 20,
        bytes_per_cycle: cfg.bus.data_bits as f64 / 8.0,
        ..MemoryTiming::default()
    };
    let g = check_on_chip(&model, cfg, &a, &w, timing, XInit::Zeros)?;
    if g.c != gemm(&a, &w) {
        anyhow::bail!("the chip computed a wrong GEMM");
    }
    let cycles = g.cycles;
    let tiles = (cfg.tiles.x * cfg.tiles.y) as usize;
    let peak = (cfg.matrix.rows * cfg.matrix.cols) as f64 * tiles as f64;
    let breakdown = g
        .perf
        .into_iter()
        .filter(|(n, _)| n.ends_with("_BUSY") || n.ends_with("_STALL"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    Ok(GemmFigures {
        shape: (m, k, n),
        cycles,
        utilisation: (m * k * n) as f64 / (peak * cycles as f64),
        breakdown,
    })
}

/// The RTL's hash: a synthesis result is reused when it is unchanged.
fn rtl_hash(cfg: &Config, top: Top) -> Result<String> {
    let design = top.generate(cfg)?;
    let mut h = blake3::Hasher::new();
    for f in design.files() {
        h.update(f.file_name.as_bytes());
        h.update(f.text.as_bytes());
    }
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    Ok(h.finalize().to_hex().to_string())
}

/// sky130 synthesis of `top` for `cfg` into `out`, or its earlier result when the RTL is the
/// same (`out/rtl.blake3`). Returns the report and whether it was reused.
pub fn synth_cached(cfg: &Config, top: Top, out: &Path) -> Result<(Report, bool)> {
    let hash = rtl_hash(cfg, top)?;
    let stamp = out.join("rtl.blake3");
    if std::fs::read_to_string(&stamp).is_ok_and(|h| h.trim() == hash) {
        if let Ok(text) = std::fs::read_to_string(out.join("report.json")) {
            if let Ok(r) = serde_json::from_str::<Report>(&text) {
                return Ok((r, true));
            }
        }
    }
    let opts = SynthOptions {
        target: Target::Sky130,
        top,
        out: out.to_path_buf(),
        clock_ns: None,
        liberty: None,
        device: None,
    };
    let r = flow::synth(cfg, &opts).context("sky130 flow")?;
    std::fs::write(&stamp, &hash).with_context(|| format!("writing {}", stamp.display()))?;
    Ok((r, false))
}

/// The engine's sky130 area and Fmax at each size, synthesised under `work`.
pub fn ppa_sweep(
    cfg: &Config,
    sizes: &[String],
    work: &Path,
    mut progress: impl FnMut(&str),
) -> Result<Vec<(String, Report)>> {
    let mut out = Vec::new();
    for s in sizes {
        let (r, c) = s
            .split_once('x')
            .with_context(|| format!("--sizes: `{s}` is not a size like 8x8"))?;
        let rows: u32 = r
            .trim()
            .parse()
            .with_context(|| format!("--sizes: `{s}`"))?;
        let cols: u32 = c
            .trim()
            .parse()
            .with_context(|| format!("--sizes: `{s}`"))?;
        let mut c = cfg.clone();
        c.matrix = Config::with_matrix(rows, cols)
            .with_context(|| format!("--sizes: `{s}`"))?
            .matrix;
        progress(s);
        let (report, _) = synth_cached(&c, Top::Engine, &work.join(format!("engine-{s}")))?;
        out.push((s.clone(), report));
    }
    Ok(out)
}

/// Everything the page shows.
pub struct Measured {
    pub name: String,
    pub cfg: Config,
    pub digits: Option<serde_json::Value>,
    pub chip: Option<Report>,
    pub gemm: GemmFigures,
    pub ppa: Vec<(String, Report)>,
}

fn f64_of(v: &serde_json::Value, key: &str) -> Option<f64> {
    v.get(key).and_then(|x| x.as_f64())
}

/// The headline figures (the demo's summary and the page's table).
pub fn figures(m: &Measured) -> Vec<(String, String)> {
    let c = &m.cfg;
    let mut f = vec![(
        "chip".to_string(),
        format!(
            "{}x{} array, {}x{} tiles, {}-bit bus",
            c.matrix.rows, c.matrix.cols, c.tiles.x, c.tiles.y, c.bus.data_bits
        ),
    )];
    if let Some(d) = &m.digits {
        let pct = |k: &str| f64_of(d, k).map_or("?".into(), |v| format!("{:.2}%", 100.0 * v));
        f.push((
            "digits accuracy".into(),
            format!(
                "{} on the RTL ({} int8 model, {} float), {} test images",
                pct("accuracy_rtl"),
                pct("accuracy_int8"),
                pct("accuracy_float"),
                d.get("images").and_then(|x| x.as_u64()).unwrap_or(0)
            ),
        ));
        let exact = d.get("bit_exact").and_then(|x| x.as_bool()) == Some(true);
        f.push((
            "bit-exact with the model".into(),
            if exact { "yes" } else { "NO" }.into(),
        ));
        f.push((
            "cycles per inference".into(),
            format!(
                "{:.1} in a batch, {} for one image alone",
                f64_of(d, "cycles_per_inference").unwrap_or(0.0),
                d.get("cycles_one_image")
                    .and_then(|x| x.as_u64())
                    .unwrap_or(0)
            ),
        ));
    }
    let (gm, gk, gn) = m.gemm.shape;
    f.push((
        "utilisation".into(),
        format!(
            "{:.1}% of peak MACs on a {gm}x{gk}x{gn} GEMM ({} cycles)",
            100.0 * m.gemm.utilisation,
            m.gemm.cycles
        ),
    ));
    if let Some(r) = &m.chip {
        if let Some(a) = r.area_um2 {
            f.push((
                "area (sky130)".into(),
                format!("{:.2} mm^2 of cells, after synthesis", a / 1e6),
            ));
        }
        if let Some(fm) = r.fmax_mhz {
            f.push(("Fmax (sky130)".into(), format!("{fm:.1} MHz (OpenSTA, tt)")));
        }
    }
    f
}

/// The page for what was measured.
pub fn page(m: &Measured) -> Page {
    let mut plots = Vec::new();
    let mut layers: Vec<Bar> = Vec::new();
    if let Some(list) = m
        .digits
        .as_ref()
        .and_then(|d| d.get("layers"))
        .and_then(|l| l.as_array())
    {
        for l in list {
            let name = l.get("name").and_then(|x| x.as_str()).unwrap_or("layer");
            let u = f64_of(l, "utilisation").unwrap_or(0.0);
            layers.push(Bar {
                label: format!("digits {name}"),
                value: u,
                text: format!("{:.1}%", 100.0 * u),
            });
        }
    }
    let (gm, gk, gn) = m.gemm.shape;
    layers.push(Bar {
        label: format!("GEMM {gm}x{gk}x{gn}"),
        value: m.gemm.utilisation,
        text: format!("{:.1}%", 100.0 * m.gemm.utilisation),
    });
    plots.push(Plot::Bars {
        id: "utilisation",
        title: "Utilisation per layer (useful MACs over the array's peak)".into(),
        bars: layers,
    });
    if let Some(r) = &m.chip {
        plots.push(Plot::Bars {
            id: "area",
            title: "Area per unit (sky130 cells after synthesis, um^2)".into(),
            bars: r
                .units
                .iter()
                .map(|u| Bar {
                    label: u.unit.clone(),
                    value: u.area_um2,
                    text: format!("{:.0} um^2 ({:.1}%)", u.area_um2, 100.0 * u.share),
                })
                .collect(),
        });
    }
    plots.push(Plot::Bars {
        id: "cycles",
        title: format!(
            "Cycle breakdown per unit, {gm}x{gk}x{gn} GEMM ({} cycles): busy and stalled cycles",
            m.gemm.cycles
        ),
        bars: m
            .gemm
            .breakdown
            .iter()
            .map(|(n, v)| Bar {
                label: n.clone(),
                value: *v as f64,
                text: v.to_string(),
            })
            .collect(),
    });
    if !m.ppa.is_empty() {
        let series = |f: &dyn Fn(&Report) -> Option<f64>| -> Vec<Point> {
            m.ppa
                .iter()
                .filter_map(|(s, r)| f(r).map(|y| Point { x: s.clone(), y }))
                .collect()
        };
        plots.push(Plot::Lines {
            id: "ppa-area",
            title: "PPA across array sizes: the matrix engine's area (sky130)".into(),
            y_label: "mm^2".into(),
            series: vec![(
                "engine area".into(),
                series(&|r| r.area_um2.map(|a| a / 1e6)),
            )],
        });
        plots.push(Plot::Lines {
            id: "ppa-fmax",
            title: "PPA across array sizes: the matrix engine's Fmax (sky130, OpenSTA)".into(),
            y_label: "MHz".into(),
            series: vec![("Fmax".into(), series(&|r| r.fmax_mhz))],
        });
    }
    let mut notes = vec![format!(
        "configuration ({}):\n{}",
        m.name,
        toml::to_string(&m.cfg).unwrap_or_default()
    )];
    if let Some(r) = &m.chip {
        notes.push(flow::summary(r));
    }
    for (s, r) in &m.ppa {
        notes.push(format!(
            "engine {s}: {} mm^2, {} MHz",
            r.area_um2.map_or("?".into(), |a| fmt_num(a / 1e6)),
            r.fmax_mhz.map_or("?".into(), fmt_num)
        ));
    }
    Page {
        title: format!("seedchip report: {}", m.name),
        figures: figures(m),
        plots,
        notes,
    }
}

/// Read the optional inputs of `dir`.
pub fn read_inputs(dir: &Path) -> Result<(Option<serde_json::Value>, Option<Report>)> {
    let digits = match std::fs::read_to_string(dir.join("digits.json")) {
        Ok(t) => Some(
            serde_json::from_str(&t)
                .with_context(|| format!("{} is not JSON", dir.join("digits.json").display()))?,
        ),
        Err(_) => None,
    };
    let chip = match std::fs::read_to_string(dir.join("sky130/report.json")) {
        Ok(t) => Some(serde_json::from_str(&t).with_context(|| {
            format!(
                "{} is not a synthesis report",
                dir.join("sky130/report.json").display()
            )
        })?),
        Err(_) => None,
    };
    Ok((digits, chip))
}

pub fn write_page(dir: &Path, m: &Measured) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("report.html");
    std::fs::write(&path, html(&page(m))).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

pub fn run(args: ReportArgs) -> Result<ExitCode> {
    let cfg = args.config.load()?;
    let dir = args.dir.clone().unwrap_or_else(|| build_dir(&args.config));
    let (digits, chip) = read_inputs(&dir)?;
    println!("seedchip report: {}", args.config.describe());
    println!("  GEMM on the Verilated chip...");
    let gemm = measure_gemm(&cfg)?;
    let ppa = if args.no_ppa {
        Vec::new()
    } else {
        ppa_sweep(&cfg, &args.sizes, &dir.join("ppa"), |s| {
            println!("  sky130 engine {s}...")
        })?
    };
    let m = Measured {
        name: args.config.describe(),
        cfg,
        digits,
        chip,
        gemm,
        ppa,
    };
    let path = write_page(&dir, &m)?;
    println!("  wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
