//! The packets of the multi-tile chip's two meshes, defined once: the tile and DRAM network
//! interfaces build and read them from these layouts.
//!
//! Traffic runs between the tiles and the DRAM port at node (0, 0): requests on one mesh,
//! responses on the other (the deadlock argument in `docs/interconnect.md`). A packet is a
//! sequence of *units*, each sent as `ceil(unit bits / flit bits)` flits, low bits first; a
//! head unit starts with the destination (x, then y), which the routers read.
//!
//! | mesh | packet | units |
//! |---|---|---|
//! | request | AXI read (AR) | one: `dest, write = 0, tile, id, addr, len, size, burst` |
//! | request | AXI write (AW + W) | the same head with `write = 1`, then one unit per W beat: `data, strb, last` |
//! | response | read beat (R) | one: `dest, write = 0, id, resp, last, data` |
//! | response | write response (B) | one: `dest, write = 1, id, resp` |
//!
//! A whole write burst is one packet, so its beats reach the DRAM port together (wormhole
//! switching keeps packets whole) and follow its AW there, as AXI4 requires. A read beat is a
//! packet of its own: the DRAM port may interleave the beats of different tiles' bursts.

use super::axi4::{ADDR_BITS, ID_BITS};
use super::Config;
use crate::hw::*;

/// One field of a unit: its bits `[lo + bits - 1 : lo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lo: u32,
    pub bits: u32,
}

/// A unit's fields, packed from bit 0 up in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub fields: Vec<Field>,
    pub bits: u32,
}

impl Layout {
    fn new(fields: &[(&'static str, u32)]) -> Layout {
        let mut lo = 0;
        let fields = fields
            .iter()
            .map(|&(name, bits)| {
                let f = Field { name, lo, bits };
                lo += bits;
                f
            })
            .collect();
        Layout { fields, bits: lo }
    }

    /// The field `name`.
    ///
    /// # Panics
    /// If the layout has no such field (a bug in the generator).
    pub fn field(&self, name: &str) -> Field {
        *self
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field `{name}` in {:?}", self.fields))
    }

    /// Field `name` of the unit `unit` (at least this layout's width).
    pub fn get(&self, unit: &Expr, name: &str) -> Expr {
        let f = self.field(name);
        unit.slice(f.lo + f.bits - 1, f.lo)
    }

    /// A unit of `width` bits (at least this layout's) from every field's value, in any
    /// order; the bits above the layout are zero.
    pub fn pack(&self, values: &[(&str, Expr)], width: u32) -> Expr {
        let mut parts: Vec<Expr> = self
            .fields
            .iter()
            .map(|f| {
                let (_, v) = values
                    .iter()
                    .find(|(n, _)| *n == f.name)
                    .unwrap_or_else(|| panic!("no value for field `{}`", f.name));
                v.clone().resize(f.bits)
            })
            .collect();
        if width > self.bits {
            parts.push(zero(uint(width - self.bits)));
        }
        parts.reverse();
        cat(parts)
    }
}

/// The layouts and flit counts of a multi-tile configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NocLayout {
    /// Destination bits at the bottom of a head unit (x, then y).
    pub x_bits: u32,
    pub y_bits: u32,
    /// Bits naming a tile: its coordinates, as a destination field holds them.
    pub tile_bits: u32,
    /// The request mesh: the AR / AW head and the W beat.
    pub req_head: Layout,
    pub req_beat: Layout,
    /// The response mesh: R beats and B.
    pub resp: Layout,
    /// Unit widths (the widest unit of each mesh) and the flit width.
    pub req_unit_bits: u32,
    pub resp_unit_bits: u32,
    pub flit_bits: u32,
}

impl NocLayout {
    /// The layouts for `cfg`: AXI beats of `bus.data_bits`, tiles `[tiles] x * y`, flits of
    /// `[interconnect] flit_bits` (or, when unset, as wide as the widest unit: a beat a flit).
    pub fn new(cfg: &Config) -> NocLayout {
        let xb = clog2(cfg.tiles.x as u64).max(1);
        let yb = clog2(cfg.tiles.y as u64).max(1);
        // A tile is named by its coordinates, so the DRAM port answers it with no lookup.
        let tile_bits = xb + yb;
        let d = cfg.bus.data_bits;
        let req_head = Layout::new(&[
            ("dest", xb + yb),
            ("write", 1),
            ("tile", tile_bits),
            ("id", ID_BITS),
            ("addr", ADDR_BITS),
            ("len", 8),
            ("size", 3),
            ("burst", 2),
        ]);
        let req_beat = Layout::new(&[("data", d), ("strb", d / 8), ("last", 1)]);
        let resp = Layout::new(&[
            ("dest", xb + yb),
            ("write", 1),
            ("id", ID_BITS),
            ("resp", 2),
            ("last", 1),
            ("data", d),
        ]);
        let req_unit_bits = req_head.bits.max(req_beat.bits);
        let resp_unit_bits = resp.bits;
        let flit_bits = cfg
            .interconnect
            .flit_bits
            .unwrap_or(req_unit_bits.max(resp_unit_bits));
        NocLayout {
            x_bits: xb,
            y_bits: yb,
            tile_bits,
            req_head,
            req_beat,
            resp,
            req_unit_bits,
            resp_unit_bits,
            flit_bits,
        }
    }

    /// The destination field's value for tile `n` of an `x`-wide mesh.
    pub fn dest(&self, n: u32, x: u32) -> u64 {
        ((n % x) as u64) | ((n / x) as u64) << self.x_bits
    }
}
