//! Random, correctly synchronised programs for chip-level equivalence.
//!
//! A program is drawn as a list of raw operations ([`RawOp`], plain random numbers, so that
//! proptest shrinks a failure to fewer and smaller operations) and made legal for a
//! configuration by [`build`]: fields are folded into range, and every pair of instructions
//! in different queues that touch the same SRAM row or DRAM byte (one of them writing) is
//! ordered, by a token pair where the queues are adjacent and the flags are free, otherwise
//! by a FENCE. Tokens are always paired (the k-th push on a channel is for the k-th pop), so
//! the programs never deadlock and their results do not depend on timing.
//!
//! DRAM: the program from address 0, then a data area that crosses two 4 KiB boundaries;
//! LOADs read and STOREs write anywhere in it (overlaps included). A prologue loads every
//! SRAM row once, so no instruction reads a row that was never written, and an epilogue
//! stores every SRAM row to a dump area after the data, so every row a MATMUL or VECTOR
//! left behind is compared, not only what the program happened to store.

use proptest::prelude::*;
use seedchip_hdl::chip::isa::{
    channel, program_bytes, reads_before_writes, table_rows, BMode, Epilogue, Instr, Opcode, Post,
    Queue, VectorClass, VectorOp, QPARAM_ROWS,
};
use seedchip_hdl::chip::Config;

use crate::chip_model::Launch;
use crate::noise::XorShift64;

/// Where the data area starts, and its size.
pub const DATA_BASE: u64 = 0x800;
pub const DATA_BYTES: u64 = 0x2000;

/// One raw operation: what kind, and random numbers folded into range by [`build`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RawOp {
    /// 0: LOAD, 1: MATMUL, 2: STORE, 3: FENCE, 4: VECTOR.
    pub kind: u8,
    pub acc: bool,
    pub a: u16,
    pub b: u16,
    pub c: u16,
    pub n: u16,
    pub addr: u32,
    pub stride: u16,
    pub flag: bool,
}

/// Raw operations, weighted towards the three queues.
pub fn op_strategy() -> impl Strategy<Value = RawOp> {
    (
        prop_oneof![
            3 => Just(0u8),
            3 => Just(1u8),
            3 => Just(2u8),
            1 => Just(3u8),
            3 => Just(4u8)
        ],
        any::<bool>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(|(kind, acc, a, b, c, n, addr, stride, flag)| RawOp {
            kind,
            acc,
            a,
            b,
            c,
            n,
            addr,
            stride,
            flag,
        })
}

/// What an instruction touches (row and byte ranges, `[lo, hi)`).
#[derive(Clone, Debug, Default)]
struct Touch {
    spad_read: Vec<(u64, u64)>,
    spad_write: Vec<(u64, u64)>,
    acc_read: Vec<(u64, u64)>,
    acc_write: Vec<(u64, u64)>,
    dram_read: Vec<(u64, u64)>,
    dram_write: Vec<(u64, u64)>,
}

fn overlap(a: &[(u64, u64)], b: &[(u64, u64)]) -> bool {
    a.iter()
        .any(|(l1, h1)| b.iter().any(|(l2, h2)| l1 < h2 && l2 < h1))
}

impl Touch {
    fn conflicts(&self, o: &Touch) -> bool {
        overlap(&self.spad_write, &o.spad_write)
            || overlap(&self.spad_write, &o.spad_read)
            || overlap(&self.spad_read, &o.spad_write)
            || overlap(&self.acc_write, &o.acc_write)
            || overlap(&self.acc_write, &o.acc_read)
            || overlap(&self.acc_read, &o.acc_write)
            || overlap(&self.dram_write, &o.dram_write)
            || overlap(&self.dram_write, &o.dram_read)
            || overlap(&self.dram_read, &o.dram_write)
    }
}

fn fold(v: u64, n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        v % n
    }
}

fn dma(cfg: &Config, op: &RawOp, opcode: Opcode) -> (Instr, Touch) {
    let (spad_rows, acc_rows) = (
        cfg.memory.scratchpad_rows as u64,
        cfg.memory.accumulator_rows as u64,
    );
    let (rows_there, row_size) = if op.acc {
        (acc_rows, 4 * cfg.matrix.cols as u64)
    } else {
        (spad_rows, cfg.matrix.rows.max(cfg.matrix.cols) as u64)
    };
    let row = fold(op.a as u64, rows_there);
    let rows = 1 + fold(op.n as u64, (rows_there - row).min(16));
    let bytes = 1 + fold(op.b as u64, row_size);
    // One in four: contiguous rows (stride = row bytes), which the load unit reads as one
    // segment of long bursts; otherwise any stride, overlapping rows included.
    let stride = if op.stride.is_multiple_of(4) {
        bytes
    } else {
        fold(op.stride as u64 / 4, 3 * row_size + 1)
    };
    // Half the STOREs of accumulator rows requantise them on the way (int8 or int16).
    let epilogue = match (opcode, op.acc, op.c % 4) {
        (Opcode::Store, true, 1) => Epilogue::Int8,
        (Opcode::Store, true, 2) => Epilogue::Int16,
        _ => Epilogue::None,
    };
    let bytes = if epilogue == Epilogue::None {
        bytes
    } else {
        1 + fold(
            op.b as u64,
            cfg.matrix.cols as u64 * epilogue.lane_bytes() as u64,
        )
    };
    let span = (rows - 1) * stride + bytes;
    let addr = DATA_BASE + fold(op.addr as u64, DATA_BYTES - span + 1);
    let mut i = Instr::new(opcode)
        .with("acc", op.acc as u64)
        .with("sram_row", row)
        .with("rows", rows)
        .with("row_bytes", bytes)
        .with("dram_addr", addr)
        .with("dram_stride", stride);
    if opcode == Opcode::Store {
        i = i.with("epilogue", epilogue as u64);
    }
    let rows_range = vec![(row, row + rows)];
    let bytes_range: Vec<(u64, u64)> = (0..rows)
        .map(|k| (addr + k * stride, addr + k * stride + bytes))
        .collect();
    let mut t = Touch::default();
    match (opcode, op.acc) {
        (Opcode::Load, false) => t.spad_write = rows_range,
        (Opcode::Load, true) => t.acc_write = rows_range,
        (_, false) => t.spad_read = rows_range,
        (_, true) => t.acc_read = rows_range,
    }
    if opcode == Opcode::Load {
        t.dram_read = bytes_range;
    } else {
        t.dram_write = bytes_range;
    }
    (i, t)
}

fn matmul(cfg: &Config, op: &RawOp) -> (Instr, Touch) {
    let (s, a) = (
        cfg.memory.scratchpad_rows as u64,
        cfg.memory.accumulator_rows as u64,
    );
    let r = cfg.matrix.rows as u64;
    let w_row = fold(op.a as u64, s - r + 1);
    let rows = 1 + fold(op.n as u64, s.min(a).min(12));
    let a_row = fold(op.b as u64, s - rows + 1);
    let acc_row = fold(op.c as u64, a - rows + 1);
    let i = Instr::new(Opcode::Matmul)
        .with("w_row", w_row)
        .with("a_row", a_row)
        .with("acc_row", acc_row)
        .with("rows", rows)
        .with("accumulate", op.flag as u64);
    let t = Touch {
        spad_read: vec![(w_row, w_row + r), (a_row, a_row + rows)],
        acc_write: vec![(acc_row, acc_row + rows)],
        acc_read: if op.flag {
            vec![(acc_row, acc_row + rows)]
        } else {
            vec![]
        },
        ..Touch::default()
    };
    (i, t)
}

/// A VECTOR instruction: any operation, operands from either memory, b as an immediate, a row
/// or a broadcast row, `imm` any 32 bits. Rows are moved where the overlap rule needs (in
/// place), and a table load is skipped (an `add`) when the accumulator is too small for it.
fn vector(cfg: &Config, op: &RawOp) -> (Instr, Touch) {
    let (spad_rows, acc_rows) = (
        cfg.memory.scratchpad_rows as u64,
        cfg.memory.accumulator_rows as u64,
    );
    let size = |acc: bool| if acc { acc_rows } else { spad_rows };
    let pick = op.stride as u64;
    let mut vop = VectorOp::ALL[(pick % VectorOp::ALL.len() as u64) as usize];
    let table = table_rows(cfg.matrix.cols) as u64;
    if vop == VectorOp::Tload && table > acc_rows {
        vop = VectorOp::Add;
    }
    let mut mode = BMode::ALL[((pick / 17) % 3) as usize];
    let post = if vop.class() == VectorClass::Reduce {
        Post::ALL[((pick / 51) % 4) as usize]
    } else {
        Post::None
    };
    let b_acc = (pick / 204) % 2 == 1;
    let (mut a_acc, d_acc) = (op.acc, op.flag);
    let rows = match vop {
        VectorOp::Qload => QPARAM_ROWS as u64,
        VectorOp::Tload => table,
        _ => 1 + fold(op.n as u64, 12.min(spad_rows).min(acc_rows)),
    };
    if vop.class() == VectorClass::Load {
        a_acc = true;
    }
    let a_row = fold(op.a as u64, size(a_acc) - rows + 1);
    let b_row = match mode {
        BMode::Row => fold(op.b as u64, size(b_acc) - rows + 1),
        _ => fold(op.b as u64, size(b_acc)),
    };
    let mut d_row = fold(op.c as u64, size(d_acc) - rows + 1);
    if d_acc == a_acc && !reads_before_writes(d_row, a_row, rows) {
        d_row = a_row;
    }
    if vop.uses_b()
        && mode == BMode::Row
        && d_acc == b_acc
        && !reads_before_writes(d_row, b_row, rows)
    {
        mode = BMode::Broadcast;
    }
    let i = Instr::new(Opcode::Vector)
        .with("op", vop.code() as u64)
        .with("a_acc", a_acc as u64)
        .with("b_acc", b_acc as u64)
        .with("d_acc", d_acc as u64)
        .with("a_row", a_row)
        .with("b_row", b_row)
        .with("d_row", d_row)
        .with("rows", rows)
        .with("b_mode", mode as u64)
        .with("post", post as u64)
        .with("imm", op.addr as u64);
    let mut t = Touch::default();
    let reads = |t: &mut Touch, acc: bool, range: (u64, u64)| {
        if acc {
            t.acc_read.push(range)
        } else {
            t.spad_read.push(range)
        }
    };
    reads(&mut t, a_acc, (a_row, a_row + rows));
    if vop.uses_b() {
        match mode {
            BMode::Row => reads(&mut t, b_acc, (b_row, b_row + rows)),
            BMode::Broadcast => reads(&mut t, b_acc, (b_row, b_row + 1)),
            BMode::Imm => {}
        }
    }
    if vop.writes() {
        let range = (d_row, d_row + rows);
        if d_acc {
            t.acc_write.push(range)
        } else {
            t.spad_write.push(range)
        }
    }
    (i, t)
}

/// A built program: the DRAM image (program and data) and the launch registers.
#[derive(Clone, Debug)]
pub struct Built {
    pub program: Vec<Instr>,
    pub dram: Vec<u8>,
    pub launch: Launch,
}

fn queue_of(i: &Instr) -> Option<Queue> {
    i.opcode.queue()
}

/// Make `ops` a legal, synchronised program for `cfg`, with data bytes from `seed`.
pub fn build(cfg: &Config, ops: &[RawOp], seed: u64) -> Built {
    let data = XorShift64::new(seed).bytes(DATA_BYTES as usize);
    build_with_data(cfg, ops, seed, &data)
}

/// [`build`] with the data area's bytes given ([`DATA_BYTES`] of them); the prologue loads
/// SRAM rows from `DATA_BASE + seed % 64`.
pub fn build_with_data(cfg: &Config, ops: &[RawOp], seed: u64, data: &[u8]) -> Built {
    assert_eq!(data.len(), DATA_BYTES as usize, "the data area's size");
    let mut program: Vec<Instr> = Vec::new();
    // Prologue: every SRAM row written once, then a FENCE.
    let spad_bytes = cfg.matrix.rows.max(cfg.matrix.cols) as u64;
    let acc_bytes = 4 * cfg.matrix.cols as u64;
    for (acc, rows, bytes) in [
        (0, cfg.memory.scratchpad_rows as u64, spad_bytes),
        (1, cfg.memory.accumulator_rows as u64, acc_bytes),
    ] {
        // Rows as far apart as fit (overlapping when the memory is larger than the area).
        let stride = ((DATA_BYTES - 64 - bytes) / (rows - 1).max(1)).min(bytes);
        program.push(
            Instr::new(Opcode::Load)
                .with("acc", acc)
                .with("rows", rows)
                .with("row_bytes", bytes)
                .with("dram_addr", DATA_BASE + (seed % 64))
                .with("dram_stride", stride),
        );
    }
    program.push(Instr::new(Opcode::Fence));
    // Since the last FENCE: (program index, queue, what it touched).
    let mut live: Vec<(usize, Queue, Touch)> = Vec::new();
    let mut last_in: [Option<usize>; 3] = [None; 3];
    for op in ops {
        let (mut instr, touch) = match op.kind {
            0 => dma(cfg, op, Opcode::Load),
            1 => matmul(cfg, op),
            2 => dma(cfg, op, Opcode::Store),
            4 => vector(cfg, op),
            _ => {
                program.push(Instr::new(Opcode::Fence));
                live.clear();
                continue;
            }
        };
        let q = queue_of(&instr).expect("a queue instruction");
        let conflicts: Vec<Queue> = live
            .iter()
            .filter(|(_, lq, t)| *lq != q && t.conflicts(&touch))
            .map(|(_, lq, _)| *lq)
            .collect();
        // Order after each conflicting queue with a token pair, if possible.
        let mut need_fence = false;
        let mut pairs: Vec<(usize, &str, &str)> = Vec::new();
        let mut seen: Vec<Queue> = Vec::new();
        for other in conflicts {
            if seen.contains(&other) {
                continue;
            }
            seen.push(other);
            let (pop, push) = match (other as i32) - (q as i32) {
                -1 => ("pop_prev", "push_next"),
                1 => ("pop_next", "push_prev"),
                _ => {
                    need_fence = true;
                    break;
                }
            };
            let Some(x) = last_in[other as usize] else {
                need_fence = true;
                break;
            };
            if channel(q, pop).is_none() || program[x].get(push) == Some(1) {
                need_fence = true;
                break;
            }
            pairs.push((x, pop, push));
        }
        if need_fence {
            program.push(Instr::new(Opcode::Fence));
            live.clear();
        } else {
            for (x, pop, push) in pairs {
                program[x] = program[x].clone().with(push, 1);
                instr = instr.with(pop, 1);
            }
        }
        last_in[q as usize] = Some(program.len());
        live.push((program.len(), q, touch));
        program.push(instr);
    }
    // Epilogue: every SRAM row to the dump area.
    program.push(Instr::new(Opcode::Fence));
    let dump = DATA_BASE + DATA_BYTES;
    let spad_dump = cfg.memory.scratchpad_rows as u64 * spad_bytes;
    for (acc, rows, bytes, at) in [
        (0, cfg.memory.scratchpad_rows as u64, spad_bytes, dump),
        (
            1,
            cfg.memory.accumulator_rows as u64,
            acc_bytes,
            dump + spad_dump,
        ),
    ] {
        program.push(
            Instr::new(Opcode::Store)
                .with("acc", acc)
                .with("rows", rows)
                .with("row_bytes", bytes)
                .with("dram_addr", at)
                .with("dram_stride", bytes),
        );
    }
    program.push(Instr::new(Opcode::Halt));

    let code = program_bytes(&program);
    let size = (dump + spad_dump + cfg.memory.accumulator_rows as u64 * acc_bytes) as usize;
    assert!(
        code.len() <= DATA_BASE as usize,
        "program too long for the layout"
    );
    let mut dram = vec![0u8; size];
    dram[..code.len()].copy_from_slice(&code);
    dram[DATA_BASE as usize..dump as usize].copy_from_slice(data);
    let launch = Launch::whole_image(program.len() as u32, size as u64);
    Built {
        program,
        dram,
        launch,
    }
}

impl Built {
    /// The same program moved `offset` bytes up DRAM (a multiple of 4 KiB, so every burst
    /// window and boundary falls where it did): its code, data and every LOAD and STORE
    /// address, with the window over the moved image. Returns the image from `offset` on.
    pub fn relocated(&self, offset: u64) -> Built {
        assert_eq!(offset % 4096, 0, "a relocation keeps 4 KiB alignment");
        let program: Vec<Instr> = self
            .program
            .iter()
            .map(|i| match i.get("dram_addr") {
                Some(a) => i.clone().with("dram_addr", a + offset),
                None => i.clone(),
            })
            .collect();
        let mut dram = self.dram.clone();
        let code = program_bytes(&program);
        dram[..code.len()].copy_from_slice(&code);
        let launch = Launch {
            program_addr: self.launch.program_addr + offset,
            program_len: self.launch.program_len,
            window: crate::chip_model::Window {
                base: self.launch.window.base + offset,
                bound: self.launch.window.bound + offset,
            },
        };
        Built {
            program,
            dram,
            launch,
        }
    }
}

/// Most operations a drawn program has (the layout holds up to 128 instructions).
pub const MAX_OPS: usize = 48;
