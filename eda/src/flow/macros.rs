//! SRAM boundaries as hard macros in the sky130 flow.
//!
//! An SRAM boundary of at least [`MACRO_MIN_DEPTH`] rows (the chip's scratchpad and
//! accumulator banks) is a hard macro: Yosys reads its blackbox instead of its behavioural
//! body, and OpenSTA times its pins with a Liberty model written here from [`MacroTiming`], so
//! every path into and out of an SRAM is timed like any other. The figures are assumptions,
//! stated in the report; a flow with a real macro (OpenRAM, DFFRAM, a foundry compiler) reads
//! that macro's Liberty instead. Smaller SRAM boundaries (the engine's result FIFO, the FIFOs
//! of small test configurations) synthesise to flip-flops, as no macro compiler would make them.

use std::fmt::Write;

use seedchip_hdl::hw::{Design, Dir, ModuleRef};
use serde::{Deserialize, Serialize};

/// SRAM boundaries with at least this many rows become hard macros.
pub const MACRO_MIN_DEPTH: u32 = 64;

/// The timing a macro is assumed to have (typical corner).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MacroTiming {
    /// Clock edge to read data valid.
    pub clk_to_q_ns: f64,
    /// Inputs (enables, addresses, write data) settle this long before the clock edge.
    pub setup_ns: f64,
    /// ... and stay this long after it.
    pub hold_ns: f64,
}

impl Default for MacroTiming {
    /// A compiled single-port-pair SRAM of up to a few hundred rows in 130 nm: read data
    /// 1.5 ns after the clock, inputs set up 0.3 ns before it.
    fn default() -> Self {
        MacroTiming {
            clk_to_q_ns: 1.5,
            setup_ns: 0.3,
            hold_ns: 0.05,
        }
    }
}

/// One macro type of a design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MacroInfo {
    pub module: String,
    pub instances: u64,
    pub depth: u32,
    pub width: u32,
    /// Bits in all instances.
    pub bits: u64,
}

/// The SRAM modules of `design` that are hard macros.
pub fn macro_modules(design: &Design) -> Vec<ModuleRef> {
    design
        .modules()
        .iter()
        .filter(|m| m.sram().is_some_and(|s| s.depth >= MACRO_MIN_DEPTH))
        .cloned()
        .collect()
}

/// The macros of `design` with their instance counts.
pub fn macro_table(design: &Design) -> Vec<MacroInfo> {
    let totals = design.instance_totals();
    macro_modules(design)
        .iter()
        .map(|m| {
            let spec = m.sram().expect("a macro is an SRAM boundary");
            let instances = totals
                .iter()
                .find(|(n, _)| n == m.name())
                .map_or(0, |(_, k)| *k);
            MacroInfo {
                module: m.name().to_string(),
                instances,
                depth: spec.depth,
                width: spec.width,
                bits: instances * spec.depth as u64 * spec.width as u64,
            }
        })
        .collect()
}

/// A Liberty library with one cell per macro: `clk` is the clock, every other input has a
/// setup and hold check against its rising edge, every output an arc from it.
pub fn liberty(macros: &[ModuleRef], t: &MacroTiming) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "/* seedchip SRAM macro models, written by `seedchip synth`: ASSUMED timing\n   (clk->q {} ns, setup {} ns, hold {} ns); replace with the real macro's Liberty. */",
        t.clk_to_q_ns, t.setup_ns, t.hold_ns
    );
    s.push_str(
        "library (seedchip_sram_macros) {\n  delay_model : table_lookup;\n  time_unit : \"1ns\";\n  voltage_unit : \"1V\";\n  current_unit : \"1mA\";\n  pulling_resistance_unit : \"1kohm\";\n  leakage_power_unit : \"1nW\";\n  capacitive_load_unit (1, pf);\n  nom_process : 1.0;\n  nom_temperature : 25.0;\n  nom_voltage : 1.8;\n",
    );
    let mut widths: Vec<u32> = macros
        .iter()
        .flat_map(|m| m.ports())
        .map(|p| p.ty.width)
        .filter(|w| *w > 1)
        .collect();
    widths.sort_unstable();
    widths.dedup();
    for w in widths {
        let _ = writeln!(
            s,
            "  type (bus{w}) {{ base_type : array; data_type : bit; bit_width : {w}; bit_from : {}; bit_to : 0; downto : true; }}",
            w - 1
        );
    }
    let scalar = |kind: &str, v: f64| format!("{kind} (scalar) {{ values (\"{v}\"); }}");
    for m in macros {
        let _ = writeln!(s, "  cell ({}) {{\n    interface_timing : true;", m.name());
        for p in m.ports() {
            let (open, close) = if p.ty.width > 1 {
                (
                    format!("bus ({}) {{ bus_type : bus{};", p.name, p.ty.width),
                    "}",
                )
            } else {
                (format!("pin ({}) {{", p.name), "}")
            };
            let _ = write!(s, "    {open}");
            if p.name == "clk" {
                s.push_str(" direction : input; clock : true; capacitance : 0.01; ");
            } else if p.dir == Dir::Input {
                s.push_str(" direction : input; capacitance : 0.005;\n");
                for (kind, v) in [("setup_rising", t.setup_ns), ("hold_rising", t.hold_ns)] {
                    let _ = writeln!(
                        s,
                        "      timing () {{ related_pin : \"clk\"; timing_type : {kind}; {} {} }}",
                        scalar("rise_constraint", v),
                        scalar("fall_constraint", v)
                    );
                }
                s.push_str("    ");
            } else {
                s.push_str(" direction : output;\n");
                let _ = writeln!(
                    s,
                    "      timing () {{ related_pin : \"clk\"; timing_type : rising_edge; {} {} {} {} }}",
                    scalar("cell_rise", t.clk_to_q_ns),
                    scalar("cell_fall", t.clk_to_q_ns),
                    scalar("rise_transition", 0.1),
                    scalar("fall_transition", 0.1)
                );
                s.push_str("    ");
            }
            let _ = writeln!(s, "{close}");
        }
        s.push_str("  }\n");
    }
    s.push_str("}\n");
    s
}
