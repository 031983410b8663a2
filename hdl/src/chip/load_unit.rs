//! The load unit: executes LOAD, DRAM rows -> scratchpad or accumulator rows, over AXI4 reads.
//!
//! ```text
//!  cmd ->[row walker]-- AR: one burst per row (two across a 4 KiB boundary) --> dma_ar
//!              |
//!              +->[row FIFO: sram row, offset, bytes, beats]
//!                        |
//!  dma_r ->[beat buffer]-+->[align: >> offset, keep `row_bytes`, zero the rest]->[wr]-> spad_wr / acc_wr
//! ```
//!
//! Each DRAM row is read by its own burst starting at the row's (possibly unaligned) address,
//! so a beat never holds bytes of two rows; up to `bus.outstanding_reads` bursts are in
//! flight, and the walker runs ahead into the next LOAD while the beats of this one arrive.
//! Reads are beat-granular: a row's last beat may carry bytes past the row's end (in the same
//! bus word), which are dropped. A beat answered SLVERR/DECERR makes its row skip the SRAM
//! write and the LOAD report `done.error`.

use super::axi4::{addr_channel, beat_bits, routed_read_channel, row_bursts, BURST_INCR, ID_DMA};
use super::commands::*;
use super::isa::Opcode;
use super::Config;
use crate::hw::*;

/// Bus and row geometry shared by the load and store units.
#[derive(Clone, Copy, Debug)]
pub struct DmaGeometry {
    pub beat_bytes: u32,
    pub spad_bytes: u32,
    pub acc_bytes: u32,
    /// The longer of the two row kinds.
    pub row_bytes: u32,
    /// Bus words that can hold one row at any alignment.
    pub chunks: u32,
    pub beat_bits: u32,
}

impl DmaGeometry {
    pub fn new(cfg: &Config) -> DmaGeometry {
        let beat_bytes = cfg.bus.data_bits / 8;
        let spad_bytes = scratchpad_row_bytes(cfg);
        let acc_bytes = accumulator_row_bytes(cfg);
        let row_bytes = spad_bytes.max(acc_bytes);
        DmaGeometry {
            beat_bytes,
            spad_bytes,
            acc_bytes,
            row_bytes,
            chunks: (row_bytes + beat_bytes - 1).div_ceil(beat_bytes),
            beat_bits: beat_bits(row_bytes, beat_bytes),
        }
    }

    /// Bits of a byte offset inside a bus word.
    pub fn offset_bits(&self) -> u32 {
        clog2(self.beat_bytes as u64)
    }

    /// AxSIZE: full-width beats.
    pub fn size(&self) -> Expr {
        ulit(3, self.offset_bits() as u64)
    }
}

/// Where a LOAD or STORE is in its rows: the command's fields, captured when it starts and
/// walked row by row (the load and store units decode the shared DMA layout alike).
pub struct RowWalk {
    pub acc: Sig,
    pub sram_row: Sig,
    pub rows_left: Sig,
    pub row_bytes: Sig,
    /// DRAM address of the current row.
    pub addr: Sig,
    pub stride: Sig,
}

impl RowWalk {
    pub fn new(m: &mut ModuleBuilder) -> RowWalk {
        RowWalk {
            acc: m.data_reg("acc", bit()),
            sram_row: m.data_reg("sram_row", uint(ROW_BITS)),
            rows_left: m.data_reg("rows_left", uint(16)),
            row_bytes: m.data_reg("row_bytes", uint(16)),
            addr: m.data_reg("addr", uint(32)),
            stride: m.data_reg("stride", uint(32)),
        }
    }

    /// Capture the command `cmd` (a LOAD or STORE command stream).
    pub fn start(&self, s: &mut Block, cmd: &BundleIo) {
        s.set(self.acc, cmd.field("acc"));
        s.set(self.sram_row, cmd.field("sram_row"));
        s.set(self.rows_left, cmd.field("rows"));
        s.set(self.row_bytes, cmd.field("row_bytes"));
        s.set(self.addr, cmd.field("dram_addr"));
        s.set(self.stride, cmd.field("dram_stride"));
    }

    /// Move to the next row.
    pub fn advance(&self, s: &mut Block) {
        s.set(self.addr, self.addr.add_wrap(self.stride));
        s.set(self.sram_row, self.sram_row.inc());
        s.set(self.rows_left, self.rows_left.dec());
    }
}

/// Build the load unit for `cfg`. Named `load_unit`.
pub fn load_unit(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let g = DmaGeometry::new(cfg);
    let ob = g.offset_bits();
    let bb = g.beat_bits;
    let mut m = ModuleBuilder::new("load_unit");
    m.doc(
        "Load unit: LOAD instructions, DRAM rows to scratchpad/accumulator rows over AXI4 reads.",
    );
    m.unit("DMA: load unit");
    let cmd = m.io(&cmd_stream(Opcode::Load), Role::Sink);
    let ar = m.io(&addr_channel("dma_ar"), Role::Source);
    let r = m.io(&routed_read_channel("dma_r", cfg.bus.data_bits), Role::Sink);
    let spad_wr = m.io(&sram_write("spad_wr", g.spad_bytes * 8), Role::Source);
    let acc_wr = m.io(&sram_write("acc_wr", g.acc_bytes * 8), Role::Source);
    let done = m.io(&done_bundle(), Role::Source);
    let read_bytes = m.output("read_bytes", uint(16));
    let busy = m.output("busy", bit());

    // --- row walker: one AR burst per row ----------------------------------------------------
    let active = m.reg("active", bit(), 0);
    let row = RowWalk::new(&mut m);
    let (acc, sram_row, rows_left, row_bytes, addr) = (
        row.acc,
        row.sram_row,
        row.rows_left,
        row.row_bytes,
        row.addr,
    );
    let second = m.reg("second", bit(), 0);
    let second_addr = m.data_reg("second_addr", uint(32));
    let second_len = m.data_reg("second_len", uint(8));
    m.comment(addr, "DRAM address of the row being requested");
    m.comment(
        second,
        "the row's first burst is out; its second (past 4 KiB) is next",
    );
    let ow = clog2(cfg.bus.outstanding_reads as u64 + 1);
    let outstanding = m.reg("outstanding", uint(ow), 0);
    m.comment(
        outstanding,
        "bursts requested whose last beat has not arrived",
    );

    let start = m.wire_of("start", cmd.fire());
    m.assign(cmd.ready(), !active);
    let plan = row_bursts(&mut m, "row", addr, row_bytes, g.row_bytes, g.beat_bytes);

    // Row descriptors for the data side: acc, sram row, offset, bytes, beats, last row.
    let desc_bits = 1 + ROW_BITS + ob + 16 + bb + 1;
    let rows_fifo = m.fifo("rows", cfg.bus.outstanding_reads + 1, desc_bits)?;
    let room = m.wire_of("room", outstanding.ne_lit(cfg.bus.outstanding_reads as i64));
    let last_row = m.wire_of("last_row", rows_left.eq_lit(1));
    m.assign(ar.valid(), active & room & (second | rows_fifo.enq_ready));
    let aligned = cat([addr.slice(31, ob), zero(uint(ob))]);
    m.assign(ar.field("id"), ulit(2, ID_DMA));
    m.assign(ar.field("addr"), mux(second, second_addr, addr));
    m.assign(
        ar.field("len"),
        mux(second, Expr::from(second_len), plan.first.dec().resize(8)),
    );
    m.assign(ar.field("size"), g.size());
    m.assign(ar.field("burst"), ulit(2, BURST_INCR));
    let ar_fire = m.wire_of("ar_fire", ar.fire());
    let first_fire = m.wire_of("first_fire", ar_fire & !second);
    let row_issued = m.wire_of("row_issued", ar_fire & (second | !plan.split.clone()));
    m.assign(rows_fifo.enq_valid, first_fire);
    m.assign(
        rows_fifo.enq_data,
        cat([
            Expr::from(acc),
            sram_row.into(),
            addr.slice(ob - 1, 0),
            row_bytes.into(),
            plan.beats.clone(),
            last_row.into(),
        ]),
    );
    m.seq(|s| {
        s.when(start, |s| {
            s.set(active, ulit(1, 1));
            row.start(s, &cmd);
        });
        s.when(first_fire & plan.split.clone(), |s| {
            s.set(second, ulit(1, 1));
            let first_bytes = plan.first.zext(32).shl(ob).trunc(32);
            s.set(second_addr, aligned.add_wrap(first_bytes));
            s.set(
                second_len,
                plan.beats.sub_wrap(plan.first.clone()).dec().resize(8),
            );
        });
        s.when(row_issued, |s| {
            s.set(second, ulit(1, 0));
            row.advance(s);
            s.when(last_row, |s| s.set(active, ulit(1, 0)));
        });
    });

    // --- data side: gather the row's beats, align, write ---------------------------------------
    let d = rows_fifo.deq_data;
    let mut at = desc_bits;
    let mut take = |w: u32| {
        at -= w;
        d.slice(at + w - 1, at)
    };
    let (d_acc, d_row, d_offset, d_bytes, d_beats, d_last) = (
        take(1),
        take(ROW_BITS),
        take(ob),
        take(16),
        take(bb),
        take(1),
    );
    let beat = m.reg("beat", uint(bb), 0);
    m.comment(beat, "beat of the current row");
    let row_error = m.reg("row_error", bit(), 0);
    let instr_error = m.reg("instr_error", bit(), 0);
    let wr_valid = m.reg("wr_valid", bit(), 0);
    let wr_acc = m.data_reg("wr_acc", bit());
    let wr_row = m.data_reg("wr_row", uint(ROW_BITS));
    let wr_data = m.data_reg("wr_data", uint(g.row_bytes * 8));
    let wr_bytes = m.data_reg("wr_bytes", uint(16));
    let wr_skip = m.data_reg("wr_skip", bit());
    let wr_last = m.data_reg("wr_last", bit());
    let wr_error = m.data_reg("wr_error", bit());
    m.comment(
        wr_skip,
        "a beat of this row had an error response: write nothing",
    );

    let target_ready = mux(wr_acc, acc_wr.ready(), spad_wr.ready());
    let wr_fire = m.wire_of("wr_fire", wr_valid & (wr_skip | target_ready));
    let last_beat = m.wire_of("last_beat", ExprOps::eq(&beat, d_beats.dec()));
    m.assign(
        r.ready(),
        rows_fifo.deq_valid & (!last_beat | !wr_valid | wr_fire),
    );
    let r_fire = m.wire_of("r_fire", r.fire());
    let bad = m.wire_of("bad", r.field("resp").ne_lit(0));
    let row_done = m.wire_of("row_done", r_fire & last_beat);
    m.assign(rows_fifo.deq_ready, row_done);
    let beat_regs = m.data_reg_array("chunk", g.chunks, uint(g.beat_bytes * 8));
    for (i, c) in beat_regs.iter().enumerate() {
        m.next_en(*c, r_fire & beat.eq_lit(i as i64), r.field("data"));
    }
    // The row as it stands with this beat, shifted down by the row's offset in its first word.
    let merged = from_lanes(
        beat_regs
            .iter()
            .enumerate()
            .map(|(i, c)| mux(beat.eq_lit(i as i64), r.field("data"), *c)),
    );
    let shift = cat([d_offset.clone(), zero(uint(3))]);
    let aligned_row = merged.shr_var(shift).trunc(g.row_bytes * 8);
    let kept = m.wire_of(
        "kept",
        aligned_row & bit_mask(first_bytes(d_bytes.clone(), g.row_bytes)),
    );
    let err_now = m.wire_of("err_now", row_error | bad);
    m.seq(|s| {
        s.when(r_fire, |s| {
            s.set(beat, mux(last_beat, zero(uint(bb)), beat.inc()));
            s.set(row_error, !last_beat & err_now);
        });
        s.when(row_done, |s| {
            s.set(instr_error, !d_last.clone() & (instr_error | err_now));
            s.set(wr_acc, d_acc.clone());
            s.set(wr_row, d_row.clone());
            s.set(wr_data, kept);
            s.set(wr_bytes, d_bytes.clone());
            s.set(wr_skip, err_now);
            s.set(wr_last, d_last.clone());
            s.set(wr_error, instr_error | err_now);
        });
    });
    m.next(wr_valid, row_done | (wr_valid & !wr_fire));
    m.next(outstanding, {
        let ends = r_fire & r.field("last");
        outstanding
            .add_wrap(ar_fire.zext(ow))
            .sub_wrap(ends.zext(ow))
    });

    for (port, is_acc, bytes) in [
        (&spad_wr, false, g.spad_bytes),
        (&acc_wr, true, g.acc_bytes),
    ] {
        let mine: Expr = if is_acc { wr_acc.into() } else { !wr_acc };
        m.assign(port.valid(), wr_valid & !wr_skip & mine);
        m.assign(port.field("row"), wr_row);
        m.assign(port.field("data"), wr_data.slice(bytes * 8 - 1, 0));
    }
    m.assign(done.field("valid"), wr_fire & wr_last);
    m.assign(done.field("error"), wr_error);
    m.assign(
        read_bytes,
        mux(wr_fire & !wr_skip, wr_bytes, zero(uint(16))),
    );
    m.assign(busy, active | rows_fifo.deq_valid | wr_valid);
    m.finish()
}
