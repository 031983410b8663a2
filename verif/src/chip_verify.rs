//! Randomized equivalence of the whole chip against the functional ISA simulator
//! (`seedchip verify --level chip`).
//!
//! A case is a random, correctly synchronised program ([`crate::random_program`]) with its
//! data, a DRAM timing (latency, bandwidth, random ready/valid stalls) and a seed for the
//! random initial state. Case `i` of a run seeded `S` comes from its own case seed, so one case
//! can be regenerated alone; a failing program is shrunk with proptest's value tree (fewer and
//! simpler operations, same data and timing) and saved as JSON with the configuration it ran
//! on, for `seedchip verify --replay`.

use std::path::Path;
use std::sync::Arc;

use proptest::strategy::{Strategy, ValueTree};
use seedchip_hdl::chip::Config;
use serde::{Deserialize, Serialize};

use crate::axi::MemoryTiming;
use crate::chip_harness::{
    build_chip_with, check_program, compare_with_model, cycle_limit, ChipError, ChipHarness,
    ChipRun,
};
use crate::random_program::{build, op_strategy, Built, RawOp, MAX_OPS};
use crate::verilator::{BuildOptions, Model, TraceKind, XInit};

/// One chip-level case: everything needed to run it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipCase {
    /// The chip configuration the case runs on.
    pub config: Config,
    /// The program, as raw operations made legal by [`build`].
    pub ops: Vec<RawOp>,
    /// Seed of the data bytes in DRAM (and of the prologue's alignment).
    pub data_seed: u64,
    pub timing: MemoryTiming,
    /// Seed of the random initial register/memory state.
    pub x_seed: u32,
}

impl ChipCase {
    /// Check a case read from a file.
    pub fn validate(&self) -> Result<(), String> {
        self.config
            .validate("case.config")
            .map_err(|e| e.to_string())?;
        if self.ops.is_empty() {
            return Err("`ops` is empty: a case has at least one operation".into());
        }
        if let Some((i, op)) = self.ops.iter().enumerate().find(|(_, o)| o.kind > 3) {
            return Err(format!(
                "ops[{i}].kind = {}: must be 0 (LOAD), 1 (MATMUL), 2 (STORE) or 3 (FENCE)",
                op.kind
            ));
        }
        let t = &self.timing;
        if t.read_latency == 0 || t.write_latency == 0 {
            return Err("timing: read_latency and write_latency must be at least 1".into());
        }
        if !(t.bytes_per_cycle.is_finite() && t.bytes_per_cycle > 0.0) {
            return Err("timing.bytes_per_cycle must be a positive number".into());
        }
        if !(0.0..1.0).contains(&t.stall) {
            return Err("timing.stall must be in [0, 1)".into());
        }
        Ok(())
    }

    /// The program and DRAM image.
    pub fn built(&self) -> Built {
        build(&self.config, &self.ops, self.data_seed)
    }
}

/// Generate the case for `case_seed` on `cfg`, with the value tree that shrinks its program.
pub fn generate_chip_case(
    cfg: &Config,
    case_seed: u64,
) -> (ChipCase, Box<dyn ValueTree<Value = Vec<RawOp>>>) {
    let mut runner = crate::verify::seeded_runner(case_seed);
    let tree = proptest::collection::vec(op_strategy(), 1..MAX_OPS)
        .new_tree(&mut runner)
        .expect("the operation strategy never rejects");
    let c = case_seed;
    let case = ChipCase {
        config: cfg.clone(),
        ops: tree.current(),
        data_seed: c,
        timing: MemoryTiming {
            read_latency: 1 + (c % 24) as u32,
            write_latency: 1 + (c >> 8) as u32 % 12,
            bytes_per_cycle: [4.0, 8.0, 64.0][(c >> 16) as usize % 3],
            stall: ((c >> 24) % 40) as f64 / 100.0,
            seed: c,
        },
        x_seed: (c >> 32) as u32,
    };
    (case, Box::new(tree))
}

/// Run a case on the chip `model` (built for `case.config`) and on the model; compare.
pub fn check_chip_case(model: &Arc<Model>, case: &ChipCase) -> Result<ChipRun, ChipError> {
    let b = case.built();
    check_program(
        model,
        &case.config,
        &b.dram,
        &b.launch,
        case.timing.clone(),
        XInit::Random(case.x_seed),
    )
}

/// [`check_chip_case`] on a traced build, writing a VCD waveform to `vcd`.
pub fn check_chip_case_traced(case: &ChipCase, vcd: &Path) -> Result<ChipRun, ChipError> {
    let opts = BuildOptions {
        trace: Some(TraceKind::Vcd),
        ..Default::default()
    };
    let model = build_chip_with(&case.config, &opts)?;
    let b = case.built();
    let mut h = ChipHarness::new(
        &model,
        &case.config,
        b.dram.clone(),
        case.timing.clone(),
        XInit::Random(case.x_seed),
    )?;
    h.sim().trace_to(vcd)?;
    let run = h.run(&b.launch, cycle_limit(b.launch.program_len, b.dram.len()));
    h.sim().trace_close();
    compare_with_model(&case.config, &b.dram, &b.launch, run?)
}

/// A failing case, shrunk.
#[derive(Debug)]
pub struct ChipFailure {
    pub case_seed: u64,
    pub original: ChipCase,
    pub minimal: ChipCase,
    /// How the minimal case fails.
    pub error: String,
    pub shrink_steps: u32,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct ChipReport {
    pub passed: u64,
    pub failed: u64,
    pub cycles: u64,
    pub first_failure: Option<ChipFailure>,
}

/// Shrink a failing case: simplify its program while it still fails.
fn shrink(
    model: &Arc<Model>,
    case: &ChipCase,
    tree: &mut dyn ValueTree<Value = Vec<RawOp>>,
    error: String,
) -> Result<(ChipCase, String, u32), crate::verilator::BridgeError> {
    let (mut best, mut why, mut steps) = (case.clone(), error, 0u32);
    let mut more = tree.simplify();
    while more && steps < 2000 {
        steps += 1;
        let candidate = ChipCase {
            ops: tree.current(),
            ..case.clone()
        };
        match check_chip_case(model, &candidate) {
            Err(ChipError::Bridge(e)) => return Err(e),
            Err(e) => {
                best = candidate;
                why = e.to_string();
                more = tree.simplify();
            }
            Ok(_) => more = tree.complicate(),
        }
    }
    Ok((best, why, steps))
}

/// Run `cases` random cases of a run seeded `seed` on the chip `model` (built for `cfg`);
/// `progress` is called after each. The first failure is shrunk.
pub fn run_chip(
    model: &Arc<Model>,
    cfg: &Config,
    cases: u64,
    seed: u64,
    mut progress: impl FnMut(u64, &ChipReport),
) -> Result<ChipReport, crate::verilator::BridgeError> {
    let mut report = ChipReport::default();
    for i in 0..cases {
        let case_seed = crate::verify::case_seed(seed, i);
        let (case, mut tree) = generate_chip_case(cfg, case_seed);
        match check_chip_case(model, &case) {
            Ok(run) => {
                report.passed += 1;
                report.cycles += run.cycles;
            }
            Err(ChipError::Bridge(e)) => return Err(e),
            Err(e) => {
                report.failed += 1;
                if report.first_failure.is_none() {
                    let (minimal, error, shrink_steps) =
                        shrink(model, &case, tree.as_mut(), e.to_string())?;
                    report.first_failure = Some(ChipFailure {
                        case_seed,
                        original: case,
                        minimal,
                        error,
                        shrink_steps,
                    });
                }
            }
        }
        progress(i, &report);
    }
    Ok(report)
}
