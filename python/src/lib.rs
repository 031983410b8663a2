//! `seedchip._native`: the Rust side of the Python module.
//!
//! Thin wrappers over the crates the CLI uses (the generator, the Verilator bridge, the
//! reference model, the assembler, the GEMM and layer libraries), so Python sees the same
//! behaviour and the same error messages. Bytes cross the boundary as `bytes`; the Python
//! package (`python/seedchip/__init__.py`) turns them into numpy arrays and Python ints and
//! adds the cocotb-style signal handles.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use seedchip_hdl::chip::isa::{assemble as assemble_text, program_bytes, Instr};
use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{build_chip, check_program, run_program as run_rtl, ChipRun};
use seedchip_verif::chip_model::{ChipModel, Counters, Launch, Status, Window};
use seedchip_verif::gemm::{check_on_chip, ChipGemmError};
use seedchip_verif::layers::{fully_connected as fc_plan, FcQuant};
use seedchip_verif::model::Matrix;
use seedchip_verif::row_layers::{
    float_reference, row_layer as row_plan, run_on_model, Func, Quant, RowLayer,
};
use seedchip_verif::verilator::{
    sources_of, BuildOptions, Model, PortId, Sim, Source, TraceKind, XInit,
};

mod ports;

create_exception!(_native, SeedchipError, PyException, "Any seedchip error.");
create_exception!(
    _native,
    ConfigError,
    SeedchipError,
    "A configuration that does not parse or validate; the message names the field."
);
create_exception!(
    _native,
    AssemblyError,
    SeedchipError,
    "Assembler text that is not a program; the message names the line."
);
create_exception!(
    _native,
    SimulationError,
    SeedchipError,
    "Building or running a simulation failed (Verilator, a port name, a hung design)."
);
create_exception!(
    _native,
    MismatchError,
    SeedchipError,
    "The RTL and the reference model disagree."
);

fn config_err(e: impl std::fmt::Display) -> PyErr {
    ConfigError::new_err(e.to_string())
}

fn sim_err(e: impl std::fmt::Display) -> PyErr {
    SimulationError::new_err(e.to_string())
}

/// A chip configuration (the same TOML as `seedchip --config`).
#[pyclass(name = "Config", module = "seedchip", frozen)]
#[derive(Clone)]
struct PyConfig {
    inner: Config,
}

#[pymethods]
impl PyConfig {
    /// The built-in default configuration.
    #[new]
    fn new() -> Self {
        PyConfig {
            inner: Config::default(),
        }
    }

    /// From TOML text; `origin` names it in error messages.
    #[staticmethod]
    #[pyo3(signature = (text, origin = "<toml>"))]
    fn from_toml(text: &str, origin: &str) -> PyResult<Self> {
        Config::from_toml(text, origin)
            .map(|inner| PyConfig { inner })
            .map_err(config_err)
    }

    /// From JSON text (the Python package passes dicts this way).
    #[staticmethod]
    #[pyo3(signature = (text, origin = "<dict>"))]
    fn from_json(text: &str, origin: &str) -> PyResult<Self> {
        Config::from_json(text, origin)
            .map(|inner| PyConfig { inner })
            .map_err(config_err)
    }

    /// From a TOML file.
    #[staticmethod]
    fn from_file(path: PathBuf) -> PyResult<Self> {
        Config::load(&path)
            .map(|inner| PyConfig { inner })
            .map_err(config_err)
    }

    /// Every field, as TOML.
    fn to_toml(&self) -> PyResult<String> {
        toml::to_string(&self.inner).map_err(config_err)
    }

    /// Every field, as JSON (the package's `to_dict` parses it).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(config_err)
    }

    #[getter]
    fn rows(&self) -> u32 {
        self.inner.matrix.rows
    }

    #[getter]
    fn cols(&self) -> u32 {
        self.inner.matrix.cols
    }

    /// Tiles (x, y) of the mesh; (1, 1) is the single-tile chip.
    #[getter]
    fn tiles(&self) -> (u32, u32) {
        (self.inner.tiles.x, self.inner.tiles.y)
    }

    fn __repr__(&self) -> String {
        format!(
            "Config({}x{} array, {}x{} tiles, {}-bit bus)",
            self.inner.matrix.rows,
            self.inner.matrix.cols,
            self.inner.tiles.x,
            self.inner.tiles.y,
            self.inner.bus.data_bits
        )
    }

    fn __eq__(&self, other: &PyConfig) -> bool {
        self.inner == other.inner
    }
}

/// Write the chip's Verilog (one file a module), `files.f` and `seedchip.h` to `out_dir`;
/// the paths written.
#[pyfunction]
fn generate(config: &PyConfig, out_dir: PathBuf) -> PyResult<Vec<PathBuf>> {
    let design = seedchip_hdl::chip::generate(&config.inner).map_err(config_err)?;
    let mut written = design.write_to(&out_dir).map_err(sim_err)?;
    let header = out_dir.join("seedchip.h");
    std::fs::write(
        &header,
        seedchip_hdl::chip::header::seedchip_h(&config.inner),
    )
    .map_err(|e| sim_err(format!("cannot write `{}`: {e}", header.display())))?;
    written.push(header);
    Ok(written)
}

/// One running Verilated design. The package's `Simulator` wraps it.
#[pyclass(name = "NativeSimulator", module = "seedchip", unsendable)]
struct NativeSimulator {
    sim: Sim,
    top: String,
    /// Ports by name: handle, input?, width, signed?
    ports: Vec<(String, PortId, bool, u32, bool)>,
}

fn x_init(seed: Option<u32>) -> XInit {
    seed.map_or(XInit::Zeros, XInit::Random)
}

impl NativeSimulator {
    fn start(
        model: Arc<Model>,
        signed: &HashSet<String>,
        seed: Option<u32>,
        clock: Option<&str>,
        reset: Option<&str>,
    ) -> PyResult<Self> {
        let mut sim = model.sim(x_init(seed)).map_err(sim_err)?;
        if let Some(c) = clock {
            sim = sim.with_clock(c).map_err(sim_err)?;
        }
        if let Some(r) = reset {
            sim = sim.with_reset(r).map_err(sim_err)?;
        }
        let mut ports = Vec::new();
        for p in model.ports() {
            let id = sim.port(&p.name).map_err(sim_err)?;
            ports.push((
                p.name.clone(),
                id,
                p.input,
                p.width,
                signed.contains(&p.name),
            ));
        }
        Ok(NativeSimulator {
            sim,
            top: model.top().to_string(),
            ports,
        })
    }

    fn find(&self, name: &str) -> PyResult<&(String, PortId, bool, u32, bool)> {
        self.ports.iter().find(|p| p.0 == name).ok_or_else(|| {
            let names: Vec<&str> = self.ports.iter().map(|p| p.0.as_str()).collect();
            sim_err(format!(
                "`{}` has no port `{name}`; its ports: {}",
                self.top,
                names.join(", ")
            ))
        })
    }
}

fn trace_kind(trace: bool) -> Option<TraceKind> {
    trace.then_some(TraceKind::Vcd)
}

#[pymethods]
impl NativeSimulator {
    /// The generated chip of `config` (its top `seedchip`, clock `clk`, reset `rst`).
    #[staticmethod]
    #[pyo3(signature = (config, trace = false, seed = None))]
    fn for_config(
        py: Python<'_>,
        config: &PyConfig,
        trace: bool,
        seed: Option<u32>,
    ) -> PyResult<Self> {
        let design = seedchip_hdl::chip::generate(&config.inner).map_err(config_err)?;
        let signed = ports::signed_in_design(&design);
        let opts = BuildOptions {
            trace: trace_kind(trace),
            ..BuildOptions::default()
        };
        let top = design.top().name().to_string();
        let model = py
            .detach(|| Model::build(&sources_of(&design), &top, &opts))
            .map_err(sim_err)?;
        NativeSimulator::start(model, &signed, seed, None, None)
    }

    /// Any design: Verilog files and the top module's name.
    #[staticmethod]
    #[pyo3(signature = (files, top, clock = None, reset = None, trace = false, seed = None))]
    fn for_files(
        py: Python<'_>,
        files: Vec<PathBuf>,
        top: &str,
        clock: Option<&str>,
        reset: Option<&str>,
        trace: bool,
        seed: Option<u32>,
    ) -> PyResult<Self> {
        if files.is_empty() {
            return Err(sim_err("no Verilog files given"));
        }
        let mut texts = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f)
                .map_err(|e| sim_err(format!("cannot read `{}`: {e}", f.display())))?;
            texts.push(text);
        }
        let signed = seedchip_verif::verilog_ports::signed_ports(&texts, top);
        let sources: Vec<Source> = files.into_iter().map(Source::File).collect();
        let opts = BuildOptions {
            trace: trace_kind(trace),
            ..BuildOptions::default()
        };
        let model = py
            .detach(|| Model::build(&sources, top, &opts))
            .map_err(sim_err)?;
        NativeSimulator::start(model, &signed, seed, clock, reset)
    }

    /// The top module's name.
    #[getter]
    fn top(&self) -> &str {
        &self.top
    }

    /// Every port: (name, is_input, width, is_signed).
    fn ports(&self) -> Vec<(String, bool, u32, bool)> {
        self.ports
            .iter()
            .map(|p| (p.0.clone(), p.2, p.3, p.4))
            .collect()
    }

    /// Drive input `name` with `value`: little-endian bytes, exactly the port's width
    /// rounded up to bytes (the package checks the range and sign).
    fn poke_bytes(&mut self, name: &str, value: &[u8]) -> PyResult<()> {
        let &(_, id, input, width, _) = self.find(name)?;
        if !input {
            return Err(sim_err(format!(
                "`{name}` is an output; only inputs can be poked"
            )));
        }
        let bits = seedchip_hdl::hw::Bits::from_le_bytes(width, value);
        self.sim.set(id, &bits).map_err(sim_err)
    }

    /// The value on port `name` (after settling combinational logic): little-endian bytes.
    fn peek_bytes<'py>(&mut self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyBytes>> {
        let &(_, id, _, width, _) = self.find(name)?;
        let bytes = self.sim.get(id).to_le_bytes(width.div_ceil(8) as usize);
        Ok(PyBytes::new(py, &bytes))
    }

    /// `n` clock cycles: inputs are sampled at each rising edge.
    #[pyo3(signature = (n = 1))]
    fn step(&mut self, n: u64) -> PyResult<()> {
        self.sim.steps(n).map_err(sim_err)
    }

    /// Settle combinational logic after inputs changed (no clock edge).
    fn eval(&mut self) {
        self.sim.eval();
    }

    /// Hold reset for `cycles` cycles, then release it.
    #[pyo3(signature = (cycles = 2))]
    fn reset(&mut self, cycles: u64) -> PyResult<()> {
        self.sim.reset(cycles).map_err(sim_err)
    }

    /// Write a VCD waveform to `path` from now on (the simulator must be built with
    /// `trace=True`).
    fn trace(&mut self, path: PathBuf) -> PyResult<()> {
        self.sim.trace_to(&path).map_err(sim_err)
    }

    /// Flush and close the waveform.
    fn close_trace(&mut self) {
        self.sim.trace_close();
    }

    /// Clock cycles run so far.
    #[getter]
    fn cycle(&self) -> u64 {
        self.sim.cycle()
    }
}

/// An assembled program: instructions in order.
#[pyclass(name = "Program", module = "seedchip", frozen)]
#[derive(Clone)]
struct PyProgram {
    instrs: Vec<Instr>,
}

#[pymethods]
impl PyProgram {
    fn __len__(&self) -> usize {
        self.instrs.len()
    }

    /// The binary image (16 bytes an instruction), as the chip fetches it.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &program_bytes(&self.instrs))
    }

    /// Each instruction in assembler syntax.
    fn lines(&self) -> Vec<String> {
        self.instrs.iter().map(|i| i.to_string()).collect()
    }

    fn __str__(&self) -> String {
        self.lines().join("\n")
    }

    fn __repr__(&self) -> String {
        format!("Program({} instructions)", self.instrs.len())
    }
}

/// Assemble program text (one instruction a line, `#` comments).
#[pyfunction]
fn assemble(text: &str) -> PyResult<PyProgram> {
    assemble_text(text)
        .map(|instrs| PyProgram { instrs })
        .map_err(|e| AssemblyError::new_err(e.to_string()))
}

/// What a run left behind: the DRAM image, STATUS, cycles (RTL runs) and counters.
#[pyclass(name = "RunResult", module = "seedchip", frozen, get_all)]
struct RunResult {
    /// The DRAM image after the run.
    dram: Py<PyBytes>,
    /// STATUS: finished with HALT, the error's name (`NONE` when none), the faulting pc.
    done: bool,
    error: String,
    pc: u32,
    /// Cycles from START to the interrupt (None for the reference model, which is not
    /// cycle-timed).
    cycles: Option<u64>,
    /// Work counters (instructions, macs, dram_read_bytes, dram_write_bytes) and, for RTL
    /// runs, every performance counter by name.
    counters: Py<PyDict>,
}

#[pymethods]
impl RunResult {
    fn __repr__(&self) -> String {
        format!(
            "RunResult(done={}, error={}, pc={}, cycles={:?})",
            self.done, self.error, self.pc, self.cycles
        )
    }
}

fn error_name(status: &Status) -> String {
    format!("{:?}", status.error)
}

fn counters_dict<'py>(
    py: Python<'py>,
    c: &Counters,
    perf: &[(&str, u64)],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("instructions", c.instructions)?;
    d.set_item("macs", c.macs)?;
    d.set_item("dram_read_bytes", c.dram_read_bytes)?;
    d.set_item("dram_write_bytes", c.dram_write_bytes)?;
    for (name, v) in perf {
        d.set_item(name.to_ascii_lowercase(), *v)?;
    }
    Ok(d)
}

fn rtl_result(py: Python<'_>, run: &ChipRun) -> PyResult<RunResult> {
    Ok(RunResult {
        dram: PyBytes::new(py, &run.dram).unbind(),
        done: run.status.done,
        error: error_name(&run.status),
        pc: run.status.pc,
        cycles: Some(run.cycles),
        counters: counters_dict(py, &run.counters, &run.perf)?.unbind(),
    })
}

/// The program placed at `program_addr` in `dram`, and the launch registers.
fn place(
    program: &PyProgram,
    dram: &[u8],
    program_addr: u64,
    window: Option<(u64, u64)>,
) -> PyResult<(Vec<u8>, Launch)> {
    let code = program_bytes(&program.instrs);
    let end = program_addr as usize + code.len();
    if end > dram.len() {
        return Err(SimulationError::new_err(format!(
            "the program ({} bytes at {program_addr:#x}) does not fit the {}-byte DRAM image",
            code.len(),
            dram.len()
        )));
    }
    let mut image = dram.to_vec();
    image[program_addr as usize..end].copy_from_slice(&code);
    let (base, bound) = window.unwrap_or((0, dram.len() as u64));
    let launch = Launch {
        program_addr,
        program_len: program.instrs.len() as u32,
        window: Window { base, bound },
    };
    Ok((image, launch))
}

fn timing(read_latency: u32, stall: f64, seed: u64) -> PyResult<MemoryTiming> {
    if !(0.0..1.0).contains(&stall) {
        return Err(SimulationError::new_err(format!(
            "stall {stall}: must be in [0, 1)"
        )));
    }
    Ok(MemoryTiming {
        read_latency: read_latency.max(1),
        stall,
        seed,
        ..MemoryTiming::default()
    })
}

fn single_tile(config: &PyConfig, what: &str) -> PyResult<()> {
    if config.inner.tiles.x * config.inner.tiles.y > 1 {
        return Err(ConfigError::new_err(format!(
            "{what} runs one program on a single-tile chip; this configuration has {}x{} tiles",
            config.inner.tiles.x, config.inner.tiles.y
        )));
    }
    Ok(())
}

/// Run `program` on the Verilated chip from the DRAM image `dram` (the program written at
/// `program_addr`); with `check`, also on the reference model, raising MismatchError when
/// they differ.
#[pyfunction]
#[pyo3(signature = (config, program, dram, program_addr = 0, window = None, check = true, read_latency = 20, stall = 0.0, seed = 1))]
#[allow(clippy::too_many_arguments)]
fn run_program(
    py: Python<'_>,
    config: &PyConfig,
    program: &PyProgram,
    dram: &[u8],
    program_addr: u64,
    window: Option<(u64, u64)>,
    check: bool,
    read_latency: u32,
    stall: f64,
    seed: u64,
) -> PyResult<RunResult> {
    single_tile(config, "run_program")?;
    let (image, launch) = place(program, dram, program_addr, window)?;
    let t = timing(read_latency, stall, seed)?;
    let cfg = config.inner.clone();
    let run = py.detach(|| {
        let model = build_chip(&cfg)?;
        let init = XInit::Random(seed as u32);
        if check {
            check_program(&model, &cfg, &image, &launch, t, init)
        } else {
            run_rtl(&model, &cfg, image, &launch, t, init)
        }
    });
    let run = run.map_err(|e| match e {
        seedchip_verif::chip_harness::ChipError::Mismatch(m) => {
            MismatchError::new_err(format!("the RTL and the reference model differ: {m}"))
        }
        e => sim_err(e),
    })?;
    rtl_result(py, &run)
}

/// The chip's reference model (architectural, not cycle-timed).
#[pyclass(name = "ReferenceModel", module = "seedchip")]
struct ReferenceModel {
    cfg: Config,
}

#[pymethods]
impl ReferenceModel {
    #[new]
    fn new(config: &PyConfig) -> PyResult<Self> {
        single_tile(config, "ReferenceModel")?;
        Ok(ReferenceModel {
            cfg: config.inner.clone(),
        })
    }

    /// Run `program` from the DRAM image `dram` (the program written at `program_addr`).
    #[pyo3(signature = (program, dram, program_addr = 0, window = None))]
    fn run(
        &self,
        py: Python<'_>,
        program: &PyProgram,
        dram: &[u8],
        program_addr: u64,
        window: Option<(u64, u64)>,
    ) -> PyResult<RunResult> {
        let (mut image, launch) = place(program, dram, program_addr, window)?;
        let (status, counters) = ChipModel::new(&self.cfg).run(&mut image, &launch);
        Ok(RunResult {
            dram: PyBytes::new(py, &image).unbind(),
            done: status.done,
            error: error_name(&status),
            pc: status.pc,
            cycles: None,
            counters: counters_dict(py, &counters, &[])?.unbind(),
        })
    }
}

fn matrix_i8(data: &[u8], rows: usize, cols: usize, what: &str) -> PyResult<Matrix<i8>> {
    if data.len() != rows * cols {
        return Err(SimulationError::new_err(format!(
            "{what}: {} bytes for a {rows}x{cols} matrix",
            data.len()
        )));
    }
    Ok(Matrix::from_vec(
        rows,
        cols,
        data.iter().map(|&b| b as i8).collect(),
    ))
}

/// A GEMM on the chip: what the package's `gemm` returns before numpy.
#[pyclass(name = "GemmRun", module = "seedchip", frozen, get_all)]
struct GemmRun {
    /// C (M x N int32, little-endian, row-major).
    c: Py<PyBytes>,
    cycles: u64,
    /// Instructions of the program (summed over tiles).
    instructions: usize,
    /// Work counters summed over tiles.
    counters: Py<PyDict>,
}

fn mismatch_or_sim(e: seedchip_verif::chip_harness::ChipError) -> PyErr {
    match e {
        seedchip_verif::chip_harness::ChipError::Mismatch(m) => {
            MismatchError::new_err(format!("the RTL and the reference model differ: {m}"))
        }
        e => sim_err(e),
    }
}

fn i32_bytes<'py>(py: Python<'py>, m: &Matrix<i32>) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = m.data.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyBytes::new(py, &bytes)
}

/// A x W (int8, M x K times K x N) on the Verilated chip with the GEMM library's program
/// (split over the tiles of a multi-tile chip), checked against the reference model.
#[pyfunction]
#[pyo3(signature = (config, a, m, k, w, n, read_latency = 20, stall = 0.0, seed = 1))]
#[allow(clippy::too_many_arguments)]
fn gemm(
    py: Python<'_>,
    config: &PyConfig,
    a: &[u8],
    m: usize,
    k: usize,
    w: &[u8],
    n: usize,
    read_latency: u32,
    stall: f64,
    seed: u64,
) -> PyResult<GemmRun> {
    let (a, w) = (matrix_i8(a, m, k, "A")?, matrix_i8(w, k, n, "W")?);
    let cfg = config.inner.clone();
    let t = timing(read_latency, stall, seed)?;
    let init = XInit::Random(seed as u32);
    let g = py
        .detach(|| -> Result<_, ChipGemmError> {
            let model = build_chip(&cfg)?;
            check_on_chip(&model, &cfg, &a, &w, t, init)
        })
        .map_err(|e| match e {
            ChipGemmError::Plan(e) => {
                SimulationError::new_err(format!("tiling the {m}x{k}x{n} GEMM: {e}"))
            }
            ChipGemmError::Chip(e) => mismatch_or_sim(e),
        })?;
    let perf: Vec<(&str, u64)> = g.perf.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    Ok(GemmRun {
        c: i32_bytes(py, &g.c).unbind(),
        cycles: g.cycles,
        instructions: g.instructions,
        counters: counters_dict(py, &g.counters, &perf)?.unbind(),
    })
}

/// A fully connected int8 layer on the chip: what the package's `fully_connected` returns
/// before numpy.
#[pyclass(name = "LayerRun", module = "seedchip", frozen, get_all)]
struct LayerRun {
    /// Y (M x N int8, row-major).
    y: Py<PyBytes>,
    cycles: u64,
    instructions: usize,
    counters: Py<PyDict>,
}

fn quant_from_dict(q: &Bound<'_, PyDict>, n: usize) -> PyResult<FcQuant> {
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        q.get_item(key)?
            .ok_or_else(|| SimulationError::new_err(format!("quantisation: no `{key}`")))
    };
    let vec = |key: &str| -> PyResult<Vec<i32>> {
        let v: Vec<i32> = get(key)?.extract()?;
        if v.len() != n {
            return Err(SimulationError::new_err(format!(
                "quantisation `{key}`: {} values for {n} output channels",
                v.len()
            )));
        }
        Ok(v)
    };
    Ok(FcQuant {
        input_zero_point: get("input_zero_point")?.extract()?,
        bias: vec("bias")?,
        multiplier: vec("multiplier")?,
        shift: vec("shift")?,
        output_zero_point: get("output_zero_point")?.extract()?,
        min: get("min")?.extract()?,
        max: get("max")?.extract()?,
    })
}

fn quant_to_dict<'py>(py: Python<'py>, q: &FcQuant) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("input_zero_point", q.input_zero_point)?;
    d.set_item("bias", q.bias.clone())?;
    d.set_item("multiplier", q.multiplier.clone())?;
    d.set_item("shift", q.shift.clone())?;
    d.set_item("output_zero_point", q.output_zero_point)?;
    d.set_item("min", q.min)?;
    d.set_item("max", q.max)?;
    Ok(d)
}

/// TFLite's quantisation of a fully connected layer from float scales: per-channel
/// multipliers and shifts, and the output range of the fused activation (`none`, `relu`,
/// `relu6`).
#[pyfunction]
#[pyo3(signature = (input_scale, input_zero_point, weight_scales, output_scale, output_zero_point, bias, activation = "none"))]
#[allow(clippy::too_many_arguments)]
fn fc_quant<'py>(
    py: Python<'py>,
    input_scale: f64,
    input_zero_point: i32,
    weight_scales: Vec<f64>,
    output_scale: f64,
    output_zero_point: i32,
    bias: Vec<i32>,
    activation: &str,
) -> PyResult<Bound<'py, PyDict>> {
    use seedchip_verif::layers::Activation;
    let act = match activation {
        "none" => Activation::None,
        "relu" => Activation::Relu,
        "relu6" => Activation::Relu6,
        other => {
            return Err(SimulationError::new_err(format!(
                "activation `{other}`: expected none, relu or relu6"
            )))
        }
    };
    if weight_scales.len() != bias.len() {
        return Err(SimulationError::new_err(format!(
            "{} weight scales for {} biases: one each per output channel",
            weight_scales.len(),
            bias.len()
        )));
    }
    let q = FcQuant::from_scales(
        input_scale,
        input_zero_point,
        &weight_scales,
        output_scale,
        output_zero_point,
        bias,
        act,
    );
    quant_to_dict(py, &q)
}

/// TFLite's reference arithmetic for the layer (no chip): Y as M x N int8 bytes.
#[pyfunction]
fn fc_reference<'py>(
    py: Python<'py>,
    x: &[u8],
    m: usize,
    k: usize,
    w: &[u8],
    n: usize,
    quant: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyBytes>> {
    let (x, w) = (matrix_i8(x, m, k, "X")?, matrix_i8(w, k, n, "W")?);
    let q = quant_from_dict(quant, n)?;
    let y = q.reference(&x, &w);
    let bytes: Vec<u8> = y.data.iter().map(|&v| v as u8).collect();
    Ok(PyBytes::new(py, &bytes))
}

/// A fully connected int8 layer (bias, per-channel requantisation, fused activation) on the
/// Verilated chip with the layer library's program, checked against the reference model.
#[pyfunction]
#[pyo3(signature = (config, x, m, k, w, n, quant, read_latency = 20, stall = 0.0, seed = 1))]
#[allow(clippy::too_many_arguments)]
fn fully_connected<'py>(
    py: Python<'py>,
    config: &PyConfig,
    x: &[u8],
    m: usize,
    k: usize,
    w: &[u8],
    n: usize,
    quant: &Bound<'py, PyDict>,
    read_latency: u32,
    stall: f64,
    seed: u64,
) -> PyResult<LayerRun> {
    single_tile(config, "fully_connected")?;
    let (x, w) = (matrix_i8(x, m, k, "X")?, matrix_i8(w, k, n, "W")?);
    let q = quant_from_dict(quant, n)?;
    let cfg = config.inner.clone();
    let p = fc_plan(&cfg, m, k, n)
        .map_err(|e| SimulationError::new_err(format!("planning the {m}x{k}x{n} layer: {e}")))?;
    let (dram, launch) = p.dram(&x, &w, &q);
    let t = timing(read_latency, stall, seed)?;
    let r = py
        .detach(|| {
            let model = build_chip(&cfg)?;
            check_program(&model, &cfg, &dram, &launch, t, XInit::Random(seed as u32))
        })
        .map_err(mismatch_or_sim)?;
    if !r.status.done {
        return Err(SimulationError::new_err(format!(
            "the layer's program stopped with {:?} at instruction {}",
            r.status.error, r.status.pc
        )));
    }
    let y = p.result(&r.dram);
    let bytes: Vec<u8> = y.data.iter().map(|&v| v as u8).collect();
    Ok(LayerRun {
        y: PyBytes::new(py, &bytes).unbind(),
        cycles: r.cycles,
        instructions: launch.program_len as usize,
        counters: counters_dict(py, &r.counters, &r.perf)?.unbind(),
    })
}

fn row_layer_of(kind: &str, params: &Bound<'_, PyDict>) -> PyResult<RowLayer> {
    let get = |key: &str| -> PyResult<Option<Bound<'_, PyAny>>> { params.get_item(key) };
    let need = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        get(key)?.ok_or_else(|| {
            SimulationError::new_err(format!("row layer `{kind}`: no `{key}` parameter"))
        })
    };
    let quant = |scale: &str, zp: &str| -> PyResult<Quant> {
        Ok(Quant {
            scale: need(scale)?.extract()?,
            zero_point: need(zp)?.extract()?,
        })
    };
    let input = quant("input_scale", "input_zero_point")?;
    let eps = || -> PyResult<f64> { get("eps")?.map_or(Ok(1e-5), |v| v.extract()) };
    Ok(match kind {
        "softmax" => RowLayer::Softmax { input },
        "layernorm" => RowLayer::LayerNorm {
            input,
            gamma: need("gamma")?.extract()?,
            beta: need("beta")?.extract()?,
            eps: eps()?,
            output: quant("output_scale", "output_zero_point")?,
        },
        "rmsnorm" => RowLayer::RmsNorm {
            input,
            gamma: need("gamma")?.extract()?,
            eps: eps()?,
            output: quant("output_scale", "output_zero_point")?,
        },
        "gelu" | "silu" | "sigmoid" | "tanh" => RowLayer::Activation {
            func: match kind {
                "gelu" => Func::Gelu,
                "silu" => Func::Silu,
                "sigmoid" => Func::Sigmoid,
                _ => Func::Tanh,
            },
            input,
            output: quant("output_scale", "output_zero_point")?,
        },
        other => {
            return Err(SimulationError::new_err(format!(
                "row layer `{other}`: expected softmax, layernorm, rmsnorm, gelu, silu, sigmoid or tanh"
            )))
        }
    })
}

/// A row layer (softmax, layer-norm, RMSNorm or a table activation) over rows of C int8
/// values: `mode` "rtl" runs the layer library's program on the Verilated chip (checked
/// against the reference model), "model" on the reference model alone (what the chip
/// computes, bit for bit), "float" the float function quantised to int8.
#[pyfunction]
#[pyo3(signature = (config, kind, x, rows, params, mode = "rtl", seed = 1))]
#[allow(clippy::too_many_arguments)]
fn row_layer<'py>(
    py: Python<'py>,
    config: &PyConfig,
    kind: &str,
    x: &[u8],
    rows: usize,
    params: &Bound<'py, PyDict>,
    mode: &str,
    seed: u64,
) -> PyResult<LayerRun> {
    single_tile(config, "row_layer")?;
    let cfg = config.inner.clone();
    let cols = cfg.matrix.cols as usize;
    let x = matrix_i8(x, rows, cols, "X (rows of matrix.cols values)")?;
    let layer = row_layer_of(kind, params)?;
    let plan_err = |e: seedchip_verif::row_layers::RowError| {
        SimulationError::new_err(format!("planning the {kind} layer: {e}"))
    };
    let bytes = |m: &Matrix<i8>| -> Vec<u8> { m.data.iter().map(|&v| v as u8).collect() };
    let empty = || PyDict::new(py).unbind();
    match mode {
        "float" => Ok(LayerRun {
            y: PyBytes::new(py, &bytes(&float_reference(&layer, &x))).unbind(),
            cycles: 0,
            instructions: 0,
            counters: empty(),
        }),
        "model" => {
            let plan = row_plan(&cfg, &layer, rows).map_err(plan_err)?;
            Ok(LayerRun {
                y: PyBytes::new(py, &bytes(&run_on_model(&cfg, &plan, &x))).unbind(),
                cycles: 0,
                instructions: plan.program.len(),
                counters: empty(),
            })
        }
        "rtl" => {
            let plan = row_plan(&cfg, &layer, rows).map_err(plan_err)?;
            let (dram, launch) = plan.dram(&x);
            let t = timing(20, 0.0, seed)?;
            let r = py
                .detach(|| {
                    let model = build_chip(&cfg)?;
                    check_program(&model, &cfg, &dram, &launch, t, XInit::Random(seed as u32))
                })
                .map_err(mismatch_or_sim)?;
            if !r.status.done {
                return Err(SimulationError::new_err(format!(
                    "the {kind} layer's program stopped with {:?} at instruction {}",
                    r.status.error, r.status.pc
                )));
            }
            Ok(LayerRun {
                y: PyBytes::new(py, &bytes(&plan.result(&r.dram))).unbind(),
                cycles: r.cycles,
                instructions: plan.program.len(),
                counters: counters_dict(py, &r.counters, &r.perf)?.unbind(),
            })
        }
        other => Err(SimulationError::new_err(format!(
            "mode `{other}`: expected rtl, model or float"
        ))),
    }
}

/// A GEMM on an FPGA board over its UART host link (`port`), or on the board's simulation
/// (no port: the Verilated board core driven through its UART pins), checked against the
/// reference model.
#[pyfunction]
#[pyo3(signature = (config, board, a, m, k, w, n, port = None))]
#[allow(clippy::too_many_arguments)]
fn board_gemm(
    py: Python<'_>,
    config: &PyConfig,
    board: &str,
    a: &[u8],
    m: usize,
    k: usize,
    w: &[u8],
    n: usize,
    port: Option<&str>,
) -> PyResult<GemmRun> {
    use seedchip_hdl::board::boards::Board;
    use seedchip_verif::board::{run_gemm, BoardError, Host, SerialLink, SimLink};
    single_tile(config, "board_gemm")?;
    let board: Board = board.parse().map_err(SimulationError::new_err)?;
    let (a, w) = (matrix_i8(a, m, k, "A")?, matrix_i8(w, k, n, "W")?);
    let cfg = config.inner.clone();
    let mut spec = board.core_spec(&cfg);
    let (_, clock_hz) = board.pll(spec.clock_hz).map_err(ConfigError::new_err)?;
    spec.clock_hz = clock_hz;
    let port = port.map(str::to_string);
    let r = py.detach(|| -> Result<_, BoardError> {
        match port {
            Some(p) => run_gemm(
                &mut Host::new(SerialLink::open(&p, spec.baud)?),
                &cfg,
                &a,
                &w,
            ),
            None => run_gemm(&mut Host::new(SimLink::new(&cfg, &spec)?), &cfg, &a, &w),
        }
    });
    let g = r.map_err(|e| match e {
        BoardError::Mismatch(msg) => {
            MismatchError::new_err(format!("the board and the reference model differ: {msg}"))
        }
        e => SimulationError::new_err(e.to_string()),
    })?;
    let c = &g.run.counters;
    Ok(GemmRun {
        c: i32_bytes(py, &g.c).unbind(),
        cycles: g.run.cycles,
        instructions: c.instructions as usize,
        counters: counters_dict(py, c, &[("cycles", g.run.cycles)])?.unbind(),
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SeedchipError", py.get_type::<SeedchipError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("AssemblyError", py.get_type::<AssemblyError>())?;
    m.add("SimulationError", py.get_type::<SimulationError>())?;
    m.add("MismatchError", py.get_type::<MismatchError>())?;
    m.add_class::<PyConfig>()?;
    m.add_class::<NativeSimulator>()?;
    m.add_class::<PyProgram>()?;
    m.add_class::<RunResult>()?;
    m.add_class::<ReferenceModel>()?;
    m.add_class::<GemmRun>()?;
    m.add_class::<LayerRun>()?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(assemble, m)?)?;
    m.add_function(wrap_pyfunction!(run_program, m)?)?;
    m.add_function(wrap_pyfunction!(gemm, m)?)?;
    m.add_function(wrap_pyfunction!(fc_quant, m)?)?;
    m.add_function(wrap_pyfunction!(fc_reference, m)?)?;
    m.add_function(wrap_pyfunction!(fully_connected, m)?)?;
    m.add_function(wrap_pyfunction!(row_layer, m)?)?;
    m.add_function(wrap_pyfunction!(board_gemm, m)?)?;
    Ok(())
}
