//! The C ABI shim compiled with each Verilated model, and the parser for the model header
//! that tells it which ports exist.
//!
//! Verilator declares top-level ports in the generated header as
//! `VL_IN8(&name,msb,lsb);` ... `VL_OUTW(&name,msb,lsb,words);`. Reading them there (rather
//! than from our own module description) makes the bridge work for any Verilog, including
//! netlists and hand-written designs.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// Bumped whenever the shim's ABI or text changes, so cached builds are not reused.
pub const SHIM_VERSION: u32 = 1;

/// A top-level port of a Verilated model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortInfo {
    pub name: String,
    pub input: bool,
    pub width: u32,
}

/// Parse the port macros of a Verilator model header.
pub fn parse_ports(header: &str) -> Vec<PortInfo> {
    let mut out = Vec::new();
    for line in header.lines() {
        let l = line.trim();
        let Some(rest) = l.strip_prefix("VL_") else {
            continue;
        };
        let (kind, args) = match rest.split_once('(') {
            Some(x) => x,
            None => continue,
        };
        let input = match kind {
            "IN" | "IN8" | "IN16" | "IN64" | "INW" => true,
            "OUT" | "OUT8" | "OUT16" | "OUT64" | "OUTW" => false,
            _ => continue, // INOUT is not driven by this bridge
        };
        let args = args.trim_end_matches(';').trim_end_matches(')');
        let parts: Vec<&str> = args.split(',').map(str::trim).collect();
        if parts.len() < 3 {
            continue;
        }
        let name = parts[0].trim_start_matches('&').to_string();
        let (Ok(msb), Ok(lsb)) = (parts[1].parse::<i64>(), parts[2].parse::<i64>()) else {
            continue;
        };
        out.push(PortInfo {
            name,
            input,
            width: ((msb - lsb).unsigned_abs() + 1) as u32,
        });
    }
    out
}

/// Tracing compiled into a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TraceKind {
    Vcd,
    Fst,
}

/// The C++ source of the shim for a model with prefix `prefix` and these ports.
pub fn shim_source(prefix: &str, ports: &[PortInfo], trace: Option<TraceKind>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// seedchip Verilator shim v{SHIM_VERSION} (generated)");
    let _ = writeln!(s, "#include \"{prefix}.h\"\n#include \"verilated.h\"");
    match trace {
        Some(TraceKind::Vcd) => s.push_str(
            "#include \"verilated_vcd_c.h\"\ntypedef VerilatedVcdC Tracer;\n#define SC_TRACE 1\n",
        ),
        Some(TraceKind::Fst) => s.push_str(
            "#include \"verilated_fst_c.h\"\ntypedef VerilatedFstC Tracer;\n#define SC_TRACE 1\n",
        ),
        None => s.push_str("#define SC_TRACE 0\n"),
    }
    let _ = write!(
        s,
        r#"#include <cstdint>

struct ScSim {{
    VerilatedContext* ctx;
    {prefix}* top;
#if SC_TRACE
    Tracer* tfp;
#endif
}};

static inline uint64_t sc_word64(const uint32_t* w) {{ return (uint64_t)w[0] | ((uint64_t)w[1] << 32); }}

extern "C" {{

uint32_t sc_shim_version() {{ return {SHIM_VERSION}; }}

ScSim* sc_create(int seed, int rand_reset) {{
    ScSim* s = new ScSim();
    s->ctx = new VerilatedContext;
    s->ctx->randReset(rand_reset);
    s->ctx->randSeed(seed);
    s->ctx->fatalOnError(false);
#if SC_TRACE
    s->ctx->traceEverOn(true);
    s->tfp = nullptr;
#endif
    Verilated::threadContextp(s->ctx);
    s->top = new {prefix}{{s->ctx, "TOP"}};
    return s;
}}

void sc_destroy(ScSim* s) {{
#if SC_TRACE
    if (s->tfp) {{ s->tfp->close(); delete s->tfp; }}
#endif
    s->top->final();
    delete s->top;
    delete s->ctx;
    delete s;
}}

void sc_eval(ScSim* s) {{ s->top->eval(); }}

int sc_trace_open(ScSim* s, const char* path) {{
#if SC_TRACE
    if (s->tfp) {{ s->tfp->close(); delete s->tfp; }}
    s->tfp = new Tracer;
    s->top->trace(s->tfp, 99);
    s->tfp->open(path);
    return s->tfp->isOpen() ? 1 : 0;
#else
    (void)s; (void)path;
    return -1;
#endif
}}

void sc_trace_dump(ScSim* s, uint64_t time) {{
#if SC_TRACE
    if (s->tfp) s->tfp->dump(time);
#else
    (void)s; (void)time;
#endif
}}

void sc_trace_close(ScSim* s) {{
#if SC_TRACE
    if (s->tfp) {{ s->tfp->close(); delete s->tfp; s->tfp = nullptr; }}
#else
    (void)s;
#endif
}}

"#
    );
    s.push_str("void sc_set(ScSim* s, uint32_t port, const uint32_t* w) {\n    switch (port) {\n");
    for (i, p) in ports.iter().enumerate().filter(|(_, p)| p.input) {
        let _ = writeln!(s, "    case {i}: {} break;", set_stmt(p));
    }
    s.push_str("    default: (void)w; break;\n    }\n}\n\n");
    s.push_str("void sc_get(ScSim* s, uint32_t port, uint32_t* w) {\n    switch (port) {\n");
    for (i, p) in ports.iter().enumerate() {
        let _ = writeln!(s, "    case {i}: {} break;", get_stmt(p));
    }
    s.push_str("    default: (void)w; break;\n    }\n}\n\n}  // extern \"C\"\n");
    s
}

fn mask64(width: u32) -> String {
    if width >= 64 {
        "0xffffffffffffffffULL".into()
    } else {
        format!("0x{:x}ULL", (1u64 << width) - 1)
    }
}

fn set_stmt(p: &PortInfo) -> String {
    let n = &p.name;
    match p.width {
        0..=32 => format!("s->top->{n} = (uint32_t)(w[0] & {});", mask64(p.width)),
        33..=64 => format!("s->top->{n} = sc_word64(w) & {};", mask64(p.width)),
        w => {
            let words = w.div_ceil(32);
            let top_mask = if w % 32 == 0 {
                "0xffffffffu".to_string()
            } else {
                format!("0x{:x}u", (1u64 << (w % 32)) - 1)
            };
            format!(
                "for (int i = 0; i < {words}; ++i) s->top->{n}[i] = w[i]; s->top->{n}[{}] &= {top_mask};",
                words - 1
            )
        }
    }
}

fn get_stmt(p: &PortInfo) -> String {
    let n = &p.name;
    match p.width {
        0..=32 => format!("w[0] = (uint32_t)s->top->{n};"),
        33..=64 => format!("w[0] = (uint32_t)s->top->{n}; w[1] = (uint32_t)(s->top->{n} >> 32);"),
        w => format!(
            "for (int i = 0; i < {}; ++i) w[i] = s->top->{n}[i];",
            w.div_ceil(32)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ports_are_parsed() {
        let h = "    VL_IN8(&clk,0,0);\n    VL_OUT(&weight_data,31,0);\n    VL_INW(&act_data,319,0,10);\n    VL_OUT64(&q,39,0);\n    VL_IN16(&s,0,15);\n";
        let p = parse_ports(h);
        assert_eq!(
            p,
            vec![
                PortInfo {
                    name: "clk".into(),
                    input: true,
                    width: 1
                },
                PortInfo {
                    name: "weight_data".into(),
                    input: false,
                    width: 32
                },
                PortInfo {
                    name: "act_data".into(),
                    input: true,
                    width: 320
                },
                PortInfo {
                    name: "q".into(),
                    input: false,
                    width: 40
                },
                PortInfo {
                    name: "s".into(),
                    input: true,
                    width: 16
                },
            ]
        );
    }

    #[test]
    fn shim_masks_partial_words() {
        let ports = parse_ports("VL_INW(&a,69,0,3);\nVL_IN8(&b,2,0);\n");
        let src = shim_source("Vdut", &ports, None);
        assert!(src.contains("s->top->a[2] &= 0x3fu;"), "{src}");
        assert!(
            src.contains("s->top->b = (uint32_t)(w[0] & 0x7ULL);"),
            "{src}"
        );
    }
}
