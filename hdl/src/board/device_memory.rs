//! The board's device memory: one single-port SRAM (SPRAM on iCE40, block RAM on ECP5)
//! behind the chip's AXI4 master, with a word port for the host bridge.
//!
//! ```text
//!  s_axi AR ->[read burst: a row a cycle, R back]          +-> SRAM (1RW, byte mask,
//!  s_axi AW, W ->[write burst: a beat a cycle, B]  --------+   bytes / beat rows)
//!  host (word read / write, 1-cycle read latency) ---------+
//! ```
//!
//! One burst at a time (the SRAM has one port). A read burst issues a row each cycle its
//! previous row is taken, so R runs at a beat a cycle; a write burst writes each W beat with
//! its strobes. A burst that would run past the memory is answered DECERR on every beat and
//! touches nothing. The host port is served between bursts (it has priority there: the host
//! reads and writes while the chip is idle).

use crate::chip::axi4::Axi4;
use crate::hw::*;

/// AXI responses.
const OKAY: u64 = 0;
const DECERR: u64 = 3;

/// The host port: a word request (byte address, word aligned) and its read data.
pub fn host_port(name: &str, addr_bits: u32) -> Bundle {
    Bundle::stream(name)
        .field("write", bit())
        .field("addr", uint(addr_bits))
        .field("wdata", uint(32))
}

/// Bits of a device memory byte address.
pub fn byte_addr_bits(bytes: u32) -> u32 {
    clog2(bytes as u64)
}

/// Build the device memory: `bytes` (a power of two) on a `data_bits` AXI4 port. Named
/// `device_memory_<bytes>_<data_bits>`.
pub fn device_memory(bytes: u32, data_bits: u32) -> Result<ModuleRef, ModuleError> {
    let beat_bytes = data_bits / 8;
    let depth = bytes / beat_bytes;
    let ob = clog2(beat_bytes as u64);
    let rb = clog2(depth as u64).max(1);
    let ab = byte_addr_bits(bytes);
    let spec = MemSpec::new(MemPorts::OneRw, depth, data_bits).with_byte_mask();
    let mut m = ModuleBuilder::new(format!("device_memory_{bytes}_{data_bits}"));
    m.doc(&format!(
        "Device memory: {bytes} bytes as {depth} rows of {data_bits} bits behind an AXI4 slave, plus a host word port."
    ));
    m.unit("FPGA board: device memory");
    let axi = Axi4::new("s_axi", data_bits);
    let ar = m.io(&axi.ar, Role::Sink);
    let r = m.io(&axi.r, Role::Source);
    let aw = m.io(&axi.aw, Role::Sink);
    let w = m.io(&axi.w, Role::Sink);
    let b = m.io(&axi.b, Role::Source);
    let host = m.io(&host_port("host", ab), Role::Sink);
    let host_rdata = m.output("host_rdata", uint(32));

    let mem = m.memory("sram", &spec)?.banks.remove(0);
    let fsm = m.fsm("state", &["idle", "reading", "writing", "respond"]);
    let idle = fsm.is("idle");
    // The burst: its next row, rows still to read, beats still to send, its ID, and whether
    // it runs past the memory.
    let row = m.data_reg("row", uint(rb));
    let rows_left = m.data_reg("rows_left", uint(9));
    let beats_left = m.data_reg("beats_left", uint(9));
    let id = m.data_reg("id", uint(2));
    let bad = m.data_reg("bad", bit());
    let have = m.reg("have", bit(), 0);
    m.comment(
        have,
        "read data of the burst's current row is on the SRAM's output",
    );
    let host_lane = m.data_reg("host_lane", uint(ob.saturating_sub(2).max(1)));

    // Which burst starts: the host first, then a write whose first beat is here, then a read.
    let host_go = m.wire_of("host_go", idle.clone() & host.valid());
    let take_aw = m.wire_of("take_aw", idle.clone() & !host.valid() & aw.valid());
    let take_ar = m.wire_of(
        "take_ar",
        idle.clone() & !host.valid() & !aw.valid() & ar.valid(),
    );
    m.assign(host.ready(), idle.clone());
    m.assign(aw.ready(), take_aw);
    m.assign(ar.ready(), take_ar);
    // A burst fits when its last row is inside the memory.
    let fits = |c: &BundleIo| -> Expr {
        let first = Expr::from(c.field("addr")).slice(31, ob).zext(33 - ob);
        let end = first.add_wrap(Expr::from(c.field("len")).zext(33 - ob));
        end.lt(ulit(33 - ob, depth as u64))
    };
    let start_row = |c: &BundleIo| Expr::from(c.field("addr")).slice(ob + rb - 1, ob);

    // Reading: issue a row when the last one was taken (or none is waiting).
    let reading = fsm.is("reading");
    let issue = m.wire_of(
        "issue",
        reading.clone() & rows_left.ne_lit(0) & (!Expr::from(have) | r.fire()),
    );
    m.assign(r.valid(), reading.clone() & have);
    m.assign(r.field("id"), id);
    m.assign(r.field("data"), mem.read_data(0));
    m.assign(r.field("resp"), mux(bad, ulit(2, DECERR), ulit(2, OKAY)));
    m.assign(r.field("last"), beats_left.eq_lit(1));
    // Writing: a beat a cycle.
    let writing = fsm.is("writing");
    m.assign(w.ready(), writing.clone());
    let w_fire = m.wire_of("w_fire", w.fire());
    m.assign(b.valid(), fsm.is("respond"));
    m.assign(b.field("id"), id);
    m.assign(b.field("resp"), mux(bad, ulit(2, DECERR), ulit(2, OKAY)));

    // The SRAM's one port.
    let host_addr: Expr = host.field("addr").into();
    let host_row = host_addr.slice(ab - 1, ob);
    let lane_of = |a: &Expr| -> Expr {
        if ob > 2 {
            a.slice(ob - 1, 2)
        } else {
            ulit(1, 0)
        }
    };
    let host_write = host_go & host.field("write");
    let burst_read = issue & !Expr::from(bad);
    let burst_write = w_fire & !Expr::from(bad);
    m.assign(
        mem.sig(MemSignal::Enable),
        host_go | burst_read.clone() | burst_write.clone(),
    );
    m.assign(mem.write_enable(), host_write.clone() | burst_write.clone());
    m.assign(
        mem.sig(MemSignal::Addr),
        mux(host_go, host_row, Expr::from(row)),
    );
    let words = data_bits / 32;
    let host_wide = from_lanes((0..words).map(|_| Expr::from(host.field("wdata"))));
    let host_mask = if words == 1 {
        ulit(4, 0xf)
    } else {
        let lane = lane_of(&host_addr);
        from_lanes((0..words).map(|i| lane.clone().eq_lit(i as i64).repeat(4)))
    };
    m.assign(
        mem.write_data(),
        mux(host_go, host_wide, Expr::from(w.field("data"))),
    );
    m.assign(
        mem.sig(MemSignal::WriteMask),
        mux(host_go, host_mask, Expr::from(w.field("strb"))),
    );
    let rdata: Expr = mem.read_data(0).into();
    let host_word = if words == 1 {
        rdata.clone()
    } else {
        (1..words).fold(lane(rdata.clone(), 0, 32), |acc, i| {
            mux(
                Expr::from(host_lane).eq_lit(i as i64),
                lane(rdata.clone(), i, 32),
                acc,
            )
        })
    };
    m.assign(host_rdata, host_word);
    m.wire_of("host_addr_low_unused", host_addr.slice(1, 0));
    m.wire_of(
        "ar_size_unused",
        cat([Expr::from(ar.field("size")), ar.field("burst").into()]),
    );
    m.wire_of(
        "aw_size_unused",
        cat([Expr::from(aw.field("size")), aw.field("burst").into()]),
    );
    m.wire_of("w_last_unused", w.field("last"));
    m.wire_of(
        "addr_high_unused",
        cat([
            Expr::from(ar.field("addr")).slice(ob - 1, 0),
            Expr::from(aw.field("addr")).slice(ob - 1, 0),
        ]),
    );

    m.seq(|s| {
        s.when(host_go, |s| {
            s.set(
                host_lane,
                lane_of(&host_addr).resize(ob.saturating_sub(2).max(1)),
            )
        });
        fsm.switch(s, |state, s| match state {
            "idle" => {
                s.when(take_ar, |s| {
                    s.set(row, start_row(&ar));
                    s.set(rows_left, Expr::from(ar.field("len")).zext(9).inc());
                    s.set(beats_left, Expr::from(ar.field("len")).zext(9).inc());
                    s.set(id, ar.field("id"));
                    s.set(bad, !fits(&ar));
                    s.set(have, ulit(1, 0));
                    fsm.go(s, "reading");
                });
                s.when(take_aw, |s| {
                    s.set(row, start_row(&aw));
                    s.set(beats_left, Expr::from(aw.field("len")).zext(9).inc());
                    s.set(id, aw.field("id"));
                    s.set(bad, !fits(&aw));
                    fsm.go(s, "writing");
                });
            }
            "reading" => {
                s.when(issue, |s| {
                    s.set(row, row.inc());
                    s.set(rows_left, rows_left.dec());
                    s.set(have, ulit(1, 1));
                })
                .otherwise(|s| {
                    s.when(r.fire(), |s| s.set(have, ulit(1, 0)));
                });
                s.when(r.fire(), |s| {
                    s.set(beats_left, beats_left.dec());
                    s.when(beats_left.eq_lit(1), |s| fsm.go(s, "idle"));
                });
            }
            "writing" => {
                s.when(w_fire, |s| {
                    s.set(row, row.inc());
                    s.set(beats_left, beats_left.dec());
                    s.when(beats_left.eq_lit(1), |s| fsm.go(s, "respond"));
                });
            }
            _ => {
                s.when(b.fire(), |s| fsm.go(s, "idle"));
            }
        })
    });
    m.finish()
}
