//! The host side of the board link: the framed protocol over a byte link (a serial port, or
//! the Verilated `board_core` driven bit by bit through its UART pins), and a GEMM run on the
//! board checked against the reference model.
//!
//! ```text
//!  Host (write_reg, read_reg, write_mem, read_mem, info, run)
//!    -> frames (seedchip_hdl::board::protocol) -> Link: SimLink (Verilator, UART bits) | a port
//! ```

use std::sync::Arc;
use std::time::Duration;

use seedchip_hdl::board::boards::Board;
use seedchip_hdl::board::core::CoreSpec;
use seedchip_hdl::board::protocol::{
    decode_response, request, Command, ProtocolError, Response, Status, MAX_BURST_WORDS,
    RESPONSE_SYNC,
};
use seedchip_hdl::board::uart::bit_cycles;
use seedchip_hdl::chip::csr::{register, COUNTERS};
use seedchip_hdl::chip::Config;

use crate::chip_model::{
    dram_difference, status_difference, ChipModel, Counters, Launch, Status as ChipStatus,
};
use crate::verilator::{sources_of, BuildOptions, Model, PortId, Sim, Source, XInit};

/// A failure on the link or from the board.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error("link: {0}")]
    Link(String),
    #[error("no response to {what} within {cycles} bit times")]
    Timeout { what: String, cycles: u64 },
    #[error("{what}: {0}", what = .1)]
    Protocol(ProtocolError, String),
    #[error("{what}: the board answered {status:?} ({})", status.describe())]
    Status { what: String, status: Status },
    #[error("{0}")]
    Usage(String),
    #[error("the board's run differs from the reference model: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Sim(#[from] crate::verilator::BridgeError),
    #[error(transparent)]
    Flow(#[from] seedchip_eda::flow::FlowError),
}

/// A byte link to a board.
pub trait Link {
    /// Send bytes.
    fn send(&mut self, bytes: &[u8]) -> Result<(), BoardError>;
    /// Receive exactly `n` bytes, waiting at most about `bit_times` bit periods for each.
    fn recv(&mut self, n: usize, bit_times: u64) -> Result<Vec<u8>, BoardError>;
}

/// The Verilated `board_core`, its UART pins driven and sampled at its bit rate.
pub struct SimLink {
    sim: Sim,
    rx: PortId,
    tx: PortId,
    cycles: u64,
    /// Cycles simulated.
    pub cycle: u64,
}

impl SimLink {
    /// Build (or fetch from the cache) `board_core` for `cfg` and `spec` and reset it.
    pub fn new(cfg: &Config, spec: &CoreSpec) -> Result<SimLink, BoardError> {
        let model = board_model(cfg, spec)?;
        let mut sim = model.sim(XInit::Random(1))?;
        let (rx, tx) = (sim.port("uart_rx")?, sim.port("uart_tx")?);
        sim.set_bool(rx, true)?;
        sim.reset(4)?;
        Ok(SimLink::on(sim, rx, tx, spec))
    }

    /// A board top (its RTL or its mapped netlist, `model`): clocked on its oscillator pin,
    /// the button released, run until its power-on reset is over. `init` is what flip-flops
    /// without an initial value start at.
    pub fn board_top(
        model: &Arc<Model>,
        board: Board,
        spec: &CoreSpec,
        init: XInit,
    ) -> Result<SimLink, BoardError> {
        let pins = board.board_pins();
        let mut sim = model.sim(init)?.with_clock(pins.clock)?;
        let (rx, tx) = (sim.port(pins.uart_rx)?, sim.port(pins.uart_tx)?);
        let button = sim.port(pins.button)?;
        sim.set_bool(button, pins.button_active_low)?;
        sim.set_bool(rx, true)?;
        sim.steps(POWER_ON_CYCLES)?;
        Ok(SimLink::on(sim, rx, tx, spec))
    }

    fn on(sim: Sim, rx: PortId, tx: PortId, spec: &CoreSpec) -> SimLink {
        SimLink {
            sim,
            rx,
            tx,
            cycles: bit_cycles(spec.clock_hz, spec.baud) as u64,
            cycle: 0,
        }
    }

    fn step(&mut self) -> Result<(), BoardError> {
        self.sim.step()?;
        self.cycle += 1;
        Ok(())
    }

    fn line(&mut self) -> bool {
        self.sim.get_bool(self.tx)
    }
}

/// Cycles a board top needs after configuration before it listens: its power-on reset (16
/// cycles after the button synchroniser's 2), with room to spare.
const POWER_ON_CYCLES: u64 = 32;

/// The Verilator model of `board_core` for `cfg` and `spec`.
pub fn board_model(cfg: &Config, spec: &CoreSpec) -> Result<Arc<Model>, BoardError> {
    let core = seedchip_hdl::board::core::board_core(cfg, spec)
        .map_err(|e| BoardError::Usage(format!("generating the board core: {e}")))?;
    let design = seedchip_hdl::hw::Design::new(core)
        .map_err(|e| BoardError::Usage(format!("generating the board core: {e}")))?;
    Ok(Model::build(
        &sources_of(&design),
        design.top().name(),
        &BuildOptions::default(),
    )?)
}

impl Link for SimLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), BoardError> {
        for &b in bytes {
            // Start bit, 8 data bits LSB first, stop bit.
            let bits = std::iter::once(false)
                .chain((0..8).map(|i| b >> i & 1 == 1))
                .chain(std::iter::once(true));
            for bit in bits {
                self.sim.set_bool(self.rx, bit)?;
                for _ in 0..self.cycles {
                    self.step()?;
                }
            }
        }
        Ok(())
    }

    fn recv(&mut self, n: usize, bit_times: u64) -> Result<Vec<u8>, BoardError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            // Wait for a start edge.
            let mut waited = 0;
            while self.line() {
                self.step()?;
                waited += 1;
                if waited > bit_times * self.cycles {
                    return Err(BoardError::Timeout {
                        what: format!("byte {} of a response", out.len() + 1),
                        cycles: bit_times,
                    });
                }
            }
            // Sample the middle of each bit.
            for _ in 0..self.cycles / 2 {
                self.step()?;
            }
            let mut byte = 0u8;
            for i in 0..9 {
                for _ in 0..self.cycles {
                    self.step()?;
                }
                let v = self.line();
                if i < 8 {
                    byte |= (v as u8) << i;
                } else if !v {
                    return Err(BoardError::Link(format!(
                        "framing error: byte {} of a response has a low stop bit",
                        out.len() + 1
                    )));
                }
            }
            out.push(byte);
        }
        Ok(out)
    }
}

/// A board's serial port.
pub struct SerialLink {
    port: Box<dyn serialport::SerialPort>,
    baud: u64,
}

impl SerialLink {
    /// Open `port` at `baud`, 8N1, no flow control.
    pub fn open(port: &str, baud: u64) -> Result<SerialLink, BoardError> {
        let p = serialport::new(port, baud as u32)
            .timeout(Duration::from_millis(500))
            .open()
            .map_err(|e| BoardError::Link(format!("opening {port}: {e}")))?;
        Ok(SerialLink { port: p, baud })
    }
}

impl Link for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), BoardError> {
        use std::io::Write;
        self.port
            .write_all(bytes)
            .map_err(|e| BoardError::Link(e.to_string()))
    }

    fn recv(&mut self, n: usize, bit_times: u64) -> Result<Vec<u8>, BoardError> {
        use std::io::Read;
        let wait = Duration::from_secs_f64((bit_times as f64 / self.baud as f64).max(0.2));
        self.port
            .set_timeout(wait)
            .map_err(|e| BoardError::Link(e.to_string()))?;
        let mut out = vec![0u8; n];
        self.port.read_exact(&mut out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                BoardError::Timeout {
                    what: format!("{n} bytes of a response"),
                    cycles: bit_times,
                }
            } else {
                BoardError::Link(e.to_string())
            }
        })?;
        Ok(out)
    }
}

/// A host session over a link.
pub struct Host<L: Link> {
    pub link: L,
    /// Bit times to wait for a response byte (generous: a run's registers answer at once,
    /// the bridge itself waits on nothing longer than a memory access).
    pub patience: u64,
}

impl<L: Link> Host<L> {
    pub fn new(link: L) -> Host<L> {
        Host {
            link,
            patience: 2_000,
        }
    }

    /// One request and its response; a status other than Ok is an error.
    pub fn transact(
        &mut self,
        cmd: Command,
        addr: u32,
        words: u32,
        data: &[u32],
    ) -> Result<Vec<u32>, BoardError> {
        let what = format!("{} at {addr:#x}", cmd.name());
        let r = self.exchange(
            &request(cmd, addr, words, data),
            cmd.response_words(words),
            &what,
        )?;
        if r.status != Status::Ok {
            return Err(BoardError::Status {
                what,
                status: r.status,
            });
        }
        Ok(r.data)
    }

    /// Send raw bytes and read the response (any status): for tests of bad frames.
    pub fn exchange(
        &mut self,
        frame: &[u8],
        data_words: u32,
        what: &str,
    ) -> Result<Response, BoardError> {
        self.link.send(frame)?;
        let head = self.link.recv(2, self.patience)?;
        if head[0] != RESPONSE_SYNC {
            return Err(BoardError::Protocol(
                ProtocolError::Sync(head[0]),
                what.to_string(),
            ));
        }
        let status = Status::from_code(head[1])
            .ok_or_else(|| BoardError::Protocol(ProtocolError::Status(head[1]), what.into()))?;
        let rest = if status == Status::Ok {
            4 * data_words as usize + 1
        } else {
            1
        };
        let mut bytes = head;
        bytes.extend(self.link.recv(rest, self.patience)?);
        decode_response(&bytes, data_words).map_err(|e| BoardError::Protocol(e, what.into()))
    }

    /// The device memory's size in bytes and the chip's clock in Hz.
    pub fn info(&mut self) -> Result<(u32, u32), BoardError> {
        let d = self.transact(Command::Info, 0, 0, &[])?;
        Ok((d[0], d[1]))
    }

    pub fn write_reg(&mut self, name: &str, value: u32) -> Result<(), BoardError> {
        let r = register(name).ok_or_else(|| BoardError::Usage(format!("no register {name}")))?;
        self.transact(Command::RegWrite, r.offset, 0, &[value])?;
        Ok(())
    }

    pub fn read_reg(&mut self, name: &str) -> Result<u32, BoardError> {
        let r = register(name).ok_or_else(|| BoardError::Usage(format!("no register {name}")))?;
        Ok(self.transact(Command::RegRead, r.offset, 0, &[])?[0])
    }

    /// Write `bytes` from `addr` (both word-aligned, the length padded with zeros).
    pub fn write_mem(&mut self, addr: u32, bytes: &[u8]) -> Result<(), BoardError> {
        let words = seedchip_hdl::hw::le_words(bytes);
        for (i, chunk) in words.chunks(MAX_BURST_WORDS as usize).enumerate() {
            let at = addr + 4 * MAX_BURST_WORDS * i as u32;
            self.transact(Command::MemWrite, at, chunk.len() as u32, chunk)?;
        }
        Ok(())
    }

    /// Read `len` bytes from `addr` (word-aligned).
    pub fn read_mem(&mut self, addr: u32, len: usize) -> Result<Vec<u8>, BoardError> {
        let words = len.div_ceil(4) as u32;
        let mut out = Vec::with_capacity(4 * words as usize);
        let mut done = 0;
        while done < words {
            let n = (words - done).min(MAX_BURST_WORDS);
            for w in self.transact(Command::MemRead, addr + 4 * done, n, &[])? {
                out.extend_from_slice(&w.to_le_bytes());
            }
            done += n;
        }
        out.truncate(len);
        Ok(out)
    }

    /// Launch a program already in device memory and poll STATUS until it ends (at most
    /// `polls` reads): STATUS, the work counters and CYCLES.
    pub fn run(&mut self, launch: &Launch, polls: u64) -> Result<BoardRun, BoardError> {
        for (name, value) in launch.registers() {
            self.write_reg(name, value)?;
        }
        self.write_reg("CTRL", 1)?;
        let mut ended = false;
        for _ in 0..polls {
            if ChipStatus::ended(self.read_reg("STATUS")?) {
                ended = true;
                break;
            }
        }
        if !ended {
            return Err(BoardError::Timeout {
                what: "the program's end (STATUS.DONE or ERROR)".into(),
                cycles: polls,
            });
        }
        let s = self.read_reg("STATUS")?;
        let pc = self.read_reg("ERROR_PC")?;
        let status = ChipStatus::from_registers(s, pc).map_err(BoardError::Mismatch)?;
        let mut perf = Vec::new();
        for (name, _) in COUNTERS {
            let lo = self.read_reg(&format!("{name}_LO"))?;
            let hi = self.read_reg(&format!("{name}_HI"))?;
            perf.push((*name, (hi as u64) << 32 | lo as u64));
        }
        let get = |n: &str| perf.iter().find(|(p, _)| *p == n).map_or(0, |(_, v)| *v);
        Ok(BoardRun {
            status,
            counters: Counters::from_perf(get),
            cycles: get("CYCLES"),
        })
    }
}

/// A program's end on the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardRun {
    pub status: ChipStatus,
    pub counters: Counters,
    pub cycles: u64,
}

/// A GEMM on the board, checked against the model.
#[derive(Clone, Debug)]
pub struct BoardGemm {
    pub run: BoardRun,
    pub c: crate::model::Matrix<i32>,
}

/// Load the GEMM library's program for `a` x `w` and its data into device memory, run it,
/// read C back and compare STATUS, counters and C with the reference model.
pub fn run_gemm<L: Link>(
    host: &mut Host<L>,
    cfg: &Config,
    a: &crate::model::Matrix<i8>,
    w: &crate::model::Matrix<i8>,
) -> Result<BoardGemm, BoardError> {
    let p = crate::gemm::plan(cfg, a.rows, a.cols, w.cols)
        .map_err(|e| BoardError::Usage(format!("tiling the GEMM: {e}")))?;
    let (dram, launch) = p.dram(a, w);
    let (mem_bytes, _) = host.info()?;
    if dram.len() > mem_bytes as usize {
        return Err(BoardError::Usage(format!(
            "the GEMM's DRAM image is {} bytes; the board's device memory holds {mem_bytes}",
            dram.len()
        )));
    }
    host.write_mem(0, &dram)?;
    let run = host.run(&launch, 1_000_000)?;
    let c_at = p.layout.c_addr as usize;
    let tail = host.read_mem(c_at as u32, dram.len() - c_at)?;
    let mut after = dram.clone();
    after[c_at..].copy_from_slice(&tail);
    let mut expect = dram.clone();
    let (status, counters) = ChipModel::new(cfg).run(&mut expect, &launch);
    if let Some(d) = status_difference("board", (&run.status, &run.counters), (&status, &counters))
        .or_else(|| dram_difference("board", &after, &expect, c_at..expect.len()))
    {
        return Err(BoardError::Mismatch(d));
    }
    Ok(BoardGemm {
        run,
        c: p.result(&after),
    })
}

/// The gate-level check of a board top: the same GEMM through the UART on the top's RTL and
/// on its mapped netlist.
#[derive(Debug)]
pub struct NetlistCheck {
    pub synthesis: seedchip_eda::flow::board::Synthesis,
    /// The GEMM on the RTL and on the netlist, each with the board cycles it took.
    pub rtl: (BoardGemm, u64),
    pub netlist: (BoardGemm, u64),
}

/// Synthesise `board`'s top for `cfg` into `out` (as `fpga build` does) and run the GEMM
/// `a` x `w` over the UART on the top's RTL and on the mapped netlist, simulated with the
/// Yosys build's own cell models. Both runs are checked against the reference model, and the
/// netlist's must equal the RTL's: STATUS, every counter, CYCLES, C, and the board cycles
/// the whole exchange took. `progress` hears of each step.
pub fn check_netlist(
    cfg: &Config,
    board: Board,
    out: &std::path::Path,
    a: &crate::model::Matrix<i8>,
    w: &crate::model::Matrix<i8>,
    progress: &mut dyn FnMut(&str),
) -> Result<NetlistCheck, BoardError> {
    progress(&format!(
        "synthesising {} for the {}",
        board.top(),
        board.info().device
    ));
    let synthesis = seedchip_eda::flow::board::synthesize(cfg, board, out)?;
    compare_netlist(cfg, board, synthesis, out, a, w, progress)
}

/// The simulation half of [`check_netlist`], on a synthesis already in `out`.
pub fn compare_netlist(
    cfg: &Config,
    board: Board,
    synthesis: seedchip_eda::flow::board::Synthesis,
    out: &std::path::Path,
    a: &crate::model::Matrix<i8>,
    w: &crate::model::Matrix<i8>,
    progress: &mut dyn FnMut(&str),
) -> Result<NetlistCheck, BoardError> {
    let spec = synthesis.spec;

    progress("building the RTL top's model (Verilator)");
    let rtl_sources: Vec<Source> = synthesis.rtl.iter().cloned().map(Source::File).collect();
    let rtl_model = Model::build(&rtl_sources, &synthesis.top, &BuildOptions::default())?;

    progress("building the netlist's model with the cell models (Verilator)");
    let models = seedchip_eda::cells::fpga_models(
        seedchip_eda::flow::board::flow_family(board),
        &synthesis.yosys,
        &out.join("cell_models"),
    )?;
    let mut gate_sources = vec![Source::File(synthesis.netlist.clone())];
    gate_sources.extend(models.files.iter().cloned().map(Source::File));
    let gate_model = Model::build(
        &gate_sources,
        &synthesis.top,
        &BuildOptions {
            verilator_args: models.verilator_args(),
            // A large netlist run for a short program: the compiler is most of the cost.
            quick: true,
            ..Default::default()
        },
    )?;

    let mut run = |what: &str, model: &Arc<Model>, init: XInit| {
        progress(&format!("running the GEMM on the {what}"));
        let mut host = Host::new(SimLink::board_top(model, board, &spec, init)?);
        let g = run_gemm(&mut host, cfg, a, w).map_err(|e| match e {
            BoardError::Mismatch(m) => BoardError::Mismatch(format!("on the {what}: {m}")),
            e => e,
        })?;
        Ok::<_, BoardError>((g, host.link.cycle))
    };
    // Flip-flops start random in the RTL (the reset must set them) and at their configured
    // initial values in the netlist, as on the device.
    let rtl = run("RTL", &rtl_model, XInit::Random(1))?;
    let netlist = run("netlist", &gate_model, XInit::Zeros)?;
    if rtl.0.run != netlist.0.run || rtl.1 != netlist.1 || rtl.0.c != netlist.0.c {
        return Err(BoardError::Mismatch(format!(
            "the netlist's run differs from the RTL's: RTL {:?} in {} board cycles, netlist {:?} in {} board cycles{}",
            rtl.0.run,
            rtl.1,
            netlist.0.run,
            netlist.1,
            if rtl.0.c != netlist.0.c { ", and C differs" } else { "" }
        )));
    }
    Ok(NetlistCheck {
        synthesis,
        rtl,
        netlist,
    })
}
