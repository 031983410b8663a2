//! The register block's reference model, cycle by cycle (the rules are in
//! `hdl/src/chip/csr_block.rs`; offsets and counters come from the same definitions).

use seedchip_hdl::chip::csr::{register, Access, ID_MAGIC, REGISTERS};
use seedchip_hdl::chip::csr_block::COUNTERS;

/// Inputs of one cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsrIn {
    pub aw_valid: bool,
    pub aw_addr: u32,
    pub w_valid: bool,
    pub w_data: u32,
    pub w_strb: u32,
    pub b_ready: bool,
    pub ar_valid: bool,
    pub ar_addr: u32,
    pub r_ready: bool,
    pub busy: bool,
    pub done: bool,
    pub error: bool,
    pub error_code: u32,
    pub error_pc: u32,
    /// Increments of the counters after CYCLES, in [`COUNTERS`] order.
    pub counts: Vec<u64>,
}

/// Outputs of one cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsrOut {
    pub aw_ready: bool,
    pub w_ready: bool,
    pub ar_ready: bool,
    pub b_valid: bool,
    pub b_resp: u32,
    pub r_valid: bool,
    /// Read data and response (meaningful while `r_valid`).
    pub r_data: u32,
    pub r_resp: u32,
    pub start: bool,
    pub soft_reset: bool,
    pub program_addr: u32,
    pub program_len: u32,
    pub dram_base: u32,
    pub dram_bound: u32,
    pub irq: bool,
}

/// The block's state after reset.
#[derive(Clone, Debug, Default)]
pub struct CsrModel {
    b_valid: bool,
    b_resp: u32,
    r_valid: bool,
    r_data: u32,
    r_resp: u32,
    start_q: bool,
    soft_q: bool,
    program_addr: u32,
    program_len: u32,
    dram_base: u32,
    dram_bound: u32,
    irq_enable: u32,
    done: bool,
    error: u32,
    error_pc: u32,
    irq_status: u32,
    counters: Vec<u64>,
    hi_shadow: u32,
    /// The `run_*` and `count_*` inputs of the previous cycle (registered at the block's edge).
    run_q: CsrIn,
}

impl CsrModel {
    pub fn new() -> CsrModel {
        CsrModel {
            counters: vec![0; COUNTERS.len()],
            run_q: CsrIn {
                counts: vec![0; COUNTERS.len() - 1],
                ..CsrIn::default()
            },
            ..CsrModel::default()
        }
    }

    /// This cycle's outputs for inputs `i` (readies depend on the valids).
    pub fn outputs(&self, i: &CsrIn) -> CsrOut {
        let write = i.aw_valid && i.w_valid && !self.b_valid;
        CsrOut {
            aw_ready: write,
            w_ready: write,
            ar_ready: i.ar_valid && !self.r_valid,
            b_valid: self.b_valid,
            b_resp: self.b_resp,
            r_valid: self.r_valid,
            r_data: self.r_data,
            r_resp: self.r_resp,
            start: self.start_q,
            soft_reset: self.soft_q,
            program_addr: self.program_addr,
            program_len: self.program_len,
            dram_base: self.dram_base,
            dram_bound: self.dram_bound,
            irq: self.irq_status & self.irq_enable != 0,
        }
    }

    fn read_value(&self, addr: u32, busy: bool) -> Option<u32> {
        let reg = REGISTERS.iter().find(|r| r.offset == addr)?;
        let counter = |stem: &str| COUNTERS.iter().position(|(c, _)| *c == stem);
        Some(match reg.name {
            "ID" => ID_MAGIC,
            "CTRL" => 0,
            "STATUS" => (self.error << 8) | ((self.done as u32) << 1) | busy as u32,
            "ERROR_PC" => self.error_pc,
            "IRQ_ENABLE" => self.irq_enable,
            "IRQ_STATUS" => self.irq_status,
            "PROGRAM_ADDR" => self.program_addr,
            "PROGRAM_LEN" => self.program_len,
            "DRAM_BASE" => self.dram_base,
            "DRAM_BOUND" => self.dram_bound,
            n if n.ends_with("_HI") => self.hi_shadow,
            n => self.counters[counter(n.strip_suffix("_LO")?)?] as u32,
        })
    }

    /// The clock edge.
    pub fn edge(&mut self, inputs: &CsrIn) {
        // The rules see the run and count inputs one cycle late.
        let i = &CsrIn {
            busy: self.run_q.busy,
            done: self.run_q.done,
            error: self.run_q.error,
            error_code: self.run_q.error_code,
            error_pc: self.run_q.error_pc,
            counts: self.run_q.counts.clone(),
            ..inputs.clone()
        };
        self.run_q = inputs.clone();
        let o = self.outputs(i);
        let write = o.aw_ready;
        let read = o.ar_ready;
        let mask = (0..4).fold(0u32, |m, k| {
            if i.w_strb >> k & 1 == 1 {
                m | 0xff << (8 * k)
            } else {
                m
            }
        });
        let target = REGISTERS
            .iter()
            .find(|r| r.offset == i.aw_addr && r.access != Access::Ro);
        let hit = |name: &str| {
            write && target.is_some_and(|r| Some(r.offset) == register(name).map(|q| q.offset))
        };
        let ctrl = hit("CTRL") && i.w_strb & 1 == 1;
        let start_cmd = ctrl && i.w_data & 1 == 1 && !i.busy;
        let soft_cmd = ctrl && i.w_data & 2 == 2;
        let clear = start_cmd || soft_cmd;
        let merge = |old: u32, width: u32| {
            let keep = if width == 32 {
                u32::MAX
            } else {
                (1 << width) - 1
            };
            ((old & !mask) | (i.w_data & mask)) & keep
        };
        // Reads see the registers before this edge's updates.
        let read_value = read.then(|| self.read_value(i.ar_addr, i.busy));
        let lo = REGISTERS
            .iter()
            .find(|r| r.offset == i.ar_addr && r.name.ends_with("_LO"))
            .and_then(|r| {
                COUNTERS
                    .iter()
                    .position(|(c, _)| Some(*c) == r.name.strip_suffix("_LO"))
            });
        if read {
            if let Some(k) = lo {
                self.hi_shadow = (self.counters[k] >> 32) as u32;
            }
        }
        if write {
            self.b_valid = true;
            self.b_resp = if target.is_some() { 0 } else { 2 };
        } else if i.b_ready {
            self.b_valid = false;
        }
        if let Some(v) = read_value {
            self.r_valid = true;
            self.r_data = v.unwrap_or(0);
            self.r_resp = if v.is_some() { 0 } else { 2 };
        } else if i.r_ready {
            self.r_valid = false;
        }
        self.start_q = start_cmd;
        self.soft_q = soft_cmd;
        if hit("PROGRAM_ADDR") {
            self.program_addr = merge(self.program_addr, 32);
        }
        if hit("PROGRAM_LEN") {
            self.program_len = merge(self.program_len, 32);
        }
        if hit("DRAM_BASE") {
            self.dram_base = merge(self.dram_base, 32);
        }
        if hit("DRAM_BOUND") {
            self.dram_bound = merge(self.dram_bound, 32);
        }
        if hit("IRQ_ENABLE") {
            self.irq_enable = merge(self.irq_enable, 2);
        }
        if clear {
            self.done = false;
            self.error = 0;
            self.error_pc = 0;
        } else {
            if i.done {
                self.done = true;
            }
            if i.error {
                self.error = i.error_code & 0xf;
                self.error_pc = i.error_pc;
            }
        }
        let w1c = if hit("IRQ_STATUS") {
            i.w_data & mask & 3
        } else {
            0
        };
        let events = (i.error as u32) << 1 | i.done as u32;
        self.irq_status = if soft_cmd {
            0
        } else {
            (self.irq_status & !w1c) | events
        };
        for (k, c) in self.counters.iter_mut().enumerate() {
            let add = if k == 0 {
                i.busy as u64
            } else {
                i.counts[k - 1]
            };
            *c = if clear { 0 } else { c.wrapping_add(add) };
        }
    }
}
