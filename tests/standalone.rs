//! The repository stands alone: `make demo`'s steps run from a copy of the tracked files
//! placed alone in an empty directory, with no PDK variables set, and no tracked file reads
//! anything outside the clone.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tracked_files() -> Vec<String> {
    let o = tool("git", &["ls-files", "-z"], &repo());
    assert!(o.status.success(), "git ls-files: {}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn no_tracked_file_reads_outside_the_clone() {
    let outside = format!("{}{}", "../", "shared");
    for f in tracked_files() {
        let p = repo().join(&f);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue; // binary data (the gzipped Liberty)
        };
        assert!(!text.contains(&outside), "{f} refers to {outside}");
    }
}

fn copy_tracked(to: &Path) {
    for f in tracked_files() {
        let dst = to.join(&f);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(&f), &dst).unwrap();
    }
}

#[test]
fn make_demo_steps_run_from_a_lone_copy_in_an_empty_directory() {
    // The digits network runs in the project's Python (`make test` builds the module first).
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make python` (make test does) before this test",
        python.display()
    );
    let empty = tempfile::tempdir().unwrap();
    let clone = empty.path().join("seedchip");
    copy_tracked(&clone);
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 1);
    std::fs::write(clone.join("small.toml"), "[matrix]\nrows = 2\ncols = 3\n").unwrap();
    let o = std::process::Command::new("make")
        .args([
            "--no-print-directory",
            "demo-steps",
            "DEMO_CONFIG=small.toml",
            "DEMO_FLAGS=-v --sizes 2x2",
        ])
        .arg(format!("SEEDCHIP={}", env!("CARGO_BIN_EXE_seedchip")))
        .arg(format!("PYTHON={}", python.display()))
        .current_dir(&clone)
        .env_remove("SEEDCHIP_LIBERTY")
        .env_remove("PDK_ROOT")
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("bit-exact with the model  yes") && t.contains("digits accuracy"),
        "{t}"
    );
    assert!(t.contains("vendored copy") && t.contains("Fmax"), "{t}");
    let build = clone.join("build/small");
    for f in [
        "seedchip.v",
        "files.f",
        "seedchip.h",
        "digits.json",
        "sky130/report.json",
        "report.html",
        "summary.txt",
        "logs/lint.log",
    ] {
        assert!(build.join(f).is_file(), "build/small/{f} missing\n{t}");
    }
    report_plots_render_in_chromium(&build);
}

/// Open the demo's report.html in headless Chromium and check that every plot laid out each
/// of its data points: the page's script counts the marks with a nonzero box
/// (`data-rendered`), which must equal what the generator drew (`data-points`) and what the
/// inputs hold.
fn report_plots_render_in_chromium(build: &Path) {
    let units = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(build.join("sky130/report.json")).unwrap(),
    )
    .unwrap()["units"]
        .as_array()
        .unwrap()
        .len();
    assert!(units > 3, "the chip's units in sky130/report.json");
    let page = build.join("report.html");
    let o = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium (scripts/setup.sh installs it)");
    let dom = String::from_utf8_lossy(&o.stdout);
    // Utilisation: the digits network's two layers and the GEMM; area: every unit; cycles:
    // busy and stall of the load, compute and store units; PPA: one size (2x2).
    let expected = [
        ("utilisation", 3),
        ("area", units),
        ("cycles", 6),
        ("ppa-area", 1),
        ("ppa-fmax", 1),
    ];
    for (id, n) in expected {
        let at = dom
            .find(&format!(r#"id="{id}""#))
            .unwrap_or_else(|| panic!("no plot `{id}` in the rendered page:\n{dom}"));
        let tag = &dom[at..at + dom[at..].find('>').unwrap()];
        let attr = |name: &str| -> usize {
            let key = format!(r#"{name}=""#);
            let v = &tag[tag
                .find(&key)
                .unwrap_or_else(|| panic!("{id}: no {name} in {tag}"))
                + key.len()..];
            v[..v.find('"').unwrap()].parse().unwrap()
        };
        assert_eq!(attr("data-points"), n, "plot {id}: points drawn");
        assert_eq!(
            attr("data-rendered"),
            n,
            "plot {id}: points the browser laid out"
        );
    }
    assert_eq!(dom.matches(r#"class="plot""#).count(), expected.len());
}
