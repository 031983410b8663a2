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
    flit_in, flit_out, in_credit_port, out_credit_port, router, RouterSpec, PORTS,
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

/// The neighbour of (x, y) through port `dir`, inside an X x Y mesh.
fn neighbour(spec: &MeshSpec, x: u32, y: u32, dir: &str) -> Option<(u32, u32)> {
    match dir {
        "north" if y > 0 => Some((x, y - 1)),
        "south" if y + 1 < spec.y => Some((x, y + 1)),
        "west" if x > 0 => Some((x - 1, y)),
        "east" if x + 1 < spec.x => Some((x + 1, y)),
        _ => None,
    }
}

/// The port facing back: a flit leaving east arrives on the neighbour's west input.
fn opposite(dir: &str) -> &'static str {
    match dir {
        "north" => "south",
        "south" => "north",
        "east" => "west",
        "west" => "east",
        _ => "local",
    }
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
        "{}x{} mesh of routers, {w}-bit flits, {}-flit buffers, XY routing, credit flow control.",
        spec.x, spec.y, spec.depth
    ));
    m.unit("interconnect: mesh");
    let injects: Vec<BundleIo> = (0..spec.nodes())
        .map(|n| m.io(&inject(n, w), Role::Sink))
        .collect();
    let ejects: Vec<BundleIo> = (0..spec.nodes())
        .map(|n| m.io(&eject(n, w), Role::Source))
        .collect();

    // Every router's connected ports as wires of the mesh; edge ports left open / tied off.
    struct Port {
        flits_in: BundleIo,
        flits_out: BundleIo,
        /// The router's credit for its input (flows out of the router).
        credit_back: Sig,
        /// The credit for the router's output (flows into it).
        credit_in: Sig,
    }
    let mut ports: Vec<Vec<Option<Port>>> = Vec::new();
    for n in 0..spec.nodes() {
        let (x, y) = (n % spec.x, n / spec.x);
        let name = format!("r{x}_{y}");
        let linked = |d: &str| d == "local" || neighbour(spec, x, y, d).is_some();
        let credit_in: Vec<Option<Sig>> = PORTS
            .iter()
            .map(|d| linked(d).then(|| m.wire(&format!("{name}_{d}_credit_in"), bit())))
            .collect();
        let mut inst = m.instance(&name, &r);
        inst.con("here_x", ulit(rs.x_bits, x as u64));
        inst.con("here_y", ulit(rs.y_bits, y as u64));
        let mut node = Vec::new();
        for (k, d) in PORTS.iter().enumerate() {
            let Some(credit_in) = credit_in[k] else {
                inst.open_io(&flit_in(d, w)).open_io(&flit_out(d, w));
                inst.open(in_credit_port(d));
                inst.con(out_credit_port(d), ulit(1, 0));
                node.push(None);
                continue;
            };
            let flits_in = inst.io(&flit_in(d, w));
            let flits_out = inst.io(&flit_out(d, w));
            let credit_back = inst.out(in_credit_port(d));
            inst.con(out_credit_port(d), credit_in);
            node.push(Some(Port {
                flits_in,
                flits_out,
                credit_back,
                credit_in,
            }));
        }
        ports.push(node);
    }
    let flit_fields = ["valid", "head", "tail", "data"];
    for n in 0..spec.nodes() {
        let (x, y) = (n % spec.x, n / spec.x);
        for (k, d) in PORTS.iter().enumerate() {
            let Some(p) = &ports[n as usize][k] else {
                continue;
            };
            if *d == "local" {
                continue;
            }
            let (nx, ny) = neighbour(spec, x, y, d).expect("connected port");
            let back = PORTS
                .iter()
                .position(|q| *q == opposite(d))
                .expect("a port");
            let there = ports[(ny * spec.x + nx) as usize][back]
                .as_ref()
                .expect("the neighbour's facing port");
            for f in flit_fields {
                m.assign(there.flits_in.field(f), p.flits_out.field(f));
            }
            m.assign(p.credit_in, there.credit_back);
        }
    }
    // The local ports: injection under credit, ejection through a buffer.
    for n in 0..spec.nodes() {
        let local = ports[n as usize][0].as_ref().expect("the local port");
        let (inj, ej) = (&injects[n as usize], &ejects[n as usize]);
        let credit_bits = clog2(spec.depth as u64 + 1);
        let credits = m.reg(
            &format!("inject{n}_credits"),
            uint(credit_bits),
            spec.depth as i64,
        );
        m.comment(credits, "free slots in the router's local input buffer");
        m.assign(inj.ready(), credits.ne_lit(0));
        let fire = inj.fire();
        m.assign(local.flits_in.field("valid"), fire.clone());
        for f in ["head", "tail", "data"] {
            m.assign(local.flits_in.field(f), inj.field(f));
        }
        m.next(
            credits,
            credits
                .sub_wrap(fire.zext(credit_bits))
                .add_wrap(local.credit_back.zext(credit_bits)),
        );
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
    }
    m.finish()
}
