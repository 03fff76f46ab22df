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

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from grader.standin import upscale_digit, write_idx

TEST_FRACTION = 0.2
SEED = 20260729


def build(dest: Path, hidden: Path) -> dict:
    """Write dest/MNIST/raw (train and t10k splits); return a summary."""
    digits = load_digits()
    images = np.stack([upscale_digit(im) for im in digits.images])
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(SEED).permutation(len(labels))
    n_test = int(len(order) * TEST_FRACTION)
    raw = dest / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train", order[n_test:]), ("t10k", order[:n_test])):
        write_idx(raw / f"{name}-images-idx3-ubyte", images[rows])
        write_idx(raw / f"{name}-labels-idx1-ubyte", labels[rows])
    hidden.mkdir(parents=True, exist_ok=True)
    return {"source": "sklearn digits upscaled to 28x28 (MNIST format)", "train": int(len(order) - n_test),
            "test": int(n_test)}
