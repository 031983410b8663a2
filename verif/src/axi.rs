//! AXI4 at the cycle level: a DRAM model for the chip's master port, and a protocol checker.
//!
//! Each cycle: the slave states its outputs ([`AxiMemory::outputs`]: readies, and B/R beats
//! it offers), the master states its own ([`MasterOut`]); at the rising edge every channel
//! whose valid and ready are both high transfers ([`AxiMemory::edge`]). The [`Checker`] sees
//! both sides every cycle and reports the first rule broken.
//!
//! The memory supports INCR bursts of up to 256 beats with full-width or narrower beats and
//! write strobes, write data before or after its address, several outstanding reads and
//! writes (answered in order), a read latency, a bandwidth in bytes per cycle, random stalls
//! of its ready and valid signals, and error responses (SLVERR on injected address ranges,
//! DECERR past the end of the image). A beat with an error response writes nothing.

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// BRESP/RRESP values.
pub const OKAY: u8 = 0;
pub const SLVERR: u8 = 2;
pub const DECERR: u8 = 3;
/// AxBURST INCR.
pub const INCR: u8 = 1;

/// A read or write address beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    pub id: u32,
    pub addr: u64,
    /// Beats - 1.
    pub len: u8,
    /// log2(bytes per beat).
    pub size: u8,
    pub burst: u8,
}

/// A write data beat (`data` and `strb` little-endian, `data_bytes` wide).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WBeat {
    pub data: Vec<u8>,
    pub strb: Vec<bool>,
    pub last: bool,
}

/// A write response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BBeat {
    pub id: u32,
    pub resp: u8,
}

/// A read data beat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RBeat {
    pub id: u32,
    pub data: Vec<u8>,
    pub resp: u8,
    pub last: bool,
}

/// What the master drives in one cycle (`Some` = valid).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MasterOut {
    pub aw: Option<Addr>,
    pub w: Option<WBeat>,
    pub b_ready: bool,
    pub ar: Option<Addr>,
    pub r_ready: bool,
}

/// What the slave drives in one cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlaveOut {
    pub aw_ready: bool,
    pub w_ready: bool,
    pub b: Option<BBeat>,
    pub ar_ready: bool,
    pub r: Option<RBeat>,
}

/// How the memory behaves.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MemoryTiming {
    /// Cycles from a read address's acceptance to its first data beat, at least 1.
    pub read_latency: u32,
    /// Cycles from a write burst's last beat to its response, at least 1.
    pub write_latency: u32,
    /// Bytes of read or write data the memory moves per cycle (a beat waits for its bytes).
    pub bytes_per_cycle: f64,
    /// Probability that a ready or an offered valid is held low in a cycle.
    pub stall: f64,
    pub seed: u64,
}

impl Default for MemoryTiming {
    fn default() -> Self {
        MemoryTiming {
            read_latency: 10,
            write_latency: 4,
            bytes_per_cycle: 16.0,
            stall: 0.0,
            seed: 1,
        }
    }
}

/// The bytes a beat of `a` covers: (address of its first byte, bytes), for beat `k`.
pub fn beat_span(a: &Addr, k: u32) -> (u64, u64) {
    let size = 1u64 << a.size;
    let aligned = a.addr & !(size - 1);
    if k == 0 {
        (a.addr, size - (a.addr - aligned))
    } else {
        (aligned + k as u64 * size, size)
    }
}

/// A DRAM behind an AXI4 slave port.
pub struct AxiMemory {
    pub bytes: Vec<u8>,
    data_bytes: usize,
    timing: MemoryTiming,
    /// Address ranges `[lo, hi)` that answer SLVERR.
    pub slverr: Vec<(u64, u64)>,
    rng: StdRng,
    credit: f64,
    cycle: u64,
    aws: VecDeque<Addr>,
    wbeats: VecDeque<WBeat>,
    /// Write bursts complete, waiting for their response: (ready at cycle, response).
    bresps: VecDeque<(u64, BBeat)>,
    /// Reads accepted: (first beat not before cycle, burst, next beat).
    reads: VecDeque<(u64, Addr, u32)>,
    /// This cycle's decisions (so `edge` knows what was offered).
    out: SlaveOut,
}

impl AxiMemory {
    /// `bytes` of DRAM on a bus `data_bytes` wide.
    pub fn new(bytes: Vec<u8>, data_bytes: usize, timing: MemoryTiming) -> AxiMemory {
        let rng = StdRng::seed_from_u64(timing.seed);
        AxiMemory {
            bytes,
            data_bytes,
            timing,
            slverr: Vec::new(),
            rng,
            credit: 0.0,
            cycle: 0,
            aws: VecDeque::new(),
            wbeats: VecDeque::new(),
            bresps: VecDeque::new(),
            reads: VecDeque::new(),
            out: SlaveOut::default(),
        }
    }

    fn stalled(&mut self) -> bool {
        self.timing.stall > 0.0 && self.rng.random_bool(self.timing.stall.min(1.0))
    }

    fn resp_for(&self, addr: u64, len: u64) -> u8 {
        if addr + len > self.bytes.len() as u64 {
            DECERR
        } else if self
            .slverr
            .iter()
            .any(|(lo, hi)| addr < *hi && addr + len > *lo)
        {
            SLVERR
        } else {
            OKAY
        }
    }

    /// The slave's outputs this cycle. Call once per cycle, before [`AxiMemory::edge`].
    pub fn outputs(&mut self) -> SlaveOut {
        self.credit = (self.credit + self.timing.bytes_per_cycle).min(4.0 * self.data_bytes as f64);
        let has_data_credit = self.credit >= self.data_bytes as f64;
        let mut out = SlaveOut {
            aw_ready: !self.stalled(),
            w_ready: has_data_credit && !self.stalled(),
            ar_ready: !self.stalled(),
            ..SlaveOut::default()
        };
        // A valid once offered stays offered until taken (the memory keeps its promise).
        out.b = match &self.out.b {
            Some(b) => Some(*b),
            None => match self.bresps.front().copied() {
                Some((at, b)) if at <= self.cycle && !self.stalled() => Some(b),
                _ => None,
            },
        };
        out.r = match &self.out.r {
            Some(r) => Some(r.clone()),
            None => match self.reads.front().cloned() {
                Some((at, a, k)) if at <= self.cycle && has_data_credit && !self.stalled() => {
                    let (addr, n) = beat_span(&a, k);
                    let resp = self.resp_for(addr, n);
                    let mut data = vec![0u8; self.data_bytes];
                    if resp == OKAY {
                        let lane = (addr % self.data_bytes as u64) as usize;
                        data[lane..lane + n as usize]
                            .copy_from_slice(&self.bytes[addr as usize..(addr + n) as usize]);
                    }
                    Some(RBeat {
                        id: a.id,
                        data,
                        resp,
                        last: k == a.len as u32,
                    })
                }
                _ => None,
            },
        };
        self.out = out.clone();
        out
    }

    /// The rising edge: transfers on every channel where valid and ready are both high.
    pub fn edge(&mut self, m: &MasterOut) {
        let s = self.out.clone();
        if let (Some(a), true) = (m.ar, s.ar_ready) {
            self.reads
                .push_back((self.cycle + self.timing.read_latency.max(1) as u64, a, 0));
        }
        if let (Some(r), true) = (&s.r, m.r_ready) {
            self.credit -= self.data_bytes as f64;
            self.out.r = None;
            let front = self.reads.front_mut().expect("an R beat belongs to a read");
            front.2 += 1;
            if r.last {
                self.reads.pop_front();
            }
        }
        if let (Some(a), true) = (m.aw, s.aw_ready) {
            self.aws.push_back(a);
        }
        if let (Some(w), true) = (&m.w, s.w_ready) {
            self.credit -= self.data_bytes as f64;
            self.wbeats.push_back(w.clone());
        }
        if let (Some(_), true) = (&s.b, m.b_ready) {
            self.out.b = None;
            self.bresps.pop_front();
        }
        self.retire_writes();
        self.cycle += 1;
    }

    /// Apply every write burst whose address and data have all arrived.
    fn retire_writes(&mut self) {
        while let Some(a) = self.aws.front().copied() {
            let beats = a.len as usize + 1;
            if self.wbeats.len() < beats {
                return;
            }
            let mut resp = OKAY;
            for k in 0..beats {
                let w = self.wbeats.pop_front().expect("counted");
                let (addr, n) = beat_span(&a, k as u32);
                let r = self.resp_for(addr, n);
                if r != OKAY {
                    resp = resp.max(r);
                    continue;
                }
                let lane = (addr % self.data_bytes as u64) as usize;
                for b in 0..n as usize {
                    if w.strb[lane + b] {
                        self.bytes[addr as usize + b] = w.data[lane + b];
                    }
                }
            }
            self.aws.pop_front();
            let at = self.cycle + self.timing.write_latency.max(1) as u64;
            self.bresps.push_back((at, BBeat { id: a.id, resp }));
        }
    }
}

/// The first AXI rule broken, with the cycle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("AXI rule broken at cycle {cycle} on {channel}: {rule}")]
pub struct Violation {
    pub cycle: u64,
    pub channel: &'static str,
    pub rule: String,
}

/// Checks both sides of an AXI4 port, cycle by cycle.
#[derive(Default)]
pub struct Checker {
    data_bytes: usize,
    cycle: u64,
    prev_m: Option<MasterOut>,
    prev_s: Option<SlaveOut>,
    /// Write bursts whose address was accepted, by beats still expected (address order).
    w_bursts: VecDeque<u32>,
    /// W beats accepted before their address (AXI4 allows it).
    early_w: u32,
    /// Bursts written completely, awaiting B: ids in order.
    b_due: VecDeque<u32>,
    /// Reads outstanding: (id, beats left).
    r_due: VecDeque<(u32, u32)>,
}

impl Checker {
    pub fn new(data_bytes: usize) -> Checker {
        Checker {
            data_bytes,
            ..Checker::default()
        }
    }

    /// Check one cycle's outputs of both sides (before the edge), then account the transfers.
    pub fn cycle(&mut self, m: &MasterOut, s: &SlaveOut) -> Result<(), Violation> {
        let err = |channel, rule: String| Violation {
            cycle: self.cycle,
            channel,
            rule,
        };
        // A valid not taken stays valid with the same payload.
        if let (Some(pm), Some(ps)) = (&self.prev_m, &self.prev_s) {
            let held = |channel, was: bool, ready: bool, now: bool, same: bool| {
                if was && !ready && !(now && same) {
                    Err(err(
                        channel,
                        "valid dropped or payload changed before ready".into(),
                    ))
                } else {
                    Ok(())
                }
            };
            held(
                "AW",
                pm.aw.is_some(),
                ps.aw_ready,
                m.aw.is_some(),
                pm.aw == m.aw,
            )?;
            held("W", pm.w.is_some(), ps.w_ready, m.w.is_some(), pm.w == m.w)?;
            held(
                "AR",
                pm.ar.is_some(),
                ps.ar_ready,
                m.ar.is_some(),
                pm.ar == m.ar,
            )?;
            held("B", ps.b.is_some(), pm.b_ready, s.b.is_some(), ps.b == s.b)?;
            held("R", ps.r.is_some(), pm.r_ready, s.r.is_some(), ps.r == s.r)?;
        }
        for (channel, a) in [("AW", &m.aw), ("AR", &m.ar)] {
            if let Some(a) = a {
                if a.burst != INCR {
                    return Err(err(
                        channel,
                        format!("burst type {} (only INCR is used)", a.burst),
                    ));
                }
                if (1usize << a.size) > self.data_bytes {
                    return Err(err(
                        channel,
                        format!("size {} is wider than the bus", a.size),
                    ));
                }
                let (_, first) = beat_span(a, 0);
                let end = a.addr + first + a.len as u64 * (1u64 << a.size);
                if a.addr / 4096 != (end - 1) / 4096 {
                    return Err(err(
                        channel,
                        format!(
                            "burst at {:#x} of {} beats crosses a 4 KiB boundary",
                            a.addr,
                            a.len as u32 + 1
                        ),
                    ));
                }
            }
        }
        if let Some(w) = &m.w {
            if w.data.len() != self.data_bytes || w.strb.len() != self.data_bytes {
                return Err(err("W", "beat is not bus-wide".into()));
            }
        }
        // Transfers at this edge.
        if let (Some(_), true) = (&m.aw, s.aw_ready) {
            let beats = m.aw.map(|a| a.len as u32 + 1).unwrap_or(0);
            let id = m.aw.map(|a| a.id).unwrap_or(0);
            // Beats that came before their address count toward this burst.
            let early = self.early_w.min(beats);
            self.early_w -= early;
            if early < beats {
                self.w_bursts.push_back(beats - early);
            }
            self.b_due.push_back(id);
        }
        if let (Some(w), true) = (&m.w, s.w_ready) {
            match self.w_bursts.front_mut() {
                Some(left) => {
                    *left -= 1;
                    if (*left == 0) != w.last {
                        return Err(err(
                            "W",
                            format!("WLAST {} on a beat with {} beats left", w.last, *left),
                        ));
                    }
                    if *left == 0 {
                        self.w_bursts.pop_front();
                    }
                }
                None => self.early_w += 1,
            }
        }
        if let (Some(b), true) = (&s.b, m.b_ready) {
            match self.b_due.pop_front() {
                Some(id) if id == b.id => {}
                other => {
                    return Err(err(
                        "B",
                        format!("response id {} but expected {other:?}", b.id),
                    ))
                }
            }
        }
        if let (Some(a), true) = (&m.ar, s.ar_ready) {
            self.r_due.push_back((a.id, a.len as u32 + 1));
        }
        if let (Some(r), true) = (&s.r, m.r_ready) {
            match self.r_due.front_mut() {
                Some((id, left)) if *id == r.id => {
                    *left -= 1;
                    if (*left == 0) != r.last {
                        return Err(err(
                            "R",
                            format!("RLAST {} with {} beats left", r.last, *left),
                        ));
                    }
                    if *left == 0 {
                        self.r_due.pop_front();
                    }
                }
                other => {
                    return Err(err(
                        "R",
                        format!("beat for id {} but expected {other:?}", r.id),
                    ))
                }
            }
        }
        self.prev_m = Some(m.clone());
        self.prev_s = Some(s.clone());
        self.cycle += 1;
        Ok(())
    }

    /// Nothing outstanding: every burst answered.
    pub fn idle(&self) -> bool {
        self.w_bursts.is_empty()
            && self.early_w == 0
            && self.b_due.is_empty()
            && self.r_due.is_empty()
    }
}
