//! FPGA boards: pin files against the board tops, PLL settings against the vendor tools'
//! calculators, and `seedchip fpga run --sim` end to end for both boards.

mod common;
use common::*;

use std::collections::BTreeSet;

use seedchip_eda::flow::board::placed_pins;
use seedchip_hdl::board::boards::{Board, Pll};

/// The port names of a Verilog module header.
fn header_ports(verilog: &str) -> BTreeSet<String> {
    let module = &verilog[verilog.find("\nmodule ").unwrap()..];
    let header = &module[module.find('(').unwrap()..module.find(");").unwrap()];
    header
        .split(',')
        .filter_map(|p| p.split_whitespace().last())
        .map(|s| {
            s.trim_matches(|c: char| !c.is_alphanumeric() && c != '_')
                .to_string()
        })
        .collect()
}

#[test]
fn pin_files_place_exactly_the_board_tops_ports() {
    for board in Board::ALL {
        let (pll, _) = board.pll(board.info().clock_hz).unwrap();
        let ports = header_ports(&board.top_verilog(pll));
        let declared: BTreeSet<String> = board.pins().iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(ports, declared, "{}: the top's ports", board.info().name);
        let placed: BTreeSet<String> = placed_pins(board).into_iter().collect();
        assert_eq!(
            placed,
            declared,
            "{}: synth/boards/{} places these pins",
            board.info().name,
            board.info().pin_file
        );
    }
}

#[test]
fn pll_settings_reach_what_icepll_and_ecppll_reach() {
    let dir = tempfile::tempdir().unwrap();
    for mhz in [24.0, 30.0, 36.0, 48.0] {
        let (pll, hz) = Board::IceBreaker.pll((mhz * 1e6) as u64).unwrap();
        assert!(matches!(pll, Pll::Ice40 { .. }));
        let o = tool(
            "icepll",
            &["-i", "12", "-o", &mhz.to_string(), "-q", "-m", "-f", "p.v"],
            dir.path(),
        );
        assert!(o.status.success(), "{}", text(&o));
        let v = std::fs::read_to_string(dir.path().join("p.v")).unwrap();
        let achieved: f64 = v
            .lines()
            .find(|l| l.contains("Achieved output frequency"))
            .and_then(|l| l.split(':').nth(1))
            .and_then(|s| s.trim().trim_end_matches("MHz").trim().parse().ok())
            .unwrap();
        assert!(
            (hz as f64 / 1e6 - achieved).abs() < 0.001,
            "{mhz} MHz: ours {hz} Hz, icepll {achieved} MHz"
        );
    }
    let ecppll = seedchip_eda::flow::fpga::yowasp("yowasp-ecppll");
    for mhz in [40.0, 50.0, 62.5] {
        let (_, hz) = Board::Ulx3s.pll((mhz * 1e6) as u64).unwrap();
        let o = std::process::Command::new(&ecppll)
            .args(["-i", "25", "-o", &mhz.to_string(), "-f", "e.v"])
            .current_dir(dir.path())
            .output()
            .expect("yowasp-ecppll (scripts/setup.sh installs it)");
        let t = text(&o);
        let achieved: f64 = t
            .lines()
            .find(|l| l.starts_with("clkout0 frequency"))
            .and_then(|l| l.split(':').nth(1))
            .and_then(|s| s.trim().trim_end_matches("MHz").trim().parse().ok())
            .unwrap_or_else(|| panic!("{t}"));
        assert!(
            (hz as f64 / 1e6 - achieved).abs() < 0.001,
            "{mhz} MHz: ours {hz} Hz, ecppll {achieved} MHz"
        );
    }
}

/// A small chip for the boards, with a fast UART so the simulated link is quick.
fn small_config(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("board.toml");
    std::fs::write(
        &p,
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n\
         [bus]\ndata_bits = 64\n[fpga]\nbaud = 3000000\nmemory_kib = 16\n",
    )
    .unwrap();
    p
}

#[test]
fn fpga_run_sim_matches_the_model_on_both_boards() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    for board in ["ulx3s", "icebreaker"] {
        let o = seedchip()
            .args([
                "fpga", "run", "--sim", "--board", board, "--gemm", "12x10x9", "--seed", "4", "-c",
            ])
            .arg(&cfg)
            .output()
            .unwrap();
        let t = text(&o);
        assert!(o.status.success(), "{board}: {t}");
        assert!(
            t.contains("result: matches the model") && t.contains("cycles: "),
            "{board}: {t}"
        );
    }
}

#[test]
fn fpga_commands_explain_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let cases: [(&[&str], &str); 4] = [
        (
            &["fpga", "run", "--sim", "--board", "de10", "--gemm", "2x2x2"],
            "unknown board `de10`",
        ),
        (
            &["fpga", "run", "--board", "ulx3s", "--gemm", "2x2x2"],
            "--port",
        ),
        (
            &[
                "fpga", "run", "--sim", "--board", "ulx3s", "--gemm", "2x0x2",
            ],
            "--gemm `2x0x2`",
        ),
        (
            &[
                "fpga",
                "run",
                "--sim",
                "--board",
                "ulx3s",
                "--gemm",
                "300x300x300",
            ],
            "device memory holds",
        ),
    ];
    for (args, want) in cases {
        let o = seedchip().args(args).arg("-c").arg(&cfg).output().unwrap();
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains(want), "{args:?}: expected `{want}` in:\n{t}");
        assert!(!t.contains("panicked"), "{t}");
    }
    // A PLL frequency the board cannot make.
    std::fs::write(dir.path().join("slow.toml"), "[fpga]\nclock_khz = 5000\n").unwrap();
    let o = seedchip()
        .args(["fpga", "build", "--board", "icebreaker", "-c"])
        .arg(dir.path().join("slow.toml"))
        .args(["-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("PLL"), "{t}");
}

/// docs/fpga.md's protocol tables are the protocol's own (`SEEDCHIP_BLESS=1` rewrites them).
#[test]
fn the_docs_protocol_tables_are_the_protocols() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fpga.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = "<!-- protocol tables: generated from protocol::markdown(); tests/fpga.rs checks them -->\n";
    let end = "<!-- end of protocol tables -->";
    let (a, b) = (
        doc.find(start).unwrap() + start.len(),
        doc.find(end).unwrap(),
    );
    let tables = seedchip_hdl::board::protocol::markdown();
    if std::env::var_os("SEEDCHIP_BLESS").is_some() {
        std::fs::write(&path, format!("{}{tables}{}", &doc[..a], &doc[b..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[a..b],
        tables,
        "docs/fpga.md: run with SEEDCHIP_BLESS=1 to refresh"
    );
}

/// The iCEBreaker build of the smallest chip stops before place and route, naming the short
/// resource (the whole chip needs about four times the UP5K's logic cells).
#[test]
#[ignore = "a 2-minute iCE40 synthesis: make signoff"]
fn an_icebreaker_build_that_does_not_fit_names_the_short_resource() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tiny.toml");
    std::fs::write(
        &cfg,
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n\
         [bus]\ndata_bits = 64\n[vector]\nlanes = 1\n",
    )
    .unwrap();
    let o = seedchip()
        .args(["fpga", "build", "--board", "icebreaker", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("does not fit the icebreaker's up5k")
            && t.contains("logic cells: needs at least"),
        "{t}"
    );
}

/// The ULX3S bitstream of a 4x4 chip: written, and the design meets the 25 MHz clock.
#[test]
#[ignore = "about 40 minutes of YoWASP Yosys and nextpnr-ecp5: make signoff"]
fn a_ulx3s_bitstream_meets_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 256\naccumulator_rows = 64\n\
         [bus]\ndata_bits = 64\n",
    )
    .unwrap();
    let out = dir.path().join("ulx3s");
    let o = seedchip()
        .args(["fpga", "build", "--board", "ulx3s", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("meets the clock"), "{t}");
    assert!(std::fs::metadata(out.join("design.bit")).unwrap().len() > 100_000);
}

/// The chip for the gate-level checks: the smallest, with a fast UART so the netlist
/// simulates a short program in seconds, and the boards' own device memories (64 KiB: the
/// iCEBreaker's in SPRAM, the ULX3S's in block RAM).
fn gate_level_config() -> &'static str {
    "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n\
     [bus]\ndata_bits = 64\n[controller]\nqueue_depth = 2\n[vector]\nlanes = 1\n\
     [fpga]\nbaud = 3000000\n"
}

/// `fpga run --sim --netlist` on `board`'s top: the netlist must equal the RTL.
fn netlist_runs_a_gemm_as_its_rtl_does(board: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("gl.toml");
    std::fs::write(&cfg, gate_level_config()).unwrap();
    let o = seedchip()
        .args(["fpga", "run", "--sim", "--netlist", "--board", board])
        .args(["--gemm", "4x4x4", "--seed", "2", "-c"])
        .arg(&cfg)
        .arg("-o")
        .arg(dir.path().join("nl"))
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{board}: {t}");
    assert!(
        t.contains("equals the RTL: same STATUS, counters, CYCLES and C")
            && t.contains("result: matches the model"),
        "{board}: {t}"
    );
}

/// The iCEBreaker top's `synth_ice40` netlist, simulated with Yosys's iCE40 cell models,
/// runs a GEMM through its UART pins exactly as the top's RTL does (and as the model says).
#[test]
fn the_icebreaker_netlist_runs_a_gemm_as_its_rtl_does() {
    netlist_runs_a_gemm_as_its_rtl_does("icebreaker");
}

/// The ULX3S top's `synth_ecp5` netlist (YoWASP Yosys), simulated with its ECP5 cell models
/// and seedchip's DSP model, runs a GEMM as the RTL does.
#[test]
#[ignore = "a YoWASP synth_ecp5 of the whole board top and a large netlist build: make signoff"]
fn the_ulx3s_netlist_runs_a_gemm_as_its_rtl_does() {
    netlist_runs_a_gemm_as_its_rtl_does("ulx3s");
}

/// The gate-level check can fail: one LUT of a PE's multiplier turned from XOR into XNOR in
/// the iCE40 netlist makes the netlist's GEMM differ.
#[test]
#[ignore = "an iCE40 synthesis and two netlist builds (about 6 minutes): make signoff"]
fn the_gate_level_check_catches_a_flipped_lut() {
    use seedchip_verif::board::{compare_netlist, BoardError};
    let dir = tempfile::tempdir().unwrap();
    let cfg = seedchip_hdl::chip::Config::from_toml(gate_level_config(), "gl.toml").unwrap();
    let mut rng = seedchip_verif::noise::XorShift64::new(5);
    let (a, w) = (rng.matrix(4, 4), rng.matrix(4, 4));
    let out = dir.path();
    let synthesis = seedchip_eda::flow::board::synthesize(&cfg, Board::IceBreaker, out).unwrap();
    let good = compare_netlist(
        &cfg,
        Board::IceBreaker,
        synthesis.clone(),
        out,
        &a,
        &w,
        &mut |_| {},
    );
    assert!(good.is_ok(), "the unmutated netlist: {:?}", good.err());

    let netlist = std::fs::read_to_string(&synthesis.netlist).unwrap();
    let lut = "  ) \\core.chip.compute.engine.array.pe_r0_c0.product_SB_LUT4_O  (";
    let at = netlist
        .find(lut)
        .expect("the PE's product LUT in the netlist");
    let init = netlist[..at]
        .rfind(".LUT_INIT(16'h6996)")
        .expect("an XOR LUT");
    let mut mutated = netlist.clone();
    mutated.replace_range(init..init + 19, ".LUT_INIT(16'h9669)");
    std::fs::write(&synthesis.netlist, mutated).unwrap();
    match compare_netlist(&cfg, Board::IceBreaker, synthesis, out, &a, &w, &mut |_| {}) {
        Err(BoardError::Mismatch(m)) => assert!(m.contains("on the netlist: DRAM byte"), "{m}"),
        other => panic!("the flipped LUT went unnoticed: {other:?}"),
    }
}
