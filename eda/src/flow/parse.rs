//! Reading the reports of Yosys, OpenSTA and nextpnr.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Per-module figures from `stat` (own cells only; sub-module instances excluded).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleStat {
    pub cells: u64,
    pub cell_types: BTreeMap<String, u64>,
    /// Liberty area of the module's own cells (sky130 only).
    pub area_um2: Option<f64>,
}

/// Parse Yosys `stat` text: module name -> its own cells (and area with `-liberty`).
/// `modules` names the design's modules, so that sub-module instances are not counted as cells.
pub fn yosys_stat(text: &str, modules: &[String]) -> BTreeMap<String, ModuleStat> {
    let mut out: BTreeMap<String, ModuleStat> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("=== ").and_then(|r| r.strip_suffix(" ===")) {
            let name = name.trim_start_matches('\\').to_string();
            current = (name != "design hierarchy").then_some(name);
            continue;
        }
        let Some(m) = &current else { continue };
        let entry = out.entry(m.clone()).or_default();
        if let Some(rest) = t.strip_prefix("Chip area for module") {
            entry.area_um2 = rest.rsplit(':').next().and_then(|v| v.trim().parse().ok());
            continue;
        }
        // `type count` (Yosys 0.23) or `count type` (newer Yosys).
        let mut parts = t.split_whitespace();
        if let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) {
            let (kind, n) = match (a.parse::<u64>(), b.parse::<u64>()) {
                (Err(_), Ok(n)) => (a, n),
                (Ok(n), Err(_)) => (b, n),
                _ => continue,
            };
            let kind = kind.trim_start_matches('\\');
            if modules.iter().any(|x| x == kind) || kind == "$scopeinfo" {
                continue;
            }
            if kind.starts_with('$')
                || kind.contains("__")
                || kind.starts_with("SB_")
                || kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            {
                *entry.cell_types.entry(kind.to_string()).or_default() += n;
                entry.cells += n;
            }
        }
    }
    out
}

/// One timing path from `report_checks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimingPath {
    pub startpoint: String,
    /// The net the startpoint drives (names the register behind an anonymous flip-flop).
    pub start_net: Option<String>,
    pub endpoint: String,
    pub arrival_ns: f64,
    pub slack_ns: f64,
    /// 1 / (clock period - slack).
    pub fmax_mhz: f64,
}

/// Parse the first path of a `report_checks -fields {net}` block.
pub fn sta_path(block: &str, clock_ns: f64) -> Option<TimingPath> {
    let mut start = None;
    let mut end = None;
    let mut start_net = None;
    let mut arrival = None;
    let mut slack = None;
    for line in block.lines() {
        let t = line.trim();
        if let Some(r) = t.strip_prefix("Startpoint:") {
            start.get_or_insert_with(|| r.split_whitespace().next().unwrap_or("").to_string());
        } else if let Some(r) = t.strip_prefix("Endpoint:") {
            end.get_or_insert_with(|| r.split_whitespace().next().unwrap_or("").to_string());
        } else if t.ends_with("(net)") && start_net.is_none() {
            let toks: Vec<&str> = t.split_whitespace().collect();
            if toks.len() >= 2 {
                start_net = Some(toks[toks.len() - 2].to_string());
            }
        } else if t.ends_with("data arrival time") && arrival.is_none() {
            arrival = t
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok());
        } else if t.contains("slack (") && slack.is_none() {
            slack = t
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok());
        }
    }
    let slack_ns = slack?;
    Some(TimingPath {
        startpoint: start?,
        start_net,
        endpoint: end?,
        arrival_ns: arrival?,
        slack_ns,
        fmax_mhz: 1000.0 / (clock_ns - slack_ns),
    })
}

/// The blocks of our STA script, split at its `==== seedchip: <name>` markers.
pub fn sta_sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut name: Option<String> = None;
    let mut body = String::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("==== seedchip: ") {
            if let Some(prev) = name.take() {
                out.insert(prev, std::mem::take(&mut body));
            }
            name = Some(n.trim().to_string());
        } else if name.is_some() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some(prev) = name {
        out.insert(prev, body);
    }
    out
}

/// `wns -1.57` / `tns -623.5` lines of the summary block.
pub fn sta_value(block: &str, key: &str) -> Option<f64> {
    block.lines().find_map(|l| {
        let mut p = l.split_whitespace();
        (p.next() == Some(key))
            .then(|| p.next().and_then(|v| v.parse().ok()))
            .flatten()
    })
}

/// nextpnr `--report` JSON: utilisation per resource and the worst achieved Fmax.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PnrReport {
    pub utilization: BTreeMap<String, (u64, u64)>,
    pub fmax_mhz: Option<f64>,
}

pub fn nextpnr_report(json: &str) -> Option<PnrReport> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let mut utilization = BTreeMap::new();
    for (k, u) in v.get("utilization")?.as_object()? {
        let used = u.get("used")?.as_u64()?;
        let avail = u.get("available")?.as_u64()?;
        utilization.insert(k.clone(), (used, avail));
    }
    let fmax_mhz = v
        .get("fmax")
        .and_then(|f| f.as_object())
        .and_then(|clocks| {
            clocks
                .values()
                .filter_map(|c| c.get("achieved").and_then(|a| a.as_f64()))
                .reduce(f64::min)
        });
    Some(PnrReport {
        utilization,
        fmax_mhz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sta_paths_and_summary() {
        let text = "==== seedchip: all paths\nStartpoint: array/pe_r1_c0/_820_\n            (rising edge-triggered flip-flop clocked by clk)\nEndpoint: array/pe_r1_c0/_858_ (rising edge-triggered flip-flop clocked by clk)\n         0.421    0.421 ^ array/pe_r1_c0/_820_/Q (sky130_fd_sc_hd__dfxtp_1)\n   10                     array/act_r1_c0[3] (net)\n            6.275   data arrival time\n-----\n           -1.395   slack (VIOLATED)\n==== seedchip: summary\nwns -1.40\ntns -20.5\n";
        let s = sta_sections(text);
        let p = sta_path(&s["all paths"], 5.0).unwrap();
        assert_eq!(p.startpoint, "array/pe_r1_c0/_820_");
        assert_eq!(p.start_net.as_deref(), Some("array/act_r1_c0[3]"));
        assert_eq!(p.endpoint, "array/pe_r1_c0/_858_");
        assert!((p.fmax_mhz - 1000.0 / 6.395).abs() < 1e-9);
        assert_eq!(sta_value(&s["summary"], "wns"), Some(-1.40));
        assert_eq!(sta_value(&s["summary"], "tns"), Some(-20.5));
    }

    #[test]
    fn yosys_stat_per_module() {
        let text = "=== pe_p18 ===\n   Number of cells:  3\n     sky130_fd_sc_hd__dfxtp_1  2\n     sky130_fd_sc_hd__inv_1  1\n   Chip area for module '\\pe_p18': 42.5\n=== top ===\n   Number of cells: 5\n     pe_p18  4\n     $_AND_  1\n=== design hierarchy ===\n   Chip area for top module '\\top': 171.0\n";
        let s = yosys_stat(text, &["pe_p18".into(), "top".into()]);
        assert_eq!(s["pe_p18"].cells, 3);
        assert_eq!(s["pe_p18"].area_um2, Some(42.5));
        assert_eq!(s["top"].cells, 1, "sub-module instances are not cells");
        let newer = "=== shell ===\n     1141 wires\n     1782 cells\n       22   $scopeinfo\n      108   CCU2C\n       16   MULT18X18D\n";
        let s = yosys_stat(newer, &["shell".into()]);
        assert_eq!(s["shell"].cells, 124);
        assert_eq!(s["shell"].cell_types["MULT18X18D"], 16);
    }
}
