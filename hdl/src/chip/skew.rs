//! Skew and de-skew delay lines at the edges of the systolic array.
//!
//! The array wants row `r` of an activation vector `r` cycles after row 0 (so each value meets
//! the partial sum coming down its column), and delivers column `c` of a result `c` cycles
//! after column 0. The skew at the input and the de-skew at the output hide both, so the
//! matrix engine's interface is row-aligned.

use crate::hw::*;

/// Delay line for `lanes` lanes of `width` bits: lane `i` is delayed by `delay(i)` cycles.
/// Data registers have no reset (the valid bits travel elsewhere).
fn delay_lanes(
    m: &mut ModuleBuilder,
    data_in: Sig,
    lanes: u32,
    width: u32,
    delay: impl Fn(u32) -> u32,
) -> Expr {
    let mut outs = Vec::new();
    for lane in 0..lanes {
        let mut v: Expr = data_in.slice(lane * width + width - 1, lane * width);
        for stage in 0..delay(lane) {
            let q = m.data_reg(&format!("lane{lane}_d{stage}"), uint(width));
            m.next(q, v);
            v = q.into();
        }
        outs.push(v);
    }
    outs.reverse(); // lane 0 is least significant
    cat(outs)
}

/// Input skew for `lanes` activation lanes of `width` bits, plus a one-bit tag (the tile
/// commit) delayed like the data: `tag_out[i]` is `tag_in` delayed by `i`. Named
/// `skew_l<lanes>_w<width>`.
pub fn skew(lanes: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("skew_l{lanes}_w{width}"));
    m.doc("Input skew: lane i (and its copy of the tag) is delayed by i cycles.");
    let data_in = m.input("data_in", uint(lanes * width));
    let tag_in = m.input("tag_in", bit());
    let data_out = m.output("data_out", uint(lanes * width));
    let tag_out = m.output("tag_out", uint(lanes));
    let delayed = delay_lanes(&mut m, data_in, lanes, width, |lane| lane);
    m.assign(data_out, delayed);
    // The tag is the same for every lane, so one tapped chain serves all lanes.
    let mut taps: Vec<Expr> = vec![tag_in.into()];
    for stage in 0..lanes.saturating_sub(1) {
        let q = m.reg(&format!("tag_d{stage}"), bit(), 0);
        m.next(
            q,
            taps.last()
                .expect("tap chain starts with the input")
                .clone(),
        );
        taps.push(q.into());
    }
    taps.reverse();
    m.assign(tag_out, cat(taps));
    m.finish()
}

/// Output de-skew for `lanes` lanes of `width` bits: lane `i` is delayed by
/// `lanes - 1 - i` cycles. Named `deskew_l<lanes>_w<width>`.
pub fn deskew(lanes: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("deskew_l{lanes}_w{width}"));
    m.doc("Output de-skew: lane i is delayed by (lanes - 1 - i) cycles.");
    let data_in = m.input("data_in", uint(lanes * width));
    let data_out = m.output("data_out", uint(lanes * width));
    let delayed = delay_lanes(&mut m, data_in, lanes, width, |lane| lanes - 1 - lane);
    m.assign(data_out, delayed);
    m.finish()
}
