//! The store unit: executes STORE, scratchpad or accumulator rows -> DRAM, over AXI4 writes.
//!
//! ```text
//!  cmd ->[row walker]-> spad_rd / acc_rd -> rdata ->[align: << offset, strobes]->[words]
//!                                                                     |
//!                 dma_aw <- one burst per row (two across 4 KiB) -----+--> dma_w (WSTRB = row bytes)
//!                 dma_b  -> responses counted; the STORE is done when all have come back
//! ```
//!
//! Rows go out one at a time: read the row, shift it to its DRAM offset inside the first bus
//! word, then send the address and the beats. Strobes cover exactly the row's `row_bytes`, so
//! no byte outside the row (and so outside the DRAM window) is ever written. The STORE
//! finishes when every write response has arrived, so a later LOAD that waits for its token
//! reads what it wrote. A response of SLVERR/DECERR reports `done.error`.
//!
//! The epilogue (`epilogue` = int8 / int16, accumulator rows only): the row read goes to the
//! vector unit's requantiser (`epi_in`), and its requantised lanes come back (`epi_out`)
//! when `epi_out.valid` says so (the requantiser's latency and the row's beats later), packed
//! to one or two bytes each before the alignment.
//! The store queue runs one instruction at a time, so the vector unit is free for it.

use super::axi4::{row_bursts, Axi4, BURST_INCR, ID_DMA};
use super::commands::*;
use super::isa::Opcode;
use super::load_unit::DmaGeometry;
use super::vector_unit::{epi_in, epi_out};
use super::Config;
use crate::hw::*;

/// Write bursts the store unit keeps in flight at most.
pub const OUTSTANDING_WRITES: u32 = 8;

/// Where a STORE is in its rows: the command's fields, captured when it starts and walked
/// row by row.
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

/// Build the store unit for `cfg`. Named `store_unit`.
pub fn store_unit(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let g = DmaGeometry::new(cfg);
    let ob = g.offset_bits();
    let bb = g.beat_bits;
    let mut m = ModuleBuilder::new("store_unit");
    m.doc("Store unit: STORE instructions, scratchpad/accumulator rows to DRAM over AXI4 writes.");
    m.unit("DMA: store unit");
    let axi = Axi4::new("dma", cfg.bus.data_bits);
    let cmd = m.io(&cmd_stream(Opcode::Store), Role::Sink);
    let aw = m.io(&axi.aw, Role::Source);
    let w = m.io(&axi.w, Role::Source);
    let b = m.io(&axi.b, Role::Sink);
    let spad_rd = m.io(&sram_read("spad_rd"), Role::Source);
    let acc_rd = m.io(&sram_read("acc_rd"), Role::Source);
    let spad_rdata = m.input("spad_rdata", uint(g.spad_bytes * 8));
    let acc_rdata = m.input("acc_rdata", uint(g.acc_bytes * 8));
    let epi = m.io(&epi_in(cfg.matrix.cols), Role::Source);
    let epo = m.io(&epi_out(cfg.matrix.cols), Role::Sink);
    let done = m.io(&done_bundle(), Role::Source);
    let write_bytes = m.output("write_bytes", uint(16));
    let busy = m.output("busy", bit());

    let fsm = m.fsm(
        "state",
        &[
            "idle", "read", "align", "send", "drain", "epi_send", "epi_wait",
        ],
    );
    let epilogue = m.data_reg("epilogue", uint(2));
    m.comment(
        epilogue,
        "0: rows as read; 1 / 2: requantised to 1 / 2 bytes a lane",
    );
    let row = RowWalk::new(&mut m);
    let (acc, sram_row, rows_left, row_bytes, addr) = (
        row.acc,
        row.sram_row,
        row.rows_left,
        row.row_bytes,
        row.addr,
    );
    m.comment(addr, "DRAM address of the row being written");

    // --- read the row ---------------------------------------------------------------------
    // The read requests decode their own copies of the state and the memory: `acc` drives
    // the alignment of a whole row, and its buffer tree would sit in front of the memories'
    // crossbars, whose grants come back late in the cycle.
    let rd_spad = m.reg("rd_spad", bit(), 0);
    let rd_accum = m.reg("rd_accum", bit(), 0);
    m.comment(
        rd_spad,
        "asking for a scratchpad row: state read and not acc, kept apart",
    );
    for (port, asking) in [(&spad_rd, rd_spad), (&acc_rd, rd_accum)] {
        m.assign(port.valid(), asking);
        m.assign(port.field("row"), sram_row);
    }
    let granted = m.wire_of("granted", mux(acc, acc_rd.fire(), spad_rd.fire()));

    // --- the epilogue: the row through the requantiser, packed ------------------------------
    m.assign(epi.field("valid"), fsm.is("epi_send"));
    m.assign(epi.field("row"), acc_rdata);
    let cols = cfg.matrix.cols;
    let packed = |bytes: u32| {
        from_lanes((0..cols).map(|i| lane(epo.field("row"), i, 16).slice(8 * bytes - 1, 0)))
            .zext(g.row_bytes * 8)
    };
    let epi_row = m.data_reg("epi_row", uint(g.row_bytes * 8));
    m.next_en(
        epi_row,
        fsm.is("epi_wait") & epo.field("valid"),
        mux(epilogue.eq_lit(1), packed(1), packed(2)),
    );

    // --- align it: byte k of the row goes to byte offset + k of the words -------------------
    let row_in = m.wire_of(
        "row_in",
        mux(
            epilogue.ne_lit(0),
            Expr::from(epi_row),
            mux(
                acc,
                acc_rdata.zext(g.row_bytes * 8),
                spad_rdata.zext(g.row_bytes * 8),
            ),
        ),
    );
    m.comment(row_in, "the row as read, or as the epilogue made it");
    let words_bits = g.chunks * g.beat_bytes;
    let offset = addr.slice(ob - 1, 0);
    let keep = first_bytes(row_bytes, g.row_bytes);
    let data_words = (row_in & bit_mask(keep.clone()))
        .zext(words_bits * 8)
        .shl_var(cat([offset.clone(), zero(uint(3))]));
    let strb_words = keep.zext(words_bits).shl_var(offset.zext(ob));
    let plan = row_bursts(&mut m, "row", addr, row_bytes, g.row_bytes, g.beat_bytes);
    let words = m.data_reg_array("word", g.chunks, uint(g.beat_bytes * 8));
    let strbs = m.data_reg_array("strb", g.chunks, uint(g.beat_bytes));
    let aligning = m.wire_of("aligning", fsm.is("align"));
    for (i, (wd, st)) in words.iter().zip(&strbs).enumerate() {
        let lo = i as u32 * g.beat_bytes;
        m.next_en(
            *wd,
            aligning,
            data_words.slice((lo + g.beat_bytes) * 8 - 1, lo * 8),
        );
        m.next_en(*st, aligning, strb_words.slice(lo + g.beat_bytes - 1, lo));
    }

    // --- send: AW, then its beats; a second burst after a 4 KiB boundary --------------------
    let beats = m.data_reg("beats", uint(bb));
    let first = m.data_reg("first", uint(bb));
    let split = m.data_reg("split", bit());
    let burst = m.data_reg("burst", bit());
    let aw_pending = m.reg("aw_pending", bit(), 0);
    let beat = m.data_reg("beat", uint(bb));
    m.comment(burst, "0: the row's first burst, 1: its second");
    let obw = clog2(OUTSTANDING_WRITES as u64 + 1);
    let outstanding = m.reg("outstanding", uint(obw), 0);
    let error = m.reg("error", bit(), 0);
    m.comment(outstanding, "write bursts whose response has not come back");

    let room = outstanding.ne_lit(OUTSTANDING_WRITES as i64);
    m.assign(aw.valid(), fsm.is("send") & aw_pending & room);
    let aligned = cat([addr.slice(31, ob), zero(uint(ob))]);
    m.assign(aw.field("id"), ulit(2, ID_DMA));
    m.assign(
        aw.field("addr"),
        mux(
            burst,
            aligned.add_wrap(first.zext(32).shl(ob).trunc(32)),
            Expr::from(addr),
        ),
    );
    m.assign(
        aw.field("len"),
        mux(burst, beats.sub_wrap(first).dec(), first.dec()).resize(8),
    );
    m.assign(aw.field("size"), g.size());
    m.assign(aw.field("burst"), ulit(2, BURST_INCR));
    let burst_end = mux(burst, beats, first);
    let w_last = m.wire_of("w_last", ExprOps::eq(&beat, burst_end.dec()));
    m.assign(w.valid(), fsm.is("send") & !aw_pending);
    let pick = |regs: &[Sig]| {
        regs.iter()
            .enumerate()
            .skip(1)
            .fold(Expr::from(regs[0]), |acc, (i, r)| {
                mux(beat.eq_lit(i as i64), *r, acc)
            })
    };
    m.assign(w.field("data"), pick(&words));
    m.assign(w.field("strb"), pick(&strbs));
    m.assign(w.field("last"), w_last);
    let aw_fire = m.wire_of("aw_fire", aw.fire());
    let w_fire = m.wire_of("w_fire", w.fire());
    let burst_done = m.wire_of("burst_done", w_fire & w_last);
    let row_done = m.wire_of("row_done", burst_done & (burst | !split));
    let last_row = m.wire_of("last_row", rows_left.eq_lit(1));

    m.assign(b.ready(), ulit(1, 1));
    let b_fire = m.wire_of("b_fire", b.fire());
    // An error response, or a response that is not ours, is a bus error.
    let b_bad = m.wire_of(
        "b_bad",
        b.field("resp").ne_lit(0) | b.field("id").ne_lit(ID_DMA as i64),
    );
    m.next(
        outstanding,
        outstanding
            .add_wrap(aw_fire.zext(obw))
            .sub_wrap(b_fire.zext(obw)),
    );
    let drained = m.wire_of("drained", fsm.is("drain") & outstanding.eq_lit(0));
    m.assign(cmd.ready(), fsm.is("idle"));
    m.seq(|s| {
        s.when(cmd.fire(), |s| {
            row.start(s, &cmd);
            s.set(epilogue, cmd.field("epilogue"));
        });
        s.when(aligning, |s| {
            s.set(beats, plan.beats.clone());
            s.set(first, plan.first.clone());
            s.set(split, plan.split.clone());
            s.set(burst, ulit(1, 0));
            s.set(beat, zero(uint(bb)));
            s.set(aw_pending, ulit(1, 1));
        });
        s.when(aw_fire, |s| s.set(aw_pending, ulit(1, 0)));
        s.when(w_fire, |s| s.set(beat, beat.inc()));
        s.when(burst_done & !burst & split, |s| {
            s.set(burst, ulit(1, 1));
            s.set(aw_pending, ulit(1, 1));
        });
        s.when(row_done, |s| {
            row.advance(s);
        });
        s.when(b_fire & b_bad, |s| s.set(error, ulit(1, 1)));
        s.when(drained, |s| s.set(error, ulit(1, 0)));
        fsm.switch(s, |state, s| match state {
            "idle" => {
                s.when(cmd.fire(), |s| {
                    fsm.go(s, "read");
                    s.set(rd_spad, !cmd.field("acc"));
                    s.set(rd_accum, cmd.field("acc"));
                });
            }
            "read" => {
                s.when(granted, |s| {
                    s.set(rd_spad, ulit(1, 0));
                    s.set(rd_accum, ulit(1, 0));
                    s.when(epilogue.ne_lit(0), |s| fsm.go(s, "epi_send"))
                        .otherwise(|s| fsm.go(s, "align"));
                });
            }
            "epi_send" => fsm.go(s, "epi_wait"),
            "epi_wait" => {
                s.when(epo.field("valid"), |s| fsm.go(s, "align"));
            }
            "align" => fsm.go(s, "send"),
            "send" => {
                s.when(row_done, |s| {
                    s.when(last_row, |s| fsm.go(s, "drain")).otherwise(|s| {
                        fsm.go(s, "read");
                        s.set(rd_spad, !acc);
                        s.set(rd_accum, acc);
                    })
                });
            }
            _ => {
                s.when(drained, |s| fsm.go(s, "idle"));
            }
        });
    });
    m.assign(done.field("valid"), drained);
    m.assign(done.field("error"), error);
    m.assign(write_bytes, mux(row_done, row_bytes, zero(uint(16))));
    m.assign(busy, !fsm.is("idle"));
    m.finish()
}
