"""Offline stand-ins for MNIST-format datasets, for packs whose notebooks would download one.

There is no network in the sandbox, so a pack's `datasets.py` writes the files torchvision
reads (`<Name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`) from real labelled images
that scikit-learn ships (the 1,797 8×8 handwritten digits), upscaled to 28×28 like MNIST.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

from grader.atomic import write_bytes_atomic


def upscale_digit(img8: np.ndarray) -> np.ndarray:
    """One 8×8 image with values 0..16 → 28×28 uint8, the digit in a 20×20 box like MNIST."""
    small = Image.fromarray((img8 * (255.0 / 16.0)).astype(np.uint8), mode="L")
    out = np.zeros((28, 28), dtype=np.uint8)
    out[4:24, 4:24] = np.asarray(small.resize((20, 20), Image.BILINEAR))
    return out


def write_idx(path: Path, array: np.ndarray) -> None:
    """idx3 (images) or idx1 (labels) with a big-endian header, as torchvision reads them."""
    magic = 0x0803 if array.ndim == 3 else 0x0801
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    write_bytes_atomic(path, header + array.astype(np.uint8).tobytes())
