//! The same stimulus through Verilator and Icarus Verilog gives the same responses.

use seedchip_hdl::chip::{generate_engine as generate, Config, EngineShape};
use seedchip_verif::harness::EngineHarness;
use seedchip_verif::replay::{after_reset, first_difference, icarus};
use seedchip_verif::verify::{self, CaseSpace};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, Recording, Source, XInit};

const QUALIFIED: &[(&str, &str)] = &[("out_data", "out_valid"), ("out_last", "out_valid")];

fn recorded_run(rows: u32, cols: u32) -> (Vec<Source>, String, Recording) {
    let cfg = Config::with_matrix(rows, cols).unwrap();
    let design = generate(&cfg).unwrap();
    let sources = sources_of(&design);
    let top = design.top().name().to_string();
    let model = Model::build(&sources, &top, &BuildOptions::default()).unwrap();
    let mut sim = model.sim(XInit::Random(5)).unwrap();
    sim.start_recording();
    let mut h =
        EngineHarness::from_sim(sim, EngineShape::new(&cfg.matrix), XInit::Random(5)).unwrap();
    let space = CaseSpace {
        engine: Some(cfg.matrix.clone()),
        ..CaseSpace::default()
    };
    for i in 0..8 {
        let (case, _) = verify::generate_case(&space, verify::case_seed(77, i));
        h.gemm(&case.a, &case.w, &case.stalls).unwrap();
    }
    let rec = h.sim().take_recording().unwrap();
    (sources, top, rec)
}

#[test]
fn icarus_agrees_with_verilator_cycle_by_cycle() {
    let (sources, top, rec) = recorded_run(4, 3);
    assert!(
        rec.cycles.len() > 200,
        "a substantial run ({} cycles)",
        rec.cycles.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let other = icarus(&sources, &top, &rec, dir.path()).unwrap();
    let from = after_reset(&rec, "rst");
    assert!(from > 0);
    if let Some(d) = first_difference(&rec, &other, QUALIFIED, from) {
        panic!("Icarus differs from Verilator: {d}");
    }
    // Non-vacuous: valid results were compared on many cycles.
    let valid = rec
        .outputs
        .iter()
        .position(|p| p.name == "out_valid")
        .unwrap();
    let compared = rec
        .cycles
        .iter()
        .filter(|c| !c.outputs[valid].is_zero())
        .count();
    assert!(compared > 50, "only {compared} result cycles compared");
}

#[test]
fn a_changed_design_is_seen_by_the_comparison() {
    let (sources, top, rec) = recorded_run(2, 2);
    let mutated: Vec<Source> = sources
        .into_iter()
        .map(|s| match s {
            Source::Text { name, text } if name.starts_with("pe_p") => Source::Text {
                text: text.replacen("psum_q <= north_psum + ", "psum_q <= north_psum - ", 1),
                name,
            },
            other => other,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let other = icarus(&mutated, &top, &rec, dir.path()).unwrap();
    let d = first_difference(&rec, &other, QUALIFIED, after_reset(&rec, "rst"));
    assert!(
        d.as_deref().is_some_and(|d| d.contains("out_data")),
        "{d:?}"
    );
}
