//! `seedchip generate`: the emitted Verilog is lint-clean, latch-free, accepted by every
//! simulator, deterministic; bad configurations are refused with named fields.

mod common;
use common::*;

fn check_clean(rows: u32, cols: u32) {
    check_clean_top(rows, cols, "engine", "");
}

fn check_clean_top(rows: u32, cols: u32, top_kind: &str, extra: &str) {
    let (_keep, rtl) = generate_top(rows, cols, top_kind, extra);
    let top = top_of(&rtl);
    let files = file_list(&rtl);

    for f in &files {
        let t = std::fs::read_to_string(rtl.join(f)).unwrap();
        for banned in ["initial", "$display", "$finish", "casex", "tri "] {
            assert!(!t.contains(banned), "{f} contains `{banned}`");
        }
        assert!(
            t.ends_with("endmodule\n"),
            "{f} does not end with endmodule"
        );
    }

    let lint = tool(
        "verilator",
        &[
            "--lint-only",
            "-Wall",
            "-F",
            "files.f",
            "--top-module",
            &top,
        ],
        &rtl,
    );
    assert!(
        lint.status.success() && lint.stderr.is_empty(),
        "verilator -Wall on {rows}x{cols}: {}",
        text(&lint)
    );

    let iv = tool(
        "iverilog",
        &[
            "-g2005",
            "-Wall",
            "-o",
            "/dev/null",
            "-s",
            &top,
            "-c",
            "files.f",
        ],
        &rtl,
    );
    assert!(
        iv.status.success() && iv.stderr.is_empty(),
        "iverilog -g2005 on {rows}x{cols}: {}",
        text(&iv)
    );

    let script = format!(
        "read_verilog {}; synth -top {top}; select -assert-none t:$dlatch* t:$_DLATCH*; select -assert-none t:$tribuf t:$_TBUF_",
        files.join(" ")
    );
    let ys = tool("yosys", &["-q", "-p", &script], &rtl);
    assert!(
        ys.status.success(),
        "yosys latch check on {rows}x{cols}: {}",
        text(&ys)
    );
}

#[test]
fn clean_1x1() {
    check_clean(1, 1);
}

#[test]
fn clean_2x3() {
    check_clean(2, 3);
}

#[test]
fn clean_3x2() {
    check_clean(3, 2);
}

#[test]
fn clean_4x4() {
    check_clean(4, 4);
}

#[test]
fn clean_16x16() {
    check_clean(16, 16);
}

/// The whole chip, on small memories (yosys maps them to flip-flops here).
const SMALL: &str = "[memory]\nscratchpad_rows = 32\naccumulator_rows = 16\n";

#[test]
fn chip_1x1_on_a_64_bit_bus_is_clean() {
    check_clean_top(1, 1, "chip", &format!("{SMALL}[bus]\ndata_bits = 64\n"));
}

#[test]
fn chip_2x3_on_a_256_bit_bus_with_four_banks_is_clean() {
    check_clean_top(
        2,
        3,
        "chip",
        "[memory]\nscratchpad_rows = 32\naccumulator_rows = 16\nbanks = 4\n[bus]\ndata_bits = 256\n",
    );
}

#[test]
fn chip_4x4_is_clean() {
    check_clean_top(4, 4, "chip", SMALL);
}

#[test]
fn regenerating_is_byte_identical_and_the_pe_exists_once() {
    let (_a, first) = generate(16, 16);
    let (_b, second) = generate(16, 16);
    let files = file_list(&first);
    assert_eq!(files, file_list(&second));
    for f in &files {
        let x = std::fs::read(first.join(f)).unwrap();
        let y = std::fs::read(second.join(f)).unwrap();
        assert!(x == y, "{f} differs between two runs");
    }
    let pe_definitions: usize = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(first.join(f))
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("module pe_"))
                .count()
        })
        .sum();
    assert_eq!(
        pe_definitions, 1,
        "the PE module must be defined exactly once"
    );
    let array = std::fs::read_to_string(first.join("systolic_array_16x16_mb.v")).unwrap();
    assert_eq!(array.matches("\n    pe_p19_mb pe_r").count(), 256);
}

fn refused(config: &str, name: &str, expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join(name);
    std::fs::write(&cfg, config).unwrap();
    let o = seedchip()
        .args(["generate", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("rtl"))
        .output()
        .unwrap();
    let msg = text(&o);
    assert!(!o.status.success(), "`{config}` was accepted");
    assert!(!msg.contains("panicked"), "panic on `{config}`: {msg}");
    for e in expect {
        assert!(msg.contains(e), "message for `{config}` lacks `{e}`: {msg}");
    }
    assert!(
        !dir.path().join("rtl").exists(),
        "nothing is written for a bad config"
    );
}

#[test]
fn bad_configurations_name_the_field() {
    refused(
        "[matrix]\nrows = 0\ncols = 4\n",
        "c.toml",
        &["matrix.rows", "1..=256"],
    );
    refused(
        "[matrix]\nrows = 4\ncols = 257\n",
        "c.toml",
        &["matrix.cols", "1..=256"],
    );
    refused("[matrix]\nrows = -3\n", "c.toml", &["matrix.rows"]);
    refused(
        "[matrix]\nrows = \"16\"\n",
        "c.toml",
        &["matrix.rows", "expected u32"],
    );
    refused(
        "[matrix]\nrows = 4\ncolumns = 4\n",
        "c.toml",
        &["columns", "unknown field"],
    );
    refused("[matrx]\nrows = 4\n", "c.toml", &["matrx", "unknown field"]);
    refused("[matrix\nrows = 4\n", "c.toml", &["c.toml", "line 1"]);
    refused(
        "{\"matrix\": {\"rows\": 300}}",
        "c.json",
        &["matrix.rows", "1..=256"],
    );
    let o = seedchip()
        .args([
            "generate",
            "--config",
            "/nonexistent/c.toml",
            "--out",
            "/tmp/x",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("cannot read configuration `/nonexistent/c.toml`"));
}

#[test]
fn help_is_useful_on_its_own() {
    let o = seedchip().arg("--help").output().unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("generate") && t.contains("[matrix]"),
        "{t}"
    );
    let o = seedchip().args(["generate", "--help"]).output().unwrap();
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("--config") && t.contains("files.f"),
        "{t}"
    );
}

/// The example configurations the README points at load and validate.
#[test]
fn every_example_configuration_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            seedchip_hdl::chip::Config::load(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 2, "the example configurations in {}", dir.display());
}

/// The README's annotated configuration is a valid configuration (every section, field and
/// comment as written there).
#[test]
fn the_readme_configuration_block_loads() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("```toml\n[matrix]")
        .expect("the README's configuration block")
        + 8;
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let cfg =
        seedchip_hdl::chip::Config::from_toml(block, "README.md").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.fpga.baud, 115_200);
    for section in [
        "[matrix]",
        "[memory]",
        "[bus]",
        "[controller]",
        "[vector]",
        "[tiles]",
        "[interconnect]",
        "[fpga]",
    ] {
        assert!(
            block.contains(section),
            "the README's block lacks {section}"
        );
    }
}
