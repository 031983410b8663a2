//! Requantiser: int32 lanes to int8/int16 outputs, bit-exact with TFLite's reference kernels
//! (`MultiplyByQuantizedMultiplier`, zero point, clamp). One row of `lanes` values per cycle,
//! pipelined and stallable; the reference model is `seedchip_verif::quant`. The vector unit
//! runs its `requant`, `pwl` and `mul` operations and the STORE epilogue through it.
//!
//! ```text
//!  x, multiplier, shift, product (per row)          zero point, min, max: `late`
//!    |
//!  [0] input registers
//!  [1] a = x << max(shift, 0)            (an int32 multiply by 2^left: wraps)
//!  [2] a * M in carry-save form          (Booth digits, a Wallace tree: sum and carry rows)
//!  [3] ab = sum + carry                  (64 bits)
//!  [4] y = (ab + 2^30) >> 31             (SaturatingRoundingDoublingHighMul; MIN*MIN -> MAX)
//!      product rows: y = ab[31:0]        (the `mul` operation: the low half of x * M)
//!  [5] s = y + 2^(r-1) - (y < 0)         (r = max(-shift, 0); nothing when r = 0)
//!  [6] q = s >> r                        (RoundingDivideByPOT: ties away from zero)
//!  [7] v = sat32(q + zero point); product rows: q
//!  [8] out = clamp(v, min, max); product rows: v
//! ```
//!
//! Why `(ab + 2^30) >> 31`: gemmlowp adds 2^30 (or 1 - 2^30 when negative) and divides by
//! 2^31 truncating toward zero; for a negative sum, truncating is flooring after adding
//! 2^31 - 1, and 1 - 2^30 + 2^31 - 1 = 2^30: one floor shift for both signs. Why step [5]:
//! `RoundingDivideByPOT` rounds to nearest with ties away from zero, which is
//! `floor((y + 2^(r-1) - (y < 0)) / 2^r)`, computed in 34 bits so that it cannot overflow
//! (r reaches 32 for a shift of -32).
//!
//! The zero point and output range are `late`: read for the row in stage [5], in the cycle it
//! moves to [6] (registered there beside q). The vector unit's are either steady
//! (requantisation parameters) or chosen for that row (a table segment's intercept), so they
//! need not travel down the whole pipeline.
//! Every register moves only when `advance` is high: the whole pipeline stalls together.

use crate::hw::*;

/// Register stages from a row on the inputs to its result on `out`.
pub const LATENCY: u32 = 9;

/// The stage whose row the `late` values are for (they are registered with it into the next).
pub const LATE_STAGE: u32 = 5;

/// The requantiser's inputs: one row per cycle when `valid` (and `advance`).
pub fn requant_in(lanes: u32) -> Bundle {
    Bundle::plain("in")
        .field("valid", bit())
        .field("x", uint(lanes * 32))
        .field("multiplier", uint(lanes * 32))
        .field("shift", uint(lanes * 6))
        .field("product", bit())
}

/// Per-lane zero point and output range for the row in stage [5] (registered with it into
/// stage [6]).
pub fn requant_late(lanes: u32) -> Bundle {
    Bundle::plain("late")
        .field("zero_point", uint(lanes * 32))
        .field("min", uint(lanes * 32))
        .field("max", uint(lanes * 32))
}

/// The requantiser's outputs, [`LATENCY`] advancing cycles after their inputs.
pub fn requant_out(lanes: u32) -> Bundle {
    Bundle::plain("out")
        .field("valid", bit())
        .field("y", uint(lanes * 32))
}

/// One lane's registered inputs and late values.
struct LaneIn {
    x: Expr,
    multiplier: Expr,
    shift: Expr,
    zero_point: Expr,
    min: Expr,
    max: Expr,
}

/// Row-wide values along the pipeline: the stall and the product flag of each stage.
struct RowCtl<'a> {
    advance: Expr,
    /// `product` of the row in stages [1] .. [8] (index 0 = stage [1]).
    product: &'a [Expr],
}

/// One lane's pipeline: [`LATENCY`] - 1 stages after the input registers.
fn lane_pipeline(m: &mut ModuleBuilder, i: u32, input: LaneIn, row: &RowCtl) -> Expr {
    let LaneIn {
        x,
        multiplier,
        shift,
        zero_point: zp,
        min,
        max,
    } = input;
    let go = row.advance.clone();
    let mut stage =
        |name: &str, v: Expr| -> Sig { m.stage_en(&format!("l{i}_{name}"), v, go.clone()) };
    let negative_shift = shift.bit(5);
    // [1] left shift; the right-shift amount (0..=32) travels along.
    let left = mux(negative_shift.clone(), zero(uint(5)), shift.slice(4, 0));
    let right = mux(
        negative_shift,
        zero(uint(6)).sub_wrap(shift.clone()),
        zero(uint(6)),
    );
    let a = stage("a", x.as_signed().shl_var(left));
    let m1 = stage("m", multiplier.as_signed());
    let r1 = stage("r1", right);
    // [2] the product in carry-save form: no carry chain in this stage.
    let (sum, carry) = carry_save_product(m, &format!("l{i}_mul"), a, m1);
    let mut stage =
        |name: &str, v: Expr| -> Sig { m.stage_en(&format!("l{i}_{name}"), v, go.clone()) };
    let ps = stage("ps", sum);
    let pc = stage("pc", carry);
    let sat2 = stage(
        "sat2",
        ExprOps::eq(&a, lit(sint(32), i32::MIN as i64))
            & ExprOps::eq(&m1, lit(sint(32), i32::MIN as i64)),
    );
    let r2 = stage("r2", r1.into());
    // [3] the 64-bit product.
    let ab = stage("ab", ps.add_wrap(pc).as_signed());
    let sat3 = stage("sat3", sat2.into());
    let r3 = stage("r3", r2.into());
    // [4] doubling high multiply, rounded; the one overflowing product saturates. A product
    // row keeps the low half instead.
    let rounded = ab
        .add_wrap(lit(sint(64), 1 << 30))
        .slice(62, 31)
        .as_signed();
    let high = mux(sat3, lit(sint(32), i32::MAX as i64), rounded);
    let y = stage(
        "y",
        mux(row.product[2].clone(), ab.slice(31, 0).as_signed(), high),
    );
    let r4 = stage("r4", mux(row.product[2].clone(), zero(uint(6)), r3));
    // [5] rounding offset of the power-of-two divide, in 34 bits.
    let half = ulit(34, 1)
        .shl_var(r4.expr().sub_wrap(ulit(6, 1)))
        .as_signed();
    let offset = mux(
        r4.ne_lit(0),
        half.sub_wrap(y.msb().zext(34).as_signed()),
        zero(sint(34)),
    );
    let s = stage("s", y.sext(34).add_wrap(offset));
    let r5 = stage("r5", r4.into());
    // [6] the divide; the late values of this row registered beside it.
    let q = stage("q", s.shr_var(r5).slice(31, 0).as_signed());
    let zp = stage("zp", zp);
    let min = stage("min", min);
    let max = stage("max", max);
    // [7] zero point, saturating to int32 (a product row passes q).
    let v = q.sext(34).add_wrap(zp.sext(34));
    let int32 = saturate(v, 32);
    let v = stage("v", mux(row.product[5].clone(), q.expr(), int32));
    let min = stage("min7", min.into());
    let max = stage("max7", max.into());
    // [8] the output range; a product row as it is.
    let (min, max) = (min.as_signed(), max.as_signed());
    let v = v.as_signed();
    let clamped = mux(
        v.clone().lt(min.clone()),
        min,
        mux(v.clone().gt(max.clone()), max, v.clone()),
    );
    stage("out", mux(row.product[6].clone(), v, clamped)).into()
}

/// Build the requantiser for `lanes` lanes. Named `requant_l<lanes>`.
pub fn requant(lanes: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("requant_l{lanes}"));
    m.doc(&format!(
        "Requantiser, {lanes} lanes: TFLite MultiplyByQuantizedMultiplier, zero point, clamp.\n\
         Per lane: x (int32), multiplier (Q0.31), shift (-32..31); late, per lane: zero point, min, max.\n\
         Latency {LATENCY} advancing cycles, one row per cycle; every register holds while advance is low."
    ));
    m.unit("vector unit: requantise");
    let input = m.io(&requant_in(lanes), Role::Sink);
    let late = m.io(&requant_late(lanes), Role::Sink);
    let advance = m.input("advance", bit());
    let output = m.io(&requant_out(lanes), Role::Source);
    let go: Expr = advance.into();
    // [0] input registers.
    let x = m.stage_en("x_q", input.field("x"), go.clone());
    let mult = m.stage_en("multiplier_q", input.field("multiplier"), go.clone());
    let shift = m.stage_en("shift_q", input.field("shift"), go.clone());
    let valid = m.valid_chain("valid", input.field("valid"), LATENCY, go.clone());
    // The product flag beside each stage.
    let product: Vec<Expr> = m
        .valid_chain("product", input.field("product"), LATENCY - 1, go.clone())
        .into_iter()
        .skip(1)
        .map(Expr::from)
        .collect();
    let row = RowCtl {
        advance: go,
        product: &product,
    };
    let outs: Vec<Expr> = (0..lanes)
        .map(|i| {
            let input = LaneIn {
                x: lane(x, i, 32),
                multiplier: lane(mult, i, 32),
                shift: lane(shift, i, 6),
                zero_point: lane(late.field("zero_point"), i, 32),
                min: lane(late.field("min"), i, 32),
                max: lane(late.field("max"), i, 32),
            };
            lane_pipeline(&mut m, i, input, &row).as_unsigned()
        })
        .collect();
    m.assign(output.field("valid"), valid[LATENCY as usize - 1]);
    m.assign(output.field("y"), from_lanes(outs));
    m.finish()
}
