"""The digits classifier (examples/digits): every test image through the RTL, logits equal
to the reference arithmetic's bit for bit, accuracy at least 90%."""

import pytest

import seedchip


def test_every_test_image_is_bit_exact_and_accurate(small, example):
    run = example("digits/run.py")
    report = run.evaluate(small)
    assert report.images == 360
    assert report.bit_exact
    assert report.accuracy_rtl == report.accuracy_int8 >= 0.90
    assert abs(report.accuracy_float - report.accuracy_int8) <= 0.02
    assert report.cycles_one_image > report.cycles_per_inference > 0
    assert [l.name.split()[0] for l in report.layers] == ["fc1", "fc2"]


def test_the_script_reports_bad_configs_and_limits(tmp_path, capsys, example):
    run = example("digits/run.py")
    bad = tmp_path / "bad.toml"
    bad.write_text("[matrix]\nrows = 0\n")
    assert run.main(["--config", str(bad)]) == 2
    assert "matrix.rows" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run.main(["--limit", "0"])
