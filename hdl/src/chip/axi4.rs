//! AXI4: the chip's master port to DRAM, as bundles. Port names are
//! `<prefix>_<channel>_<field>`, for example `m_axi_ar_addr`, `m_axi_w_strb`, `m_axi_r_last`.
//!
//! The DMA uses INCR bursts only (`burst` = 1) of full-width beats (`size` = log2 of the data
//! bytes); a burst may start at an unaligned address (its first beat then carries fewer
//! bytes). AxCACHE, AxPROT, AxLOCK, AxQOS and AxREGION are not driven: an integrator ties
//! them to the platform's defaults (0 is normal, non-cacheable, unprivileged, secure).

use crate::hw::*;

/// Address width of the DRAM port (the ISA's `dram_addr` is 32 bits).
pub const ADDR_BITS: u32 = 32;
/// Transaction ID width.
pub const ID_BITS: u32 = 2;
/// IDs: reads of the load unit and instruction fetches use different IDs, so their
/// responses are routed by ID (AXI keeps order only within one ID).
pub const ID_DMA: u64 = 0;
pub const ID_FETCH: u64 = 1;
/// AxBURST = INCR.
pub const BURST_INCR: u64 = 1;
/// No INCR burst may cross a 4 KiB boundary.
pub const BOUNDARY: u64 = 4096;

/// The five channels of an AXI4 port named `prefix`, `data_bits` wide.
#[derive(Clone, Debug)]
pub struct Axi4 {
    pub aw: Bundle,
    pub w: Bundle,
    pub b: Bundle,
    pub ar: Bundle,
    pub r: Bundle,
}

/// An address channel (AW or AR).
pub fn addr_channel(name: &str) -> Bundle {
    addr_channel_ids(name, ID_BITS)
}

/// An address channel with `id_bits` of ID (the multi-tile chip's port adds the tile).
pub fn addr_channel_ids(name: &str, id_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("id", uint(id_bits))
        .field("addr", uint(ADDR_BITS))
        .field("len", uint(8))
        .field("size", uint(3))
        .field("burst", uint(2))
}

/// A read data channel.
pub fn read_channel(name: &str, data_bits: u32) -> Bundle {
    read_channel_ids(name, data_bits, ID_BITS)
}

/// A read data channel with `id_bits` of ID.
pub fn read_channel_ids(name: &str, data_bits: u32, id_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("id", uint(id_bits))
        .field("data", uint(data_bits))
        .field("resp", uint(2))
        .field("last", bit())
}

/// Read data after routing by ID (what one reader inside the chip sees).
pub fn routed_read_channel(name: &str, data_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("data", uint(data_bits))
        .field("resp", uint(2))
        .field("last", bit())
}

impl Axi4 {
    pub fn new(prefix: &str, data_bits: u32) -> Axi4 {
        Axi4::with_ids(prefix, data_bits, ID_BITS)
    }

    /// The channels as ports of a master `m` (AW, W, AR out; B, R in), each with its bundle,
    /// in the order AW, W, B, AR, R.
    pub fn master_ports(&self, m: &mut ModuleBuilder) -> Vec<(Bundle, BundleIo)> {
        [
            (&self.aw, Role::Source),
            (&self.w, Role::Source),
            (&self.b, Role::Sink),
            (&self.ar, Role::Source),
            (&self.r, Role::Sink),
        ]
        .into_iter()
        .map(|(b, role)| (b.clone(), m.io(b, role)))
        .collect()
    }

    /// A port with `id_bits` of transaction ID.
    pub fn with_ids(prefix: &str, data_bits: u32, id_bits: u32) -> Axi4 {
        let ch = |c: &str| format!("{prefix}_{c}");
        Axi4 {
            aw: addr_channel_ids(&ch("aw"), id_bits),
            w: Bundle::stream(&ch("w"))
                .field("data", uint(data_bits))
                .field("strb", uint(data_bits / 8))
                .field("last", bit()),
            b: Bundle::stream(&ch("b"))
                .field("id", uint(id_bits))
                .field("resp", uint(2)),
            ar: addr_channel_ids(&ch("ar"), id_bits),
            r: read_channel_ids(&ch("r"), data_bits, id_bits),
        }
    }
}

/// The bursts of one DRAM row: `bytes` bytes from `addr` on a bus of `beat_bytes`. The row
/// is one burst, or two when it crosses a 4 KiB boundary (the second starts on it).
pub struct RowBursts {
    /// Beats the row covers (its first beat starts at `addr` rounded down to a beat).
    pub beats: Expr,
    /// Beats of the first burst.
    pub first: Expr,
    /// The row needs a second burst.
    pub split: Expr,
}

/// Width of a beat count of rows up to `row_bytes_max` bytes.
pub fn beat_bits(row_bytes_max: u32, beat_bytes: u32) -> u32 {
    clog2((row_bytes_max.div_ceil(beat_bytes) + 2) as u64)
}

/// Plan the bursts of a row in `m` (wires named `<prefix>_...`). `bytes` is at least 1.
pub fn row_bursts(
    m: &mut ModuleBuilder,
    prefix: &str,
    addr: impl Into<Expr>,
    bytes: impl Into<Expr>,
    row_bytes_max: u32,
    beat_bytes: u32,
) -> RowBursts {
    let (addr, bytes) = (addr.into(), bytes.into());
    let ob = clog2(beat_bytes as u64);
    let bb = beat_bits(row_bytes_max, beat_bytes);
    // Beats = ceil((offset in beat + bytes) / beat_bytes).
    let offset = addr.slice(ob - 1, 0).zext(bytes.width() + 1);
    let span = offset.add_wrap(bytes.zext(bytes.width() + 1));
    let round = span.add_wrap(ulit(span.width(), beat_bytes as u64 - 1));
    let beats = m.wire_of(
        &format!("{prefix}_beats"),
        round.shr(ob).trunc(bb.min(span.width() - ob)).resize(bb),
    );
    // Beats left before the 4 KiB boundary, counted from the row's first beat.
    let kb = clog2(BOUNDARY);
    let in_page = addr.slice(kb - 1, ob);
    let to_boundary = m.wire_of(
        &format!("{prefix}_to_boundary"),
        ulit(kb - ob + 1, BOUNDARY / beat_bytes as u64).sub_wrap(in_page.zext(kb - ob + 1)),
    );
    let w = (kb - ob + 1).max(bb);
    let split = m.wire_of(
        &format!("{prefix}_split"),
        beats.zext(w).gt(to_boundary.zext(w)),
    );
    let first = m.wire_of(
        &format!("{prefix}_first"),
        mux(split, to_boundary.zext(w), beats.zext(w)).trunc(bb),
    );
    RowBursts {
        beats: beats.into(),
        first: first.into(),
        split: split.into(),
    }
}
