//! AXI4-Lite: the host's port, as bundles (a slave takes `aw`, `w`, `ar` as sinks and
//! drives `b`, `r` as sources). Port names are `<prefix>_<channel>_<field>`, for example
//! `s_axil_aw_addr`, `s_axil_w_strb`, `s_axil_r_valid`.

use crate::hw::*;

/// Data width of the host port: 32-bit registers.
pub const DATA_BITS: u32 = 32;

/// The five channels of an AXI4-Lite port named `prefix` with `addr_bits` of address.
#[derive(Clone, Debug)]
pub struct AxiLite {
    pub aw: Bundle,
    pub w: Bundle,
    pub b: Bundle,
    pub ar: Bundle,
    pub r: Bundle,
}

impl AxiLite {
    /// The channels as ports of a slave `m` (AW, W, AR in; B, R out), each with its bundle,
    /// in the order AW, W, B, AR, R.
    pub fn slave_ports(&self, m: &mut ModuleBuilder) -> Vec<(Bundle, BundleIo)> {
        [
            (&self.aw, Role::Sink),
            (&self.w, Role::Sink),
            (&self.b, Role::Source),
            (&self.ar, Role::Sink),
            (&self.r, Role::Source),
        ]
        .into_iter()
        .map(|(b, role)| (b.clone(), m.io(b, role)))
        .collect()
    }

    pub fn new(prefix: &str, addr_bits: u32) -> AxiLite {
        let ch = |c: &str| Bundle::stream(&format!("{prefix}_{c}"));
        AxiLite {
            aw: ch("aw").field("addr", uint(addr_bits)),
            w: ch("w")
                .field("data", uint(DATA_BITS))
                .field("strb", uint(DATA_BITS / 8)),
            b: ch("b").field("resp", uint(2)),
            ar: ch("ar").field("addr", uint(addr_bits)),
            r: ch("r")
                .field("data", uint(DATA_BITS))
                .field("resp", uint(2)),
        }
    }
}
