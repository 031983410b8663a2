//! The load unit: executes LOAD, DRAM rows -> scratchpad or accumulator rows, over AXI4 reads.
//!
//! ```text
//!  cmd -+->[segment walker]-- AR: INCR bursts, none across a burst window --> dma_ar
//!       |          +->[burst FIFO: skip, bytes]
//!       +->[row-command FIFO: acc, sram row, rows, row bytes]   |
//!                     |                                         v
//!  dma_r -------------|------------>[realigner: byte buffer, fill]
//!                     +------------>[row cutter: row_bytes from the head]->[wr]-> spad_wr / acc_wr
//! ```
//!
//! The DMA reads LOADs as one byte stream. Rows that are contiguous in DRAM (`dram_stride` =
//! `row_bytes`, or a single row) form one segment, read in long bursts; otherwise each row is
//! its own segment. Segments are cut into bursts at every burst window (4 KiB, or 256 beats
//! on a narrow bus), so no burst crosses a 4 KiB boundary. The R side appends each beat's
//! bytes (from the first byte the burst asked for to the last) to a byte buffer; the row
//! cutter takes `row_bytes` bytes from the buffer's head for each row, zero-fills the rest of
//! the SRAM row and writes it. Every LOAD puts exactly `rows x row_bytes` bytes in the stream,
//! so LOADs need no separator: the walker runs ahead into the next LOAD (up to
//! `bus.outstanding_reads` bursts in flight) while the bytes of this one arrive.
//!
//! A beat answered SLVERR/DECERR marks its bytes bad; a row with a bad byte skips its SRAM
//! write and its LOAD reports `done.error`.

use super::axi4::{addr_channel, beat_bits, routed_read_channel, BOUNDARY, BURST_INCR, ID_DMA};
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

/// LOADs whose rows the row cutter holds: the walker may run this many LOADs ahead of the
/// rows being written.
const ROW_COMMANDS: u32 = 4;

/// Bytes of a burst window: bursts never cross one. 4 KiB (the AXI boundary), less on a bus
/// so narrow that 256 beats (the longest INCR burst) cover less, and on a multi-tile chip no
/// more than the tile network interface's response buffer holds (its read credits).
pub fn burst_window(cfg: &Config) -> u64 {
    let beat_bytes = cfg.bus.data_bits as u64 / 8;
    let beats = if cfg.tiles.x * cfg.tiles.y > 1 {
        cfg.interconnect.read_buffer_beats as u64
    } else {
        256
    };
    BOUNDARY.min(beats * beat_bytes)
}

/// Build the load unit for `cfg`. Named `load_unit`.
pub fn load_unit(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let g = DmaGeometry::new(cfg);
    let ob = g.offset_bits();
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

    // Widths: row bytes (the controller has checked `row_bytes` <= the SRAM row), segment
    // bytes (rows x row bytes), burst bytes (up to a window).
    let nb = clog2(g.row_bytes as u64 + 1);
    let sb = 16 + nb;
    let window = burst_window(cfg);
    let kb = clog2(window);

    let start = m.wire_of("start", cmd.fire());
    // The controller has checked `row_bytes` <= the SRAM row: its high bits are zero.
    let cmd_row_bytes = m.wire_of("cmd_row_bytes_wide_unused", cmd.field("row_bytes"));
    let row_cmds = m.fifo("row_cmds", ROW_COMMANDS, 1 + ROW_BITS + 16 + nb)?;
    let active = m.reg("active", bit(), 0);
    m.assign(cmd.ready(), !active & row_cmds.enq_ready);
    m.assign(row_cmds.enq_valid, start);
    m.assign(
        row_cmds.enq_data,
        cat([
            Expr::from(cmd.field("acc")),
            cmd.field("sram_row").into(),
            cmd.field("rows").into(),
            cmd_row_bytes.trunc(nb),
        ]),
    );

    // --- segment walker: AR bursts -----------------------------------------------------------
    let row_addr = m.data_reg("row_addr", uint(32));
    let stride = m.data_reg("stride", uint(32));
    let rows_left = m.data_reg("rows_left", uint(16));
    let row_bytes = m.data_reg("row_bytes", uint(nb));
    let cur = m.data_reg("cur", uint(32));
    let seg_left = m.data_reg("seg_left", uint(sb));
    m.comment(row_addr, "DRAM address of the current segment's first row");
    m.comment(rows_left, "segments left, this one included");
    m.comment(cur, "DRAM address of the next burst");
    m.comment(seg_left, "bytes of the current segment not yet requested");
    let setup = m.reg("setup", bit(), 0);
    m.comment(
        setup,
        "the command was captured last cycle: size the first segment",
    );
    let ow = clog2(cfg.bus.outstanding_reads as u64 + 1);
    let outstanding = m.reg("outstanding", uint(ow), 0);
    m.comment(
        outstanding,
        "bursts requested whose last beat has not arrived",
    );
    let bursts = m.fifo("bursts", cfg.bus.outstanding_reads + 1, ob + kb + 1)?;
    let room = m.wire_of("room", outstanding.ne_lit(cfg.bus.outstanding_reads as i64));

    // The burst at `cur`: up to the window's end or the segment's, whichever comes first.
    let to_window = m.wire_of(
        "to_window",
        ulit(kb + 1, window).sub_wrap(cur.slice(kb - 1, 0).zext(kb + 1)),
    );
    let seg_ends = m.wire_of("seg_ends", seg_left.le(to_window.zext(sb)));
    let burst_bytes = m.wire_of(
        "burst_bytes",
        mux(seg_ends, seg_left.trunc(kb + 1), to_window),
    );
    let skip = cur.slice(ob - 1, 0);
    // Beats, both ways at once (then chosen): to the window's end, the beats left in the
    // window; to the segment's end, ceil((skip + bytes) / beat).
    let bw = kb - ob + 1;
    let beats_to_window = ulit(bw, window >> ob).sub_wrap(cur.slice(kb - 1, ob).zext(bw));
    let beats_to_end = skip
        .zext(kb + 2)
        .add_wrap(seg_left.trunc(kb + 1).zext(kb + 2))
        .add_wrap(ulit(kb + 2, g.beat_bytes as u64 - 1))
        .shr(ob)
        .trunc(bw);
    let beats = mux(seg_ends, beats_to_end, beats_to_window);
    m.assign(ar.valid(), active & !setup & room & bursts.enq_ready);
    m.assign(ar.field("id"), ulit(2, ID_DMA));
    m.assign(ar.field("addr"), cat([cur.slice(31, ob), zero(uint(ob))]));
    m.assign(ar.field("len"), beats.dec().resize(8));
    m.assign(ar.field("size"), g.size());
    m.assign(ar.field("burst"), ulit(2, BURST_INCR));
    let ar_fire = m.wire_of("ar_fire", ar.fire());
    m.assign(bursts.enq_valid, ar_fire);
    m.assign(bursts.enq_data, cat([skip, burst_bytes.into()]));

    // A LOAD starts in two steps: capture the command (straight from the controller's queue),
    // then, from the captured fields, size its first segment (a multiply).
    let contiguous = ExprOps::eq(&stride, row_bytes.zext(32)) | rows_left.eq_lit(1);
    let next_row = row_addr.add_wrap(stride);
    m.seq(|s| {
        s.when(start, |s| {
            s.set(active, ulit(1, 1));
            s.set(setup, ulit(1, 1));
            s.set(row_addr, cmd.field("dram_addr"));
            s.set(cur, cmd.field("dram_addr"));
            s.set(stride, cmd.field("dram_stride"));
            s.set(row_bytes, cmd_row_bytes.trunc(nb));
            s.set(rows_left, cmd.field("rows"));
        });
        s.when(setup, |s| {
            s.set(setup, ulit(1, 0));
            s.when(contiguous.clone(), |s| {
                s.set(rows_left, ulit(16, 1));
                s.set(seg_left, rows_left.mul(row_bytes));
            })
            .otherwise(|s| s.set(seg_left, row_bytes.zext(sb)));
        });
        s.when(ar_fire & seg_ends, |s| {
            s.when(rows_left.eq_lit(1), |s| s.set(active, ulit(1, 0)));
            s.set(rows_left, rows_left.dec());
            s.set(row_addr, next_row.clone());
            s.set(cur, next_row.clone());
            s.set(seg_left, row_bytes.zext(sb));
        });
        s.when(ar_fire & !seg_ends, |s| {
            // The burst ran to the window's end: the next starts on the next window.
            s.set(cur, cat([cur.slice(31, kb).inc(), zero(uint(kb))]));
            s.set(seg_left, seg_left.sub_wrap(to_window.zext(sb)));
        });
    });

    // --- realigner: append each beat's bytes to the byte buffer -------------------------------
    let cap = g.row_bytes + g.beat_bytes;
    let fb = clog2(cap as u64 + 1);
    let stream = m.reg("bytes", uint(cap * 8), 0);
    let stream_bad = m.reg("bytes_bad", uint(cap), 0);
    let fill = m.reg("fill", uint(fb), 0);
    m.comment(
        stream,
        "the byte stream's next bytes, byte 0 first; zero above `fill`",
    );
    m.comment(
        stream_bad,
        "per byte of `bytes`: it came in a beat answered with an error",
    );
    // The burst whose beats arrive: registered out of the burst FIFO, so no FIFO read mux
    // sits in front of the byte shifters.
    let h_valid = m.reg("head_valid", bit(), 0);
    let h_skip = m.data_reg("head_skip", uint(ob));
    let h_left = m.data_reg("head_left", uint(kb + 1));
    m.comment(
        h_skip,
        "bytes to drop at the start of the next beat (its burst's first)",
    );
    m.comment(h_left, "bytes of the burst still to come");
    let h_last = m.data_reg("head_last", bit());
    m.comment(
        h_last,
        "the head burst's remaining bytes all come in its next beat",
    );
    let in_beat = ulit(ob + 1, g.beat_bytes as u64).sub_wrap(h_skip.zext(ob + 1));
    let take = m.wire_of("take", mux(h_last, h_left.trunc(ob + 1), in_beat.clone()));
    m.comment(take, "bytes of this beat that belong to the stream");
    m.assign(r.ready(), h_valid & fill.le(ulit(fb, g.row_bytes as u64)));
    let r_fire = m.wire_of("r_fire", r.fire());
    let burst_done = m.wire_of("burst_done", r_fire & h_last);
    let load_head = m.wire_of("load_head", burst_done | !h_valid);
    m.assign(bursts.deq_ready, load_head);
    let head = bursts.deq_data;
    let (f_skip, f_bytes) = (head.slice(ob + kb, kb + 1), head.slice(kb, 0));
    let left_after = h_left.sub_wrap(in_beat.zext(kb + 1));
    m.seq(|s| {
        s.when(load_head, |s| {
            s.set(h_valid, bursts.deq_valid);
            s.set(h_skip, f_skip.clone());
            s.set(h_left, f_bytes.clone());
            s.set(
                h_last,
                f_bytes.le(ulit(ob + 1, g.beat_bytes as u64)
                    .sub_wrap(f_skip.zext(ob + 1))
                    .zext(kb + 1)),
            );
        })
        .elsewhen(r_fire, |s| {
            // Not the last beat: a whole beat's worth (from the skip) came.
            s.set(h_skip, zero(uint(ob)));
            s.set(h_left, left_after.clone());
            s.set(h_last, left_after.le(ulit(kb + 1, g.beat_bytes as u64)));
        });
    });

    // --- row cutter: `row_bytes` bytes from the head per row ----------------------------------
    // The LOAD being cut: registered out of the row-command FIFO (like the burst head).
    let hd = row_cmds.deq_data;
    let mut at = hd.width();
    let mut field = |w: u32| {
        at -= w;
        hd.slice(at + w - 1, at)
    };
    let (f_acc, f_row, f_rows, f_n) = (field(1), field(ROW_BITS), field(16), field(nb));
    let rc_valid = m.reg("cut_valid", bit(), 0);
    let h_acc = m.data_reg("cut_acc", bit());
    let h_row = m.data_reg("cut_row", uint(ROW_BITS));
    let h_rows = m.data_reg("cut_rows", uint(16));
    let h_n = m.data_reg("cut_bytes", uint(nb));
    m.comment(rc_valid, "a LOAD's rows are being cut (its command below)");
    let row_no = m.reg("row_no", uint(16), 0);
    m.comment(row_no, "row of the head LOAD being cut");
    // Cut rows wait in a two-entry FIFO for their SRAM port, so a cut never waits on the
    // port's grant in the same cycle.
    let wr_parts = [
        ("acc", 1),
        ("row", ROW_BITS),
        ("data", g.row_bytes * 8),
        ("bytes", nb),
        ("skip", 1),
        ("last", 1),
        ("error", 1),
    ];
    let wr_width: u32 = wr_parts.iter().map(|(_, w)| w).sum();
    let writes = m.fifo("writes", 2, wr_width)?;
    let wr = |name: &str| -> Expr {
        let mut at = wr_width;
        for (n, w) in wr_parts {
            at -= w;
            if n == name {
                return writes.deq_data.slice(at + w - 1, at);
            }
        }
        unreachable!("no `{name}` in a row write")
    };
    let instr_error = m.reg("instr_error", bit(), 0);
    m.comment(
        instr_error,
        "a row of the LOAD being cut came with an error response",
    );
    let target_ready = mux(wr("acc"), acc_wr.ready(), spad_wr.ready());
    let wr_fire = m.wire_of("wr_fire", writes.deq_valid & (wr("skip") | target_ready));
    m.assign(writes.deq_ready, wr_fire);
    let cut = m.wire_of("cut", rc_valid & fill.ge(h_n.zext(fb)) & writes.enq_ready);
    let last_row = m.wire_of("last_row", row_no.inc().eq(h_rows));
    let next_cmd = m.wire_of("next_cmd", (cut & last_row) | !rc_valid);
    m.assign(row_cmds.deq_ready, next_cmd);
    m.seq(|s| {
        s.when(next_cmd, |s| {
            s.set(rc_valid, row_cmds.deq_valid);
            s.set(h_acc, f_acc);
            s.set(h_row, f_row);
            s.set(h_rows, f_rows);
            s.set(h_n, f_n);
        });
    });
    let row_mask = first_bytes(h_n, g.row_bytes);
    let row_bad = m.wire_of(
        "row_bad",
        (stream_bad.slice(g.row_bytes - 1, 0) & row_mask.clone()).reduce_or(),
    );
    m.assign(writes.enq_valid, cut);
    m.assign(
        writes.enq_data,
        cat([
            Expr::from(h_acc),
            h_row.add_wrap(row_no),
            stream.slice(g.row_bytes * 8 - 1, 0) & bit_mask(row_mask.clone()),
            h_n.into(),
            row_bad.into(),
            last_row.into(),
            instr_error | row_bad,
        ]),
    );
    m.seq(|s| {
        s.when(cut, |s| {
            s.set(row_no, mux(last_row, zero(uint(16)), row_no.inc()));
            s.set(instr_error, !last_row & (instr_error | row_bad));
        });
    });

    // The buffer: append the beat that arrived at `fill` (there is room: a beat is taken only
    // while `fill` <= one row), then drop the row cut this cycle from the bottom.
    let out_bytes = mux(cut, h_n.zext(fb), zero(uint(fb)));
    // The beat lands in the buffer in one shift: its byte `skip` goes to byte `fill` (or
    // `fill - row bytes` when a row is cut in the same cycle), both positions computed from
    // registers, both shifts done, the cut choosing. Bytes outside the `take` bytes from there
    // are masked off; a beat that did not arrive has an empty mask.
    let bb = g.beat_bytes;
    let wide = cap + bb;
    let pw = clog2(wide as u64 + 1);
    let raw = r.field("data").zext(wide * 8);
    let raw_bad = mux(r.field("resp").ne_lit(0), !zero(uint(bb)), zero(uint(bb))).zext(wide);
    let placed = |m: &mut ModuleBuilder, name: &str, at: Expr| -> (Expr, Expr, Expr) {
        // Position of byte 0 of the bus word, plus one beat (so it is never negative).
        let pos = m.wire_of(
            &format!("{name}_pos"),
            at.zext(pw)
                .add_wrap(ulit(pw, bb as u64))
                .sub_wrap(h_skip.zext(pw)),
        );
        let data = raw
            .shl_var(cat([Expr::from(pos), zero(uint(3))]))
            .slice((wide * 8) - 1, bb * 8);
        let bad = raw_bad.shl_var(pos).slice(wide - 1, bb);
        let start = first_bytes(at.clone(), cap);
        let end = first_bytes(at.zext(fb + 1).add_wrap(take.zext(fb + 1)), cap);
        let mask = m.wire_of(
            &format!("{name}_mask"),
            mux(r_fire, end & !start, zero(uint(cap))),
        );
        (data, bad, mask.into())
    };
    let (data_a, bad_a, mask_a) = placed(&mut m, "beat_at_fill", fill.into());
    let (data_b, bad_b, mask_b) = placed(&mut m, "beat_at_kept", fill.sub_wrap(h_n.zext(fb)));
    let row_shift = cat([h_n.zext(fb), zero(uint(3))]);
    m.next(
        stream,
        mux(
            cut,
            stream.shr_var(row_shift) | (data_b & bit_mask(mask_b.clone())),
            stream | (data_a & bit_mask(mask_a.clone())),
        ),
    );
    m.next(
        stream_bad,
        mux(
            cut,
            stream_bad.shr_var(h_n.zext(fb)) | (bad_b & mask_b),
            stream_bad | (bad_a & mask_a),
        ),
    );
    m.next(
        fill,
        fill.add_wrap(mux(r_fire, take.zext(fb), zero(uint(fb))))
            .sub_wrap(out_bytes),
    );
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
        let mine: Expr = if is_acc { wr("acc") } else { !wr("acc") };
        m.assign(port.valid(), writes.deq_valid & !wr("skip") & mine);
        m.assign(port.field("row"), wr("row"));
        m.assign(port.field("data"), wr("data").slice(bytes * 8 - 1, 0));
    }
    m.assign(done.field("valid"), wr_fire & wr("last"));
    m.assign(done.field("error"), wr("error"));
    m.assign(
        read_bytes,
        mux(wr_fire & !wr("skip"), wr("bytes").zext(16), zero(uint(16))),
    );
    m.assign(
        busy,
        active | bursts.deq_valid | row_cmds.deq_valid | rc_valid | writes.deq_valid,
    );
    m.finish()
}
