//! Network-interface building blocks: a packet's units to flits and back.
//!
//! ```text
//!  unit (valid/ready, data U bits, last) ->[unit_tx: k = ceil(U / F) flits, low bits first]-> flit
//!  flit (valid/ready, head, tail, data F) ->[unit_rx: gather k flits]-> unit (data, first, last)
//! ```
//!
//! A packet is one or more units; `last` marks its last unit. The first flit of a packet's
//! first unit is the head flit (its low bits hold the destination the routers read), the last
//! flit of its last unit the tail. Both blocks hold no unit of their own beyond the flits
//! already gathered, and pass a unit a cycle when it fits one flit.

use crate::hw::*;

/// A unit stream: `data`, and `last` (tx: the packet's last unit) or `first` / `last` (rx).
pub fn unit_in(name: &str, unit_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("data", uint(unit_bits))
        .field("last", bit())
}

pub fn unit_out(name: &str, unit_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("data", uint(unit_bits))
        .field("first", bit())
        .field("last", bit())
}

/// A flit stream (the mesh's injection and ejection streams have the same fields).
pub fn flit_stream(name: &str, flit_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("head", bit())
        .field("tail", bit())
        .field("data", uint(flit_bits))
}

/// Units to flits. Named `unit_tx_u<U>_f<F>`.
pub fn unit_tx(unit_bits: u32, flit_bits: u32) -> Result<ModuleRef, ModuleError> {
    let k = unit_bits.div_ceil(flit_bits);
    let mut m = ModuleBuilder::new(format!("unit_tx_u{unit_bits}_f{flit_bits}"));
    m.doc(&format!(
        "{unit_bits}-bit units to {flit_bits}-bit flits, {k} a unit, low bits first."
    ));
    m.unit("interconnect: network interfaces");
    let unit = m.io(&unit_in("unit", unit_bits), Role::Sink);
    let flit = m.io(&flit_stream("flit", flit_bits), Role::Source);
    let beat = m.counter("beat", k, flit.fire());
    // The next unit starts a packet.
    let starts = m.reg("starts", bit(), 1);
    m.comment(starts, "the next unit is a packet's first");
    let padded = unit.field("data").zext(k * flit_bits);
    let piece = (1..k).fold(lane(padded.clone(), 0, flit_bits), |acc, j| {
        mux(
            beat.value.eq_lit(j as i64),
            lane(padded.clone(), j, flit_bits),
            acc,
        )
    });
    m.assign(flit.valid(), unit.valid());
    m.assign(flit.field("data"), piece);
    let head = if k == 1 {
        Expr::from(starts)
    } else {
        starts & beat.value.eq_lit(0)
    };
    m.assign(flit.field("head"), head);
    m.assign(flit.field("tail"), unit.field("last") & beat.last.clone());
    m.assign(unit.ready(), flit.ready() & beat.last);
    m.next_en(starts, unit.fire(), unit.field("last"));
    m.finish()
}

/// Flits to units. Named `unit_rx_u<U>_f<F>`.
pub fn unit_rx(unit_bits: u32, flit_bits: u32) -> Result<ModuleRef, ModuleError> {
    let k = unit_bits.div_ceil(flit_bits);
    let mut m = ModuleBuilder::new(format!("unit_rx_u{unit_bits}_f{flit_bits}"));
    m.doc(&format!(
        "{flit_bits}-bit flits to {unit_bits}-bit units, {k} flits a unit."
    ));
    m.unit("interconnect: network interfaces");
    let flit = m.io(&flit_stream("flit", flit_bits), Role::Sink);
    let unit = m.io(&unit_out("unit", unit_bits), Role::Source);
    let beat = m.counter("beat", k, flit.fire());
    // The unit's earlier flits, and whether its first flit was a head flit.
    let parts: Vec<Expr> = (0..k - 1)
        .map(|j| {
            let r = m.data_reg(&format!("part{j}"), uint(flit_bits));
            m.next_en(
                r,
                flit.fire() & beat.value.eq_lit(j as i64),
                flit.field("data"),
            );
            Expr::from(r)
        })
        .collect();
    let first = if k == 1 {
        Expr::from(flit.field("head"))
    } else {
        let r = m.data_reg("began_with_head", bit());
        m.next_en(r, flit.fire() & beat.value.eq_lit(0), flit.field("head"));
        Expr::from(r)
    };
    let mut pieces = parts;
    pieces.push(flit.field("data").into());
    let whole = from_lanes(pieces);
    if k * flit_bits > unit_bits {
        // The last flit's padding.
        m.wire_of("padding_unused", whole.slice(k * flit_bits - 1, unit_bits));
    }
    m.assign(unit.valid(), flit.valid() & beat.last.clone());
    m.assign(unit.field("data"), whole.slice(unit_bits - 1, 0));
    m.assign(unit.field("first"), first);
    m.assign(unit.field("last"), flit.field("tail"));
    m.assign(flit.ready(), !beat.last.clone() | unit.ready());
    m.finish()
}
