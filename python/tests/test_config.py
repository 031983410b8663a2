"""Config from defaults, dicts, TOML text and files; errors name the field."""

import pathlib

import pytest

import seedchip


def test_default_is_the_16x16_single_tile_chip():
    c = seedchip.Config()
    assert (c.rows, c.cols, c.tiles) == (16, 16, (1, 1))
    assert c.to_dict()["matrix"]["rows"] == 16 and c.to_dict()["tiles"] == {"x": 1, "y": 1}


def test_dict_toml_and_file_give_the_same_config(tmp_path: pathlib.Path):
    text = "[matrix]\nrows = 4\ncols = 8\n"
    f = tmp_path / "c.toml"
    f.write_text(text)
    from_dict = seedchip.Config({"matrix": {"rows": 4, "cols": 8}})
    assert from_dict == seedchip.Config(text) == seedchip.Config(f) == seedchip.Config.from_file(str(f))
    assert (from_dict.rows, from_dict.cols) == (4, 8)
    # Round trip through TOML and dict.
    assert seedchip.Config(from_dict.to_toml()) == from_dict
    assert seedchip.Config(from_dict.to_dict()) == from_dict


@pytest.mark.parametrize(
    "source, names",
    [
        ({"matrix": {"rows": 0}}, "matrix.rows"),
        ({"matrix": {"rowz": 4}}, "rowz"),
        ({"bus": {"data_bits": 100}}, "bus.data_bits"),
        ("[tiles]\nx = 99\n", "tiles.x"),
        ("[matrix\nrows = 4", "<toml>"),
    ],
)
def test_bad_fields_raise_config_error_naming_them(source, names):
    with pytest.raises(seedchip.ConfigError) as e:
        seedchip.Config(source)
    assert names in str(e.value)


def test_a_missing_file_names_the_file(tmp_path: pathlib.Path):
    with pytest.raises(seedchip.ConfigError, match="nope.toml"):
        seedchip.Config(tmp_path / "nope.toml")


def test_generate_writes_verilog_file_list_and_header(tmp_path: pathlib.Path, small):
    written = seedchip.generate(small, tmp_path)
    names = {pathlib.Path(p).name for p in written}
    assert {"seedchip.v", "files.f", "seedchip.h"} <= names
    files_f = (tmp_path / "files.f").read_text().split()
    assert files_f[-1] == "seedchip.v"
    assert all((tmp_path / f).exists() for f in files_f)
    assert "#define" in (tmp_path / "seedchip.h").read_text()
