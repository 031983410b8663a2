"""The digits classifier (examples/digits): every test image through the RTL, logits equal
to the reference arithmetic's bit for bit, accuracy at least 90%."""

import importlib.util
import pathlib
import sys

import pytest

import seedchip

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_example():
    spec = importlib.util.spec_from_file_location("digits_run", ROOT / "examples/digits/run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_test_image_is_bit_exact_and_accurate(small):
    run = load_example()
    report = run.evaluate(small)
    assert report.images == 360
    assert report.bit_exact
    assert report.accuracy_rtl == report.accuracy_int8 >= 0.90
    assert abs(report.accuracy_float - report.accuracy_int8) <= 0.02
    assert report.cycles_one_image > report.cycles_per_inference > 0
    assert [l.name.split()[0] for l in report.layers] == ["fc1", "fc2"]


def test_the_script_reports_bad_configs_and_limits(tmp_path, capsys):
    run = load_example()
    bad = tmp_path / "bad.toml"
    bad.write_text("[matrix]\nrows = 0\n")
    assert run.main(["--config", str(bad)]) == 2
    assert "matrix.rows" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.main(["--limit", "0"])
