"""Train and quantise the digits classifier (reproducible: fixed seeds, pinned scikit-learn).

    scripts/setup.sh sklearn            # scikit-learn into .venv (not needed to run the model)
    .venv/bin/python examples/digits/train.py

scikit-learn's `digits` (8x8 images, 16 grey levels; shipped inside the wheel, no download)
is split 80/20 with a fixed seed. A float MLP, 64 -> 32 (ReLU) -> 10, is trained with
scikit-learn, then quantised as TFLite's converter does for int8:

- input: pixel p in 0..16 -> round(p / s_in) - 128 with s_in = 16/255 (asymmetric, zero
  point -128);
- weights: symmetric per output channel, s_w[n] = max |W[:, n]| / 127;
- bias: int32 at the accumulator's scale s_in * s_w[n];
- activations: the hidden layer's ReLU output over the training set's largest value,
  asymmetric (zero point -128); the logits symmetric over their largest magnitude.

Writes digits_int8.npz next to this script: the int8 weights, int32 biases, every scale and
zero point, the float weights (for the float accuracy) and the test split (raw pixels and
labels). run.py runs the int8 network on the chip.
"""

import pathlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = pathlib.Path(__file__).resolve().parent
S_IN, ZP_IN = 16.0 / 255.0, -128


def quantise_input(pixels: np.ndarray) -> np.ndarray:
    return np.clip(np.round(pixels / S_IN) + ZP_IN, -128, 127).astype(np.int8)


def per_channel(w: np.ndarray):
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def main() -> None:
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.2, random_state=0, stratify=digits.target
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(32,), activation="relu", max_iter=2000, random_state=0, alpha=1e-3
    )
    clf.fit(x_train / 16.0, y_train)
    # The float network takes pixels / 16; fold that into the first layer's weights so it
    # takes raw pixels (0..16), like the quantised one.
    w1f, b1f = clf.coefs_[0] / 16.0, clf.intercepts_[0]
    w2f, b2f = clf.coefs_[1], clf.intercepts_[1]

    w1, s_w1 = per_channel(w1f)
    w2, s_w2 = per_channel(w2f)
    b1 = np.round(b1f / (S_IN * s_w1)).astype(np.int32)
    hidden = np.maximum(x_train @ w1f + b1f, 0)
    s_h, zp_h = hidden.max() / 255.0, -128
    b2 = np.round(b2f / (s_h * s_w2)).astype(np.int32)
    logits = hidden @ w2f + b2f
    s_o, zp_o = np.abs(logits).max() / 127.0, 0

    np.savez_compressed(
        HERE / "digits_int8.npz",
        w1=w1, b1=b1, s_w1=s_w1, w2=w2, b2=b2, s_w2=s_w2,
        s_in=S_IN, zp_in=ZP_IN, s_h=s_h, zp_h=zp_h, s_o=s_o, zp_o=zp_o,
        w1f=w1f, b1f=b1f, w2f=w2f, b2f=b2f,
        x_test=x_test.astype(np.uint8), y_test=y_test.astype(np.uint8),
    )
    float_acc = (np.argmax(np.maximum(x_test @ w1f + b1f, 0) @ w2f + b2f, axis=1) == y_test).mean()
    print(f"trained: {len(x_train)} training and {len(x_test)} test images; float test accuracy {float_acc:.4f}")
    print(f"wrote {HERE / 'digits_int8.npz'}")


if __name__ == "__main__":
    main()
