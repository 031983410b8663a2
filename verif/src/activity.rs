//! Switching activity of a sky130 netlist running a real workload, for power analysis.
//!
//! The netlist that `seedchip synth --target sky130` wrote is simulated with the cell models
//! derived from its Liberty (the gate-level path the equivalence tests use), on a random int8
//! GEMM checked against the model; Verilator writes a VCD of every net, and each net's
//! transitions and time high are counted from it. [`seedchip_eda::flow::power`] hands the
//! counts to OpenSTA as per-net activity. Verilator is a zero-delay, cycle-based simulator:
//! a net changes at most once per clock edge, so glitch power is not included.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use seedchip_eda::flow::{Activity, NetActivity, Report};
use seedchip_hdl::chip::{Config, EngineShape};

use crate::axi::MemoryTiming;
use crate::chip_harness::{cycle_limit, ChipError, ChipHarness};
use crate::gemm::{plan, GemmError};
use crate::harness::{EngineHarness, HarnessError, StallPattern};
use crate::model::gemm;
use crate::noise::XorShift64;
use crate::verilator::{
    BridgeError, BuildOptions, Model, Source, TraceKind, XInit, TRACE_TIME_PER_CYCLE,
};

/// Why activity could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error(transparent)]
    Chip(#[from] ChipError),
    #[error(transparent)]
    Gemm(#[from] GemmError),
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("the netlist computed a wrong GEMM while its activity was measured: {0}")]
    Wrong(String),
}

fn file_err(path: &Path, reason: impl ToString) -> ActivityError {
    ActivityError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// Simulate the sky130 netlist in `out` (the run `report` describes, for `cfg`) on a random
/// int8 GEMM and count every net's switching. The GEMM's result is checked against the model.
pub fn measure(
    cfg: &Config,
    out: &Path,
    report: &Report,
    seed: u64,
) -> Result<Activity, ActivityError> {
    // The cells' ports are the netlist's nets under other names, and their insides are not
    // nets at all: the cell models are not traced, which keeps the model several times
    // smaller to compile.
    let cells_path = out.join("cell_models.v");
    let cells = std::fs::read_to_string(&cells_path).map_err(|e| file_err(&cells_path, e))?;
    let mut sources = vec![
        Source::File(out.join("netlist.v")),
        Source::Text {
            name: "cell_models.v".into(),
            text: format!("/*verilator tracing_off*/\n{cells}"),
        },
    ];
    // Hard macros are blackboxes in the netlist: their RTL is their simulation model.
    for m in &report.macros {
        sources.push(Source::File(
            out.join("rtl").join(format!("{}.v", m.module)),
        ));
    }
    for s in &sources {
        if let Source::File(p) = s {
            if !p.is_file() {
                return Err(file_err(
                    p,
                    "missing: run the sky130 flow into this directory first",
                ));
            }
        }
    }
    let opts = BuildOptions {
        trace: Some(TraceKind::Vcd),
        // Yosys names most nets `_123_`; Verilator leaves such names out of traces unless told.
        verilator_args: vec!["--trace-underscore".into()],
        ..Default::default()
    };
    let model = Model::build(&sources, &report.top, &opts)?;
    let vcd = out.join("activity.vcd");
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    let mut noise = XorShift64::new(seed);
    let (workload, cycles, macs) = if report.top.starts_with("matrix_engine") {
        // Four tiles deep, 4R rows: mostly steady state, a little fill and drain.
        let (m, k, n) = (4 * r, 4 * r, c);
        let (a, w) = (noise.matrix(m, k), noise.matrix(k, n));
        let mut h = EngineHarness::new(&model, EngineShape::new(&cfg.matrix), XInit::Zeros)?;
        h.sim().trace_to(&vcd)?;
        let run = h.gemm(&a, &w, &StallPattern::default())?;
        h.sim().trace_close();
        if run.out != gemm(&a, &w) {
            return Err(ActivityError::Wrong("engine result".into()));
        }
        (
            format!("random int8 GEMM {m}x{k}x{n} on the engine netlist"),
            run.cycles,
            (m * k * n) as u64,
        )
    } else {
        let size = (4 * r.max(c)).max(32);
        let (m, k, n) = (size, size, size);
        let p = plan(cfg, m, k, n)?;
        let (a, w) = (noise.matrix(m, k), noise.matrix(k, n));
        let (dram, launch) = p.dram(&a, &w);
        let limit = cycle_limit(launch.program_len, dram.len());
        let mut h = ChipHarness::new(&model, cfg, dram, MemoryTiming::default(), XInit::Zeros)?;
        h.sim().trace_to(&vcd)?;
        let run = h.run(&launch, limit)?;
        h.sim().trace_close();
        if p.result(&run.dram) != gemm(&a, &w) {
            return Err(ActivityError::Wrong("chip result".into()));
        }
        (
            format!("random int8 GEMM {m}x{k}x{n} from DRAM on the chip netlist"),
            run.cycles,
            (m * k * n) as u64,
        )
    };
    let netlist = std::fs::read_to_string(out.join("netlist.v"))
        .map_err(|e| file_err(&out.join("netlist.v"), e))?;
    let netlist = Netlist::parse(&netlist, &report.top, &cell_outputs(&cells));
    let (nets, inputs) = count_vcd(&vcd, &report.top, &netlist, &model)?;
    let _ = std::fs::remove_file(&vcd);
    Ok(Activity {
        workload,
        cycles,
        macs,
        nets,
        inputs,
    })
}

/// The netlist's hierarchy and, per module, which cell pin drives each net.
pub struct Netlist {
    /// Instance path (`""` for the top, `array`, `array/pe_r0_c0`, ...) -> module, for every
    /// instance of the netlist's own modules: the VCD scopes whose variables are nets.
    pub scopes: HashMap<String, String>,
    /// Module -> net (bit) name -> (cell instance, output pin) driving it.
    pub drivers: HashMap<String, HashMap<String, (String, String)>>,
}

impl Netlist {
    /// Read a Yosys netlist (`write_verilog -noattr`) whose cells' output pins `outputs`
    /// lists per cell type.
    pub fn parse(netlist: &str, top: &str, outputs: &HashMap<String, HashSet<String>>) -> Netlist {
        let mut children: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut drivers: HashMap<String, HashMap<String, (String, String)>> = HashMap::new();
        let mut modules = HashSet::new();
        let mut current: Option<String> = None;
        // The cell instance whose connections are being read: (type, name).
        let mut cell: Option<(String, String)> = None;
        for line in netlist.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("module ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '(' && *c != ';')
                    .collect();
                modules.insert(name.clone());
                current = Some(name);
            } else if t.starts_with("endmodule") {
                current = None;
            } else if let (Some(cur), Some(head)) = (&current, t.strip_suffix('(')) {
                let parts: Vec<&str> = head.split_whitespace().collect();
                if parts.len() == 2 {
                    let (ty, inst) = (parts[0].to_string(), unescape(parts[1]));
                    children
                        .entry(cur.clone())
                        .or_default()
                        .push((ty.clone(), inst.clone()));
                    cell = Some((ty, inst));
                }
            } else if t.starts_with(");") {
                cell = None;
            } else if let (Some(cur), Some((ty, inst)), Some(conn)) =
                (&current, &cell, t.strip_prefix('.'))
            {
                // .PIN(net),
                if let Some((pin, rest)) = conn.split_once('(') {
                    let is_output = outputs.get(ty).is_some_and(|o| o.contains(pin));
                    if is_output {
                        let net = rest.trim_end_matches(',').trim_end_matches(')').trim();
                        drivers
                            .entry(cur.clone())
                            .or_default()
                            .insert(unescape(net), (inst.clone(), pin.to_string()));
                    }
                }
            }
        }
        let mut scopes = HashMap::new();
        let mut stack = vec![(top.to_string(), String::new())];
        while let Some((module, path)) = stack.pop() {
            for (ty, inst) in children.get(&module).into_iter().flatten() {
                if modules.contains(ty) {
                    let p = if path.is_empty() {
                        inst.clone()
                    } else {
                        format!("{path}/{inst}")
                    };
                    stack.push((ty.clone(), p));
                }
            }
            scopes.insert(path, module);
        }
        Netlist { scopes, drivers }
    }

    /// The cell pin (`path/cell/PIN`) driving net `net` of the instance at `scope`, if a cell
    /// inside that instance drives it.
    pub fn driver_pin(&self, scope: &str, net: &str) -> Option<String> {
        let module = self.scopes.get(scope)?;
        let (cell, pin) = self.drivers.get(module)?.get(net)?;
        Some(if scope.is_empty() {
            format!("{cell}/{pin}")
        } else {
            format!("{scope}/{cell}/{pin}")
        })
    }
}

/// `\name ` (an escaped identifier) as its plain name.
fn unescape(s: &str) -> String {
    s.trim().trim_start_matches('\\').trim().to_string()
}

/// Output pins of every cell model in `cell_models.v` (Yosys-written: `output Y;`).
pub fn cell_outputs(models: &str) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in models.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("module ") {
            current = Some(
                rest.chars()
                    .take_while(|c| *c != '(' && !c.is_whitespace())
                    .collect(),
            );
        } else if let (Some(cur), Some(rest)) = (&current, t.strip_prefix("output ")) {
            let name = rest
                .trim_end_matches(';')
                .split_whitespace()
                .last()
                .unwrap_or("");
            out.entry(cur.clone()).or_default().insert(name.to_string());
        }
    }
    out
}

/// One traced signal (all its aliases share it): per bit, the value, toggles and time high.
struct Signal {
    width: usize,
    value: Vec<u8>,
    toggles: Vec<u64>,
    high: Vec<u64>,
    since: u64,
}

impl Signal {
    fn new(width: usize) -> Signal {
        Signal {
            width,
            value: vec![b'x'; width],
            toggles: vec![0; width],
            high: vec![0; width],
            since: 0,
        }
    }

    /// Move the clock to `now`: every bit that is high has been high since the last change.
    fn advance(&mut self, now: u64) {
        for b in 0..self.width {
            if self.value[b] == b'1' {
                self.high[b] += now - self.since;
            }
        }
        self.since = now;
    }

    /// A value change at `now` (VCD bits, most significant first; leading zeros dropped).
    fn change(&mut self, bits: &[u8], now: u64) {
        self.advance(now);
        for b in 0..self.width {
            let v = if b < bits.len() {
                bits[bits.len() - 1 - b]
            } else {
                b'0'
            };
            let old = self.value[b];
            if (old == b'0' && v == b'1') || (old == b'1' && v == b'0') {
                self.toggles[b] += 1;
            }
            self.value[b] = v;
        }
    }
}

/// Count transitions and time high of every net in `vcd`: (nets, top-level inputs).
fn count_vcd(
    vcd: &Path,
    top: &str,
    netlist: &Netlist,
    model: &Arc<Model>,
) -> Result<(Vec<NetActivity>, Vec<NetActivity>), ActivityError> {
    let f = std::fs::File::open(vcd).map_err(|e| file_err(vcd, e))?;
    let mut lines = BufReader::new(f).lines();
    let inputs: HashSet<String> = model
        .ports()
        .iter()
        .filter(|p| p.input)
        .map(|p| p.name.clone())
        .collect();
    // Header: scopes and variables.
    let mut path: Vec<String> = Vec::new();
    let mut signals: HashMap<String, usize> = HashMap::new();
    let mut sigs: Vec<Signal> = Vec::new();
    // (net name, signal, bit, is a top-level input)
    let mut names: Vec<(String, usize, usize, bool)> = Vec::new();
    for line in lines.by_ref() {
        let line = line.map_err(|e| file_err(vcd, e))?;
        let tok: Vec<&str> = line.split_whitespace().collect();
        match tok.first().copied() {
            Some("$scope") if tok.len() >= 3 => path.push(tok[2].to_string()),
            Some("$upscope") => {
                path.pop();
            }
            Some("$var") if tok.len() >= 6 => {
                // Verilator: TOP / <top module> / instances...
                if path.len() < 2 || path[1] != top {
                    continue;
                }
                let scope = path[2..].join("/");
                if !netlist.scopes.contains_key(&scope) {
                    continue; // inside a cell
                }
                let width: usize = tok[2].parse().unwrap_or(1);
                let code = tok[3].to_string();
                let name = tok[4];
                let lsb: usize = tok
                    .get(5)
                    .and_then(|r| r.strip_prefix('['))
                    .and_then(|r| r.trim_end_matches(']').split(':').next_back())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let ranged = tok.get(5).is_some_and(|r| r.starts_with('['));
                let id = *signals.entry(code).or_insert_with(|| {
                    sigs.push(Signal::new(width));
                    sigs.len() - 1
                });
                let is_input = scope.is_empty() && inputs.contains(name);
                if scope.is_empty() && name == "clk" {
                    continue;
                }
                for b in 0..width {
                    let net = if ranged {
                        format!("{name}[{}]", lsb + b)
                    } else {
                        name.to_string()
                    };
                    // Inputs by port name; nets by the cell pin that drives them (a net driven
                    // through a sub-module's port is annotated inside that module).
                    let target = if is_input {
                        Some(net)
                    } else {
                        netlist.driver_pin(&scope, &net)
                    };
                    if let Some(t) = target {
                        names.push((t, id, b, is_input));
                    }
                }
            }
            Some("$enddefinitions") => break,
            _ => {}
        }
    }
    // Value changes.
    let mut now = 0u64;
    for line in lines {
        let line = line.map_err(|e| file_err(vcd, e))?;
        let l = line.trim();
        if let Some(t) = l.strip_prefix('#') {
            now = t.parse().unwrap_or(now);
            continue;
        }
        let (bits, code): (Vec<u8>, &str) = match l.as_bytes().first() {
            Some(b'b') | Some(b'B') => match l[1..].split_once(' ') {
                Some((v, c)) => (v.bytes().collect(), c.trim()),
                None => continue,
            },
            Some(b'0' | b'1' | b'x' | b'X' | b'z' | b'Z') => (vec![l.as_bytes()[0]], &l[1..]),
            _ => continue,
        };
        if let Some(&id) = signals.get(code) {
            sigs[id].change(&bits, now);
        }
    }
    // Close the window.
    for s in &mut sigs {
        s.advance(now);
    }
    let period = TRACE_TIME_PER_CYCLE as f64;
    let mut nets = Vec::new();
    let mut ins = Vec::new();
    let mut seen = HashSet::new();
    for (net, id, b, is_input) in names {
        if !seen.insert(net.clone()) {
            continue;
        }
        let s = &sigs[id];
        let a = NetActivity {
            net,
            toggles: s.toggles[b],
            high_cycles: s.high[b] as f64 / period,
        };
        if is_input {
            ins.push(a);
        } else {
            nets.push(a);
        }
    }
    Ok((nets, ins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_are_found_by_the_cell_pins_that_drive_them() {
        let cells = "module sky130_fd_sc_hd__inv_1(Y, A);\n  input A;\n  wire A;\n  output Y;\n  wire Y;\nendmodule\n";
        let netlist = "module pe(a, y);\n  sky130_fd_sc_hd__inv_1 _1_ (\n    .A(a),\n    .Y(\\q[3] )\n  );\nendmodule\n\
                       module arr(a);\n  pe pe_r0_c0 (\n    .a(a)\n  );\n  pe pe_r0_c1 (\n    .a(a)\n  );\nendmodule\n\
                       module top(a);\n  arr array (\n    .a(a)\n  );\nendmodule\n";
        let n = Netlist::parse(netlist, "top", &cell_outputs(cells));
        let mut v: Vec<&String> = n.scopes.keys().collect();
        v.sort();
        assert_eq!(v, ["", "array", "array/pe_r0_c0", "array/pe_r0_c1"]);
        assert_eq!(
            n.driver_pin("array/pe_r0_c1", "q[3]").as_deref(),
            Some("array/pe_r0_c1/_1_/Y")
        );
        assert_eq!(
            n.driver_pin("array/pe_r0_c1", "a"),
            None,
            "an input is not driven here"
        );
        assert_eq!(n.driver_pin("array", "q[3]"), None);
    }
}
