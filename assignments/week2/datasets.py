"""Offline stand-in for FashionMNIST, in the on-disk format torchvision reads.

The template trains on `d2l.FashionMNIST(batch_size=256)`, which looks for
`../data/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte` and downloads them
when missing. There is no network in the sandbox, so `grade setup` writes those four files
from real labelled images that scikit-learn ships (the 1,797 8×8 handwritten digits),
upscaled to 28×28 and centred like MNIST. Ten classes, small enough to train in seconds.

A third split, `hidden`, is written in the same format to a folder no sandbox mounts: the
grader's validation images, whose labels nothing inside a sandbox can look up.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from grader.standin import upscale_digit, write_idx

TEST_FRACTION = 0.2
HIDDEN_COUNT = 240
SEED = 20250916


def build(dest: Path, hidden: Path) -> dict:
    """Write the stand-in under dest/FashionMNIST/raw (train, t10k) and the hidden split under
    hidden/FashionMNIST/raw (t10k file names); return a summary."""
    digits = load_digits()
    images = np.stack([upscale_digit(im) for im in digits.images])
    labels = digits.target.astype(np.uint8)
    order = np.random.default_rng(SEED).permutation(len(labels))
    held, rest = order[:HIDDEN_COUNT], order[HIDDEN_COUNT:]
    n_test = int(len(rest) * TEST_FRACTION)
    test, train = rest[:n_test], rest[n_test:]
    for folder, splits in ((dest, {"train": train, "t10k": test}), (hidden, {"t10k": held})):
        raw = folder / "FashionMNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for name, rows in splits.items():
            write_idx(raw / f"{name}-images-idx3-ubyte", images[rows])
            write_idx(raw / f"{name}-labels-idx1-ubyte", labels[rows])
    return {"source": "sklearn digits upscaled to 28x28", "train": int(len(train)), "test": int(len(test)),
            "hidden": int(len(held))}
