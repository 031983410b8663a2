"""Type stubs of the Rust extension module (python/src/lib.rs). Use the ``seedchip``
package's wrappers; these are its building blocks."""

from os import PathLike
from typing import Dict, List, Optional, Sequence, Tuple, Union

class SeedchipError(Exception): ...
class ConfigError(SeedchipError): ...
class AssemblyError(SeedchipError): ...
class SimulationError(SeedchipError): ...
class MismatchError(SeedchipError): ...

class Config:
    def __init__(self) -> None: ...
    @staticmethod
    def from_toml(text: str, origin: str = "<toml>") -> Config: ...
    @staticmethod
    def from_json(text: str, origin: str = "<dict>") -> Config: ...
    @staticmethod
    def from_file(path: Union[str, PathLike[str]]) -> Config: ...
    def to_toml(self) -> str: ...
    def to_json(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def cols(self) -> int: ...
    @property
    def tiles(self) -> Tuple[int, int]: ...

def generate(config: Config, out_dir: Union[str, PathLike[str]]) -> List[str]: ...

class NativeSimulator:
    @staticmethod
    def for_config(config: Config, trace: bool = False, seed: Optional[int] = None) -> NativeSimulator: ...
    @staticmethod
    def for_files(
        files: Sequence[Union[str, PathLike[str]]],
        top: str,
        clock: Optional[str] = None,
        reset: Optional[str] = None,
        trace: bool = False,
        seed: Optional[int] = None,
    ) -> NativeSimulator: ...
    @property
    def top(self) -> str: ...
    @property
    def cycle(self) -> int: ...
    def ports(self) -> List[Tuple[str, bool, int, bool]]: ...
    def poke_bytes(self, name: str, value: bytes) -> None: ...
    def peek_bytes(self, name: str) -> bytes: ...
    def step(self, n: int = 1) -> None: ...
    def eval(self) -> None: ...
    def reset(self, cycles: int = 2) -> None: ...
    def trace(self, path: Union[str, PathLike[str]]) -> None: ...
    def close_trace(self) -> None: ...

class Program:
    def __len__(self) -> int: ...
    def to_bytes(self) -> bytes: ...
    def lines(self) -> List[str]: ...

def assemble(text: str) -> Program: ...

class RunResult:
    dram: bytes
    done: bool
    error: str
    pc: int
    cycles: Optional[int]
    counters: Dict[str, int]

def run_program(
    config: Config,
    program: Program,
    dram: bytes,
    program_addr: int = 0,
    window: Optional[Tuple[int, int]] = None,
    check: bool = True,
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> RunResult: ...

class ReferenceModel:
    def __init__(self, config: Config) -> None: ...
    def run(
        self,
        program: Program,
        dram: bytes,
        program_addr: int = 0,
        window: Optional[Tuple[int, int]] = None,
    ) -> RunResult: ...

class GemmRun:
    c: bytes
    cycles: int
    instructions: int
    counters: Dict[str, int]

def gemm(
    config: Config,
    a: bytes,
    m: int,
    k: int,
    w: bytes,
    n: int,
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> GemmRun: ...

class LayerRun:
    y: bytes
    cycles: int
    instructions: int
    counters: Dict[str, int]

def fc_quant(
    input_scale: float,
    input_zero_point: int,
    weight_scales: Sequence[float],
    output_scale: float,
    output_zero_point: int,
    bias: Sequence[int],
    activation: str = "none",
) -> Dict[str, object]: ...
def fc_reference(x: bytes, m: int, k: int, w: bytes, n: int, quant: Dict[str, object]) -> bytes: ...
def fully_connected(
    config: Config,
    x: bytes,
    m: int,
    k: int,
    w: bytes,
    n: int,
    quant: Dict[str, object],
    read_latency: int = 20,
    stall: float = 0.0,
    seed: int = 1,
) -> LayerRun: ...
def row_layer(
    config: Config,
    kind: str,
    x: bytes,
    rows: int,
    params: Dict[str, object],
    mode: str = "rtl",
    seed: int = 1,
) -> LayerRun: ...
def board_gemm(
    config: Config,
    board: str,
    a: bytes,
    m: int,
    k: int,
    w: bytes,
    n: int,
    port: Optional[str] = None,
) -> GemmRun: ...
