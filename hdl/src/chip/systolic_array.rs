//! R x C grid of processing elements.
//!
//! ```text
//!            north_weight[0] north_weight[1] ...  (top: weight stream, one valid per column)
//!                 |             |
//!  west_act[0] -> PE(0,0) ---> PE(0,1) ---> ...   activations flow east (row links)
//!                 |             |
//!  west_act[1] -> PE(1,0) ---> PE(1,1) ---> ...   partial sums flow south (column links)
//!                 |             |
//!            south_psum[0] south_psum[1] ...  (bottom: column sums)
//! ```
//!
//! Inputs must already be skewed (row r delayed by r cycles) and outputs are skewed (column c
//! c cycles late); [`skew`](super::skew) handles both. Each PE's east and south links are
//! its neighbours' west and north inputs; edge PEs leave their outgoing links open (the
//! `*_unused` wires), and synthesis removes those flip-flops.
//!
//! With the Booth multiplier the columns sum negated products (see [`psum_bits`]): the south
//! edge carries minus each column sum.
//!
//! Reset enters at PE(0,0) and is forwarded down column 0 and along every row, one register
//! per hop: PE(r, c) is reset [`reset_delay`]`(r, c)` cycles after the array's `rst`.

use super::config::{MatrixConfig, Multiplier};
use super::pe::{self, column_link, row_link};
use crate::hw::*;

/// Partial-sum width of the array of `cfg`, chosen so that a column sum never overflows.
///
/// A product a * b of int8s lies in -16256..=16384 and needs 16 bits; R of them need
/// 16 + ceil(log2 R). The Booth PEs sum the negated products instead, -(a * b) in
/// -16384..=16256, which need only 15 bits, and R of them 15 + ceil(log2 R): one bit less in
/// every product register and partial sum (the engine negates the column sums on the way out).
pub fn psum_bits(cfg: &MatrixConfig) -> u32 {
    product_bits(cfg) + clog2(cfg.rows as u64)
}

/// Width of the product each PE adds into the column: 15 bits for the negated Booth product,
/// 16 for `*`.
pub fn product_bits(cfg: &MatrixConfig) -> u32 {
    if sums_negated(cfg) {
        15
    } else {
        16
    }
}

/// Whether the columns sum negated products (the Booth PE) rather than products.
pub fn sums_negated(cfg: &MatrixConfig) -> bool {
    cfg.multiplier.for_asic() == Multiplier::Booth
}

/// Cycles from the array's `rst` to the reset of PE(r, c).
pub fn reset_delay(r: u32, c: u32) -> u32 {
    r + c
}

/// The array's west edge: one activation lane and one commit bit per row.
pub fn west_edge(rows: u32) -> Bundle {
    Bundle::plain("west")
        .field("act", uint(rows * 8))
        .field("commit", uint(rows))
}

/// The array's north edge: one weight lane and one weight-valid bit per column (registered
/// apart per column: no broadcast net).
pub fn north_edge(cols: u32) -> Bundle {
    Bundle::plain("north")
        .field("weight", uint(cols * 8))
        .field("weight_valid", uint(cols))
}

/// The array's south edge: one column sum per column.
pub fn south_edge(cols: u32, psum_bits: u32) -> Bundle {
    Bundle::plain("south").field("psum", uint(cols * psum_bits))
}

/// Build the array of `cfg`. Named `systolic_array_<rows>x<cols>` plus the PE variant's
/// suffix.
pub fn systolic_array(cfg: &MatrixConfig) -> Result<ModuleRef, ModuleError> {
    let (rows, cols) = (cfg.rows, cfg.cols);
    let p = psum_bits(cfg);
    let cell = pe::pe(p, cfg)?;
    let suffix = cfg.variant_suffix();
    let mut m = ModuleBuilder::new(format!("systolic_array_{rows}x{cols}{suffix}"));
    m.doc(&format!(
        "{rows} x {cols} weight-stationary systolic array of int8 PEs ({p}-bit column sums).\n\
         Row r of west_act is lane r (bits 8r+7:8r); column c of north_weight and south_psum likewise."
    ));
    m.unit("matrix engine: PE array");
    let west = m.io(&west_edge(rows), Role::Sink);
    let north = m.io(&north_edge(cols), Role::Sink);
    let south = m.io(&south_edge(cols, p), Role::Source);
    let (pe_west, pe_east) = (row_link("west"), row_link("east"));
    let (pe_north, pe_south) = (column_link("north", p), column_link("south", p));

    // Links leaving the previous column (per row) and the previous row (per column).
    let mut from_west: Vec<Option<BundleIo>> = vec![None; rows as usize];
    let mut from_north: Vec<Option<BundleIo>> = vec![None; cols as usize];
    let mut reset_from_west: Option<Sig> = None;
    let mut reset_down_col0: Option<Sig> = None;
    let mut column_sums = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (ri, ci) = (r as usize, c as usize);
            let mut pe = m.instance(&format!("pe_r{r}_c{c}"), &cell);
            match from_west[ri].take() {
                Some(link) => pe.io_from(&pe_west, &link),
                None => pe
                    .con(pe_west.port("act"), lane(west.field("act"), r, 8))
                    .con(pe_west.port("commit"), west.field("commit").bit(r)),
            };
            match from_north[ci].take() {
                Some(link) => pe.io_from(&pe_north, &link),
                None => pe
                    .con(pe_north.port("weight"), lane(north.field("weight"), c, 8))
                    .con(
                        pe_north.port("weight_valid"),
                        north.field("weight_valid").bit(c),
                    )
                    .con(pe_north.port("psum"), zero(sint(p))),
            };
            // Reset: from the west neighbour, or from above in column 0.
            match (c, reset_from_west.take(), reset_down_col0) {
                (0, _, Some(above)) => {
                    pe.reset(above);
                }
                (_, Some(west_rst), _) => {
                    pe.reset(west_rst);
                }
                _ => {}
            }
            let forwards_reset = c + 1 < cols || (c == 0 && r + 1 < rows);
            let rst_out = if forwards_reset {
                Some(pe.out(pe::RST_OUT))
            } else {
                pe.open(pe::RST_OUT);
                None
            };
            if c + 1 < cols {
                from_west[ri] = Some(pe.io(&pe_east));
            } else {
                pe.open_io(&pe_east);
            }
            if r + 1 < rows {
                from_north[ci] = Some(pe.io(&pe_south));
            } else {
                column_sums.push(pe.out(pe_south.port("psum")));
                pe.open(pe_south.port("weight"))
                    .open(pe_south.port("weight_valid"));
            }
            if c == 0 {
                reset_down_col0 = rst_out;
            }
            reset_from_west = if c + 1 < cols { rst_out } else { None };
        }
    }
    m.assign(south.field("psum"), from_lanes(column_sums));
    m.finish()
}
