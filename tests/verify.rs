//! `seedchip verify` from the command line.

mod common;
use common::*;

fn config(dir: &std::path::Path, rows: u32, cols: u32) -> std::path::PathBuf {
    let p = dir.join("c.toml");
    std::fs::write(&p, format!("[matrix]\nrows = {rows}\ncols = {cols}\n")).unwrap();
    p
}

#[test]
fn two_hundred_cases_on_a_4x4_engine() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 4, 4);
    let o = seedchip()
        .args(["verify", "--cases", "200", "--seed", "42", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let last = String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert_eq!(last, "200 passed, 0 failed", "{t}");
}

#[test]
fn single_cases_replay_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 2, 3);
    let o = seedchip()
        .args(["verify", "--case-seed", "0x1234", "--config"])
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
