"""Shared fixtures: small chip configurations (Verilator builds are cached on disk, so each
configuration builds once per machine)."""

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
