//! A small register FIFO: the queue every unit of a chip needs somewhere (instruction queues,
//! burst descriptors, read-data skid buffers).
//!
//! `enq` and `deq` are valid/ready streams with one `data` field. The head is presented
//! first-word-fall-through straight from the registers; `enq_ready` is high while an entry
//! is free (a full FIFO does not take a word in the cycle its head leaves, so no ready depends
//! on the other side's ready). `count` says how many entries are held. Storage is flip-flops:
//! use [`super::MemSpec`] memories for anything larger than a few dozen entries.

use super::bundle::{Bundle, BundleIo, Role};
use super::error::ModuleError;
use super::expr::{cat, mux, Expr, ExprOps};
use super::module::{ModuleBuilder, ModuleRef};
use super::signal::{uint, Sig};

/// The write side of a FIFO of `width` bits.
pub fn fifo_enq(width: u32) -> Bundle {
    Bundle::stream("enq").field("data", uint(width))
}

/// The read side (the head).
pub fn fifo_deq(width: u32) -> Bundle {
    Bundle::stream("deq").field("data", uint(width))
}

/// Bits of a FIFO's `count` output.
pub fn fifo_count_bits(depth: u32) -> u32 {
    crate::hw::clog2(depth as u64 + 1)
}

/// A `depth`-entry FIFO of `width` bits. Named `fifo_d<depth>_w<width>`.
pub fn fifo(depth: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let depth = depth.max(1);
    let cw = fifo_count_bits(depth);
    let mut m = ModuleBuilder::new(format!("fifo_d{depth}_w{width}"));
    m.doc(&format!(
        "{depth}-entry register FIFO of {width} bits, first-word-fall-through."
    ));
    let enq = m.io(&fifo_enq(width), Role::Sink);
    let deq = m.io(&fifo_deq(width), Role::Source);
    let count_out = m.output("count", uint(cw));

    let count = m.reg("used", uint(cw), 0);
    m.comment(count, "entries held");
    let push = m.wire_of("push", enq.fire());
    let pop = m.wire_of("pop", deq.fire());
    let wptr = m.counter("wptr", depth, push);
    let rptr = m.counter("rptr", depth, pop);
    // The free slot at `wptr` takes `enq_data` every cycle, pushed or not: the entries' enables
    // depend on registered state only, never on `enq_valid` (a slot that was not pushed is
    // free, never read, and overwritten later).
    let entries = m.data_reg_array("entry", depth, uint(width));
    let not_full = count.ne_lit(depth as i64);
    for (i, e) in entries.iter().enumerate() {
        let here = if depth == 1 {
            not_full.clone()
        } else {
            not_full.clone() & wptr.value.eq_lit(i as i64)
        };
        m.next_en(*e, here, enq.field("data"));
    }
    // count +- 1 come from the register alone; push and pop only choose (no adder after them),
    // pop (usually the later of the two) at the last level.
    m.next(
        count,
        mux(
            pop,
            mux(push, Expr::from(count), count.dec()),
            mux(push, count.inc(), Expr::from(count)),
        ),
    );
    m.assign(enq.ready(), count.ne_lit(depth as i64));
    m.assign(deq.valid(), count.ne_lit(0));
    // The head: a balanced tree of 2:1 muxes on the read pointer's bits (log2(depth) levels,
    // not a chain of depth - 1).
    let mut level: Vec<Expr> = entries.iter().map(|e| Expr::from(*e)).collect();
    let mut bit = 0;
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => mux(rptr.value.bit(bit), b.clone(), a.clone()),
                [a] => a.clone(),
                _ => unreachable!("chunks of two"),
            })
            .collect();
        bit += 1;
    }
    let head = level.pop().expect("an entry");
    m.assign(deq.field("data"), head);
    m.assign(count_out, count);
    m.finish()
}

/// A FIFO instantiated in a module: its two sides as signals of that module.
pub struct FifoIo {
    pub enq_valid: Sig,
    pub enq_ready: Sig,
    pub enq_data: Sig,
    pub deq_valid: Sig,
    pub deq_ready: Sig,
    pub deq_data: Sig,
    /// Entries held (only from [`ModuleBuilder::fifo_counted`]).
    pub count: Option<Sig>,
}

impl FifoIo {
    /// A word enters this cycle.
    pub fn push(&self) -> Expr {
        self.enq_valid & self.enq_ready
    }

    /// The head leaves this cycle.
    pub fn pop(&self) -> Expr {
        self.deq_valid & self.deq_ready
    }
}

impl ModuleBuilder {
    /// Instantiate a `depth` x `width` FIFO as `name`. Drive `enq_valid`, `enq_data` and
    /// `deq_ready` (wires named `<name>_enq_valid`...); read the rest.
    pub fn fifo(&mut self, name: &str, depth: u32, width: u32) -> Result<FifoIo, ModuleError> {
        self.fifo_inst(name, depth, width, false)
    }

    /// A register slice on the stream `from`: a 2-entry FIFO that cuts every combinational path
    /// between its producer and its consumer (valid, payload and ready) at full throughput.
    /// Returns the consumer's side: wires of the same bundle named `<name>_*`.
    pub fn slice(&mut self, name: &str, from: &BundleIo) -> Result<BundleIo, ModuleError> {
        let bundle = from.bundle().clone();
        let width: u32 = bundle.fields().iter().map(|(_, t)| t.width).sum();
        let f = self.fifo(&format!("{name}_fifo"), 2, width)?;
        self.assign(f.enq_valid, from.valid());
        self.assign(from.ready(), f.enq_ready);
        self.assign(
            f.enq_data,
            cat(bundle
                .fields()
                .iter()
                .map(|(n, _)| Expr::from(from.field(n)))
                .collect::<Vec<_>>()),
        );
        let out = self.bundle_wires(&bundle, name);
        self.assign(out.valid(), f.deq_valid);
        self.assign(f.deq_ready, out.ready());
        let mut at = width;
        for (n, t) in bundle.fields() {
            at -= t.width;
            self.assign(out.field(n), f.deq_data.slice(at + t.width - 1, at));
        }
        Ok(out)
    }

    /// [`ModuleBuilder::fifo`] with its `count` output.
    pub fn fifo_counted(
        &mut self,
        name: &str,
        depth: u32,
        width: u32,
    ) -> Result<FifoIo, ModuleError> {
        self.fifo_inst(name, depth, width, true)
    }

    fn fifo_inst(
        &mut self,
        name: &str,
        depth: u32,
        width: u32,
        counted: bool,
    ) -> Result<FifoIo, ModuleError> {
        let module = fifo(depth, width)?;
        let mut inst = self.instance(name, &module);
        let enq = inst.io(&fifo_enq(width));
        let deq = inst.io(&fifo_deq(width));
        let count = if counted {
            Some(inst.out("count"))
        } else {
            inst.open("count");
            None
        };
        Ok(FifoIo {
            enq_valid: enq.valid(),
            enq_ready: enq.ready(),
            enq_data: enq.field("data"),
            deq_valid: deq.valid(),
            deq_ready: deq.ready(),
            deq_data: deq.field("data"),
            count,
        })
    }
}
