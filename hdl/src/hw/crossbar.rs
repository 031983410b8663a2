//! A banked crossbar: N requesters x M single-port banks, valid/ready requests, round-robin
//! arbitration per bank, responses back in request order.
//!
//! ```text
//!  req0 (valid/ready, addr, write, wdata) --+                      +--> bank0 (en, we, addr, wdata)
//!  req1 ------------------------------------+--[bank of addr]--[per bank: round-robin]--> bank1
//!  ...                                      |                      ...
//!  resp0 (valid, rdata) <--[the bank that served req0 last cycle]<-- bank0_rdata, bank1_rdata ...
//! ```
//!
//! Addresses interleave across the banks: address `a` is row `a >> log2(M)` of bank
//! `a % M`, so requesters streaming consecutive addresses spread over all banks. Each bank
//! grants at most one request per cycle, and each request goes to one bank, so a requester
//! gets at most one grant per cycle (`ready` is its grant).
//!
//! Arbitration: each bank keeps a mask of the requesters that come first in line (initially
//! all of them). The bank grants the lowest-numbered requester asking for it inside the mask,
//! or, if none inside asks, the lowest-numbered one asking at all; the mask then becomes the
//! requesters above the one granted. Fairness bound: a requester that holds its request for a
//! bank sees at most N - 1 grants of that bank to others before its own: each grant moves the
//! bank's place in line strictly forward (upward, wrapping) and cannot pass a requester that
//! asks, so each other requester is granted at most once before it.
//!
//! A crossbar built `reservable` has an input `bank<b>_taken` per bank: a client outside it
//! (one whose timing cannot wait, like the compute unit's accumulate) has the bank this
//! cycle, so the crossbar grants no request there and its round-robin mask holds. The bound
//! above then counts grants, not cycles: a bank taken every cycle serves no one else.
//!
//! Banks answer a read one cycle after they take it (an SRAM's synchronous read). The
//! crossbar registers which requester each bank served and routes the bank's data back the
//! next cycle; since a requester has at most one request granted per cycle and every bank has
//! the same latency, its responses return in request order. Responses have no `ready`: a
//! requester must take the data the cycle after its grant (as from an SRAM port), and one that
//! cannot should not ask.
//!
//! The reference model is `seedchip_verif::crossbar::CrossbarModel`.

use super::bundle::{Bundle, Role};
use super::error::{ModuleError, Problem};
use super::expr::{ulit, zero, Expr, ExprOps};
use super::module::{ModuleBuilder, ModuleRef};
use super::signal::{bit, uint};
use crate::hw::clog2;

/// The crossbar's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrossbarSpec {
    /// Requesters N, 1..=32.
    pub requesters: u32,
    /// Banks M, a power of two, 1..=64.
    pub banks: u32,
    /// Bits of a requester's address (the banks' rows together); more than log2(M).
    pub addr_bits: u32,
    /// Bits of write data; 0 for a crossbar of reads only.
    pub wdata_bits: u32,
    /// Bits of read data; 0 for a crossbar of writes only.
    pub rdata_bits: u32,
    /// Banks can be taken by a client outside the crossbar (`bank<b>_taken` inputs).
    pub reservable: bool,
}

impl CrossbarSpec {
    /// Bits of the bank number: the address's low bits.
    pub fn bank_bits(&self) -> u32 {
        clog2(self.banks as u64)
    }

    /// Bits of a row inside a bank.
    pub fn row_bits(&self) -> u32 {
        self.addr_bits - self.bank_bits()
    }

    /// Requests both read and write (a `write` field says which).
    pub fn mixed(&self) -> bool {
        self.wdata_bits > 0 && self.rdata_bits > 0
    }

    /// The bank an address falls in.
    pub fn bank_of(&self, addr: u64) -> usize {
        (addr % self.banks as u64) as usize
    }

    /// The module's name: `crossbar_n<N>_m<M>_a<addr>`, `_w<wdata>`, `_r<rdata>`.
    pub fn module_name(&self) -> String {
        let mut name = format!(
            "crossbar_n{}_m{}_a{}",
            self.requesters, self.banks, self.addr_bits
        );
        if self.wdata_bits > 0 {
            name += &format!("_w{}", self.wdata_bits);
        }
        if self.rdata_bits > 0 {
            name += &format!("_r{}", self.rdata_bits);
        }
        if self.reservable {
            name += "_t";
        }
        name
    }

    /// What is wrong with the shape, if anything.
    pub fn problem(&self) -> Option<String> {
        if !(1..=32).contains(&self.requesters) {
            return Some(format!("{} requesters: allowed 1..=32", self.requesters));
        }
        if !(1..=64).contains(&self.banks) || !self.banks.is_power_of_two() {
            return Some(format!("{} banks: a power of two in 1..=64", self.banks));
        }
        if self.addr_bits <= self.bank_bits() || self.addr_bits > 48 {
            return Some(format!(
                "{}-bit addresses: more than the {} bank bits, at most 48",
                self.addr_bits,
                self.bank_bits()
            ));
        }
        if self.wdata_bits == 0 && self.rdata_bits == 0 {
            return Some("neither write nor read data: the crossbar would carry nothing".into());
        }
        None
    }
}

/// Requester `i`'s requests: `addr`, and `write` / `wdata` as the crossbar carries them.
pub fn crossbar_request(spec: &CrossbarSpec, i: u32) -> Bundle {
    let mut b = Bundle::stream(&format!("req{i}")).field("addr", uint(spec.addr_bits));
    if spec.mixed() {
        b = b.field("write", bit());
    }
    if spec.wdata_bits > 0 {
        b = b.field("wdata", uint(spec.wdata_bits));
    }
    b
}

/// Requester `i`'s read responses (crossbars that read): `valid` the cycle after the grant.
pub fn crossbar_response(spec: &CrossbarSpec, i: u32) -> Bundle {
    Bundle::plain(&format!("resp{i}"))
        .field("valid", bit())
        .field("rdata", uint(spec.rdata_bits))
}

/// Bank `b`'s port: `en` (a request this cycle), `we` for a write, `addr` the row in the
/// bank, `wdata`. Its read data comes back on the input `bank<b>_rdata` a cycle later.
pub fn crossbar_bank(spec: &CrossbarSpec, b: u32) -> Bundle {
    let mut bank = Bundle::plain(&format!("bank{b}")).field("en", bit());
    if spec.mixed() {
        bank = bank.field("we", bit());
    }
    bank = bank.field("addr", uint(spec.row_bits()));
    if spec.wdata_bits > 0 {
        bank = bank.field("wdata", uint(spec.wdata_bits));
    }
    bank
}

/// The input carrying bank `b`'s read data.
pub fn bank_rdata_port(b: u32) -> String {
    format!("bank{b}_rdata")
}

/// The input saying bank `b` is taken this cycle (reservable crossbars).
pub fn bank_taken_port(b: u32) -> String {
    format!("bank{b}_taken")
}

/// Build the crossbar. Named [`CrossbarSpec::module_name`].
pub fn crossbar(spec: &CrossbarSpec) -> Result<ModuleRef, ModuleError> {
    let name = spec.module_name();
    if let Some(reason) = spec.problem() {
        return Err(ModuleError {
            module: name,
            problems: vec![Problem::BadParameters { reason }],
        });
    }
    let (n, nb) = (spec.requesters, spec.banks);
    let mut m = ModuleBuilder::new(name);
    m.doc(&format!(
        "Crossbar: {n} requesters x {nb} banks, round-robin per bank (at most {} grants to others \
         while a request waits), addresses interleaved on their low bits, read data a cycle after \
         the grant.",
        n - 1
    ));
    m.unit("interconnect: crossbar");
    let reqs: Vec<_> = (0..n)
        .map(|i| m.io(&crossbar_request(spec, i), Role::Sink))
        .collect();
    let resps: Vec<_> = (0..n)
        .filter(|_| spec.rdata_bits > 0)
        .map(|i| m.io(&crossbar_response(spec, i), Role::Source))
        .collect();
    let banks: Vec<_> = (0..nb)
        .map(|b| m.io(&crossbar_bank(spec, b), Role::Source))
        .collect();
    let rdata: Vec<_> = (0..nb)
        .filter(|_| spec.rdata_bits > 0)
        .map(|b| m.input(&bank_rdata_port(b), uint(spec.rdata_bits)))
        .collect();
    let taken: Vec<_> = (0..nb)
        .filter(|_| spec.reservable)
        .map(|b| m.input(&bank_taken_port(b), bit()))
        .collect();

    let bank_bits = spec.bank_bits();
    let asks_bank = |i: usize, b: u32| -> Expr {
        let mut valid: Expr = reqs[i].valid().into();
        if let Some(t) = taken.get(b as usize) {
            valid = valid & !*t;
        }
        if nb == 1 {
            valid
        } else {
            valid
                & reqs[i]
                    .field("addr")
                    .slice(bank_bits - 1, 0)
                    .eq_lit(b as i64)
        }
    };
    // Per bank: the grant, the bank port, the round-robin mask.
    let mut grants: Vec<Expr> = Vec::new();
    for (b, port) in banks.iter().enumerate() {
        let asks = m.wire_of(
            &format!("asks{b}"),
            super::idioms::from_lanes((0..n as usize).map(|i| asks_bank(i, b as u32))),
        );
        let any = asks.reduce_or();
        let grant = m.round_robin(&format!("bank{b}"), asks, any.clone());
        // The granted request's fields (one-hot select: an AND-OR of the requesters').
        let chosen = |field: &str| -> Expr {
            (0..n as usize)
                .map(|i| {
                    let f: Expr = reqs[i].field(field).into();
                    let w = f.width();
                    grant.bit(i as u32).repeat(w) & f
                })
                .reduce(|x, y| x | y)
                .expect("one requester at least")
        };
        m.assign(port.field("en"), any);
        if spec.mixed() {
            m.assign(port.field("we"), chosen("write"));
        }
        m.assign(
            port.field("addr"),
            chosen("addr").slice(spec.addr_bits - 1, bank_bits),
        );
        if spec.wdata_bits > 0 {
            m.assign(port.field("wdata"), chosen("wdata"));
        }
        grants.push(grant.into());
    }
    for (i, req) in reqs.iter().enumerate() {
        let granted = grants
            .iter()
            .map(|g| g.bit(i as u32))
            .reduce(|x, y| x | y)
            .expect("one bank at least");
        m.assign(req.ready(), granted);
    }
    // Responses: whom each bank read for last cycle.
    if spec.rdata_bits > 0 {
        let served: Vec<Expr> = grants
            .iter()
            .enumerate()
            .map(|(b, g)| {
                let read = if spec.mixed() {
                    !banks[b].field("we")
                } else {
                    ulit(1, 1)
                };
                let r = m.reg(&format!("served{b}"), uint(n), 0);
                m.comment(r, "the requester this bank read for (one-hot), or none");
                m.next(r, g.clone() & read.repeat(n));
                r.into()
            })
            .collect();
        for (i, resp) in resps.iter().enumerate() {
            let mine: Vec<Expr> = served.iter().map(|s| s.bit(i as u32)).collect();
            let valid = mine.iter().cloned().reduce(|x, y| x | y).expect("a bank");
            let data = mine
                .iter()
                .zip(&rdata)
                .map(|(hit, d)| hit.repeat(spec.rdata_bits) & Expr::from(*d))
                .reduce(|x, y| x | y)
                .unwrap_or_else(|| zero(uint(spec.rdata_bits)));
            m.assign(resp.field("valid"), valid);
            m.assign(resp.field("rdata"), data);
        }
    }
    m.finish()
}
