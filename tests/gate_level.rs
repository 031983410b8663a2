//! The synthesized netlists behave exactly like the RTL: random GEMMs through the same harness
//! on the generic (Yosys gates) and sky130 (Liberty cells, models derived from their Liberty
//! functions) netlists of a small engine.

use seedchip_eda::flow::{self, SynthOptions, Target};
use seedchip_hdl::chip::Config;
use seedchip_verif::verify::{self, CaseSpace, ModelCache};
use seedchip_verif::verilator::{BuildOptions, Model, Source};

fn netlist_matches_rtl(target: Target, rows: u32, cols: u32, cases: u64) {
    let cfg = Config::with_matrix(rows, cols).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = flow::synth(
        &cfg,
        &SynthOptions {
            target,
            top: seedchip_hdl::chip::Top::Engine,
            out: dir.path().to_path_buf(),
            clock_ns: None,
            liberty: None,
            device: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut sources = vec![Source::File(dir.path().join("netlist.v"))];
    if target == Target::Sky130 {
        sources.push(Source::File(dir.path().join("cell_models.v")));
    }
    let text = std::fs::read_to_string(dir.path().join("netlist.v")).unwrap();
    // A gate-level netlist: no word-level arithmetic left.
    assert!(
        !text.contains(" * ") && !text.contains(" + ") && !text.contains(" - "),
        "netlist.v still holds arithmetic"
    );
    let model = Model::build(&sources, &report.top, &BuildOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut models = ModelCache::default();
    models.insert(&cfg.matrix, model);
    let space = CaseSpace {
        engine: Some(cfg.matrix.clone()),
        ..CaseSpace::default()
    };
    let r = verify::run(&mut models, &space, cases, 20261128, |_, _| {}).unwrap();
    if let Some(f) = &r.first_failure {
        panic!("{} netlist differs from the RTL model: {f}", target.name());
    }
    assert_eq!(r.passed, cases);
}

#[test]
fn generic_netlist_equals_the_model() {
    netlist_matches_rtl(Target::Generic, 2, 3, 60);
}

#[test]
fn sky130_netlist_equals_the_model() {
    netlist_matches_rtl(Target::Sky130, 2, 2, 60);
}

/// The whole chip's sky130 netlist (cell models from the Liberty) runs random programs from
/// DRAM, under random bus timing, exactly as the reference model says.
#[test]
fn sky130_chip_netlist_runs_programs_like_the_model() {
    use seedchip_verif::chip_verify::{check_chip_case, generate_chip_case};
    let cfg = Config::from_toml(
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n",
        "test",
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = flow::synth(
        &cfg,
        &SynthOptions {
            target: Target::Sky130,
            top: seedchip_hdl::chip::Top::Chip,
            out: dir.path().to_path_buf(),
            clock_ns: None,
            liberty: None,
            device: None,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.macros.is_empty(),
        "small memories synthesise to flops"
    );
    let sources = vec![
        Source::File(dir.path().join("netlist.v")),
        Source::File(dir.path().join("cell_models.v")),
    ];
    // The netlist's C++ is large and runs for a few thousand cycles: a quick build.
    let quick = BuildOptions {
        quick: true,
        ..BuildOptions::default()
    };
    let model = Model::build(&sources, &report.top, &quick).unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..12u64 {
        let (case, _) = generate_chip_case(&cfg, 0x5eed_0000 + seed);
        if let Err(e) = check_chip_case(&model, &case) {
            panic!("case seed {seed}: the sky130 chip netlist differs from the model: {e}");
        }
    }
}
