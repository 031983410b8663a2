"""A BERT-style transformer encoder block on the chip's RTL, bit for bit against the model.

    .venv/bin/python examples/transformer/block.py [--config chip.toml] [--json out.json]

The block (post-LayerNorm, as BERT): multi-head self-attention (Q, K, V projections, scores
scaled by 1/sqrt(d_head), softmax, weighted values, output projection), residual add,
LayerNorm, a GELU MLP (4x wide), residual add, LayerNorm. Its width is the array's: d_model
= matrix.cols (the row layers normalise rows of C values), the sequence C tokens (softmax
runs over rows of C scores), two heads, an MLP of 4 d_model. On the default 16x16 chip that
is d_model 16, 16 tokens, heads of 8: a small model, every op a real one.

Weights and the input are fixed-seed floats; they are quantised post-training as TFLite's
int8 scheme does (per-channel symmetric weights, int32 biases, symmetric activations
calibrated on this input; softmax out at 1/256, zero point -128). Every op then runs on the
Verilated chip with the layer library, each run checked against the reference model:

- Q, K, V, O, the MLP: ``fully_connected`` (TFLite FullyConnected, requantised on the chip);
- scores Q_h K_h^T and P_h V_h: ``fully_connected`` with K_h^T and V_h as the weights (both
  int8 tensors from earlier ops; 1/sqrt(d_head) folded into the requantisation);
- softmax, LayerNorm, GELU: ``row_layer`` (GELU on the MLP's rows cut into rows of C values);
- residual adds: ``fully_connected`` of [a | b] against [alpha I; beta I], integer alpha and
  beta carrying the two inputs' scale ratio, requantised to the sum's scale.

The host only moves tensors between ops (splits heads, transposes K, concatenates), as a
compiler's DMA layout would. The same int8 pipeline also runs with every op on the reference
model alone; the block is bit-exact when both give the same output. The gap to float is the
int8 output, dequantised, against the float block on the same input.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from dataclasses import asdict, dataclass
from typing import Callable, List, Optional

import numpy as np

import seedchip

HEADS = 2


@dataclass
class OpFigures:
    name: str
    kind: str
    shape: str
    cycles: int
    utilisation: Optional[float]


@dataclass
class Report:
    d_model: int
    tokens: int
    heads: int
    bit_exact: bool
    cycles: int
    macs: int
    utilisation: float
    ops: List[OpFigures]
    max_abs_error: float
    mean_abs_error: float
    output_std: float
    cosine: float
    array: str


def gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    return 0.5 * x * (1.0 + np.vectorize(lambda v: erf(v / sqrt(2.0)))(x))


def layernorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Weights:
    """Fixed-seed float weights of a block of width ``d``."""

    def __init__(self, d: int, seed: int = 2026):
        rng = np.random.default_rng(seed)

        def lin(i: int, o: int):
            return rng.normal(0, 1 / np.sqrt(i), (i, o)), rng.normal(0, 0.02, o)

        self.d = d
        (self.wq, self.bq), (self.wk, self.bk), (self.wv, self.bv), (self.wo, self.bo) = (
            lin(d, d) for _ in range(4)
        )
        self.w1, self.b1 = lin(d, 4 * d)
        self.w2, self.b2 = lin(4 * d, d)
        self.g1, self.be1 = 1 + rng.normal(0, 0.1, d), rng.normal(0, 0.1, d)
        self.g2, self.be2 = 1 + rng.normal(0, 0.1, d), rng.normal(0, 0.1, d)
        self.x = rng.normal(0, 1, (d, d))  # d tokens of width d

    def forward(self) -> dict:
        """The float block, every intermediate kept (for calibration and the gap to float)."""
        t = {"x": self.x}
        t["q"], t["k"], t["v"] = (self.x @ w + b for w, b in [(self.wq, self.bq), (self.wk, self.bk), (self.wv, self.bv)])
        dh = self.d // HEADS
        heads = []
        for h in range(HEADS):
            cols = slice(h * dh, (h + 1) * dh)
            s = t["q"][:, cols] @ t["k"][:, cols].T / np.sqrt(dh)
            t[f"s{h}"] = s
            heads.append(softmax(s) @ t["v"][:, cols])
        t["attn"] = np.concatenate(heads, axis=1)
        t["a"] = t["attn"] @ self.wo + self.bo
        t["x1"] = self.x + t["a"]
        t["ln1"] = layernorm(t["x1"], self.g1, self.be1)
        t["h"] = t["ln1"] @ self.w1 + self.b1
        t["g"] = gelu(t["h"])
        t["f"] = t["g"] @ self.w2 + self.b2
        t["x2"] = t["ln1"] + t["f"]
        t["y"] = layernorm(t["x2"], self.g2, self.be2)
        return t


def scale_of(t: np.ndarray) -> float:
    return float(np.abs(t).max()) / 127.0 or 1.0


def quantise(t: np.ndarray, s: float) -> np.ndarray:
    return np.clip(np.round(t / s), -128, 127).astype(np.int8)


class Lowered:
    """The block's int8 ops, run on the RTL (``rtl=True``) or the reference model alone."""

    def __init__(self, w: Weights, config: seedchip.Config, rtl: bool):
        self.w, self.config, self.rtl = w, config, rtl
        self.f = w.forward()
        self.s = {k: scale_of(v) for k, v in self.f.items()}
        self.ops: List[OpFigures] = []

    # --- one op each --------------------------------------------------------------------------

    def fc(self, name: str, x: np.ndarray, s_in: float, zp_in: int, w_q: np.ndarray,
           w_scales: List[float], bias: np.ndarray, s_out: float,
           kind: str = "fully connected") -> np.ndarray:
        q = seedchip.fc_quant(s_in, zp_in, w_scales, s_out, 0, [int(b) for b in bias], "none")
        m, k = x.shape
        n = w_q.shape[1]
        if self.rtl:
            r = seedchip.fully_connected(x, w_q, q, self.config)
            peak = self.config.rows * self.config.cols
            self.ops.append(OpFigures(name, kind, f"{m}x{k}x{n}", r.cycles, m * k * n / (peak * r.cycles)))
            return r.y
        return seedchip.fc_reference(x, w_q, q)

    def linear(self, name: str, x: np.ndarray, s_in: float, w: np.ndarray, b: np.ndarray, s_out: float) -> np.ndarray:
        s_w = np.abs(w).max(axis=0) / 127.0
        s_w[s_w == 0] = 1.0
        w_q = np.clip(np.round(w / s_w), -127, 127).astype(np.int8)
        bias = np.round(b / (s_in * s_w)).astype(np.int64)
        return self.fc(name, x, s_in, 0, w_q, s_w.tolist(), bias, s_out)

    def add(self, name: str, a: np.ndarray, s_a: float, b: np.ndarray, s_b: float, s_out: float) -> np.ndarray:
        """a + b as [a | b] @ [alpha I; beta I]: alpha / beta = s_a / s_b in integers."""
        d = a.shape[1]
        if s_a >= s_b:
            alpha, beta = 127, int(round(127 * s_b / s_a))
            unit = s_a / 127
        else:
            alpha, beta = int(round(127 * s_a / s_b)), 127
            unit = s_b / 127
        w_q = np.concatenate([alpha * np.eye(d), beta * np.eye(d)]).astype(np.int8)
        x = np.concatenate([a, b], axis=1)
        return self.fc(name, x, 1.0, 0, w_q, [unit] * d, np.zeros(d), s_out, kind="add (as GEMM)")

    def row(self, name: str, kind: str, x: np.ndarray, **kw) -> np.ndarray:
        c = self.config.cols
        rows = x.reshape(-1, c)
        r = seedchip.row_layer(kind, rows, self.config, mode="rtl" if self.rtl else "model", **kw)
        if self.rtl:
            self.ops.append(OpFigures(name, kind, f"{rows.shape[0]} rows of {c}", r.cycles, None))
        return r.y.reshape(x.shape)

    # --- the block ----------------------------------------------------------------------------

    def run(self) -> np.ndarray:
        w, s = self.w, self.s
        d, dh = w.d, w.d // HEADS
        x = quantise(w.x, s["x"])
        q = self.linear("Q projection", x, s["x"], w.wq, w.bq, s["q"])
        k = self.linear("K projection", x, s["x"], w.wk, w.bk, s["k"])
        v = self.linear("V projection", x, s["x"], w.wv, w.bv, s["v"])
        s_attn = max(scale_of(self.f["attn"]), 1e-9)
        heads = []
        for h in range(HEADS):
            cols = slice(h * dh, (h + 1) * dh)
            s_s = scale_of(self.f[f"s{h}"])
            kt = np.ascontiguousarray(k[:, cols].T)  # d_head x tokens: the weights
            scores = self.fc(f"head {h}: Q K^T", q[:, cols], s["q"], 0, kt,
                             [s["k"] / np.sqrt(dh)] * kt.shape[1], np.zeros(kt.shape[1]), s_s)
            p = self.row(f"head {h}: softmax", "softmax", scores, input=(s_s, 0))
            heads.append(self.fc(f"head {h}: P V", p, 1 / 256, -128, np.ascontiguousarray(v[:, cols]),
                                 [s["v"]] * dh, np.zeros(dh), s_attn))
        attn = np.concatenate(heads, axis=1)
        a = self.linear("O projection", attn, s_attn, w.wo, w.bo, s["a"])
        x1 = self.add("residual 1", x, s["x"], a, s["a"], s["x1"])
        ln1 = self.row("LayerNorm 1", "layernorm", x1, input=(s["x1"], 0), output=(s["ln1"], 0),
                       gamma=w.g1, beta=w.be1)
        hid = self.linear("MLP up", ln1, s["ln1"], w.w1, w.b1, s["h"])
        g = self.row("GELU", "gelu", hid, input=(s["h"], 0), output=(s["g"], 0))
        f = self.linear("MLP down", g, s["g"], w.w2, w.b2, s["f"])
        x2 = self.add("residual 2", ln1, s["ln1"], f, s["f"], s["x2"])
        return self.row("LayerNorm 2", "layernorm", x2, input=(s["x2"], 0), output=(s["y"], 0),
                        gamma=w.g2, beta=w.be2)


def evaluate(config: seedchip.Config) -> Report:
    if config.cols % HEADS:
        raise seedchip.ConfigError(f"the block needs matrix.cols divisible by {HEADS} heads; it is {config.cols}")
    w = Weights(config.cols)
    on_chip = Lowered(w, config, rtl=True)
    y_rtl = on_chip.run()
    y_model = Lowered(w, config, rtl=False).run()
    real = y_rtl.astype(np.float64) * on_chip.s["y"]
    ref = on_chip.f["y"]
    err = np.abs(real - ref)
    cycles = sum(o.cycles for o in on_chip.ops)
    peak = config.rows * config.cols
    # The model's MACs: the residual adds' identity products are not counted.
    macs = 0
    for o in on_chip.ops:
        if o.kind == "fully connected":
            m, k, n = (int(v) for v in o.shape.split("x"))
            macs += m * k * n
    return Report(
        d_model=w.d,
        tokens=w.d,
        heads=HEADS,
        bit_exact=bool(np.array_equal(y_rtl, y_model)),
        cycles=cycles,
        macs=macs,
        utilisation=macs / (peak * cycles),
        ops=on_chip.ops,
        max_abs_error=float(err.max()),
        mean_abs_error=float(err.mean()),
        output_std=float(ref.std()),
        cosine=float((real * ref).sum() / np.sqrt((real * real).sum() * (ref * ref).sum())),
        array=f"{config.rows}x{config.cols}",
    )


def summary(r: Report) -> str:
    lines = [
        f"transformer encoder block (d_model {r.d_model}, {r.tokens} tokens, {r.heads} heads, MLP {4 * r.d_model}) on the {r.array} chip's RTL:",
        f"  bit-exact with the reference model: {'yes' if r.bit_exact else 'NO'}",
        f"  cycles: {r.cycles} for the block, {r.macs} MACs of the model, utilisation {r.utilisation:.1%} of the array over the whole block",
        f"  gap to float: max |error| {r.max_abs_error:.3f}, mean {r.mean_abs_error:.3f} "
        f"(the output's std is {r.output_std:.3f}), cosine similarity {r.cosine:.4f}",
        "  per op:",
    ]
    for o in r.ops:
        u = f"{o.utilisation:.1%} of the array" if o.utilisation is not None else "vector unit"
        lines.append(f"    {o.name:<20} {o.kind:<16} {o.shape:<14} {o.cycles:>7} cycles  {u}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=pathlib.Path, help="chip configuration (TOML); default: the built-in chip")
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    try:
        config = seedchip.Config(args.config) if args.config else seedchip.Config()
        report = evaluate(config)
    except seedchip.SeedchipError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(summary(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return 0 if report.bit_exact else 1


if __name__ == "__main__":
    sys.exit(main())
