//! A 2D mesh of routers: X x Y nodes, each with an injection and an ejection stream.
//!
//! ```text
//!   node (0,0) -- (1,0) -- ... -- (X-1,0)        node n = y * X + x; north is y - 1
//!      |           |                 |
//!   node (0,1) -- (1,1) -- ...                   each link: flits one way, credits back
//!      ...
//!  inject<n> (valid/ready) ->[credits for the router's local buffer]-> router local in
//!  eject<n>  (valid/ready) <-[D-flit buffer, a credit per flit taken]<- router local out
//! ```
//!
//! The routers ([`super::router`]) do the work; the mesh wires neighbours together, ties off
//! the edges (no flit enters there, and XY routing never sends one out of the mesh when
//! destinations lie inside it) and adapts the local ports to valid/ready streams: `inject`
//! is ready while the router's local buffer has a free slot, and `eject` drains a buffer the
//! router fills under credit, so a node that stops taking flits holds them in the mesh (no
//! loss) without blocking traffic that does not go to it beyond the links it shares.

use super::router::{
    downstream_queues, flit_in, flit_out, in_credit_port, opposite, out_credit_port, queues_of,
    router, RouterSpec, LOCAL, PORTS,
};
use crate::hw::*;

/// The mesh's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeshSpec {
    /// Columns X and rows Y of nodes, 1..=16 each.
    pub x: u32,
    pub y: u32,
    /// Bits of a flit's payload; the head flit's low bits hold the destination (x, then y).
    pub flit_bits: u32,
    /// Flits each router input buffer (and each ejection buffer) holds, 2..=16.
    pub depth: u32,
}

impl MeshSpec {
    /// Nodes X * Y.
    pub fn nodes(&self) -> u32 {
        self.x * self.y
    }

    /// The routers' shape.
    pub fn router(&self) -> RouterSpec {
        RouterSpec {
            flit_bits: self.flit_bits,
            depth: self.depth,
            x_bits: clog2(self.x as u64).max(1),
            y_bits: clog2(self.y as u64).max(1),
        }
    }

    /// Named `mesh_<X>x<Y>_w<flit>_d<depth>`.
    pub fn module_name(&self) -> String {
        format!(
            "mesh_{}x{}_w{}_d{}",
            self.x, self.y, self.flit_bits, self.depth
        )
    }

    /// What is wrong with the shape, if anything.
    pub fn problem(&self) -> Option<String> {
        let r = self.router();
        if !(1..=16).contains(&self.x) || !(1..=16).contains(&self.y) {
            return Some(format!("{}x{} nodes: 1..=16 each way", self.x, self.y));
        }
        if !(2..=16).contains(&self.depth) {
            return Some(format!("buffers of {} flits: 2..=16", self.depth));
        }
        if self.flit_bits < r.x_bits + r.y_bits || self.flit_bits > 1024 {
            return Some(format!(
                "{}-bit flits: at least the {} destination bits, at most 1024",
                self.flit_bits,
                r.x_bits + r.y_bits
            ));
        }
        None
    }
}

/// Node `n`'s injection stream: `head`, `tail`, `data`.
pub fn inject(n: u32, flit_bits: u32) -> Bundle {
    Bundle::stream(&format!("inject{n}"))
        .field("head", bit())
        .field("tail", bit())
        .field("data", uint(flit_bits))
}

/// Node `n`'s ejection stream.
pub fn eject(n: u32, flit_bits: u32) -> Bundle {
    Bundle::stream(&format!("eject{n}"))
        .field("head", bit())
        .field("tail", bit())
        .field("data", uint(flit_bits))
}

/// The neighbour of (x, y) through port `port`, inside an X x Y mesh.
fn neighbour(spec: &MeshSpec, x: u32, y: u32, port: usize) -> Option<(u32, u32)> {
    match PORTS[port] {
        "north" if y > 0 => Some((x, y - 1)),
        "south" if y + 1 < spec.y => Some((x, y + 1)),
        "west" if x > 0 => Some((x - 1, y)),
        "east" if x + 1 < spec.x => Some((x + 1, y)),
        _ => None,
    }
}

/// A router port's wires inside the mesh.
struct Port {
    flits_in: BundleIo,
    flits_out: BundleIo,
    /// The router's credits for its input's queues (flow out of the router).
    credit_back: Sig,
    /// The credits for the router's output (flow into it).
    credit_in: Sig,
}

/// Build the mesh. Named [`MeshSpec::module_name`].
pub fn mesh(spec: &MeshSpec) -> Result<ModuleRef, ModuleError> {
    let name = spec.module_name();
    if let Some(reason) = spec.problem() {
        return Err(ModuleError {
            module: name,
            problems: vec![Problem::BadParameters { reason }],
        });
    }
    let rs = spec.router();
    let r = router(&rs)?;
    let w = spec.flit_bits;
    let mut m = ModuleBuilder::new(name);
    m.doc(&format!(
        "{}x{} mesh of routers, {w}-bit flits, {}-flit queues, XY routing, credit flow control.",
        spec.x, spec.y, spec.depth
    ));
    m.unit("interconnect: mesh");
    let injects: Vec<BundleIo> = (0..spec.nodes())
        .map(|n| m.io(&inject(n, w), Role::Sink))
        .collect();
    let ejects: Vec<BundleIo> = (0..spec.nodes())
        .map(|n| m.io(&eject(n, w), Role::Source))
        .collect();

    // Every router, its linked ports as wires of the mesh; edge ports left open / tied off.
    let mut ports: Vec<Vec<Option<Port>>> = Vec::new();
    for n in 0..spec.nodes() {
        let (x, y) = (n % spec.x, n / spec.x);
        let name = format!("r{x}_{y}");
        let credit_in: Vec<Option<Sig>> = (0..5)
            .map(|p| {
                let linked = p == LOCAL || neighbour(spec, x, y, p).is_some();
                let width = downstream_queues(p).len() as u32;
                linked.then(|| m.wire(&format!("{name}_{}_credit_in", PORTS[p]), uint(width)))
            })
            .collect();
        let mut inst = m.instance(&name, &r);
        inst.con("here_x", ulit(rs.x_bits, x as u64));
        inst.con("here_y", ulit(rs.y_bits, y as u64));
        let mut node = Vec::new();
        for (p, credit_in) in credit_in.into_iter().enumerate() {
            let Some(credit_in) = credit_in else {
                inst.open_io(&flit_in(p, w)).open_io(&flit_out(p, w));
                inst.open(in_credit_port(p));
                let width = downstream_queues(p).len() as u32;
                inst.con(out_credit_port(p), zero(uint(width)));
                node.push(None);
                continue;
            };
            let flits_in = inst.io(&flit_in(p, w));
            let flits_out = inst.io(&flit_out(p, w));
            let credit_back = inst.out(in_credit_port(p));
            inst.con(out_credit_port(p), credit_in);
            node.push(Some(Port {
                flits_in,
                flits_out,
                credit_back,
                credit_in,
            }));
        }
        ports.push(node);
    }
    for n in 0..spec.nodes() {
        let (x, y) = (n % spec.x, n / spec.x);
        for p in 1..5 {
            let Some(here) = &ports[n as usize][p] else {
                continue;
            };
            let (nx, ny) = neighbour(spec, x, y, p).expect("a linked port");
            let there = ports[(ny * spec.x + nx) as usize][opposite(p)]
                .as_ref()
                .expect("the neighbour's facing port");
            for f in ["valid", "head", "tail", "data", "route"] {
                m.assign(there.flits_in.field(f), here.flits_out.field(f));
            }
            m.assign(here.credit_in, there.credit_back);
        }
    }
    for n in 0..spec.nodes() {
        let local = ports[n as usize][LOCAL].as_ref().expect("the local port");
        let here = (n % spec.x, n / spec.x);
        inject_port(&mut m, spec, n, &injects[n as usize], local, here)?;
        eject_port(&mut m, spec, n, &ejects[n as usize], local)?;
    }
    m.finish()
}

/// The XY route code at the fixed node (`x`, `y`) of a `size` mesh: [`xy_route`] without
/// the comparisons that cannot hold there (none is west of x = 0), so no constant compare
/// reaches the Verilog.
fn xy_route_at(data: &Expr, xb: u32, yb: u32, (x, y): (u32, u32), size: (u32, u32)) -> Expr {
    use super::router::{EAST, NORTH, SOUTH, WEST};
    let dx = data.slice(xb - 1, 0);
    let dy = data.slice(xb + yb - 1, xb);
    let code = |c: usize| ulit(super::router::ROUTE_BITS, c as u64);
    let mut route = code(LOCAL);
    let mut steps: Vec<(Expr, usize)> = Vec::new();
    if x + 1 < size.0 {
        steps.push((dx.clone().gt(ulit(xb, x as u64)), EAST));
    }
    if x > 0 {
        steps.push((dx.lt(ulit(xb, x as u64)), WEST));
    }
    if y + 1 < size.1 {
        steps.push((dy.clone().gt(ulit(yb, y as u64)), SOUTH));
    }
    if y > 0 {
        steps.push((dy.lt(ulit(yb, y as u64)), NORTH));
    }
    for (cond, to) in steps.into_iter().rev() {
        route = mux(cond, code(to), route);
    }
    route
}

/// Node `n`'s injection: each flit's route at its router (XY on the head flit, kept for the
/// packet's other flits), and a credit counter per queue of the router's local input; a
/// flit is taken when its queue has room.
fn inject_port(
    m: &mut ModuleBuilder,
    spec: &MeshSpec,
    n: u32,
    inj: &BundleIo,
    local: &Port,
    (x, y): (u32, u32),
) -> Result<(), ModuleError> {
    let rs = spec.router();
    let route_bits = super::router::ROUTE_BITS;
    let credit_bits = clog2(spec.depth as u64 + 1);
    let packet_route = m.data_reg(&format!("inject{n}_packet_route"), uint(route_bits));
    m.comment(packet_route, "the route of the packet being injected");
    let data: Expr = inj.field("data").into();
    let head: Expr = inj.field("head").into();
    let xy = xy_route_at(&data, rs.x_bits, rs.y_bits, (x, y), (spec.x, spec.y));
    let route = m.wire_of(
        &format!("inject{n}_route"),
        mux(head.clone(), xy, Expr::from(packet_route)),
    );
    let fire = m.wire(&format!("inject{n}_fire"), bit());
    let mut room = Vec::new();
    for (i, q) in queues_of(LOCAL).into_iter().enumerate() {
        let c = m.reg(
            &format!("inject{n}_credits_{}", PORTS[q]),
            uint(credit_bits),
            spec.depth as i64,
        );
        let used = fire & route.eq_lit(q as i64);
        m.next(
            c,
            c.sub_wrap(used.zext(credit_bits))
                .add_wrap(local.credit_back.bit(i as u32).zext(credit_bits)),
        );
        room.push(route.eq_lit(q as i64) & c.ne_lit(0));
    }
    let ready = room.into_iter().reduce(|a, b| a | b).expect("five queues");
    m.assign(inj.ready(), ready);
    m.assign(fire, inj.fire());
    m.next_en(packet_route, Expr::from(fire) & head, route);
    m.assign(local.flits_in.field("valid"), fire);
    m.assign(local.flits_in.field("route"), route);
    for f in ["head", "tail", "data"] {
        m.assign(local.flits_in.field(f), inj.field(f));
    }
    Ok(())
}

/// Node `n`'s ejection: a buffer the router's local output fills under credit.
fn eject_port(
    m: &mut ModuleBuilder,
    spec: &MeshSpec,
    n: u32,
    ej: &BundleIo,
    local: &Port,
) -> Result<(), ModuleError> {
    let w = spec.flit_bits;
    let buf = m.fifo(&format!("eject{n}_buf"), spec.depth, w + 2)?;
    m.wire_of(&format!("eject{n}_buf_room_unused"), buf.enq_ready);
    m.assign(buf.enq_valid, local.flits_out.field("valid"));
    m.assign(
        buf.enq_data,
        cat([
            Expr::from(local.flits_out.field("head")),
            local.flits_out.field("tail").into(),
            local.flits_out.field("data").into(),
        ]),
    );
    m.assign(ej.valid(), buf.deq_valid);
    m.assign(ej.field("head"), buf.deq_data.bit(w + 1));
    m.assign(ej.field("tail"), buf.deq_data.bit(w));
    m.assign(ej.field("data"), buf.deq_data.slice(w - 1, 0));
    m.assign(buf.deq_ready, ej.ready());
    m.assign(local.credit_in, buf.pop());
    Ok(())
}
