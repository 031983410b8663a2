"""The digits classifier on the chip's RTL, bit for bit against the reference arithmetic.

    .venv/bin/python examples/digits/run.py [--config chip.toml] [--limit N] [--json out.json]

Every test image (or the first N) goes through the Verilated chip with the layer library,
both layers as a batch (one image a row): layer 1 (64 -> 32, ReLU) and layer 2 (32 -> 10)
are each one fully connected program whose RTL run is compared with the reference model
(DRAM image, STATUS, counters). The int8 logits are then compared with TFLite's reference
arithmetic for every image, and the accuracy of the RTL, the int8 model and the float model
reported, with cycles per inference (the batch's cycles over its images, and one image
alone) and each layer's utilisation of the array. Exit status 1 when the RTL's logits
differ from the reference.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional

import numpy as np

import seedchip

HERE = pathlib.Path(__file__).resolve().parent


@dataclass
class LayerFigures:
    name: str
    shape: str
    cycles: int
    utilisation: float


@dataclass
class Report:
    images: int
    bit_exact: bool
    accuracy_rtl: float
    accuracy_int8: float
    accuracy_float: float
    cycles_batch: int
    cycles_per_inference: float
    cycles_one_image: int
    layers: List[LayerFigures]
    array: str


class Network:
    """The quantised MLP of digits_int8.npz (see train.py)."""

    def __init__(self, path: pathlib.Path = HERE / "digits_int8.npz"):
        p = np.load(path)
        self.p = p
        self.w1, self.w2 = p["w1"], p["w2"]
        self.q1 = seedchip.fc_quant(
            float(p["s_in"]), int(p["zp_in"]), p["s_w1"].tolist(), float(p["s_h"]),
            int(p["zp_h"]), p["b1"].tolist(), "relu",
        )
        self.q2 = seedchip.fc_quant(
            float(p["s_h"]), int(p["zp_h"]), p["s_w2"].tolist(), float(p["s_o"]),
            int(p["zp_o"]), p["b2"].tolist(), "none",
        )
        self.x_test, self.y_test = p["x_test"], p["y_test"]

    def quantise(self, pixels: np.ndarray) -> np.ndarray:
        s_in, zp_in = float(self.p["s_in"]), int(self.p["zp_in"])
        return np.clip(np.round(pixels / s_in) + zp_in, -128, 127).astype(np.int8)

    def reference(self, x: np.ndarray) -> np.ndarray:
        """int8 logits by TFLite's reference arithmetic (no chip)."""
        return seedchip.fc_reference(seedchip.fc_reference(x, self.w1, self.q1), self.w2, self.q2)

    def float_logits(self, pixels: np.ndarray) -> np.ndarray:
        p = self.p
        hidden = np.maximum(pixels @ p["w1f"] + p["b1f"], 0)
        return hidden @ p["w2f"] + p["b2f"]

    def on_chip(self, x: np.ndarray, config: seedchip.Config, seed: int = 1):
        """int8 logits from the RTL, and each layer's run."""
        r1 = seedchip.fully_connected(x, self.w1, self.q1, config, seed=seed)
        r2 = seedchip.fully_connected(r1.y, self.w2, self.q2, config, seed=seed)
        return r2.y, [r1, r2]


def evaluate(config: seedchip.Config, limit: Optional[int] = None) -> Report:
    net = Network()
    pixels = net.x_test[:limit].astype(np.float64)
    labels = net.y_test[:limit]
    x = net.quantise(pixels)
    logits, runs = net.on_chip(x, config)
    reference = net.reference(x)
    peak = config.rows * config.cols
    shapes = [(len(x), 64, 32), (len(x), 32, 10)]
    layers = [
        LayerFigures(
            name=name,
            shape=f"{m}x{k}x{n}",
            cycles=r.cycles,
            utilisation=m * k * n / (peak * r.cycles),
        )
        for name, r, (m, k, n) in zip(["fc1 (64->32, relu)", "fc2 (32->10)"], runs, shapes)
    ]
    _, one = net.on_chip(x[:1], config)
    batch = sum(r.cycles for r in runs)
    return Report(
        images=len(x),
        bit_exact=bool(np.array_equal(logits, reference)),
        accuracy_rtl=float((np.argmax(logits, axis=1) == labels).mean()),
        accuracy_int8=float((np.argmax(reference, axis=1) == labels).mean()),
        accuracy_float=float((np.argmax(net.float_logits(pixels), axis=1) == labels).mean()),
        cycles_batch=batch,
        cycles_per_inference=batch / len(x),
        cycles_one_image=sum(r.cycles for r in one),
        layers=layers,
        array=f"{config.rows}x{config.cols}",
    )


def summary(r: Report) -> str:
    lines = [
        f"digits MLP (64-32-10, int8) on the {r.array} chip's RTL, {r.images} test images:",
        f"  bit-exact with the reference arithmetic: {'yes' if r.bit_exact else 'NO'}",
        f"  accuracy: RTL {r.accuracy_rtl:.2%}, int8 model {r.accuracy_int8:.2%}, float model {r.accuracy_float:.2%}",
        f"  cycles: {r.cycles_per_inference:.1f} per inference in a batch of {r.images} "
        f"({r.cycles_batch} in all), {r.cycles_one_image} for one image alone",
    ]
    for l in r.layers:
        lines.append(f"  {l.name}: {l.shape}, {l.cycles} cycles, utilisation {l.utilisation:.1%}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=pathlib.Path, help="chip configuration (TOML); default: the built-in chip")
    ap.add_argument("--limit", type=int, help="only the first N test images")
    ap.add_argument("--json", type=pathlib.Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    try:
        config = seedchip.Config(args.config) if args.config else seedchip.Config()
        report = evaluate(config, args.limit)
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
