//! The sky130 flow: Yosys mapping to the hd cells, OpenSTA timing, OpenLane files.

use std::path::Path;

use seedchip_hdl::hw::{Design, ModuleRef};

use super::macros::{self, MacroTiming};
use super::report::{module_table, Report, Timing};
use super::{asic_file_args, fill, parse, read, templates, write, yosys, FlowError, SynthOptions};
use crate::liberty;
use crate::tool::{io_err, quote_tcl, quote_yosys, run};

/// Outside the PE array, ABC maps each module for this fraction of the clock period: their
/// paths cross module boundaries, which ABC (one module at a time) does not see.
pub const FAST_FRACTION: f64 = 0.5;

/// Carry chains of at least this many bits get a parallel-prefix network (synth/lcu_prefix.v).
pub const PREFIX_MIN_WIDTH: u32 = 8;

pub(crate) fn sky130(
    design: &Design,
    out: &Path,
    opts: &SynthOptions,
    report: &mut Report,
) -> Result<(), FlowError> {
    let lib = liberty::prepare(opts.liberty.as_deref())?;
    report.liberty_path = Some(lib.path.display().to_string());
    report.liberty = Some(format!(
        "{} ({} dont-use cells removed: {})",
        lib.origin,
        lib.removed.len(),
        liberty::DONT_USE.join(", ")
    ));
    let delay_ps = format!("{:.0}", report.clock_ns * 1000.0);
    let delay_fast_ps = format!("{:.0}", report.clock_ns * 1000.0 * FAST_FRACTION);
    // Hard macros: timed through a Liberty model of their pins.
    let macro_mods = macros::macro_modules(design);
    let read_macros = if macro_mods.is_empty() {
        String::new()
    } else {
        let timing = MacroTiming::default();
        write(
            out,
            "sram_macros.lib",
            &macros::liberty(&macro_mods, &timing),
        )?;
        report.macro_timing = Some(timing);
        report
            .files
            .insert("sram_macros_liberty".into(), "sram_macros.lib".into());
        "read_liberty sram_macros.lib".to_string()
    };
    let vals = [
        ("FILES", asic_file_args(design, out)?),
        ("READ_MACROS", read_macros),
        ("TOP", report.top.clone()),
        ("LIBERTY", quote_yosys(&lib.path)?),
        ("LIBERTY_TCL", quote_tcl(&lib.path)?),
        ("DELAY_PS", delay_ps),
        ("DELAY_FAST_PS", delay_fast_ps.clone()),
        ("PREFIX_MIN_WIDTH", PREFIX_MIN_WIDTH.to_string()),
        ("CLOCK_NS", format!("{}", report.clock_ns)),
    ];
    for (name, template) in [
        ("sky130.ys", templates::SKY130_YS),
        ("sky130.abc", templates::SKY130_ABC),
        ("lcu_prefix.v", templates::LCU_PREFIX),
        ("sky130.constr", templates::SKY130_CONSTR),
        ("constraints.sdc", templates::SKY130_SDC),
        ("sta.tcl", templates::STA_TCL),
    ] {
        write(out, name, &fill(template, &vals)?)?;
    }
    // The ABC script again, for the modules outside the PE array (see sky130.ys).
    let mut fast = vals.to_vec();
    fast.retain(|(k, _)| *k != "DELAY_PS");
    fast.push(("DELAY_PS", delay_fast_ps));
    write(
        out,
        "sky130_fast.abc",
        &fill(templates::SKY130_FAST_ABC, &fast)?,
    )?;
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
    report.units = super::report::unit_table(design, report, total);
    report.area_um2 = Some(total);
    if report.macs > 0 {
        report.area_per_mac_um2 = Some(total / report.macs as f64);
        report.macs_per_mm2 = Some(report.macs as f64 / (total * 1e-6));
    }

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
    crate::cells::cell_models(&lib.path, &[netlist], out)?;

    // Power at Fmax for a flat activity (a simulated workload's comes later, on request).
    super::power::power(out, report, None)?;

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
pub fn openlane_files(
    design: &Design,
    clock_ns: f64,
    rtl_dir: &str,
) -> Result<Vec<(String, String)>, FlowError> {
    let config = fill(
        templates::OPENLANE_CONFIG,
        &[
            ("TOP", design.top().name().to_string()),
            ("CLOCK_NS", format!("{clock_ns}")),
        ],
    )?
    .replace(
        "dir::rtl/",
        &if rtl_dir.is_empty() {
            "dir::".to_string()
        } else {
            format!("dir::{rtl_dir}/")
        },
    );
    let sdc = fill(
        templates::SKY130_SDC,
        &[("CLOCK_NS", format!("{clock_ns}"))],
    )?;
    let top = design.modules().last().expect("a design has a top").clone();
    let mut srams = Vec::new();
    sram_instances(&top, "", &mut srams);
    let list: Vec<serde_json::Value> = srams
        .iter()
        .map(|(path, m)| {
            let spec = m.sram().expect("SRAM boundary");
            let ports: Vec<serde_json::Value> = spec
                .ports()
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "name": p.name,
                        "direction": if p.dir == seedchip_hdl::hw::Dir::Input { "input" } else { "output" },
                        "width": p.width,
                    })
                })
                .collect();
            serde_json::json!({
                "instance": path,
                "module": m.name(),
                "depth": spec.depth,
                "width": spec.width,
                "byte_mask": spec.byte_mask,
                "behaviour": spec.contract(),
                "ports": ports,
            })
        })
        .collect();
    let macros = serde_json::json!({
        "about": "SRAM boundaries of this design: candidates for hard macros (OpenRAM, DFFRAM). The behavioural body in the generated Verilog synthesises to flip-flops; for a macro flow, read sram_blackboxes.v instead of the SRAM modules' files, and give the flow a macro of the same ports and behaviour.",
        "srams": list,
    });
    let blackboxes: String = design
        .sram_blackboxes()
        .iter()
        .map(|f| f.text.clone())
        .collect();
    let mut files = vec![
        ("config.json".into(), config),
        ("constraints.sdc".into(), sdc),
        (
            "macros.json".into(),
            serde_json::to_string_pretty(&macros).expect("json") + "\n",
        ),
    ];
    if !blackboxes.is_empty() {
        files.push(("sram_blackboxes.v".into(), blackboxes));
    }
    Ok(files)
}

pub(crate) fn openlane(design: &Design, out: &Path, report: &Report) -> Result<(), FlowError> {
    let dir = out.join("openlane");
    std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
    for (name, text) in openlane_files(design, report.clock_ns, "../rtl")? {
        write(&dir, &name, &text)?;
    }
    Ok(())
}
