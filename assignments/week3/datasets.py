"""Offline stand-in for MNIST, in the on-disk format torchvision reads.

The template loads `torchvision.datasets.MNIST(root='./data', train=…, download=True)`, which
finds `./data/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte` and downloads nothing
when they exist. The sandbox has no network, so `grade setup week3` writes those four files
from real labelled handwritten digits that scikit-learn ships (1,797 8×8 images, upscaled to
28×28 and centred like MNIST): ten classes, the same dtypes and shapes as MNIST, small enough
that the three-optimizer training cell runs in seconds. The kernel's start-up links the
notebook's `./data` to this read-only folder (`kernel_startup.py`).

No week-3 grade reads the training run, so the hidden folder holds nothing but its marker.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

TEST_FRACTION = 0.2
SEED = 20260729


def _upscale(img8: np.ndarray) -> np.ndarray:
    """One 8×8 image with values 0..16 → 28×28 uint8, the digit in a 20×20 box like MNIST."""
    small = Image.fromarray((img8 * (255.0 / 16.0)).astype(np.uint8), mode="L")
    out = np.zeros((28, 28), dtype=np.uint8)
    out[4:24, 4:24] = np.asarray(small.resize((20, 20), Image.BILINEAR))
    return out


def _write_idx(path: Path, array: np.ndarray) -> None:
    """idx3 (images) or idx1 (labels) with a big-endian header, as torchvision reads them."""
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(header + array.astype(np.uint8).tobytes())
    tmp.replace(path)


def build(dest: Path, hidden: Path) -> dict:
    """Write dest/MNIST/raw (train and t10k splits); return a summary."""
    digits = load_digits()
    images = np.stack([_upscale(im) for im in digits.images])
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(SEED).permutation(len(labels))
    n_test = int(len(order) * TEST_FRACTION)
    raw = dest / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", order[n_test:]), ("t10k", order[:n_test])):
        _write_idx(raw / f"{name}-images-idx3-ubyte", images[rows])
        _write_idx(raw / f"{name}-labels-idx1-ubyte", labels[rows])
    hidden.mkdir(parents=True, exist_ok=True)
    return {"source": "sklearn digits upscaled to 28x28 (MNIST format)", "train": int(len(order) - n_test),
            "test": int(n_test)}
