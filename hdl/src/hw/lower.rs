//! Lowering: what a checked module needs named before it is emitted as Verilog-2005.

use std::collections::HashMap;

use super::expr::{Expr, Kind, Node};
use super::module::{Conn, Item, ModuleBuilder};
use super::signal::SigKind;
use super::stmt::{self, Stmt};

/// Prepare a checked module for emission, naming what Verilog needs named:
/// - a slice or sign-extension of a compound expression gets a wire (Verilog-2005 can
///   bit-select only a named signal), named `<target>_t`;
/// - a compound node used more than once gets a wire (`<target>_s`) and every use reads it, so
///   the emitted text is linear in the size of the expression graph, not in its unfolded tree.
pub(crate) fn lower(b: &mut ModuleBuilder) {
    let items = std::mem::take(&mut b.items);
    let mut roots: Vec<&Expr> = Vec::new();
    for item in &items {
        match item {
            Item::Assign { value, .. } => roots.push(value),
            Item::Comb { stmts } | Item::Seq { stmts } => {
                stmt::exprs(stmts, &mut |_, e| roots.push(e))
            }
        }
    }
    let inst_exprs: Vec<Expr> = b
        .instances
        .iter()
        .flat_map(|i| {
            i.conns
                .iter()
                .filter_map(|(_, c)| match c {
                    Conn::In(e) => Some(e.clone()),
                    _ => None,
                })
                .chain(i.reset.clone())
        })
        .collect();
    roots.extend(inst_exprs.iter());
    let mut low = Lowering {
        uses: use_counts(&roots),
        done: HashMap::new(),
        extra: Vec::new(),
    };
    let mut lowered = Vec::with_capacity(items.len());
    for item in &items {
        let item = match item {
            Item::Assign { target, value } => {
                let base = b.signals[target.index as usize].name.clone();
                let value = low.expr(b, value, &base);
                Item::Assign {
                    target: *target,
                    value,
                }
            }
            Item::Comb { stmts } => Item::Comb {
                stmts: low.stmts(b, stmts),
            },
            Item::Seq { stmts } => Item::Seq {
                stmts: low.stmts(b, stmts),
            },
        };
        lowered.push(item);
    }
    for i in 0..b.instances.len() {
        if let Some(e) = b.instances[i].reset.clone() {
            let base = format!("{}_rst", b.instances[i].name);
            b.instances[i].reset = Some(low.expr(b, &e, &base));
        }
        for c in 0..b.instances[i].conns.len() {
            if let Conn::In(e) = b.instances[i].conns[c].1.clone() {
                let base = format!("{}_{}", b.instances[i].name, b.instances[i].conns[c].0);
                let e = low.expr(b, &e, &base);
                b.instances[i].conns[c].1 = Conn::In(e);
            }
        }
    }
    let mut all = low.extra;
    all.extend(lowered);
    b.items = all;
}

/// How many references each node of the expression graph has (from roots and from parent
/// nodes, each parent counted once however often it is itself used).
fn use_counts(roots: &[&Expr]) -> HashMap<*const Node, usize> {
    let mut uses: HashMap<*const Node, usize> = HashMap::new();
    let mut stack: Vec<&Expr> = Vec::new();
    for r in roots {
        let first = {
            let n = uses.entry(r.id()).or_default();
            *n += 1;
            *n == 1
        };
        if first {
            stack.push(r);
        }
        while let Some(e) = stack.pop() {
            for c in e.children() {
                let n = uses.entry(c.id()).or_default();
                *n += 1;
                if *n == 1 {
                    stack.push(c);
                }
            }
        }
    }
    uses
}

/// Cheap to repeat: a signal, a constant, or a cast, slice or extension of one.
fn trivial(e: &Expr) -> bool {
    match e.kind() {
        Kind::Sig(_) | Kind::Const(_) | Kind::Invalid(_) => true,
        Kind::Cast(a) | Kind::Slice(a, ..) | Kind::Extend(a) => trivial(a),
        _ => false,
    }
}

struct Lowering {
    uses: HashMap<*const Node, usize>,
    /// Lowered form of each node already seen (shared nodes lower once).
    done: HashMap<*const Node, Expr>,
    /// Wires the lowering introduced, with their drivers.
    extra: Vec<Item>,
}

impl Lowering {
    fn stmts(&mut self, b: &mut ModuleBuilder, stmts: &[Stmt]) -> Vec<Stmt> {
        let mut t = Vec::new();
        stmt::targets(stmts, &mut t);
        let block = t
            .first()
            .map(|s| b.signals[s.index as usize].name.clone())
            .unwrap_or_default();
        stmts
            .iter()
            .map(|s| match s {
                Stmt::Assign(t, e) => {
                    let base = b.signals[t.index as usize].name.clone();
                    Stmt::Assign(*t, self.expr(b, e, &base))
                }
                Stmt::When {
                    cond,
                    then,
                    otherwise,
                } => Stmt::When {
                    cond: self.expr(b, cond, &format!("{block}_cond")),
                    then: self.stmts(b, then),
                    otherwise: self.stmts(b, otherwise),
                },
            })
            .collect()
    }

    /// A wire named after `base` (plus `suffix`) driven by `value`.
    fn name(&mut self, b: &mut ModuleBuilder, base: &str, suffix: &str, value: Expr) -> Expr {
        let name = b.fresh_name(&format!("{base}_{suffix}"));
        let w = b.declare_raw(&name, value.ty(), SigKind::Wire);
        self.extra.push(Item::Assign { target: w, value });
        Expr::from(w)
    }

    fn expr(&mut self, b: &mut ModuleBuilder, e: &Expr, base: &str) -> Expr {
        if let Some(done) = self.done.get(&e.id()) {
            return done.clone();
        }
        let c: Vec<Expr> = e
            .children()
            .into_iter()
            .map(|c| self.expr(b, c, base))
            .collect();
        let kind = match e.kind() {
            Kind::Sig(_) | Kind::Const(_) | Kind::Invalid(_) => return e.clone(),
            Kind::Not(_) => Kind::Not(c[0].clone()),
            Kind::Reduce(op, _) => Kind::Reduce(*op, c[0].clone()),
            Kind::Logic(op, _, _) => Kind::Logic(*op, c[0].clone(), c[1].clone()),
            Kind::Arith(op, _, _) => Kind::Arith(*op, c[0].clone(), c[1].clone()),
            Kind::Cmp(op, _, _) => Kind::Cmp(*op, c[0].clone(), c[1].clone()),
            Kind::Mux(..) => Kind::Mux(c[0].clone(), c[1].clone(), c[2].clone()),
            Kind::Concat(_) => Kind::Concat(c),
            Kind::Slice(_, hi, lo) => Kind::Slice(c[0].clone(), *hi, *lo),
            Kind::Extend(_) => Kind::Extend(c[0].clone()),
            Kind::Cast(_) => Kind::Cast(c[0].clone()),
            Kind::ShiftConst(d, _, n) => Kind::ShiftConst(*d, c[0].clone(), *n),
            Kind::ShiftVar(d, _, _) => Kind::ShiftVar(*d, c[0].clone(), c[1].clone()),
        };
        // Bit-selects and sign-extensions need a named operand. A value named only so that
        // some of its bits can be selected has bits nobody reads by construction: its name
        // says so (`*unused*`, which Verilator's lint recognises).
        let kind = match kind {
            Kind::Slice(inner, hi, lo) if !is_ident(&inner) => {
                Kind::Slice(self.name(b, base, "wide_unused", inner), hi, lo)
            }
            Kind::Extend(inner) if inner.is_signed() && !is_ident(&inner) => {
                Kind::Extend(self.name(b, base, "t", inner))
            }
            k => k,
        };
        let mut out = Expr::new(kind, e.ty());
        if self.uses.get(&e.id()).copied().unwrap_or(0) > 1 && !trivial(&out) {
            out = self.name(b, base, "s", out);
        }
        self.done.insert(e.id(), out.clone());
        out
    }
}

pub(crate) fn is_ident(e: &Expr) -> bool {
    match e.kind() {
        Kind::Sig(_) => true,
        Kind::Cast(inner) => is_ident(inner),
        _ => false,
    }
}
