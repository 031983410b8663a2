//! The functional ISA simulator: the reference model of the whole chip. A program and a DRAM
//! image in; the DRAM image, STATUS and work counters out.
//!
//! Semantics (the contract the RTL keeps; see `hdl/src/chip/isa.rs` for the encoding):
//! - The controller fetches the program (`program_len` instructions of 16 bytes from
//!   `program_addr`, 16-byte aligned, wholly inside the DRAM window, or STATUS.error = FETCH;
//!   an instruction the bus answers with an error stops the run with BUS_ERROR at its index)
//!   and dispatches in program order: LOAD to the load queue, MATMUL to the compute queue,
//!   STORE and VECTOR to the store queue, each holding `controller.queue_depth` instructions.
//!   Each queue executes in order; an instruction starts once the tokens it pops are there, and pushes
//!   its tokens when it finishes. FENCE waits for every queue to drain; HALT drains and stops
//!   with STATUS.done.
//! - Every instruction is checked when it is dispatched: decoding (opcode, reserved bits,
//!   flags, counts), SRAM row ranges against the configuration, and the DRAM window for LOAD
//!   and STORE. The first failure stops dispatch; what was dispatched before it completes; the
//!   failing instruction does nothing; STATUS.error and STATUS.pc (its index) say why.
//! - When nothing can make progress (every queue head waits for a token that cannot come and
//!   the dispatcher cannot proceed), the chip stops with DEADLOCK; STATUS.pc is the lowest
//!   program index among the waiting instructions.
//! - A token channel holds at most [`MAX_TOKENS`]; a push into a full channel waits.
//! - Scratchpad rows hold max(R, C) int8 values, accumulator rows C int32 values. LOAD fills
//!   `row_bytes` bytes of each row from DRAM and zero-fills the rest of the row; STORE copies
//!   `row_bytes` bytes of each row out (accumulator rows as little-endian int32 lanes). Rows
//!   of one LOAD or STORE are processed in order, so overlapping DRAM rows of a STORE end with
//!   the later row's bytes.
//! - MATMUL: acc[acc_row + m][c] = (accumulate ? acc[acc_row + m][c] : 0) + sum over r < R of
//!   spad[a_row + m][r] * spad[w_row + r][c], in int32 with wrap-around.
//! - VECTOR: rows m = 0.. in order, each read (a, and b per `b_mode`; a `bcast` b row once,
//!   before any row is written) then written, with the arithmetic of [`crate::vector`];
//!   `qload` / `tload` set the vector unit's parameters, which persist from run to run. A
//!   STORE with an epilogue requantises each accumulator lane with those parameters and
//!   writes its low 1 or 2 bytes.
//! - Results depend only on the program when every pair of accesses to one SRAM row from two
//!   different queues is ordered by tokens (a correctly synchronised program). The model runs
//!   one such order; SRAM contents are zero at start here, undefined on the chip, so a correct
//!   program never reads a row it has not written.

use std::collections::VecDeque;

use seedchip_hdl::chip::isa::{
    channel, table_rows, BMode, Channel, Epilogue, ErrorCode, Instr, Opcode, Post, Queue,
    VectorClass, VectorOp, INSTR_BYTES,
};
use seedchip_hdl::chip::Config;
use serde::{Deserialize, Serialize};

use crate::vector::{to_int8, VectorState};

/// Tokens a channel holds at most.
pub const MAX_TOKENS: u32 = 255;

/// The DRAM window (CSR base and bound): every access lies in `[base, bound)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub base: u64,
    pub bound: u64,
}

impl Window {
    /// Whether `len` bytes at `addr` lie inside the window.
    pub fn holds(&self, addr: u64, len: u64) -> bool {
        addr >= self.base && addr.checked_add(len).is_some_and(|end| end <= self.bound)
    }
}

/// What the host writes before START.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    pub program_addr: u64,
    /// Instructions.
    pub program_len: u32,
    pub window: Window,
}

impl Launch {
    /// A program of `program_len` instructions at address 0 of a DRAM image of `bytes` bytes,
    /// the window over the whole image.
    pub fn whole_image(program_len: u32, bytes: u64) -> Launch {
        Launch {
            program_addr: 0,
            program_len,
            window: Window {
                base: 0,
                bound: bytes,
            },
        }
    }
}

/// STATUS after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub done: bool,
    pub error: ErrorCode,
    /// Program index of the faulting (or, for DEADLOCK, lowest waiting) instruction; 0 after
    /// HALT (ERROR_PC is written only by errors).
    pub pc: u32,
}

/// Work done, as the performance counters count it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Instructions completed (FENCE and HALT included).
    pub instructions: u64,
    /// MACs the array performed: rows x R x C per MATMUL.
    pub macs: u64,
    /// Bytes read from DRAM (program fetch included) and written to it.
    pub dram_read_bytes: u64,
    pub dram_write_bytes: u64,
}

impl Status {
    /// Whether a STATUS register value says the program has ended (DONE, or an error).
    pub fn ended(status: u32) -> bool {
        let reg = seedchip_hdl::chip::csr::register("STATUS").expect("STATUS is in the map");
        reg.field(status, "DONE") == 1 || reg.field(status, "ERROR") != 0
    }

    /// Decode the STATUS and ERROR_PC registers as the host reads them.
    pub fn from_registers(status: u32, error_pc: u32) -> Result<Status, String> {
        let reg = seedchip_hdl::chip::csr::register("STATUS").expect("STATUS is in the map");
        let code = reg.field(status, "ERROR");
        let error = ErrorCode::ALL
            .into_iter()
            .find(|e| e.code() == code)
            .ok_or_else(|| format!("STATUS.ERROR = {code} is no error code"))?;
        Ok(Status {
            done: reg.field(status, "DONE") == 1,
            error,
            pc: error_pc,
        })
    }
}

impl Counters {
    /// The work counters from the performance counters, read by name (`CSR COUNTERS` stems).
    pub fn from_perf(get: impl Fn(&str) -> u64) -> Counters {
        Counters {
            instructions: get("INSTRUCTIONS"),
            macs: get("MACS"),
            dram_read_bytes: get("DMA_READ_BYTES"),
            dram_write_bytes: get("DMA_WRITE_BYTES"),
        }
    }
}

impl Launch {
    /// The launch registers and their values, written before CTRL.START.
    pub fn registers(&self) -> [(&'static str, u32); 4] {
        [
            ("PROGRAM_ADDR", self.program_addr as u32),
            ("PROGRAM_LEN", self.program_len),
            ("DRAM_BASE", self.window.base as u32),
            ("DRAM_BOUND", self.window.bound.min(u32::MAX as u64) as u32),
        ]
    }
}

/// How a run's STATUS and work counters differ from the model's, if they do: `who` names
/// the run in the message ("RTL", "board").
pub fn status_difference(
    who: &str,
    got: (&Status, &Counters),
    model: (&Status, &Counters),
) -> Option<String> {
    if got.0 != model.0 {
        return Some(format!("STATUS: {who} {:?}, model {:?}", got.0, model.0));
    }
    if got.1 != model.1 {
        return Some(format!("counters: {who} {:?}, model {:?}", got.1, model.1));
    }
    None
}

/// The first byte in `range` where a run's DRAM image differs from the model's.
pub fn dram_difference(
    who: &str,
    got: &[u8],
    model: &[u8],
    range: std::ops::Range<usize>,
) -> Option<String> {
    range.into_iter().find(|&i| got[i] != model[i]).map(|i| {
        format!(
            "DRAM byte {i:#x}: {who} {:#04x}, model {:#04x}",
            got[i], model[i]
        )
    })
}

/// The chip's architectural state.
#[derive(Clone, Debug)]
pub struct ChipModel {
    cfg: Config,
    pub scratchpad: Vec<Vec<i8>>,
    pub accumulator: Vec<Vec<i32>>,
    /// The vector unit's parameters (`qload`, `tload`); they persist from run to run.
    pub vector: VectorState,
}

fn channels(queue: Queue, instr: &Instr, kind: &str) -> Vec<Channel> {
    ["prev", "next"]
        .iter()
        .filter(|side| instr.get(&format!("{kind}_{side}")) == Some(1))
        .filter_map(|side| channel(queue, &format!("{kind}_{side}")))
        .collect()
}

enum Dispatch {
    Running,
    /// FENCE or HALT at `pc` waits for the queues to drain.
    Draining {
        pc: u32,
        halt: bool,
    },
    /// An error at `pc`: drain, then stop.
    Stopping {
        error: ErrorCode,
        pc: u32,
    },
}

impl ChipModel {
    pub fn new(cfg: &Config) -> ChipModel {
        let row = cfg.matrix.rows.max(cfg.matrix.cols) as usize;
        ChipModel {
            cfg: cfg.clone(),
            scratchpad: vec![vec![0; row]; cfg.memory.scratchpad_rows as usize],
            accumulator: vec![
                vec![0; cfg.matrix.cols as usize];
                cfg.memory.accumulator_rows as usize
            ],
            vector: VectorState::new(cfg.matrix.cols as usize),
        }
    }

    /// Bytes in one scratchpad row.
    pub fn scratchpad_row_bytes(&self) -> u64 {
        self.cfg.matrix.rows.max(self.cfg.matrix.cols) as u64
    }

    /// Bytes in one accumulator row.
    pub fn accumulator_row_bytes(&self) -> u64 {
        4 * self.cfg.matrix.cols as u64
    }

    /// The dispatch-time checks beyond decoding: SRAM ranges and the DRAM window.
    pub fn check(&self, i: &Instr, window: &Window) -> Result<(), ErrorCode> {
        let f = |name: &str| i.get(name).unwrap_or(0);
        let (spad, acc) = (
            self.cfg.memory.scratchpad_rows as u64,
            self.cfg.memory.accumulator_rows as u64,
        );
        match i.opcode {
            Opcode::Load | Opcode::Store => {
                let (rows_there, row_bytes) = if f("acc") == 1 {
                    let lane_bytes = Epilogue::from_code(f("epilogue"))
                        .unwrap_or(Epilogue::None)
                        .lane_bytes();
                    (acc, self.cfg.matrix.cols as u64 * lane_bytes as u64)
                } else {
                    (spad, self.scratchpad_row_bytes())
                };
                if f("sram_row") + f("rows") > rows_there || f("row_bytes") > row_bytes {
                    return Err(ErrorCode::RowRange);
                }
                // Rows are in increasing order (stride >= 0): first start and last end bound
                // the whole access.
                let last = f("dram_addr") + (f("rows") - 1) * f("dram_stride");
                if !window.holds(f("dram_addr"), 0) || !window.holds(last, f("row_bytes")) {
                    return Err(ErrorCode::DramWindow);
                }
            }
            Opcode::Matmul => {
                let r = self.cfg.matrix.rows as u64;
                if f("w_row") + r > spad
                    || f("a_row") + f("rows") > spad
                    || f("acc_row") + f("rows") > acc
                {
                    return Err(ErrorCode::RowRange);
                }
            }
            Opcode::Vector => {
                let op = VectorOp::from_code(f("op")).expect("decoded");
                if op == VectorOp::Tload && f("rows") != table_rows(self.cfg.matrix.cols) as u64 {
                    return Err(ErrorCode::IllegalField);
                }
                let size = |in_acc: u64| if in_acc == 1 { acc } else { spad };
                let rows = f("rows");
                let mut over = f("a_row") + rows > size(f("a_acc"));
                if op.uses_b() {
                    over |= match BMode::from_code(f("b_mode")).expect("decoded") {
                        BMode::Imm => false,
                        BMode::Row => f("b_row") + rows > size(f("b_acc")),
                        BMode::Broadcast => f("b_row") >= size(f("b_acc")),
                    };
                }
                if op.writes() {
                    over |= f("d_row") + rows > size(f("d_acc"));
                }
                if over {
                    return Err(ErrorCode::RowRange);
                }
            }
            Opcode::Fence | Opcode::Halt => {}
        }
        Ok(())
    }

    /// Row `row` of the scratchpad (`in_acc` = 0, its first C values sign-extended) or the
    /// accumulator, as vector lanes.
    fn lanes(&self, in_acc: bool, row: usize) -> Vec<i32> {
        if in_acc {
            self.accumulator[row].clone()
        } else {
            let c = self.cfg.matrix.cols as usize;
            self.scratchpad[row][..c]
                .iter()
                .map(|v| *v as i32)
                .collect()
        }
    }

    /// Execute one VECTOR instruction: rows in order, each read before it is written.
    fn vector(&mut self, i: &Instr) {
        let f = |name: &str| i.get(name).unwrap_or(0);
        let op = VectorOp::from_code(f("op")).expect("decoded");
        let post = Post::from_code(f("post")).expect("decoded");
        let (a_acc, b_acc, d_acc) = (f("a_acc") == 1, f("b_acc") == 1, f("d_acc") == 1);
        let (a_row, b_row, d_row, rows) = (
            f("a_row") as usize,
            f("b_row") as usize,
            f("d_row") as usize,
            f("rows") as usize,
        );
        let imm = f("imm") as u32 as i32;
        if op.class() == VectorClass::Load {
            let block: Vec<Vec<i32>> = (0..rows).map(|m| self.lanes(true, a_row + m)).collect();
            if op == VectorOp::Qload {
                self.vector.qload(&block);
            } else {
                self.vector.tload(&block);
            }
            return;
        }
        let lanes = self.cfg.matrix.cols as usize;
        let mode = BMode::from_code(f("b_mode")).expect("decoded");
        // A broadcast row is read once, before any row is written.
        let broadcast = (op.uses_b() && mode == BMode::Broadcast).then(|| self.lanes(b_acc, b_row));
        for m in 0..rows {
            let a = self.lanes(a_acc, a_row + m);
            let b = match (op.uses_b(), mode) {
                (false, _) | (true, BMode::Imm) => vec![imm; lanes],
                (true, BMode::Row) => self.lanes(b_acc, b_row + m),
                (true, BMode::Broadcast) => broadcast.clone().expect("read at the start"),
            };
            let out = self.vector.row(op, post, &a, &b, imm);
            if d_acc {
                self.accumulator[d_row + m] = out;
            } else {
                let dst = &mut self.scratchpad[d_row + m];
                dst.fill(0);
                for (d, v) in dst.iter_mut().zip(out) {
                    *d = to_int8(v);
                }
            }
        }
    }

    /// Run a program to HALT, an error or a deadlock.
    pub fn run(&mut self, dram: &mut [u8], launch: &Launch) -> (Status, Counters) {
        let mut counters = Counters::default();
        let stop = |error, pc, counters| {
            (
                Status {
                    done: error == ErrorCode::None,
                    error,
                    pc,
                },
                counters,
            )
        };
        let bytes = launch.program_len as u64 * INSTR_BYTES as u64;
        if launch.program_len == 0
            || !launch.program_addr.is_multiple_of(INSTR_BYTES as u64)
            || !launch.window.holds(launch.program_addr, bytes)
        {
            return stop(ErrorCode::Fetch, 0, counters);
        }
        let depth = self.cfg.controller.queue_depth as usize;
        let mut queues: [VecDeque<(u32, Instr)>; 3] = Default::default();
        let mut tokens = [0u32; 4];
        let mut state = Dispatch::Running;
        let mut pc = 0u32;
        let mut fetched: Option<u32> = None;
        loop {
            let mut progress = false;
            // Queue heads that can start, run.
            for (q, queue) in [Queue::Load, Queue::Compute, Queue::Store]
                .into_iter()
                .enumerate()
            {
                while let Some((at, head)) = queues[q].front().cloned() {
                    let pops = channels(queue, &head, "pop");
                    let pushes = channels(queue, &head, "push");
                    let can_pop = pops.iter().all(|c| tokens[*c as usize] > 0);
                    let can_push = pushes.iter().all(|c| tokens[*c as usize] < MAX_TOKENS);
                    if !(can_pop && can_push) {
                        break;
                    }
                    for c in pops {
                        tokens[c as usize] -= 1;
                    }
                    if let Err(e) = self.execute(&head, dram, &mut counters) {
                        // A bus error: stop dispatching; let the rest drain.
                        if matches!(state, Dispatch::Running | Dispatch::Draining { .. }) {
                            state = Dispatch::Stopping { error: e, pc: at };
                        }
                    }
                    for c in pushes {
                        tokens[c as usize] += 1;
                    }
                    counters.instructions += 1;
                    queues[q].pop_front();
                    progress = true;
                }
            }
            let drained = queues.iter().all(VecDeque::is_empty);
            match state {
                Dispatch::Stopping { error, pc } if drained => {
                    return stop(error, pc, counters);
                }
                Dispatch::Stopping { .. } => {}
                Dispatch::Draining { pc: at, halt } if drained => {
                    counters.instructions += 1;
                    if halt {
                        return stop(ErrorCode::None, 0, counters);
                    }
                    state = Dispatch::Running;
                    pc = at + 1;
                    progress = true;
                }
                Dispatch::Draining { .. } => {}
                Dispatch::Running if pc == launch.program_len => {
                    state = Dispatch::Stopping {
                        error: ErrorCode::NoHalt,
                        pc,
                    };
                    progress = true;
                }
                Dispatch::Running => {
                    let at = (launch.program_addr + pc as u64 * INSTR_BYTES as u64) as usize;
                    // The fetch counts once per instruction, when it is first checked.
                    if fetched != Some(pc) {
                        fetched = Some(pc);
                        counters.dram_read_bytes += INSTR_BYTES as u64;
                    }
                    // An instruction past the end of DRAM: the fetch gets DECERR.
                    let decoded = match dram.get(at..at + INSTR_BYTES as usize) {
                        None => Err(ErrorCode::BusError),
                        Some(bytes) => {
                            let word = u128::from_le_bytes(bytes.try_into().expect("16 bytes"));
                            Instr::decode(word)
                                .map_err(|e| ErrorCode::from(&e))
                                .and_then(|i| self.check(&i, &launch.window).map(|_| i))
                        }
                    };
                    match decoded {
                        Err(error) => {
                            state = Dispatch::Stopping { error, pc };
                            progress = true;
                        }
                        Ok(i) => match i.opcode.queue() {
                            None => {
                                state = Dispatch::Draining {
                                    pc,
                                    halt: i.opcode == Opcode::Halt,
                                };
                                progress = true;
                            }
                            Some(queue) => {
                                let q = queue as usize;
                                if queues[q].len() < depth {
                                    queues[q].push_back((pc, i));
                                    pc += 1;
                                    progress = true;
                                }
                            }
                        },
                    }
                }
            }
            if !progress {
                // Nothing can move: a deadlock (while stopping, the first error stands).
                if let Dispatch::Stopping { error, pc } = state {
                    return stop(error, pc, counters);
                }
                let waiting = queues
                    .iter()
                    .filter_map(|q| q.front().map(|(at, _)| *at))
                    .chain(matches!(state, Dispatch::Running).then_some(pc))
                    .min()
                    .unwrap_or(pc);
                return stop(ErrorCode::Deadlock, waiting, counters);
            }
        }
    }

    /// Execute one LOAD, STORE or MATMUL (already checked). A DRAM byte past the image is a
    /// bus error (DECERR on the chip); the instruction then does nothing.
    fn execute(
        &mut self,
        i: &Instr,
        dram: &mut [u8],
        counters: &mut Counters,
    ) -> Result<(), ErrorCode> {
        let f = |name: &str| i.get(name).unwrap_or(0);
        match i.opcode {
            Opcode::Load | Opcode::Store => {
                let (rows, n, stride) = (f("rows"), f("row_bytes"), f("dram_stride"));
                let last_end = f("dram_addr") + (rows - 1) * stride + n;
                if last_end > dram.len() as u64 {
                    return Err(ErrorCode::BusError);
                }
                for k in 0..rows {
                    let at = (f("dram_addr") + k * stride) as usize;
                    let row = (f("sram_row") + k) as usize;
                    let span = at..at + n as usize;
                    match (i.opcode, f("acc") == 1) {
                        (Opcode::Load, false) => {
                            let dst = &mut self.scratchpad[row];
                            dst.fill(0);
                            for (d, s) in dst.iter_mut().zip(&dram[span]) {
                                *d = *s as i8;
                            }
                        }
                        (Opcode::Load, true) => {
                            let mut bytes = vec![0u8; 4 * self.cfg.matrix.cols as usize];
                            bytes[..n as usize].copy_from_slice(&dram[span]);
                            for (c, lane) in self.accumulator[row].iter_mut().enumerate() {
                                let b = [
                                    bytes[4 * c],
                                    bytes[4 * c + 1],
                                    bytes[4 * c + 2],
                                    bytes[4 * c + 3],
                                ];
                                *lane = i32::from_le_bytes(b);
                            }
                        }
                        (_, false) => {
                            let src: Vec<u8> =
                                self.scratchpad[row].iter().map(|v| *v as u8).collect();
                            dram[span].copy_from_slice(&src[..n as usize]);
                        }
                        (_, true) => {
                            let epilogue = Epilogue::from_code(f("epilogue")).expect("decoded");
                            let lanes = match epilogue {
                                Epilogue::None => self.accumulator[row].clone(),
                                _ => self.vector.epilogue(&self.accumulator[row]),
                            };
                            let width = epilogue.lane_bytes() as usize;
                            let src: Vec<u8> = lanes
                                .iter()
                                .flat_map(|v| v.to_le_bytes().into_iter().take(width))
                                .collect();
                            dram[span].copy_from_slice(&src[..n as usize]);
                        }
                    }
                }
                if i.opcode == Opcode::Load {
                    counters.dram_read_bytes += rows * n;
                } else {
                    counters.dram_write_bytes += rows * n;
                }
            }
            Opcode::Matmul => {
                let (r, c) = (self.cfg.matrix.rows as usize, self.cfg.matrix.cols as usize);
                let (w, a, o, rows) = (
                    f("w_row") as usize,
                    f("a_row") as usize,
                    f("acc_row") as usize,
                    f("rows") as usize,
                );
                for m in 0..rows {
                    for col in 0..c {
                        let sum = (0..r).fold(0i32, |s, k| {
                            s.wrapping_add(
                                self.scratchpad[a + m][k] as i32
                                    * self.scratchpad[w + k][col] as i32,
                            )
                        });
                        let old = if f("accumulate") == 1 {
                            self.accumulator[o + m][col]
                        } else {
                            0
                        };
                        self.accumulator[o + m][col] = old.wrapping_add(sum);
                    }
                }
                counters.macs += (rows * r * c) as u64;
            }
            Opcode::Vector => self.vector(i),
            Opcode::Fence | Opcode::Halt => {}
        }
        Ok(())
    }
}
