//! Randomized equivalence of any two designs (`seedchip equiv`).
//!
//! Both designs run in lockstep under Verilator: reset first, then one stimulus cycle at a
//! time. Every output of both is compared every cycle after reset (before the clock edge, once
//! the inputs have settled). A *run* is one random stimulus of N cycles from a seed; the unit
//! of `N passed, M failed` is runs.
//!
//! The stimulus is a list of per-cycle intents (a value for every driven input). The driver
//! applies them under the constraints' handshake rules: a producer's `valid`, once raised,
//! stays high with its data unchanged until the gold design's `ready` accepts it. Because the
//! rules live in the driver, any shortened or simplified stimulus still obeys them, which is
//! what lets [`shrink`] search freely.

mod constraints;

use std::path::Path;
use std::sync::Arc;

use rand::prelude::*;
use seedchip_hdl::hw::Bits;
use serde::{Deserialize, Serialize};

pub use constraints::{ConstraintError, Constraints, Handshake, InputRule, OutputRule, When};

use crate::verilator::{BridgeError, Model, PortId, PortInfo, Recording, Sim, XInit};

/// The reset input and how to apply it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub port: String,
    pub active_low: bool,
    pub cycles: u32,
}

/// Two designs to compare, and how to drive them.
#[derive(Clone, Debug)]
pub struct Setup {
    pub gold: Arc<Model>,
    pub gate: Arc<Model>,
    /// Clock input; `None` compares combinationally (no clock edges).
    pub clock: Option<String>,
    pub reset: Option<Reset>,
    pub constraints: Constraints,
    pub x_init: XInit,
    /// The gold design built to resolve every X it assigns to 1 (`gold` resolves them to 0).
    /// Output bits where the two differ depend on an X: don't-cares, not compared that cycle.
    /// `None` compares strictly (`--strict-x`, or a gold design without X).
    pub gold_x: Option<Arc<Model>>,
}

/// Ports that differ between the two designs, one line each.
pub fn port_differences(gold: &[PortInfo], gate: &[PortInfo]) -> Vec<String> {
    let dir = |p: &PortInfo| if p.input { "input" } else { "output" };
    let mut out = Vec::new();
    for g in gold {
        match gate.iter().find(|x| x.name == g.name) {
            None => out.push(format!(
                "`{}` ({} {} bits) is missing from the gate design",
                g.name,
                dir(g),
                g.width
            )),
            Some(x) if x.input != g.input => out.push(format!(
                "`{}` is an {} in gold but an {} in gate",
                g.name,
                dir(g),
                dir(x)
            )),
            Some(x) if x.width != g.width => out.push(format!(
                "`{}` is {} bits in gold but {} bits in gate",
                g.name, g.width, x.width
            )),
            Some(_) => {}
        }
    }
    for x in gate {
        if !gold.iter().any(|g| g.name == x.name) {
            out.push(format!(
                "`{}` ({} {} bits) is missing from the gold design",
                x.name,
                dir(x),
                x.width
            ));
        }
    }
    out
}

/// Per-cycle values for the driven inputs (every input but clock and reset).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stimulus {
    pub inputs: Vec<String>,
    /// `cycles[t][i]` is the intent for `inputs[i]` in stimulus cycle `t`.
    pub cycles: Vec<Vec<Bits>>,
}

/// A saved stimulus with what it needs to run again (`seedchip equiv --replay`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub seed: u64,
    pub reset: Option<Reset>,
    pub clock: Option<String>,
    pub constraints: Constraints,
    pub stimulus: Stimulus,
    /// Cycles of the random run this stimulus was shrunk from (kept through replays), so the
    /// original run can be named exactly. Absent in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_cycles: Option<u64>,
}

/// The first difference between the designs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Cycle counted from the first reset cycle.
    pub cycle: u64,
    pub port: String,
    pub gold: Bits,
    pub gate: Bits,
    /// Bits of `gold` that depend on an X this cycle (not compared); zero when none.
    pub dont_care: Bits,
}

/// The bits where `a` and `b` (of one width) differ, outside `mask`.
fn differing(a: &Bits, b: &Bits, mask: Option<&Bits>) -> Bits {
    let (x, y) = (a.to_words_u32(), b.to_words_u32());
    let m = mask.map(Bits::to_words_u32);
    let words: Vec<u32> = (0..x.len())
        .map(|i| (x[i] ^ y[i]) & !m.as_ref().map_or(0, |m| m[i]))
        .collect();
    Bits::from_words_u32(a.width(), &words)
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Decimal helps for narrow ports; wide ones (packed lanes) read better in hex.
        let show = |b: &Bits| match b.to_u64() {
            Some(v) if b.width() <= 32 => format!("{v} (hex {})", b.to_hex()),
            _ => format!("hex {}", b.to_hex()),
        };
        write!(
            f,
            "cycle {}, output `{}`: gold {}, gate {}",
            self.cycle,
            self.port,
            show(&self.gold),
            show(&self.gate)
        )?;
        if !self.dont_care.is_zero() {
            write!(
                f,
                " (gold bits hex {} depend on an X: not compared)",
                self.dont_care.to_hex()
            )?;
        }
        Ok(())
    }
}

impl Setup {
    /// Inputs the stimulus drives, in port order.
    pub fn driven_inputs(&self) -> Vec<PortInfo> {
        self.gold
            .ports()
            .iter()
            .filter(|p| {
                p.input
                    && Some(&p.name) != self.clock.as_ref()
                    && Some(&p.name) != self.reset.as_ref().map(|r| &r.port)
            })
            .cloned()
            .collect()
    }

    /// A random stimulus of `cycles` cycles from `seed`, within the constraints.
    pub fn random_stimulus(&self, seed: u64, cycles: usize) -> Stimulus {
        let mut rng = StdRng::seed_from_u64(seed);
        let inputs = self.driven_inputs();
        let offer_of = |name: &str| {
            self.constraints
                .handshake
                .iter()
                .find(|h| h.valid == name)
                .map(|h| h.offer.unwrap_or(0.5))
        };
        let rows = (0..cycles)
            .map(|_| {
                inputs
                    .iter()
                    .map(|p| {
                        if let Some(o) = offer_of(&p.name) {
                            return Bits::from_u64_wrapping(1, rng.random_bool(o) as u64);
                        }
                        match self.constraints.inputs.get(&p.name) {
                            Some(InputRule { value: Some(v), .. }) => {
                                Bits::from_u64_wrapping(p.width, *v)
                            }
                            Some(InputRule {
                                min: Some(lo),
                                max: Some(hi),
                                ..
                            }) => Bits::from_u64_wrapping(p.width, rng.random_range(*lo..=*hi)),
                            Some(
                                r @ InputRule {
                                    one_of: Some(_), ..
                                },
                            ) => Bits::from_u64_wrapping(
                                p.width,
                                r.choose(rng.random::<f64>()).expect("one_of is set"),
                            ),
                            Some(InputRule { high: Some(h), .. }) => {
                                Bits::from_u64_wrapping(1, rng.random_bool(*h) as u64)
                            }
                            _ => {
                                let words: Vec<u32> =
                                    (0..p.width.div_ceil(32)).map(|_| rng.next_u32()).collect();
                                Bits::from_words_u32(p.width, &words)
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        Stimulus {
            inputs: inputs.into_iter().map(|p| p.name).collect(),
            cycles: rows,
        }
    }

    /// The idle value of input `i` (used when shrinking): the constraint's minimum or fixed
    /// value, else zero.
    fn idle(&self, name: &str, width: u32) -> Bits {
        match self.constraints.inputs.get(name) {
            Some(InputRule { value: Some(v), .. }) | Some(InputRule { min: Some(v), .. }) => {
                Bits::from_u64_wrapping(width, *v)
            }
            Some(InputRule {
                one_of: Some(values),
                ..
            }) => Bits::from_u64_wrapping(width, values[0]),
            _ => Bits::zero(width),
        }
    }
}

/// The designs in lockstep: gold, gate, and the gold design's other X resolution (its ports
/// are the gold's: the same sources, built twice).
struct Pair {
    gold: Sim,
    gate: Sim,
    gold_x: Option<Sim>,
}

impl Pair {
    fn new(setup: &Setup) -> Result<Pair, BridgeError> {
        Ok(Pair {
            gold: setup.gold.sim(setup.x_init)?,
            gate: setup.gate.sim(setup.x_init)?,
            gold_x: setup
                .gold_x
                .as_ref()
                .map(|m| m.sim(setup.x_init))
                .transpose()?,
        })
    }

    /// The port `name` in both designs.
    fn port(&self, name: &str) -> Result<(PortId, PortId), BridgeError> {
        Ok((self.gold.port(name)?, self.gate.port(name)?))
    }

    fn set(&mut self, (a, b): (PortId, PortId), v: &Bits) -> Result<(), BridgeError> {
        if let Some(x) = &mut self.gold_x {
            x.set(a, v)?;
        }
        self.gold.set(a, v)?;
        self.gate.set(b, v)
    }

    fn step(&mut self, clocked: bool) -> Result<(), BridgeError> {
        for sim in [
            Some(&mut self.gold),
            Some(&mut self.gate),
            self.gold_x.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if clocked {
                sim.step()?;
            } else {
                sim.sample();
            }
        }
        Ok(())
    }

    fn with_clock(mut self, clock: &str) -> Result<Pair, BridgeError> {
        self.gold = self.gold.with_clock(clock)?;
        self.gate = self.gate.with_clock(clock)?;
        self.gold_x = self.gold_x.map(|x| x.with_clock(clock)).transpose()?;
        Ok(self)
    }
}

/// Waveform files for [`run`].
pub struct Traces<'a> {
    pub gold: &'a Path,
    pub gate: &'a Path,
}

/// Run the stimulus on both designs; the first output difference, if any.
pub fn run(
    setup: &Setup,
    stim: &Stimulus,
    traces: Option<Traces<'_>>,
) -> Result<Option<Mismatch>, BridgeError> {
    Ok(run_pair(setup, stim, traces, false)?.0)
}

/// [`run`], recording what both designs saw and answered in every cycle from the first reset
/// cycle (through the first difference and one cycle past it): the inputs as the driver
/// applied them, for replay on another simulator.
pub fn run_recorded(
    setup: &Setup,
    stim: &Stimulus,
) -> Result<(Option<Mismatch>, Recording, Recording), BridgeError> {
    let (m, recs) = run_pair(setup, stim, None, true)?;
    let (gold, gate) = recs.expect("recording was asked for");
    Ok((m, gold, gate))
}

type Recordings = Option<(Recording, Recording)>;

fn run_pair(
    setup: &Setup,
    stim: &Stimulus,
    traces: Option<Traces<'_>>,
    record: bool,
) -> Result<(Option<Mismatch>, Recordings), BridgeError> {
    let mut pair = Pair::new(setup)?;
    // With waveforms, run a few cycles past the first difference so it shows in context; a
    // recording takes the difference's cycle and one more.
    let mut after = if traces.is_some() {
        3
    } else {
        u32::from(record)
    };
    let mut found: Option<Mismatch> = None;
    if let Some(t) = traces {
        pair.gold.trace_to(t.gold)?;
        pair.gate.trace_to(t.gate)?;
    }
    let clocked = setup.clock.is_some();
    if let Some(c) = &setup.clock {
        pair = pair.with_clock(c)?;
    }
    if record {
        pair.gold.start_recording();
        pair.gate.start_recording();
    }
    let inputs = setup.driven_inputs();
    let outputs: Vec<PortInfo> = setup
        .gold
        .ports()
        .iter()
        .filter(|p| !p.input)
        .cloned()
        .collect();
    let gold_out: Vec<PortId> = outputs
        .iter()
        .map(|p| pair.gold.port(&p.name))
        .collect::<Result<_, _>>()?;
    let gate_out: Vec<PortId> = outputs
        .iter()
        .map(|p| pair.gate.port(&p.name))
        .collect::<Result<_, _>>()?;
    let output_refs: Vec<&PortInfo> = outputs.iter().collect();
    let when: Vec<Option<When>> = outputs
        .iter()
        .map(|p| {
            setup.constraints.outputs.get(&p.name).map(|r| {
                r.parse(&output_refs)
                    .expect("validated: the when expression parses")
            })
        })
        .collect();

    let mut cycle = 0u64;
    let idle: Vec<Bits> = inputs
        .iter()
        .map(|p| setup.idle(&p.name, p.width))
        .collect();
    // Ports resolved once: the cycle loop below is the hot path.
    let input_ids: Vec<(PortId, PortId)> = inputs
        .iter()
        .map(|p| pair.port(&p.name))
        .collect::<Result<_, _>>()?;
    if let Some(r) = &setup.reset {
        for (id, v) in input_ids.iter().zip(&idle) {
            pair.set(*id, v)?;
        }
        let rst = pair.port(&r.port)?;
        let on = Bits::from_u64_wrapping(1, !r.active_low as u64);
        pair.set(rst, &on)?;
        for _ in 0..r.cycles.max(1) {
            pair.step(clocked)?;
            cycle += 1;
        }
        pair.set(rst, &Bits::from_u64_wrapping(1, r.active_low as u64))?;
    }

    // Handshake state: which producers hold an offer, and the values they hold.
    let hs: Vec<(usize, Vec<usize>, PortId)> = setup
        .constraints
        .handshake
        .iter()
        .map(|h| {
            let vi = inputs
                .iter()
                .position(|p| p.name == h.valid)
                .expect("validated: valid is an input");
            let di = h
                .data
                .iter()
                .map(|d| {
                    inputs
                        .iter()
                        .position(|p| &p.name == d)
                        .expect("validated: data are inputs")
                })
                .collect();
            Ok((vi, di, pair.gold.port(&h.ready)?))
        })
        .collect::<Result<_, BridgeError>>()?;
    let mut held: Vec<Option<Vec<Bits>>> = vec![None; hs.len()];

    for row in &stim.cycles {
        if found.is_some() {
            if after == 0 {
                break;
            }
            after -= 1;
        }
        let mut values = row.clone();
        for (k, (vi, di, _)) in hs.iter().enumerate() {
            match &held[k] {
                Some(data) => {
                    values[*vi] = Bits::from_u64_wrapping(1, 1);
                    for (j, d) in di.iter().enumerate() {
                        values[*d] = data[j].clone();
                    }
                }
                None if values[*vi].bit(0) => {
                    held[k] = Some(di.iter().map(|d| values[*d].clone()).collect())
                }
                None => {}
            }
        }
        for (id, v) in input_ids.iter().zip(&values) {
            pair.set(*id, v)?;
        }
        pair.gold.eval();
        pair.gate.eval();
        let gold_vals: Vec<Bits> = gold_out.iter().map(|&p| pair.gold.get(p)).collect();
        let gate_vals: Vec<Bits> = gate_out.iter().map(|&p| pair.gate.get(p)).collect();
        if let Some(x) = &mut pair.gold_x {
            x.eval();
        }
        for (i, p) in outputs.iter().enumerate() {
            if let Some(w) = &when[i] {
                let holds = |vals: &[Bits]| w.eval(&|k| !vals[k].is_zero());
                if !holds(&gold_vals) && !holds(&gate_vals) {
                    continue;
                }
            }
            if gold_vals[i] == gate_vals[i] || found.is_some() {
                continue;
            }
            // Bits where the gold design's two X resolutions differ depend on an X.
            let dont_care = match &mut pair.gold_x {
                Some(x) => differing(&gold_vals[i], &x.get(gold_out[i]), None),
                None => Bits::zero(p.width),
            };
            if !differing(&gold_vals[i], &gate_vals[i], Some(&dont_care)).is_zero() {
                found = Some(Mismatch {
                    cycle,
                    port: p.name.clone(),
                    gold: gold_vals[i].clone(),
                    gate: gate_vals[i].clone(),
                    dont_care,
                });
                if after == 0 {
                    return Ok((found, None));
                }
            }
        }
        for (k, (_, _, ready)) in hs.iter().enumerate() {
            if held[k].is_some() && pair.gold.get_bool(*ready) {
                held[k] = None;
            }
        }
        pair.step(clocked)?;
        cycle += 1;
    }
    pair.gold.trace_close();
    pair.gate.trace_close();
    let recs = pair.gold.take_recording().zip(pair.gate.take_recording());
    Ok((found, recs))
}

/// Outcome of shrinking.
pub struct Shrunk {
    pub stimulus: Stimulus,
    pub mismatch: Mismatch,
    pub runs: usize,
}

/// Delta debugging: a shorter, simpler stimulus that still shows a difference. Cuts after
/// the failing cycle, removes chunks of cycles (halves, quarters, ... single cycles), then
/// idles whole cycles and single inputs. At most `budget` runs.
pub fn shrink(
    setup: &Setup,
    stim: &Stimulus,
    first: Mismatch,
    budget: usize,
) -> Result<Shrunk, BridgeError> {
    let reset_cycles = setup.reset.as_ref().map_or(0, |r| r.cycles.max(1) as u64);
    let widths: Vec<u32> = setup.driven_inputs().iter().map(|p| p.width).collect();
    let mut best = stim.clone();
    best.cycles
        .truncate((first.cycle.saturating_sub(reset_cycles) + 1) as usize);
    let mut mismatch = first;
    let mut runs = 0usize;
    let mut try_candidate = |cand: Stimulus,
                             best: &mut Stimulus,
                             mismatch: &mut Mismatch|
     -> Result<bool, BridgeError> {
        if runs >= budget {
            return Ok(false);
        }
        runs += 1;
        match run(setup, &cand, None)? {
            Some(m) => {
                let mut cand = cand;
                cand.cycles
                    .truncate((m.cycle.saturating_sub(reset_cycles) + 1) as usize);
                *best = cand;
                *mismatch = m;
                Ok(true)
            }
            None => Ok(false),
        }
    };

    // Remove chunks of cycles.
    let mut chunk = best.cycles.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < best.cycles.len() {
            let mut cand = best.clone();
            let end = (start + chunk).min(cand.cycles.len());
            cand.cycles.drain(start..end);
            if cand.cycles.is_empty() || !try_candidate(cand, &mut best, &mut mismatch)? {
                start += chunk;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk = chunk.div_ceil(2);
    }
    // Idle whole cycles, then single inputs.
    let idle: Vec<Bits> = best
        .inputs
        .iter()
        .zip(&widths)
        .map(|(n, w)| setup.idle(n, *w))
        .collect();
    for t in (0..best.cycles.len()).rev() {
        if t < best.cycles.len() && best.cycles[t] != idle {
            let mut cand = best.clone();
            cand.cycles[t] = idle.clone();
            try_candidate(cand, &mut best, &mut mismatch)?;
        }
    }
    for t in (0..best.cycles.len()).rev() {
        for (i, quiet) in idle.iter().enumerate() {
            // A successful candidate may have shortened the stimulus.
            if t < best.cycles.len() && best.cycles[t][i] != *quiet {
                let mut cand = best.clone();
                cand.cycles[t][i] = quiet.clone();
                try_candidate(cand, &mut best, &mut mismatch)?;
            }
        }
    }
    Ok(Shrunk {
        stimulus: best,
        mismatch,
        runs,
    })
}

/// The non-idle inputs of each cycle, for printing a (shrunk) stimulus.
pub fn describe(setup: &Setup, stim: &Stimulus) -> String {
    use std::fmt::Write;
    let reset_cycles = setup.reset.as_ref().map_or(0, |r| r.cycles.max(1) as u64);
    let widths: Vec<u32> = setup.driven_inputs().iter().map(|p| p.width).collect();
    let mut s = String::new();
    if let Some(r) = &setup.reset {
        let _ = writeln!(
            s,
            "  cycles 0..{}: {} asserted, inputs idle",
            reset_cycles, r.port
        );
    }
    let mut rows = Vec::new();
    for row in &stim.cycles {
        let parts: Vec<String> = stim
            .inputs
            .iter()
            .zip(row)
            .zip(&widths)
            .filter(|((n, v), w)| **v != setup.idle(n, **w))
            .map(|((n, v), _)| {
                format!(
                    "{n}={}",
                    v.to_u64()
                        .map_or(format!("0x{}", v.to_hex()), |x| x.to_string())
                )
            })
            .collect();
        rows.push(if parts.is_empty() {
            IDLE.to_string()
        } else {
            parts.join(" ")
        });
    }
    s.push_str(&fold_idle(reset_cycles, &rows));
    s
}

/// How a cycle with every input idle is printed.
const IDLE: &str = "idle";

/// One line per stimulus cycle from `first` on, runs of idle cycles folded into one line
/// (`cycles 5..9: idle (4 cycles)`, the end exclusive as in the reset line).
fn fold_idle(first: u64, rows: &[String]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let mut t = 0;
    while t < rows.len() {
        let run = rows[t..].iter().take_while(|r| *r == IDLE).count();
        let at = first + t as u64;
        if run >= 2 {
            let _ = writeln!(
                s,
                "  cycles {at}..{}: {IDLE} ({run} cycles)",
                at + run as u64
            );
            t += run;
        } else {
            let _ = writeln!(s, "  cycle {at}: {}", rows[t]);
            t += 1;
        }
    }
    s
}

#[cfg(test)]
mod fold_tests {
    use super::fold_idle;

    #[test]
    fn runs_of_idle_cycles_fold_into_one_line() {
        let rows: Vec<String> = ["idle", "idle", "idle", "a=1", "idle", "b=2", "idle", "idle"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            fold_idle(2, &rows),
            "  cycles 2..5: idle (3 cycles)\n  cycle 5: a=1\n  cycle 6: idle\n  cycle 7: b=2\n  cycles 8..10: idle (2 cycles)\n"
        );
        assert_eq!(fold_idle(0, &[]), "");
    }
}
