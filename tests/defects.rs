//! Defects found by review, each with the test that failed before its fix.

mod common;
use common::*;

use std::io::Read;
use std::path::Path;
use std::process::{Output, Stdio};

fn designs(name: &str) -> String {
    format!("{}/tests/designs/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], dir: &Path) -> Output {
    seedchip().args(args).current_dir(dir).output().unwrap()
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = seedchip()
        .args(["generate", "--out", "rtl"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the command prints (as `| head -1` does after one line).
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(101), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[test]
fn zero_runs_or_cases_are_refused_with_usage_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let adder = designs("adder.v");
    for (args, flag) in [
        (
            vec![
                "equiv", "--gold", &adder, "--gate", &adder, "--top", "adder", "--runs", "0",
            ],
            "--runs",
        ),
        (vec!["verify", "--cases", "0"], "--cases"),
        (vec!["bench", "--cases", "0"], "--cases"),
    ] {
        let o = run(&args, dir.path());
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(t.contains(flag) && t.contains("0"), "{t}");
    }
}

#[test]
fn tool_errors_exit_2_and_a_tool_that_cannot_start_is_not_called_missing() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_program = dir.path().join("verilator");
    std::fs::write(&not_a_program, "not a program").unwrap();
    let o = seedchip()
        .args(["verify", "--cases", "1"])
        .env("SEEDCHIP_VERILATOR", &not_a_program)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("could not be started") && !t.contains("not found"),
        "{t}"
    );
    // A missing file is exit 2 with its name.
    let o = run(
        &[
            "equiv",
            "--gold",
            "/nonexistent.v",
            "--gate",
            "/nonexistent.v",
            "--top",
            "x",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// A saved stimulus for counter.v (clocked, reset `rst`, one input `en`).
fn counter_saved() -> serde_json::Value {
    serde_json::json!({
        "seed": 1,
        "reset": { "port": "rst", "active_low": false, "cycles": 2 },
        "clock": "clk",
        "constraints": { "inputs": {}, "handshake": [], "outputs": {} },
        "stimulus": { "inputs": ["en"], "cycles": [["1'h1"], ["1'h0"], ["1'h1"]] }
    })
}

fn replay(saved: &serde_json::Value, dir: &Path) -> Output {
    let file = dir.join("saved.json");
    std::fs::write(&file, serde_json::to_string(saved).unwrap()).unwrap();
    let counter = designs("counter.v");
    run(
        &[
            "equiv",
            "--gold",
            &counter,
            "--gate",
            &designs("counter_twin.v"),
            "--top",
            "counter",
            "--out",
            "eq",
            "--replay",
            file.to_str().unwrap(),
        ],
        dir,
    )
}

#[test]
fn replay_validates_the_saved_file() {
    let dir = tempfile::tempdir().unwrap();
    // The file as saved replays.
    let o = replay(&counter_saved(), dir.path());
    assert!(o.status.success(), "{}", text(&o));

    let mut bad_handshake = counter_saved();
    bad_handshake["constraints"]["handshake"] =
        serde_json::json!([{ "valid": "en", "ready": "no_such_port", "data": [] }]);
    let mut no_clock = counter_saved();
    no_clock["clock"] = serde_json::Value::Null;
    no_clock["reset"] = serde_json::Value::Null;
    no_clock["stimulus"]["inputs"] = serde_json::json!(["clk", "rst", "en"]);
    no_clock["stimulus"]["cycles"] = serde_json::json!([["1'h1", "1'h0", "1'h1"]]);
    let mut bad_reset = counter_saved();
    bad_reset["reset"]["port"] = serde_json::json!("en");
    let mut wide = counter_saved();
    wide["stimulus"]["cycles"] = serde_json::json!([["4'h3"]]);
    let mut short = counter_saved();
    short["stimulus"]["cycles"] = serde_json::json!([[]]);
    for (saved, expect) in [
        (bad_handshake, "no_such_port"),
        (
            no_clock,
            "its clock is none, but these designs' clock is `clk`",
        ),
        (bad_reset, "inputs"),
        (wide, "a 4-bit value for the 1-bit input `en`"),
        (short, "cycle 0 has 0 values for 1 inputs"),
    ] {
        let o = replay(&saved, dir.path());
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{expect}: {t}");
        assert!(
            t.contains(expect) && !t.contains("panicked"),
            "{expect}: {t}"
        );
    }
}

#[test]
fn formal_works_on_paths_with_spaces_and_on_designs_with_memories() {
    // The 1x2 engine holds its results in an SRAM (a Yosys $mem cell); before the fix the SAT
    // import failed on it, and unquoted paths broke on the space.
    let dir = tempfile::tempdir().unwrap();
    let spaced = dir.path().join("with space");
    std::fs::create_dir_all(&spaced).unwrap();
    std::fs::write(spaced.join("c.toml"), "[matrix]\nrows = 1\ncols = 2\n").unwrap();
    let o = run(
        &[
            "generate", "--top", "engine", "--config", "c.toml", "--out", "rtl",
        ],
        &spaced,
    );
    assert!(o.status.success(), "{}", text(&o));
    let rtl = spaced.join("rtl");
    let files: Vec<String> = file_list(&rtl)
        .iter()
        .map(|f| rtl.join(f).display().to_string())
        .collect();
    let top = top_of(&rtl);
    let netlist = spaced.join("net work.v");
    let script = format!(
        "read_verilog {}; synth -top {top}; write_verilog -noattr \"{}\"",
        files
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(" "),
        netlist.display()
    );
    let o = tool("yosys", &["-q", "-p", &script], &spaced);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        &[
            "equiv",
            "--gold",
            &files.join(","),
            "--gate",
            netlist.to_str().unwrap(),
            "--top",
            &top,
            "--formal",
            "--out",
            "formal out",
        ],
        &spaced,
    );
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("proven equivalent by register matching"), "{t}");
}
