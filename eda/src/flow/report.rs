//! `report.json` and `summary.txt`: what a synthesis run measured.

use std::collections::BTreeMap;

use seedchip_hdl::chip::Config;
use seedchip_hdl::hw::Design;
use serde::{Deserialize, Serialize};

use super::{parse, Target};

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
    /// SRAMs kept as hard macros (blackboxes): not in `area_um2`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub macros: Vec<super::MacroInfo>,
    /// sky130: the timing the macros' pins were checked with (assumed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub macro_timing: Option<super::MacroTiming>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fmax_mhz: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpga: Option<FpgaResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liberty: Option<String>,
    /// sky130: the Liberty file the run read (for later OpenSTA runs, such as power).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub liberty_path: Option<String>,
    /// sky130: power at Fmax, flat and (after a simulation) from measured activity.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub power: Option<super::power::PowerReport>,
    /// Files of the run, relative to the output directory.
    pub files: BTreeMap<String, String>,
}

/// Fill `report.modules` from a Yosys `stat` file.
pub(crate) fn module_table(design: &Design, stat_text: &str, report: &mut Report) {
    let names: Vec<String> = design
        .modules()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let stats = parse::yosys_stat(stat_text, &names);
    let totals = design.instance_totals();
    // Each module names its unit when it is built (ModuleBuilder::unit).
    let unit = |name: &str| {
        design
            .modules()
            .iter()
            .find(|m| m.name() == name)
            .and_then(|m| m.unit())
            .unwrap_or("other")
            .to_string()
    };
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
                unit: unit(name),
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

/// Area per unit: every instance counts towards the nearest unit up its hierarchy (its own
/// module's, else its parent's), so shared helpers (FIFOs) count where they are used.
pub(crate) fn unit_table(design: &Design, report: &Report, total: f64) -> Vec<UnitArea> {
    fn walk(
        m: &seedchip_hdl::hw::ModuleRef,
        unit: &str,
        area: &BTreeMap<&str, f64>,
        out: &mut BTreeMap<String, f64>,
    ) {
        let unit = m.unit().unwrap_or(unit);
        *out.entry(unit.to_string()).or_default() += area.get(m.name()).copied().unwrap_or(0.0);
        for (_, child) in m.instances() {
            walk(child, unit, area, out);
        }
    }
    let area: BTreeMap<&str, f64> = report
        .modules
        .iter()
        .map(|m| (m.module.as_str(), m.area_each_um2.unwrap_or(0.0)))
        .collect();
    let mut units = BTreeMap::new();
    let top = design.modules().last().expect("a design has a top");
    walk(top, "other", &area, &mut units);
    units
        .into_iter()
        .filter(|(_, a)| *a > 0.0)
        .map(|(unit, area_um2)| UnitArea {
            unit,
            area_um2,
            share: area_um2 / total,
        })
        .collect()
}

/// The human summary printed and written to `summary.txt`.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let m = &r.config.matrix;
    let engine = if r.macs == 0 {
        String::new()
    } else {
        format!(
            " ({}x{} matrix engine{})",
            m.rows,
            m.cols,
            if m.mac_pipeline {
                ""
            } else {
                ", unpipelined PEs"
            }
        )
    };
    let _ = writeln!(
        s,
        "seedchip synth --target {}: `{}`{engine}, clock {} ns",
        r.target.name(),
        r.top,
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
        match (r.area_per_mac_um2, r.macs_per_mm2) {
            (Some(per_mac), Some(per_mm2)) => {
                let _ = writeln!(
                    s,
                    "  area {:.4} mm2 ({per_mac:.1} um2 per MAC, {per_mm2:.0} MACs/mm2)",
                    area * 1e-6
                );
            }
            _ => {
                let _ = writeln!(s, "  area {:.4} mm2", area * 1e-6);
            }
        }
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
    if let Some(p) = &r.power {
        for x in std::iter::once(&p.flat).chain(p.measured.as_ref()) {
            let _ = writeln!(s, "  {}", power_line(x));
        }
    }
    s
}

/// One line of power figures: total, split, energy per MAC, efficiency, and the activity.
pub fn power_line(p: &super::power::Power) -> String {
    if p.macs_per_cycle == 0.0 {
        return format!(
            "power at {:.1} MHz: {:.1} mW (sequential {:.1}, combinational {:.1}, macros {:.1}); activity {}",
            p.clock_mhz,
            p.total.total_w * 1e3,
            p.sequential.total_w * 1e3,
            p.combinational.total_w * 1e3,
            p.macros.total_w * 1e3,
            p.activity
        );
    }
    format!(
        "power at {:.1} MHz: {:.1} mW (sequential {:.1}, combinational {:.1}, macros {:.1}), \
         {:.2} pJ/MAC, {:.2} TOPS/W; activity {}",
        p.clock_mhz,
        p.total.total_w * 1e3,
        p.sequential.total_w * 1e3,
        p.combinational.total_w * 1e3,
        p.macros.total_w * 1e3,
        p.pj_per_mac,
        p.tops_per_w,
        p.activity
    )
}
