//! The vector unit's row reductions: one value per row from all its lanes (max, sum, sum of
//! squares), then the `post` step (reciprocal, integer square root, reciprocal square root).
//! Pipelined at one row per cycle and stallable; the reference model is
//! `seedchip_verif::vector::{reduce, apply_post}`.
//!
//! ```text
//!  x (C lanes) -> [1] x, or sat16(x) for squares
//!              -> [2] sat16(x)^2 in carry-save form (or x, carry 0)
//!              -> [3] the lane value: the two added up (40-bit)
//!              -> [tree] pairwise max / add, a level a stage (40-bit)
//!              -> [part] with fewer lanes than a row: the row's beats so far, max / add
//!              -> [s] saturated to int32
//!              -> [isqrt] 8 stages, two root bits each (digit by digit): c = floor(sqrt(s))
//!              -> [recip] 16 stages, two quotient bits each (one in the first):
//!                 q = floor(2^k / u) (u = c for rsqrt, s for recip; INT32_MAX when u <= 0 or
//!                 q >= 2^31)
//!              -> out: s, c or q by `post`
//! ```
//!
//! Each post step leaves at its own stage (none after the tree, isqrt after the root, recip
//! and rsqrt after the quotient): every row of an instruction takes the same way, and the
//! vector unit starts the next instruction only when the last row is out, so rows never
//! overtake each other. Both post steps keep their remainders narrow (at most 31 bits) and
//! find each result bit with one subtractor whose borrow is the comparison; two bits a stage
//! are two such subtractors in a row, which fit the clock period and halve the registers.
//!
//! When the vector unit has fewer lanes than a row has values, a row comes in beats (`first`
//! marks its first, `last` its last): the tree reduces each beat, and the 40-bit partial
//! `part` gathers the beats (a max, or an exact sum: 256 values of int32 or of int16 squared
//! stay below 2^39), so the saturation comes once, at the end, as the model's does.

use super::vector_isa::{Post, VectorOp};
use crate::hw::*;

/// Stages of the integer square root (two of its 16 result bits each).
const ISQRT_STAGES: u32 = 8;
/// Stages of the reciprocal (quotient bit 30, then two bits each down to bit 0).
const RECIP_STAGES: u32 = 16;

/// Tree stages for `lanes` lanes (one level of the pairwise tree per stage: a 40-bit compare
/// and an add side by side, then the choice, fill a clock period).
fn tree_stages(lanes: u32) -> u32 {
    clog2(lanes as u64)
}

/// Register stages from a row on `in` (its last beat, when it comes in beats) to its value on
/// `out`: the lane stages, the tree, the partial (in beats only) and the saturation, then the
/// square root and / or the reciprocal the post step needs.
pub fn latency(lanes: u32, in_beats: bool, post: Post) -> u32 {
    let reduced = 3 + tree_stages(lanes) + in_beats as u32 + 1;
    reduced
        + match post {
            Post::None => 0,
            Post::Isqrt => ISQRT_STAGES,
            Post::Recip => RECIP_STAGES,
            Post::Rsqrt => ISQRT_STAGES + RECIP_STAGES,
        }
}

/// The reduction's inputs: a row (or, `in_beats`, a beat of one, with `first` and `last`)
/// when `valid` (and `advance`); `op`, `post` and `k` hold for the whole instruction.
pub fn reduce_in(lanes: u32, in_beats: bool) -> Bundle {
    let b = Bundle::plain("in")
        .field("valid", bit())
        .field("x", uint(lanes * 32));
    if in_beats {
        b.field("first", bit()).field("last", bit())
    } else {
        b
    }
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

/// Build the reduction unit for `lanes` lanes, taking rows in beats when `in_beats`. Named
/// `vector_reduce_l<lanes>`, `_b` for beats.
pub fn vector_reduce(lanes: u32, in_beats: bool) -> Result<ModuleRef, ModuleError> {
    let suffix = if in_beats { "_b" } else { "" };
    let mut m = ModuleBuilder::new(format!("vector_reduce_l{lanes}{suffix}"));
    m.doc(&format!(
        "Row reductions, {lanes} lanes{}: max, sum, sum of squares, then reciprocal / square root.\n\
         Latency {} to {} advancing cycles by the post step, one {} per cycle.",
        if in_beats { " (rows in beats)" } else { "" },
        latency(lanes, in_beats, Post::None),
        latency(lanes, in_beats, Post::Rsqrt),
        if in_beats { "beat" } else { "row" },
    ));
    m.unit("vector unit: reductions");
    let input = m.io(&reduce_in(lanes, in_beats), Role::Sink);
    let ctl = m.io(&reduce_ctl(), Role::Sink);
    let advance = m.input("advance", bit());
    let output = m.io(&reduce_out(), Role::Source);
    let go: Expr = advance.into();
    let op = ctl.field("op");
    let is = |o: VectorOp| op.eq_lit(o.code() as i64);
    let (is_max, is_sumsq) = (is(VectorOp::Rmax), is(VectorOp::Rsumsq));
    let tree_end = 3 + tree_stages(lanes);
    let valid = m.valid_chain("valid", input.field("valid"), tree_end, go.clone());

    // [1] each lane (saturated to int16 for squares); [2] its square in carry-save form, or
    // the lane itself with a zero carry; [3] the lane value, 40 bits signed (wide enough for
    // 256 squares of int16). Plain and square values share the registers.
    let xs = lanes_of(input.field("x"), lanes);
    let values: Vec<Expr> = xs
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let x1 = mux(is_sumsq.clone(), saturate(x.clone(), 16).sext(32), x);
            let x1 = m.stage_en(&format!("lane{i}_x1"), x1.as_unsigned(), go.clone());
            let x16 = x1.slice(15, 0).as_signed();
            let (sum, carry) = carry_save_product(&mut m, &format!("sq{i}"), x16.clone(), x16);
            let sum = mux(is_sumsq.clone(), sum, Expr::from(x1));
            let carry = mux(is_sumsq.clone(), carry, zero(uint(32)));
            let sum = m.stage_en(&format!("lane{i}_ss"), sum, go.clone());
            let carry = m.stage_en(&format!("lane{i}_sc"), carry, go.clone());
            let added = sum.add_wrap(carry);
            // A square is below 2^30: zero- and sign-extension agree on it.
            let v = added.as_signed().sext(40);
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
    let tree = level.pop().expect("one lane at least");
    let tree_valid: Expr = valid[tree_end as usize - 1].into();
    let (value, value_valid) = if in_beats {
        // [part] the beats so far: the first beat starts it, the last one completes the row.
        let first = m.delay_en("first", input.field("first"), tree_end, go.clone());
        let last = m.delay_en("last", input.field("last"), tree_end, go.clone());
        let part = m.data_reg("part", tree.ty());
        let both = mux(
            is_max.clone(),
            mux(part.gt(tree.clone()), Expr::from(part), tree.clone()),
            part.add_wrap(tree.clone()),
        );
        m.next_en(
            part,
            tree_valid.clone() & go.clone(),
            mux(first, tree, both),
        );
        let part_valid = m.reg("part_valid", bit(), 0);
        m.next_en(part_valid, go.clone(), tree_valid & last);
        m.comment(part_valid, "part holds a whole row");
        (Expr::from(part), Expr::from(part_valid))
    } else {
        (tree, tree_valid)
    };
    let s = m.stage_en("s", saturate(value, 32), go.clone());
    let s_valid_reg = m.reg("s_valid", bit(), 0);
    m.next_en(s_valid_reg, go.clone(), value_valid);
    let s_valid: Expr = s_valid_reg.into();

    let post = ctl.field("post");
    let is_post = |p: Post| post.eq_lit(p as i64);
    let (root, root_valid) = isqrt(&mut m, &s, s_valid.clone(), &is_post, &go);
    // [recip] u = the root (rsqrt, entering after the square root) or s (recip, entering
    // straight after the tree). Rows of one instruction all take the same way, and the next
    // instruction starts when the last row is out, so the ways never mix.
    let u = mux(is_post(Post::Rsqrt), root.zext(32), s.expr()).as_signed();
    let u_valid = mux(
        is_post(Post::Rsqrt),
        root_valid.clone(),
        s_valid.clone() & is_post(Post::Recip),
    );
    let (quotient, recip_valid) = recip(&mut m, u, u_valid, ctl.field("k").into(), &go);
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
        mux(
            none,
            s.expr().as_unsigned(),
            mux(isqrt, root.zext(32), quotient),
        ),
    );
    m.finish()
}

/// `t - d` when it does not go below zero: (whether it fits, `t - d` or `t`), at `t`'s width.
/// One subtractor: its borrow is the comparison.
fn try_subtract(t: Expr, d: Expr) -> (Expr, Expr) {
    let width = t.width();
    let diff = t.clone().sub(d.zext(width));
    let fits = !diff.msb();
    (fits.clone(), mux(fits, diff.slice(width - 1, 0), t))
}

/// The result bits found so far (most significant first) with `bit` appended.
fn append_bit(bits: Option<Expr>, bit: Expr) -> Expr {
    match bits {
        Some(bits) => cat([bits, bit]),
        None => bit,
    }
}

/// [isqrt] c = floor(sqrt(s)) (0 when s <= 0), digit by digit: a root bit a step, two steps a
/// stage. Before the step for root bit j the root has n = 15 - j bits and the remainder r
/// (below 2 * root + 1) n + 1: r = 4r + the radicand's next two bits; the bit is 1 when
/// 4 * root + 1 fits in r. Each stage keeps only the radicand bits still to come.
fn isqrt(
    m: &mut ModuleBuilder,
    s: &Sig,
    s_valid: Expr,
    is_post: &impl Fn(Post) -> Expr,
    go: &Expr,
) -> (Expr, Expr) {
    let positive = s.gt(lit(sint(32), 0));
    let mut rest: Expr = mux(positive, s.as_unsigned(), zero(uint(32)));
    let mut rem: Expr = zero(uint(1));
    let mut root: Option<Expr> = None;
    for stage in 0..ISQRT_STAGES {
        for step in 0..2 {
            let j = 15 - (2 * stage + step);
            let n = 15 - j;
            let t = cat([rem.resize(n + 1), rest.slice(2 * j + 1, 2 * j)]);
            let trial = match &root {
                Some(root) => cat([root.clone(), ulit(2, 1)]),
                None => ulit(2, 1),
            };
            let (fits, next) = try_subtract(t, trial);
            rem = next.resize(n + 2);
            root = Some(append_bit(root, fits));
        }
        let j = 15 - (2 * stage + 1);
        let last = stage + 1 == ISQRT_STAGES;
        if !last {
            rest = m
                .stage_en(
                    &format!("sq{stage}_rest"),
                    rest.slice(2 * j - 1, 0),
                    go.clone(),
                )
                .into();
            rem = m
                .stage_en(&format!("sq{stage}_rem"), rem, go.clone())
                .into();
        }
        let bits = root.expect("two bits a stage");
        root = Some(
            m.stage_en(&format!("sq{stage}_root"), bits, go.clone())
                .into(),
        );
    }
    // Only rows whose post step needs a stage enter its valid chain: a row of an instruction
    // that left earlier must not come out again later.
    let valid = m.valid_chain(
        "sq_valid",
        s_valid & (is_post(Post::Isqrt) | is_post(Post::Rsqrt)),
        ISQRT_STAGES,
        go.clone(),
    );
    (
        root.expect("isqrt stages"),
        valid[ISQRT_STAGES as usize - 1].into(),
    )
}

/// [recip] q = floor(2^k / u) by long division, a quotient bit a step, two steps a stage
/// (the first stage one); INT32_MAX when u <= 0 or q >= 2^31. Only the dividend's bits
/// 30..0 give quotient bits: the partial remainder starts at r = 2^k >> 31, below u unless the
/// quotient saturates, so it never needs more than 31 bits (a saturated row's quotient is
/// discarded). Step i: t = 2r + (k == i); the bit is 1 when u fits in t.
fn recip(m: &mut ModuleBuilder, u: Expr, u_valid: Expr, k: Expr, go: &Expr) -> (Expr, Expr) {
    let divisor_all = u.as_unsigned().zext(33);
    let high = mux(
        k.clone().ge(ulit(6, 31)),
        ulit(33, 1).shl_var(k.clone().sub_wrap(ulit(6, 31))),
        zero(uint(33)),
    );
    let mut sat: Expr = u.le(lit(sint(32), 0)) | high.clone().ge(divisor_all);
    let mut divisor: Expr = u.as_unsigned().slice(30, 0);
    let mut rem: Expr = high.slice(30, 0);
    let mut k = k;
    let mut q: Option<Expr> = None;
    let mut bit = 31u32;
    for stage in 0..RECIP_STAGES {
        let steps = if stage == 0 { 1 } else { 2 };
        for _ in 0..steps {
            bit -= 1;
            let t = cat([rem.clone(), k.eq_lit(bit as i64)]);
            let (fits, next) = try_subtract(t, divisor.clone());
            rem = next.slice(30, 0);
            q = Some(append_bit(q, fits));
        }
        let e = go.clone();
        q = Some(
            m.stage_en(&format!("rc{stage}_q"), q.expect("a bit"), e.clone())
                .into(),
        );
        sat = m.stage_en(&format!("rc{stage}_sat"), sat, e.clone()).into();
        if bit > 0 {
            rem = m.stage_en(&format!("rc{stage}_rem"), rem, e.clone()).into();
            divisor = m
                .stage_en(&format!("rc{stage}_u"), divisor, e.clone())
                .into();
            k = m.stage_en(&format!("rc{stage}_k"), k, e).into();
        }
    }
    debug_assert_eq!(bit, 0);
    let valid = m.valid_chain("rc_valid", u_valid, RECIP_STAGES, go.clone());
    let q = q.expect("quotient stages").zext(32);
    (
        mux(sat, ulit(32, i32::MAX as u64), q),
        valid[RECIP_STAGES as usize - 1].into(),
    )
}

/// The `lanes` int32 lanes of a packed row, signed.
fn lanes_of(row: impl ExprOps, lanes: u32) -> Vec<Expr> {
    (0..lanes)
        .map(|i| lane(row.expr(), i, 32).as_signed())
        .collect()
}
