//! Randomized equivalence of the matrix engine RTL (Verilator) against the reference model.
//!
//! Default sizes keep `make test` short; set SEEDCHIP_TEST_SEED to explore other cases and
//! SEEDCHIP_EQUIV_CASES to run more per shape.

use std::sync::Arc;

use seedchip_hdl::chip::{EngineShape, MatrixConfig};

fn engine(rows: u32, cols: u32, mac_pipeline: bool) -> MatrixConfig {
    MatrixConfig {
        rows,
        cols,
        mac_pipeline,
        ..MatrixConfig::default()
    }
}
use seedchip_verif::harness::{EngineHarness, StallPattern};
use seedchip_verif::model::{gemm, Matrix};
use seedchip_verif::verify::{self, CaseSpace, ModelCache};
use seedchip_verif::verilator::XInit;

fn test_seed() -> u64 {
    std::env::var("SEEDCHIP_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261128)
}

fn cases_per_shape() -> u64 {
    std::env::var("SEEDCHIP_EQUIV_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

fn assert_all_pass(report: &verify::Report, what: &str) {
    if let Some(f) = &report.first_failure {
        panic!("{what}: {f}");
    }
    assert_eq!(report.failed, 0, "{what}");
}

#[test]
fn random_shapes_match_the_model() {
    // Engines drawn from the seed (rows and cols 1..=8, square and not, both PE variants),
    // each with random data, stalls and initial state. A handful of engines keeps Verilator
    // builds affordable.
    let seed = test_seed();
    let mut models = ModelCache::default();
    let mut engines = vec![engine(1, 1, false), engine(3, 5, true)];
    let mut x = seed | 1;
    while engines.len() < 6 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let e = engine(
            (x % 8) as u32 + 1,
            ((x >> 8) % 8) as u32 + 1,
            (x >> 16) & 1 == 1,
        );
        if !engines.iter().any(|f| (f.rows, f.cols) == (e.rows, e.cols)) {
            engines.push(e);
        }
    }
    for (i, e) in engines.iter().enumerate() {
        let space = CaseSpace {
            engine: Some(e.clone()),
            ..CaseSpace::default()
        };
        let report = verify::run(
            &mut models,
            &space,
            cases_per_shape(),
            seed + i as u64,
            |_, _| {},
        )
        .unwrap();
        assert_all_pass(&report, &format!("engine {e:?} (seed {})", seed + i as u64));
        assert_eq!(report.passed, cases_per_shape());
    }
}

#[test]
fn results_do_not_depend_on_initial_state() {
    // The same cases under two random initial states (and all-ones) give identical results
    // and identical cycle counts.
    let space = CaseSpace {
        engine: Some(engine(4, 3, true)),
        ..CaseSpace::default()
    };
    let mut models = ModelCache::default();
    let model = models.model(&engine(4, 3, true)).unwrap();
    let shape = EngineShape::new(&engine(4, 3, true));
    for i in 0..30 {
        let (case, _) = verify::generate_case(&space, verify::case_seed(test_seed(), i));
        let runs: Vec<_> = [XInit::Random(1), XInit::Random(0xdead_beef), XInit::Ones]
            .into_iter()
            .map(|init| {
                let mut h = EngineHarness::new(&model, shape, init).unwrap();
                h.gemm(&case.a, &case.w, &case.stalls)
                    .unwrap_or_else(|e| panic!("{e}\n{case}"))
            })
            .collect();
        assert_eq!(runs[0].out, gemm(&case.a, &case.w));
        assert_eq!(runs[0], runs[1], "initial state changed the run\n{case}");
        assert_eq!(runs[0], runs[2], "initial state changed the run\n{case}");
    }
}

#[test]
fn full_rate_streaming_and_preload_overlap() {
    // Cycle-exact properties of the pipeline (not timings): with no stalls the engine takes one
    // activation row per cycle, and the next tile preloads while a long group streams.
    let mut models = ModelCache::default();
    let model = models.model(&engine(4, 4, true)).unwrap();
    let shape = EngineShape::new(&engine(4, 4, true));
    let (r, lat) = (shape.rows as u64, shape.latency as u64);
    let a = Matrix::from_vec(40, 12, (0..480).map(|i| (i % 251) as u8 as i8).collect());
    let w = Matrix::from_vec(12, 4, (0..48).map(|i| (i * 7 % 256) as u8 as i8).collect());
    let mut h = EngineHarness::new(&model, shape, XInit::Random(3)).unwrap();
    let run = h.gemm(&a, &w, &StallPattern::default()).unwrap();
    assert_eq!(run.out, gemm(&a, &w));
    // 3 tiles x 40 rows: first tile's weights (R cycles), then 120 rows back to back, then the
    // pipeline drains (latency + FIFO write and read).
    let ideal = r + 3 * 40 + lat + 3;
    assert!(run.cycles <= ideal, "{} cycles, ideal {ideal}", run.cycles);
    assert_eq!(run.act_rows, 120);
}

#[test]
fn extremes_and_many_tiles() {
    let mut models = ModelCache::default();
    let model = models.model(&engine(4, 4, false)).unwrap();
    let shape = EngineShape::new(&engine(4, 4, false));
    // -128 x -128 everywhere, 50 K tiles: every column sum sits at its positive extreme.
    let a = Matrix::from_vec(3, 200, vec![-128i8; 600]);
    let w = Matrix::from_vec(200, 5, vec![-128i8; 1000]);
    let mut h = EngineHarness::new(&model, shape, XInit::Random(9)).unwrap();
    let run = h.gemm(&a, &w, &StallPattern::default()).unwrap();
    assert_eq!(run.out, gemm(&a, &w));
    assert!(run.out.data.iter().all(|&v| v == 200 * 16384));
    // Mixed extremes: -128 x 127 and 127 x -128 (negative extremes) and -1 x -128.
    let a = Matrix::from_vec(
        2,
        8,
        vec![
            -128, 127, -1, 0, -128, -128, 127, 127, 1, -1, 1, -1, -128, 127, -128, 127,
        ],
    );
    let w = Matrix::from_vec(8, 3, (0..24).map(|i| [-128i8, 127, -1, 0][i % 4]).collect());
    let mut h = EngineHarness::new(&model, shape, XInit::Random(10)).unwrap();
    assert_eq!(
        h.gemm(&a, &w, &StallPattern::default()).unwrap().out,
        gemm(&a, &w)
    );
}

#[test]
fn int32_accumulation_wraps_like_the_model_across_thousands_of_tiles() {
    // 140_000 products of -128 x -128 exceed i32::MAX; the accumulated result wraps exactly
    // as the model's int32 accumulation does (17_500 K tiles through an 8x1 engine).
    let mut models = ModelCache::default();
    let model = models.model(&engine(8, 1, true)).unwrap();
    let shape = EngineShape::new(&engine(8, 1, true));
    let k = 140_000;
    let a = Matrix::from_vec(1, k, vec![-128i8; k]);
    let w = Matrix::from_vec(k, 1, vec![-128i8; k]);
    let mut h = EngineHarness::new(&model, shape, XInit::Random(11)).unwrap();
    let run = h.gemm(&a, &w, &StallPattern::default()).unwrap();
    let expect = gemm(&a, &w);
    assert_eq!(run.out, expect);
    assert!(expect.data[0] < 0, "the int32 sum wrapped");
}

fn mutant(file_part: &'static str, from: String, to: String) -> ModelCache {
    ModelCache::with_mutation(Arc::new(move |name: &str, text: &str| {
        if name.contains(file_part) {
            assert!(
                text.contains(&from),
                "mutation target `{from}` not found in {name}"
            );
            text.replacen(&from, &to, 1)
        } else {
            text.to_string()
        }
    }))
}

fn assert_caught(mut models: ModelCache, what: &str) -> verify::Failure {
    let space = CaseSpace {
        engine: Some(engine(3, 2, true)),
        ..CaseSpace::default()
    };
    let report = verify::run(&mut models, &space, 60, test_seed(), |_, _| {}).unwrap();
    assert!(report.failed > 0, "mutant `{what}` was not caught");
    let f = report.first_failure.expect("the first failure is kept");
    println!("{what}: {} of 60 cases failed\n{f}", report.failed);
    let size = |c: &verify::Case| c.a.data.len() + c.w.data.len();
    assert!(
        size(&f.minimal) <= size(&f.original),
        "shrinking grew the case"
    );
    assert!(!f.minimal_error.is_empty());
    f
}

#[test]
fn a_wrong_pe_operator_is_caught_and_shrunk() {
    let f = assert_caught(
        mutant(
            "pe_p",
            "psum_q <= north_psum + ".into(),
            "psum_q <= north_psum - ".into(),
        ),
        "psum subtract",
    );
    // Any single non-zero product shows the bug: the minimal case is one row, one column.
    assert_eq!((f.minimal.a.rows, f.minimal.w.cols), (1, 1), "{f}");
    assert!(f.to_string().contains("minimal failing case"), "{f}");
}

#[test]
fn swapped_pe_inputs_are_caught() {
    // PE(0,0) and PE(1,0) receive each other's activation lane.
    let m = ModelCache::with_mutation(Arc::new(|name: &str, text: &str| {
        if !name.starts_with("systolic_array") {
            return text.to_string();
        }
        let t = text.replacen("(west_act[7:0])", "(LANE0)", 1);
        let t = t.replacen("(west_act[15:8])", "(west_act[7:0])", 1);
        assert_ne!(t, text);
        t.replacen("(LANE0)", "(west_act[15:8])", 1)
    }));
    assert_caught(m, "swapped activation lanes");
}

#[test]
fn a_result_pipeline_off_by_one_is_caught() {
    // The FIFO writes one cycle early: results are taken before the de-skew finishes.
    let last = EngineShape::new(&engine(3, 2, true)).latency - 1;
    assert_caught(
        mutant(
            "matrix_engine",
            format!(".in_valid  (row_valid[{last}])"),
            format!(".in_valid  (row_valid[{}])", last - 1),
        ),
        "latency - 1",
    );
}

#[test]
fn a_weight_flag_left_out_of_reset_is_caught() {
    // A PE whose shadow_full flag is not reset may start "full" (random initial state): the
    // first tile's weight then passes it by and lands a row too low. (Skipping the engine's
    // reset wait is no longer a defect to catch: with the weight stream skewed per column,
    // weights and activations reach every PE a cycle after the reset wave, so it is a
    // safety margin, kept so that the handshakes stay low while the reset crosses the array.)
    assert_caught(
        mutant(
            "pe_p",
            "shadow_full <= 1'd0;".into(),
            "shadow_full <= shadow_full;".into(),
        ),
        "shadow_full not reset",
    );
}
