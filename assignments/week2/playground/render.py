"""Draw a TensorFlow-Playground-like screenshot (for the demo cohort, tests and benchmarks).

The layout follows the real page closely enough for the grader's OCR: the top bar with
"Epoch 000,359" and the drop-downs, the DATA / FEATURES / network columns and the OUTPUT
column with "Test loss" and "Training loss" above the orange/blue output plot and its axes
(what the reader's page check looks for, see ``reader._page_evidence``).
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import Image, ImageDraw, ImageFont

from .vocabulary import CLASSIFY_DATASETS as DATASET_ORDER  # the thumbnail grid order
from .vocabulary import FEATURE_LABELS

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
BG, GREY, BLACK = (247, 247, 247), (119, 119, 119), (0, 0, 0)
ORANGE, BLUE = (245, 147, 34), (8, 119, 189)



@lru_cache(maxsize=64)
def _font(size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), round(size))


def _faded(c: tuple[int, int, int], a: float = 0.25) -> tuple[int, int, int]:
    return tuple(round(a * v + (1 - a) * 255) for v in c)  # type: ignore[return-value]



def dataset_points(name: str, n: int = 200, seed: int = 0) -> list[tuple[float, float, int]]:
    """Points ``(x, y, label)`` in Playground's [-6, 6] square, shaped like its four
    classification datasets (label 1 = blue, 0 = orange)."""
    rnd = random.Random(f"{name}-{seed}")
    pts: list[tuple[float, float, int]] = []
    for i in range(n):
        label = i % 2
        if name == "circle":
            r = rnd.uniform(0, 2.5) if label else rnd.uniform(3.5, 5.0)
            t = rnd.uniform(0, 2 * math.pi)
            pts.append((r * math.sin(t), r * math.cos(t), label))
        elif name == "xor":
            x, y = (rnd.uniform(0.3, 5.0) * rnd.choice((-1, 1)) for _ in range(2))
            pts.append((x, y, int(x * y >= 0)))
        elif name == "gauss":
            c = 2.0 if label else -2.0
            pts.append((rnd.gauss(c, 0.6), rnd.gauss(c, 0.6), label))
        elif name == "spiral":
            k = i // 2 / (n // 2)
            r, t = 5.0 * k, 1.75 * k * 2 * math.pi + (math.pi if label else 0.0)
            pts.append((r * math.sin(t) + rnd.uniform(-0.1, 0.1), r * math.cos(t) + rnd.uniform(-0.1, 0.1), label))
        else:
            raise ValueError(f"unknown dataset {name!r}")
    return pts


def render_playground(
    path: Path,
    *,
    epoch: str | None = "000,359",
    test_loss: str = "0.004",
    training_loss: str = "0.010",
    learning_rate: str = "0.03",
    activation: str = "Tanh",
    regularization: str = "None",
    regularization_rate: str = "0",
    problem: str = "Classification",
    ratio: int = 50,
    noise: int = 0,
    batch: int = 10,
    neurons: tuple[int, ...] = (4, 2),
    dataset: str | None = "spiral",
    features: tuple[int, ...] = (0, 1),
    scale: float = 2.0,
    quality: int = 90,
) -> Path:
    """Draw a Playground-like page (CSS-pixel layout times ``scale``) and save it to ``path`` (PNG or JPEG).

    ``epoch=None`` leaves out the top bar (epoch counter and drop-downs), as in a cropped shot.
    ``dataset`` is the thumbnail drawn selected (``None``: none is, as when the DATA column is
    hidden or unclear); the thumbnails and the output plot show the datasets' real shapes.
    """
    s = scale
    im = Image.new("RGB", (round(1200 * s), round(720 * s)), BG)
    d = ImageDraw.Draw(im)

    def text(x: float, y: float, t: str, size: float = 13, fill=GREY) -> None:
        d.text((x * s, y * s), t, font=_font(size * s), fill=fill)

    def rect(x: float, y: float, w: float, h: float, fill=None, outline=None, width: float = 0) -> None:
        d.rectangle((x * s, y * s, (x + w) * s, (y + h) * s), fill=fill, outline=outline,
                    width=max(1, round(width * s)) if outline else 0)

    if epoch is not None:
        rect(0, 0, 1200, 100, fill=(255, 255, 255))
        d.ellipse((75 * s, 25 * s, 125 * s, 75 * s), fill=(24, 61, 78))
        text(170, 28, "Epoch")
        text(170, 46, epoch, 24, (51, 51, 51))
        for x, label, value in ((330, "Learning rate", learning_rate), (480, "Activation", activation),
                                (610, "Regularization", regularization),
                                (760, "Regularization rate", regularization_rate),
                                (920, "Problem type", problem)):
            text(x, 28, label)
            text(x, 56, value, 14, BLACK)
            rect(x, 78, 120, 0.5, fill=(170, 170, 170))
    # DATA column
    text(30, 128, "DATA", 15, BLACK)
    text(30, 152, "Which dataset do", 12)
    text(30, 168, "you want to use?", 12)
    for i, name in enumerate(DATASET_ORDER):
        x, y = 30 + (i % 2) * 42, 192 + (i // 2) * 42
        sel = name == dataset
        rect(x, y, 32, 32, fill=(255, 255, 255) if sel else (250, 250, 250),
             outline=BLACK if sel else (235, 235, 235), width=2.5 if sel else 1)
        for px, py, label in dataset_points(name, 120):
            c = BLUE if label else ORANGE
            rect(x + 16 + px * 2.2 - 0.6, y + 16 - py * 2.2 - 0.6, 1.2, 1.2, fill=c if sel else _faded(c))
    text(30, 284, "Ratio of training to", 12)
    text(30, 300, f"test data: {ratio}%", 12)
    rect(30, 322, 100, 1, fill=(60, 60, 60))
    text(30, 340, f"Noise: {noise}", 12)
    rect(30, 362, 100, 1, fill=(60, 60, 60))
    text(30, 388, f"Batch size: {batch}", 12)
    rect(30, 410, 100, 1, fill=(60, 60, 60))
    rect(30, 440, 100, 26, fill=(232, 232, 232))
    text(40, 446, "REGENERATE", 10)
    # FEATURES column
    text(200, 128, "FEATURES", 15, BLACK)
    text(200, 152, "Which properties do", 12)
    text(200, 168, "you want to feed in?", 12)
    for i, label in enumerate(FEATURE_LABELS):
        y = 200 + i * 44
        on = i in features
        text(205, y + 8, label, 12, (51, 51, 51) if on else (190, 190, 190))
        rect(262, y, 30, 30, fill=(255, 255, 255) if on else BG, outline=BLACK if on else None, width=2)
        rect(264, y + 2, 13, 27, fill=ORANGE if on else _faded(ORANGE))
        rect(278, y + 2, 13, 27, fill=BLUE if on else _faded(BLUE))
        if on:
            for j in range(len(neurons) and neurons[0]):
                d.line(((292 * s, (y + 15) * s), (400 * s, (214 + 44 * j) * s)),
                       fill=ORANGE if (i + j) % 2 else BLUE, width=max(1, round(s * (1 + j % 3))))
    # network
    text(430, 128, f"+  —   {len(neurons)} HIDDEN LAYER{'S' if len(neurons) != 1 else ''}", 15, BLACK)
    for j, n in enumerate(neurons):
        x = 400 + j * 150
        text(x - 10, 178, f"{n} neuron{'s' if n != 1 else ''}", 11, (51, 51, 51))
        for k in range(n):
            rect(x, 200 + 44 * k, 30, 30, fill=ORANGE if (j + k) % 2 else BLUE, outline=BLACK, width=2)
    # OUTPUT column
    text(900, 128, "OUTPUT", 15, BLACK)
    text(900, 152, f"Test loss {test_loss}", 13, BLACK)
    text(900, 170, f"Training loss {training_loss}", 13, GREY)
    d.line(((1030 * s, 150 * s), (1060 * s, 180 * s), (1150 * s, 184 * s)), fill=BLACK, width=round(s))
    rect(900, 200, 220, 220, fill=(236, 176, 116))
    d.ellipse((960 * s, 260 * s, 1060 * s, 360 * s), fill=(100, 160, 210))
    for px, py, label in dataset_points(dataset or "spiral", 200, seed=1):
        cx, cy = 1010 + px * 17, 310 - py * 17
        d.ellipse(((cx - 2.5) * s, (cy - 2.5) * s, (cx + 2.5) * s, (cy + 2.5) * s),
                  fill=BLUE if label else ORANGE, outline=(255, 255, 255), width=max(1, round(0.6 * s)))
    for i in range(13):  # the plot's axes: -6 … 6 along the bottom and up the right edge
        text(900 + i * 220 / 12 - 4, 424, str(i - 6), 8, GREY)
        text(1124, 420 - i * 220 / 12 - 6, str(i - 6), 8, GREY)
    text(900, 560, "Colors shows data, neuron and weight values.", 12)
    text(900, 620, "Show test data", 12, (51, 51, 51))

    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        im.save(path, "JPEG", quality=quality)
    else:
        im.save(path, "PNG")
    return path

