//! One running instance of a Verilated model.
//!
//! Clocking convention: inputs set before [`Sim::step`] are sampled at its rising edge;
//! after `step` the clock is low again and outputs show the post-edge state. Call
//! [`Sim::eval`] after changing inputs to see combinational outputs before the edge.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;
use std::sync::{Arc, Mutex};

use seedchip_hdl::hw::Bits;

use super::{BridgeError, Model, Result};

/// Initial value of every register and memory bit (Verilator `--x-initial unique`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XInit {
    Zeros,
    Ones,
    /// Random, reproducible from the seed.
    Random(u32),
}

/// Inputs applied and outputs seen in each clock cycle (sampled just before the rising edge),
/// in port order. Replayable on another simulator of the same design.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    pub clock: Option<String>,
    pub inputs: Vec<super::PortInfo>,
    pub outputs: Vec<super::PortInfo>,
    pub cycles: Vec<RecordedCycle>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCycle {
    pub inputs: Vec<Bits>,
    pub outputs: Vec<Bits>,
}

/// Waveform time units (ns) per clock cycle of [`Sim::step`] and [`Sim::sample`].
pub const TRACE_TIME_PER_CYCLE: u64 = 10;

/// A port handle: resolve a name once with [`Sim::port`], then access it without lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortId(pub(crate) usize);

type CreateFn = unsafe extern "C" fn(c_int, c_int) -> *mut c_void;
type HandleFn = unsafe extern "C" fn(*mut c_void);
type WordsFn = unsafe extern "C" fn(*mut c_void, u32, *mut u32);
type SetFn = unsafe extern "C" fn(*mut c_void, u32, *const u32);
type TraceOpenFn = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;
type DumpFn = unsafe extern "C" fn(*mut c_void, u64);
type VersionFn = unsafe extern "C" fn() -> u32;

#[derive(Clone, Copy)]
struct Fns {
    create: CreateFn,
    destroy: HandleFn,
    eval: HandleFn,
    set: SetFn,
    get: WordsFn,
    trace_open: TraceOpenFn,
    trace_dump: DumpFn,
    trace_close: HandleFn,
}

fn symbols(model: &Model) -> Result<Fns> {
    macro_rules! sym {
        ($name:literal, $t:ty) => {{
            // SAFETY: the shim defines these symbols with exactly these C signatures.
            let s: libloading::Symbol<$t> =
                unsafe { model.lib.get($name) }.map_err(|e| BridgeError::Load {
                    path: model.dir.display().to_string(),
                    reason: format!("missing symbol: {e}"),
                })?;
            *s
        }};
    }
    Ok(Fns {
        create: sym!(b"sc_create", CreateFn),
        destroy: sym!(b"sc_destroy", HandleFn),
        eval: sym!(b"sc_eval", HandleFn),
        set: sym!(b"sc_set", SetFn),
        get: sym!(b"sc_get", WordsFn),
        trace_open: sym!(b"sc_trace_open", TraceOpenFn),
        trace_dump: sym!(b"sc_trace_dump", DumpFn),
        trace_close: sym!(b"sc_trace_close", HandleFn),
    })
}

pub(crate) fn check_abi(model: &Model) -> Result<()> {
    symbols(model)?;
    // SAFETY: symbol defined by the shim with this signature.
    let v: libloading::Symbol<VersionFn> =
        unsafe { model.lib.get(b"sc_shim_version") }.map_err(|e| BridgeError::Load {
            path: model.dir.display().to_string(),
            reason: e.to_string(),
        })?;
    // SAFETY: a pure function of no arguments.
    let found = unsafe { v() };
    if found != super::shim::SHIM_VERSION {
        return Err(BridgeError::Load {
            path: model.dir.display().to_string(),
            reason: format!(
                "shim version {found}, expected {}",
                super::shim::SHIM_VERSION
            ),
        });
    }
    Ok(())
}

/// A simulation instance. Not shared between threads, but may move between them.
pub struct Sim {
    model: Arc<Model>,
    fns: Fns,
    handle: *mut c_void,
    clock: Option<usize>,
    reset: Option<usize>,
    time: u64,
    cycle: u64,
    dirty: bool,
    tracing: bool,
    words: Vec<u32>,
    recording: Option<Recording>,
}

// SAFETY: a Verilated model with its own VerilatedContext may be used from any one thread at
// a time; `Sim` is not `Sync`, so that is what the type system enforces.
unsafe impl Send for Sim {}

/// Model construction draws initial values from a per-thread generator reseeded through a
/// process-wide epoch; constructing one model at a time keeps seeded values reproducible.
static CREATE: Mutex<()> = Mutex::new(());

impl Model {
    /// A fresh instance with all state initialised per `init`. The clock is `clk` and the
    /// reset `rst` when the design has ports of those names (see [`Sim::with_clock`]).
    pub fn sim(self: &Arc<Self>, init: XInit) -> Result<Sim> {
        let fns = symbols(self)?;
        let (rand_reset, seed) = match init {
            XInit::Zeros => (0, 1),
            XInit::Ones => (1, 1),
            // Verilator treats seed 0 as "seed from the time"; keep seeds positive and non-zero.
            XInit::Random(s) => (2, (s % 0x7fff_fffe) as c_int + 1),
        };
        let handle = {
            let _g = CREATE.lock().unwrap_or_else(|p| p.into_inner());
            // SAFETY: sc_create allocates a new context and model; released in Drop.
            unsafe { (fns.create)(seed, rand_reset) }
        };
        let words = vec![
            0u32;
            self.ports
                .iter()
                .map(|p| p.width.div_ceil(32) as usize)
                .max()
                .unwrap_or(1)
                .max(2)
        ];
        Ok(Sim {
            model: self.clone(),
            fns,
            handle,
            clock: self.by_name.get("clk").copied(),
            reset: self.by_name.get("rst").copied(),
            time: 0,
            cycle: 0,
            dirty: true,
            tracing: false,
            words,
            recording: None,
        })
    }
}

impl Sim {
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Use `name` as the clock.
    pub fn with_clock(mut self, name: &str) -> Result<Sim> {
        self.clock = Some(self.port(name)?.0);
        Ok(self)
    }

    /// Use `name` as the (active-high) reset.
    pub fn with_reset(mut self, name: &str) -> Result<Sim> {
        self.reset = Some(self.port(name)?.0);
        Ok(self)
    }

    /// Resolve a port by name.
    pub fn port(&self, name: &str) -> Result<PortId> {
        self.model
            .by_name
            .get(name)
            .map(|&i| PortId(i))
            .ok_or_else(|| BridgeError::UnknownPort {
                name: name.to_string(),
                available: self
                    .model
                    .ports
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn width(&self, port: PortId) -> u32 {
        self.model.ports[port.0].width
    }

    /// Drive an input with a value of at most its width.
    pub fn set(&mut self, port: PortId, value: &Bits) -> Result<()> {
        let info = &self.model.ports[port.0];
        if !info.input {
            return Err(BridgeError::DriveOutput {
                port: info.name.clone(),
            });
        }
        let significant = (0..value.width())
            .rev()
            .find(|&i| value.bit(i))
            .map_or(0, |i| i + 1);
        if significant > info.width {
            return Err(BridgeError::TooWide {
                port: info.name.clone(),
                width: info.width,
                value: value.to_string(),
                signed: "",
            });
        }
        let w = value.to_words_u32();
        let n = (info.width.div_ceil(32) as usize).max(2);
        let mut buf = vec![0u32; n];
        for (i, x) in w.iter().enumerate().take(n) {
            buf[i] = *x;
        }
        self.write(port, &buf);
        Ok(())
    }

    /// Drive an input with an unsigned value.
    pub fn set_u64(&mut self, port: PortId, value: u64) -> Result<()> {
        let info = &self.model.ports[port.0];
        if info.width < 64 && value >> info.width != 0 {
            return Err(BridgeError::TooWide {
                port: info.name.clone(),
                width: info.width,
                value: value.to_string(),
                signed: ", unsigned",
            });
        }
        self.set(port, &Bits::from_u64_wrapping(info.width.max(64), value))
    }

    /// Drive an input with a two's-complement value (must fit the port as signed).
    pub fn set_i64(&mut self, port: PortId, value: i64) -> Result<()> {
        let info = &self.model.ports[port.0];
        let bits = Bits::from_i64(info.width, value).map_err(|_| BridgeError::TooWide {
            port: info.name.clone(),
            width: info.width,
            value: value.to_string(),
            signed: ", signed",
        })?;
        self.set(port, &bits)
    }

    pub fn set_bool(&mut self, port: PortId, value: bool) -> Result<()> {
        self.set_u64(port, value as u64)
    }

    /// Read any port.
    pub fn get(&mut self, port: PortId) -> Bits {
        let width = self.model.ports[port.0].width;
        self.settle();
        // SAFETY: the buffer holds at least ceil(width / 32) words (sized for the widest port).
        unsafe { (self.fns.get)(self.handle, port.0 as u32, self.words.as_mut_ptr()) };
        Bits::from_words_u32(width, &self.words[..(width.div_ceil(32) as usize).max(1)])
    }

    /// Low 64 bits of a port, unsigned.
    pub fn get_u64(&mut self, port: PortId) -> u64 {
        self.get(port).to_u64_wrapping()
    }

    /// A port read as two's complement (sign-extended from its width; at most 64 bits kept).
    pub fn get_i64(&mut self, port: PortId) -> i64 {
        self.get(port).to_i64_wrapping()
    }

    pub fn get_bool(&mut self, port: PortId) -> bool {
        self.get(port).bit(0)
    }

    /// Set an input by name (unsigned value).
    pub fn poke(&mut self, name: &str, value: u64) -> Result<()> {
        let p = self.port(name)?;
        self.set_u64(p, value)
    }

    /// Read a port by name.
    pub fn peek(&mut self, name: &str) -> Result<Bits> {
        let p = self.port(name)?;
        Ok(self.get(p))
    }

    /// Settle combinational logic after input changes.
    pub fn eval(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.fns.eval)(self.handle) };
        self.dirty = false;
    }

    fn settle(&mut self) {
        if self.dirty {
            self.eval();
        }
    }

    fn write(&mut self, port: PortId, words: &[u32]) {
        // SAFETY: `words` holds at least ceil(width / 32) words (and at least two).
        unsafe { (self.fns.set)(self.handle, port.0 as u32, words.as_ptr()) };
        self.dirty = true;
    }

    fn drive_bit(&mut self, index: usize, v: bool) {
        self.write(PortId(index), &[v as u32, 0]);
    }

    fn clock_index(&self) -> Result<usize> {
        self.clock.ok_or_else(|| BridgeError::NoClock {
            top: self.model.top.clone(),
        })
    }

    /// Record every later cycle's inputs and (pre-edge) outputs, for replay elsewhere.
    pub fn start_recording(&mut self) {
        let clock = self.clock;
        let (inputs, outputs) = self
            .model
            .ports
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != clock)
            .partition::<Vec<_>, _>(|(_, p)| p.input);
        self.recording = Some(Recording {
            clock: clock.map(|c| self.model.ports[c].name.clone()),
            inputs: inputs.into_iter().map(|(_, p)| p.clone()).collect(),
            outputs: outputs.into_iter().map(|(_, p)| p.clone()).collect(),
            cycles: Vec::new(),
        });
    }

    /// Stop recording and return what was recorded.
    pub fn take_recording(&mut self) -> Option<Recording> {
        self.recording.take()
    }

    fn record_cycle(&mut self) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        let read = |sim: &mut Sim, names: &[super::PortInfo]| -> Vec<Bits> {
            names
                .iter()
                .map(|p| sim.get(PortId(sim.model.by_name[&p.name])))
                .collect()
        };
        let inputs = read(self, &rec.inputs);
        let outputs = read(self, &rec.outputs);
        let mut rec = rec;
        rec.cycles.push(RecordedCycle { inputs, outputs });
        self.recording = Some(rec);
    }

    /// One clock cycle: rising edge, then falling edge. The waveform advances
    /// [`TRACE_TIME_PER_CYCLE`] time units per cycle (10 ns), the falling edge half-way.
    /// A design without a clock is an error (use [`Sim::sample`]).
    pub fn step(&mut self) -> Result<()> {
        let clk = self.clock_index()?;
        self.settle();
        if self.recording.is_some() {
            self.record_cycle();
        }
        self.dump(self.time);
        self.drive_bit(clk, true);
        self.eval();
        self.dump(self.time + TRACE_TIME_PER_CYCLE / 2);
        self.drive_bit(clk, false);
        self.eval();
        self.time += TRACE_TIME_PER_CYCLE;
        self.cycle += 1;
        Ok(())
    }

    /// For designs without a clock: settle the inputs and record one time step (in the
    /// recording and the waveform), as `step` does for clocked designs.
    pub fn sample(&mut self) {
        self.settle();
        if self.recording.is_some() {
            self.record_cycle();
        }
        self.dump(self.time);
        self.time += TRACE_TIME_PER_CYCLE;
        self.cycle += 1;
    }

    /// `n` clock cycles.
    pub fn steps(&mut self, n: u64) -> Result<()> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }

    /// Hold reset high for `cycles` clock cycles, then release it.
    /// A design without a reset (or a clock) is an error.
    pub fn reset(&mut self, cycles: u64) -> Result<()> {
        let rst = self.reset.ok_or_else(|| BridgeError::NoReset {
            top: self.model.top.clone(),
        })?;
        self.clock_index()?;
        self.drive_bit(rst, true);
        self.steps(cycles.max(1))?;
        self.drive_bit(rst, false);
        self.eval();
        Ok(())
    }

    /// Clock cycles run so far.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    /// Write a waveform (VCD or FST, as the model was built) from now on.
    pub fn trace_to(&mut self, path: &Path) -> Result<()> {
        let fail = |reason: &str| BridgeError::Trace {
            path: path.display().to_string(),
            reason: reason.to_string(),
        };
        if self.model.trace.is_none() {
            return Err(fail("the model was built without tracing; build it with BuildOptions { trace: Some(..) }"));
        }
        let c = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|_| fail("path contains NUL"))?;
        // SAFETY: live handle, NUL-terminated path.
        let ok = unsafe { (self.fns.trace_open)(self.handle, c.as_ptr()) };
        if ok != 1 {
            return Err(fail("cannot open the file"));
        }
        // The next step() dumps the current time.
        self.tracing = true;
        Ok(())
    }

    /// Flush and close the waveform.
    pub fn trace_close(&mut self) {
        if self.tracing {
            // SAFETY: live handle.
            unsafe { (self.fns.trace_close)(self.handle) };
            self.tracing = false;
        }
    }

    fn dump(&mut self, t: u64) {
        if self.tracing {
            // SAFETY: live handle.
            unsafe { (self.fns.trace_dump)(self.handle, t) };
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // SAFETY: the handle came from sc_create and is released exactly once.
        unsafe { (self.fns.destroy)(self.handle) };
    }
}
