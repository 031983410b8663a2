//! Conditional assignment blocks: `when / elsewhen / otherwise`.
//!
//! The same statements serve combinational blocks (targets are wires: every target must be
//! assigned on every path, or the block would infer a latch, which is an error) and clocked
//! blocks (targets are registers: a path that does not assign a register holds its value).
//! Within one block the last assignment on a path wins, as in Verilog.

use super::expr::Expr;
use super::signal::Sig;

#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    Assign(Sig, Expr),
    When {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
}

/// A list of statements under construction. Handed to the closures of
/// [`ModuleBuilder::comb`](super::ModuleBuilder::comb) and
/// [`ModuleBuilder::seq`](super::ModuleBuilder::seq).
#[derive(Default)]
pub struct Block {
    pub(crate) stmts: Vec<Stmt>,
}

impl Block {
    /// `target = value` on this path.
    pub fn set(&mut self, target: Sig, value: impl Into<Expr>) {
        self.stmts.push(Stmt::Assign(target, value.into()));
    }

    /// Statements that apply when `cond` (one bit) is high. Chain
    /// [`WhenChain::elsewhen`] and [`WhenChain::otherwise`] on the result.
    pub fn when(&mut self, cond: impl Into<Expr>, body: impl FnOnce(&mut Block)) -> WhenChain<'_> {
        let mut then = Block::default();
        body(&mut then);
        self.stmts.push(Stmt::When {
            cond: cond.into(),
            then: then.stmts,
            otherwise: Vec::new(),
        });
        let index = self.stmts.len() - 1;
        WhenChain {
            block: self,
            index,
            depth: 0,
        }
    }
}

/// The tail of a `when` chain, to add `elsewhen` / `otherwise` arms.
pub struct WhenChain<'a> {
    block: &'a mut Block,
    index: usize,
    depth: usize,
}

impl WhenChain<'_> {
    fn last_otherwise(&mut self) -> &mut Vec<Stmt> {
        let mut stmt = &mut self.block.stmts[self.index];
        for _ in 0..self.depth {
            stmt = match stmt {
                Stmt::When { otherwise, .. } => &mut otherwise[0],
                Stmt::Assign(..) => unreachable!("elsewhen chains hold only whens"),
            };
        }
        match stmt {
            Stmt::When { otherwise, .. } => otherwise,
            Stmt::Assign(..) => unreachable!("a when chain starts with a when"),
        }
    }

    /// Another condition, tried when the earlier ones are low.
    pub fn elsewhen(mut self, cond: impl Into<Expr>, body: impl FnOnce(&mut Block)) -> Self {
        let mut then = Block::default();
        body(&mut then);
        self.last_otherwise().push(Stmt::When {
            cond: cond.into(),
            then: then.stmts,
            otherwise: Vec::new(),
        });
        self.depth += 1;
        self
    }

    /// Statements that apply when no condition of the chain is high.
    pub fn otherwise(mut self, body: impl FnOnce(&mut Block)) {
        let mut b = Block::default();
        body(&mut b);
        *self.last_otherwise() = b.stmts;
    }
}

/// Visit every assignment target in statement order.
pub(crate) fn targets(stmts: &[Stmt], out: &mut Vec<Sig>) {
    for s in stmts {
        match s {
            Stmt::Assign(t, _) => {
                if !out.contains(t) {
                    out.push(*t)
                }
            }
            Stmt::When {
                then, otherwise, ..
            } => {
                targets(then, out);
                targets(otherwise, out);
            }
        }
    }
}

/// Visit every expression (conditions and values).
pub(crate) fn exprs<'a>(stmts: &'a [Stmt], f: &mut impl FnMut(Option<Sig>, &'a Expr)) {
    for s in stmts {
        match s {
            Stmt::Assign(t, e) => f(Some(*t), e),
            Stmt::When {
                cond,
                then,
                otherwise,
            } => {
                f(None, cond);
                exprs(then, f);
                exprs(otherwise, f);
            }
        }
    }
}

/// Targets assigned on every path through `stmts`.
pub(crate) fn always_assigned(stmts: &[Stmt]) -> Vec<Sig> {
    let mut out: Vec<Sig> = Vec::new();
    for s in stmts {
        let add = match s {
            Stmt::Assign(t, _) => vec![*t],
            Stmt::When {
                then, otherwise, ..
            } => {
                let b = always_assigned(otherwise);
                always_assigned(then)
                    .into_iter()
                    .filter(|t| b.contains(t))
                    .collect()
            }
        };
        for t in add {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// The statements restricted to assignments whose target satisfies `keep`; conditions left
/// with nothing to do are dropped.
pub(crate) fn filter(stmts: &[Stmt], keep: &impl Fn(Sig) -> bool) -> Vec<Stmt> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            Stmt::Assign(t, _) => {
                if keep(*t) {
                    out.push(s.clone());
                }
            }
            Stmt::When {
                cond,
                then,
                otherwise,
            } => {
                let then = filter(then, keep);
                let otherwise = filter(otherwise, keep);
                if !then.is_empty() || !otherwise.is_empty() {
                    out.push(Stmt::When {
                        cond: cond.clone(),
                        then,
                        otherwise,
                    });
                }
            }
        }
    }
    out
}
