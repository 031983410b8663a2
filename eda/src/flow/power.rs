//! Power from OpenSTA's `report_power` at the clock a design achieves, for a flat activity or
//! for switching activity measured by simulating the netlist (see `seedchip_verif::activity`).
//!
//! Debian's OpenSTA 2.0.17 reads neither VCD nor SAIF, so measured activity comes in as Tcl:
//! one `set_power_activity` per net, on the cell pin that drives it (`activity.tcl`).

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::report::Report;
use super::{fill, templates, write, FlowError};
use crate::tool::{quote_tcl, run};

/// The activity OpenSTA is given when nothing was measured: every net toggles in 10% of the
/// cycles, high half the time (a common rule of thumb, and what users compare with).
pub const FLAT_ACTIVITY: f64 = 0.1;

/// Switching activity of one net (or input port), counted over a simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetActivity {
    /// The cell pin driving the net (`array/pe_r0_c0/_0724_/Q`), or an input port's name.
    pub net: String,
    /// Transitions (0 -> 1 and 1 -> 0) over the window.
    pub toggles: u64,
    /// Cycles the net was high (fractional: the duty cycle times the window).
    pub high_cycles: f64,
}

/// Switching activity measured on a netlist running a workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// What ran (for the report), e.g. "random int8 GEMM 64x32x16 on the sky130 netlist".
    pub workload: String,
    /// Clock cycles in the window.
    pub cycles: u64,
    /// Useful MACs the workload did in the window (M x K x N).
    pub macs: u64,
    /// Nets inside the design.
    pub nets: Vec<NetActivity>,
    /// Top-level input ports (the clock excluded).
    pub inputs: Vec<NetActivity>,
}

/// One row of `report_power`, in watts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PowerGroup {
    pub internal_w: f64,
    pub switching_w: f64,
    pub leakage_w: f64,
    pub total_w: f64,
}

/// Power of a design for one activity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Power {
    /// Where the activity came from.
    pub activity: String,
    pub clock_mhz: f64,
    pub sequential: PowerGroup,
    pub combinational: PowerGroup,
    /// Hard macros (their Liberty models carry no power: 0 unless a real model is read).
    pub macros: PowerGroup,
    pub total: PowerGroup,
    /// MACs done per cycle: the workload's (measured) or every multiplier's (flat activity).
    pub macs_per_cycle: f64,
    /// Energy per MAC: total power / (clock x MACs per cycle).
    pub pj_per_mac: f64,
    /// 2 operations per MAC: 2 / pJ per MAC.
    pub tops_per_w: f64,
    /// Nets (with ports) given a measured activity; the rest OpenSTA propagates.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nets_annotated: Option<u64>,
}

/// Flat and (when simulated) measured power.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PowerReport {
    pub flat: Power,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub measured: Option<Power>,
}

/// Run OpenSTA's `report_power` in `out` (a finished sky130 run) at the achieved clock, with
/// the flat activity (unless the report has it already), and with `activity` too when given;
/// record both in `report.power`.
pub fn power(
    out: &Path,
    report: &mut Report,
    activity: Option<&Activity>,
) -> Result<(), FlowError> {
    let fmax = report.fmax_mhz.ok_or_else(|| FlowError::Parse {
        what: "power needs the design's Fmax: run the sky130 flow first".into(),
    })?;
    let peak_macs = report.macs as f64;
    let flat = match report.power.as_ref().map(|p| p.flat.clone()) {
        Some(f) => f,
        None => {
            let groups = report_power(
                out,
                report,
                "flat",
                format!("set_power_activity -global -activity {FLAT_ACTIVITY} -duty 0.5"),
            )?;
            let label = format!(
                "flat: every net toggles in {:.0}% of cycles (MACs per cycle at peak)",
                FLAT_ACTIVITY * 100.0
            );
            figures(label, fmax, groups, peak_macs)
        }
    };
    let measured = match activity {
        Some(a) => {
            write(out, "activity.tcl", &activity_tcl(a))?;
            report
                .files
                .insert("activity".into(), "activity.tcl".into());
            let groups = report_power(out, report, "measured", "source activity.tcl".into())?;
            let label = format!(
                "measured: {} ({} cycles, {:.1}% of peak MACs)",
                a.workload,
                a.cycles,
                100.0 * a.macs as f64 / (a.cycles as f64 * peak_macs)
            );
            let mut p = figures(label, fmax, groups, a.macs as f64 / a.cycles.max(1) as f64);
            p.nets_annotated = Some((a.nets.len() + a.inputs.len()) as u64);
            Some(p)
        }
        None => None,
    };
    report.power = Some(PowerReport { flat, measured });
    Ok(())
}

/// One OpenSTA run of `power.tcl` at the report's Fmax with `activity_tcl` (written as
/// `power_<tag>.tcl`, logged as `power_<tag>.log` and listed in the report's files): the
/// Sequential, Combinational, Macro and Total rows.
fn report_power(
    out: &Path,
    report: &mut Report,
    tag: &str,
    activity_tcl: String,
) -> Result<[PowerGroup; 4], FlowError> {
    let liberty = report
        .liberty_path
        .as_deref()
        .ok_or_else(|| FlowError::Parse {
            what: "power needs the sky130 run's Liberty file".into(),
        })?;
    let fmax = report.fmax_mhz.expect("checked by the caller");
    let read_macros = if report.macros.is_empty() {
        String::new()
    } else {
        "read_liberty sram_macros.lib".to_string()
    };
    let vals = [
        ("LIBERTY_TCL", quote_tcl(Path::new(liberty))?),
        ("READ_MACROS", read_macros),
        ("TOP", report.top.clone()),
        ("PERIOD_NS", format!("{:.4}", 1000.0 / fmax)),
        ("ACTIVITY", activity_tcl),
    ];
    let script = format!("power_{tag}.tcl");
    write(out, &script, &fill(templates::POWER_TCL, &vals)?)?;
    let log = format!("power_{tag}.log");
    let text = run(
        Path::new("sta"),
        "OpenSTA (sta)",
        &["-no_splash".into(), "-exit".into(), script],
        out,
        &log,
    )?;
    report.files.insert(format!("power_{tag}_log"), log.clone());
    parse_power(&text).ok_or_else(|| FlowError::Parse {
        what: format!(
            "OpenSTA printed no power report (log: {})",
            out.join(&log).display()
        ),
    })
}

fn figures(activity: String, fmax: f64, g: [PowerGroup; 4], macs_per_cycle: f64) -> Power {
    let [sequential, combinational, macros, total] = g;
    let pj_per_mac = if macs_per_cycle > 0.0 {
        total.total_w / (fmax * 1e6 * macs_per_cycle) * 1e12
    } else {
        f64::INFINITY
    };
    Power {
        activity,
        clock_mhz: fmax,
        sequential,
        combinational,
        macros,
        total,
        macs_per_cycle,
        pj_per_mac,
        tops_per_w: 2.0 / pj_per_mac,
        nets_annotated: None,
    }
}

/// The Sequential, Combinational, Macro and Total rows of `report_power`.
pub fn parse_power(text: &str) -> Option<[PowerGroup; 4]> {
    let block = text.split("==== seedchip: power").nth(1)?;
    let row = |name: &str| -> Option<PowerGroup> {
        let line = block
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))?;
        let v: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .take(4)
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        (v.len() == 4).then(|| PowerGroup {
            internal_w: v[0],
            switching_w: v[1],
            leakage_w: v[2],
            total_w: v[3],
        })
    };
    Some([
        row("Sequential")?,
        row("Combinational")?,
        row("Macro")?,
        row("Total")?,
    ])
}

/// `activity.tcl`: each measured net's activity on the cell pin that drives it, and the
/// inputs'.
fn activity_tcl(a: &Activity) -> String {
    let cycles = a.cycles.max(1) as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# seedchip: switching activity measured by simulating netlist.v ({}), {} cycles.\n\
         # activity = transitions per clock cycle, duty = fraction of the time high; one line\n\
         # per net, on the cell pin that drives it (`sta::set_power_pin_activity`: the -pins\n\
         # option of set_power_activity calls a helper missing from OpenSTA 2.0.17).",
        a.workload, a.cycles
    );
    let fmt = |n: &NetActivity| {
        (
            n.toggles as f64 / cycles,
            (n.high_cycles / cycles).clamp(0.0, 1.0),
        )
    };
    for p in &a.inputs {
        let (act, duty) = fmt(p);
        let _ = writeln!(
            s,
            "set_power_activity -input_ports [get_ports {{{}}}] -activity {act:.6} -duty {duty:.6}",
            p.net
        );
    }
    for n in &a.nets {
        let (act, duty) = fmt(n);
        let _ = writeln!(
            s,
            "sta::set_power_pin_activity [get_pins {{{}}}] {act:.6} {duty:.6}",
            n.net
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_power_rows_are_read() {
        let text = "junk\n==== seedchip: power\n\
Group                    Internal    Switching      Leakage        Total\n\
                            Power        Power        Power        Power\n\
------------------------------------------------------------------------\n\
Sequential           7.525235e-02 8.618449e-04 3.711369e-08 7.611423e-02  88.4%\n\
Combinational        7.120912e-03 2.860063e-03 3.637337e-08 9.981011e-03  11.6%\n\
Macro                0.000000e+00 0.000000e+00 0.000000e+00 0.000000e+00   0.0%\n\
Pad                  0.000000e+00 0.000000e+00 0.000000e+00 0.000000e+00   0.0%\n\
------------------------------------------------------------------------\n\
Total                8.237636e-02 3.721945e-03 7.348862e-08 8.609838e-02 100.0%\n";
        let [seq, comb, mac, total] = parse_power(text).unwrap();
        assert_eq!(seq.total_w, 7.611423e-02);
        assert_eq!(comb.switching_w, 2.860063e-03);
        assert_eq!(mac.total_w, 0.0);
        assert_eq!(total.internal_w, 8.237636e-02);
        assert!(parse_power("no report").is_none());
    }

    #[test]
    fn energy_per_mac_and_tops_per_watt_follow_from_power_and_work() {
        let g = PowerGroup {
            total_w: 0.5,
            ..PowerGroup::default()
        };
        // 0.5 W at 200 MHz doing 256 MACs per cycle: 2.5 nJ per cycle, 9.77 pJ per MAC.
        let p = figures("t".into(), 200.0, [g, g, g, g], 256.0);
        assert!((p.pj_per_mac - 9.765625).abs() < 1e-9);
        assert!((p.tops_per_w - 2.0 / 9.765625).abs() < 1e-12);
    }
}
