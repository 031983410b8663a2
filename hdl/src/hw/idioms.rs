//! Small idioms every unit needs: wrapping counters, lanes of packed buses, register arrays
//! and delay lines. They live here, not in chip files.

use super::expr::{cat, lit, mux, zero, Expr, ExprOps};
use super::module::ModuleBuilder;
use super::signal::{bit, uint, Sig, Ty};

/// `value + 1`, wrapping to 0 after `modulus - 1` (any modulus, not only powers of two).
pub fn wrap_inc(value: impl ExprOps, modulus: u32) -> Expr {
    let v = value.expr();
    if modulus.is_power_of_two() && 1u64 << v.width() == modulus as u64 {
        v.inc()
    } else {
        mux(v.eq(lit(v.ty(), modulus as i64 - 1)), zero(v.ty()), v.inc())
    }
}

/// A counter register from 0 to `modulus - 1`.
#[derive(Clone, Debug)]
pub struct Counter {
    /// The count (a constant 0 when `modulus` is 1).
    pub value: Expr,
    /// High when the count is `modulus - 1`.
    pub last: Expr,
}

/// Lanes of a packed bus: lane `i` is bits `w*i + w-1 .. w*i` (lane 0 least significant).
pub fn lanes(bus: impl ExprOps, lane_width: u32) -> Vec<Expr> {
    let b = bus.expr();
    (0..b.width() / lane_width.max(1))
        .map(|i| lane(b.clone(), i, lane_width))
        .collect()
}

/// Lane `i` of a packed bus of `lane_width`-bit lanes.
pub fn lane(bus: impl ExprOps, i: u32, lane_width: u32) -> Expr {
    bus.expr()
        .slice(lane_width * i + lane_width - 1, lane_width * i)
}

/// `v` (read as signed) saturated to a signed `bits`-bit value: the largest or smallest
/// such value when it lies outside their range. `bits` is at most 64 and at most `v`'s width.
pub fn saturate(v: impl ExprOps, bits: u32) -> Expr {
    let v = v.expr().as_signed();
    let w = v.width();
    let hi = lit(super::signal::sint(w), ((1u64 << (bits - 1)) - 1) as i64);
    let lo = lit(super::signal::sint(w), -((1u64 << (bits - 1)) as i64));
    mux(v.gt(hi.clone()), hi, mux(v.lt(lo.clone()), lo, v))
        .trunc(bits)
        .as_signed()
}

/// A packed bus from lanes, lane 0 least significant (the inverse of [`lanes`]).
pub fn from_lanes<E: Into<Expr>>(lanes: impl IntoIterator<Item = E>) -> Expr {
    let mut v: Vec<Expr> = lanes.into_iter().map(Into::into).collect();
    v.reverse();
    cat(v)
}

impl ModuleBuilder {
    /// A counter `name` from 0 to `modulus - 1` that advances at edges where `enable` is high
    /// and wraps to 0 after the last value. Resets to 0.
    pub fn counter(&mut self, name: &str, modulus: u32, enable: impl Into<Expr>) -> Counter {
        if modulus <= 1 {
            return Counter {
                value: zero(uint(1)),
                last: lit(uint(1), 1),
            };
        }
        let width = crate::hw::clog2(modulus as u64);
        let value = self.reg(name, uint(width), 0);
        self.next_en(value, enable, wrap_inc(value, modulus));
        Counter {
            value: value.into(),
            last: value.eq_lit(modulus as i64 - 1),
        }
    }

    /// `n` control registers `name_<i>` of type `ty`, each reset to `reset`.
    pub fn reg_array(&mut self, name: &str, n: u32, ty: Ty, reset: i64) -> Vec<Sig> {
        (0..n)
            .map(|i| self.reg(&format!("{name}_{i}"), ty, reset))
            .collect()
    }

    /// `n` datapath registers `name_<i>` (no reset; never read before written).
    pub fn data_reg_array(&mut self, name: &str, n: u32, ty: Ty) -> Vec<Sig> {
        (0..n)
            .map(|i| self.data_reg(&format!("{name}_{i}"), ty))
            .collect()
    }

    /// `value` delayed by `cycles` datapath registers `name_d0`, `name_d1`, ...
    pub fn delay(&mut self, name: &str, value: impl Into<Expr>, cycles: u32) -> Expr {
        let mut v: Expr = value.into();
        for stage in 0..cycles {
            let q = self.data_reg(&format!("{name}_d{stage}"), v.ty());
            self.next(q, v);
            v = q.into();
        }
        v
    }

    /// A stallable pipeline register `name`: loads `value` at edges where `advance` is high,
    /// holds otherwise. A datapath register (no reset).
    pub fn stage_en(
        &mut self,
        name: &str,
        value: impl Into<Expr>,
        advance: impl Into<Expr>,
    ) -> Sig {
        let v: Expr = value.into();
        let q = self.data_reg(name, v.ty());
        self.next_en(q, advance, v);
        q
    }

    /// `value` delayed by `cycles` stallable pipeline registers `name_d0`, ... (each advancing
    /// with `advance`); `value` itself for zero cycles.
    pub fn delay_en(
        &mut self,
        name: &str,
        value: impl Into<Expr>,
        cycles: u32,
        advance: impl Into<Expr>,
    ) -> Expr {
        let advance: Expr = advance.into();
        let mut v: Expr = value.into();
        for stage in 0..cycles {
            v = self
                .stage_en(&format!("{name}_d{stage}"), v, advance.clone())
                .into();
        }
        v
    }

    /// A stallable valid chain: `cycles` control registers `name_<k>` (reset to 0), each
    /// taking the previous one's value (the first takes `input`) when `advance` is high.
    /// Returns the registers, first to last.
    pub fn valid_chain(
        &mut self,
        name: &str,
        input: impl Into<Expr>,
        cycles: u32,
        advance: impl Into<Expr>,
    ) -> Vec<Sig> {
        let advance: Expr = advance.into();
        let mut v: Expr = input.into();
        let mut regs = Vec::new();
        for k in 0..cycles {
            let q = self.reg(&format!("{name}_{k}"), bit(), 0);
            self.next_en(q, advance.clone(), v);
            v = q.into();
            regs.push(q);
        }
        regs
    }

    /// A round-robin arbiter `name`: the one-hot grant (wire `<name>_grant`) among the bits of
    /// `asks`. A mask register `<name>_first` (all ones after reset) holds the requesters first
    /// in line: the lowest asking bit inside it wins, else the lowest asking bit; at edges where
    /// `advance` is high (the grant was used) the mask becomes the requesters above the winner.
    /// A requester that keeps asking waits at most `asks.width() - 1` grants to others.
    pub fn round_robin(
        &mut self,
        name: &str,
        asks: impl Into<Expr>,
        advance: impl Into<Expr>,
    ) -> Sig {
        let asks: Expr = asks.into();
        let n = asks.width();
        let first = self.reg(&format!("{name}_first"), uint(n), ((1u128 << n) - 1) as i64);
        self.comment(first, "requesters first in line");
        let inside = asks.clone() & first;
        let pick = mux(inside.reduce_or(), inside, asks);
        // The lowest set bit: x & -x.
        let lowest = pick.clone() & (!pick).add_wrap(lit(uint(n), 1));
        let grant = self.wire_of(&format!("{name}_grant"), lowest);
        // The requesters strictly above the winner: ~(grant | (grant - 1)).
        let above = !(Expr::from(grant) | grant.sub_wrap(lit(uint(n), 1)));
        self.next_en(first, advance, above);
        grant
    }

    /// A shift register of bits (a control register, reset to 0): bit `k` holds `input` as it
    /// was `k + 1` cycles ago. Returns the register.
    pub fn history(&mut self, name: &str, input: impl Into<Expr>, length: u32) -> Sig {
        let reg = self.reg(name, uint(length), 0);
        let input = input.into();
        let next = if length == 1 {
            input
        } else {
            cat([reg.slice(length - 2, 0), input])
        };
        self.next(reg, next);
        reg
    }
}
