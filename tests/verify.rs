//! `seedchip verify` from the command line.

mod common;
use common::*;

fn config(dir: &std::path::Path, rows: u32, cols: u32) -> std::path::PathBuf {
    let p = dir.join("c.toml");
    std::fs::write(&p, format!("[matrix]\nrows = {rows}\ncols = {cols}\n")).unwrap();
    p
}

fn last_line(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[test]
fn two_hundred_cases_on_a_4x4_engine() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 4, 4);
    let o = seedchip()
        .args([
            "verify", "--level", "engine", "--cases", "200", "--seed", "42",
        ])
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert_eq!(last_line(&o), "200 passed, 0 failed", "{t}");
}

/// A small chip: 2x2 array, 32-row memories.
fn small_chip(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("chip.toml");
    std::fs::write(
        &p,
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n",
    )
    .unwrap();
    p
}

#[test]
fn random_programs_on_a_small_chip_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_chip(dir.path());
    let o = seedchip()
        .args(["verify", "--cases", "30", "--seed", "5", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success() && t.contains("random programs"), "{t}");
    assert_eq!(last_line(&o), "30 passed, 0 failed", "{t}");
}

#[test]
fn a_chip_case_runs_alone_traced_and_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_chip(dir.path());
    let vcd = dir.path().join("chip.vcd");
    let o = seedchip()
        .args(["verify", "--case-seed", "0x99", "--trace"])
        .arg(&vcd)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("one chip case") && last_line(&o) == "1 passed, 0 failed",
        "{t}"
    );
    let wave = std::fs::read_to_string(&vcd).unwrap();
    assert!(wave.contains("m_axi_ar_valid") && wave.contains("s_axil_aw_valid"));

    // A saved chip case (the shape a failure is saved in): LOAD, MATMUL, STORE.
    let case = dir.path().join("chip-case.json");
    let op = |kind: u8, flag: bool| {
        format!(
            r#"{{"kind":{kind},"acc":false,"a":3,"b":5,"c":1,"n":2,"addr":77,"stride":4,"flag":{flag}}}"#
        )
    };
    let json = |ops: &str| {
        format!(
            r#"{{"config":{{"matrix":{{"rows":2,"cols":2}},"memory":{{"scratchpad_rows":32,"accumulator_rows":32}}}},
                "ops":[{ops}],"data_seed":11,
                "timing":{{"read_latency":7,"write_latency":3,"bytes_per_cycle":8.0,"stall":0.2,"seed":4}},
                "x_seed":2}}"#
        )
    };
    let ops = [op(0, false), op(1, true), op(2, false)].join(",");
    std::fs::write(&case, json(&ops)).unwrap();
    let o = seedchip()
        .arg("verify")
        .arg("--replay")
        .arg(&case)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && last_line(&o) == "1 passed, 0 failed",
        "{t}"
    );

    // The same file with an operation kind that does not exist.
    std::fs::write(&case, json(&op(7, false))).unwrap();
    let o = seedchip()
        .arg("verify")
        .arg("--replay")
        .arg(&case)
        .output()
        .unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(
        t.contains("ops[0].kind = 7") && !t.contains("panicked"),
        "{t}"
    );
}

#[test]
fn single_cases_replay_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2, 3);
    let o = seedchip()
        .args([
            "verify",
            "--level",
            "engine",
            "--case-seed",
            "0x1234",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("engine 2x3") && t.ends_with("1 passed, 0 failed\n"),
        "{t}"
    );

    let case = dir.path().join("case.json");
    std::fs::write(
        &case,
        r#"{"engine":{"rows":2,"cols":2},"a":{"rows":1,"cols":3,"data":[-128,127,5]},
            "w":{"rows":3,"cols":1,"data":[-128,-128,1]},
            "stalls":{"weight":[true,false],"act":[],"out":[false,true]},"x_seed":9}"#,
    )
    .unwrap();
    let vcd = dir.path().join("wave.vcd");
    let o = seedchip()
        .args(["verify", "--replay"])
        .arg(&case)
        .arg("--trace")
        .arg(&vcd)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && t.ends_with("1 passed, 0 failed\n"),
        "{t}"
    );
    let wave = std::fs::read_to_string(&vcd).unwrap();
    assert!(
        wave.contains("out_valid") && wave.contains("act_data"),
        "the waveform holds the engine's ports"
    );
}

#[test]
fn bad_input_is_refused_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"rows\": 2}").unwrap();
    let case = |a: &str, w: &str| {
        format!(
            r#"{{"engine":{{"rows":2,"cols":2,"mac_pipeline":false}},"a":{a},"w":{w},"stalls":{{"weight":[],"act":[],"out":[]}},"x_seed":1}}"#
        )
    };
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        case(
            r#"{"rows":1,"cols":3,"data":[1,2]}"#,
            r#"{"rows":3,"cols":1,"data":[1,2,3]}"#,
        ),
    )
    .unwrap();
    let mismatch = dir.path().join("mismatch.json");
    std::fs::write(
        &mismatch,
        case(
            r#"{"rows":1,"cols":3,"data":[1,2,3]}"#,
            r#"{"rows":2,"cols":1,"data":[1,2]}"#,
        ),
    )
    .unwrap();
    for (args, expect) in [
        (
            vec!["verify", "--replay", junk.to_str().unwrap()],
            "not a saved verify case",
        ),
        (
            vec!["verify", "--replay", "/nonexistent.json"],
            "cannot read",
        ),
        (vec!["verify", "--case-seed", "zz"], "is not a seed"),
        (
            vec!["verify", "--random-shapes"],
            "--random-shapes applies to --level engine",
        ),
        (
            vec!["verify", "--trace", "x.vcd"],
            "--trace needs --replay or --case-seed",
        ),
        (vec!["verify", "--cases", "-3"], "unexpected argument"),
        (
            vec!["verify", "--replay", bad.to_str().unwrap()],
            "holds 2 values",
        ),
        (
            vec!["verify", "--replay", mismatch.to_str().unwrap()],
            "`a` has 3 columns but `w` has 2 rows",
        ),
    ] {
        let o = seedchip().args(&args).output().unwrap();
        let t = text(&o);
        assert!(!o.status.success(), "{args:?} accepted: {t}");
        assert!(
            t.contains(expect) && !t.contains("panicked"),
            "{args:?}: {t}"
        );
    }
}
