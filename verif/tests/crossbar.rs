//! The banked crossbar (`seedchip_hdl::hw::crossbar`), Verilated, against its model
//! (`seedchip_verif::crossbar`), cycle by cycle: random traffic from every requester (hot
//! banks weighted, random gaps, junk on idle inputs), each grant, bank port and read
//! response equal to the model's; every request served exactly once, responses in request
//! order, and no requester passed over more than N - 1 times on a bank it waits for.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use proptest::prelude::*;
use seedchip_hdl::hw::{bank_rdata_port, bank_taken_port, crossbar, CrossbarSpec, Design};
use seedchip_verif::crossbar::{CrossbarModel, Request};
use seedchip_verif::noise::XorShift64;
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, PortId, Sim, XInit};

/// The shapes under test: reads and writes, reads only, writes only, one bank, eight banks;
/// two of them reservable (their banks taken by an outside client at random).
const SHAPES: [CrossbarSpec; 4] = [
    CrossbarSpec {
        requesters: 3,
        banks: 4,
        addr_bits: 6,
        wdata_bits: 16,
        rdata_bits: 16,
        reservable: false,
    },
    CrossbarSpec {
        requesters: 4,
        banks: 2,
        addr_bits: 5,
        wdata_bits: 0,
        rdata_bits: 12,
        reservable: true,
    },
    CrossbarSpec {
        requesters: 2,
        banks: 1,
        addr_bits: 4,
        wdata_bits: 8,
        rdata_bits: 0,
        reservable: true,
    },
    CrossbarSpec {
        requesters: 5,
        banks: 8,
        addr_bits: 7,
        wdata_bits: 32,
        rdata_bits: 32,
        reservable: false,
    },
];

fn model(which: usize) -> Arc<Model> {
    static M: OnceLock<Mutex<Vec<Option<Arc<Model>>>>> = OnceLock::new();
    let cell = M.get_or_init(|| Mutex::new(vec![None; SHAPES.len()]));
    let mut built = cell.lock().unwrap_or_else(|e| e.into_inner());
    built[which]
        .get_or_insert_with(|| {
            let d = Design::new(crossbar(&SHAPES[which]).unwrap()).unwrap();
            Model::build(&sources_of(&d), d.top().name(), &BuildOptions::default()).unwrap()
        })
        .clone()
}

/// The crossbar's ports, by requester and by bank (`None` where the shape has no such port).
struct Ports {
    req: Vec<[Option<PortId>; 5]>,
    resp: Vec<[Option<PortId>; 2]>,
    bank: Vec<[Option<PortId>; 5]>,
    taken: Vec<Option<PortId>>,
}

impl Ports {
    fn of(sim: &Sim, spec: &CrossbarSpec) -> Ports {
        let get = |name: String| sim.port(&name).ok();
        Ports {
            req: (0..spec.requesters)
                .map(|i| {
                    ["valid", "ready", "addr", "write", "wdata"].map(|f| get(format!("req{i}_{f}")))
                })
                .collect(),
            resp: (0..spec.requesters)
                .map(|i| ["valid", "rdata"].map(|f| get(format!("resp{i}_{f}"))))
                .collect(),
            bank: (0..spec.banks)
                .map(|b| {
                    let [en, we, addr, wdata] =
                        ["en", "we", "addr", "wdata"].map(|f| get(format!("bank{b}_{f}")));
                    [en, we, addr, wdata, get(bank_rdata_port(b))]
                })
                .collect(),
            taken: (0..spec.banks).map(|b| get(bank_taken_port(b))).collect(),
        }
    }
}

/// A requester's traffic: requests, each after a gap of idle cycles.
type Traffic = Vec<(u8, Request)>;

fn traffic(spec: CrossbarSpec) -> impl Strategy<Value = Vec<Traffic>> {
    let rows = 1u64 << spec.addr_bits;
    let banks = spec.banks as u64;
    // Half the requests go to bank 0 (conflicts), the rest anywhere.
    let addr = prop_oneof![(0..rows / banks).prop_map(move |r| r * banks), 0..rows];
    let write = match (spec.wdata_bits, spec.rdata_bits) {
        (0, _) => Just(false).boxed(),
        (_, 0) => Just(true).boxed(),
        _ => any::<bool>().boxed(),
    };
    let request =
        (addr, write, any::<u64>()).prop_map(|(addr, write, wdata)| Request { addr, write, wdata });
    let gap = prop_oneof![3 => Just(0u8), 1 => 1u8..4];
    let one = prop::collection::vec((gap, request), 0..24);
    prop::collection::vec(one, spec.requesters as usize)
}

/// Run the traffic; Err names the first difference.
fn check(
    which: usize,
    traffic: &[Traffic],
    seed: u64,
    take_banks: bool,
) -> Result<FairnessSeen, String> {
    let spec = SHAPES[which];
    let n = spec.requesters as usize;
    let mut sim = model(which)
        .sim(XInit::Random(seed as u32))
        .map_err(|e| e.to_string())?;
    let ports = Ports::of(&sim, &spec);
    let mut junk = XorShift64::new(seed | 1);
    let mut x = CrossbarModel::new(spec);
    let mut queues: Vec<VecDeque<(u8, Request)>> = traffic
        .iter()
        .map(|t| t.iter().copied().collect())
        .collect();
    let mut waited = vec![0u32; n];
    let mut seen = FairnessSeen::default();
    let mut expect_resp: Vec<Option<u64>> = vec![None; n];
    let mut bank_read: Vec<Option<u64>> = vec![None; spec.banks as usize];
    sim.reset(2).map_err(|e| e.to_string())?;
    let limit = 64 + traffic.iter().map(|t| t.len() * (n + 4)).sum::<usize>() * 2;
    for cycle in 0..limit {
        if queues.iter().all(|q| q.is_empty()) && expect_resp.iter().all(Option::is_none) {
            return Ok(seen);
        }
        // Offer each queue's head once its gap has passed; idle inputs carry junk.
        let mut offered: Vec<Option<Request>> = vec![None; n];
        for (i, q) in queues.iter_mut().enumerate() {
            if let Some((gap, r)) = q.front_mut() {
                if *gap > 0 {
                    *gap -= 1;
                } else {
                    offered[i] = Some(*r);
                }
            }
            let r = offered[i].unwrap_or(Request {
                addr: junk.next_u64(),
                write: junk.next_u64() & 1 == 1,
                wdata: junk.next_u64(),
            });
            let [valid, _, addr, write, wdata] = ports.req[i];
            sim.set_bool(valid.unwrap(), offered[i].is_some()).unwrap();
            sim.set_u64(addr.unwrap(), r.addr & mask(spec.addr_bits))
                .unwrap();
            if let Some(w) = write {
                sim.set_bool(w, r.write).unwrap();
            }
            if let Some(w) = wdata {
                sim.set_u64(w, r.wdata & mask(spec.wdata_bits)).unwrap();
            }
        }
        // A reservable crossbar's banks are taken a quarter of the time (never in the
        // hammer test, which measures the bound in cycles).
        let taken: Vec<bool> = ports
            .taken
            .iter()
            .map(|t| t.is_some() && take_banks && junk.next_u64().is_multiple_of(4))
            .collect();
        for (t, &v) in ports.taken.iter().zip(&taken) {
            if let Some(t) = t {
                sim.set_bool(*t, v).unwrap();
            }
        }
        for (b, read) in bank_read.iter().enumerate() {
            if let Some(d) = ports.bank[b][4] {
                let junk_data = junk.next_u64() & mask(spec.rdata_bits);
                sim.set_u64(d, read.unwrap_or(junk_data)).unwrap();
            }
        }
        sim.eval();
        // Responses to last cycle's reads.
        if spec.rdata_bits > 0 {
            for (i, want) in expect_resp.iter().enumerate() {
                let [valid, data] = ports.resp[i].map(Option::unwrap);
                let got = sim.get_bool(valid).then(|| sim.get_u64(data));
                if got != *want {
                    return Err(format!(
                        "cycle {cycle}: requester {i} response {got:x?}, model {want:x?}"
                    ));
                }
            }
        }
        let c = x.cycle_taken(&offered, &taken);
        for i in 0..n {
            let got = sim.get_bool(ports.req[i][1].unwrap());
            if got != c.granted[i] {
                return Err(format!(
                    "cycle {cycle}: requester {i} ready {got}, model {} (offered {:?})",
                    c.granted[i], offered
                ));
            }
        }
        for (b, g) in c.bank_grant.iter().enumerate() {
            let [en, we, addr, wdata, _] = ports.bank[b];
            if sim.get_bool(en.unwrap()) != g.is_some() {
                return Err(format!("cycle {cycle}: bank {b} en, model grant {g:?}"));
            }
            bank_read[b] = None;
            let Some(i) = *g else { continue };
            let r = offered[i].expect("granted");
            let row = (r.addr & mask(spec.addr_bits)) >> spec.bank_bits();
            let got_row = sim.get_u64(addr.unwrap());
            if got_row != row {
                return Err(format!(
                    "cycle {cycle}: bank {b} row {got_row}, requester {i} asked row {row}"
                ));
            }
            if let Some(we) = we {
                if sim.get_bool(we) != r.write {
                    return Err(format!("cycle {cycle}: bank {b} we, request {r:?}"));
                }
            }
            if let (Some(wd), None) = (wdata, c.responses[i]) {
                if sim.get_u64(wd) != r.wdata & mask(spec.wdata_bits) {
                    return Err(format!("cycle {cycle}: bank {b} wdata, request {r:?}"));
                }
            }
            // The bank's SRAM: the row as the model had it before this cycle's write.
            bank_read[b] = c.responses[i];
            // Fairness: grants to others while a requester waits for this bank.
            for (j, o) in offered.iter().enumerate() {
                if j != i && o.is_some_and(|o| spec.bank_of(o.addr) == b) {
                    waited[j] += 1;
                }
            }
        }
        for i in 0..n {
            if c.granted[i] {
                seen.max_wait = seen.max_wait.max(waited[i]);
                seen.grants += 1;
                waited[i] = 0;
                queues[i].pop_front();
            }
        }
        if waited.iter().any(|&w| w >= spec.requesters) {
            return Err(format!(
                "cycle {cycle}: a requester passed over {waited:?} times (bound {})",
                spec.requesters - 1
            ));
        }
        expect_resp = c.responses;
        sim.step().map_err(|e| e.to_string())?;
    }
    Err(format!(
        "not every request served within {limit} cycles: left {:?}",
        queues.iter().map(|q| q.len()).collect::<Vec<_>>()
    ))
}

/// The longest wait seen, in grants of the bank to others, and the grants made.
#[derive(Clone, Copy, Debug, Default)]
struct FairnessSeen {
    max_wait: u32,
    grants: u32,
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

fn case() -> impl Strategy<Value = (usize, Vec<Traffic>, u64)> {
    (0..SHAPES.len()).prop_flat_map(|w| (Just(w), traffic(SHAPES[w]), any::<u64>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]
    /// Random traffic on every shape: the RTL equals the model, cycle by cycle.
    #[test]
    fn rtl_crossbar_equals_the_model((which, traffic, seed) in case()) {
        if let Err(e) = check(which, &traffic, seed, true) {
            prop_assert!(false, "{:?}: {}", SHAPES[which], e);
        }
    }
}

/// Every requester hammers bank 0 without a gap: the grants rotate, and each requester waits
/// exactly N - 1 grants to others, the bound, no more and no less.
#[test]
fn a_hammered_bank_reaches_the_fairness_bound_exactly() {
    for (which, spec) in SHAPES.iter().enumerate() {
        let n = spec.requesters as usize;
        let banks = spec.banks as u64;
        let traffic: Vec<Traffic> = (0..n)
            .map(|i| {
                (0..12)
                    .map(|k| {
                        let addr = ((i as u64 * 12 + k) * banks) % (1 << spec.addr_bits);
                        let write = spec.rdata_bits == 0 || (spec.mixed() && k % 2 == 0);
                        (
                            0u8,
                            Request {
                                addr,
                                write,
                                wdata: k * 77 + i as u64,
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        let seen = check(which, &traffic, 11, false).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert_eq!(seen.grants as usize, 12 * n, "{spec:?}");
        assert_eq!(seen.max_wait as usize, n - 1, "{spec:?}");
    }
}

/// Bad shapes are refused with the reason, never built.
#[test]
fn bad_shapes_are_refused() {
    let good = SHAPES[0];
    for (spec, says) in [
        (CrossbarSpec { banks: 3, ..good }, "power of two"),
        (
            CrossbarSpec {
                requesters: 0,
                ..good
            },
            "requesters",
        ),
        (
            CrossbarSpec {
                addr_bits: 2,
                ..good
            },
            "bank bits",
        ),
        (
            CrossbarSpec {
                wdata_bits: 0,
                rdata_bits: 0,
                ..good
            },
            "carry nothing",
        ),
    ] {
        let e = crossbar(&spec).unwrap_err().to_string();
        assert!(e.contains(says), "{spec:?}: {e}");
    }
}
