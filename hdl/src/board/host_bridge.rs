//! The host bridge: request frames from the UART to the chip's AXI4-Lite registers and the
//! device memory, response frames back ([`super::protocol`] defines both).
//!
//! ```text
//!  rx byte ->[frame: header, data into the word buffer, checksum]-> check -> act:
//!              REG_WRITE: AW + W, wait B      REG_READ: AR, wait R
//!              MEM_WRITE: buffer -> device memory, a word at a time
//!  tx byte <-[response: sync, status, words (MEM_READ: device memory, a word at a time), sum]
//! ```
//!
//! Nothing is done before the whole frame is in and its checksum checks: a write's words wait
//! in the buffer (one burst, [`MAX_BURST_WORDS`]). A gap of [`timeout_cycles`] inside a frame
//! answers TRUNCATED; an unknown command skips bytes until the line is quiet for as long, then
//! answers UNKNOWN_COMMAND.

use super::device_memory::host_port;
use super::protocol::{
    timeout_cycles, Command, Status, MAX_BURST_WORDS, REQUEST_SYNC, RESPONSE_SYNC,
};
use super::uart::{rx_byte, tx_byte};
use crate::chip::axi_lite::AxiLite;
use crate::hw::*;

/// The bridge's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeSpec {
    /// Device memory bytes (a power of two).
    pub mem_bytes: u32,
    /// Bits of the chip's register address.
    pub reg_addr_bits: u32,
    pub clock_hz: u64,
    pub baud: u64,
}

fn lit8(v: u8) -> Expr {
    ulit(8, v as u64)
}

/// Build the bridge. Named `host_bridge`.
pub fn host_bridge(spec: &BridgeSpec) -> Result<ModuleRef, ModuleError> {
    let ab = super::device_memory::byte_addr_bits(spec.mem_bytes);
    let timeout = timeout_cycles(spec.clock_hz, spec.baud);
    let tb = clog2(timeout + 1);
    let mut m = ModuleBuilder::new("host_bridge");
    m.doc("Host bridge: UART request frames to the chip's registers and the device memory, response frames back.");
    m.unit("FPGA board: host link");
    let rx = m.io(&rx_byte("rx"), Role::Sink);
    let tx = m.io(&tx_byte("tx"), Role::Source);
    let axil = AxiLite::new("m_axil", spec.reg_addr_bits);
    let aw = m.io(&axil.aw, Role::Source);
    let w = m.io(&axil.w, Role::Source);
    let b = m.io(&axil.b, Role::Sink);
    let ar = m.io(&axil.ar, Role::Source);
    let r = m.io(&axil.r, Role::Sink);
    let mem = m.io(&host_port("mem", ab), Role::Source);
    let mem_rdata = m.input("mem_rdata", uint(32));

    let fsm = m.fsm(
        "state",
        &[
            "idle",
            "header",
            "data",
            "checksum",
            "skip",
            "act",
            "reg_write",
            "reg_read",
            "buffer_read",
            "mem_write",
            "send_sync",
            "send_status",
            "fetch",
            "fetch_wait",
            "send_word",
            "send_sum",
        ],
    );
    let got: Expr = rx.field("valid").into();
    let byte: Expr = rx.field("data").into();
    let cmd = m.data_reg("cmd", uint(8));
    let addr = m.data_reg("addr", uint(32));
    let count = m.data_reg("count", uint(8));
    let idx = m.data_reg("idx", uint(11));
    m.comment(
        idx,
        "header: byte of the frame after the sync; data: byte of the data",
    );
    let data_bytes = m.data_reg("data_bytes", uint(11));
    let sum = m.data_reg("sum", uint(8));
    let word = m.data_reg("word", uint(32));
    m.comment(word, "the data word being assembled, or sent");
    let status = m.data_reg("status", uint(8));
    let words = m.data_reg("words", uint(8));
    m.comment(words, "words the response carries");
    let wi = m.data_reg("wi", uint(8));
    let bi = m.data_reg("bi", uint(2));
    let timer = m.reg("timer", uint(tb), 0);
    let aw_done = m.reg("aw_done", bit(), 0);
    let w_done = m.reg("w_done", bit(), 0);
    let buf_spec = MemSpec::new(MemPorts::OneROneW, MAX_BURST_WORDS, 32);
    let buf = m.memory("buffer", &buf_spec)?.banks.remove(0);
    let wb = addr_bits(MAX_BURST_WORDS);

    let is_cmd = |c: Command| ExprOps::eq(&cmd, lit8(c.code()));
    let known = Command::ALL.iter().fold(zero(bit()), |acc, c| {
        acc | ExprOps::eq(&byte, lit8(c.code()))
    });
    let expired = m.wire_of("expired", timer.eq_lit(timeout as i64));
    let in_frame = fsm.is("header") | fsm.is("data") | fsm.is("checksum") | fsm.is("skip");
    let status_is = |s: Status| lit8(s.code());

    // Validity, checked once the frame is in.
    let burst_end = addr.zext(34).add_wrap(count.zext(34).inc().shl(2));
    let mem_ok = m.wire_of(
        "mem_ok",
        addr.slice(1, 0).eq_lit(0)
            & count.lt(lit8(MAX_BURST_WORDS as u8))
            & burst_end.le(ulit(34, spec.mem_bytes as u64)),
    );
    let reg_ok = m.wire_of(
        "reg_ok",
        addr.slice(31, spec.reg_addr_bits).eq_lit(0) & addr.slice(1, 0).eq_lit(0),
    );

    // The AXI4-Lite master.
    let reg_addr = addr.slice(spec.reg_addr_bits - 1, 0);
    m.assign(aw.valid(), fsm.is("reg_write") & !Expr::from(aw_done));
    m.assign(aw.field("addr"), reg_addr.clone());
    m.assign(w.valid(), fsm.is("reg_write") & !Expr::from(w_done));
    m.assign(w.field("data"), word);
    m.assign(w.field("strb"), ulit(4, 0xf));
    m.assign(b.ready(), fsm.is("reg_write") & aw_done & w_done);
    m.assign(ar.valid(), fsm.is("reg_read"));
    m.assign(ar.field("addr"), reg_addr);
    m.assign(r.ready(), fsm.is("fetch_wait") & is_cmd(Command::RegRead));
    // The device memory: writes from the buffer, reads for MEM_READ.
    let word_addr = addr
        .trunc(ab)
        .add_wrap(cat([wi.resize(ab - 2), ulit(2, 0)]));
    m.assign(
        mem.valid(),
        fsm.is("mem_write") | (fsm.is("fetch") & is_cmd(Command::MemRead)),
    );
    m.assign(mem.field("write"), fsm.is("mem_write"));
    m.assign(mem.field("addr"), word_addr);
    m.assign(mem.field("wdata"), buf.read_data(0));
    // The buffer: a word written as its fourth byte arrives; read back in order.
    let data_byte = fsm.is("data") & got.clone();
    let fourth = idx.slice(1, 0).eq_lit(3);
    m.assign(buf.write_enable(), data_byte.clone() & fourth.clone());
    m.assign(buf.write_addr(), idx.slice(wb + 1, 2));
    m.assign(buf.write_data(), cat([byte.clone(), word.slice(31, 8)]));
    m.assign(buf.read_enable(0), fsm.is("buffer_read"));
    m.assign(buf.read_addr(0), wi.trunc(wb));
    // The transmitter.
    let tx_byte_now = mux(
        fsm.is("send_sync"),
        lit8(RESPONSE_SYNC),
        mux(
            fsm.is("send_status"),
            Expr::from(status),
            mux(
                fsm.is("send_word"),
                (1..4).fold(word.slice(7, 0), |acc, k| {
                    mux(
                        bi.eq_lit(k),
                        word.slice(8 * k as u32 + 7, 8 * k as u32),
                        acc,
                    )
                }),
                zero(uint(8)).sub_wrap(sum),
            ),
        ),
    );
    let sending =
        fsm.is("send_sync") | fsm.is("send_status") | fsm.is("send_word") | fsm.is("send_sum");
    m.assign(tx.valid(), sending);
    m.assign(tx.field("data"), tx_byte_now.clone());
    let tx_fire = m.wire_of("tx_fire", tx.fire());

    let respond = |s: &mut Block, st: Status| {
        s.set(status, status_is(st));
        s.set(words, zero(uint(8)));
        fsm.go(s, "send_sync");
    };

    m.seq(|s| {
        // The silence timer runs inside a frame; every byte restarts it.
        s.when(
            in_frame.clone() & !got.clone() & !Expr::from(expired),
            |s| s.set(timer, timer.inc()),
        );
        s.when(got.clone() | !in_frame.clone(), |s| {
            s.set(timer, zero(uint(tb)))
        });
        fsm.switch(s, |state, s| match state {
            "idle" => {
                s.when(got.clone() & ExprOps::eq(&byte, lit8(REQUEST_SYNC)), |s| {
                    s.set(idx, zero(uint(11)));
                    s.set(sum, zero(uint(8)));
                    fsm.go(s, "header");
                });
            }
            "header" => {
                s.when(got.clone(), |s| {
                    s.set(sum, sum.add_wrap(byte.clone()));
                    s.set(idx, idx.inc());
                    s.when(idx.eq_lit(0), |s| {
                        s.set(cmd, byte.clone());
                        s.when(!known.clone(), |s| fsm.go(s, "skip"));
                    });
                    for k in 0..4u32 {
                        s.when(idx.eq_lit(1 + k as i64), |s| {
                            let parts: Vec<Expr> = (0..4u32)
                                .rev()
                                .map(|j| {
                                    if j == k {
                                        byte.clone()
                                    } else {
                                        addr.slice(8 * j + 7, 8 * j)
                                    }
                                })
                                .collect();
                            s.set(addr, cat(parts));
                        });
                    }
                    s.when(idx.eq_lit(5), |s| {
                        s.set(count, byte.clone());
                        s.set(idx, zero(uint(11)));
                        // Data bytes: a register write's word, a memory write's words.
                        let n = mux(
                            is_cmd(Command::RegWrite),
                            ulit(11, 4),
                            mux(
                                is_cmd(Command::MemWrite),
                                cat([byte.zext(9).inc(), ulit(2, 0)]),
                                zero(uint(11)),
                            ),
                        );
                        s.set(data_bytes, n.clone());
                        s.when(n.eq_lit(0), |s| fsm.go(s, "checksum"))
                            .otherwise(|s| fsm.go(s, "data"));
                    });
                });
                s.when(expired & !got.clone(), |s| respond(s, Status::Truncated));
            }
            "data" => {
                s.when(got.clone(), |s| {
                    s.set(sum, sum.add_wrap(byte.clone()));
                    s.set(word, cat([byte.clone(), word.slice(31, 8)]));
                    s.set(idx, idx.inc());
                    s.when(ExprOps::eq(&idx.inc(), data_bytes), |s| {
                        fsm.go(s, "checksum")
                    });
                });
                s.when(expired & !got.clone(), |s| respond(s, Status::Truncated));
            }
            "checksum" => {
                s.when(got.clone(), |s| {
                    s.when(sum.add_wrap(byte.clone()).eq_lit(0), |s| fsm.go(s, "act"))
                        .otherwise(|s| respond(s, Status::BadChecksum));
                });
                s.when(expired & !got.clone(), |s| respond(s, Status::Truncated));
            }
            "skip" => {
                s.when(expired, |s| respond(s, Status::UnknownCommand));
            }
            "act" => {
                s.set(wi, zero(uint(8)));
                s.set(aw_done, ulit(1, 0));
                s.set(w_done, ulit(1, 0));
                s.set(status, status_is(Status::Ok));
                s.set(words, zero(uint(8)));
                s.when(is_cmd(Command::RegWrite) | is_cmd(Command::RegRead), |s| {
                    s.when(!Expr::from(reg_ok), |s| respond(s, Status::OutOfRange))
                        .otherwise(|s| {
                            s.when(is_cmd(Command::RegWrite), |s| fsm.go(s, "reg_write"))
                                .otherwise(|s| fsm.go(s, "reg_read"));
                        });
                });
                s.when(is_cmd(Command::MemWrite) | is_cmd(Command::MemRead), |s| {
                    s.when(!Expr::from(mem_ok), |s| respond(s, Status::OutOfRange))
                        .otherwise(|s| {
                            s.when(is_cmd(Command::MemWrite), |s| fsm.go(s, "buffer_read"))
                                .otherwise(|s| {
                                    s.set(words, count.inc());
                                    fsm.go(s, "send_sync");
                                });
                        });
                });
                s.when(is_cmd(Command::Info), |s| {
                    s.set(words, lit8(2));
                    fsm.go(s, "send_sync");
                });
            }
            "reg_write" => {
                s.when(aw.fire(), |s| s.set(aw_done, ulit(1, 1)));
                s.when(w.fire(), |s| s.set(w_done, ulit(1, 1)));
                s.when(b.fire(), |s| {
                    s.when(b.field("resp").ne_lit(0), |s| {
                        s.set(status, status_is(Status::BusError))
                    });
                    fsm.go(s, "send_sync");
                });
            }
            "reg_read" => {
                s.when(ar.fire(), |s| fsm.go(s, "fetch_wait"));
            }
            "buffer_read" => fsm.go(s, "mem_write"),
            "mem_write" => {
                s.when(mem.fire(), |s| {
                    s.set(wi, wi.inc());
                    s.when(ExprOps::eq(&wi, count), |s| fsm.go(s, "send_sync"))
                        .otherwise(|s| fsm.go(s, "buffer_read"));
                });
            }
            "send_sync" => {
                s.when(tx_fire, |s| {
                    s.set(sum, zero(uint(8)));
                    s.set(wi, zero(uint(8)));
                    fsm.go(s, "send_status");
                });
            }
            "send_status" => {
                s.when(tx_fire, |s| {
                    s.set(sum, sum.add_wrap(status));
                    s.when(words.eq_lit(0), |s| fsm.go(s, "send_sum"))
                        .otherwise(|s| fsm.go(s, "fetch"));
                });
            }
            "fetch" => {
                // The next word: REG_READ's is in `word` already; INFO's are constants;
                // MEM_READ's comes from the device memory a cycle after its read.
                s.set(bi, zero(uint(2)));
                s.when(is_cmd(Command::Info), |s| {
                    s.set(
                        word,
                        mux(
                            wi.eq_lit(0),
                            ulit(32, spec.mem_bytes as u64),
                            ulit(32, spec.clock_hz.min(u32::MAX as u64)),
                        ),
                    );
                    fsm.go(s, "send_word");
                });
                s.when(is_cmd(Command::RegRead), |s| fsm.go(s, "send_word"));
                s.when(is_cmd(Command::MemRead) & mem.fire(), |s| {
                    fsm.go(s, "fetch_wait")
                });
            }
            "fetch_wait" => {
                // REG_READ waits here for R; MEM_READ takes the memory's word.
                s.when(is_cmd(Command::RegRead), |s| {
                    s.when(r.valid(), |s| {
                        s.set(word, r.field("data"));
                        s.set(
                            status,
                            mux(
                                r.field("resp").ne_lit(0),
                                status_is(Status::BusError),
                                status_is(Status::Ok),
                            ),
                        );
                        s.set(
                            words,
                            mux(r.field("resp").ne_lit(0), zero(uint(8)), lit8(1)),
                        );
                        fsm.go(s, "send_sync");
                    });
                })
                .otherwise(|s| {
                    s.set(word, mem_rdata);
                    fsm.go(s, "send_word");
                });
            }
            "send_word" => {
                s.when(tx_fire, |s| {
                    s.set(sum, sum.add_wrap(tx_byte_now.clone()));
                    s.set(bi, bi.inc());
                    s.when(bi.eq_lit(3), |s| {
                        s.set(wi, wi.inc());
                        s.when(ExprOps::eq(&wi.inc(), words), |s| fsm.go(s, "send_sum"))
                            .otherwise(|s| fsm.go(s, "fetch"));
                    });
                });
            }
            _ => {
                s.when(tx_fire, |s| fsm.go(s, "idle"));
            }
        })
    });
    m.finish()
}
