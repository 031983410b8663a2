"""seedchip from Python: the Verilator-backed simulator, the reference model, the assembler
and the GEMM and layer libraries, with numpy arrays in and out.

The heavy lifting is the Rust the ``seedchip`` command line uses (``seedchip._native``); this
module adds numpy conversions, Python ints of any width, and cocotb-style signal handles::

    import seedchip
    dut = seedchip.Simulator(seedchip.Config({"matrix": {"rows": 4, "cols": 4}}))
    seedchip.reset(dut)
    dut.s_axil_arvalid.value = 1
    seedchip.clock(dut)
    print(int(dut.s_axil_arready.value))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import (
    AssemblyError,
    ConfigError,
    MismatchError,
    Program,
    SeedchipError,
    SimulationError,
)

__all__ = [
    "AssemblyError",
    "Config",
    "ConfigError",
    "GemmResult",
    "LayerResult",
    "MismatchError",
    "Port",
    "Program",
    "ProgramBuilder",
    "ReferenceModel",
    "RunResult",
    "SeedchipError",
    "Signal",
    "SimulationError",
    "Simulator",
    "assemble",
    "clock",
    "fc_quant",
    "fc_reference",
    "fpga_gemm",
    "fully_connected",
    "gemm",
    "generate",
    "reset",
    "row_layer",
    "run_program",
    "wait_until",
]


# --- configuration ---------------------------------------------------------------------------


class Config:
    """A chip configuration: the built-in default, TOML text, a dict of the same fields, or
    a TOML file (``pathlib.Path`` or any path-like). Errors name the field::

        Config()                                   # the default 16x16 chip
        Config({"matrix": {"rows": 4, "cols": 4}})
        Config("[matrix]\\nrows = 4\\ncols = 4\\n")
        Config(pathlib.Path("chip.toml"))
    """

    __slots__ = ("_native",)

    def __init__(self, source: Union[None, str, Mapping[str, Any], "os.PathLike[str]"] = None):
        if source is None:
            self._native = _native.Config()
        elif isinstance(source, Config):
            self._native = source._native
        elif isinstance(source, Mapping):
            self._native = _native.Config.from_json(json.dumps(dict(source)), "<dict>")
        elif isinstance(source, os.PathLike):
            self._native = _native.Config.from_file(os.fspath(source))
        elif isinstance(source, str):
            self._native = _native.Config.from_toml(source, "<toml>")
        else:
            raise TypeError(
                f"Config: expected None, a dict, TOML text or a path, not {type(source).__name__}"
            )

    @classmethod
    def from_toml(cls, text: str) -> "Config":
        return cls(text)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Config":
        c = cls.__new__(cls)
        c._native = _native.Config.from_file(os.fspath(path))
        return c

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> "Config":
        return cls(fields)

    @property
    def rows(self) -> int:
        """The matrix engine's rows (PE rows)."""
        return self._native.rows

    @property
    def cols(self) -> int:
        """The matrix engine's columns."""
        return self._native.cols

    @property
    def tiles(self) -> Tuple[int, int]:
        """Tiles (x, y); (1, 1) is the single-tile chip."""
        return self._native.tiles

    def to_dict(self) -> Dict[str, Any]:
        """Every field, defaults filled in."""
        return json.loads(self._native.to_json())

    def to_toml(self) -> str:
        return self._native.to_toml()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self._native == other._native

    def __repr__(self) -> str:
        return repr(self._native)


def _config(config: Union[None, Config, str, Mapping[str, Any]]) -> "_native.Config":
    return Config(config)._native


def generate(config: Union[None, Config, str, Mapping[str, Any]], out_dir: Union[str, "os.PathLike[str]"]) -> List[str]:
    """Write the chip's Verilog (one file a module), ``files.f`` and ``seedchip.h`` to
    ``out_dir``; returns the paths written."""
    return [os.fspath(p) for p in _native.generate(_config(config), os.fspath(out_dir))]


# --- simulation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Port:
    name: str
    is_input: bool
    width: int
    signed: bool


class Signal:
    """A port of a running simulation, cocotb style: ``dut.a.value = 3``,
    ``int(dut.y.value)``."""

    __slots__ = ("_sim", "_port")

    def __init__(self, sim: "Simulator", port: Port):
        self._sim = sim
        self._port = port

    @property
    def value(self) -> int:
        return self._sim.peek(self._port.name)

    @value.setter
    def value(self, v: int) -> None:
        self._sim.poke(self._port.name, v)

    @property
    def width(self) -> int:
        return self._port.width

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        kind = "input" if self._port.is_input else "output"
        return f"<{kind} {self._port.name}[{self._port.width}] = {self.value}>"


class Simulator:
    """A Verilated design: the chip of a configuration, ``Simulator(config)``, or any Verilog,
    ``Simulator(["a.v", "b.v"], top="m")``.

    Inputs poked before :meth:`step` are sampled at its rising edge; after ``step`` outputs
    show the state after the edge; :meth:`peek` settles combinational logic first. Models are
    cached on disk (``SEEDCHIP_CACHE_DIR``), so the same design builds once.

    ``trace=True`` builds with waveform support (then :meth:`trace` writes a VCD);
    ``seed`` sets every register's initial value at random (reproducibly), otherwise zero.
    The clock is ``clk`` and the reset ``rst`` (active high) where the design has them, or
    as named by ``clock`` and ``reset``.
    """

    def __init__(
        self,
        design: Union[None, Config, str, Mapping[str, Any], Sequence[Union[str, "os.PathLike[str]"]]] = None,
        top: Optional[str] = None,
        *,
        clock: Optional[str] = None,
        reset: Optional[str] = None,
        trace: bool = False,
        seed: Optional[int] = None,
    ):
        if top is not None:
            if isinstance(design, (str, os.PathLike)):
                design = [design]
            files = [os.fspath(f) for f in (design or [])]
            native = _native.NativeSimulator.for_files(files, top, clock, reset, trace, seed)
        else:
            if isinstance(design, (list, tuple)):
                raise TypeError("Simulator(files, top=...): name the top module of the Verilog files")
            if clock is not None or reset is not None:
                raise TypeError("the chip's clock and reset are clk and rst; clock= and reset= are for Verilog files")
            native = _native.NativeSimulator.for_config(_config(design), trace, seed)
        object.__setattr__(self, "_native", native)
        ports = {p[0]: Port(*p) for p in native.ports()}
        object.__setattr__(self, "_ports", ports)

    @property
    def top(self) -> str:
        return self._native.top

    @property
    def ports(self) -> Dict[str, Port]:
        """Every port by name."""
        return dict(self._ports)

    @property
    def cycle(self) -> int:
        """Clock cycles run so far."""
        return self._native.cycle

    def _port(self, name: str) -> Port:
        try:
            return self._ports[name]
        except KeyError:
            raise SimulationError(
                f"`{self.top}` has no port `{name}`; its ports: {', '.join(self._ports)}"
            ) from None

    def poke(self, name: str, value: int) -> None:
        """Drive input ``name``, any width: a signed port takes -2**(w-1) .. 2**(w-1)-1, an
        unsigned one 0 .. 2**w-1 (or a negative value as its two's complement). A value that
        does not fit raises ``ValueError``."""
        p = self._port(name)
        v = int(value)
        lo = -(1 << (p.width - 1))
        hi = (1 << (p.width - 1)) - 1 if p.signed else (1 << p.width) - 1
        if not lo <= v <= hi:
            raise ValueError(f"{v} does not fit the {p.width}-bit port `{name}`")
        v &= (1 << p.width) - 1
        self._native.poke_bytes(name, v.to_bytes((p.width + 7) // 8, "little"))

    def peek(self, name: str) -> int:
        """The value on port ``name``: signed where the port is declared signed."""
        p = self._port(name)
        v = int.from_bytes(self._native.peek_bytes(name), "little")
        if p.signed and v >> (p.width - 1):
            v -= 1 << p.width
        return v

    def step(self, n: int = 1) -> None:
        """``n`` clock cycles."""
        if n < 0:
            raise ValueError(f"step({n}): cycles must be >= 0")
        self._native.step(n)

    def eval(self) -> None:
        """Settle combinational logic (no clock edge)."""
        self._native.eval()

    def reset(self, cycles: int = 2) -> None:
        """Hold reset high for ``cycles`` cycles, then release it."""
        self._native.reset(cycles)

    def trace(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write a VCD waveform to ``path`` from now on (build with ``trace=True``)."""
        self._native.trace(os.fspath(path))

    def close_trace(self) -> None:
        self._native.close_trace()

    def __getattr__(self, name: str) -> Signal:
        ports = object.__getattribute__(self, "_ports")
        if name in ports:
            return Signal(self, ports[name])
        raise AttributeError(f"`{self.top}` has no port `{name}`")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._ports:
            raise AttributeError(f"assign to `dut.{name}.value`, not `dut.{name}`")
        object.__setattr__(self, name, value)

    def __dir__(self) -> Iterable[str]:
        return list(super().__dir__()) + list(self._ports)

    def __repr__(self) -> str:
        return f"<Simulator {self.top}: {len(self._ports)} ports, cycle {self.cycle}>"


def clock(dut: Simulator, cycles: int = 1) -> None:
    """Run ``cycles`` rising edges (cocotb: ``await ClockCycles(dut.clk, n)``)."""
    dut.step(cycles)


def reset(dut: Simulator, cycles: int = 2) -> None:
    """Hold reset for ``cycles`` cycles and release it."""
    dut.reset(cycles)


def wait_until(dut: Simulator, condition: Callable[[], bool], timeout: int = 10_000) -> int:
    """Clock until ``condition()`` holds (checked before each edge); returns the cycles
    waited. Raises ``SimulationError`` after ``timeout`` cycles (cocotb: a ``RisingEdge``
    loop with a timer)."""
    for waited in range(timeout + 1):
        if condition():
            return waited
        dut.step()
    raise SimulationError(f"condition not met within {timeout} cycles (at cycle {dut.cycle})")


# --- programs --------------------------------------------------------------------------------


def assemble(text: str) -> Program:
    """Assemble program text, one instruction a line (``docs/isa.md``); errors name the line."""
    return _native.assemble(text)


class ProgramBuilder:
    """Build a program one instruction at a time; every opcode is a method taking its fields
    as keywords::

        p = ProgramBuilder()
        p.load(sram_row=0, rows=4, row_bytes=4, dram_addr=0x1000, dram_stride=4)
        p.fence()
        p.halt()
        program = p.build()
    """

    def __init__(self) -> None:
        self._lines: List[str] = []

    def add(self, opcode: str, **fields: int) -> "ProgramBuilder":
        parts = [opcode] + [f"{k}={int(v)}" for k, v in fields.items()]
        self._lines.append(" ".join(parts))
        return self

    def __getattr__(self, opcode: str) -> Callable[..., "ProgramBuilder"]:
        if opcode.startswith("_"):
            raise AttributeError(opcode)
        return lambda **fields: self.add(opcode, **fields)

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"

    def build(self) -> Program:
        return assemble(self.text())

    def __len__(self) -> int:
        return len(self._lines)


@dataclass
class RunResult:
    """What a run left behind."""

    dram: np.ndarray
    done: bool
    error: str
    pc: int
    cycles: Optional[int]
    counters: Dict[str, int] = field(default_factory=dict)


def _result(r: "_native.RunResult") -> RunResult:
    return RunResult(
        dram=np.frombuffer(r.dram, dtype=np.uint8).copy(),
        done=r.done,
        error=r.error,
        pc=r.pc,
        cycles=r.cycles,
        counters=dict(r.counters),
    )


def _bytes(dram: Union[bytes, bytearray, np.ndarray, Sequence[int]]) -> bytes:
    if isinstance(dram, (bytes, bytearray)):
        return bytes(dram)
    a = np.asarray(dram)
    if a.dtype != np.uint8:
        if a.size and (a.min() < 0 or a.max() > 255):
            raise ValueError("a DRAM image holds bytes (0..=255)")
        a = a.astype(np.uint8)
    return a.tobytes()


def run_program(
    program: Union[Program, str],
    dram: Union[bytes, bytearray, np.ndarray, Sequence[int]],
    config: Union[None, Config, str, Mapping[str, Any]] = None,
    *,
    program_addr: int = 0,
    window: Optional[Tuple[int, int]] = None,
    check: bool = True,
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> RunResult:
    """Run ``program`` (a Program or assembler text) on the Verilated chip from the DRAM image
    ``dram``, the program written at ``program_addr``, the DRAM window ``window`` (base,
    bound; default the whole image). With ``check`` the reference model runs too and a
    difference raises ``MismatchError``."""
    if isinstance(program, str):
        program = assemble(program)
    r = _native.run_program(
        _config(config), program, _bytes(dram), program_addr, window, check, read_latency, stall, seed
    )
    return _result(r)


class ReferenceModel:
    """The chip's reference model (architectural: results, STATUS and counters, no cycles)."""

    def __init__(self, config: Union[None, Config, str, Mapping[str, Any]] = None):
        self._native = _native.ReferenceModel(_config(config))

    def run(
        self,
        program: Union[Program, str],
        dram: Union[bytes, bytearray, np.ndarray, Sequence[int]],
        *,
        program_addr: int = 0,
        window: Optional[Tuple[int, int]] = None,
    ) -> RunResult:
        if isinstance(program, str):
            program = assemble(program)
        return _result(self._native.run(program, _bytes(dram), program_addr, window))


# --- GEMM and layers -------------------------------------------------------------------------


def _int8(x: Any, what: str, ndim: int = 2) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != ndim:
        raise ValueError(f"{what}: expected a {ndim}-D array, got shape {a.shape}")
    if a.dtype != np.int8:
        if not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{what}: expected int8 values, got {a.dtype}")
        if a.size and (a.min() < -128 or a.max() > 127):
            raise ValueError(f"{what}: values outside int8 (-128..=127)")
        a = a.astype(np.int8)
    return np.ascontiguousarray(a)


@dataclass
class GemmResult:
    c: np.ndarray
    cycles: int
    instructions: int
    utilisation: float
    counters: Dict[str, int]


def gemm(
    a: Any,
    w: Any,
    config: Union[None, Config, str, Mapping[str, Any]] = None,
    *,
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> GemmResult:
    """``a @ w`` (int8 M x K by K x N, int32 out) on the Verilated chip with the GEMM library's
    program (split over the tiles of a multi-tile chip), checked against the reference model.
    ``utilisation`` is useful MACs over the array's peak for the cycles taken."""
    c = Config(config)
    a8, w8 = _int8(a, "a"), _int8(w, "w")
    (m, k), (k2, n) = a8.shape, w8.shape
    if k != k2:
        raise ValueError(f"gemm: a is {m}x{k} but w is {k2}x{n}; the inner dimensions differ")
    r = _native.gemm(c._native, a8.tobytes(), m, k, w8.tobytes(), n, read_latency, stall, seed)
    tx, ty = c.tiles
    peak = c.rows * c.cols * tx * ty
    return GemmResult(
        c=np.frombuffer(r.c, dtype="<i4").reshape(m, n).copy(),
        cycles=r.cycles,
        instructions=r.instructions,
        utilisation=m * k * n / (peak * r.cycles),
        counters=dict(r.counters),
    )


def fc_quant(
    input_scale: float,
    input_zero_point: int,
    weight_scales: Sequence[float],
    output_scale: float,
    output_zero_point: int,
    bias: Sequence[int],
    activation: str = "none",
) -> Dict[str, Any]:
    """TFLite's int8 quantisation of a fully connected layer from float scales: per-channel
    multiplier and shift, zero points, bias, and the output range of the fused activation
    (``none``, ``relu``, ``relu6``)."""
    return dict(
        _native.fc_quant(
            float(input_scale),
            int(input_zero_point),
            [float(s) for s in weight_scales],
            float(output_scale),
            int(output_zero_point),
            [int(b) for b in bias],
            activation,
        )
    )


def fc_reference(x: Any, w: Any, quant: Mapping[str, Any]) -> np.ndarray:
    """TFLite's reference arithmetic for the layer (no chip): int8 M x N."""
    x8, w8 = _int8(x, "x"), _int8(w, "w")
    (m, k), (_, n) = x8.shape, w8.shape
    y = _native.fc_reference(x8.tobytes(), m, k, w8.tobytes(), n, dict(quant))
    return np.frombuffer(y, dtype=np.int8).reshape(m, n).copy()


@dataclass
class LayerResult:
    y: np.ndarray
    cycles: int
    instructions: int
    counters: Dict[str, int]


def fully_connected(
    x: Any,
    w: Any,
    quant: Mapping[str, Any],
    config: Union[None, Config, str, Mapping[str, Any]] = None,
    *,
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> LayerResult:
    """A fully connected int8 layer (``x`` M x K, ``w`` K x N, ``quant`` from
    :func:`fc_quant`) on the Verilated chip with the layer library, checked against the
    reference model."""
    c = Config(config)
    x8, w8 = _int8(x, "x"), _int8(w, "w")
    (m, k), (k2, n) = x8.shape, w8.shape
    if k != k2:
        raise ValueError(f"fully_connected: x is {m}x{k} but w is {k2}x{n}")
    r = _native.fully_connected(
        c._native, x8.tobytes(), m, k, w8.tobytes(), n, dict(quant), read_latency, stall, seed
    )
    return LayerResult(
        y=np.frombuffer(r.y, dtype=np.int8).reshape(m, n).copy(),
        cycles=r.cycles,
        instructions=r.instructions,
        counters=dict(r.counters),
    )


ROW_LAYERS = ("softmax", "layernorm", "rmsnorm", "gelu", "silu", "sigmoid", "tanh")


def row_layer(
    kind: str,
    x: Any,
    config: Union[None, Config, str, Mapping[str, Any]] = None,
    *,
    input: Tuple[float, int],
    output: Optional[Tuple[float, int]] = None,
    gamma: Optional[Sequence[float]] = None,
    beta: Optional[Sequence[float]] = None,
    eps: float = 1e-5,
    mode: str = "rtl",
    seed: int = 1,
) -> LayerResult:
    """A row layer over rows of ``config.cols`` int8 values (``x`` is N x cols):
    ``softmax`` (output scale 1/256, zero point -128), ``layernorm``, ``rmsnorm``, or a table
    activation (``gelu``, ``silu``, ``sigmoid``, ``tanh``). ``input`` and ``output`` are
    (scale, zero point). ``mode``: ``rtl`` runs the layer library's program on the Verilated
    chip, checked against the reference model; ``model`` the reference model alone (the
    chip's results, bit for bit); ``float`` the float function quantised to int8."""
    c = Config(config)
    x8 = _int8(x, "x")
    if x8.shape[1] != c.cols:
        raise ValueError(f"row_layer: rows of {x8.shape[1]} values; this chip's rows have {c.cols}")
    params: Dict[str, Any] = {"input_scale": float(input[0]), "input_zero_point": int(input[1]), "eps": float(eps)}
    if output is not None:
        params.update(output_scale=float(output[0]), output_zero_point=int(output[1]))
    if gamma is not None:
        params["gamma"] = [float(g) for g in gamma]
    if beta is not None:
        params["beta"] = [float(b) for b in beta]
    r = _native.row_layer(c._native, kind, x8.tobytes(), x8.shape[0], params, mode, seed)
    return LayerResult(
        y=np.frombuffer(r.y, dtype=np.int8).reshape(x8.shape).copy(),
        cycles=r.cycles,
        instructions=r.instructions,
        counters=dict(r.counters),
    )


def fpga_gemm(
    a: Any,
    w: Any,
    board: str,
    config: Union[None, Config, str, Mapping[str, Any]] = None,
    *,
    port: Optional[str] = None,
) -> GemmResult:
    """``a @ w`` on an FPGA board (``icebreaker`` or ``ulx3s``) over its UART host link at
    ``port`` (e.g. ``/dev/ttyUSB1``), or, without a port, on the board's simulation: the
    Verilated board core driven bit by bit through its UART pins (`seedchip fpga run`).
    STATUS, the counters and C are checked against the reference model."""
    c = Config(config)
    a8, w8 = _int8(a, "a"), _int8(w, "w")
    (m, k), (k2, n) = a8.shape, w8.shape
    if k != k2:
        raise ValueError(f"fpga_gemm: a is {m}x{k} but w is {k2}x{n}; the inner dimensions differ")
    r = _native.board_gemm(c._native, board, a8.tobytes(), m, k, w8.tobytes(), n, port)
    return GemmResult(
        c=np.frombuffer(r.c, dtype="<i4").reshape(m, n).copy(),
        cycles=r.cycles,
        instructions=r.instructions,
        utilisation=m * k * n / (c.rows * c.cols * r.cycles),
        counters=dict(r.counters),
    )
