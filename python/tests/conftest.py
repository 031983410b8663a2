"""Shared fixtures: small chip configurations (Verilator builds are cached on disk, so each
configuration builds once per machine)."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import seedchip

SMALL = {
    "matrix": {"rows": 4, "cols": 4},
    "memory": {"scratchpad_rows": 64, "accumulator_rows": 32},
}


@pytest.fixture(scope="session")
def small() -> seedchip.Config:
    return seedchip.Config(SMALL)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)


ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def example():
    """Load a script of examples/ as a module: ``example("digits/run.py")``."""

    def load(relpath: str):
        name = "example_" + relpath.replace("/", "_").removesuffix(".py")
        spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / relpath)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module

    return load
