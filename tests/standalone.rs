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
            "DEMO_CASES=20",
        ])
        .arg(format!("SEEDCHIP={}", env!("CARGO_BIN_EXE_seedchip")))
        .current_dir(&clone)
        .env_remove("SEEDCHIP_LIBERTY")
        .env_remove("PDK_ROOT")
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("lint-clean") && t.contains("20 passed, 0 failed"),
        "{t}"
    );
    assert!(t.contains("vendored copy") && t.contains("Fmax"), "{t}");
    assert!(clone.join("out/default-sky130/report.json").is_file());
}
