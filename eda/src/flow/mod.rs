//! Synthesis and PPA flows: `seedchip synth --target generic|sky130|ice40|ecp5`.
//!
//! Every run writes into one output directory: the RTL (`rtl/`), the rendered tool scripts
//! (from the templates in `synth/`, so a user can rerun any step by hand), each tool's log,
//! the netlist, `report.json` and `summary.txt`.
//!
//! One concern per file: [`report`] (what a run measured), [`asic`] (sky130 + OpenSTA +
//! OpenLane), [`macros`] (large SRAMs as timed hard macros), [`fpga`] (iCE40 / ECP5 place
//! and route), [`parse`] (reading tool outputs).

pub mod asic;
pub mod board;
pub mod fpga;
pub mod macros;
pub mod parse;
pub mod power;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seedchip_hdl::chip::{generate_fpga_shell, Config, EngineShape, Top};
use seedchip_hdl::hw::Design;
use serde::{Deserialize, Serialize};

pub use asic::openlane_files;
pub use macros::{MacroInfo, MacroTiming};
pub use power::{Activity, NetActivity, Power, PowerReport};
pub use report::{summary, FpgaResult, ModuleArea, Report, Timing, UnitArea};

use crate::liberty::LibertyError;
use crate::tool::{io_err, quote_yosys, render, run, ToolError};

/// Why a flow step failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Liberty(#[from] LibertyError),
    #[error("{what}")]
    Parse { what: String },
    #[error("the design does not fit any {family} device tried:\n{detail}")]
    DoesNotFit { family: String, detail: String },
    #[error(transparent)]
    Hdl(#[from] seedchip_hdl::hw::HdlError),
    #[error("{0}")]
    Unsupported(String),
}

/// The flow templates (compiled in), as (repository path, text).
pub(crate) mod templates {
    macro_rules! template {
        ($name:ident, $path:literal) => {
            pub const $name: (&str, &str) = ($path, include_str!(concat!("../../../", $path)));
        };
    }
    template!(GENERIC_YS, "synth/generic.ys");
    template!(SKY130_YS, "synth/sky130.ys");
    template!(POWER_TCL, "synth/power.tcl");
    template!(SKY130_ABC, "synth/sky130.abc");
    template!(SKY130_FAST_ABC, "synth/sky130_fast.abc");
    template!(LCU_PREFIX, "synth/lcu_prefix.v");
    template!(SKY130_CONSTR, "synth/sky130.constr");
    template!(SKY130_SDC, "synth/sky130.sdc");
    template!(STA_TCL, "synth/sta.tcl");
    template!(ICE40_YS, "synth/ice40.ys");
    template!(ECP5_YS, "synth/ecp5.ys");
    template!(OPENLANE_CONFIG, "synth/openlane/config.json.in");
}

/// Render one of [`templates`].
pub(crate) fn fill(t: (&str, &str), values: &[(&str, String)]) -> Result<String, FlowError> {
    Ok(render(t.0, t.1, values)?)
}

/// Synthesis target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub const ALL: [Target; 4] = [Target::Generic, Target::Sky130, Target::Ice40, Target::Ecp5];

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

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown target `{s}`; choose generic, sky130, ice40 or ecp5"))
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    pub target: Target,
    /// The design: the whole chip or the engine alone. FPGA targets measure the engine (inside
    /// its measurement shell).
    pub top: Top,
    pub out: PathBuf,
    pub clock_ns: Option<f64>,
    /// sky130: Liberty file (else the lookup order of [`crate::liberty::locate`]).
    pub liberty: Option<PathBuf>,
    /// FPGA: device (`up5k`, `hx8k`; `25k`, `45k`, `85k`); else the smallest that fits.
    pub device: Option<String>,
}

/// The RTL files as a Yosys script argument, relative to the script's directory (`rtl_dir`).
pub(crate) fn file_args(design: &Design, rtl_dir: &str) -> Result<String, FlowError> {
    let files: Result<Vec<String>, ToolError> = design
        .files()
        .iter()
        .map(|f| quote_yosys(&Path::new(rtl_dir).join(&f.file_name)))
        .collect();
    Ok(files?.join(" "))
}

/// The files Yosys reads for an ASIC flow: the RTL from `rtl/`, except that every hard macro
/// ([`macros::macro_modules`]) is read as its blackbox, written into `out/macros/`.
pub(crate) fn asic_file_args(design: &Design, out: &Path) -> Result<String, FlowError> {
    let macros: Vec<String> = macros::macro_modules(design)
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    if macros.is_empty() {
        return file_args(design, "rtl");
    }
    let dir = out.join("macros");
    std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
    let mut args = Vec::new();
    for f in design.files() {
        if !macros.contains(&f.module) {
            args.push(quote_yosys(&Path::new("rtl").join(&f.file_name))?);
        }
    }
    for b in design.sram_blackboxes() {
        if macros.contains(&b.module) {
            write(&dir, &b.file_name, &b.text)?;
            args.push(quote_yosys(&Path::new("macros").join(&b.file_name))?);
        }
    }
    Ok(args.join(" "))
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf, FlowError> {
    let p = dir.join(name);
    std::fs::write(&p, text).map_err(io_err("writing", &p))?;
    Ok(p)
}

pub(crate) fn read(path: &Path) -> Result<String, FlowError> {
    Ok(std::fs::read_to_string(path).map_err(io_err("reading", path))?)
}

pub(crate) fn yosys() -> PathBuf {
    PathBuf::from("yosys")
}

/// Run the flow for `cfg`.
pub fn synth(cfg: &Config, opts: &SynthOptions) -> Result<Report, FlowError> {
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(io_err("creating", out))?;
    let clock_ns = opts.clock_ns.unwrap_or(opts.target.default_clock_ns());
    let design = match (opts.target, opts.top) {
        (Target::Ice40 | Target::Ecp5, Top::Engine) => generate_fpga_shell(cfg)?,
        (Target::Ice40 | Target::Ecp5, top) => {
            return Err(FlowError::Unsupported(format!(
                "--top {top}: the {} flow measures the matrix engine (in its FPGA measurement shell); use --top engine",
                opts.target.name()
            )))
        }
        (Target::Generic | Target::Sky130, top) => top.generate(cfg)?,
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
        // Only designs with the matrix engine do MACs.
        macs: if matches!(opts.top, Top::Chip | Top::Engine) {
            shape.rows as u64 * shape.cols as u64
        } else {
            0
        },
        cells: 0,
        cell_types: BTreeMap::new(),
        modules: Vec::new(),
        area_um2: None,
        units: Vec::new(),
        area_per_mac_um2: None,
        macs_per_mm2: None,
        macros: macros::macro_table(&design),
        macro_timing: None,
        fmax_mhz: None,
        timing: None,
        fpga: None,
        liberty: None,
        liberty_path: None,
        power: None,
        files: BTreeMap::from([("rtl".to_string(), "rtl/files.f".to_string())]),
    };
    match opts.target {
        Target::Generic => generic(&design, out, &mut report)?,
        Target::Sky130 => asic::sky130(&design, out, opts, &mut report)?,
        Target::Ice40 => fpga::fpga(&design, out, opts, fpga::Family::Ice40, &mut report)?,
        Target::Ecp5 => fpga::fpga(&design, out, opts, fpga::Family::Ecp5, &mut report)?,
    }
    write_report(out, &report)?;
    Ok(report)
}

/// Write `report.json` and `summary.txt` into `out`.
pub fn write_report(out: &Path, report: &Report) -> Result<(), FlowError> {
    let json = serde_json::to_string_pretty(report).expect("the report serialises");
    write(out, "report.json", &json)?;
    write(out, "summary.txt", &summary(report))?;
    Ok(())
}

fn generic(design: &Design, out: &Path, report: &mut Report) -> Result<(), FlowError> {
    let script = fill(
        templates::GENERIC_YS,
        &[
            ("FILES", asic_file_args(design, out)?),
            ("TOP", report.top.clone()),
        ],
    )?;
    write(out, "generic.ys", &script)?;
    run(
        &yosys(),
        "yosys",
        &["-s".into(), "generic.ys".into()],
        out,
        "yosys.log",
    )?;
    let stat = read(&out.join("stat.txt"))?;
    report::module_table(design, &stat, report);
    report.files.insert("netlist".into(), "netlist.v".into());
    report.files.insert("yosys_log".into(), "yosys.log".into());
    Ok(())
}
