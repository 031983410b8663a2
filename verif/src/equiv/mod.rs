//! `seedchip equiv`: equivalence of any two Verilog designs, by randomized simulation
//! (Verilator, with shrinking and waveforms) or formally (Yosys miter + SAT induction).
//!
//! Simulation semantics are those of [`crate::compare`]: both designs start from the
//! same initial state (zeros by default), get the same reset and the same constrained-random
//! inputs, and every output is compared every cycle after reset. The unit of
//! `N passed, M failed` is a *run*: one random stimulus of `cycles` cycles; run `i` uses seed
//! `seed + i`.

pub mod file_list;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compare::{self, Constraints, Mismatch, Reset, Saved, Setup, Stimulus};
use crate::verilator::{BuildOptions, Model, Source, TraceKind, XInit};

use seedchip_eda::flow::FlowError;
use seedchip_eda::liberty::{self, LibertyError};
use seedchip_eda::tool::{self, ToolError};

/// What to compare and how.
#[derive(Clone, Debug)]
pub struct EquivOptions {
    pub gold: Vec<PathBuf>,
    pub gate: Vec<PathBuf>,
    pub top: String,
    pub gate_top: Option<String>,
    pub cycles: usize,
    pub runs: u64,
    pub seed: u64,
    /// Reset port; `None` picks `rst` when both designs have it.
    pub reset: Option<String>,
    pub no_reset: bool,
    pub reset_active_low: bool,
    pub reset_cycles: u32,
    /// Clock port; a design without it is compared combinationally.
    pub clock: String,
    /// The user named `clock` (else it is the default `clk`): it must then exist, and no
    /// other clock is guessed.
    pub clock_named: bool,
    pub liberty: Option<PathBuf>,
    pub constraints: Option<PathBuf>,
    /// Given constraints (takes precedence over the file), for built-in uses.
    pub constraints_value: Option<Constraints>,
    pub x_init: XInit,
    pub out: PathBuf,
    pub replay: Option<PathBuf>,
    /// Runs allowed for shrinking a failure.
    pub shrink_budget: usize,
    /// `--formal`: time allowed for the whole proof; past it the verdict is inconclusive.
    pub formal_timeout: std::time::Duration,
    /// Preprocessor defines for both designs: `NAME` or `NAME=VALUE` (`-D`).
    pub defines: Vec<String>,
    /// Include directories for both designs (`-I`).
    pub include_dirs: Vec<PathBuf>,
    /// Parameter overrides of each design's top, `NAME=VALUE` (`--gold-param`, `--gate-param`;
    /// Verilator `-G`, Yosys `hierarchy -chparam`, an Icarus `defparam`).
    pub gold_params: Vec<String>,
    pub gate_params: Vec<String>,
    /// Compare X bits of the gold design like any other (`--strict-x`); by default an output
    /// bit of the gold design that depends on an X is a don't-care.
    pub strict_x: bool,
}

impl EquivOptions {
    /// Defaults for comparing `gold` with `gate` (top `top`).
    pub fn new(gold: Vec<PathBuf>, gate: Vec<PathBuf>, top: &str) -> EquivOptions {
        EquivOptions {
            gold,
            gate,
            top: top.to_string(),
            gate_top: None,
            cycles: 1000,
            runs: 8,
            seed: 1,
            reset: None,
            no_reset: false,
            reset_active_low: false,
            reset_cycles: 2,
            clock: "clk".into(),
            clock_named: false,
            liberty: None,
            constraints: None,
            constraints_value: None,
            x_init: XInit::Zeros,
            out: PathBuf::from("equiv-out"),
            replay: None,
            shrink_budget: 400,
            formal_timeout: std::time::Duration::from_secs(600),
            defines: Vec::new(),
            include_dirs: Vec::new(),
            strict_x: false,
            gold_params: Vec::new(),
            gate_params: Vec::new(),
        }
    }

    /// The gold design's top and parameter overrides.
    fn gold_side(&self) -> (&str, &[String]) {
        (&self.top, &self.gold_params)
    }

    /// The gate design's top (`--gate-top`, else the gold's) and parameter overrides.
    fn gate_side(&self) -> (&str, &[String]) {
        (
            self.gate_top.as_deref().unwrap_or(&self.top),
            &self.gate_params,
        )
    }

    /// `-DNAME[=VALUE]` and `-I<dir>` as Verilator and Yosys's `read_verilog` both take them.
    pub fn preprocessor_args(&self) -> Vec<String> {
        self.defines
            .iter()
            .map(|d| format!("-D{d}"))
            .chain(self.include_dirs.iter().map(|d| {
                format!(
                    "-I{}",
                    std::fs::canonicalize(d).unwrap_or(d.clone()).display()
                )
            }))
            .collect()
    }
}

impl EquivReport {
    /// The difference found is Verilator's alone: Icarus sees the designs agree there.
    pub fn simulators_disagree(&self) -> bool {
        self.first_failure
            .as_ref()
            .is_some_and(|f| matches!(f.second_opinion, SecondOpinion::SimulatorsDisagree { .. }))
    }

    /// 0 equivalent, 1 a design difference, 3 a difference only one simulator sees.
    pub fn exit_code(&self) -> u8 {
        match (self.failed, self.simulators_disagree()) {
            (0, _) => 0,
            (_, true) => 3,
            _ => 1,
        }
    }
}

/// Errors of `equiv` (before any run).
#[derive(Debug, thiserror::Error)]
pub enum EquivError {
    #[error("the designs' ports differ:\n{}", .0.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    Ports(Vec<String>),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Liberty(#[from] LibertyError),
    #[error(transparent)]
    Bridge(#[from] crate::verilator::BridgeError),
    #[error(transparent)]
    Constraints(#[from] compare::ConstraintError),
}

/// The first failing run, shrunk.
#[derive(Debug)]
pub struct Failure {
    pub run_seed: u64,
    pub mismatch: Mismatch,
    pub minimal: Stimulus,
    pub minimal_mismatch: Mismatch,
    pub shrink_runs: usize,
    pub description: String,
    pub saved: PathBuf,
    pub waveforms: Option<(PathBuf, PathBuf)>,
    /// Cycles of the original random run (`None` when replaying a file that did not record it).
    pub original_cycles: Option<u64>,
    /// Icarus Verilog's view of the minimal stimulus.
    pub second_opinion: SecondOpinion,
}

/// What Icarus Verilog says of a difference Verilator found, on the minimal stimulus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondOpinion {
    /// Icarus sees the designs differ there too (its gold and gate values).
    Confirmed { gold: String, gate: String },
    /// Icarus sees the designs agree there, and differs from Verilator on one side: a
    /// simulator defect, not a design difference. `at` says where and what each simulator
    /// gave; `traces` are that side's Verilator waveform and Icarus responses.
    SimulatorsDisagree {
        side: &'static str,
        at: String,
        traces: (PathBuf, PathBuf),
    },
    /// Icarus's values are unknown (x) where the designs differ: neither confirmed nor refuted.
    Unknown { gold: String, gate: String },
    /// Icarus could not simulate the designs (why, and its log).
    Unavailable(String),
}

impl SecondOpinion {
    pub fn describe(&self) -> String {
        match self {
            SecondOpinion::Confirmed { gold, gate } => {
                format!("Icarus Verilog confirms it (gold {gold}, gate {gate})")
            }
            SecondOpinion::SimulatorsDisagree { side, at, traces } => format!(
                "Icarus Verilog sees the designs agree there; on the {side} design the simulators disagree ({at}): a simulator difference, not a design difference (Verilator waveform {}, Icarus responses {})",
                traces.0.display(),
                traces.1.display()
            ),
            SecondOpinion::Unknown { gold, gate } => format!(
                "Icarus Verilog neither confirms nor refutes it: its values are unknown there (gold {gold}, gate {gate})"
            ),
            SecondOpinion::Unavailable(why) => {
                format!("no second opinion: Icarus Verilog could not run the designs ({why})")
            }
        }
    }
}

/// Per hex digit: do two responses differ where both are known? With `gold_x_free`, gold
/// digits with x are don't-cares; otherwise, like an unknown gate digit, they make the answer
/// unknown (`None`) unless a known digit already differs.
fn known_difference(gold: &str, gate: &str, gold_x_free: bool) -> Option<bool> {
    let unknown = |c: char| matches!(c.to_ascii_lowercase(), 'x' | 'z');
    let mut open = gold.len() != gate.len();
    for (g, t) in gold.chars().zip(gate.chars()) {
        if unknown(g) && gold_x_free {
            continue;
        }
        if unknown(g) || unknown(t) {
            open = true;
        } else if !g.eq_ignore_ascii_case(&t) {
            return Some(true);
        }
    }
    (!open).then_some(false)
}

/// Replay the minimal stimulus on Icarus Verilog for both designs (the inputs exactly as the
/// driver applied them under Verilator) and compare at the difference.
fn second_opinion(
    opts: &EquivOptions,
    setup: &Setup,
    (gold_src, gate_src): (&[Source], &[Source]),
    minimal: &Stimulus,
    waveforms: (&Path, &Path),
) -> Result<SecondOpinion, EquivError> {
    let (found, gold_rec, gate_rec) = compare::run_recorded(setup, minimal)?;
    let Some(m) = found else {
        return Ok(SecondOpinion::Unavailable(
            "the minimal stimulus did not show the difference again".into(),
        ));
    };
    let dir = opts.out.join("icarus");
    let args = opts.preprocessor_args();
    let replay = |src: &[Source], (top, params), rec, side: &str| {
        let how = crate::replay::Icarus {
            generation: "-g2012",
            args: &args,
            params,
        };
        crate::replay::icarus_with(src, top, rec, &dir.join(side), &how)
    };
    let (gold_i, gate_i) = match (
        replay(gold_src, opts.gold_side(), &gold_rec, "gold"),
        replay(gate_src, opts.gate_side(), &gate_rec, "gate"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Ok(SecondOpinion::Unavailable(e.to_string())),
    };
    let port = gold_rec
        .outputs
        .iter()
        .position(|p| p.name == m.port)
        .expect("the difference is at an output");
    let cycle = m.cycle as usize;
    let at = |r: &[Vec<crate::replay::Response>]| {
        r.get(cycle)
            .and_then(|c| c.get(port))
            .cloned()
            .unwrap_or_else(|| "<missing>".into())
    };
    let (gi, ti) = (at(&gold_i), at(&gate_i));
    let unknown = SecondOpinion::Unknown {
        gold: gi.clone(),
        gate: ti.clone(),
    };
    Ok(match known_difference(&gi, &ti, !opts.strict_x) {
        Some(true) => SecondOpinion::Confirmed { gold: gi, gate: ti },
        None => unknown,
        Some(false) => {
            // Icarus sees no difference: on which side do the simulators disagree?
            let verilator = |rec: &crate::verilator::Recording| {
                crate::replay::hex(&rec.cycles[cycle].outputs[port])
            };
            let sides = [
                ("gold", verilator(&gold_rec), &gi, waveforms.0),
                ("gate", verilator(&gate_rec), &ti, waveforms.1),
            ];
            match sides
                .into_iter()
                .find(|(_, v, i, _)| known_difference(i, v, true) == Some(true))
            {
                Some((side, v, i, wave)) => SecondOpinion::SimulatorsDisagree {
                    side,
                    at: format!(
                        "cycle {cycle}, output `{}`: Verilator {v}, Icarus {i}",
                        m.port
                    ),
                    traces: (wave.to_path_buf(), dir.join(side).join("responses.txt")),
                },
                None => unknown,
            }
        }
    })
}

/// Result of a simulation comparison.
#[derive(Debug)]
pub struct EquivReport {
    pub ports: usize,
    pub passed: u64,
    pub failed: u64,
    pub first_failure: Option<Failure>,
}

fn read_sources(files: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, EquivError> {
    if files.is_empty() {
        return Err(EquivError::Usage("no Verilog files given".into()));
    }
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .map(|t| (f.clone(), t))
                .map_err(|e| EquivError::Usage(format!("cannot read `{}`: {e}", f.display())))
        })
        .collect()
}

/// Sources of one side; a netlist of Liberty cells gets cell models derived from the Liberty.
/// Also whether the side writes an X literal.
fn side_sources(
    files: &[PathBuf],
    opts: &EquivOptions,
    side: &str,
) -> Result<(Vec<Source>, bool), EquivError> {
    let texts = read_sources(files)?;
    let writes_x = texts.iter().any(|(_, t)| has_x_literal(t));
    let mut sources: Vec<Source> = files.iter().map(|f| Source::File(f.clone())).collect();
    let mapped = texts.iter().any(|(_, t)| t.contains("sky130_fd_sc_"));
    if opts.liberty.is_some() || mapped {
        let lib = liberty::prepare(opts.liberty.as_deref())?;
        let dir = opts.out.join(format!("{side}_cells"));
        std::fs::create_dir_all(&dir).map_err(tool::io_err("creating", &dir))?;
        let all: Vec<String> = texts.into_iter().map(|(_, t)| t).collect();
        sources.push(Source::File(seedchip_eda::cells::cell_models(
            &lib.path, &all, &dir,
        )?));
    }
    Ok((sources, writes_x))
}

/// How the X values a design assigns are resolved in its model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum XAssign {
    /// Like the initial values, by `--x-init` (Verilator's `--x-assign unique`).
    AsInit,
    /// Every X assigned is 0, or 1 (`--x-assign 0|1`): the gold design's two resolutions.
    Zero,
    One,
}

impl XAssign {
    /// The gold design's (main) resolution: every X at 0 when its X are don't-cares.
    fn gold(x_dont_care: bool) -> XAssign {
        if x_dont_care {
            XAssign::Zero
        } else {
            XAssign::AsInit
        }
    }
}

fn build(
    opts: &EquivOptions,
    sources: &[Source],
    (top, params): (&str, &[String]),
    trace: bool,
    x: XAssign,
) -> Result<Arc<Model>, EquivError> {
    let mut verilator_args = opts.preprocessor_args();
    verilator_args.extend(params.iter().map(|p| format!("-G{p}")));
    match x {
        XAssign::AsInit => {}
        XAssign::Zero => verilator_args.extend(["--x-assign".into(), "0".into()]),
        XAssign::One => verilator_args.extend(["--x-assign".into(), "1".into()]),
    }
    let build = BuildOptions {
        trace: trace.then_some(TraceKind::Vcd),
        verilator_args,
        ..Default::default()
    };
    Ok(Model::build(sources, top, &build)?)
}

/// Whether Verilog text writes an X literal (`'bx`, `8'hx0`, `'x`, `4'b1?x0`): the gold
/// design then runs under two X resolutions. Comments may give a false "yes", which only costs
/// a second build.
pub fn has_x_literal(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        if c != b'\'' {
            return false;
        }
        let mut j = i + 1;
        if b.get(j).is_some_and(|c| c | 0x20 == b's') {
            j += 1;
        }
        if b.get(j)
            .is_some_and(|c| matches!(c | 0x20, b'b' | b'h' | b'o' | b'd'))
        {
            j += 1;
        }
        while let Some(&c) = b.get(j) {
            if c | 0x20 == b'x' {
                return true;
            }
            if !(c.is_ascii_hexdigit() || c == b'_' || c == b'?' || c | 0x20 == b'z') {
                break;
            }
            j += 1;
        }
        false
    })
}

/// Build both designs, check their ports, and assemble the comparison setup.
/// Clock names used when a design has no `clk` and `--clock` was not given (one must match).
pub const CLOCK_NAMES: &[&str] = &["clock", "clk_i", "i_clk", "aclk", "clk_in"];

/// Reset names that make a design without `rst` an error unless `--reset` or `--no-reset`.
pub const RESET_NAMES: &[&str] = &[
    "reset", "rst_n", "resetn", "reset_n", "aresetn", "rstn", "nrst", "rst_i", "i_rst", "areset",
];

/// Both designs read, built and checked against each other.
struct Prepared {
    setup: Setup,
    gold_src: Vec<Source>,
    gate_src: Vec<Source>,
    /// The gold design writes an X, a don't-care (not `--strict-x`).
    gold_x: bool,
}

/// Read and build both designs and check their ports, clock, reset and constraints.
/// `simulating` builds the gold design's second X resolution too (formal needs no models of
/// it).
fn prepare(opts: &EquivOptions, simulating: bool) -> Result<Prepared, EquivError> {
    std::fs::create_dir_all(&opts.out).map_err(tool::io_err("creating", &opts.out))?;
    let (gold_src, gold_writes_x) = side_sources(&opts.gold, opts, "gold")?;
    let (gate_src, _) = side_sources(&opts.gate, opts, "gate")?;
    // X in the gold design is a don't-care: simulate it with every X at 0 and, beside it,
    // with every X at 1; output bits that differ between the two depend on an X.
    let gold_x = gold_writes_x && !opts.strict_x;
    let gold = build(
        opts,
        &gold_src,
        opts.gold_side(),
        false,
        XAssign::gold(gold_x),
    )?;
    let gate = build(opts, &gate_src, opts.gate_side(), false, XAssign::AsInit)?;
    let gold_alt = (gold_x && simulating)
        .then(|| build(opts, &gold_src, opts.gold_side(), false, XAssign::One))
        .transpose()?;
    let diffs = compare::port_differences(gold.ports(), gate.ports());
    if !diffs.is_empty() {
        return Err(EquivError::Ports(diffs));
    }
    let has = |name: &str| {
        gold.port_info(name)
            .is_some_and(|p| p.input && p.width == 1)
    };
    let one_bit_inputs = || {
        gold.ports()
            .iter()
            .filter(|p| p.input && p.width == 1)
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let clock = if has(&opts.clock) {
        Some(opts.clock.clone())
    } else if opts.clock_named {
        return Err(EquivError::Usage(format!(
            "--clock `{}` is not a 1-bit input of `{}` (its 1-bit inputs: {})",
            opts.clock,
            opts.top,
            one_bit_inputs()
        )));
    } else {
        // No `clk`: a clock under one of the usual names, when exactly one is there.
        let found: Vec<&str> = CLOCK_NAMES.iter().copied().filter(|n| has(n)).collect();
        (found.len() == 1).then(|| found[0].to_string())
    };
    let reset_name = match (&opts.reset, opts.no_reset) {
        (_, true) => None,
        (Some(r), false) => {
            if !has(r) {
                return Err(EquivError::Usage(format!(
                    "--reset `{r}` is not a 1-bit input of `{}`",
                    opts.top
                )));
            }
            Some(r.clone())
        }
        (None, false) if has("rst") => Some("rst".to_string()),
        (None, false) => {
            // A reset under another name would leave the designs unreset: say so instead of
            // reporting the differences that follows from it.
            if let Some(r) = RESET_NAMES.iter().find(|n| has(n)) {
                let low = r.ends_with('n') || r.starts_with('n');
                return Err(EquivError::Usage(format!(
                    "the designs have no `rst` input but have `{r}`: name it with --reset {r}{} \
                     (or pass --no-reset to run them unreset)",
                    if low { " --reset-active-low" } else { "" }
                )));
            }
            None
        }
    };
    if reset_name.is_some() && clock.is_none() {
        return Err(EquivError::Usage(format!(
            "the designs have a reset but no clock `{}`; name it with --clock",
            opts.clock
        )));
    }
    let constraints = match (&opts.constraints_value, &opts.constraints) {
        (Some(c), _) => c.clone(),
        (None, Some(p)) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                EquivError::Usage(format!("cannot read constraints `{}`: {e}", p.display()))
            })?;
            Constraints::from_toml(&text, &p.display().to_string())?
        }
        (None, None) => Constraints::default(),
    };
    let origin = opts
        .constraints
        .as_ref()
        .map_or("constraints".to_string(), |p| p.display().to_string());
    constraints.validate(gold.ports(), &origin)?;
    if clock.is_none() && !constraints.handshake.is_empty() {
        return Err(EquivError::Usage("handshakes need a clock".into()));
    }
    let setup = Setup {
        gold,
        gate,
        clock,
        reset: reset_name.map(|port| Reset {
            port,
            active_low: opts.reset_active_low,
            cycles: opts.reset_cycles.max(1),
        }),
        constraints,
        x_init: opts.x_init,
        gold_x: gold_alt,
    };
    Ok(Prepared {
        setup,
        gold_src,
        gate_src,
        gold_x,
    })
}

/// Randomized comparison (or a replay of a saved stimulus).
pub fn simulate(
    opts: &EquivOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<EquivReport, EquivError> {
    let Prepared {
        mut setup,
        gold_src,
        gate_src,
        ..
    } = prepare(opts, true)?;
    let ports = setup.gold.ports().len();
    progress(&format!("ports match ({ports} ports)"));
    let mut report = EquivReport {
        ports,
        passed: 0,
        failed: 0,
        first_failure: None,
    };
    let mut original_cycles = Some(opts.cycles as u64);
    let runs: Vec<(u64, Stimulus)> = match &opts.replay {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| EquivError::Usage(format!("cannot read `{}`: {e}", p.display())))?;
            let saved: Saved = serde_json::from_str(&text).map_err(|e| {
                EquivError::Usage(format!(
                    "`{}` is not a saved equiv stimulus: {e}",
                    p.display()
                ))
            })?;
            check_saved(&setup, &saved, &p.display().to_string())?;
            setup.reset = saved.reset;
            setup.clock = saved.clock;
            setup.constraints = saved.constraints;
            original_cycles = saved.original_cycles;
            vec![(saved.seed, saved.stimulus)]
        }
        None => (0..opts.runs)
            .map(|i| {
                let seed = opts.seed.wrapping_add(i);
                (seed, setup.random_stimulus(seed, opts.cycles))
            })
            .collect(),
    };
    for (seed, stim) in runs {
        match compare::run(&setup, &stim, None)? {
            None => report.passed += 1,
            Some(m) => {
                report.failed += 1;
                progress(&format!("run with seed {seed}: MISMATCH at {m}"));
                if report.first_failure.is_none() {
                    progress("shrinking...");
                    let run = (seed, original_cycles);
                    report.first_failure =
                        Some(failure(opts, &setup, &gold_src, &gate_src, run, &stim, m)?);
                }
            }
        }
    }
    Ok(report)
}

/// A saved stimulus must fit these designs: the same clock, a reset that is a 1-bit input,
/// constraints naming real ports, and values for exactly the inputs it would drive here.
fn check_saved(setup: &Setup, saved: &Saved, origin: &str) -> Result<(), EquivError> {
    let bad = |what: String| EquivError::Usage(format!("`{origin}`: {what}"));
    if saved.clock != setup.clock {
        return Err(bad(format!(
            "its clock is {}, but these designs' clock is {}",
            saved
                .clock
                .as_deref()
                .map_or("none".into(), |c| format!("`{c}`")),
            setup
                .clock
                .as_deref()
                .map_or("none".into(), |c| format!("`{c}`"))
        )));
    }
    let ports = setup.gold.ports();
    if let Some(r) = &saved.reset {
        if !ports
            .iter()
            .any(|p| p.name == r.port && p.input && p.width == 1)
        {
            return Err(bad(format!(
                "its reset `{}` is not a 1-bit input of `{}`",
                r.port,
                setup.gold.top()
            )));
        }
        if setup.clock.is_none() {
            return Err(bad("it has a reset but the designs have no clock".into()));
        }
    }
    saved.constraints.validate(ports, origin)?;
    let swapped = Setup {
        reset: saved.reset.clone(),
        clock: saved.clock.clone(),
        ..setup.clone()
    };
    let inputs = swapped.driven_inputs();
    let names: Vec<&str> = inputs.iter().map(|p| p.name.as_str()).collect();
    if saved.stimulus.inputs != names {
        return Err(bad(format!(
            "it drives inputs {:?}; with its clock and reset these designs have {:?}",
            saved.stimulus.inputs, names
        )));
    }
    for (k, cycle) in saved.stimulus.cycles.iter().enumerate() {
        if cycle.len() != inputs.len() {
            return Err(bad(format!(
                "cycle {k} has {} values for {} inputs",
                cycle.len(),
                inputs.len()
            )));
        }
        for (v, p) in cycle.iter().zip(&inputs) {
            if v.width() > p.width {
                return Err(bad(format!(
                    "cycle {k}: a {}-bit value for the {}-bit input `{}`",
                    v.width(),
                    p.width,
                    p.name
                )));
            }
        }
    }
    Ok(())
}

fn failure(
    opts: &EquivOptions,
    setup: &Setup,
    gold_src: &[Source],
    gate_src: &[Source],
    (seed, original_cycles): (u64, Option<u64>),
    stim: &Stimulus,
    m: Mismatch,
) -> Result<Failure, EquivError> {
    let shrunk = compare::shrink(setup, stim, m.clone(), opts.shrink_budget)?;
    let saved = opts.out.join("minimal.json");
    let record = Saved {
        seed,
        reset: setup.reset.clone(),
        clock: setup.clock.clone(),
        constraints: setup.constraints.clone(),
        stimulus: shrunk.stimulus.clone(),
        original_cycles,
    };
    std::fs::write(
        &saved,
        serde_json::to_string_pretty(&record).expect("serialises"),
    )
    .map_err(tool::io_err("writing", &saved))?;
    // Waveforms of the minimal stimulus on both designs.
    let gold_x = XAssign::gold(setup.gold_x.is_some());
    let traced = Setup {
        gold: build(opts, gold_src, opts.gold_side(), true, gold_x)?,
        gate: build(opts, gate_src, opts.gate_side(), true, XAssign::AsInit)?,
        ..setup.clone()
    };
    let (gv, tv) = (opts.out.join("gold.vcd"), opts.out.join("gate.vcd"));
    compare::run(
        &traced,
        &shrunk.stimulus,
        Some(compare::Traces {
            gold: &gv,
            gate: &tv,
        }),
    )?;
    let second_opinion = second_opinion(
        opts,
        setup,
        (gold_src, gate_src),
        &shrunk.stimulus,
        (&gv, &tv),
    )?;
    Ok(Failure {
        second_opinion,
        run_seed: seed,
        mismatch: m,
        description: compare::describe(setup, &shrunk.stimulus),
        minimal: shrunk.stimulus,
        minimal_mismatch: shrunk.mismatch,
        shrink_runs: shrunk.runs,
        saved,
        waveforms: Some((gv, tv)),
        original_cycles,
    })
}

/// Verdict of the formal check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Equivalent; `by` names the method that closed the proof.
    Proven { by: &'static str },
    /// Inputs per step of the counterexample: (step, port, value).
    Counterexample(Vec<(u32, String, String)>),
    /// No counterexample within `depth` steps of reset, but no proof either; `timed_out`
    /// when the time limit ended the search.
    Inconclusive { depth: u32, timed_out: bool },
}

/// Method of [`formal`]'s first stage.
pub const BY_MATCHING: &str =
    "register matching and induction (Yosys equiv_make, equiv_simple, equiv_induct)";
/// Method of [`formal`]'s second stage.
pub const BY_MITER: &str = "SAT temporal induction on an equivalence miter";

/// The Yosys commands that read one side, flatten it, map memories to flip-flops (the SAT
/// solvers model registers, not memory cells) and stash it as `name`.
///
/// `optimise` is the gold design's `opt -full` and `wreduce` when X is a don't-care (they
/// resolve its X as convenient, as synthesis did, and drop flip-flops that only ever hold their
/// reset value, which induction could not prove otherwise), else `opt -keepdc`.
fn read_side(
    flags: &str,
    files: &str,
    (top, params): (&str, &[String]),
    name: &str,
    optimise: &str,
) -> String {
    let chparam: String = params
        .iter()
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| format!(" -chparam {n} {v}"))
        .collect();
    format!(
        "read_verilog -sv {flags}{files}\nhierarchy -check -top {top}{chparam}\nprep -top {top}\nmemory_map\n{optimise}\nflatten\nsplitnets\n\
         rename {top} {name}\ndesign -stash {name}\n"
    )
}

/// Formal equivalence with Yosys, in two stages, within `opts.formal_timeout`:
/// 1. register matching: `equiv_make` pairs the signals of the two designs by name (a
///    netlist keeps its RTL's register names), `equiv_simple` and `equiv_induct` prove each
///    pair by SAT and induction. An X in the gold design is a don't-care (`-undef`, and
///    `miter -ignore_gold_x` in stage 2), as in Yosys `eqy` and commercial checkers: the gate
///    may resolve it to any value (`--strict-x` turns this off). This proves
///    a design equal to its own synthesised netlist, memories and multipliers included.
/// 2. when stage 1 leaves pairs unproven (different state encodings, or a real difference):
///    an equivalence miter proven by SAT temporal induction from the zero state (reset
///    applied for the first cycles when the designs have one), up to `depth` steps, which
///    either proves, finds a counterexample, or stops inconclusive.
pub fn formal(opts: &EquivOptions, depth: u32) -> Result<Verdict, EquivError> {
    // The simulation setup checks the ports and finds the reset; its sources (with cell
    // models for mapped netlists) serve Yosys too.
    let Prepared {
        setup,
        gold_src,
        gate_src,
        gold_x,
    } = prepare(opts, false)?;
    // Absolute, quoted paths: the script runs in the output directory, and a path may hold
    // spaces.
    let files = |s: &[Source]| -> Result<String, EquivError> {
        let mut out = Vec::new();
        for x in s {
            if let Source::File(p) = x {
                let abs = std::fs::canonicalize(p).map_err(tool::io_err("reading", p))?;
                out.push(tool::quote_yosys(&abs)?);
            }
        }
        Ok(out.join(" "))
    };
    let mut flags = String::new();
    for a in opts.preprocessor_args() {
        match a.strip_prefix("-I") {
            Some(dir) => flags.push_str(&format!("-I{} ", tool::quote_yosys(Path::new(dir))?)),
            None => flags.push_str(&format!("{a} ")),
        }
    }
    let sides = format!(
        "{}{}design -copy-from gold -as seedchip_gold gold\ndesign -copy-from gate -as seedchip_gate gate\n",
        read_side(
            &flags,
            &files(&gold_src)?,
            opts.gold_side(),
            "gold",
            if opts.strict_x {
                "opt -keepdc"
            } else {
                "opt -full\nwreduce\nopt_clean"
            }
        ),
        read_side(
            &flags,
            &files(&gate_src)?,
            opts.gate_side(),
            "gate",
            "opt -keepdc"
        ),
    );
    let start = std::time::Instant::now();
    let yosys = |name: &str, script: String, limit| -> Result<tool::Limited, EquivError> {
        let path = opts.out.join(format!("{name}.ys"));
        std::fs::write(&path, script).map_err(tool::io_err("writing", &path))?;
        Ok(tool::run_limited(
            Path::new("yosys"),
            &format!("yosys ({name})"),
            &["-s".into(), format!("{name}.ys")],
            &opts.out,
            &format!("{name}.log"),
            limit,
        )?)
    };

    // An X in the gold design is a don't-care unless --strict-x. Only then are undef states
    // modelled: they cost the SAT solver much (twice the variables) and make induction
    // harder for designs that have none.
    let (undef, ignore_x, enable_undef) = if gold_x {
        (" -undef", " -ignore_gold_x", " -enable_undef")
    } else {
        ("", "", "")
    };

    // Stage 1: register matching.
    let matching = format!(
        "# seedchip equiv --formal, stage 1: register matching and induction.\n{sides}\
         equiv_make seedchip_gold seedchip_gate seedchip_equiv\nhierarchy -top seedchip_equiv\n\
         async2sync\nequiv_simple{undef}\nequiv_induct{undef} -seq 5\nequiv_status\n"
    );
    if let tool::Limited::Done(log) = yosys("formal_match", matching, opts.formal_timeout / 2)? {
        if log.contains("Equivalence successfully proven!") {
            return Ok(Verdict::Proven { by: BY_MATCHING });
        }
    }

    // Stage 2: the miter, with what is left of the time.
    let mut set_at = String::new();
    if let Some(r) = &setup.reset {
        for step in 1..=r.cycles {
            set_at.push_str(&format!(
                " -set-at {step} in_{} {}",
                r.port,
                u8::from(!r.active_low)
            ));
        }
    }
    let miter = format!(
        "# seedchip equiv --formal, stage 2: equivalence miter, SAT temporal induction.\n{sides}\
         miter -equiv{ignore_x} -flatten -make_assert seedchip_gold seedchip_gate seedchip_miter\nhierarchy -top seedchip_miter\n\
         sat -prove-asserts{enable_undef} -set-init-zero -tempinduct -maxsteps {depth} -show-inputs{set_at} seedchip_miter\n"
    );
    let left = opts.formal_timeout.saturating_sub(start.elapsed());
    match yosys("formal", miter, left)? {
        tool::Limited::TimedOut(_) => Ok(Verdict::Inconclusive {
            depth,
            timed_out: true,
        }),
        tool::Limited::Done(log) => parse_verdict(&log, depth).ok_or_else(|| {
            EquivError::Flow(FlowError::Parse {
                what: format!(
                    "no verdict in the Yosys SAT log `{}`",
                    opts.out.join("formal.log").display()
                ),
            })
        }),
    }
}

/// Read the verdict of `sat -tempinduct` from a Yosys log.
pub fn parse_verdict(log: &str, depth: u32) -> Option<Verdict> {
    if log.contains("Induction step proven: SUCCESS!") || log.contains("no model found: SUCCESS!") {
        return Some(Verdict::Proven { by: BY_MITER });
    }
    if log.contains("model found for base case: FAIL!") || log.contains("model found: FAIL!") {
        let mut inputs = Vec::new();
        for line in log.lines() {
            let t: Vec<&str> = line.split_whitespace().collect();
            if t.len() >= 3 && t[1].starts_with("\\in_") {
                if let Ok(step) = t[0].parse::<u32>() {
                    inputs.push((
                        step,
                        t[1].trim_start_matches("\\in_").to_string(),
                        t[2].to_string(),
                    ));
                }
            }
        }
        return Some(Verdict::Counterexample(inputs));
    }
    log.contains("Reached maximum number of time steps")
        .then_some(Verdict::Inconclusive {
            depth,
            timed_out: false,
        })
}

#[cfg(test)]
mod tests {
    use super::has_x_literal;

    #[test]
    fn x_literals_are_found_in_every_base_and_only_there() {
        for yes in [
            "r = 'bx;",
            "r = 8'hx0;",
            "r = 4'b1?x0;",
            "r = 'x;",
            "r = 2'Bx;",
            "r = 16'sh_0X;",
            "r = 4'dx;",
        ] {
            assert!(has_x_literal(yes), "{yes}");
        }
        for no in [
            "r = 8'hff;",
            "r = 4'b10z0;",
            "r = 'd12; // no x here",
            "max = 3;",
            "r = 'b0; wire x;",
        ] {
            assert!(!has_x_literal(no), "{no}");
        }
    }
}
