//! Structural checks run by [`ModuleBuilder::finish`](super::ModuleBuilder::finish). Names
//! are checked in [`names`](super::names), loops in [`graph`](super::graph); a module that
//! passes is prepared for emission by [`lower`](super::lower).
//!
//! The checks are the guarantees DESIGN.md asks of generated Verilog, proven on the Rust
//! description rather than discovered by a lint tool later: every signal has exactly one
//! driver of the right kind, widths match, no latch, no combinational loop (also through
//! sub-modules), every instance input is connected and nothing is declared without use.

use std::collections::{HashMap, HashSet};

use super::error::{ModuleError, Problem};
use super::expr::Expr;
use super::graph::{check_loops, comb_graph, comb_paths};
use super::lower::lower;
use super::module::{Body, Conn, Item, Module, ModuleBuilder, CLK, RST};
use super::signal::{Sig, SigKind};
use super::stmt;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DriverKind {
    Assign,
    Comb,
    Seq,
    Instance,
}

struct Driver {
    kind: DriverKind,
    what: String,
}

/// Check a builder and turn it into a module.
pub(crate) fn finish(mut b: ModuleBuilder, body: Body) -> Result<Module, ModuleError> {
    let mut problems = std::mem::take(&mut b.problems);
    let is_sram = matches!(body, Body::Sram(_));
    open_outputs_to_wires(&mut b);
    check_expressions(&b, &mut problems);
    check_instances(&b, &mut problems);
    check_drivers(&b, is_sram, &mut problems);
    check_latches(&b, &mut problems);
    // An ill-typed expression hides what it reads; "unused" would then be noise.
    if !problems
        .iter()
        .any(|p| matches!(p, Problem::BadExpr { .. }))
    {
        check_unused(&b, is_sram, &mut problems);
    }
    let graph = comb_graph(&b);
    check_loops(&b, &graph, &mut problems);
    if !problems.is_empty() {
        let mut seen = HashSet::new();
        problems.retain(|p| seen.insert(p.to_string()));
        return Err(ModuleError {
            module: b.name,
            problems,
        });
    }
    let paths = comb_paths(&b, &graph);
    lower(&mut b);
    let uses_clk = is_sram
        || b.items.iter().any(|i| matches!(i, Item::Seq { .. }))
        || b.instances.iter().any(|i| i.module.uses_clk);
    let uses_rst = b
        .signals
        .iter()
        .any(|s| matches!(s.kind, SigKind::Reg { reset: Some(_) }))
        || !b.reset_readers.is_empty()
        || b.instances
            .iter()
            .any(|i| i.module.uses_rst && i.reset.is_none());
    Ok(Module {
        name: b.name,
        doc: b.doc,
        signals: b.signals,
        items: b.items,
        instances: b.instances,
        body,
        uses_clk,
        uses_rst,
        comb_paths: paths,
        interfaces: b.interfaces,
        unit: b.unit,
    })
}

/// An explicitly open output becomes a wire named `*_unused`: Verilog lint (and any reader)
/// then sees a deliberate sink rather than a forgotten pin.
fn open_outputs_to_wires(b: &mut ModuleBuilder) {
    for i in 0..b.instances.len() {
        for c in 0..b.instances[i].conns.len() {
            if !matches!(b.instances[i].conns[c].1, Conn::Open) {
                continue;
            }
            let (inst, port) = (
                b.instances[i].name.clone(),
                b.instances[i].conns[c].0.clone(),
            );
            let Some(p) = b.instances[i].module.port(&port) else {
                continue; // reported as an unknown port
            };
            if p.dir != super::module::Dir::Output {
                continue; // reported as an open input
            }
            let name = b.fresh_name(&format!("{inst}_{port}_unused"));
            let w = b.declare_raw(&name, p.ty, SigKind::Wire);
            b.instances[i].conns[c].1 = Conn::Out(w);
        }
    }
}

fn name_of(b: &ModuleBuilder, s: Sig) -> String {
    if s.owner == b.owner {
        b.signals[s.index as usize].name.clone()
    } else {
        format!("<signal of another module, {} bits>", s.ty.width)
    }
}

/// Every expression of the module with a description of where it is.
fn for_each_expr<'a>(b: &'a ModuleBuilder, f: &mut impl FnMut(String, Option<Sig>, &'a Expr)) {
    for item in &b.items {
        match item {
            Item::Assign { target, value } => f(name_of(b, *target), Some(*target), value),
            Item::Comb { stmts } | Item::Seq { stmts } => {
                let mut t = Vec::new();
                stmt::targets(stmts, &mut t);
                let block = t.first().map(|s| name_of(b, *s)).unwrap_or_default();
                stmt::exprs(stmts, &mut |target, e| match target {
                    Some(t) => f(name_of(b, t), Some(t), e),
                    None => f(format!("condition in the block driving `{block}`"), None, e),
                });
            }
        }
    }
    for inst in &b.instances {
        for (port, conn) in &inst.conns {
            if let Conn::In(e) = conn {
                f(format!("{}.{}", inst.name, port), None, e);
            }
        }
        if let Some(e) = &inst.reset {
            f(format!("{}.rst", inst.name), None, e);
        }
    }
}

fn check_expressions(b: &ModuleBuilder, problems: &mut Vec<Problem>) {
    for_each_expr(b, &mut |context, target, e| {
        if let Some(reason) = e.first_problem() {
            problems.push(Problem::BadExpr {
                signal: context.clone(),
                reason,
            });
            return;
        }
        for s in e.signals() {
            if s.owner != b.owner {
                problems.push(Problem::ForeignSignal {
                    context: context.clone(),
                });
            } else if s.index == CLK
                || (s.index == RST && !target.is_some_and(|t| b.reset_readers.contains(&t.index)))
            {
                problems.push(Problem::ImplicitAsData {
                    signal: name_of(b, s),
                    context: context.clone(),
                });
            }
        }
        match target {
            Some(t) if t.owner != b.owner => problems.push(Problem::ForeignSignal { context }),
            Some(t) if t.ty.width != e.width() => problems.push(Problem::WidthMismatch {
                signal: context,
                expected: t.ty.width,
                found: e.width(),
            }),
            None if e.width() != 1 && context.starts_with("condition") => {
                problems.push(Problem::BadExpr {
                    signal: context,
                    reason: format!("a condition must be 1 bit, this one is {} bits", e.width()),
                })
            }
            _ => {}
        }
    });
}

fn check_instances(b: &ModuleBuilder, problems: &mut Vec<Problem>) {
    for inst in &b.instances {
        if let Some(e) = &inst.reset {
            if !inst.module.uses_rst {
                problems.push(Problem::UnknownPort {
                    instance: inst.name.clone(),
                    module: inst.module.name.clone(),
                    port: "rst".into(),
                });
            } else if e.problem().is_none() && e.width() != 1 {
                problems.push(Problem::PortWidthMismatch {
                    instance: inst.name.clone(),
                    port: "rst".into(),
                    expected: 1,
                    found: e.width(),
                });
            }
        }
        let ports: Vec<_> = inst
            .module
            .ports()
            .into_iter()
            .filter(|p| !(p.name == "clk" || p.name == "rst"))
            .collect();
        let mut seen = HashSet::new();
        for (port, conn) in &inst.conns {
            let Some(p) = ports.iter().find(|p| &p.name == port) else {
                problems.push(Problem::UnknownPort {
                    instance: inst.name.clone(),
                    module: inst.module.name.clone(),
                    port: port.clone(),
                });
                continue;
            };
            if !seen.insert(port.clone()) {
                problems.push(Problem::DuplicateConnection {
                    instance: inst.name.clone(),
                    port: port.clone(),
                });
            }
            let found = match conn {
                Conn::In(e) if e.problem().is_none() => e.width(),
                Conn::Out(s) => {
                    if s.owner != b.owner {
                        problems.push(Problem::ForeignSignal {
                            context: format!("{}.{}", inst.name, port),
                        });
                    }
                    s.ty.width
                }
                Conn::Open => {
                    problems.push(Problem::OpenInput {
                        instance: inst.name.clone(),
                        port: port.clone(),
                    });
                    continue;
                }
                Conn::In(_) => continue, // reported as an ill-typed expression
            };
            if found != p.ty.width {
                problems.push(Problem::PortWidthMismatch {
                    instance: inst.name.clone(),
                    port: port.clone(),
                    expected: p.ty.width,
                    found,
                });
            }
        }
        for p in &ports {
            if seen.contains(&p.name) {
                continue;
            }
            let (instance, module, port) =
                (inst.name.clone(), inst.module.name.clone(), p.name.clone());
            problems.push(match p.dir {
                super::module::Dir::Input => Problem::UnconnectedInput {
                    instance,
                    module,
                    port,
                },
                super::module::Dir::Output => Problem::UnconnectedOutput {
                    instance,
                    module,
                    port,
                },
            });
        }
    }
}

fn drivers(b: &ModuleBuilder) -> HashMap<u32, Vec<Driver>> {
    let mut out: HashMap<u32, Vec<Driver>> = HashMap::new();
    let mut add = |s: Sig, kind, what: String| {
        if s.owner == b.owner {
            out.entry(s.index).or_default().push(Driver { kind, what });
        }
    };
    for (n, item) in b.items.iter().enumerate() {
        match item {
            Item::Assign { target, .. } => add(
                *target,
                DriverKind::Assign,
                "a continuous assignment".into(),
            ),
            Item::Comb { stmts } | Item::Seq { stmts } => {
                let (kind, what) = match item {
                    Item::Comb { .. } => (DriverKind::Comb, format!("combinational block #{n}")),
                    _ => (DriverKind::Seq, format!("clocked block #{n}")),
                };
                let mut t = Vec::new();
                stmt::targets(stmts, &mut t);
                for s in t {
                    add(s, kind, what.clone());
                }
            }
        }
    }
    for inst in &b.instances {
        for (port, conn) in &inst.conns {
            if let Conn::Out(s) = conn {
                add(
                    *s,
                    DriverKind::Instance,
                    format!("instance `{}` port `{port}`", inst.name),
                );
            }
        }
    }
    out
}

fn check_drivers(b: &ModuleBuilder, is_sram: bool, problems: &mut Vec<Problem>) {
    let drivers = drivers(b);
    for (i, decl) in b.signals.iter().enumerate() {
        let signal = decl.name.clone();
        let ds = drivers.get(&(i as u32)).map(Vec::as_slice).unwrap_or(&[]);
        match decl.kind {
            SigKind::Implicit | SigKind::Input => {
                if !ds.is_empty() {
                    problems.push(Problem::DrivenInput { signal });
                }
                continue;
            }
            SigKind::Output if is_sram => continue, // driven by the memory body
            _ => {}
        }
        match ds {
            [] => problems.push(Problem::Undriven { signal }),
            [d] => {
                let wrong = match (&decl.kind, d.kind) {
                    (SigKind::Reg { .. }, DriverKind::Seq) => None,
                    (SigKind::Reg { .. }, _) => Some(format!(
                        "a register but is driven by {}; registers are driven by next()/seq()",
                        d.what
                    )),
                    (_, DriverKind::Seq) => Some(format!(
                        "a wire but is assigned in {}; declare it with reg()",
                        d.what
                    )),
                    _ => None,
                };
                if let Some(what) = wrong {
                    problems.push(Problem::WrongDriver { signal, what });
                }
            }
            many => problems.push(Problem::MultipleDrivers {
                signal,
                drivers: many.iter().map(|d| d.what.clone()).collect(),
            }),
        }
    }
}

fn check_latches(b: &ModuleBuilder, problems: &mut Vec<Problem>) {
    for item in &b.items {
        if let Item::Comb { stmts } = item {
            let mut all = Vec::new();
            stmt::targets(stmts, &mut all);
            let always = stmt::always_assigned(stmts);
            for t in all.into_iter().filter(|t| !always.contains(t)) {
                problems.push(Problem::Latch {
                    signal: name_of(b, t),
                });
            }
        }
    }
}

fn check_unused(b: &ModuleBuilder, is_sram: bool, problems: &mut Vec<Problem>) {
    let mut read = HashSet::new();
    for_each_expr(b, &mut |_, _, e| {
        for s in e.signals() {
            if s.owner == b.owner {
                read.insert(s.index);
            }
        }
    });
    for (i, decl) in b.signals.iter().enumerate() {
        let reads_expected = match decl.kind {
            SigKind::Input => !is_sram,
            SigKind::Wire | SigKind::Reg { .. } => true,
            SigKind::Output | SigKind::Implicit => false,
        };
        if reads_expected && !read.contains(&(i as u32)) && !decl.name.contains("unused") {
            problems.push(Problem::Unused {
                signal: decl.name.clone(),
            });
        }
    }
}
