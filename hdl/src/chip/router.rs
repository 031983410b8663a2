//! A 2D-mesh router: five ports (local, north, east, south, west), wormhole switching,
//! dimension-order (XY) routing, credit-based flow control.
//!
//! ```text
//!  <dir>_in (flit) --->[input buffer, D flits]--[route: XY on the head flit]--+
//!  <dir>_in_credit <-- a credit each time a flit leaves the buffer            |
//!                                                                             v
//!              per output: [wormhole lock | round-robin among head flits, credits > 0]
//!                                                                             |
//!  <dir>_out (flit, registered) <---------------------------------------------+
//!  <dir>_out_credit --> the output's credit counter (D after reset)
//! ```
//!
//! A packet is a head flit, body flits and a tail flit (one flit is both head and tail). The
//! head flit's `data` carries the destination in its low bits: x in `[xb-1:0]`, y in
//! `[xb+yb-1:xb]`. The router sends a head flit east or west until x matches, then north
//! (y - 1) or south (y + 1) until y matches, then to the local port. An output, once a head
//! flit takes it, belongs to that input until the tail flit passes (wormhole), so packets
//! never interleave on a link. Among head flits waiting for a free output, a round-robin
//! arbiter chooses (at most four others go first).
//!
//! Flow control: an output sends only with a credit, one per free flit slot of the
//! downstream input buffer; the downstream router returns a credit (registered) each time a
//! flit leaves that buffer, so no buffer overflows and no flit is dropped. A link carries one
//! flit a cycle when the buffer depth covers the credit loop (send, buffer, leave, credit
//! back: 3 cycles; depth 4 by default).
//!
//! Deadlock freedom (the argument `docs/interconnect.md` spells out): XY routing never turns
//! from the y dimension back to x, so the channel dependency graph of one mesh has no cycle
//! (Dally and Seitz); requests and responses travel on two separate meshes, and an endpoint
//! always drains the responses it asked for, so no request waits on a response that waits on
//! it.

use crate::hw::*;

/// The router's ports, in the order of their one-hot route bits.
pub const PORTS: [&str; 5] = ["local", "north", "east", "south", "west"];
/// Route bits.
const LOCAL: usize = 0;
const NORTH: usize = 1;
const EAST: usize = 2;
const SOUTH: usize = 3;
const WEST: usize = 4;

/// The router's shape: flit payload width, input buffer depth, coordinate widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouterSpec {
    /// Bits of a flit's payload (`data`).
    pub flit_bits: u32,
    /// Flits each input buffer holds (the credits an output starts with).
    pub depth: u32,
    /// Bits of an x (y) coordinate: log2 of the mesh's columns (rows), at least 1.
    pub x_bits: u32,
    pub y_bits: u32,
}

impl RouterSpec {
    /// Named `router_w<flit>_d<depth>_x<xb>_y<yb>`.
    pub fn module_name(&self) -> String {
        format!(
            "router_w{}_d{}_x{}_y{}",
            self.flit_bits, self.depth, self.x_bits, self.y_bits
        )
    }
}

/// A flit on a link: `valid`, `head`, `tail`, `data`.
pub fn flit(name: &str, flit_bits: u32) -> Bundle {
    Bundle::plain(name)
        .field("valid", bit())
        .field("head", bit())
        .field("tail", bit())
        .field("data", uint(flit_bits))
}

/// Port `dir`'s incoming flits (`<dir>_in`) and outgoing flits (`<dir>_out`).
pub fn flit_in(dir: &str, flit_bits: u32) -> Bundle {
    flit(&format!("{dir}_in"), flit_bits)
}

pub fn flit_out(dir: &str, flit_bits: u32) -> Bundle {
    flit(&format!("{dir}_out"), flit_bits)
}

/// The credit a router returns for its input `dir` (output of the router).
pub fn in_credit_port(dir: &str) -> String {
    format!("{dir}_in_credit")
}

/// The credit a router receives for its output `dir` (input of the router).
pub fn out_credit_port(dir: &str) -> String {
    format!("{dir}_out_credit")
}

/// One input port inside the router.
struct Input {
    valid: Expr,
    head: Expr,
    tail: Expr,
    flit: Expr,
    /// One-hot: the output the front flit goes to (zero when the buffer is empty).
    want: Sig,
    /// The buffer's head leaves this cycle.
    deq: Sig,
}

/// The one-hot XY route of a head flit at (`here_x`, `here_y`).
fn xy_route(data: &Expr, spec: &RouterSpec, here_x: &Expr, here_y: &Expr) -> Expr {
    let (xb, yb) = (spec.x_bits, spec.y_bits);
    let dx = data.slice(xb - 1, 0);
    let dy = data.slice(xb + yb - 1, xb);
    let east = dx.clone().gt(here_x.clone());
    let west = dx.lt(here_x.clone());
    let x_done = !east.clone() & !west.clone();
    let south = x_done.clone() & dy.clone().gt(here_y.clone());
    let north = x_done.clone() & dy.lt(here_y.clone());
    let local = x_done & !south.clone() & !north.clone();
    let mut bits = vec![local, north, east, south, west];
    debug_assert_eq!(
        [LOCAL, NORTH, EAST, SOUTH, WEST],
        [0, 1, 2, 3, 4],
        "bit order"
    );
    bits.reverse();
    cat(bits)
}

/// Build the router. Named [`RouterSpec::module_name`].
pub fn router(spec: &RouterSpec) -> Result<ModuleRef, ModuleError> {
    let w = spec.flit_bits;
    let depth = spec.depth;
    let mut m = ModuleBuilder::new(spec.module_name());
    m.doc(&format!(
        "Mesh router: 5 ports, {w}-bit flits, {depth}-flit input buffers, XY routing, wormhole, credits."
    ));
    m.unit("interconnect: router");
    let here_x: Expr = m.input("here_x", uint(spec.x_bits)).into();
    let here_y: Expr = m.input("here_y", uint(spec.y_bits)).into();
    let ins: Vec<BundleIo> = PORTS
        .iter()
        .map(|d| m.io(&flit_in(d, w), Role::Sink))
        .collect();
    let outs: Vec<BundleIo> = PORTS
        .iter()
        .map(|d| m.io(&flit_out(d, w), Role::Source))
        .collect();
    let in_credits: Vec<Sig> = PORTS
        .iter()
        .map(|d| m.output(&in_credit_port(d), bit()))
        .collect();
    let out_credits: Vec<Sig> = PORTS
        .iter()
        .map(|d| m.input(&out_credit_port(d), bit()))
        .collect();

    // --- inputs: buffer, route --------------------------------------------------------------
    let mut inputs = Vec::new();
    for (p, dir) in PORTS.iter().enumerate() {
        let buf = m.fifo(&format!("{dir}_buf"), depth, w + 2)?;
        m.wire_of(&format!("{dir}_buf_room_unused"), buf.enq_ready);
        m.assign(buf.enq_valid, ins[p].field("valid"));
        m.assign(
            buf.enq_data,
            cat([
                Expr::from(ins[p].field("head")),
                ins[p].field("tail").into(),
                ins[p].field("data").into(),
            ]),
        );
        let front = Expr::from(buf.deq_data);
        let (head, tail) = (front.bit(w + 1), front.bit(w));
        let route = m.data_reg(&format!("{dir}_route"), uint(5));
        m.comment(
            route,
            "the output the packet passing through this input takes",
        );
        let xy = xy_route(&front.slice(w - 1, 0), spec, &here_x, &here_y);
        let want = m.wire_of(
            &format!("{dir}_want"),
            mux(
                buf.deq_valid,
                mux(head.clone(), xy.clone(), Expr::from(route)),
                zero(uint(5)),
            ),
        );
        let deq = m.wire(&format!("{dir}_deq"), bit());
        m.assign(buf.deq_ready, deq);
        m.next_en(route, Expr::from(deq) & head.clone(), xy);
        // A credit back upstream for each flit that leaves.
        let credit = m.reg(&format!("{dir}_credit"), bit(), 0);
        m.next(credit, deq);
        m.assign(in_credits[p], credit);
        inputs.push(Input {
            valid: buf.deq_valid.into(),
            head,
            tail,
            flit: front,
            want,
            deq,
        });
    }

    // --- outputs: lock, arbitration, credits, the link register -----------------------------
    let credit_bits = clog2(depth as u64 + 1);
    let mut grants: Vec<Expr> = Vec::new();
    for (o, dir) in PORTS.iter().enumerate() {
        let credits = m.reg(&format!("{dir}_credits"), uint(credit_bits), depth as i64);
        m.comment(credits, "free flit slots in the downstream input buffer");
        let locked = m.reg(&format!("{dir}_locked"), bit(), 0);
        let owner = m.data_reg(&format!("{dir}_owner"), uint(5));
        m.comment(
            owner,
            "the input whose packet holds this output (one-hot), while locked",
        );
        let room = credits.ne_lit(0);
        let asks = from_lanes(inputs.iter().enumerate().map(|(p, i)| {
            let claim = mux(locked, owner.bit(p as u32), i.head.clone());
            i.valid.clone() & i.want.bit(o as u32) & claim & room.clone()
        }));
        let asks = m.wire_of(&format!("{dir}_asks"), asks);
        let send = m.wire_of(&format!("{dir}_send"), asks.reduce_or());
        let grant = m.round_robin(dir, asks, send);
        let pick = |f: &dyn Fn(&Input) -> Expr| -> Expr {
            inputs
                .iter()
                .enumerate()
                .map(|(p, i)| {
                    let v = f(i);
                    grant.bit(p as u32).repeat(v.width()) & v
                })
                .reduce(|a, b| a | b)
                .expect("five inputs")
        };
        let (head, tail) = (pick(&|i| i.head.clone()), pick(&|i| i.tail.clone()));
        let out = &outs[o];
        let out_valid = m.reg(&format!("{dir}_out_valid_q"), bit(), 0);
        m.next(out_valid, send);
        m.assign(out.field("valid"), out_valid);
        for (field, value) in [
            ("head", head.clone()),
            ("tail", tail.clone()),
            ("data", pick(&|i| i.flit.slice(w - 1, 0))),
        ] {
            let q = m.data_reg(&format!("{dir}_out_{field}_q"), value.ty());
            m.next_en(q, send, value);
            m.assign(out.field(field), q);
        }
        m.seq(|s| {
            s.when(send & head & !tail.clone(), |s| {
                s.set(locked, ulit(1, 1));
                s.set(owner, grant);
            });
            s.when(send & tail, |s| s.set(locked, ulit(1, 0)));
        });
        m.next(
            credits,
            credits
                .sub_wrap(send.zext(credit_bits))
                .add_wrap(out_credits[o].zext(credit_bits)),
        );
        grants.push(grant.into());
    }
    for (p, i) in inputs.iter().enumerate() {
        let taken = grants
            .iter()
            .map(|g| g.bit(p as u32))
            .reduce(|a, b| a | b)
            .expect("five outputs");
        m.assign(i.deq, taken);
    }
    m.finish()
}
