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
    width: u32,
    delay: impl Fn(u32) -> u32,
) -> Expr {
    let delayed: Vec<Expr> = lanes(data_in, width)
        .into_iter()
        .enumerate()
        .map(|(i, v)| m.delay(&format!("lane{i}"), v, delay(i as u32)))
        .collect();
    from_lanes(delayed)
}

/// The skew's input: `lanes` lanes of `width` bits and a one-bit tag for the whole vector.
pub fn skew_in(lanes: u32, width: u32) -> Bundle {
    Bundle::plain("in")
        .field("data", uint(lanes * width))
        .field("tag", bit())
}

/// The skew's output: the lanes, and one copy of the tag per lane, delayed like its lane.
pub fn skew_out(lanes: u32, width: u32) -> Bundle {
    Bundle::plain("out")
        .field("data", uint(lanes * width))
        .field("tag", uint(lanes))
}

/// Plain lanes in or out of the de-skew.
pub fn lanes_bundle(side: &str, lanes: u32, width: u32) -> Bundle {
    Bundle::plain(side).field("data", uint(lanes * width))
}

/// Input skew for `lanes` activation lanes of `width` bits, plus a one-bit tag (the tile
/// commit) delayed like the data: `out_tag[i]` is `in_tag` delayed by `i`. Named
/// `skew_l<lanes>_w<width>`.
pub fn skew(lanes: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("skew_l{lanes}_w{width}"));
    m.doc("Input skew: lane i (and its copy of the tag) is delayed by i cycles.");
    m.unit("matrix engine: skew and de-skew");
    let input = m.io(&skew_in(lanes, width), Role::Sink);
    let output = m.io(&skew_out(lanes, width), Role::Source);
    let delayed = delay_lanes(&mut m, input.field("data"), width, |lane| lane);
    m.assign(output.field("data"), delayed);
    // The tag is the same for every lane, so one tapped chain serves all lanes.
    let mut taps: Vec<Expr> = vec![input.field("tag").into()];
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
    m.assign(output.field("tag"), from_lanes(taps));
    m.finish()
}

/// Output de-skew for `lanes` lanes of `width` bits: lane `i` is delayed by
/// `lanes - 1 - i` cycles. Named `deskew_l<lanes>_w<width>`.
pub fn deskew(lanes: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("deskew_l{lanes}_w{width}"));
    m.doc("Output de-skew: lane i is delayed by (lanes - 1 - i) cycles.");
    m.unit("matrix engine: skew and de-skew");
    let input = m.io(&lanes_bundle("in", lanes, width), Role::Sink);
    let output = m.io(&lanes_bundle("out", lanes, width), Role::Source);
    let delayed = delay_lanes(&mut m, input.field("data"), width, |lane| lanes - 1 - lane);
    m.assign(output.field("data"), delayed);
    m.finish()
}
