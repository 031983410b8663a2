"""The simulator port by port: any Verilog, signed and wide ports, cocotb-style handles,
the chip's AXI-Lite registers, waveforms, and errors."""

import pathlib

import pytest

import seedchip

MAC = """
// A registered multiply-accumulate with a signed and a 100-bit port.
module mac (
    input  wire               clk,
    input  wire               rst,
    input  wire               en,
    input  wire signed [7:0]  a,
    input  wire signed [7:0]  b,
    output reg  signed [19:0] acc,
    input  wire [99:0]        wide_in,
    output wire [99:0]        wide_out,
    output wire               acc_negative
);
    always @(posedge clk) begin
        if (rst) acc <= 20'sd0;
        else if (en) acc <= acc + a * b;
    end
    assign wide_out = ~wide_in;
    assign acc_negative = acc[19];
endmodule
"""


@pytest.fixture(scope="module")
def mac_file(tmp_path_factory) -> pathlib.Path:
    f = tmp_path_factory.mktemp("mac") / "mac.v"
    f.write_text(MAC)
    return f


def test_a_unit_driven_port_by_port_matches_a_python_scoreboard(mac_file, rng):
    dut = seedchip.Simulator([mac_file], top="mac")
    assert dut.ports["a"].signed and not dut.ports["wide_in"].signed
    seedchip.reset(dut)
    assert dut.acc.value == 0
    expect = 0
    for _ in range(200):
        a, b = (int(v) for v in rng.integers(-128, 128, 2))
        en = int(rng.integers(0, 2))
        dut.a.value, dut.b.value, dut.en.value = a, b, en
        seedchip.clock(dut)
        if en:
            expect += a * b
            expect = (expect + (1 << 19)) % (1 << 20) - (1 << 19)  # 20-bit wrap
        assert dut.acc.value == expect
        assert int(dut.acc_negative.value) == (expect < 0)
    assert dut.cycle == 202


def test_wide_ports_take_and_give_python_ints(mac_file):
    dut = seedchip.Simulator([mac_file], top="mac")
    v = (1 << 99) | 0x1234_5678_9ABC_DEF0_1234
    dut.poke("wide_in", v)
    assert dut.peek("wide_out") == ((1 << 100) - 1) ^ v
    dut.wide_in.value = 0
    assert dut.wide_out.value == (1 << 100) - 1


def test_port_errors_are_python_exceptions(mac_file):
    dut = seedchip.Simulator([mac_file], top="mac")
    with pytest.raises(ValueError, match="does not fit the 8-bit port `a`"):
        dut.a.value = 128
    with pytest.raises(ValueError, match="does not fit"):
        dut.poke("a", -129)
    with pytest.raises(seedchip.SimulationError, match="only inputs"):
        dut.poke("acc", 1)
    with pytest.raises(AttributeError, match="no port `nope`"):
        dut.nope.value
    with pytest.raises(seedchip.SimulationError, match="no port `nope`"):
        dut.peek("nope")
    with pytest.raises(AttributeError, match="assign to `dut.a.value`"):
        dut.a = 1


def test_bad_verilog_and_missing_files_raise_simulation_error(tmp_path: pathlib.Path):
    bad = tmp_path / "bad.v"
    bad.write_text("module bad(input wire a); assign b = ; endmodule\n")
    with pytest.raises(seedchip.SimulationError):
        seedchip.Simulator([bad], top="bad")
    with pytest.raises(seedchip.SimulationError, match="missing.v"):
        seedchip.Simulator([tmp_path / "missing.v"], top="m")


def test_wait_until_and_its_timeout(mac_file):
    dut = seedchip.Simulator([mac_file], top="mac")
    seedchip.reset(dut)
    dut.a.value, dut.b.value, dut.en.value = -1, 1, 1
    assert seedchip.wait_until(dut, lambda: dut.acc.value <= -5) == 5
    dut.en.value = 0
    with pytest.raises(seedchip.SimulationError, match="within 10 cycles"):
        seedchip.wait_until(dut, lambda: dut.acc.value == 0, timeout=10)


def test_a_waveform_is_written(mac_file, tmp_path: pathlib.Path):
    dut = seedchip.Simulator([mac_file], top="mac", trace=True)
    vcd = tmp_path / "mac.vcd"
    dut.trace(vcd)
    seedchip.reset(dut)
    dut.en.value, dut.a.value, dut.b.value = 1, 3, 4
    seedchip.clock(dut, 3)
    dut.close_trace()
    text = vcd.read_text()
    assert "$var" in text and " acc " in text.replace("[", " ")
    untraced = seedchip.Simulator([mac_file], top="mac")
    with pytest.raises(seedchip.SimulationError, match="without tracing"):
        untraced.trace(tmp_path / "x.vcd")


def axil_read(dut: seedchip.Simulator, addr: int) -> int:
    """One AXI4-Lite read, handshake by handshake."""
    dut.s_axil_ar_addr.value = addr
    dut.s_axil_ar_valid.value = 1
    seedchip.wait_until(dut, lambda: dut.s_axil_ar_ready.value == 1, timeout=20)
    seedchip.clock(dut)
    dut.s_axil_ar_valid.value = 0
    dut.s_axil_r_ready.value = 1
    seedchip.wait_until(dut, lambda: dut.s_axil_r_valid.value == 1, timeout=20)
    data = dut.s_axil_r_data.value
    seedchip.clock(dut)
    dut.s_axil_r_ready.value = 0
    return data


def test_the_chip_answers_its_id_register_over_axi_lite(small):
    dut = seedchip.Simulator(small, seed=7)
    seedchip.reset(dut)
    assert axil_read(dut, 0x00) == 0x5344_4350  # "SDCP"
