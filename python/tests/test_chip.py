"""The chip from Python: GEMMs against numpy, assembled programs against the reference
model, a requantised layer against TFLite's arithmetic, and the error paths."""

import numpy as np
import pytest

import seedchip


def test_a_gemm_on_the_chip_equals_numpy(small, rng):
    a = rng.integers(-128, 128, (9, 7), dtype=np.int8)
    w = rng.integers(-128, 128, (7, 6), dtype=np.int8)
    r = seedchip.gemm(a, w, small, stall=0.2, seed=3)
    np.testing.assert_array_equal(r.c, a.astype(np.int32) @ w.astype(np.int32))
    assert r.c.dtype == np.int32 and r.c.shape == (9, 6)
    assert r.cycles > 0 and 0 < r.utilisation <= 1
    assert r.counters["macs"] > 0 and r.counters["cycles"] == r.cycles


def test_a_gemm_split_over_two_tiles_equals_numpy(rng):
    two = seedchip.Config(
        {
            "matrix": {"rows": 2, "cols": 2},
            "memory": {"scratchpad_rows": 32, "accumulator_rows": 32},
            "tiles": {"x": 2, "y": 1},
        }
    )
    a = rng.integers(-128, 128, (5, 4), dtype=np.int8)
    w = rng.integers(-128, 128, (4, 6), dtype=np.int8)
    r = seedchip.gemm(a, w, two)
    np.testing.assert_array_equal(r.c, a.astype(np.int32) @ w.astype(np.int32))


def test_an_assembled_program_runs_like_the_reference_model(small):
    p = seedchip.ProgramBuilder()
    p.load(sram_row=0, rows=4, row_bytes=4, dram_addr=0x1000, dram_stride=4)
    p.fence()
    p.store(sram_row=0, rows=4, row_bytes=4, dram_addr=0x2000, dram_stride=4)
    p.halt()
    program = p.build()
    assert len(program) == 4 and program.lines()[0].startswith("load")
    dram = np.zeros(0x3000, dtype=np.uint8)
    dram[0x1000:0x1010] = np.arange(16)
    rtl = seedchip.run_program(program, dram, small)
    model = seedchip.ReferenceModel(small).run(program, dram)
    assert rtl.done and rtl.error == "None" and rtl.cycles > 0
    np.testing.assert_array_equal(rtl.dram[0x2000:0x2010], np.arange(16))
    np.testing.assert_array_equal(rtl.dram, model.dram)
    for k in ("instructions", "macs", "dram_read_bytes", "dram_write_bytes"):
        assert rtl.counters[k] == model.counters[k]
    assert model.cycles is None


def test_a_program_error_is_reported_in_status(small):
    # The STORE leaves the DRAM window: STATUS says DramWindow at instruction 0.
    text = "store sram_row=0 rows=1 row_bytes=4 dram_addr=0x5000 dram_stride=4\nhalt\n"
    r = seedchip.run_program(text, bytes(0x1000), small)
    assert (r.done, r.error, r.pc) == (False, "DramWindow", 0)


def test_a_requantised_layer_equals_tflite_arithmetic(small, rng):
    m, k, n = 5, 9, 6
    x = rng.integers(-128, 128, (m, k), dtype=np.int8)
    w = rng.integers(-127, 128, (k, n), dtype=np.int8)
    bias = rng.integers(-2000, 2000, n).tolist()
    q = seedchip.fc_quant(0.05, -3, [0.01 + 0.002 * i for i in range(n)], 0.2, 4, bias, "relu")
    assert len(q["multiplier"]) == n and q["min"] == 4
    r = seedchip.fully_connected(x, w, q, small)
    np.testing.assert_array_equal(r.y, seedchip.fc_reference(x, w, q))
    assert r.y.dtype == np.int8 and (r.y >= 4).all()
    # Against a float computation of the same layer: within one step of the output scale.
    acc = (x.astype(np.int64) + 3) @ w.astype(np.int64) + np.array(bias)
    real = acc * 0.05 * np.array([0.01 + 0.002 * i for i in range(n)])
    expect = np.clip(np.round(real / 0.2) + 4, 4, 127)
    assert np.abs(r.y.astype(np.int64) - expect).max() <= 1


def test_error_paths_raise_with_the_cli_messages(small):
    with pytest.raises(seedchip.AssemblyError, match="line 2"):
        seedchip.assemble("fence\nfrobnicate rows=1\n")
    with pytest.raises(seedchip.AssemblyError):
        seedchip.ProgramBuilder().load(rows=1, nonsense=3).build()
    with pytest.raises(seedchip.SimulationError, match="does not fit the 16-byte DRAM image"):
        seedchip.run_program("fence\nhalt\n", bytes(16), small)
    with pytest.raises(ValueError, match="inner dimensions differ"):
        seedchip.gemm(np.zeros((2, 3), np.int8), np.zeros((4, 2), np.int8), small)
    with pytest.raises(ValueError, match="outside int8"):
        seedchip.gemm(np.full((2, 2), 300), np.zeros((2, 2), np.int8), small)
    with pytest.raises(seedchip.ConfigError, match="2x1 tiles"):
        seedchip.run_program("halt\n", bytes(64), {"tiles": {"x": 2}})
    with pytest.raises(seedchip.SimulationError, match="activation `gelu`"):
        seedchip.fc_quant(1, 0, [1], 1, 0, [0], "gelu")


def test_a_gemm_on_the_simulated_fpga_board_equals_numpy(rng):
    board_cfg = seedchip.Config(
        {
            "matrix": {"rows": 2, "cols": 2},
            "memory": {"scratchpad_rows": 64, "accumulator_rows": 32},
            "bus": {"data_bits": 64},
            "fpga": {"baud": 3000000, "memory_kib": 16},
        }
    )
    a = rng.integers(-128, 128, (6, 5), dtype=np.int8)
    w = rng.integers(-128, 128, (5, 3), dtype=np.int8)
    r = seedchip.fpga_gemm(a, w, "ulx3s", board_cfg)
    np.testing.assert_array_equal(r.c, a.astype(np.int32) @ w.astype(np.int32))
    assert r.cycles > 0
    with pytest.raises(seedchip.SimulationError, match="unknown board"):
        seedchip.fpga_gemm(a, w, "de10", board_cfg)
