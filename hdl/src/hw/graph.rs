//! The combinational dependency graph of a module under construction: loops are refused, and
//! each output's combinational inputs are recorded so a parent can see paths through it.

use std::collections::HashMap;

use super::error::Problem;
use super::module::{Conn, Instance, Item, ModuleBuilder};
use super::signal::{Sig, SigKind};
use super::stmt::Stmt;

/// Combinational dependency edges: `graph[src]` lists the signals `src` feeds without a
/// register in between, here or through a sub-module's combinational paths.
pub(crate) fn comb_graph(b: &ModuleBuilder) -> Vec<Vec<u32>> {
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

pub(crate) fn check_loops(b: &ModuleBuilder, g: &[Vec<u32>], problems: &mut Vec<Problem>) {
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
pub(crate) fn comb_paths(b: &ModuleBuilder, g: &[Vec<u32>]) -> HashMap<String, Vec<String>> {
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
