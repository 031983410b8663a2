//! The mesh network-on-chip's reference model and traffic driver.
//!
//! The model is the mesh's contract, packet by packet: every packet injected at node s for
//! node d comes out at d exactly once, whole (head first, tail last, payload unchanged),
//! after every earlier packet from s to d; it takes the XY path, so it cannot arrive sooner
//! than its hops allow; and every packet arrives (no deadlock, no livelock). [`MeshRun`]
//! drives a Verilated mesh (`seedchip_hdl::chip::mesh`) with packets from a traffic
//! pattern, checks each delivery against that contract as it happens, and measures
//! throughput and latency for the benchmarks.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use seedchip_hdl::chip::mesh::MeshSpec;

use crate::noise::XorShift64;
use crate::verilator::{Model, PortId, Sim, XInit};

/// A traffic pattern (destination of each packet from its source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Any node, uniformly (itself included).
    Uniform,
    /// (x, y) sends to (y, x) (square meshes; others mirror the node number).
    Transpose,
    /// A quarter of the packets go to node 0, the rest uniformly.
    Hotspot,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Uniform => "uniform random",
            Pattern::Transpose => "transpose",
            Pattern::Hotspot => "hotspot (1/4 to node 0)",
        }
    }

    /// A destination for a packet from `src`.
    pub fn destination(self, spec: &MeshSpec, src: u32, rng: &mut XorShift64) -> u32 {
        let n = spec.nodes();
        match self {
            Pattern::Uniform => (rng.next_u64() % n as u64) as u32,
            Pattern::Transpose => {
                let (x, y) = (src % spec.x, src / spec.x);
                if spec.x == spec.y {
                    x * spec.x + y
                } else {
                    n - 1 - src
                }
            }
            Pattern::Hotspot => {
                if rng.chance(0.25) {
                    0
                } else {
                    (rng.next_u64() % n as u64) as u32
                }
            }
        }
    }
}

/// A packet: its route and its flits' payloads (the first is the head's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub src: u32,
    pub dst: u32,
    pub seq: u32,
    pub flits: Vec<u64>,
}

/// Bits of the destination in a head flit (x, then y).
fn dest_bits(spec: &MeshSpec) -> (u32, u32) {
    let r = spec.router();
    (r.x_bits, r.y_bits)
}

impl Packet {
    /// A packet of `len` flits from `src` to `dst`, number `seq` of that pair: the head flit
    /// holds the destination, the source and the number; the rest hold a hash of them.
    pub fn new(spec: &MeshSpec, src: u32, dst: u32, seq: u32, len: usize) -> Packet {
        let (xb, yb) = dest_bits(spec);
        let mask = mask(spec.flit_bits);
        let (dx, dy) = ((dst % spec.x) as u64, (dst / spec.x) as u64);
        let head =
            (dx | dy << xb | (src as u64) << (xb + yb) | (seq as u64) << (xb + yb + 8)) & mask;
        let mut h = XorShift64::new(((src as u64) << 40) ^ ((dst as u64) << 20) ^ seq as u64 ^ 1);
        let mut flits = vec![head];
        flits.extend((1..len).map(|_| h.next_u64() & mask));
        Packet {
            src,
            dst,
            seq,
            flits,
        }
    }

    /// Hops on the XY path.
    pub fn hops(&self, spec: &MeshSpec) -> u32 {
        let (sx, sy) = (self.src % spec.x, self.src / spec.x);
        let (dx, dy) = (self.dst % spec.x, self.dst / spec.x);
        sx.abs_diff(dx) + sy.abs_diff(dy)
    }
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// How a run offers and takes flits.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Flits per packet.
    pub packet_flits: usize,
    /// Packets each node offers per cycle (0..=1 / packet_flits for a flit a cycle).
    pub packet_rate: f64,
    /// Cycles during which packets are offered.
    pub cycles: u64,
    /// Chance per cycle that a node does not take an ejected flit (0 for full speed).
    pub eject_stall: f64,
    /// Chance per cycle that a node pauses injecting inside a packet.
    pub inject_gap: f64,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub packets: u64,
    pub flits: u64,
    /// Cycles until the last packet arrived.
    pub cycles: u64,
    /// Flits ejected per node per cycle while offering (accepted throughput).
    pub accepted: f64,
    /// Flits offered per node per cycle.
    pub offered: f64,
    pub mean_latency: f64,
    pub max_latency: u64,
    /// Largest latency minus the packet's zero-load latency.
    pub max_queueing: u64,
    /// The least, over sources, of the flits delivered from it while offering over the flits
    /// it offered: below 1 when some flow falls behind.
    pub worst_source: f64,
}

/// A Verilated mesh under traffic.
pub struct MeshRun {
    spec: MeshSpec,
    sim: Sim,
    inject: Vec<[PortId; 5]>,
    eject: Vec<[PortId; 5]>,
}

/// Zero-load latency of a packet: two cycles a router (buffer, then the link register), the
/// injection and ejection buffers, one cycle a flit after the head.
pub fn zero_load_latency(hops: u32, flits: usize) -> u64 {
    2 * (hops as u64 + 1) + 1 + flits as u64 - 1
}

impl MeshRun {
    pub fn new(spec: MeshSpec, model: &Arc<Model>, seed: u32) -> Result<MeshRun, String> {
        let sim = model.sim(XInit::Random(seed)).map_err(|e| e.to_string())?;
        let port = |name: String| sim.port(&name).map_err(|e| format!("{name}: {e}"));
        let fields = ["valid", "ready", "head", "tail", "data"];
        let mut inject = Vec::new();
        let mut eject = Vec::new();
        for n in 0..spec.nodes() {
            let mut i = Vec::new();
            let mut e = Vec::new();
            for f in fields {
                i.push(port(format!("inject{n}_{f}"))?);
                e.push(port(format!("eject{n}_{f}"))?);
            }
            inject.push(i.try_into().expect("five"));
            eject.push(e.try_into().expect("five"));
        }
        Ok(MeshRun {
            spec,
            sim,
            inject,
            eject,
        })
    }

    /// Offer packets from `pattern` under `load`, take every packet out, check each against
    /// the contract; Err names the first violation. Gives up (deadlock or livelock) when
    /// nothing arrives for `patience` cycles while packets are in flight.
    pub fn run(
        &mut self,
        pattern: Pattern,
        load: Load,
        seed: u64,
        patience: u64,
    ) -> Result<Stats, String> {
        let spec = self.spec;
        let n = spec.nodes() as usize;
        let mut rng = XorShift64::new(seed | 1);
        // Per source: packets waiting, with the cycle each was offered.
        let mut queues: Vec<VecDeque<(u64, Packet)>> = vec![VecDeque::new(); n];
        let mut sending: Vec<Option<(u64, Packet, usize)>> = vec![None; n];
        let mut expected: HashMap<(u32, u32), VecDeque<(u64, Packet)>> = HashMap::new();
        let mut arriving: Vec<Vec<u64>> = vec![Vec::new(); n];
        let mut seqs: HashMap<(u32, u32), u32> = HashMap::new();
        let mut stats = Stats::default();
        let mut latency_sum = 0u64;
        let mut in_flight = 0u64;
        let mut ejected_while_offering = 0u64;
        let mut offered_flits = 0u64;
        let mut offered_by = vec![0u64; n];
        let mut delivered_by = vec![0u64; n];
        let mut quiet = 0u64;
        self.sim.reset(2).map_err(|e| e.to_string())?;
        let mut cycle = 0u64;
        loop {
            // New packets.
            if cycle < load.cycles {
                for (src, q) in queues.iter_mut().enumerate() {
                    if rng.chance(load.packet_rate) {
                        let dst = pattern.destination(&spec, src as u32, &mut rng);
                        let seq = seqs.entry((src as u32, dst)).or_insert(0);
                        let p = Packet::new(&spec, src as u32, dst, *seq, load.packet_flits);
                        *seq += 1;
                        offered_flits += p.flits.len() as u64;
                        offered_by[src] += p.flits.len() as u64;
                        q.push_back((cycle, p));
                    }
                }
            }
            // Drive injection: the current packet's next flit.
            for s in 0..n {
                if sending[s].is_none() {
                    if let Some((at, p)) = queues[s].pop_front() {
                        expected
                            .entry((p.src, p.dst))
                            .or_default()
                            .push_back((at, p.clone()));
                        in_flight += 1;
                        sending[s] = Some((at, p, 0));
                    }
                }
                let [valid, _, head, tail, data] = self.inject[s];
                let offer = match &sending[s] {
                    Some((_, p, k)) if !rng.chance(load.inject_gap) => Some((p, *k)),
                    _ => None,
                };
                self.sim.set_bool(valid, offer.is_some()).unwrap();
                let (h, t, d) = match offer {
                    Some((p, k)) => (k == 0, k + 1 == p.flits.len(), p.flits[k]),
                    None => (rng.chance(0.5), rng.chance(0.5), rng.next_u64()),
                };
                self.sim.set_bool(head, h).unwrap();
                self.sim.set_bool(tail, t).unwrap();
                self.sim.set_u64(data, d & mask(spec.flit_bits)).unwrap();
                let ready = self.eject[s][1];
                self.sim
                    .set_bool(ready, !rng.chance(load.eject_stall))
                    .unwrap();
            }
            self.sim.eval();
            // Flits taken in, flits coming out.
            for s in 0..n {
                let [valid, ready, ..] = self.inject[s];
                if self.sim.get_bool(valid) && self.sim.get_bool(ready) {
                    let (_, p, k) = sending[s].as_mut().expect("offered");
                    *k += 1;
                    if *k == p.flits.len() {
                        sending[s] = None;
                    }
                }
                let [valid, ready, head, tail, data] = self.eject[s];
                if !(self.sim.get_bool(valid) && self.sim.get_bool(ready)) {
                    continue;
                }
                let (h, t, d) = (
                    self.sim.get_bool(head),
                    self.sim.get_bool(tail),
                    self.sim.get_u64(data),
                );
                if cycle < load.cycles {
                    ejected_while_offering += 1;
                }
                stats.flits += 1;
                if h != arriving[s].is_empty() {
                    return Err(format!(
                        "cycle {cycle}: node {s} got a flit with head = {h} after {} flits of a packet",
                        arriving[s].len()
                    ));
                }
                arriving[s].push(d);
                if !t {
                    continue;
                }
                let flits = std::mem::take(&mut arriving[s]);
                let (xb, yb) = dest_bits(&spec);
                let src = ((flits[0] >> (xb + yb)) & 0xff) as u32;
                let Some((at, want)) = expected
                    .get_mut(&(src, s as u32))
                    .and_then(|q| q.pop_front())
                else {
                    return Err(format!(
                        "cycle {cycle}: node {s} got a packet from node {src} it was not sent: {flits:x?}"
                    ));
                };
                if flits != want.flits {
                    return Err(format!(
                        "cycle {cycle}: node {s} got {flits:x?} from node {src}; the next packet \
                         from {src} to {s} is {:x?} (lost, reordered or corrupted)",
                        want.flits
                    ));
                }
                let latency = cycle - at;
                let floor = zero_load_latency(want.hops(&spec), want.flits.len());
                if latency + 1 < floor {
                    return Err(format!(
                        "cycle {cycle}: packet {src} -> {s} arrived in {latency} cycles, below \
                         the {floor} its {} hops take",
                        want.hops(&spec)
                    ));
                }
                stats.packets += 1;
                if cycle < load.cycles {
                    delivered_by[src as usize] += want.flits.len() as u64;
                }
                latency_sum += latency;
                stats.max_latency = stats.max_latency.max(latency);
                stats.max_queueing = stats.max_queueing.max(latency.saturating_sub(floor));
                in_flight -= 1;
                quiet = 0;
            }
            self.sim.step().map_err(|e| e.to_string())?;
            cycle += 1;
            let pending = in_flight > 0 || queues.iter().any(|q| !q.is_empty());
            if cycle >= load.cycles && !pending {
                break;
            }
            quiet += 1;
            if pending && quiet > patience {
                return Err(format!(
                    "cycle {cycle}: nothing arrived for {patience} cycles with {in_flight} packets \
                     in flight (deadlock or livelock)"
                ));
            }
        }
        stats.cycles = cycle;
        let nodes = n as f64;
        stats.accepted = ejected_while_offering as f64 / (nodes * load.cycles as f64);
        stats.offered = offered_flits as f64 / (nodes * load.cycles as f64);
        stats.mean_latency = latency_sum as f64 / stats.packets.max(1) as f64;
        stats.worst_source = offered_by
            .iter()
            .zip(&delivered_by)
            .filter(|(o, _)| **o > 0)
            .map(|(o, d)| *d as f64 / *o as f64)
            .fold(1.0, f64::min);
        Ok(stats)
    }
}

/// The theoretical throughput limit of `pattern` on the mesh, in flits per node per cycle:
/// 1 / the heaviest channel's load per unit of injection, over every link of the XY routes
/// and every node's injection and ejection channel (one flit a cycle each). Exact for
/// uniform random and transpose (their expected loads); for the hotspot, node 0's ejection.
pub fn throughput_limit(spec: &MeshSpec, pattern: Pattern) -> f64 {
    let n = spec.nodes() as usize;
    // Traffic matrix: the share of a source's packets going to each destination.
    let share = |src: u32, dst: u32| -> f64 {
        let nf = n as f64;
        match pattern {
            Pattern::Uniform => 1.0 / nf,
            Pattern::Transpose => {
                let mut r = XorShift64::new(1);
                (Pattern::Transpose.destination(spec, src, &mut r) == dst) as u32 as f64
            }
            Pattern::Hotspot => 0.75 / nf + if dst == 0 { 0.25 } else { 0.0 },
        }
    };
    // Load per link (from, to), plus injection and ejection channels.
    let mut load: HashMap<(u32, u32), f64> = HashMap::new();
    let mut eject = vec![0.0; n];
    for s in 0..n as u32 {
        for d in 0..n as u32 {
            let f = share(s, d);
            if f == 0.0 {
                continue;
            }
            eject[d as usize] += f;
            let (mut x, mut y) = (s % spec.x, s / spec.x);
            let (dx, dy) = (d % spec.x, d / spec.x);
            while (x, y) != (dx, dy) {
                let (nx, ny) = if x != dx {
                    (if dx > x { x + 1 } else { x - 1 }, y)
                } else {
                    (x, if dy > y { y + 1 } else { y - 1 })
                };
                *load.entry((y * spec.x + x, ny * spec.x + nx)).or_default() += f;
                (x, y) = (nx, ny);
            }
        }
    }
    let heaviest = load
        .values()
        .chain(eject.iter())
        .fold(1.0f64, |a, &b| a.max(b));
    1.0 / heaviest
}

/// A load sweep: each point's figures, and the saturation throughput.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub points: Vec<Stats>,
    /// The throughput (flits/node/cycle accepted) at the highest offered load the mesh still
    /// keeps up with: every source's flits delivered within 5% of what it offered (in-flight
    /// flits at the end of the window make up the rest), found on the sweep and refined by
    /// bisection. Accepted rather than offered, so it never exceeds what was delivered.
    pub saturation: f64,
}

/// Sweep offered load from 0.1 to 1.2 times `limit` (packets of `flits` flits, `cycles`
/// cycles each point, ejection always ready) and find the saturation throughput.
pub fn saturation(
    run: &mut MeshRun,
    pattern: Pattern,
    flits: usize,
    limit: f64,
    cycles: u64,
) -> Result<Sweep, String> {
    let point = |run: &mut MeshRun, rate: f64| {
        let load = Load {
            packet_flits: flits,
            packet_rate: rate / flits as f64,
            cycles,
            eject_stall: 0.0,
            inject_gap: 0.0,
        };
        run.run(pattern, load, 11, 200_000)
    };
    let keeps_up = |s: &Stats| s.worst_source >= 0.95;
    let mut points = Vec::new();
    // The highest offered load that keeps up, and the throughput accepted there.
    let (mut good, mut accepted, mut bad) = (0.0f64, 0.0f64, None);
    for k in 1..=12 {
        let rate = limit * k as f64 / 10.0;
        let s = point(run, rate)?;
        if bad.is_none() {
            if keeps_up(&s) {
                (good, accepted) = (rate, s.accepted);
            } else {
                bad = Some(rate);
            }
        }
        points.push(s);
    }
    if let Some(mut hi) = bad {
        for _ in 0..4 {
            let mid = (good + hi) / 2.0;
            let s = point(run, mid)?;
            if keeps_up(&s) {
                (good, accepted) = (mid, s.accepted);
            } else {
                hi = mid;
            }
        }
    }
    Ok(Sweep {
        points,
        saturation: accepted,
    })
}
