//! State machines with named states.
//!
//! ```
//! use seedchip_hdl::hw::*;
//! let mut m = ModuleBuilder::new("walker");
//! let go = m.input("go", bit());
//! let busy = m.output("busy", bit());
//! let fsm = m.fsm("state", &["idle", "run", "done"]);
//! m.seq(|b| {
//!     fsm.switch(b, |state, b| match state {
//!         "idle" => { b.when(go, |b| fsm.go(b, "run")); }
//!         "run" => fsm.go(b, "done"),
//!         _ => fsm.go(b, "idle"),
//!     })
//! });
//! m.assign(busy, fsm.is("run"));
//! assert!(m.finish().is_ok());
//! ```

use super::expr::{ulit, Expr, ExprOps};
use super::module::ModuleBuilder;
use super::signal::{uint, Sig};
use super::stmt::Block;

/// The state register of a state machine. States are encoded in declaration order (binary:
/// the first is 0 and is the reset state), so regenerating gives the same encoding.
#[derive(Clone, Debug)]
pub struct Fsm {
    reg: Sig,
    states: Vec<String>,
}

impl ModuleBuilder {
    /// A state register `name` for `states` (at least one), reset to the first state.
    pub fn fsm(&mut self, name: &str, states: &[&str]) -> Fsm {
        let width = crate::hw::clog2(states.len() as u64).max(1);
        let reg = self.reg(name, uint(width), 0);
        let encoding: Vec<String> = states
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{i} {s}"))
            .collect();
        self.comment(reg, &format!("state: {}", encoding.join(", ")));
        for (i, s) in states.iter().enumerate() {
            if let Some(reason) = super::names::name_problem(s) {
                self.problems.push(super::error::Problem::BadName {
                    name: format!("{name} state `{s}`"),
                    reason,
                });
            }
            if states[..i].contains(s) {
                self.problems.push(super::error::Problem::DuplicateName {
                    name: format!("{name} state `{s}`"),
                });
            }
        }
        if states.is_empty() {
            self.problems.push(super::error::Problem::BadName {
                name: name.to_string(),
                reason: "is a state machine without states".into(),
            });
        }
        Fsm {
            reg,
            states: states.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Fsm {
    /// The state register.
    pub fn state(&self) -> Sig {
        self.reg
    }

    /// The states with their codes.
    pub fn encoding(&self) -> Vec<(String, u64)> {
        self.states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u64))
            .collect()
    }

    /// The code of `state`; an unknown name gives an invalid expression naming it (reported
    /// by `finish`).
    pub fn code(&self, state: &str) -> Expr {
        match self.states.iter().position(|s| s == state) {
            Some(i) => ulit(self.reg.width(), i as u64),
            None => Expr::invalid(format!(
                "state machine has no state `{state}`; its states: {}",
                self.states.join(", ")
            )),
        }
    }

    /// High while the machine is in `state`.
    pub fn is(&self, state: &str) -> Expr {
        ExprOps::eq(&self.reg, self.code(state))
    }

    /// Go to `state` at the next clock edge (inside a clocked block).
    pub fn go(&self, b: &mut Block, state: &str) {
        b.set(self.reg, self.code(state));
    }

    /// One arm per state, in declaration order: `arm(state, block)` fills the statements that
    /// apply while the machine is in `state` (a `case` on the state register).
    pub fn switch(&self, b: &mut Block, mut arm: impl FnMut(&str, &mut Block)) {
        let Some((first, rest)) = self.states.split_first() else {
            return;
        };
        let mut chain = b.when(self.is(first), |b| arm(first, b));
        for s in rest {
            chain = chain.elsewhen(self.is(s), |b| arm(s, b));
        }
    }
}
