//! A 2D-mesh router: five ports (local, north, east, south, west), wormhole switching,
//! dimension-order (XY) routing with lookahead, a queue per output at each input, credit-based
//! flow control.
//!
//! ```text
//!  <dir>_in (flit + its route here) -->[one queue per output the route allows, D flits each]
//!       lookahead: the route the flit takes at the next router, kept with it   |
//!  <dir>_in_credit <-- a credit per queue each time a flit leaves it            v
//!              per output: [wormhole lock | round-robin among the inputs' queues for it,
//!                           a credit for the flit's queue downstream]
//!  <dir>_out (flit + its route at the next router, registered) <---------------+
//!  <dir>_out_credit --> one credit counter per downstream queue (D after reset)
//! ```
//!
//! A packet is a head flit, body flits and a tail flit (one flit is both head and tail). The
//! head flit's `data` carries the destination in its low bits: x in `[xb-1:0]`, y in
//! `[xb+yb-1:xb]`. XY routing sends a head flit east or west until x matches, then north
//! (y - 1) or south (y + 1) until y matches, then to the local port ([`xy_route`]).
//!
//! Why a queue per output: with one queue per input, a head flit waiting for a busy output
//! blocks the flits behind it that want idle ones (head-of-line blocking; such a 4x4 mesh
//! saturates near half its throughput limit under uniform traffic). Here each input keeps a
//! queue for each output XY lets a flit arriving there take (5 at the local input, 4 on an x
//! link, 2 on a y link: a flit moving in y never turns back to x), so an input can send to
//! several outputs in one cycle and no flit waits behind another that wants a different
//! output. The router upstream knows which queue a flit enters (it computes the flit's route
//! at this router before sending it: lookahead routing), so it keeps a credit counter per
//! queue. Every flit of a packet enters the same queue at each hop, so a packet stays whole
//! and packets from one source to one destination (one XY path, one queue a hop) stay in
//! order.
//!
//! An output, once a head flit takes it, belongs to that input until the tail flit passes
//! (wormhole), so packets never interleave on a link. Among head flits waiting for a free
//! output, a round-robin arbiter chooses (at most four others go first). An output sends
//! only with a credit for the flit's queue downstream; each queue returns a credit
//! (registered) when a flit leaves it, so no queue overflows and no flit is dropped. A queue
//! passes a flit a cycle when its depth covers the credit loop (send, enqueue, leave, credit
//! back: 3 cycles; depth 4 by default).
//!
//! Deadlock freedom (`docs/interconnect.md`): XY routing never turns from the y dimension back
//! to x, so the dependency graph of the queues of one mesh has no cycle (Dally and Seitz);
//! requests and responses travel on two separate meshes, and an endpoint always drains the
//! responses it asked for, so no request waits on a response that waits on it.

use crate::hw::*;

/// The router's ports; a port's index is also its route code.
pub const PORTS: [&str; 5] = ["local", "north", "east", "south", "west"];
pub const LOCAL: usize = 0;
pub const NORTH: usize = 1;
pub const EAST: usize = 2;
pub const SOUTH: usize = 3;
pub const WEST: usize = 4;
/// Bits of a route code.
pub const ROUTE_BITS: u32 = 3;

/// The router's shape: flit payload width, queue depth, coordinate widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouterSpec {
    /// Bits of a flit's payload (`data`).
    pub flit_bits: u32,
    /// Flits each queue holds (the credits an output starts with per downstream queue).
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

/// The outputs a flit arriving on input `input` may take under XY routing: the queues that
/// input has, in route-code order.
pub fn queues_of(input: usize) -> Vec<usize> {
    match input {
        LOCAL => vec![LOCAL, NORTH, EAST, SOUTH, WEST],
        // Arrived from the west neighbour, moving east (and likewise from the east).
        WEST => vec![LOCAL, NORTH, EAST, SOUTH],
        EAST => vec![LOCAL, NORTH, SOUTH, WEST],
        // Arrived moving in y: it keeps going or leaves.
        NORTH => vec![LOCAL, SOUTH],
        SOUTH => vec![LOCAL, NORTH],
        _ => unreachable!("five ports"),
    }
}

/// The queues downstream of output `output`: the neighbour's facing input's, or the one
/// ejection queue for the local output.
pub fn downstream_queues(output: usize) -> Vec<usize> {
    match output {
        LOCAL => vec![LOCAL],
        o => queues_of(opposite(o)),
    }
}

/// The port facing back: a flit leaving east arrives on the neighbour's west input.
pub fn opposite(port: usize) -> usize {
    match port {
        NORTH => SOUTH,
        SOUTH => NORTH,
        EAST => WEST,
        WEST => EAST,
        _ => LOCAL,
    }
}

/// A flit on a link: `valid`, `head`, `tail`, `data`, and (`routed`) the flit's route code
/// at the router that receives it.
pub fn flit(name: &str, flit_bits: u32, routed: bool) -> Bundle {
    let b = Bundle::plain(name)
        .field("valid", bit())
        .field("head", bit())
        .field("tail", bit())
        .field("data", uint(flit_bits));
    if routed {
        b.field("route", uint(ROUTE_BITS))
    } else {
        b
    }
}

/// Port `dir`'s incoming flits (`<dir>_in`, with their route here).
pub fn flit_in(port: usize, flit_bits: u32) -> Bundle {
    flit(&format!("{}_in", PORTS[port]), flit_bits, true)
}

/// Port `dir`'s outgoing flits (`<dir>_out`, with their route at the next router; the local
/// output's flits leave the mesh and carry none).
pub fn flit_out(port: usize, flit_bits: u32) -> Bundle {
    flit(&format!("{}_out", PORTS[port]), flit_bits, port != LOCAL)
}

/// The credits a router returns for its input `port`, a bit per queue (output of the router).
pub fn in_credit_port(port: usize) -> String {
    format!("{}_in_credit", PORTS[port])
}

/// The credits a router receives for its output `port`, a bit per downstream queue.
pub fn out_credit_port(port: usize) -> String {
    format!("{}_out_credit", PORTS[port])
}

/// The XY route code of a head flit whose `data` names its destination, at (`here_x`,
/// `here_y`): east or west until x matches, then north or south, then local.
pub fn xy_route(data: &Expr, x_bits: u32, y_bits: u32, here_x: &Expr, here_y: &Expr) -> Expr {
    let dx = data.slice(x_bits - 1, 0);
    let dy = data.slice(x_bits + y_bits - 1, x_bits);
    let code = |c: usize| ulit(ROUTE_BITS, c as u64);
    mux(
        dx.clone().gt(here_x.clone()),
        code(EAST),
        mux(
            dx.lt(here_x.clone()),
            code(WEST),
            mux(
                dy.clone().gt(here_y.clone()),
                code(SOUTH),
                mux(dy.lt(here_y.clone()), code(NORTH), code(LOCAL)),
            ),
        ),
    )
}

/// The coordinates of the neighbour through `port` (wrapping arithmetic: only used for ports
/// that have a neighbour).
fn next_hop(port: usize, x: &Expr, y: &Expr) -> (Expr, Expr) {
    let (x, y) = (x.clone(), y.clone());
    match port {
        NORTH => (x, y.dec()),
        SOUTH => (x, y.inc()),
        EAST => (x.inc(), y),
        WEST => (x.dec(), y),
        _ => (x, y),
    }
}

/// One queue of an input: the flits for one output.
struct Queue {
    input: usize,
    valid: Expr,
    head: Expr,
    tail: Expr,
    data: Expr,
    /// The flit's route at the next router (meaningful for head flits; none for the local
    /// output, whose flits leave the mesh).
    next: Option<Expr>,
    deq: Sig,
}

/// Build the router. Named [`RouterSpec::module_name`].
pub fn router(spec: &RouterSpec) -> Result<ModuleRef, ModuleError> {
    let w = spec.flit_bits;
    let depth = spec.depth;
    let mut m = ModuleBuilder::new(spec.module_name());
    m.doc(&format!(
        "Mesh router: 5 ports, {w}-bit flits, a {depth}-flit queue per output at each input, XY lookahead routing, wormhole, credits."
    ));
    m.unit("interconnect: router");
    let here_x: Expr = m.input("here_x", uint(spec.x_bits)).into();
    let here_y: Expr = m.input("here_y", uint(spec.y_bits)).into();
    let ins: Vec<BundleIo> = (0..5).map(|p| m.io(&flit_in(p, w), Role::Sink)).collect();
    let outs: Vec<BundleIo> = (0..5)
        .map(|o| m.io(&flit_out(o, w), Role::Source))
        .collect();
    let in_credits: Vec<Sig> = (0..5)
        .map(|p| m.output(&in_credit_port(p), uint(queues_of(p).len() as u32)))
        .collect();
    let out_credits: Vec<Sig> = (0..5)
        .map(|o| m.input(&out_credit_port(o), uint(downstream_queues(o).len() as u32)))
        .collect();

    // --- inputs: a queue per output, the lookahead route stored with each flit -------------
    // queues[o]: the queues holding flits for output o, one per input that has one.
    let mut queues: Vec<Vec<Queue>> = (0..5).map(|_| Vec::new()).collect();
    for (p, input) in ins.iter().enumerate() {
        let dir = PORTS[p];
        let route_here = input.field("route");
        let data: Expr = input.field("data").into();
        let mut credits = Vec::new();
        for o in queues_of(p) {
            let (nx, ny) = next_hop(o, &here_x, &here_y);
            let next_bits = if o == LOCAL { 0 } else { ROUTE_BITS };
            let q = m.fifo(&format!("{dir}_q{}", PORTS[o]), depth, w + 2 + next_bits)?;
            m.wire_of(&format!("{dir}_q{}_room_unused", PORTS[o]), q.enq_ready);
            m.assign(
                q.enq_valid,
                input.field("valid") & route_here.eq_lit(o as i64),
            );
            let mut entry = vec![
                Expr::from(input.field("head")),
                input.field("tail").into(),
                data.clone(),
            ];
            if o != LOCAL {
                entry.push(xy_route(&data, spec.x_bits, spec.y_bits, &nx, &ny));
            }
            m.assign(q.enq_data, cat(entry));
            let front = Expr::from(q.deq_data);
            let deq = m.wire(&format!("{dir}_q{}_deq", PORTS[o]), bit());
            m.assign(q.deq_ready, deq);
            let credit = m.reg(&format!("{dir}_q{}_credit", PORTS[o]), bit(), 0);
            m.next(credit, deq);
            credits.push(Expr::from(credit));
            let nb = next_bits;
            queues[o].push(Queue {
                input: p,
                valid: q.deq_valid.into(),
                head: front.bit(w + 1 + nb),
                tail: front.bit(w + nb),
                data: front.slice(w + nb - 1, nb),
                next: (o != LOCAL).then(|| front.slice(ROUTE_BITS - 1, 0)),
                deq,
            });
        }
        m.assign(in_credits[p], from_lanes(credits));
    }

    // --- outputs: lock, credits per downstream queue, arbitration, the link register --------
    let credit_bits = clog2(depth as u64 + 1);
    for (o, out) in outs.iter().enumerate() {
        let dir = PORTS[o];
        let cands = &queues[o];
        let down = downstream_queues(o);
        let credits: Vec<Sig> = down
            .iter()
            .map(|r| {
                let c = m.reg(
                    &format!("{dir}_credits_{}", PORTS[*r]),
                    uint(credit_bits),
                    depth as i64,
                );
                m.comment(c, "free slots in that queue downstream");
                c
            })
            .collect();
        let locked = m.reg(&format!("{dir}_locked"), bit(), 0);
        let owner = m.data_reg(&format!("{dir}_owner"), uint(cands.len() as u32));
        m.comment(
            owner,
            "the queue whose packet holds this output (one-hot), while locked",
        );
        // The locked packet's route at the next router (outputs to a neighbour).
        let lock_next = (o != LOCAL).then(|| {
            let r = m.data_reg(&format!("{dir}_lock_next"), uint(ROUTE_BITS));
            m.comment(r, "the locked packet's route at the next router");
            r
        });
        // A credit for the flit's queue downstream (the local output has one queue).
        let has_credit = |route: &Option<Expr>| -> Expr {
            match route {
                None => credits[0].ne_lit(0),
                Some(route) => down
                    .iter()
                    .zip(&credits)
                    .map(|(r, c)| route.eq_lit(*r as i64) & c.ne_lit(0))
                    .reduce(|a, b| a | b)
                    .expect("a downstream queue"),
            }
        };
        let lock_room = has_credit(&lock_next.map(Expr::from));
        let asks = from_lanes(cands.iter().enumerate().map(|(k, q)| {
            let can = mux(
                locked,
                owner.bit(k as u32) & lock_room.clone(),
                q.head.clone() & has_credit(&q.next),
            );
            q.valid.clone() & can
        }));
        let asks = m.wire_of(&format!("{dir}_asks"), asks);
        let send = m.wire_of(&format!("{dir}_send"), asks.reduce_or());
        let grant = m.round_robin(dir, asks, send);
        let pick = |f: &dyn Fn(&Queue) -> Expr| -> Expr {
            cands
                .iter()
                .enumerate()
                .map(|(k, q)| {
                    let v = f(q);
                    grant.bit(k as u32).repeat(v.width()) & v
                })
                .reduce(|a, b| a | b)
                .expect("an input has a queue for every output")
        };
        let (head, tail) = (pick(&|q| q.head.clone()), pick(&|q| q.tail.clone()));
        let route_next = lock_next.map(|lock_next| {
            m.wire_of(
                &format!("{dir}_route_next"),
                mux(
                    locked,
                    Expr::from(lock_next),
                    pick(&|q| q.next.clone().expect("a queue to a neighbour")),
                ),
            )
        });
        let out_valid = m.reg(&format!("{dir}_out_valid_q"), bit(), 0);
        m.next(out_valid, send);
        m.assign(out.field("valid"), out_valid);
        let mut fields = vec![
            ("head", head.clone()),
            ("tail", tail.clone()),
            ("data", pick(&|q| q.data.clone())),
        ];
        if let Some(r) = route_next {
            fields.push(("route", r.into()));
        }
        for (field, value) in fields {
            let q = m.data_reg(&format!("{dir}_out_{field}_q"), value.ty());
            m.next_en(q, send, value);
            m.assign(out.field(field), q);
        }
        m.seq(|s| {
            s.when(send & head & !tail.clone(), |s| {
                s.set(locked, ulit(1, 1));
                s.set(owner, grant);
                if let (Some(l), Some(r)) = (lock_next, route_next) {
                    s.set(l, r);
                }
            });
            s.when(send & tail, |s| s.set(locked, ulit(1, 0)));
        });
        for (i, (r, c)) in down.iter().zip(&credits).enumerate() {
            let used = match route_next {
                None => Expr::from(send),
                Some(route) => send & route.eq_lit(*r as i64),
            };
            m.next(
                *c,
                c.sub_wrap(used.zext(credit_bits))
                    .add_wrap(out_credits[o].bit(i as u32).zext(credit_bits)),
            );
        }
        for (k, q) in cands.iter().enumerate() {
            debug_assert!(queues_of(q.input).contains(&o));
            m.assign(q.deq, grant.bit(k as u32));
        }
    }
    m.finish()
}
