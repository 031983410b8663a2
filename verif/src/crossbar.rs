//! Reference model of the banked crossbar (`seedchip_hdl::hw::crossbar`): which request each
//! bank grants, cycle by cycle, and the banks' contents behind it.
//!
//! Each bank keeps the set of requesters first in line (all of them after reset); it grants
//! the lowest-numbered requester asking for it inside the set, else the lowest-numbered one
//! asking at all, and the set becomes the requesters above the one granted. A read's data
//! comes back the cycle after its grant.

use seedchip_hdl::hw::CrossbarSpec;

/// One request offered in a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub addr: u64,
    pub write: bool,
    pub wdata: u64,
}

/// What one cycle did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// Per bank: the requester granted, if any.
    pub bank_grant: Vec<Option<usize>>,
    /// Per requester: its request was taken (its `ready`).
    pub granted: Vec<bool>,
    /// Per requester: the read data it receives next cycle.
    pub responses: Vec<Option<u64>>,
}

/// The crossbar with its banks (data up to 64 bits).
#[derive(Clone, Debug)]
pub struct CrossbarModel {
    spec: CrossbarSpec,
    /// Per bank, bit i: requester i is first in line.
    first: Vec<u64>,
    /// Per bank, its rows.
    banks: Vec<Vec<u64>>,
}

impl CrossbarModel {
    /// After reset: every requester first in line, every row zero.
    pub fn new(spec: CrossbarSpec) -> CrossbarModel {
        let all = (1u64 << spec.requesters) - 1;
        let rows = 1usize << spec.row_bits();
        CrossbarModel {
            spec,
            first: vec![all; spec.banks as usize],
            banks: vec![vec![0; rows]; spec.banks as usize],
        }
    }

    /// Row `row` of bank `bank`.
    pub fn row(&self, bank: usize, row: usize) -> u64 {
        self.banks[bank][row]
    }

    /// One clock cycle with `requests` offered (one per requester, or none).
    pub fn cycle(&mut self, requests: &[Option<Request>]) -> Cycle {
        self.cycle_taken(requests, &[])
    }

    /// One clock cycle of a reservable crossbar: `taken[b]` says bank b serves a client
    /// outside the crossbar this cycle (missing entries: not taken).
    pub fn cycle_taken(&mut self, requests: &[Option<Request>], taken: &[bool]) -> Cycle {
        let n = self.spec.requesters as usize;
        assert_eq!(requests.len(), n, "one entry per requester");
        let mut out = Cycle {
            bank_grant: vec![None; self.spec.banks as usize],
            granted: vec![false; n],
            responses: vec![None; n],
        };
        for (b, first) in self.first.iter_mut().enumerate() {
            if taken.get(b).copied().unwrap_or(false) {
                continue;
            }
            let asks: u64 = requests
                .iter()
                .enumerate()
                .filter(|(_, r)| r.is_some_and(|r| self.spec.bank_of(r.addr) == b))
                .map(|(i, _)| 1u64 << i)
                .sum();
            if asks == 0 {
                continue;
            }
            let inside = asks & *first;
            let pick = if inside != 0 { inside } else { asks };
            let i = pick.trailing_zeros() as usize;
            // The requesters above i (none when i is the last).
            *first = !((2u64 << i) - 1) & ((1u64 << n) - 1);
            out.bank_grant[b] = Some(i);
            out.granted[i] = true;
            let r = requests[i].expect("asked");
            let row = (r.addr >> self.spec.bank_bits()) as usize;
            let write = if self.spec.mixed() {
                r.write
            } else {
                self.spec.rdata_bits == 0
            };
            if write {
                self.banks[b][row] = r.wdata & mask(self.spec.wdata_bits);
            } else {
                out.responses[i] = Some(self.banks[b][row]);
            }
        }
        out
    }
}

/// Which bank each request goes to, in the crossbar benchmarks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    /// A uniformly random bank each request.
    Uniform,
    /// Requester i always to bank reverse_bits(i) (a permutation when N <= M: no conflicts).
    Transpose,
    /// A quarter of the requests to bank 0, the rest uniformly.
    Hotspot,
}

impl Traffic {
    pub fn name(self) -> &'static str {
        match self {
            Traffic::Uniform => "uniform random",
            Traffic::Transpose => "transpose (bit-reversed bank)",
            Traffic::Hotspot => "hotspot (1/4 to bank 0)",
        }
    }
}

/// What a crossbar benchmark measured.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    /// Grants per cycle.
    pub grants_per_cycle: f64,
    /// The limit: min(N, M) grants per cycle (for the hotspot, also what bank 0 allows).
    pub limit: f64,
    /// Cycles from offering a request to its grant: mean and maximum.
    pub mean_wait: f64,
    pub max_wait: u64,
}

/// Run the crossbar model for `cycles` with every requester offering a new request with
/// probability `rate` per cycle once its last one is granted (rate 1: saturated).
pub fn measure(
    spec: CrossbarSpec,
    traffic: Traffic,
    rate: f64,
    cycles: u64,
    seed: u64,
) -> Throughput {
    use crate::noise::XorShift64;
    let (n, m) = (spec.requesters as usize, spec.banks as u64);
    let mut rng = XorShift64::new(seed);
    let mut x = CrossbarModel::new(spec);
    let mut pending: Vec<Option<(u64, Request)>> = vec![None; n];
    let (mut grants, mut waits, mut max_wait) = (0u64, 0u64, 0u64);
    let bank_bits = spec.bank_bits();
    for cycle in 0..cycles {
        for (i, p) in pending.iter_mut().enumerate() {
            if p.is_none() && rng.chance(rate) {
                let bank = match traffic {
                    Traffic::Uniform => rng.next_u64() % m,
                    Traffic::Transpose if bank_bits == 0 => 0,
                    Traffic::Transpose => (i as u64 % m).reverse_bits() >> (64 - bank_bits),
                    Traffic::Hotspot if rng.chance(0.25) => 0,
                    Traffic::Hotspot => rng.next_u64() % m,
                };
                let row = rng.next_u64() % (1u64 << spec.row_bits());
                let addr = (row << bank_bits) | bank;
                *p = Some((
                    cycle,
                    Request {
                        addr,
                        write: false,
                        wdata: 0,
                    },
                ));
            }
        }
        let offered: Vec<Option<Request>> = pending.iter().map(|p| p.map(|(_, r)| r)).collect();
        let c = x.cycle(&offered);
        for (i, g) in c.granted.iter().enumerate() {
            if *g {
                let (at, _) = pending[i].take().expect("granted");
                grants += 1;
                waits += cycle - at;
                max_wait = max_wait.max(cycle - at);
            }
        }
    }
    let mut limit = n.min(m as usize) as f64;
    if traffic == Traffic::Hotspot {
        // Bank 0 takes 1/4 + 3/4M of all requests and grants one a cycle.
        limit = limit.min(1.0 / (0.25 + 0.75 / m as f64));
    }
    Throughput {
        grants_per_cycle: grants as f64 / cycles as f64,
        limit,
        mean_wait: waits as f64 / grants.max(1) as f64,
        max_wait,
    }
}

/// The low `bits` bits set.
fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: u32, banks: u32) -> CrossbarSpec {
        CrossbarSpec {
            requesters: n,
            banks,
            addr_bits: 6,
            wdata_bits: 8,
            rdata_bits: 8,
            reservable: true,
        }
    }

    fn read(addr: u64) -> Option<Request> {
        Some(Request {
            addr,
            write: false,
            wdata: 0,
        })
    }

    #[test]
    fn a_hammered_bank_rotates_through_its_requesters() {
        let mut x = CrossbarModel::new(spec(3, 2));
        let order: Vec<Option<usize>> = (0..6)
            .map(|_| x.cycle(&[read(0), read(2), read(4)]).bank_grant[0])
            .collect();
        assert_eq!(order, [0, 1, 2, 0, 1, 2].map(Some));
    }

    #[test]
    fn banks_grant_independently_and_reads_see_earlier_writes() {
        let mut x = CrossbarModel::new(spec(2, 2));
        let w = Some(Request {
            addr: 5,
            write: true,
            wdata: 0x1ab,
        });
        let c = x.cycle(&[w, read(2)]);
        assert_eq!(c.granted, [true, true], "banks 1 and 0");
        assert_eq!(c.responses, [None, Some(0)]);
        assert_eq!(x.row(1, 2), 0xab, "written, cut to 8 bits");
        let c = x.cycle(&[read(5), None]);
        assert_eq!(c.responses, [Some(0xab), None]);
    }

    #[test]
    fn a_newcomer_waits_at_most_n_minus_1_grants() {
        // Requester 0 was just served; 1 and 2 ask together with 0 again: 1, 2, then 0.
        let mut x = CrossbarModel::new(spec(3, 1));
        assert_eq!(x.cycle(&[read(0), None, None]).bank_grant[0], Some(0));
        let seq: Vec<_> = (0..3)
            .map(|_| x.cycle(&[read(0), read(1), read(2)]).bank_grant[0])
            .collect();
        assert_eq!(seq, [Some(1), Some(2), Some(0)]);
    }

    #[test]
    fn a_taken_bank_grants_no_one_and_keeps_its_place() {
        let mut x = CrossbarModel::new(spec(2, 2));
        assert_eq!(x.cycle(&[read(0), read(2)]).bank_grant[0], Some(0));
        let c = x.cycle_taken(&[read(0), read(1)], &[true, false]);
        assert_eq!(c.bank_grant, [None, Some(1)]);
        assert_eq!(c.granted, [false, true]);
        assert_eq!(
            x.cycle(&[read(0), read(2)]).bank_grant[0],
            Some(1),
            "1 was next"
        );
    }
}
