//! R x C grid of processing elements.
//!
//! ```text
//!            weight_in[0]  weight_in[1] ...  (top: weight stream, weight_in_valid shared)
//!                 |             |
//!   act_in[0] -> PE(0,0) ---> PE(0,1) ---> ...      activations flow right
//!                 |             |
//!   act_in[1] -> PE(1,0) ---> PE(1,1) ---> ...      partial sums flow down
//!                 |             |
//!            psum_out[0]   psum_out[1] ...  (bottom: column sums)
//! ```
//!
//! Inputs must already be skewed (row r delayed by r cycles) and outputs are skewed (column c
//! c cycles late); [`skew`](super::skew) handles both. Edge PEs leave their forwarding outputs
//! open (the `*_unused` wires); synthesis removes those flip-flops.
//!
//! Reset enters at PE(0,0) and is forwarded down column 0 and along every row, one register
//! per hop: PE(r, c) is reset [`reset_delay`]`(r, c)` cycles after the array's `rst`.

use super::pe::{self, port, OPERAND};
use crate::hw::*;

/// Partial-sum width for a column of `rows` PEs: the sum of `rows` int8 x int8 products
/// (each in -16256..=16384) needs 16 + ceil(log2(rows)) bits, so it never overflows.
pub fn psum_bits(rows: u32) -> u32 {
    16 + clog2(rows as u64)
}

/// Cycles from the array's `rst` to the reset of PE(r, c).
pub fn reset_delay(r: u32, c: u32) -> u32 {
    r + c
}

/// Build the `rows` x `cols` array. Named `systolic_array_<rows>x<cols>` (`..._s1` with
/// unpipelined PEs).
pub fn systolic_array(rows: u32, cols: u32, pipelined: bool) -> Result<ModuleRef, ModuleError> {
    let p = psum_bits(rows);
    let cell = pe::pe(p, pipelined)?;
    let suffix = if pipelined { "" } else { "_s1" };
    let mut m = ModuleBuilder::new(format!("systolic_array_{rows}x{cols}{suffix}"));
    m.doc(&format!(
        "{rows} x {cols} weight-stationary systolic array of int8 PEs ({p}-bit column sums).\n\
         Row r of act_in is lane r (bits 8r+7:8r); column c of weight_in and psum_out likewise."
    ));
    let act_in = m.input("act_in", uint(rows * 8));
    let commit_in = m.input("commit_in", uint(rows));
    let weight_in = m.input("weight_in", uint(cols * 8));
    let weight_in_valid = m.input("weight_in_valid", uint(cols));
    m.comment(
        weight_in_valid,
        "one copy per column (registered apart: no broadcast net)",
    );
    let psum_out = m.output("psum_out", uint(cols * p));

    // Nets between neighbours: what PE(r, c) passes right and down.
    let mut act = vec![vec![None; cols as usize]; rows as usize];
    let mut commit = act.clone();
    let mut weight = act.clone();
    let mut weight_valid = act.clone();
    let mut psum = act.clone();
    let mut reset = act.clone();
    for r in 0..rows as usize {
        for c in 0..cols as usize {
            if c + 1 < cols as usize {
                act[r][c] = Some(m.wire(&format!("act_r{r}_c{c}"), OPERAND));
                commit[r][c] = Some(m.wire(&format!("commit_r{r}_c{c}"), bit()));
            }
            if r + 1 < rows as usize {
                weight[r][c] = Some(m.wire(&format!("weight_r{r}_c{c}"), OPERAND));
                weight_valid[r][c] = Some(m.wire(&format!("weight_valid_r{r}_c{c}"), bit()));
            }
            psum[r][c] = Some(m.wire(&format!("psum_r{r}_c{c}"), sint(p)));
            if c + 1 < cols as usize || (c == 0 && r + 1 < rows as usize) {
                reset[r][c] = Some(m.wire(&format!("rst_r{r}_c{c}"), bit()));
            }
        }
    }
    let net = |grid: &Vec<Vec<Option<Sig>>>, r: usize, c: usize| -> Sig {
        grid[r][c].expect("a net exists between neighbours")
    };

    for r in 0..rows as usize {
        for c in 0..cols as usize {
            let (ri, ci) = (r as u32, c as u32);
            let a: Expr = if c == 0 {
                act_in.slice(8 * ri + 7, 8 * ri)
            } else {
                net(&act, r, c - 1).into()
            };
            let k: Expr = if c == 0 {
                commit_in.bit(ri)
            } else {
                net(&commit, r, c - 1).into()
            };
            let (w, wv): (Expr, Expr) = if r == 0 {
                (weight_in.slice(8 * ci + 7, 8 * ci), weight_in_valid.bit(ci))
            } else {
                (
                    net(&weight, r - 1, c).into(),
                    net(&weight_valid, r - 1, c).into(),
                )
            };
            let s: Expr = if r == 0 {
                zero(sint(p))
            } else {
                net(&psum, r - 1, c).into()
            };
            let mut inst = m.instance(&format!("pe_r{r}_c{c}"), &cell);
            inst = match (r, c) {
                (0, 0) => inst,
                (_, 0) => inst.reset(net(&reset, r - 1, 0)),
                _ => inst.reset(net(&reset, r, c - 1)),
            };
            inst = match reset[r][c] {
                Some(w) => inst.con(port::RST_OUT, w),
                None => inst.open(port::RST_OUT),
            };
            let mut inst = inst
                .con(port::ACT_IN, a)
                .con(port::COMMIT_IN, k)
                .con(port::WEIGHT_IN, w)
                .con(port::WEIGHT_IN_VALID, wv)
                .con(port::PSUM_IN, s)
                .con(port::PSUM_OUT, net(&psum, r, c));
            inst = match act[r][c] {
                Some(a) => inst
                    .con(port::ACT_OUT, a)
                    .con(port::COMMIT_OUT, net(&commit, r, c)),
                None => inst.open(port::ACT_OUT).open(port::COMMIT_OUT),
            };
            match weight[r][c] {
                Some(w) => inst
                    .con(port::WEIGHT_OUT, w)
                    .con(port::WEIGHT_OUT_VALID, net(&weight_valid, r, c)),
                None => inst.open(port::WEIGHT_OUT).open(port::WEIGHT_OUT_VALID),
            };
        }
    }
    let bottom: Vec<Sig> = (0..cols as usize)
        .rev()
        .map(|c| net(&psum, rows as usize - 1, c))
        .collect();
    m.assign(psum_out, cat(bottom));
    m.finish()
}
