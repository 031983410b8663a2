//! Drives the matrix engine RTL with whole matrices and checks every result row against the
//! reference model as it leaves the engine.
//!
//! The harness behaves like a well-formed but unhelpful neighbour: it holds `valid` once raised
//! until the transfer happens (valid/ready rules), stalls its streams and the result sink by
//! the given patterns, and drives random data while `valid` is low so that the engine is
//! seen to ignore it. It checks the engine's side of the protocol too: `out_last` marks the
//! last row of each group, and a result offered but not taken stays unchanged.

use std::sync::Arc;

use seedchip_hdl::chip::matrix_engine::{act_stream, out_stream, weight_stream};
use seedchip_hdl::chip::EngineShape;
use seedchip_hdl::hw::Bits;
use serde::{Deserialize, Serialize};

use crate::model::{accumulate, engine_row, Job, Matrix, TilePlan};
use crate::noise::XorShift64;
use crate::verilator::{BridgeError, Model, PortId, Sim, XInit};

/// Cyclic stall patterns: at cycle t, `true` in `pattern[t % len]` holds that side off
/// (producer: no new valid; sink: ready low). Empty means never stall.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StallPattern {
    pub weight: Vec<bool>,
    pub act: Vec<bool>,
    pub out: Vec<bool>,
}

impl StallPattern {
    fn at(p: &[bool], t: u64) -> bool {
        !p.is_empty() && p[(t % p.len() as u64) as usize]
    }

    /// Stall cycles per pattern period, for the hang bound.
    fn slowdown(p: &[bool]) -> u64 {
        let free = p.iter().filter(|s| !**s).count().max(1) as u64;
        (p.len() as u64).max(1).div_ceil(free)
    }
}

/// Result of one GEMM through the RTL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GemmRun {
    pub out: Matrix<i32>,
    /// Clock cycles from the first offered transfer to the last result taken.
    pub cycles: u64,
    /// Activation rows streamed (M per job).
    pub act_rows: u64,
    /// Multiply-accumulates performed by the array (R x C per activation row).
    pub macs: u64,
}

/// Why a run did not match.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    #[error("result mismatch at cycle {cycle}: job {job} (k-tile {k_tile}, n-tile {n_tile}), activation row {m}, lane {lane}: RTL {rtl}, model {model}")]
    Mismatch {
        cycle: u64,
        job: usize,
        k_tile: usize,
        n_tile: usize,
        m: usize,
        lane: usize,
        rtl: i64,
        model: i64,
    },
    #[error("protocol violation at cycle {cycle}: {what}")]
    Protocol { cycle: u64, what: String },
    #[error("no progress: {got} of {expected} result rows after {cycles} cycles (engine hung, or never ready after reset)")]
    Hang {
        got: usize,
        expected: usize,
        cycles: u64,
    },
}

struct Ports {
    weight_valid: PortId,
    weight_ready: PortId,
    weight_data: PortId,
    act_valid: PortId,
    act_ready: PortId,
    act_data: PortId,
    act_last: PortId,
    out_valid: PortId,
    out_ready: PortId,
    out_data: PortId,
    out_last: PortId,
}

/// A matrix engine under test.
pub struct EngineHarness {
    sim: Sim,
    shape: EngineShape,
    p: Ports,
    noise: XorShift64,
}

impl EngineHarness {
    /// A fresh, reset instance of `model` (a matrix engine of `shape`).
    pub fn new(
        model: &Arc<Model>,
        shape: EngineShape,
        init: XInit,
    ) -> Result<EngineHarness, HarnessError> {
        let sim = model.sim(init)?;
        EngineHarness::from_sim(sim, shape, init)
    }

    /// Wrap an existing simulation (for instance one that records or traces).
    pub fn from_sim(
        mut sim: Sim,
        shape: EngineShape,
        init: XInit,
    ) -> Result<EngineHarness, HarnessError> {
        // Port names come from the engine's stream bundles.
        let (w, a, o) = (
            weight_stream(shape.cols),
            act_stream(shape.rows),
            out_stream(shape.cols),
        );
        let p = Ports {
            weight_valid: sim.port(&w.valid_port())?,
            weight_ready: sim.port(&w.ready_port())?,
            weight_data: sim.port(&w.port("data"))?,
            act_valid: sim.port(&a.valid_port())?,
            act_ready: sim.port(&a.ready_port())?,
            act_data: sim.port(&a.port("data"))?,
            act_last: sim.port(&a.port("last"))?,
            out_valid: sim.port(&o.valid_port())?,
            out_ready: sim.port(&o.ready_port())?,
            out_data: sim.port(&o.port("data"))?,
            out_last: sim.port(&o.port("last"))?,
        };
        for id in [p.weight_valid, p.act_valid, p.act_last, p.out_ready] {
            sim.set_u64(id, 0)?;
        }
        sim.reset(2)?;
        // The engine holds its handshakes off while its reset travels through the array.
        let mut waited = 0;
        while !sim.get_bool(p.weight_ready) {
            if waited > shape.reset_cycles + 4 {
                return Err(HarnessError::Hang {
                    got: 0,
                    expected: 0,
                    cycles: waited as u64,
                });
            }
            sim.step()?;
            waited += 1;
        }
        let noise = XorShift64::new(match init {
            XInit::Random(s) => s as u64,
            _ => 0x9e37_79b9_7f4a_7c15,
        });
        Ok(EngineHarness {
            sim,
            shape,
            p,
            noise,
        })
    }

    pub fn sim(&mut self) -> &mut Sim {
        &mut self.sim
    }

    /// Deterministic noise (xorshift64) for data lanes while their valid is low.
    fn garbage(&mut self, width: u32) -> Bits {
        let words: Vec<u32> = (0..width.div_ceil(32))
            .map(|_| self.noise.next_u64() as u32)
            .collect();
        Bits::from_words_u32(width, &words)
    }

    /// Compute `a x w` on the engine, tile by tile, accumulating in int32 as the chip's
    /// accumulator does. Each engine output row is checked against the model on arrival.
    pub fn gemm(
        &mut self,
        a: &Matrix<i8>,
        w: &Matrix<i8>,
        stalls: &StallPattern,
    ) -> Result<GemmRun, HarnessError> {
        let (rows, cols) = (self.shape.rows as usize, self.shape.cols as usize);
        let plan = TilePlan::new(self.shape.rows, self.shape.cols, a.rows, a.cols, w.cols);
        let jobs = plan.jobs();
        let m_rows = a.rows;
        let weight_rows: Vec<Vec<i8>> = jobs
            .iter()
            .flat_map(|j| {
                (0..rows)
                    .map(|r| plan.weight_row(w, *j, r))
                    .collect::<Vec<_>>()
            })
            .collect();
        let tiles: Vec<Vec<Vec<i8>>> = weight_rows.chunks(rows).map(|c| c.to_vec()).collect();
        let expected_rows = jobs.len() * m_rows;
        let mut out = Matrix::zeros(a.rows, w.cols);

        let per_job = (rows + m_rows + cols + 4) as u64;
        let slow = [&stalls.weight, &stalls.act, &stalls.out]
            .iter()
            .map(|p| StallPattern::slowdown(p))
            .max()
            .unwrap_or(1);
        let limit =
            (jobs.len() as u64 + 2) * per_job * slow * 4 + 4 * self.shape.latency as u64 + 100;

        let (mut wi, mut ai, mut oi) = (0usize, 0usize, 0usize);
        let (mut w_hold, mut a_hold) = (false, false);
        let mut held_out: Option<(Bits, bool)> = None;
        let start = self.sim.cycle();
        while oi < expected_rows {
            let t = self.sim.cycle() - start;
            if t > limit {
                return Err(HarnessError::Hang {
                    got: oi,
                    expected: expected_rows,
                    cycles: t,
                });
            }
            // Producers: raise valid when allowed, then hold it until the transfer.
            if !w_hold && wi < weight_rows.len() && !StallPattern::at(&stalls.weight, t) {
                w_hold = true;
            }
            if !a_hold && ai < expected_rows && !StallPattern::at(&stalls.act, t) {
                a_hold = true;
            }
            let wdata = if w_hold {
                lanes8(&weight_rows[wi])
            } else {
                self.garbage(8 * cols as u32)
            };
            let (adata, alast) = if a_hold {
                let job = jobs[ai / m_rows];
                (
                    lanes8(&plan.act_row(a, job, ai % m_rows)),
                    ai % m_rows == m_rows - 1,
                )
            } else {
                (self.garbage(8 * rows as u32), self.noise.last() & 2 == 2)
            };
            let out_ready = !StallPattern::at(&stalls.out, t);
            self.sim.set_bool(self.p.weight_valid, w_hold)?;
            self.sim.set(self.p.weight_data, &wdata)?;
            self.sim.set_bool(self.p.act_valid, a_hold)?;
            self.sim.set(self.p.act_data, &adata)?;
            self.sim.set_bool(self.p.act_last, alast)?;
            self.sim.set_bool(self.p.out_ready, out_ready)?;
            self.sim.eval();

            let w_fire = w_hold && self.sim.get_bool(self.p.weight_ready);
            let a_fire = a_hold && self.sim.get_bool(self.p.act_ready);
            if self.sim.get_bool(self.p.out_valid) {
                let data = self.sim.get(self.p.out_data);
                let last = self.sim.get_bool(self.p.out_last);
                if let Some((d, l)) = &held_out {
                    if *d != data || *l != last {
                        return Err(HarnessError::Protocol {
                            cycle: t,
                            what: "a result row changed while out_valid was high and out_ready low"
                                .into(),
                        });
                    }
                }
                if out_ready {
                    if oi >= expected_rows {
                        return Err(HarnessError::Protocol {
                            cycle: t,
                            what: "more result rows than activation rows".into(),
                        });
                    }
                    let (ji, m) = (oi / m_rows, oi % m_rows);
                    let job = jobs[ji];
                    if last != (m == m_rows - 1) {
                        return Err(HarnessError::Protocol {
                            cycle: t,
                            what: format!("out_last = {last} on row {m} of a {m_rows}-row group"),
                        });
                    }
                    let rtl: Vec<i64> = data.to_signed_lanes(32);
                    let model = engine_row(&plan.act_row(a, job, m), &tiles[ji]);
                    check_row(t, ji, job, m, &rtl, &model)?;
                    let row: Vec<i32> = rtl.iter().map(|&v| v as i32).collect();
                    accumulate(&mut out, &plan, job, m, &row);
                    oi += 1;
                    held_out = None;
                } else {
                    held_out = Some((data, last));
                }
            } else if held_out.is_some() {
                return Err(HarnessError::Protocol {
                    cycle: t,
                    what: "out_valid dropped before the result row was taken".into(),
                });
            }
            self.sim.step()?;
            if w_fire {
                wi += 1;
                w_hold = false;
            }
            if a_fire {
                ai += 1;
                a_hold = false;
            }
        }
        let act_rows = expected_rows as u64;
        Ok(GemmRun {
            out,
            cycles: self.sim.cycle() - start,
            act_rows,
            macs: act_rows * (rows * cols) as u64,
        })
    }
}

fn lanes8(v: &[i8]) -> Bits {
    let wide: Vec<i64> = v.iter().map(|&x| x as i64).collect();
    Bits::from_lanes(8, &wide)
}

fn check_row(
    cycle: u64,
    ji: usize,
    job: Job,
    m: usize,
    rtl: &[i64],
    model: &[i32],
) -> Result<(), HarnessError> {
    for (lane, (&r, &e)) in rtl.iter().zip(model).enumerate() {
        if r != e as i64 {
            return Err(HarnessError::Mismatch {
                cycle,
                job: ji,
                k_tile: job.k_tile,
                n_tile: job.n_tile,
                m,
                lane,
                rtl: r,
                model: e as i64,
            });
        }
    }
    Ok(())
}
