//! The vector unit's row reductions: one value per row from all its lanes (max, sum, sum of
//! squares), then the `post` step (reciprocal, integer square root, reciprocal square root).
//! Pipelined at one row per cycle and stallable; the reference model is
//! `seedchip_verif::vector::{reduce, apply_post}`.
//!
//! ```text
//!  x (C lanes) -> [1] sat16(x)
//!              -> [2] sat16(x)^2 in carry-save form
//!              -> [3] the lane value: x, or the square added up (40-bit)
//!              -> [tree] pairwise max / add, a level a stage, then saturate to int32: s
//!              -> [isqrt] 16 stages, one root bit each (digit by digit): c = floor(sqrt(s))
//!              -> [recip] 31 stages, one quotient bit each: q = floor(2^k / u)
//!                 (u = c for rsqrt, s for recip; INT32_MAX when u <= 0 or q >= 2^31)
//!              -> out: s, c or q by `post`
//! ```
//!
//! Each post step leaves at its own stage (none after the tree, isqrt after the root, recip
//! and rsqrt after the quotient): every row of an instruction takes the same way, and the
//! vector unit starts the next instruction only when the last row is out, so rows never
//! overtake each other. The reciprocal divides the power of two
//! `2^k` by restoring long division, subtracting `u << i` for i = 30 .. 0; `2^k >= u * 2^31`
//! (checked first) would need a 32nd quotient bit and saturates.

use super::vector_isa::{Post, VectorOp};
use crate::hw::*;

/// Stages of the integer square root (one result bit each).
const ISQRT_STAGES: u32 = 16;
/// Stages of the reciprocal (one quotient bit each, bits 30..0).
const RECIP_STAGES: u32 = 31;

/// Tree stages for `lanes` lanes (one level of the pairwise tree per stage: a 40-bit compare
/// and an add side by side, then the choice, fill a clock period).
fn tree_stages(lanes: u32) -> u32 {
    clog2(lanes as u64)
}

/// Register stages from a row on `in` to its value on `out`: the lane stages, the tree and
/// the saturation, then the square root and / or the reciprocal the post step needs.
pub fn latency(lanes: u32, post: Post) -> u32 {
    let reduced = 3 + tree_stages(lanes) + 1;
    reduced
        + match post {
            Post::None => 0,
            Post::Isqrt => ISQRT_STAGES,
            Post::Recip => RECIP_STAGES,
            Post::Rsqrt => ISQRT_STAGES + RECIP_STAGES,
        }
}

/// The reduction's inputs: a row when `valid` (and `advance`); `op`, `post` and `k` hold for
/// the whole instruction.
pub fn reduce_in(lanes: u32) -> Bundle {
    Bundle::plain("in")
        .field("valid", bit())
        .field("x", uint(lanes * 32))
}

/// The instruction's settings.
pub fn reduce_ctl() -> Bundle {
    Bundle::plain("ctl")
        .field("op", uint(5))
        .field("post", uint(2))
        .field("k", uint(6))
}

/// The reduced value, [`latency`] advancing cycles after its row.
pub fn reduce_out() -> Bundle {
    Bundle::plain("out")
        .field("valid", bit())
        .field("value", uint(32))
}

/// Build the reduction unit for `lanes` lanes. Named `vector_reduce_l<lanes>`.
pub fn vector_reduce(lanes: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("vector_reduce_l{lanes}"));
    m.doc(&format!(
        "Row reductions, {lanes} lanes: max, sum, sum of squares, then reciprocal / square root.\n\
         Latency {} to {} advancing cycles by the post step, one row per cycle.",
        latency(lanes, Post::None),
        latency(lanes, Post::Rsqrt)
    ));
    m.unit("vector unit: reductions");
    let input = m.io(&reduce_in(lanes), Role::Sink);
    let ctl = m.io(&reduce_ctl(), Role::Sink);
    let advance = m.input("advance", bit());
    let output = m.io(&reduce_out(), Role::Source);
    let go: Expr = advance.into();
    let op = ctl.field("op");
    let is = |o: VectorOp| op.eq_lit(o.code() as i64);
    let (is_max, is_sumsq) = (is(VectorOp::Rmax), is(VectorOp::Rsumsq));
    let valid = m.valid_chain(
        "valid",
        input.field("valid"),
        latency(lanes, Post::None),
        go.clone(),
    );

    // [1] each lane saturated to int16; [2] its square in carry-save form; [3] the lane
    // value, 40 bits signed (wide enough for 256 squares of int16).
    let xs = lanes_of(input.field("x"), lanes);
    let values: Vec<Expr> = xs
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let x16 = saturate(x.clone(), 16).as_unsigned();
            let x16 = m.stage_en(&format!("lane{i}_x16"), x16, go.clone());
            let plain1 = m.stage_en(&format!("lane{i}_x1"), x, go.clone());
            let (sum, carry) =
                carry_save_product(&mut m, &format!("sq{i}"), x16.as_signed(), x16.as_signed());
            let square_sum = m.stage_en(&format!("lane{i}_ss"), sum, go.clone());
            let square_carry = m.stage_en(&format!("lane{i}_sc"), carry, go.clone());
            let plain = m.stage_en(&format!("lane{i}_x2"), plain1, go.clone());
            let square = square_sum.add_wrap(square_carry).zext(40).as_signed();
            let v = mux(is_sumsq.clone(), square, plain.sext(40));
            Expr::from(m.stage_en(&format!("lane{i}"), v, go.clone()))
        })
        .collect();
    // [tree] pairwise, a level a stage.
    let mut level = values;
    let mut depth = 0u32;
    while level.len() > 1 {
        let next: Vec<Expr> = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => mux(
                    is_max.clone(),
                    mux(a.clone().gt(b.clone()), a.clone(), b.clone()),
                    a.add_wrap(b.clone()),
                ),
                [a] => a.clone(),
                _ => unreachable!("chunks of two"),
            })
            .collect();
        depth += 1;
        level = next
            .into_iter()
            .enumerate()
            .map(|(k, v)| Expr::from(m.stage_en(&format!("tree{depth}_{k}"), v, go.clone())))
            .collect();
    }
    debug_assert_eq!(depth, tree_stages(lanes));
    let sum = level.pop().expect("one lane at least");
    let s = m.stage_en("s", saturate(sum, 32), go.clone());
    let s_valid: Expr = valid[latency(lanes, Post::None) as usize - 1].into();

    let post = ctl.field("post");
    let is_post = |p: Post| post.eq_lit(p as i64);
    // [isqrt] digit by digit: x -= c + d when it fits; c = c / 2 (+ d); d = d / 4.
    let positive = s.gt(lit(sint(32), 0));
    let mut rem: Expr = mux(positive, s.as_unsigned(), zero(uint(32)));
    let mut root: Expr = zero(uint(32));
    for i in 0..ISQRT_STAGES {
        let d = ulit(32, 1u64 << (30 - 2 * i));
        let trial = root.add_wrap(d.clone());
        let fits = rem.ge(trial.clone());
        let next_rem = mux(fits.clone(), rem.sub_wrap(trial), rem.clone());
        let next_root = mux(fits, root.shr(1).add_wrap(d), root.shr(1));
        // The last stage's remainder is not needed.
        if i + 1 < ISQRT_STAGES {
            rem = m
                .stage_en(&format!("sq{i}_rem"), next_rem, go.clone())
                .into();
        }
        root = m
            .stage_en(&format!("sq{i}_root"), next_root, go.clone())
            .into();
    }
    // Only rows whose post step needs a stage enter its valid chain: a row of an instruction
    // that left earlier must not come out again later.
    let root_valid = m.valid_chain(
        "sq_valid",
        s_valid.clone() & (is_post(Post::Isqrt) | is_post(Post::Rsqrt)),
        ISQRT_STAGES,
        go.clone(),
    );
    let root_valid: Expr = root_valid[ISQRT_STAGES as usize - 1].into();
    // [recip] u = the root (rsqrt, entering after the square root) or s (recip, entering
    // straight after the tree). Rows of one instruction all take the same way, and the next
    // instruction starts when the last row is out, so the ways never mix.
    let u = mux(is_post(Post::Rsqrt), root.clone(), s.expr()).as_signed();
    let u_valid = mux(
        is_post(Post::Rsqrt),
        root_valid.clone(),
        s_valid.clone() & is_post(Post::Recip),
    );
    let k = ctl.field("k");
    let power = ulit(64, 1).shl_var(k);
    let u64v = u.clone().as_unsigned().zext(64);
    // Saturates when u <= 0 or 2^k >= u * 2^31.
    let saturate = u.clone().le(lit(sint(32), 0)) | power.clone().ge(u64v.shl(31).trunc(64));
    // Unless saturated, the remainder before bit i's stage is below u * 2^(i+1) < 2^(32+i):
    // each stage keeps only those bits (a saturated row's quotient is discarded anyway), the
    // divisor (u < 2^31) travels in 31 bits, and the quotient holds only the bits found.
    let mut rem: Expr = power.slice(61, 0);
    let mut q: Option<Expr> = None;
    let mut sat: Expr = saturate;
    let mut divisor: Expr = u.as_unsigned().slice(30, 0);
    for i in (0..RECIP_STAGES).rev() {
        let width = 32 + i;
        let here = rem.resize(width);
        let shifted = divisor.zext(width - i).shl(i);
        let fits = here.ge(shifted.clone());
        let next_rem = mux(fits.clone(), here.sub_wrap(shifted), here.clone());
        let next_q = match q {
            Some(q) => cat([q, fits]),
            None => fits,
        };
        let j = RECIP_STAGES - 1 - i;
        q = Some(m.stage_en(&format!("rc{j}_q"), next_q, go.clone()).into());
        sat = m.stage_en(&format!("rc{j}_sat"), sat, go.clone()).into();
        if i > 0 {
            rem = m
                .stage_en(
                    &format!("rc{j}_rem"),
                    next_rem.slice(width - 2, 0),
                    go.clone(),
                )
                .into();
            divisor = m.stage_en(&format!("rc{j}_u"), divisor, go.clone()).into();
        }
    }
    let q = q.expect("quotient stages").zext(32);
    let recip_valid = m.valid_chain("rc_valid", u_valid, RECIP_STAGES, go.clone());
    let recip_valid: Expr = recip_valid[RECIP_STAGES as usize - 1].into();
    let quotient = mux(sat, ulit(32, i32::MAX as u64), q);
    // Each post step's own exit.
    let none = is_post(Post::None);
    let isqrt = is_post(Post::Isqrt);
    let divide = !none.clone() & !isqrt.clone();
    m.assign(
        output.field("valid"),
        (none.clone() & s_valid) | (isqrt.clone() & root_valid) | (divide & recip_valid),
    );
    m.assign(
        output.field("value"),
        mux(none, s.expr().as_unsigned(), mux(isqrt, root, quotient)),
    );
    m.finish()
}

/// The `lanes` int32 lanes of a packed row, signed.
fn lanes_of(row: impl ExprOps, lanes: u32) -> Vec<Expr> {
    (0..lanes)
        .map(|i| lane(row.expr(), i, 32).as_signed())
        .collect()
}
