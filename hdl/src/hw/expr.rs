//! Typed expressions.
//!
//! Every expression knows its width and signedness when it is built. The rules are strict
//! on purpose, so that what the Rust says is what the gates do:
//! - add and subtract either grow by one bit ([`ExprOps::add`]) or keep the wider operand's
//!   width and wrap ([`ExprOps::add_wrap`]); multiply always produces the full product width;
//! - arithmetic and comparison operands must agree in signedness (convert explicitly with
//!   [`ExprOps::as_signed`] / [`ExprOps::as_unsigned`]);
//! - bitwise operands and the arms of a mux must have equal widths;
//! - operands are extended to the operation's width when the expression is built, so the
//!   emitter never relies on Verilog's context-dependent sizing.
//!
//! Building an ill-typed expression does not panic: it yields an invalid expression carrying
//! the reason, and [`ModuleBuilder::finish`](super::ModuleBuilder::finish) reports it with the
//! module and the signal it was meant to drive.

use std::sync::Arc;

use super::bits::Bits;
use super::signal::{bit, sint, uint, Sig, Ty};

/// A typed expression tree. Cloning is cheap (shared nodes).
#[derive(Clone, Debug)]
pub struct Expr(pub(crate) Arc<Node>);

#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub ty: Ty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogicOp {
    And,
    Or,
    Xor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Or,
    And,
    Xor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShiftDir {
    Left,
    Right,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Sig(Sig),
    Const(Bits),
    Not(Expr),
    Reduce(ReduceOp, Expr),
    Logic(LogicOp, Expr, Expr),
    /// Operands already extended to the node's width.
    Arith(ArithOp, Expr, Expr),
    /// Operands already extended to a common width; signedness from the operands.
    Cmp(CmpOp, Expr, Expr),
    Mux(Expr, Expr, Expr),
    /// Most significant part first, as in Verilog.
    Concat(Vec<Expr>),
    /// Bits `hi..=lo` of the operand.
    Slice(Expr, u32, u32),
    /// The operand extended to the node's width according to the operand's signedness.
    Extend(Expr),
    /// Same bits, signedness reinterpreted.
    Cast(Expr),
    /// Shift by a constant; right shifts are arithmetic on signed operands. Width kept.
    ShiftConst(ShiftDir, Expr, u32),
    /// Shift by an unsigned amount; right shifts are arithmetic on signed operands. Width kept.
    ShiftVar(ShiftDir, Expr, Expr),
    Invalid(String),
}

impl Expr {
    pub(crate) fn new(kind: Kind, ty: Ty) -> Expr {
        Expr(Arc::new(Node { kind, ty }))
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Expr {
        Expr::new(Kind::Invalid(msg.into()), uint(0))
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    pub fn ty(&self) -> Ty {
        self.0.ty
    }

    pub fn width(&self) -> u32 {
        self.0.ty.width
    }

    pub fn is_signed(&self) -> bool {
        self.0.ty.signed
    }

    /// The reason this expression is ill-typed, if it is (first problem found).
    pub fn problem(&self) -> Option<&str> {
        match self.kind() {
            Kind::Invalid(m) => Some(m),
            _ => None,
        }
    }

    /// The signal if this expression is exactly one signal.
    pub fn as_sig(&self) -> Option<Sig> {
        match self.kind() {
            Kind::Sig(s) => Some(*s),
            _ => None,
        }
    }

    pub(crate) fn as_const(&self) -> Option<&Bits> {
        match self.kind() {
            Kind::Const(b) => Some(b),
            _ => None,
        }
    }

    /// Direct sub-expressions.
    pub(crate) fn children(&self) -> Vec<&Expr> {
        match self.kind() {
            Kind::Sig(_) | Kind::Const(_) | Kind::Invalid(_) => vec![],
            Kind::Not(a)
            | Kind::Reduce(_, a)
            | Kind::Slice(a, _, _)
            | Kind::Extend(a)
            | Kind::Cast(a)
            | Kind::ShiftConst(_, a, _) => vec![a],
            Kind::Logic(_, a, b)
            | Kind::Arith(_, a, b)
            | Kind::Cmp(_, a, b)
            | Kind::ShiftVar(_, a, b) => vec![a, b],
            Kind::Mux(c, a, b) => vec![c, a, b],
            Kind::Concat(parts) => parts.iter().collect(),
        }
    }

    /// Every signal this expression reads, in first-use order, each once.
    pub fn signals(&self) -> Vec<Sig> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Kind::Sig(s) = e.kind() {
                if !out.contains(s) {
                    out.push(*s);
                }
            }
        });
        out
    }

    /// Identity of this node: shared sub-expressions are one node (one `Arc`).
    pub(crate) fn id(&self) -> *const Node {
        Arc::as_ptr(&self.0)
    }

    /// Visit every distinct node once, parents before children. Expressions are graphs (a
    /// node may feed many others), so the walk remembers what it has seen and stays linear.
    pub(crate) fn visit(&self, f: &mut impl FnMut(&Expr)) {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if !seen.insert(e.id()) {
                continue;
            }
            f(e);
            let children = e.children();
            stack.extend(children.into_iter().rev());
        }
    }

    /// First invalid node, if any.
    pub(crate) fn first_problem(&self) -> Option<String> {
        let mut found = None;
        self.visit(&mut |e| {
            if found.is_none() {
                if let Kind::Invalid(m) = e.kind() {
                    found = Some(m.clone());
                }
            }
        });
        found
    }
}

impl From<Sig> for Expr {
    fn from(s: Sig) -> Expr {
        Expr::new(Kind::Sig(s), s.ty)
    }
}

impl From<&Sig> for Expr {
    fn from(s: &Sig) -> Expr {
        Expr::from(*s)
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

impl From<Bits> for Expr {
    fn from(b: Bits) -> Expr {
        let ty = uint(b.width());
        Expr::new(Kind::Const(b), ty)
    }
}

/// Constant of type `ty` holding `value` (two's complement for negative values).
/// A value that does not fit gives an invalid expression naming it.
pub fn lit(ty: Ty, value: i64) -> Expr {
    let bits = if ty.signed || value < 0 {
        if ty.signed {
            Bits::from_i64(ty.width, value)
        } else {
            Err(super::bits::BitsError {
                value: value.to_string(),
                width: ty.width,
                kind: "unsigned",
            })
        }
    } else {
        Bits::from_u64(ty.width, value as u64)
    };
    match bits {
        Ok(b) => Expr::new(Kind::Const(b), ty),
        Err(e) => Expr::invalid(format!("constant: {e}")),
    }
}

/// Unsigned constant of `width` bits.
pub fn ulit(width: u32, value: u64) -> Expr {
    match Bits::from_u64(width, value) {
        Ok(b) => Expr::new(Kind::Const(b), uint(width)),
        Err(e) => Expr::invalid(format!("constant: {e}")),
    }
}

/// Zero of the given type.
pub fn zero(ty: Ty) -> Expr {
    Expr::new(Kind::Const(Bits::zero(ty.width)), ty)
}

/// `cond ? a : b`. `cond` must be one bit, the arms equally wide.
pub fn mux(cond: impl Into<Expr>, a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
    let (c, a, b) = (cond.into(), a.into(), b.into());
    if let Some(bad) = first_invalid(&[&c, &a, &b]) {
        return bad;
    }
    if c.width() != 1 {
        return Expr::invalid(format!("mux condition is {} bits, must be 1", c.width()));
    }
    if a.width() != b.width() {
        return Expr::invalid(format!(
            "mux arms differ in width: {} bits and {} bits",
            a.width(),
            b.width()
        ));
    }
    let ty = Ty {
        width: a.width(),
        signed: a.is_signed() && b.is_signed(),
    };
    Expr::new(Kind::Mux(c, a, b), ty)
}

/// Concatenation, most significant part first (as Verilog `{a, b}`).
pub fn cat<I, E>(parts: I) -> Expr
where
    I: IntoIterator<Item = E>,
    E: Into<Expr>,
{
    let parts: Vec<Expr> = parts.into_iter().map(Into::into).collect();
    if let Some(bad) = first_invalid(&parts.iter().collect::<Vec<_>>()) {
        return bad;
    }
    if parts.is_empty() {
        return Expr::invalid("concatenation of nothing");
    }
    if parts.len() == 1 {
        return parts[0].as_unsigned();
    }
    let width = parts.iter().map(|p| p.width()).sum();
    Expr::new(Kind::Concat(parts), uint(width))
}

fn first_invalid(es: &[&Expr]) -> Option<Expr> {
    es.iter()
        .find(|e| matches!(e.kind(), Kind::Invalid(_)))
        .map(|e| (*e).clone())
}

fn same_sign(op: &str, a: &Expr, b: &Expr) -> Option<Expr> {
    (a.is_signed() != b.is_signed()).then(|| {
        Expr::invalid(format!(
            "`{op}` mixes {} and {} operands; convert one with as_signed()/as_unsigned()",
            a.ty(),
            b.ty()
        ))
    })
}

/// Operations on anything that reads as an expression (signals and expressions).
pub trait ExprOps: Sized {
    fn expr(&self) -> Expr;

    /// Bitwise AND; equal widths.
    fn and(&self, b: impl Into<Expr>) -> Expr {
        logic(LogicOp::And, "&", self.expr(), b.into())
    }

    /// Bitwise OR; equal widths.
    fn or(&self, b: impl Into<Expr>) -> Expr {
        logic(LogicOp::Or, "|", self.expr(), b.into())
    }

    /// Bitwise XOR; equal widths.
    fn xor(&self, b: impl Into<Expr>) -> Expr {
        logic(LogicOp::Xor, "^", self.expr(), b.into())
    }

    /// Bitwise NOT.
    fn not(&self) -> Expr {
        let a = self.expr();
        if a.problem().is_some() {
            return a;
        }
        let ty = a.ty();
        Expr::new(Kind::Not(a), ty)
    }

    /// Sum one bit wider than the wider operand: never overflows.
    fn add(&self, b: impl Into<Expr>) -> Expr {
        grow(ArithOp::Add, "+", self.expr(), b.into())
    }

    /// Difference one bit wider than the wider operand.
    fn sub(&self, b: impl Into<Expr>) -> Expr {
        grow(ArithOp::Sub, "-", self.expr(), b.into())
    }

    /// Sum at the wider operand's width, wrapping modulo 2^width.
    fn add_wrap(&self, b: impl Into<Expr>) -> Expr {
        wrap(ArithOp::Add, "+", self.expr(), b.into())
    }

    /// Difference at the wider operand's width, wrapping modulo 2^width.
    fn sub_wrap(&self, b: impl Into<Expr>) -> Expr {
        wrap(ArithOp::Sub, "-", self.expr(), b.into())
    }

    /// Full-width product (`wa + wb` bits), signed or unsigned by the operands.
    fn mul(&self, b: impl Into<Expr>) -> Expr {
        let (a, b) = (self.expr(), b.into());
        if let Some(bad) = first_invalid(&[&a, &b]).or_else(|| same_sign("*", &a, &b)) {
            return bad;
        }
        let ty = Ty {
            width: a.width() + b.width(),
            signed: a.is_signed(),
        };
        Expr::new(
            Kind::Arith(ArithOp::Mul, a.ext(ty.width), b.ext(ty.width)),
            ty,
        )
    }

    /// `self + 1`, wrapping, same width.
    fn inc(&self) -> Expr {
        let a = self.expr();
        let one = lit(a.ty(), 1);
        a.add_wrap(one)
    }

    /// `self - 1`, wrapping, same width.
    fn dec(&self) -> Expr {
        let a = self.expr();
        let one = lit(a.ty(), 1);
        a.sub_wrap(one)
    }

    fn eq(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Eq, "==", self.expr(), b.into())
    }

    fn ne(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Ne, "!=", self.expr(), b.into())
    }

    fn lt(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Lt, "<", self.expr(), b.into())
    }

    fn le(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Le, "<=", self.expr(), b.into())
    }

    fn gt(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Gt, ">", self.expr(), b.into())
    }

    fn ge(&self, b: impl Into<Expr>) -> Expr {
        cmp(CmpOp::Ge, ">=", self.expr(), b.into())
    }

    /// Compare with a constant of this expression's own type.
    fn eq_lit(&self, v: i64) -> Expr {
        let a = self.expr();
        let c = lit(a.ty(), v);
        a.eq(c)
    }

    /// Compare with a constant of this expression's own type.
    fn ne_lit(&self, v: i64) -> Expr {
        let a = self.expr();
        let c = lit(a.ty(), v);
        a.ne(c)
    }

    /// Bits `hi..=lo`, unsigned.
    fn slice(&self, hi: u32, lo: u32) -> Expr {
        let a = self.expr();
        if a.problem().is_some() {
            return a;
        }
        if lo > hi || hi >= a.width() {
            return Expr::invalid(format!(
                "slice [{hi}:{lo}] outside a {}-bit value",
                a.width()
            ));
        }
        if lo == 0 && hi + 1 == a.width() {
            return a.as_unsigned();
        }
        if let Some(b) = a.as_const() {
            return Expr::from(b.slice(lo, hi - lo + 1));
        }
        // Push the slice towards the signals, so that Verilog never needs a temporary wire
        // holding bits nobody reads (Verilog-2005 cannot slice an expression).
        let w = hi - lo + 1;
        match a.kind() {
            Kind::Slice(inner, _, l0) => return inner.slice(hi + l0, lo + l0),
            Kind::Cast(inner) => return inner.slice(hi, lo),
            Kind::Extend(inner) if hi < inner.width() => return inner.slice(hi, lo),
            Kind::Extend(inner) if lo == 0 => return inner.ext(w).as_unsigned(),
            Kind::ShiftConst(ShiftDir::Right, inner, n)
                if !inner.is_signed() && hi + n < inner.width() =>
            {
                return inner.slice(hi + n, lo + n)
            }
            Kind::ShiftConst(ShiftDir::Left, inner, n) if lo >= *n => {
                return inner.slice(hi - n, lo - n)
            }
            Kind::Not(inner) => return !inner.slice(hi, lo),
            Kind::Logic(op, x, y) => {
                return Expr::new(Kind::Logic(*op, x.slice(hi, lo), y.slice(hi, lo)), uint(w))
            }
            Kind::Mux(c, x, y) => return mux(c.clone(), x.slice(hi, lo), y.slice(hi, lo)),
            Kind::Arith(op, x, y) if lo == 0 => {
                // The low bits of a sum, difference or product depend only on the low bits.
                return Expr::new(
                    Kind::Arith(
                        *op,
                        x.slice(hi, 0).as_unsigned(),
                        y.slice(hi, 0).as_unsigned(),
                    ),
                    uint(w),
                );
            }
            Kind::Concat(parts) => {
                // Parts are most significant first; keep the bits of each part in [lo, hi].
                let mut at = a.width();
                let mut keep = Vec::new();
                for p in parts {
                    let (p_hi, p_lo) = (at - 1, at - p.width());
                    at = p_lo;
                    if p_lo > hi || p_hi < lo {
                        continue;
                    }
                    keep.push(p.slice(p_hi.min(hi) - p_lo, p_lo.max(lo) - p_lo));
                }
                return if keep.len() == 1 {
                    keep.pop().expect("one part")
                } else {
                    cat(keep)
                };
            }
            _ => {}
        }
        Expr::new(Kind::Slice(a, hi, lo), uint(w))
    }

    /// Bit `i`.
    fn bit(&self, i: u32) -> Expr {
        self.slice(i, i)
    }

    /// The most significant bit (the sign bit of a signed value).
    fn msb(&self) -> Expr {
        let a = self.expr();
        let w = a.width();
        if w == 0 {
            return a;
        }
        a.bit(w - 1)
    }

    /// Extend to `width` bits by this value's signedness (sign- or zero-extension).
    fn ext(&self, width: u32) -> Expr {
        let a = self.expr();
        if a.problem().is_some() {
            return a;
        }
        if width < a.width() {
            return Expr::invalid(format!(
                "cannot extend a {}-bit value to {width} bits; use trunc()",
                a.width()
            ));
        }
        if width == a.width() {
            return a;
        }
        let ty = Ty {
            width,
            signed: a.is_signed(),
        };
        if let Some(b) = a.as_const() {
            let v = if a.is_signed() {
                let mut out = Bits::zero(width);
                out.set_slice(0, b);
                for i in b.width()..width {
                    out.set_bit(i, b.bit(b.width() - 1));
                }
                out
            } else {
                let mut out = Bits::zero(width);
                out.set_slice(0, b);
                out
            };
            return Expr::new(Kind::Const(v), ty);
        }
        Expr::new(Kind::Extend(a), ty)
    }

    /// Sign-extend to `width` bits (result signed).
    fn sext(&self, width: u32) -> Expr {
        self.expr().as_signed().ext(width)
    }

    /// Zero-extend to `width` bits (result unsigned).
    fn zext(&self, width: u32) -> Expr {
        self.expr().as_unsigned().ext(width)
    }

    /// Keep the low `width` bits; signedness kept.
    fn trunc(&self, width: u32) -> Expr {
        let a = self.expr();
        if a.problem().is_some() {
            return a;
        }
        if width == 0 || width > a.width() {
            return Expr::invalid(format!(
                "cannot truncate a {}-bit value to {width} bits",
                a.width()
            ));
        }
        let s = a.slice(width - 1, 0);
        if a.is_signed() {
            s.as_signed()
        } else {
            s
        }
    }

    /// Extend or truncate to `width` bits.
    fn resize(&self, width: u32) -> Expr {
        let a = self.expr();
        if width >= a.width() {
            a.ext(width)
        } else {
            a.trunc(width)
        }
    }

    /// Same bits read as two's complement.
    fn as_signed(&self) -> Expr {
        cast(self.expr(), true)
    }

    /// Same bits read as unsigned.
    fn as_unsigned(&self) -> Expr {
        cast(self.expr(), false)
    }

    /// Shift left by a constant, growing by `n` bits (no bit is lost).
    fn shl(&self, n: u32) -> Expr {
        let a = self.expr();
        if a.problem().is_some() || n == 0 {
            return a;
        }
        let c = cat([a.clone(), zero(uint(n))]);
        if a.is_signed() {
            c.as_signed()
        } else {
            c
        }
    }

    /// Shift right by a constant, same width; arithmetic for signed values.
    fn shr(&self, n: u32) -> Expr {
        let a = self.expr();
        if a.problem().is_some() || n == 0 {
            return a;
        }
        if n >= a.width() {
            return Expr::invalid(format!(
                "shift right by {n} of a {}-bit value leaves nothing",
                a.width()
            ));
        }
        let ty = a.ty();
        Expr::new(Kind::ShiftConst(ShiftDir::Right, a, n), ty)
    }

    /// Shift left by an unsigned amount, same width (bits shifted out are lost).
    fn shl_var(&self, amount: impl Into<Expr>) -> Expr {
        shift_var(ShiftDir::Left, self.expr(), amount.into())
    }

    /// Shift right by an unsigned amount, same width; arithmetic for signed values.
    fn shr_var(&self, amount: impl Into<Expr>) -> Expr {
        shift_var(ShiftDir::Right, self.expr(), amount.into())
    }

    fn reduce_or(&self) -> Expr {
        reduce(ReduceOp::Or, self.expr())
    }

    fn reduce_and(&self) -> Expr {
        reduce(ReduceOp::And, self.expr())
    }

    fn reduce_xor(&self) -> Expr {
        reduce(ReduceOp::Xor, self.expr())
    }

    /// `n` copies side by side.
    fn repeat(&self, n: u32) -> Expr {
        let a = self.expr();
        if n == 0 {
            return Expr::invalid("repeat zero times");
        }
        cat((0..n).map(|_| a.clone()))
    }
}

impl ExprOps for Expr {
    fn expr(&self) -> Expr {
        self.clone()
    }
}

impl ExprOps for Sig {
    fn expr(&self) -> Expr {
        Expr::from(*self)
    }
}

fn logic(op: LogicOp, sym: &str, a: Expr, b: Expr) -> Expr {
    if let Some(bad) = first_invalid(&[&a, &b]) {
        return bad;
    }
    if a.width() != b.width() {
        return Expr::invalid(format!(
            "`{sym}` operands differ in width: {} bits and {} bits",
            a.width(),
            b.width()
        ));
    }
    let ty = Ty {
        width: a.width(),
        signed: a.is_signed() && b.is_signed(),
    };
    Expr::new(Kind::Logic(op, a, b), ty)
}

fn grow(op: ArithOp, sym: &str, a: Expr, b: Expr) -> Expr {
    if let Some(bad) = first_invalid(&[&a, &b]).or_else(|| same_sign(sym, &a, &b)) {
        return bad;
    }
    let ty = Ty {
        width: a.width().max(b.width()) + 1,
        signed: a.is_signed(),
    };
    Expr::new(Kind::Arith(op, a.ext(ty.width), b.ext(ty.width)), ty)
}

fn wrap(op: ArithOp, sym: &str, a: Expr, b: Expr) -> Expr {
    if let Some(bad) = first_invalid(&[&a, &b]).or_else(|| same_sign(sym, &a, &b)) {
        return bad;
    }
    let ty = Ty {
        width: a.width().max(b.width()),
        signed: a.is_signed(),
    };
    Expr::new(Kind::Arith(op, a.ext(ty.width), b.ext(ty.width)), ty)
}

fn cmp(op: CmpOp, sym: &str, a: Expr, b: Expr) -> Expr {
    if let Some(bad) = first_invalid(&[&a, &b]).or_else(|| same_sign(sym, &a, &b)) {
        return bad;
    }
    let w = a.width().max(b.width());
    Expr::new(Kind::Cmp(op, a.ext(w), b.ext(w)), bit())
}

fn cast(a: Expr, signed: bool) -> Expr {
    if a.problem().is_some() || a.is_signed() == signed {
        return a;
    }
    let ty = Ty {
        width: a.width(),
        signed,
    };
    if let Some(b) = a.as_const() {
        return Expr::new(Kind::Const(b.clone()), ty);
    }
    // A cast of a cast is the inner value read the other way.
    if let Kind::Cast(inner) = a.kind() {
        if inner.is_signed() == signed {
            return inner.clone();
        }
    }
    Expr::new(Kind::Cast(a), ty)
}

fn shift_var(dir: ShiftDir, a: Expr, amount: Expr) -> Expr {
    if let Some(bad) = first_invalid(&[&a, &amount]) {
        return bad;
    }
    if amount.is_signed() {
        return Expr::invalid("shift amount must be unsigned");
    }
    let ty = a.ty();
    Expr::new(Kind::ShiftVar(dir, a, amount), ty)
}

fn reduce(op: ReduceOp, a: Expr) -> Expr {
    if a.problem().is_some() {
        return a;
    }
    if a.width() == 1 {
        return a.as_unsigned();
    }
    Expr::new(Kind::Reduce(op, a), bit())
}

macro_rules! bitwise_ops {
    ($($t:ty),*) => {$(
        impl<R: Into<Expr>> std::ops::BitAnd<R> for $t {
            type Output = Expr;
            fn bitand(self, rhs: R) -> Expr { ExprOps::and(&self, rhs) }
        }
        impl<R: Into<Expr>> std::ops::BitOr<R> for $t {
            type Output = Expr;
            fn bitor(self, rhs: R) -> Expr { ExprOps::or(&self, rhs) }
        }
        impl<R: Into<Expr>> std::ops::BitXor<R> for $t {
            type Output = Expr;
            fn bitxor(self, rhs: R) -> Expr { ExprOps::xor(&self, rhs) }
        }
        impl std::ops::Not for $t {
            type Output = Expr;
            fn not(self) -> Expr { ExprOps::not(&self) }
        }
    )*};
}
bitwise_ops!(Expr, Sig);

impl<R: Into<Expr>> std::ops::BitAnd<R> for &Expr {
    type Output = Expr;
    fn bitand(self, rhs: R) -> Expr {
        ExprOps::and(self, rhs)
    }
}

impl std::ops::Not for &Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        ExprOps::not(self)
    }
}

/// Signed constant helper: `slit(8, -128)`.
pub fn slit(width: u32, value: i64) -> Expr {
    lit(sint(width), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(index: u32, ty: Ty) -> Sig {
        Sig {
            owner: 1,
            index,
            ty,
        }
    }

    #[test]
    fn widths_follow_the_rules() {
        let a = sig(0, sint(8));
        let b = sig(1, sint(8));
        let c = sig(2, sint(20));
        assert_eq!(a.mul(b).ty(), sint(16));
        assert_eq!(a.add(b).ty(), sint(9));
        assert_eq!(a.add_wrap(b).ty(), sint(8));
        assert_eq!(c.add_wrap(a.mul(b)).ty(), sint(20));
        assert_eq!(a.lt(c).ty(), bit());
        assert_eq!(cat([a, b]).ty(), uint(16));
        assert_eq!(a.slice(3, 0).ty(), uint(4));
        assert_eq!(a.sext(12).ty(), sint(12));
        assert_eq!(a.shl(2).ty(), sint(10));
    }

    #[test]
    fn ill_typed_expressions_carry_a_reason() {
        let a = sig(0, sint(8));
        let u = sig(1, uint(8));
        let w = sig(2, uint(9));
        assert!(a.add(u).problem().unwrap().contains("mixes s8 and u8"));
        assert!((u & w).problem().unwrap().contains("8 bits and 9 bits"));
        assert!(u.slice(8, 0).problem().unwrap().contains("outside"));
        assert!(mux(u, u, u).problem().unwrap().contains("condition"));
        assert!(lit(uint(4), 16).problem().unwrap().contains("does not fit"));
        // Problems propagate through later operations.
        assert!(a.add(u).add_wrap(a).problem().is_some());
    }

    #[test]
    fn constants_fold_through_extension_and_slices() {
        let e = slit(8, -2).ext(16);
        assert_eq!(e.as_const().unwrap().to_hex(), "fffe");
        let s = ulit(8, 0xa5).slice(7, 4);
        assert_eq!(s.as_const().unwrap().to_u64(), Some(0xa));
    }
}
