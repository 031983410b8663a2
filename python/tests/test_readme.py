"""The README's Python example runs as written (with a mac.v beside it)."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

MAC = """module mac (input wire clk, input wire rst, input wire signed [7:0] a,
            output reg signed [15:0] acc);
    always @(posedge clk) if (rst) acc <= 0; else acc <= acc + a;
endmodule
"""


def test_the_readme_python_example_runs(tmp_path: pathlib.Path):
    text = (ROOT / "README.md").read_text()
    start = text.index("```python\nimport numpy as np, seedchip")
    code = text[start + len("```python\n") : text.index("```", start + 10)]
    (tmp_path / "example.py").write_text(code)
    (tmp_path / "mac.v").write_text(MAC)
    r = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, env=os.environ
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "-3 -3"
    assert (tmp_path / "out" / "seedchip.v").is_file()
