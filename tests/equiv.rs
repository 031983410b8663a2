//! `seedchip equiv` on hand-written designs and on seedchip's own RTL and netlists.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Output;

fn designs(name: &str) -> String {
    format!("{}/tests/designs/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn equiv(args: &[&str], out: &Path) -> Output {
    seedchip()
        .arg("equiv")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn last_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[test]
fn equivalent_adders_pass_in_simulation_and_formally() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, gate) = (designs("adder.v"), designs("adder_ripple.v"));
    let o = equiv(
        &[
            "--gold", &gold, "--gate", &gate, "--top", "adder", "--seed", "1", "--runs", "4",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed");
    let json = dir.path().join("verdict.json");
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            &gate,
            "--top",
            "adder",
            "--formal",
            "--json",
            json.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(
        o.status.success() && text(&o).contains("proven equivalent"),
        "{}",
        text(&o)
    );
    // The verdict for scripts: the same as the exit code and the printed line.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (&v["mode"], &v["verdict"], &v["exit_code"], &v["top"]),
        (
            &serde_json::json!("formal"),
            &serde_json::json!("proven"),
            &serde_json::json!(0),
            &serde_json::json!("adder")
        ),
        "{v}"
    );
}

#[test]
fn the_adder_corner_case_is_found_shrunk_and_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let (gold, gate) = (designs("adder.v"), designs("adder_ripple_bug.v"));
    let cons = designs("adder_corner.toml");
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            &gate,
            "--top",
            "adder",
            "--seed",
            "3",
            "--runs",
            "2",
            "--cycles",
            "300",
            "--constraints",
            &cons,
            "--json",
            dir.path().join("verdict.json").to_str().unwrap(),
        ],
        dir.path(),
    );
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert_eq!(last_line(&o), "0 passed, 2 failed", "{t}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("verdict.json")).unwrap())
            .unwrap();
    assert_eq!(v["verdict"], "not equivalent", "{v}");
    assert_eq!(
        (v["exit_code"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (v["seed"].as_u64(), v["runs"].as_u64(), v["cycles"].as_u64()),
        (Some(3), Some(2), Some(300))
    );
    let f = &v["first_failure"];
    assert_eq!(f["minimal_cycles"].as_u64(), Some(1), "{v}");
    assert!(
        f["minimal_mismatch"]
            .as_str()
            .unwrap()
            .contains("output `sum`: gold 510"),
        "{v}"
    );
    assert!(
        t.contains("output `sum`: gold 510 (hex 1fe), gate 254 (hex fe)"),
        "{t}"
    );
    // Shrunk to the one input pair that shows the bug.
    assert!(
        t.contains("minimal stimulus (1 cycles after reset") && t.contains("cycle 0: a=255 b=255"),
        "{t}"
    );
    for f in ["gold.vcd", "gate.vcd", "minimal.json"] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    let saved = dir.path().join("minimal.json");
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            &gate,
            "--top",
            "adder",
            "--replay",
            saved.to_str().unwrap(),
        ],
        &dir.path().join("again"),
    );
    assert!(
        !o.status.success() && last_line(&o) == "0 passed, 1 failed",
        "{}",
        text(&o)
    );
    // The replay names the original run as it was (300 cycles, not the default).
    assert!(
        text(&o).contains("the original run is --seed 3 --runs 1 --cycles 300"),
        "{}",
        text(&o)
    );
    // The same pair against itself under replay passes.
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            &gold,
            "--top",
            "adder",
            "--replay",
            saved.to_str().unwrap(),
        ],
        &dir.path().join("self"),
    );
    assert!(
        o.status.success() && last_line(&o) == "1 passed, 0 failed",
        "{}",
        text(&o)
    );
}

#[test]
fn formal_finds_the_counterexample_and_says_when_it_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let o = equiv(
        &[
            "--gold",
            &designs("adder.v"),
            "--gate",
            &designs("adder_ripple_bug.v"),
            "--top",
            "adder",
            "--formal",
        ],
        dir.path(),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("counterexample") && t.contains("a = 255") && t.contains("b = 255"),
        "{t}"
    );
    let o = equiv(
        &[
            "--gold",
            &designs("counter.v"),
            "--gate",
            &designs("counter_twin.v"),
            "--top",
            "counter",
            "--formal",
            "--depth",
            "2",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("inconclusive at depth 2"));
    let o = equiv(
        &[
            "--gold",
            &designs("counter.v"),
            "--gate",
            &designs("counter_twin.v"),
            "--top",
            "counter",
            "--formal",
            "--depth",
            "20",
        ],
        dir.path(),
    );
    assert!(
        o.status.success() && text(&o).contains("proven equivalent"),
        "{}",
        text(&o)
    );
    // Sequential simulation of the same pair (clock and reset found by name).
    let o = equiv(
        &[
            "--gold",
            &designs("counter.v"),
            "--gate",
            &designs("counter_twin.v"),
            "--top",
            "counter",
            "--seed",
            "5",
        ],
        dir.path(),
    );
    assert!(
        o.status.success() && last_line(&o) == "8 passed, 0 failed",
        "{}",
        text(&o)
    );
}

fn synth_generic(rows: u32, cols: u32, dir: &Path) -> (Vec<PathBuf>, PathBuf, String) {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, format!("[matrix]\nrows = {rows}\ncols = {cols}\n")).unwrap();
    let out = dir.join("syn");
    let o = seedchip()
        .args([
            "synth", "--target", "generic", "--top", "engine", "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let rtl: Vec<PathBuf> = file_list(&out.join("rtl"))
        .iter()
        .map(|f| out.join("rtl").join(f))
        .collect();
    (rtl, out.join("netlist.v"), top_of(&out.join("rtl")))
}

fn joined(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn engine_rtl_equals_its_generic_netlist_and_a_changed_operator_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (rtl, netlist, top) = synth_generic(2, 2, dir.path());
    let gold = joined(&rtl);
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            netlist.to_str().unwrap(),
            "--top",
            &top,
            "--seed",
            "7",
        ],
        &dir.path().join("eq"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "8 passed, 0 failed");

    // One operator changed in the netlist's PE: an XOR of the accumulate becomes an OR.
    let text_n = std::fs::read_to_string(&netlist).unwrap();
    let pe = text_n.find("module pe_").unwrap();
    let at = pe + text_n[pe..].find(" ^ ").unwrap();
    let bad = dir.path().join("netlist_bad.v");
    std::fs::write(&bad, format!("{} | {}", &text_n[..at], &text_n[at + 3..])).unwrap();
    let o = equiv(
        &[
            "--gold",
            &gold,
            "--gate",
            bad.to_str().unwrap(),
            "--top",
            &top,
            "--seed",
            "7",
        ],
        &dir.path().join("eq2"),
    );
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("first difference: cycle ") && t.contains("output `out_data`"),
        "{t}"
    );
    assert!(dir.path().join("eq2/gate.vcd").is_file());
}

#[test]
fn rtl_against_rtl_with_an_injected_difference_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (rtl, _, top) = synth_generic(2, 2, dir.path());
    let changed: Vec<PathBuf> = rtl
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if !name.starts_with("pe_") {
                return p.clone();
            }
            let t = std::fs::read_to_string(p).unwrap();
            assert!(t.contains("psum_q <= north_psum + "));
            let q = dir.path().join(&name);
            std::fs::write(
                &q,
                t.replacen("psum_q <= north_psum + ", "psum_q <= north_psum - ", 1),
            )
            .unwrap();
            q
        })
        .collect();
    let o = equiv(
        &[
            "--gold",
            &joined(&rtl),
            "--gate",
            &joined(&changed),
            "--top",
            &top,
            "--seed",
            "2",
            "--runs",
            "3",
        ],
        &dir.path().join("eq"),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "0 passed, 3 failed");
}

#[test]
fn synth_check_equiv_passes_on_the_sky130_netlist() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[matrix]\nrows = 2\ncols = 2\n").unwrap();
    let o = seedchip()
        .args([
            "synth",
            "--target",
            "sky130",
            "--top",
            "engine",
            "--check-equiv",
            "--equiv-runs",
            "3",
            "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "3 passed, 0 failed");
}

#[test]
fn mismatched_ports_and_bad_constraints_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let narrow = dir.path().join("narrow.v");
    std::fs::write(
        &narrow,
        "module adder(input wire [6:0] a, input wire [7:0] b, input wire c, output wire [8:0] sum);\n  assign sum = {2'd0, a} + {1'd0, b} + {8'd0, c};\nendmodule\n",
    )
    .unwrap();
    let o = equiv(
        &[
            "--gold",
            &designs("adder.v"),
            "--gate",
            narrow.to_str().unwrap(),
            "--top",
            "adder",
        ],
        dir.path(),
    );
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("`a` is 8 bits in gold but 7 bits in gate")
            && t.contains("`c` (input 1 bits) is missing from the gold design"),
        "{t}"
    );

    let bad = dir.path().join("bad.toml");
    for (toml, expect) in [
        (
            "[inputs]\nz = { value = 1 }\n",
            "inputs.z: the design has no port `z`",
        ),
        (
            "[inputs]\na = { value = 300 }\n",
            "inputs.a: value 300 does not fit 8 bits",
        ),
        ("[inputs]\na = { min = 5 }\n", "give exactly one of"),
        (
            "[inputs]\nsum = { value = 1 }\n",
            "`sum` is an output, expected an input",
        ),
        ("[inputs\n", "TOML parse error"),
    ] {
        std::fs::write(&bad, toml).unwrap();
        let o = equiv(
            &[
                "--gold",
                &designs("adder.v"),
                "--gate",
                &designs("adder.v"),
                "--top",
                "adder",
                "--constraints",
                bad.to_str().unwrap(),
            ],
            dir.path(),
        );
        let t = text(&o);
        assert!(
            !o.status.success() && t.contains(expect) && !t.contains("panicked"),
            "{toml}: {t}"
        );
    }
    let o = equiv(
        &[
            "--gold",
            "/nonexistent.v",
            "--gate",
            &designs("adder.v"),
            "--top",
            "adder",
        ],
        dir.path(),
    );
    assert!(!o.status.success() && text(&o).contains("cannot read `/nonexistent.v`"));
}

#[test]
fn clock_and_reset_names_are_checked_not_guessed_silently() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A named clock that does not exist is an error (it used to be driven as random data).
    let adder = designs("adder.v");
    let o = equiv(
        &[
            "--gold", &adder, "--gate", &adder, "--top", "adder", "--clock", "clock",
        ],
        &d.join("a"),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("--clock `clock` is not a 1-bit input of `adder`"),
        "{t}"
    );
    // An active-low reset under another name is named, not left unreset.
    let counter = d.join("counter_n.v");
    std::fs::write(
        &counter,
        "module counter_n(input wire aclk, input wire resetn, output reg [3:0] q);\n  always @(posedge aclk) if (!resetn) q <= 4'd0; else q <= q + 4'd1;\nendmodule\n",
    )
    .unwrap();
    let c = counter.to_str().unwrap();
    let o = equiv(
        &[
            "--gold",
            c,
            "--gate",
            c,
            "--top",
            "counter_n",
            "--x-init",
            "random",
        ],
        &d.join("b"),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains(
            "have no `rst` input but have `resetn`: name it with --reset resetn --reset-active-low"
        ),
        "{t}"
    );
    // Named, it runs (and the clock `aclk` is found: the only usual clock name there).
    let o = equiv(
        &[
            "--gold",
            c,
            "--gate",
            c,
            "--top",
            "counter_n",
            "--reset",
            "resetn",
            "--reset-active-low",
            "--runs",
            "2",
            "--cycles",
            "50",
        ],
        &d.join("c"),
    );
    assert!(
        o.status.success() && last_line(&o) == "2 passed, 0 failed",
        "{}",
        text(&o)
    );
}

/// A gold design's `'bx` defaults are don't-cares: against its own `synth -flatten` netlist
/// (which resolved them as it liked) it is equivalent in simulation and formally, without
/// output rules. `--strict-x` compares them and finds the difference; a real bug (an operator
/// changed in the gate) is still caught with X as don't-care.
#[test]
fn x_in_the_gold_design_is_a_dont_care_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let gold = designs("xcpu.v");
    let netlist = dir.path().join("xcpu_syn.v");
    let o = tool(
        "yosys",
        &[
            "-q",
            "-p",
            &format!(
                "read_verilog {gold}; synth -flatten -top xcpu; write_verilog -noattr {}",
                netlist.display()
            ),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let gate = netlist.to_str().unwrap();
    let sim = |gate: &str, extra: &[&str], out: &str| {
        let mut args = vec![
            "--gold", &gold, "--gate", gate, "--top", "xcpu", "--seed", "1", "--runs", "4",
            "--cycles", "300",
        ];
        args.extend_from_slice(extra);
        equiv(&args, &dir.path().join(out))
    };
    let o = sim(gate, &[], "dc");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed");
    let o = sim(gate, &["--formal"], "dc_formal");
    assert!(
        o.status.success() && text(&o).contains("proven equivalent"),
        "{}",
        text(&o)
    );

    let o = sim(gate, &["--strict-x"], "strict");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("first difference"), "{}", text(&o));
    let o = sim(gate, &["--strict-x", "--formal"], "strict_formal");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("counterexample"), "{}", text(&o));

    // `a & b` turned into `a | b` in the gate: still a difference with X as don't-care.
    let bug = dir.path().join("xcpu_bug.v");
    let src = std::fs::read_to_string(&gold).unwrap();
    assert!(src.contains("result = a & b;"));
    std::fs::write(&bug, src.replace("result = a & b;", "result = a | b;")).unwrap();
    let o = sim(bug.to_str().unwrap(), &[], "bug");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("output `result`"), "{}", text(&o));
    assert!(
        text(&o).contains("second opinion: Icarus Verilog confirms it"),
        "{}",
        text(&o)
    );
}

/// A difference only Verilator sees is reported as a simulator disagreement (exit 3), not a
/// design difference: here the gate design really is different under Verilator (it reads
/// the `VERILATOR` macro), as a simulator defect would make it.
#[test]
fn a_difference_icarus_does_not_see_is_a_simulator_disagreement() {
    let dir = tempfile::tempdir().unwrap();
    let gold = dir.path().join("pass.v");
    std::fs::write(
        &gold,
        "module pass (input wire [7:0] a, output wire [7:0] y);
    assign y = a;
endmodule
",
    )
    .unwrap();
    let gate = dir.path().join("pass_sim.v");
    std::fs::write(
        &gate,
        "module pass (input wire [7:0] a, output wire [7:0] y);
         `ifdef VERILATOR
    assign y = a == 8'd77 ? 8'd0 : a;
`else
    assign y = a;
`endif
         endmodule
",
    )
    .unwrap();
    let json = dir.path().join("v.json");
    let o = equiv(
        &[
            "--gold",
            gold.to_str().unwrap(),
            "--gate",
            gate.to_str().unwrap(),
            "--top",
            "pass",
            "--seed",
            "1",
            "--runs",
            "2",
            "--cycles",
            "3000",
            "--json",
            json.to_str().unwrap(),
        ],
        &dir.path().join("out"),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(3), "{t}");
    assert!(
        t.contains("on the gate design the simulators disagree")
            && t.contains("Verilator 00, Icarus 4d")
            && t.contains("a simulator disagreement, not a design difference"),
        "{t}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["verdict"], "simulator disagreement", "{v}");
    assert_eq!(v["exit_code"], 3, "{v}");
}

/// A corpus design: its file, top, and the parameters its netlist is built with (given to
/// the gold side with `--gold-param`).
struct Corpus {
    file: &'static str,
    top: &'static str,
    params: &'static [(&'static str, &'static str)],
}

const CORPUS: [Corpus; 4] = [
    Corpus {
        file: "uart.v",
        top: "uart",
        params: &[("CLKS_PER_BIT", "4")],
    },
    Corpus {
        file: "fifo.sv",
        top: "fifo",
        params: &[("DEPTH", "16")],
    },
    // SAT proofs of multipliers grow steeply with width: 6 bits prove in seconds (8 in about
    // a minute; 16 stay inconclusive within the default 600 s).
    Corpus {
        file: "mult.v",
        top: "mult",
        params: &[("WIDTH", "6")],
    },
    Corpus {
        file: "xcpu.v",
        top: "xcpu",
        params: &[],
    },
];

/// The design's `synth -flatten` netlist (the standard recipe), built with its parameters.
fn corpus_netlist(d: &Corpus, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{}_syn.v", d.top));
    let chparam: String = d
        .params
        .iter()
        .map(|(n, v)| format!(" -chparam {n} {v}"))
        .collect();
    let script = format!(
        "read_verilog -sv {}; hierarchy -top {}{chparam}; synth -flatten -top {}; write_verilog -noattr {}",
        designs(d.file),
        d.top,
        d.top,
        out.display()
    );
    let o = tool("yosys", &["-q", "-p", &script], dir);
    assert!(o.status.success(), "{}: {}", d.file, text(&o));
    out
}

fn gold_params(d: &Corpus) -> Vec<String> {
    d.params
        .iter()
        .flat_map(|(n, v)| ["--gold-param".to_string(), format!("{n}={v}")])
        .collect()
}

/// Every corpus design against its own `synth -flatten` netlist: random simulation passes
/// (the FIFO's gold side read through a file list) and the formal check proves it.
#[test]
fn every_corpus_design_equals_its_netlist_in_simulation_and_formally() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for d in &CORPUS {
        let netlist = corpus_netlist(d, dir.path());
        let gold = if d.file.ends_with(".sv") {
            let list = dir.path().join(format!("{}.f", d.top));
            std::fs::write(&list, format!("// the gold RTL\n{}\n", designs(d.file))).unwrap();
            list.display().to_string()
        } else {
            designs(d.file)
        };
        let params = gold_params(d);
        let mut args: Vec<&str> = vec![
            "--gold",
            &gold,
            "--gate",
            netlist.to_str().unwrap(),
            "--top",
            d.top,
        ];
        args.extend(params.iter().map(String::as_str));
        let mut random = args.clone();
        random.extend(["--seed", "3", "--runs", "8", "--cycles", "1000"]);
        let o = equiv(&random, &dir.path().join(format!("{}_sim", d.top)));
        if !(o.status.success() && last_line(&o) == "8 passed, 0 failed") {
            failures.push(format!("{} random: {}", d.top, text(&o)));
        }
        let mut formal = args.clone();
        formal.extend(["--formal", "--timeout", "300"]);
        let o = equiv(&formal, &dir.path().join(format!("{}_formal", d.top)));
        if !(o.status.success() && text(&o).contains("proven equivalent")) {
            failures.push(format!("{} formal: {}", d.top, text(&o)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Injected bugs are caught, each with its minimal stimulus or counterexample: a gate flipped
/// in the UART's netlist and a constant changed in its RTL (random simulation), an operator
/// swapped in a path taken only when `a` is 255 (the formal check), and a FIFO compared
/// without the parameter its netlist was built with (the port widths differ, named).
#[test]
fn injected_bugs_in_the_corpus_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    let uart = &CORPUS[0];
    let params = gold_params(uart);
    let uart_gold = designs(uart.file);
    let compare = |gold: &str, gate: &Path, top: &str, extra: &[&str], out: &str| {
        let mut args = vec![
            "--gold",
            gold,
            "--gate",
            gate.to_str().unwrap(),
            "--top",
            top,
        ];
        args.extend_from_slice(extra);
        equiv(&args, &dir.path().join(out))
    };
    let caught = |o: &Output, what: &str| {
        let t = text(o);
        assert_eq!(o.status.code(), Some(1), "{what}: {t}");
        assert!(t.contains("minimal stimulus"), "{what}: {t}");
    };
    let random: Vec<&str> = params
        .iter()
        .map(String::as_str)
        .chain(["--seed", "1", "--runs", "4", "--cycles", "1000"])
        .collect();

    // One gate flipped in the netlist: tx_ready's AND becomes an OR.
    let netlist = corpus_netlist(uart, dir.path());
    let text_of = std::fs::read_to_string(&netlist).unwrap();
    let line = text_of
        .lines()
        .find(|l| l.trim_start().starts_with("assign tx_ready =") && l.contains('&'))
        .expect("tx_ready is an AND in the netlist");
    let flipped = netlist.with_file_name("uart_flipped.v");
    std::fs::write(&flipped, text_of.replace(line, &line.replacen('&', "|", 1))).unwrap();
    caught(
        &compare(&uart_gold, &flipped, "uart", &random, "flipped"),
        "a flipped gate",
    );

    // One constant changed in the RTL: the receiver waits one cycle too long for mid-start.
    let src = std::fs::read_to_string(&uart_gold).unwrap();
    let changed = dir.path().join("uart_const.v");
    assert!(src.contains("CLKS_PER_BIT / 2 - 1"));
    std::fs::write(
        &changed,
        src.replace("CLKS_PER_BIT / 2 - 1", "CLKS_PER_BIT / 2"),
    )
    .unwrap();
    let mut both: Vec<&str> = random.clone();
    both.extend(["--gate-param", "CLKS_PER_BIT=4"]);
    caught(
        &compare(&uart_gold, &changed, "uart", &both, "constant"),
        "a changed constant",
    );

    // An operator swapped where only a = 255 (and op = 4) goes: formal finds it.
    let xcpu = designs("xcpu.v");
    let src = std::fs::read_to_string(&xcpu).unwrap();
    let swapped = dir.path().join("xcpu_swapped.v");
    assert!(src.contains("a == 8'hff ? a - b"));
    std::fs::write(
        &swapped,
        src.replace("a == 8'hff ? a - b", "a == 8'hff ? a + b"),
    )
    .unwrap();
    let o = compare(&xcpu, &swapped, "xcpu", &["--formal"], "swapped");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("counterexample") && t.contains("a = 255") && t.contains("op = 4"),
        "{t}"
    );

    // The FIFO's netlist for 16 entries against its RTL's default 4096, without
    // --gold-param: the count ports differ, and the message says how.
    let fifo = &CORPUS[1];
    let netlist = corpus_netlist(fifo, dir.path());
    let o = compare(&designs(fifo.file), &netlist, "fifo", &[], "noparam");
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("`count` is 13 bits in gold but 5 bits in gate"),
        "{t}"
    );
}

/// Parameter overrides are checked: a malformed one is refused by the command line, and one
/// the design does not have is an error from the simulator, not a silent default.
#[test]
fn parameter_overrides_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let uart = designs("uart.v");
    for (bad, want) in [
        ("CLKS_PER_BIT", "is not NAME=VALUE"),
        ("4=4", "is not NAME=VALUE"),
        ("CLKS_PER_BIT=", "is not NAME=VALUE"),
    ] {
        let o = equiv(
            &["--gold", &uart, "--gate", &uart, "--top", "uart", "-G", bad],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", text(&o));
        assert!(text(&o).contains(want), "{bad}: {}", text(&o));
    }
    let o = equiv(
        &[
            "--gold",
            &uart,
            "--gate",
            &uart,
            "--top",
            "uart",
            "-G",
            "NO_SUCH_PARAM=3",
            "--runs",
            "1",
        ],
        dir.path(),
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("NO_SUCH_PARAM"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

/// A design that does not compile is reported at the user's file and line, not at the copy
/// in the model cache.
#[test]
fn a_syntax_error_names_the_users_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.v");
    std::fs::write(
        &bad,
        "module broken (input wire clk, output wire y);\n    assign y = clk +;\nendmodule\n",
    )
    .unwrap();
    let b = bad.to_str().unwrap();
    let o = equiv(&["--gold", b, "--gate", b, "--top", "broken"], dir.path());
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains(&format!("{b}:2:")), "{t}");
    assert!(!t.contains("/src/000_"), "{t}");
}

/// Constraints that say what matters: an input drawn from a set of values (weighted), and an
/// output qualified by an expression over outputs. The gate design keeps a stale address
/// while idle and misbehaves on an opcode the bus never sends: equivalent under those
/// constraints, different without either.
#[test]
fn value_sets_and_when_expressions_narrow_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let module = |addr_idle: &str, wr: &str| {
        format!(
            "module bus (input wire clk, input wire rst, input wire [2:0] op, input wire [7:0] a,\n\
             output reg rd, output reg wr, output reg [7:0] addr);\n\
             always @(posedge clk)\n\
             if (rst) begin rd <= 1'b0; wr <= 1'b0; addr <= 8'd0; end\n\
             else begin\n\
             rd <= op == 3'd1;\n\
             wr <= {wr};\n\
             addr <= (op == 3'd1 || op == 3'd2) ? a : {addr_idle};\n\
             end\nendmodule\n"
        )
    };
    let (gold, gate) = (dir.path().join("bus.v"), dir.path().join("bus_gate.v"));
    std::fs::write(&gold, module("8'd0", "op == 3'd2")).unwrap();
    std::fs::write(&gate, module("addr", "op == 3'd2 || op == 3'd7")).unwrap();
    let write = |name: &str, toml: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, toml).unwrap();
        p.display().to_string()
    };
    let both = write(
        "both.toml",
        "[inputs]\nop = { one_of = [0, 1, 2, 3], weights = [4.0, 1.0, 1.0, 1.0] }\n\
         [outputs]\naddr = { when = \"rd | wr\" }\n",
    );
    let when_only = write("when.toml", "[outputs]\naddr = { when = \"rd | wr\" }\n");
    let set_only = write("set.toml", "[inputs]\nop = { one_of = [0, 1, 2, 3] }\n");
    let run = |constraints: Option<&str>, out: &str| {
        let mut args = vec![
            "--gold",
            gold.to_str().unwrap(),
            "--gate",
            gate.to_str().unwrap(),
            "--top",
            "bus",
            "--seed",
            "2",
            "--runs",
            "4",
            "--cycles",
            "500",
        ];
        if let Some(c) = constraints {
            args.extend(["--constraints", c]);
        }
        equiv(&args, &dir.path().join(out))
    };
    let o = run(Some(&both), "both");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(last_line(&o), "4 passed, 0 failed");
    let o = run(Some(&when_only), "when");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("output `wr`"), "{}", text(&o));
    let o = run(Some(&set_only), "set");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("output `addr`"), "{}", text(&o));
}

/// The 4x4 matrix engine (its SRAM result FIFO and sixteen Booth multipliers included) is
/// proven equal to its generic netlist by register matching (about 6 minutes).
#[test]
#[ignore = "a 6-minute formal proof: make signoff"]
fn the_4x4_engine_is_proven_equal_to_its_netlist() {
    let dir = tempfile::tempdir().unwrap();
    let (rtl, netlist, top) = synth_generic(4, 4, dir.path());
    let o = equiv(
        &[
            "--gold",
            &joined(&rtl),
            "--gate",
            netlist.to_str().unwrap(),
            "--top",
            &top,
            "--formal",
            "--timeout",
            "1800",
        ],
        &dir.path().join("formal"),
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("proven equivalent by register matching"), "{t}");
}
