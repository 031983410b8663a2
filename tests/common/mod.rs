//! Helpers shared by the workspace-level tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `seedchip` binary under test.
pub fn seedchip() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seedchip"))
}

/// Run an external tool; a missing tool is a test failure that says how to install it.
pub fn tool(name: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(name)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{name}` ({e}); run scripts/setup.sh to install the tools")
        })
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `seedchip generate --top engine` for an R x C matrix config into a fresh directory.
pub fn generate(rows: u32, cols: u32) -> (tempfile::TempDir, PathBuf) {
    generate_top(rows, cols, "engine", "")
}

/// `seedchip generate --top TOP` for an R x C matrix config (plus `extra` TOML sections).
pub fn generate_top(rows: u32, cols: u32, top: &str, extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[matrix]\nrows = {rows}\ncols = {cols}\n{extra}"),
    )
    .unwrap();
    let out = dir.path().join("rtl");
    let o = seedchip()
        .args(["generate", "--top", top, "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "generate failed: {}", text(&o));
    (dir, out)
}

/// Module files listed in `files.f`, in order.
pub fn file_list(rtl: &Path) -> Vec<String> {
    std::fs::read_to_string(rtl.join("files.f"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The top module: last in `files.f`.
pub fn top_of(rtl: &Path) -> String {
    file_list(rtl)
        .last()
        .unwrap()
        .trim_end_matches(".v")
        .to_string()
}
