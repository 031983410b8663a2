//! Structural checks run by [`ModuleBuilder::finish`](super::ModuleBuilder::finish), and the
//! lowering that prepares a checked module for emission.
//!
//! The checks are the guarantees DESIGN.md asks of generated Verilog, proven on the Rust
//! description rather than discovered by a lint tool later: every signal has exactly one
//! driver of the right kind, widths match, no latch, no combinational loop (also through
//! sub-modules), every instance input is connected and nothing is declared without use.

use std::collections::{HashMap, HashSet};

use super::error::{ModuleError, Problem};
use super::expr::{Expr, Kind};
use super::module::{Body, Conn, Instance, Item, Module, ModuleBuilder, CLK, RST};
use super::signal::{Sig, SigKind};
use super::stmt::{self, Stmt};

const KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "automatic",
    "begin",
    "buf",
    "bufif0",
    "bufif1",
    "case",
    "casex",
    "casez",
    "cell",
    "cmos",
    "config",
    "deassign",
    "default",
    "defparam",
    "design",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endconfig",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "highz0",
    "highz1",
    "if",
    "ifnone",
    "incdir",
    "include",
    "initial",
    "inout",
    "input",
    "instance",
    "integer",
    "join",
    "large",
    "liblist",
    "library",
    "localparam",
    "macromodule",
    "medium",
    "module",
    "nand",
    "negedge",
    "nmos",
    "nor",
    "noshowcancelled",
    "not",
    "notif0",
    "notif1",
    "or",
    "output",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "pulsestyle_ondetect",
    "pulsestyle_onevent",
    "rcmos",
    "real",
    "realtime",
    "reg",
    "release",
    "repeat",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "scalared",
    "showcancelled",
    "signed",
    "small",
    "specify",
    "specparam",
    "strong0",
    "strong1",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "unsigned",
    "use",
    "uwire",
    "vectored",
    "wait",
    "wand",
    "weak0",
    "weak1",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor", // SystemVerilog words, so the output also reads as SystemVerilog:
    "alias",
    "always_comb",
    "always_ff",
    "always_latch",
    "assert",
    "assume",
    "bind",
    "bit",
    "break",
    "byte",
    "chandle",
    "class",
    "clocking",
    "const",
    "constraint",
    "context",
    "continue",
    "cover",
    "do",
    "enum",
    "export",
    "extends",
    "extern",
    "final",
    "foreach",
    "forkjoin",
    "iff",
    "import",
    "inside",
    "int",
    "interface",
    "intersect",
    "local",
    "logic",
    "longint",
    "modport",
    "new",
    "null",
    "package",
    "packed",
    "priority",
    "program",
    "property",
    "protected",
    "pure",
    "rand",
    "randc",
    "ref",
    "restrict",
    "return",
    "sequence",
    "shortint",
    "shortreal",
    "solve",
    "static",
    "string",
    "struct",
    "super",
    "this",
    "throughout",
    "timeprecision",
    "timeunit",
    "type",
    "typedef",
    "union",
    "unique",
    "var",
    "virtual",
    "void",
    "wildcard",
    "with",
    "within",
];

/// Why `name` is not a valid seedchip identifier, if it is not.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("is empty".into()),
        Some(c) if !c.is_ascii_lowercase() => {
            return Some("must start with a lowercase letter (names are [a-z][a-z0-9_]*)".into())
        }
        _ => {}
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Some(
            "may hold only lowercase letters, digits and `_` (names are [a-z][a-z0-9_]*)".into(),
        );
    }
    if KEYWORDS.contains(&name) {
        return Some("is a Verilog/SystemVerilog keyword".into());
    }
    None
}

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
    let comb_paths = comb_paths(&b, &graph);
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
        comb_paths,
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

/// Combinational dependency edges: `graph[src]` lists the signals `src` feeds without a
/// register in between, here or through a sub-module's combinational paths.
fn comb_graph(b: &ModuleBuilder) -> Vec<Vec<u32>> {
    let mut g: Vec<Vec<u32>> = vec![Vec::new(); b.signals.len()];
    let mut edge = |from: Sig, to: Sig| {
        if from.owner == b.owner
            && to.owner == b.owner
            && !g[from.index as usize].contains(&to.index)
        {
            g[from.index as usize].push(to.index);
        }
    };
    for item in &b.items {
        match item {
            Item::Assign { target, value } => {
                for s in value.signals() {
                    edge(s, *target);
                }
            }
            Item::Comb { stmts } => comb_block_edges(stmts, &mut Vec::new(), &mut edge),
            Item::Seq { .. } => {}
        }
    }
    for inst in &b.instances {
        for (out_port, in_ports) in &inst.module.comb_paths {
            let Some(out) = connected_output(inst, out_port) else {
                continue;
            };
            for in_port in in_ports {
                if let Some(Conn::In(e)) = inst
                    .conns
                    .iter()
                    .find(|(p, _)| p == in_port)
                    .map(|(_, c)| c)
                {
                    for s in e.signals() {
                        edge(s, out);
                    }
                }
            }
        }
    }
    g
}

fn connected_output(inst: &Instance, port: &str) -> Option<Sig> {
    inst.conns.iter().find_map(|(p, c)| match c {
        Conn::Out(s) if p == port => Some(*s),
        _ => None,
    })
}

fn comb_block_edges(stmts: &[Stmt], conds: &mut Vec<Sig>, edge: &mut impl FnMut(Sig, Sig)) {
    for s in stmts {
        match s {
            Stmt::Assign(t, e) => {
                for src in e.signals().into_iter().chain(conds.iter().copied()) {
                    edge(src, *t);
                }
            }
            Stmt::When {
                cond,
                then,
                otherwise,
            } => {
                let before = conds.len();
                conds.extend(cond.signals());
                comb_block_edges(then, conds, edge);
                comb_block_edges(otherwise, conds, edge);
                conds.truncate(before);
            }
        }
    }
}

fn check_loops(b: &ModuleBuilder, g: &[Vec<u32>], problems: &mut Vec<Problem>) {
    // Iterative depth-first search; a back edge closes a loop, reported once per set of nodes.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    let mut state = vec![State::New; g.len()];
    let mut in_reported = vec![false; g.len()];
    for root in 0..g.len() {
        if state[root] != State::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = State::OnStack;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&succ) = g[node].get(*next) {
                *next += 1;
                let succ = succ as usize;
                match state[succ] {
                    State::New => {
                        state[succ] = State::OnStack;
                        stack.push((succ, 0));
                    }
                    State::OnStack if !in_reported[succ] => {
                        let start = stack.iter().position(|(n, _)| *n == succ).unwrap_or(0);
                        let mut path: Vec<String> = stack[start..]
                            .iter()
                            .map(|(n, _)| b.signals[*n].name.clone())
                            .collect();
                        path.push(b.signals[succ].name.clone());
                        for (n, _) in &stack[start..] {
                            in_reported[*n] = true;
                        }
                        problems.push(Problem::CombLoop { path });
                    }
                    _ => {}
                }
            } else {
                state[node] = State::Done;
                stack.pop();
            }
        }
    }
}

/// For each output port, the input ports reaching it combinationally.
fn comb_paths(b: &ModuleBuilder, g: &[Vec<u32>]) -> HashMap<String, Vec<String>> {
    let mut rev: Vec<Vec<u32>> = vec![Vec::new(); g.len()];
    for (from, tos) in g.iter().enumerate() {
        for &to in tos {
            rev[to as usize].push(from as u32);
        }
    }
    let mut out = HashMap::new();
    for (i, decl) in b.signals.iter().enumerate() {
        if !matches!(decl.kind, SigKind::Output) {
            continue;
        }
        let mut seen = vec![false; g.len()];
        let mut work = vec![i];
        let mut inputs = Vec::new();
        while let Some(n) = work.pop() {
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            if matches!(b.signals[n].kind, SigKind::Input) {
                inputs.push(b.signals[n].name.clone());
            }
            work.extend(rev[n].iter().map(|&x| x as usize));
        }
        if !inputs.is_empty() {
            inputs.sort();
            out.insert(decl.name.clone(), inputs);
        }
    }
    out
}

/// Prepare a checked module for emission, naming what Verilog needs named:
/// - a slice or sign-extension of a compound expression gets a wire (Verilog-2005 can
///   bit-select only a named signal), named `<target>_t`;
/// - a compound node used more than once gets a wire (`<target>_s`) and every use reads it, so
///   the emitted text is linear in the size of the expression graph, not in its unfolded tree.
fn lower(b: &mut ModuleBuilder) {
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
fn use_counts(roots: &[&Expr]) -> HashMap<*const super::expr::Node, usize> {
    let mut uses: HashMap<*const super::expr::Node, usize> = HashMap::new();
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
    uses: HashMap<*const super::expr::Node, usize>,
    /// Lowered form of each node already seen (shared nodes lower once).
    done: HashMap<*const super::expr::Node, Expr>,
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
        // Bit-selects and sign-extensions need a named operand.
        let kind = match kind {
            Kind::Slice(inner, hi, lo) if !is_ident(&inner) => {
                Kind::Slice(self.name(b, base, "t", inner), hi, lo)
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
