//! Processing element of the weight-stationary systolic array.
//!
//! ```text
//!                 weight_in / weight_in_valid      psum_in
//!                          |                          |
//!                 +--------v--------+                 |
//!   act_in   ---->| shadow -> active|---- act * active + psum_in ---> psum_out (registered)
//!   commit_in --->|  (double buffer)|
//!                 +--------+--------+
//!   act_out, commit_out: act_in and commit_in one cycle later (to the right)
//!   weight_out, weight_out_valid: the weight stream one cycle later (downwards)
//! ```
//!
//! Double-buffered weights: the next tile's weight arrives in `shadow` while `active` feeds
//! the multiplier. Weights flow down the column; each one settles in the first PE whose
//! shadow is empty (`shadow_full` low) and passes the full ones, so feeding rows 0, 1, ...
//! R-1 of a tile fills the column top to bottom with no row counter in the PE.
//!
//! `commit` travels with the first activation of each tile (systolically, one register per
//! PE) and copies `shadow` into `active` just before that activation is multiplied. Every
//! control signal is therefore local: no net fans out across the array, which is what keeps
//! large arrays fast (see the synthesis notes in the README). Reset is local too: each PE
//! hands its reset, one cycle later, to its neighbour (`rst_out`).
//!
//! The partial sum is `psum_bits` wide, chosen by the array so that the column total can
//! never overflow. The Booth PE adds the *negated* product, -(act * weight), which fits in 15
//! bits where the product needs 16 (only -128 * -128 = +16384 needs the 16th bit): its product
//! register and partial sum are a bit narrower, and the column carries minus its sum (see
//! [`psum_bits`](super::systolic_array::psum_bits)).

use super::booth::booth_neg_mul8;
use super::config::{MatrixConfig, Multiplier};
use super::systolic_array::{product_bits, sums_negated};
use crate::hw::*;

/// int8 operands.
pub const OPERAND: Ty = sint(8);

/// What travels along a row, PE to PE (west in, east out): the activation and the tag that
/// commits a new tile.
pub fn row_link(side: &str) -> Bundle {
    Bundle::plain(side)
        .field("act", OPERAND)
        .field("commit", bit())
}

/// What travels down a column (north in, south out): the weight stream and the partial sum.
pub fn column_link(side: &str, psum_bits: u32) -> Bundle {
    Bundle::plain(side)
        .field("weight", OPERAND)
        .field("weight_valid", bit())
        .field("psum", sint(psum_bits))
}

/// The PE's reset, forwarded one cycle later to its neighbours.
pub const RST_OUT: &str = "rst_out";

/// Build the PE for a `psum_bits`-wide partial-sum chain, with the product registered before
/// the accumulate when `cfg.mac_pipeline`, multiplying as `cfg.multiplier` says. Named
/// `pe_p<psum_bits>` plus the variant suffix ([`MatrixConfig::variant_suffix`]).
///
/// The extra stage is the same in every PE, so partial sums still meet the activations one
/// row down one cycle later: the skew is unchanged and only the latency grows by one.
pub fn pe(psum_bits: u32, cfg: &MatrixConfig) -> Result<ModuleRef, ModuleError> {
    let pipelined = cfg.mac_pipeline;
    let psum_ty = sint(psum_bits);
    let name = format!("pe_p{psum_bits}{}", cfg.variant_suffix());
    let mut m = ModuleBuilder::new(name);
    m.doc(&format!(
        "Weight-stationary PE: int8 x int8 multiply, {psum_bits}-bit partial-sum chain{}.\n\
         Weights double-buffered (shadow/active); commit travels with the activations.",
        match (pipelined, cfg.multiplier.for_asic() == Multiplier::Booth) {
            (true, false) => ", product registered",
            (true, true) => ", radix-4 Booth multiplier (negated products), product registered",
            (false, false) => "",
            (false, true) => ", radix-4 Booth multiplier (negated products)",
        }
    ));
    m.unit("matrix engine: PE array");

    let west = m.io(&row_link("west"), Role::Sink);
    let north = m.io(&column_link("north", psum_bits), Role::Sink);
    let east = m.io(&row_link("east"), Role::Source);
    let south = m.io(&column_link("south", psum_bits), Role::Source);
    let rst_out = m.output(RST_OUT, bit());
    let (act_in, commit_in) = (west.field("act"), west.field("commit"));
    let (weight_in, weight_in_valid) = (north.field("weight"), north.field("weight_valid"));
    let psum_in = north.field("psum");
    m.comment(
        commit_in,
        "first activation of a new tile: shadow -> active",
    );
    m.comment(psum_in, "partial sum from the PE above (0 at the top row)");

    // Activation and its commit tag, forwarded to the right.
    let act_q = m.data_reg("act_q", OPERAND);
    let commit_q = m.reg("commit_q", bit(), 0);
    m.next(act_q, act_in);
    m.next(commit_q, commit_in);

    // Weight double buffer.
    let shadow = m.data_reg("shadow", OPERAND);
    let shadow_full = m.reg("shadow_full", bit(), 0);
    let active = m.data_reg("active", OPERAND);
    m.comment(shadow_full, "shadow holds the next tile's weight");
    let deposit = m.wire_of("deposit", weight_in_valid & !shadow_full);
    m.next_en(shadow, deposit, weight_in);
    m.next(shadow_full, !commit_in & (shadow_full | weight_in_valid));
    m.next_en(active, commit_in, shadow);

    // Weights this PE passes on (it is already full) continue down one cycle later.
    let weight_q = m.data_reg("weight_q", OPERAND);
    let weight_q_valid = m.reg("weight_q_valid", bit(), 0);
    m.next(weight_q, weight_in);
    m.next(weight_q_valid, weight_in_valid & shadow_full);

    // Multiply-accumulate: 8x8 -> 16-bit product (never a wider multiplier), or the negated
    // product in 15 bits with Booth, sign-extended into the partial sum.
    let product = match cfg.multiplier.for_asic() {
        Multiplier::Booth => m.wire_of("product", booth_neg_mul8(act_q, active)),
        _ => m.wire_of("product", act_q.mul(active)),
    };
    m.comment(
        product,
        if sums_negated(cfg) {
            "-(act * weight): 15 bits hold it"
        } else {
            "act * weight"
        },
    );
    let addend = if pipelined {
        let product_q = m.data_reg("product_q", sint(product_bits(cfg)));
        m.next(product_q, product);
        product_q
    } else {
        product
    };
    let psum_q = m.data_reg("psum_q", psum_ty);
    m.next(psum_q, psum_in.add_wrap(addend.ext(psum_bits)));

    m.assign(east.field("act"), act_q);
    m.assign(east.field("commit"), commit_q);
    m.assign(south.field("weight"), weight_q);
    m.assign(south.field("weight_valid"), weight_q_valid);
    m.assign(south.field("psum"), psum_q);

    // Reset travels PE to PE, one register per hop, so no reset net spans the array.
    let rst_q = m.forward_reset("rst_q");
    m.assign(rst_out, rst_q);
    m.finish()
}
