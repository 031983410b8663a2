//! Randomized equivalence of the matrix engine RTL against the reference model.
//!
//! A case is a whole GEMM: an engine shape, matrices (M, K, N not multiples of the array, so
//! partial tiles and several K tiles occur), stall patterns for the three handshakes, and a
//! seed for the random initial state of every register. Cases come from proptest strategies
//! (values cover the full int8 range with -128, 127, 0 and -1 weighted up) and a failure is
//! shrunk with proptest's value trees to a minimal case, printed in full and as JSON that
//! `seedchip verify --replay` runs again.
//!
//! Case `i` of a run with seed `S` is generated from its own seed (derived from `S` and `i`),
//! so any single case can be regenerated with `--case-seed`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
use seedchip_hdl::chip::{
    generate_engine as generate, Config, EngineShape, MatrixConfig, Multiplier,
};
use serde::{Deserialize, Serialize};

use crate::harness::{EngineHarness, GemmRun, HarnessError, StallPattern};
use crate::model::{gemm, Matrix};
use crate::verilator::{sources_of, BridgeError, BuildOptions, Model, XInit};

/// One equivalence case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// The engine configuration (shape and PE pipelining).
    pub engine: MatrixConfig,
    pub a: Matrix<i8>,
    pub w: Matrix<i8>,
    pub stalls: StallPattern,
    /// Seed of the random initial register/memory state (Verilator --x-initial unique).
    pub x_seed: u32,
}

impl Case {
    /// Check a case read from a file: shape in range and matrices consistent.
    pub fn validate(&self) -> Result<(), String> {
        let cfg = Config {
            matrix: self.engine.clone(),
            ..Config::default()
        };
        cfg.validate("case").map_err(|e| e.to_string())?;
        for (name, m) in [("a", &self.a), ("w", &self.w)] {
            if m.rows == 0 || m.cols == 0 {
                return Err(format!(
                    "matrix `{name}` is {}x{}; both sizes must be at least 1",
                    m.rows, m.cols
                ));
            }
            if m.data.len() != m.rows * m.cols {
                return Err(format!(
                    "matrix `{name}` is {}x{} but holds {} values",
                    m.rows,
                    m.cols,
                    m.data.len()
                ));
            }
        }
        if self.a.cols != self.w.rows {
            return Err(format!(
                "`a` has {} columns but `w` has {} rows",
                self.a.cols, self.w.rows
            ));
        }
        for (name, p) in [
            ("weight", &self.stalls.weight),
            ("act", &self.stalls.act),
            ("out", &self.stalls.out),
        ] {
            if !p.is_empty() && p.iter().all(|s| *s) {
                return Err(format!(
                    "stall pattern `{name}` stalls every cycle; nothing could move"
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "engine {}x{}{}, A {}x{}, W {}x{}, initial-state seed {}",
            self.engine.rows,
            self.engine.cols,
            if self.engine.mac_pipeline {
                ""
            } else {
                " (unpipelined PEs)"
            },
            self.a.rows,
            self.a.cols,
            self.w.rows,
            self.w.cols,
            self.x_seed
        )?;
        let show = |f: &mut fmt::Formatter<'_>, name: &str, m: &Matrix<i8>| -> fmt::Result {
            writeln!(f, "  {name} =")?;
            for r in 0..m.rows {
                let row: Vec<String> = (0..m.cols).map(|c| format!("{:4}", m.at(r, c))).collect();
                writeln!(f, "    [{}]", row.join(","))?;
            }
            Ok(())
        };
        show(f, "A", &self.a)?;
        show(f, "W", &self.w)?;
        let pat = |p: &[bool]| -> String {
            if p.is_empty() {
                "never".into()
            } else {
                p.iter().map(|s| if *s { 'S' } else { '.' }).collect()
            }
        };
        write!(
            f,
            "  stalls (S = stall, cyclic): weight {}, act {}, out {}",
            pat(&self.stalls.weight),
            pat(&self.stalls.act),
            pat(&self.stalls.out)
        )
    }
}

/// Limits of generated cases.
#[derive(Clone, Debug)]
pub struct CaseSpace {
    /// Engine: fixed, or drawn with rows and cols in 1..=max_dim and either PE variant.
    pub engine: Option<MatrixConfig>,
    pub max_dim: u32,
    /// Largest M.
    pub max_m: usize,
    /// Largest K and N, in tiles (K up to max_k_tiles * R, N up to max_n_tiles * C + 1).
    pub max_k_tiles: usize,
    pub max_n_tiles: usize,
}

impl Default for CaseSpace {
    fn default() -> Self {
        CaseSpace {
            engine: None,
            max_dim: 8,
            max_m: 12,
            max_k_tiles: 3,
            max_n_tiles: 2,
        }
    }
}

fn int8() -> impl Strategy<Value = i8> {
    prop_oneof![
        6 => any::<i8>(),
        1 => Just(i8::MIN),
        1 => Just(i8::MAX),
        1 => Just(0i8),
        1 => Just(-1i8),
    ]
}

fn stall_pattern() -> impl Strategy<Value = Vec<bool>> {
    // Empty (no stalls) shrinks best; otherwise up to 8 entries, at least one free cycle.
    prop::collection::vec(prop::bool::weighted(0.4), 0..8).prop_map(|mut v| {
        if !v.is_empty() && v.iter().all(|s| *s) {
            v[0] = false;
        }
        v
    })
}

/// The proptest strategy for cases in `space`.
pub fn case_strategy(space: &CaseSpace) -> BoxedStrategy<Case> {
    let engine: BoxedStrategy<MatrixConfig> = match &space.engine {
        Some(e) => Just(e.clone()).boxed(),
        None => (
            1..=space.max_dim,
            1..=space.max_dim,
            any::<bool>(),
            prop_oneof![
                Just(Multiplier::Array),
                Just(Multiplier::Booth),
                Just(Multiplier::Auto)
            ],
        )
            .prop_map(|(rows, cols, mac_pipeline, multiplier)| MatrixConfig {
                rows,
                cols,
                mac_pipeline,
                multiplier,
            })
            .boxed(),
    };
    let (max_m, kt, nt) = (space.max_m, space.max_k_tiles, space.max_n_tiles);
    engine
        .prop_flat_map(move |engine| {
            let k_max = kt * engine.rows as usize;
            let n_max = nt * engine.cols as usize + 1;
            (Just(engine), 1..=max_m, 1..=k_max, 1..=n_max)
        })
        .prop_flat_map(|(engine, m, k, n)| {
            (
                Just(engine),
                prop::collection::vec(int8(), m * k).prop_map(move |d| Matrix::from_vec(m, k, d)),
                prop::collection::vec(int8(), k * n).prop_map(move |d| Matrix::from_vec(k, n, d)),
                (stall_pattern(), stall_pattern(), stall_pattern()),
                any::<u32>(),
            )
        })
        .prop_map(|(engine, a, w, (sw, sa, so), x_seed)| Case {
            engine,
            a,
            w,
            stalls: StallPattern {
                weight: sw,
                act: sa,
                out: so,
            },
            x_seed,
        })
        .boxed()
}

/// Rewrites a generated file: `(file name, text) -> text`.
pub type Mutation = Arc<dyn Fn(&str, &str) -> String + Send + Sync>;

/// Builds (and keeps) one Verilated model per engine shape.
#[derive(Default)]
pub struct ModelCache {
    models: HashMap<(u32, u32, bool), Arc<Model>>,
    mutate: Option<Mutation>,
}

impl ModelCache {
    /// Models built from generated Verilog rewritten by `mutate` (fault injection: a harness
    /// that cannot tell a broken engine from a good one proves nothing).
    pub fn with_mutation(mutate: Mutation) -> ModelCache {
        ModelCache {
            models: HashMap::new(),
            mutate: Some(mutate),
        }
    }

    /// Use `model` (for example a synthesized netlist of the engine) for cases of `engine`.
    pub fn insert(&mut self, engine: &MatrixConfig, model: Arc<Model>) {
        self.models
            .insert((engine.rows, engine.cols, engine.mac_pipeline), model);
    }

    pub fn model(&mut self, engine: &MatrixConfig) -> Result<Arc<Model>, BridgeError> {
        let key = (engine.rows, engine.cols, engine.mac_pipeline);
        if let Some(m) = self.models.get(&key) {
            return Ok(m.clone());
        }
        let design = engine_design(engine)?;
        let mut sources = sources_of(&design);
        if let Some(f) = &self.mutate {
            for s in &mut sources {
                if let crate::verilator::Source::Text { name, text } = s {
                    *text = f(name, text);
                }
            }
        }
        let m = Model::build(&sources, design.top().name(), &BuildOptions::default())?;
        self.models.insert(key, m.clone());
        Ok(m)
    }
}

fn engine_design(engine: &MatrixConfig) -> Result<seedchip_hdl::hw::Design, BridgeError> {
    let cfg = Config {
        matrix: engine.clone(),
        ..Config::default()
    };
    generate(&cfg).map_err(|e| {
        BridgeError::Usage(format!(
            "generating Verilog for `{}`: {e}",
            EngineShape::new(engine).module_name()
        ))
    })
}

/// Run one case on the RTL and compare the whole result with the model.
pub fn check_case(models: &mut ModelCache, case: &Case) -> Result<GemmRun, HarnessError> {
    let model = models.model(&case.engine)?;
    let shape = EngineShape::new(&case.engine);
    let mut h = EngineHarness::new(&model, shape, XInit::Random(case.x_seed))?;
    let run = h.gemm(&case.a, &case.w, &case.stalls)?;
    check_accumulated(case, run)
}

/// Every row was checked on arrival; this checks the whole accumulated GEMM against the model.
fn check_accumulated(case: &Case, run: GemmRun) -> Result<GemmRun, HarnessError> {
    let expect = gemm(&case.a, &case.w);
    if let Some(i) = (0..expect.data.len()).find(|&i| expect.data[i] != run.out.data[i]) {
        let (m, n) = (i / expect.cols, i % expect.cols);
        return Err(HarnessError::Protocol {
            cycle: run.cycles,
            what: format!(
                "accumulated result C[{m}][{n}] = {} but the model gives {}",
                run.out.data[i], expect.data[i]
            ),
        });
    }
    Ok(run)
}

/// Run one case with a VCD waveform of the whole run written to `vcd`.
pub fn check_case_traced(case: &Case, vcd: &std::path::Path) -> Result<GemmRun, HarnessError> {
    let design = engine_design(&case.engine)?;
    let opts = BuildOptions {
        trace: Some(crate::verilator::TraceKind::Vcd),
        ..Default::default()
    };
    let model = Model::build(&sources_of(&design), design.top().name(), &opts)?;
    let mut sim = model.sim(XInit::Random(case.x_seed))?;
    sim.trace_to(vcd)?;
    let mut h = EngineHarness::from_sim(
        sim,
        EngineShape::new(&case.engine),
        XInit::Random(case.x_seed),
    )?;
    let result = h.gemm(&case.a, &case.w, &case.stalls);
    h.sim().trace_close();
    check_accumulated(case, result?)
}

/// The seed of case `index` in a run seeded with `seed`.
pub fn case_seed(seed: u64, index: u64) -> u64 {
    let h = blake3::hash(&[seed.to_le_bytes(), index.to_le_bytes()].concat());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// A proptest runner whose draws depend on `case_seed` alone (chip and engine cases).
pub fn seeded_runner(case_seed: u64) -> TestRunner {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&case_seed.to_le_bytes());
    TestRunner::new_with_rng(
        PtConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

/// Generate the case for `case_seed` (deterministic).
pub fn generate_case(
    space: &CaseSpace,
    case_seed: u64,
) -> (Case, Box<dyn ValueTree<Value = Case>>) {
    let mut runner = seeded_runner(case_seed);
    let tree = case_strategy(space)
        .new_tree(&mut runner)
        .expect("the case strategy never rejects");
    (tree.current(), Box::new(tree))
}

/// A failing case, before and after shrinking.
#[derive(Debug)]
pub struct Failure {
    pub case_seed: u64,
    pub original: Case,
    pub original_error: String,
    pub minimal: Case,
    pub minimal_error: String,
    pub shrink_steps: usize,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "FAILED case (case seed {:#018x}): {}",
            self.case_seed, self.original_error
        )?;
        writeln!(
            f,
            "minimal failing case after {} shrink steps: {}",
            self.shrink_steps, self.minimal_error
        )?;
        write!(f, "{}", self.minimal)
    }
}

/// Shrink a failing case: proptest's simplify/complicate search, at most `max_steps` runs.
pub fn shrink(
    models: &mut ModelCache,
    mut tree: Box<dyn ValueTree<Value = Case>>,
    error: String,
    max_steps: usize,
) -> (Case, String, usize) {
    let mut best = (tree.current(), error);
    let mut steps = 0;
    if !tree.simplify() {
        return (best.0, best.1, steps);
    }
    while steps < max_steps {
        steps += 1;
        let candidate = tree.current();
        match check_case(models, &candidate) {
            Err(HarnessError::Bridge(_)) => break,
            Err(e) => {
                best = (candidate, e.to_string());
                if !tree.simplify() {
                    break;
                }
            }
            Ok(_) => {
                if !tree.complicate() {
                    break;
                }
            }
        }
    }
    (best.0, best.1, steps)
}

/// Outcome of a verification run.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: u64,
    pub failed: u64,
    /// The first failure, shrunk.
    pub first_failure: Option<Failure>,
    pub cycles: u64,
    pub macs: u64,
}

/// Run `cases` cases from `seed`. Every failure is counted; the first is shrunk.
/// `progress(done, report)` is called after each case. A model that cannot be built is an
/// error of the run, not a failed case.
pub fn run(
    models: &mut ModelCache,
    space: &CaseSpace,
    cases: u64,
    seed: u64,
    mut progress: impl FnMut(u64, &Report),
) -> Result<Report, BridgeError> {
    let mut report = Report::default();
    for i in 0..cases {
        let cs = case_seed(seed, i);
        let (case, tree) = generate_case(space, cs);
        match check_case(models, &case) {
            Ok(run) => {
                report.passed += 1;
                report.cycles += run.cycles;
                report.macs += run.macs;
            }
            Err(HarnessError::Bridge(e)) => return Err(e),
            Err(e) => {
                report.failed += 1;
                if report.first_failure.is_none() {
                    let error = e.to_string();
                    let (minimal, minimal_error, steps) = shrink(models, tree, error.clone(), 500);
                    report.first_failure = Some(Failure {
                        case_seed: cs,
                        original: case,
                        original_error: error,
                        minimal,
                        minimal_error,
                        shrink_steps: steps,
                    });
                }
            }
        }
        progress(i + 1, &report);
    }
    Ok(report)
}
