"""Read TensorFlow Playground screenshots (week 2) and grade them.

The task: train a network in TensorFlow Playground so that the test loss is at most 0.005
within 1000 epochs, and submit a screenshot.  ``read_playground`` OCRs the screenshot with
Tesseract (via pytesseract) and returns the test/training loss, the epoch and whatever
configuration it could read with confidence; ``playground_check`` turns that into a
``CheckResult``.

How the reading works:

1. The image is loaded defensively (any extension case, EXIF rotation, alpha, huge or tiny
   sizes; a non-image gives ``problems`` instead of an exception).
2. One full-page OCR pass (``image_to_data``, sparse-text mode) on a grayscale copy scaled to
   ~2000 px wide.  If the test loss or the epoch is missing, the places where they should be
   (under "OUTPUT", left of "Learning rate") are OCR'd again enlarged, and then the whole page
   once more in another segmentation mode, scaled for ~26 px text; readings are merged.
3. Words are grouped into lines by position; labels are matched fuzzily ("Tost loss") and the
   values next to / under them are parsed tolerantly (O→0, l→1, "000,359", "0,004", "0004").
4. The decisive values (epoch, test loss; training loss too) are read again from tight crops
   at two sizes (all crops stacked into one Tesseract call), three more when the reads
   disagree.  A clear majority wins; otherwise the value is dropped (→ needs review) and the
   disagreement is listed in ``problems``.  Text under 8 px high (1x screenshots shrunk,
   heavy JPEG) is read as 5/6 or 3/8 almost at random, so there every read must agree.
5. Configuration: top-bar values under their labels (validated against Playground's menus),
   slider captions ("Noise: 0", "Batch size: 10", "test data: 50%"), "N HIDDEN LAYERS" and the
   "N neurons" captions; pixels give the input features (framed boxes under "FEATURES") and
   the dataset: the thumbnail under "DATA" with the black frame, accepted only when its place
   in the 2×2 grid and its picture (ring, quadrants, two clusters or spiral arms) name the same
   dataset (and the address bar, when in the shot, too).  Keys use Playground's own names:
   ``activation`` "tanh", ``dataset`` "spiral", ``features`` ["x", "xSquared", ...].
6. ``playground_check`` judges every screenshot of a submission (``judge_screenshot``: an
   allowed dataset — spiral or XOR — test loss and epoch within the limits) and passes when
   one does; anything it could not read makes it "needs-review", never a silent pass.
7. The numbers must come from a Playground page (``_page_evidence``, issue 11): the section
   headings in one row, the orange/blue output plot with its axes under "OUTPUT", the test loss
   between them and the epoch in the top bar.  Text alone (a blank canvas, pasted numbers, a
   collage) fails; a page only partly recognised goes to review.  Faint (near-white) values are
   not read.
8. Screenshots are untrusted: at most 40 million decoded pixels (checked before decoding), each
   Tesseract call and all OCR of one image bounded in time (``OCR_CALL_TIMEOUT``, ``OCR_BUDGET``),
   and ``read_playground`` runs the reading in a separate process (``grader.ocr.run_isolated``)
   under memory and CPU rlimits, killed with its Tesseract children at its wall limit.  Out of
   time → "needs-review", saying the image could not be read in time.

The generic parts (loading, Tesseract calls and budgets, line grouping, the reader process) are
``grader.ocr``; the names Playground uses are ``vocabulary``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path

from PIL import Image, ImageOps

from grader.models import CheckResult, Message, Status
from grader.ocr import (
    OCR_BUDGET,
    OCR_CALL_TIMEOUT,
    READER_GRACE,
    READER_MEMORY_MB,
    OCRTimeout,
    ocr_budget,
    reader_limits,
    run_isolated,
)
from grader.ocr import Word as _Word
from grader.ocr import background as _background
from grader.ocr import contrast as _contrast
from grader.ocr import lines_of as _lines
from grader.ocr import load_image as _load
from grader.ocr import ocr_line as _ocr_line
from grader.ocr import ocr_stacked as _ocr_stacked
from grader.ocr import ocr_words as _ocr_words
from grader.ocr import reading_order as _text
from grader.ocr import tesseract as _tesseract

from . import vocabulary as vocab
from .vocabulary import ALLOWED_DATASETS, CONFIG_KEYS, DATASET_NAMES, DATASETS, FEATURES, LEARNING_RATES
from .vocabulary import REGULARIZATION_RATES

__all__ = ["PlaygroundReading", "read_playground", "playground_check", "judge_screenshot", "ShotVerdict",
           "config_complete", "ALLOWED_DATASETS", "CONFIG_KEYS"]

# The drop-down values as the reader matches them (lower case → Playground's spelling).
ACTIVATIONS = {a.lower(): a for a in vocab.ACTIVATIONS}
REGULARIZATIONS = {r.lower(): r for r in vocab.REGULARIZATIONS}
PROBLEMS = {p.lower(): p for p in vocab.PROBLEMS}
_PAGE_WIDTH = 2000        # full-page OCR width (pixels) for the first pass
_MAX_UPSCALE = 3.0
_MAX_OCR_PIXELS = 12e6    # cap for the page image handed to Tesseract
_CROP_TEXT_HEIGHTS = (34, 52)  # text heights (px) for the crop re-reads
_EXTRA_TEXT_HEIGHTS = (26, 42, 64)  # more re-reads when the first ones disagree
_SMALL_TEXT_PX = 8  # text lower than this (in the image) needs near-unanimous readings

_DIGIT_MAP = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "C": "0",
                            "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "]": "1",
                            "[": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2",
                            "g": "9", "q": "9", "G": "6", "b": "6", "A": "4", "T": "7"})
_NUMCHARS = r"0-9OoDQUlIi|!\]\[SsBZzgqGbAT"
_LOSS_RE = re.compile(rf"^[{_NUMCHARS}]{{1,3}}[.,·:][{_NUMCHARS}]{{3}}$|^0[0-9]{{3}}$")
# Playground shows the epoch zero-padded to six digits with thousands commas: "000,359"
_EPOCH_RE = re.compile(rf"^[{_NUMCHARS}]{{3}}[,.'][{_NUMCHARS}]{{3}}$|^[0-9]{{6}}$"
                       rf"|^[{_NUMCHARS}]{{1,3}}(?:[,.'][{_NUMCHARS}]{{3}}){{2,}}$")


@dataclass(frozen=True)
class PlaygroundReading:
    """What could be read from one Playground screenshot (``None`` = not readable)."""

    test_loss: float | None
    training_loss: float | None
    epoch: int | None
    config: dict[str, object] = field(default_factory=dict)
    raw_text: str = ""
    problems: list[str] = field(default_factory=list)
    #: Is this recognisably a Playground page (``_page_evidence``)?  "page": the headings, the
    #: output heat-map with its axes and the values sit where Playground puts them; "partial":
    #: some of it (a leader must look); "none": clearly not a Playground page (text only, a
    #: blank canvas).  ``None``: not assessed (an unreadable file, a reading built by hand).
    page: str | None = None
    #: What was found / missing for ``page`` (English, for the message and the leader).
    page_found: tuple[str, ...] = ()
    page_missing: tuple[str, ...] = ()
    #: The reading ran out of time (OCR budget or the reader process's limit).
    timed_out: bool = False








# --------------------------------------------------------------------------- layout helpers (see grader.ocr)




def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _is(word: _Word, target: str, cutoff: float = 0.75) -> bool:
    n = word.norm
    return bool(n) and (n == target or _similar(n, target) >= cutoff)


def _parse_loss(token: str) -> float | None:
    token = token.strip(".,:;'\"`‘’“”()[]{}~-_ ")
    if not _LOSS_RE.match(token):
        return None
    digits = token.translate(_DIGIT_MAP)
    m = re.fullmatch(r"(\d{1,3})[.,·:](\d{3})", digits) or re.fullmatch(r"(0)(\d{3})", digits)
    if not m:
        return None
    return float(f"{int(m.group(1))}.{m.group(2)}")


def _parse_epoch(token: str) -> int | None:
    token = token.strip(".,:;'\"`‘’“”()[]{}~-_ ")
    if not _EPOCH_RE.match(token):
        return None
    digits = re.sub(r"[,.']", "", token.translate(_DIGIT_MAP))
    return int(digits) if digits.isdigit() else None


def _number(token: str) -> float | None:
    """A plain number such as ``0.03`` or ``10`` (OCR letters mapped to digits)."""
    t = token.strip(".,:;'\"`‘’“”()[]{}~-_ %").translate(_DIGIT_MAP).replace(",", ".")
    return float(t) if re.fullmatch(r"\d+(\.\d+)?", t) else None


def _union(words: Sequence[_Word]) -> tuple[float, float, float, float]:
    return (min(w.x for w in words), min(w.y for w in words),
            max(w.right for w in words), max(w.bottom for w in words))


# --------------------------------------------------------------------------- field finders


@dataclass
class _Found:
    """Candidates for the decisive values from one OCR pass, with the boxes to re-read."""

    test_loss: float | None = None
    test_box: tuple[float, float, float, float] | None = None
    test_h: float = 0.0
    training_loss: float | None = None
    training_box: tuple[float, float, float, float] | None = None
    training_h: float = 0.0
    epoch: int | None = None
    epoch_box: tuple[float, float, float, float] | None = None
    epoch_h: float = 0.0
    epoch_box_from_label: bool = False
    labels: int = 0

    @property
    def complete(self) -> bool:
        """Enough to stop OCR'ing the page (crop re-reads follow)."""
        return self.test_loss is not None and self.test_box is not None and self.epoch_box is not None


_GROUPS = {
    "test": ("test_loss", "test_box", "test_h"),
    "training": ("training_loss", "training_box", "training_h"),
    "epoch": ("epoch", "epoch_box", "epoch_h", "epoch_box_from_label"),
}


def _rank(found: _Found, group: str) -> int:
    value, box = (getattr(found, a) for a in _GROUPS[group][:2])
    return 2 * (value is not None) + (box is not None) - (group == "epoch" and found.epoch_box_from_label)


def _merge(a: _Found, b: _Found) -> _Found:
    """Field group by field group, ``a``'s reading unless ``b``'s is more complete."""
    out = replace(a, labels=max(a.labels, b.labels))
    for group, attrs in _GROUPS.items():
        if _rank(b, group) > _rank(a, group):
            for attr in attrs:
                setattr(out, attr, getattr(b, attr))
    return out


def _text_height(words: Sequence[_Word]) -> float | None:
    """Median height of confidently read words (original-image pixels)."""
    hs = sorted(w.h for w in words if w.conf > 80 and sum(c.isalpha() for c in w.text) >= 3)
    return hs[len(hs) // 2] if hs else None


def _ocr_region(gray: Image.Image, box: tuple[float, float, float, float], text_h: float) -> list[_Word]:
    """Sparse-text OCR of one region, scaled for ~30 px text; boxes in ``gray`` coordinates."""
    x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
    x1, y1 = min(gray.width, round(box[2])), min(gray.height, round(box[3]))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return []
    crop = gray.crop((x0, y0, x1, y1))
    s = max(0.5, min(6.0, 30 / max(text_h, 1.0)))
    return [replace(w, x=w.x + x0, y=w.y + y0) for w in _ocr_words(crop, s, 11)]


def _scan_regions(gray: Image.Image, words: list[_Word], found: _Found) -> _Found:
    """Re-OCR the places where a missing value should be, found from labels that were read:
    the test loss under "OUTPUT" / above "Training loss", the epoch left of "Learning rate"."""
    regions: list[tuple[tuple[float, float, float, float], float]] = []
    if found.test_loss is None:
        for w in words:
            h = w.h
            if w.text == "OUTPUT" or (_is(w, "output", 0.8) and w.text.isupper()):
                regions.append(((w.x - h, w.bottom, w.x + 16 * h, w.bottom + 5 * h), h))
            elif _is(w, "training", 0.8) and w.text[:1] == "T":
                regions.append(((w.x - h, w.y - 2.5 * h, w.x + 16 * h, w.bottom + 0.5 * h), h))
    if found.epoch is None:
        for w in words:
            if _is(w, "learning", 0.8) and w.text[:1] == "L":
                h = w.h
                regions.append(((w.x - 20 * h, w.y - 0.8 * h, w.x - 0.3 * h, w.bottom + 4.5 * h), h))
    result = _Found()
    for box, h in regions[:3]:
        result = _merge(result, _scan(_ocr_region(gray, box, h)))
    return result


def _continuation(lines: list[list[_Word]], line: list[_Word], w: _Word) -> list[_Word]:
    """Words of the line just below ``line`` that start under ``w`` (a label wrapped in two)."""
    h = w.h
    below = [ln for ln in lines if ln is not line and w.bottom - 0.2 * h <= ln[0].y <= w.bottom + 2.5 * h
             and w.x - 2 * h <= ln[0].x <= w.x + 3 * h]
    return min(below, key=lambda ln: ln[0].y) if below else []


def _find_loss(lines: list[list[_Word]], label: str) -> tuple[float | None, list[_Word], _Word | None]:
    """Find "<label> loss <value>" (possibly wrapped onto the next line).

    Returns the value, the label words and the value word (``[]``/``None`` when not found).
    """
    for line in lines:
        for i, w in enumerate(line):
            if not _is(w, label, 0.7):
                continue
            rest = line[i + 1:i + 4]
            if len(rest) < 2:
                rest = rest + _continuation(lines, line, rest[-1] if rest else w)[:3]
            label_words = [w]
            if rest and _is(rest[0], "loss", 0.6):
                label_words.append(rest[0])
                rest = rest[1:]
            elif label == "test" and not (rest and _parse_loss(rest[0].text) is not None):
                continue  # "test data", "Show test data": not the loss label
            for r in rest[:2]:
                value = _parse_loss(r.text)
                if value is not None:
                    return value, label_words, r
            if len(label_words) == 2:
                return None, label_words, None
    return None, [], None


def _loss_box(label_words: list[_Word], value: _Word | None) -> tuple[tuple[float, float, float, float] | None, float]:
    """Box to re-read for a loss: label and value on one line, the value alone, or the label
    extended to the right; and the text height."""
    if not label_words:
        return None, 0.0
    h = min(w.h for w in label_words)
    x0, y0, x1, y1 = _union(label_words)
    if value is None:
        return (x0, y0, x1 + 5 * h, y1), h
    if abs(value.y - y0) < 0.6 * h:
        return _union(label_words + [value]), h
    return (value.x, value.y, value.right, value.bottom), h


def _find_epoch(words: list[_Word]) -> tuple[int | None, _Word | None, _Word | None]:
    """Epoch value, its word and the "Epoch" label word.

    The value is the "000,000"-shaped token under the label; without a label, a single such
    token made of real digits (e.g. "000,359") anywhere in the image.
    """
    labels = [w for w in words if _is(w, "epoch", 0.75)]
    tokens = [w for w in words if _parse_epoch(w.text) is not None]
    for lab in labels:
        below = [t for t in tokens if lab.bottom - 0.3 * lab.h <= t.y <= lab.bottom + 4 * lab.h
                 and abs(t.x - lab.x) <= 3 * lab.h]
        if below:
            t = min(below, key=lambda t: t.y)
            return _parse_epoch(t.text), t, lab
    clean = [t for t in tokens if re.fullmatch(r"\d{1,3}(,\d{3})+", t.text)]
    if len(clean) == 1:
        return _parse_epoch(clean[0].text), clean[0], labels[0] if labels else None
    return None, None, labels[0] if labels else None


def _scan(words: list[_Word]) -> _Found:
    lines = _lines(words)
    found = _Found()
    found.test_loss, test_label, test_value = _find_loss(lines, "test")
    found.test_box, found.test_h = _loss_box(test_label, test_value)
    found.training_loss, train_label, train_value = _find_loss(lines, "training")
    found.training_box, found.training_h = _loss_box(train_label, train_value)
    found.epoch, epoch_word, epoch_label = _find_epoch(words)
    if epoch_word is not None:
        found.epoch_box = (epoch_word.x, epoch_word.y, epoch_word.right, epoch_word.bottom)
        found.epoch_h = epoch_word.h
    elif epoch_label is not None:
        h = epoch_label.h
        found.epoch_box = (epoch_label.x - 0.3 * h, epoch_label.bottom + 0.2 * h,
                           epoch_label.x + 9 * h, epoch_label.bottom + 3.2 * h)
        found.epoch_h = 1.8 * h
        found.epoch_box_from_label = True
    keys = ("learning", "activation", "regularization", "problem", "hidden", "neurons", "batch",
            "noise", "features", "output")
    found.labels = sum(any(_is(w, k) for w in words) for k in keys)
    return found


# --------------------------------------------------------------------------- re-reads and votes


@dataclass(frozen=True)
class _Field:
    """A decisive value: its page read and where to re-read it."""

    name: str
    page_value: float | int | None
    box: tuple[float, float, float, float] | None
    text_h: float
    parse: Callable[[str], float | int | None]
    size_factor: float = 1.0  # the epoch counter is set larger than the labels
    ink_h: int | None = None  # measured text height in the image (pixels)

    @property
    def small(self) -> bool:
        """Text this small (≲ 7 px) is read as 5/6 or 3/8 at random: demand more agreement."""
        return self.ink_h is not None and self.ink_h < _SMALL_TEXT_PX

    def job(self, target: float) -> tuple[tuple[float, float, float, float], float, float]:
        assert self.box is not None
        return self.box, self.text_h, target * self.size_factor


def _fields(gray: Image.Image, found: _Found) -> list[_Field]:
    def pad(box: tuple[float, float, float, float] | None, h: float) -> tuple[float, float, float, float] | None:
        if box is None:
            return None
        return (box[0] - 0.5 * h, box[1] - 0.4 * h, box[2] + 0.6 * h, box[3] + 0.4 * h)

    def last_loss(text: str) -> float | None:
        values = [v for v in map(_parse_loss, text.split()) if v is not None]
        return values[-1] if values else None

    def first_epoch(text: str) -> int | None:
        values = [v for v in map(_parse_epoch, text.split()) if v is not None]
        return values[0] if values else None

    epoch_box = found.epoch_box if found.epoch_box_from_label else pad(found.epoch_box, 0.8 * found.epoch_h)
    test_box = pad(found.test_box, found.test_h)
    training_box = pad(found.training_box, found.training_h)
    return [
        _Field("epoch", found.epoch, epoch_box, found.epoch_h, first_epoch, 1.3,
               None if found.epoch_box_from_label else _ink_height(gray, epoch_box)),
        _Field("test loss", found.test_loss, test_box, found.test_h, last_loss, 1.0,
               _ink_height(gray, test_box, 0.35)),
        _Field("training loss", found.training_loss, training_box, found.training_h, last_loss, 1.0,
               _ink_height(gray, training_box, 0.3)),
    ]


def _ink_height(gray: Image.Image, box: tuple[float, float, float, float] | None,
                right: float = 1.0) -> int | None:
    """Height in pixels of the digits in ``box``: the line of dark text with the most ink,
    measured in the rightmost ``right`` fraction of the box (where a loss value sits)."""
    import numpy as np

    if box is None:
        return None
    x0, y0, x1, y1 = (max(0, round(box[0])), max(0, round(box[1])),
                      min(gray.width, round(box[2])), min(gray.height, round(box[3])))
    x0 = max(x0, round(x1 - right * (x1 - x0)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    a = np.asarray(gray.crop((x0, y0, x1, y1)), dtype=np.float32)
    bg, lo = float(np.median(a)), float(a.min())
    if bg - lo < 30:
        return None
    ink = (a < bg - 0.5 * (bg - lo)).sum(axis=1)
    runs = _segments(ink > 0, min_len=1, max_gap=0)
    if not runs:
        return None
    top, bottom = max(runs, key=lambda r: ink[r[0]:r[1] + 1].sum())
    return int(bottom - top + 1)


def _read_fields(gray: Image.Image, fields: list[_Field], problems: list[str]) -> dict[str, object]:
    """Vote each field's page read with crop re-reads; ``None`` (and a problem) without a clear winner.

    Two crop sizes first (all fields in one Tesseract call); only for fields whose readings
    disagree, three more sizes, and then the winner needs at least 60 % of the readings.
    """
    reads: dict[str, list] = {f.name: [f.page_value] for f in fields}

    def reread(todo: list[_Field], targets: tuple[float, ...]) -> None:
        jobs = [(f, t) for f in todo if f.box is not None for t in targets]
        if jobs:
            texts = _ocr_stacked(gray, [f.job(t) for f, t in jobs])
            for (f, _), text in zip(jobs, texts):
                reads[f.name].append(f.parse(text))

    def settled(f: _Field) -> bool:
        values = [v for v in reads[f.name] if v is not None]
        if f.small:
            return not values
        return not values or (len(set(values)) == 1 and (len(values) >= 2 or f.box is None))

    reread(fields, _CROP_TEXT_HEIGHTS)
    reread([f for f in fields if not settled(f)], _EXTRA_TEXT_HEIGHTS)
    out: dict[str, object] = {}
    for f in fields:
        values = [v for v in reads[f.name] if v is not None]
        out[f.name] = None
        if not values:
            continue
        (winner, n), *rest = Counter(values).most_common()
        if f.small and (rest or n < 4):
            problems.append(f"{f.name} text is only {f.ink_h} px high and was read as "
                            f"{', '.join(str(v) for v in values)}: not trusted")
        elif not rest or (n >= 2 and n >= 0.6 * len(values)):
            out[f.name] = winner
        else:
            problems.append(f"{f.name} read inconsistently: {', '.join(str(v) for v in values)}")
    return out


# --------------------------------------------------------------------------- configuration


def _value_below(words: list[_Word], label: list[_Word]) -> _Word | None:
    """The first word under a top-bar label, left-aligned with it."""
    lx, _, _, lb = _union(label)
    h = min(w.h for w in label)
    cands = [w for w in words if lb - 0.2 * h <= w.y <= lb + 3.5 * h and lx - 1.2 * h <= w.x <= lx + 1.5 * h]
    return min(cands, key=lambda w: w.y) if cands else None


def _labels(lines: list[list[_Word]], first: str, second: str | None = None) -> list[list[_Word]]:
    """Label occurrences: ``first`` (not followed by "rate") or ``first second``."""
    out = []
    for line in lines:
        for i, w in enumerate(line):
            if not _is(w, first):
                continue
            nxt = line[i + 1] if i + 1 < len(line) else None
            if second is None:
                if nxt is None or not _is(nxt, "rate", 0.6):
                    out.append([w])
            elif nxt is not None and _is(nxt, second, 0.6):
                out.append([w, nxt])
    return out


def _pick(options: dict[str, str], text: str) -> str | None:
    n = re.sub(r"[^a-z0-9]", "", text.lower())
    if not n:
        return None
    if n in options:
        return options[n]
    best = max(options, key=lambda k: _similar(n, k))
    return options[best] if _similar(n, best) >= 0.75 else None


def _pick_rate(allowed: tuple[float, ...]) -> Callable[[str], float | None]:
    def pick(text: str) -> float | None:
        v = _number(text)
        return None if v is None else next((a for a in allowed if abs(a - v) < 1e-9), None)
    return pick


def _top_bar_value(words: list[_Word], lines: list[list[_Word]], gray: Image.Image,
                   label: tuple[str, str | None], parse: Callable[[str], object]) -> object:
    """Parse the value under a top-bar label; re-read a crop when the page read is unusable."""
    for lab in _labels(lines, *label):
        word = _value_below(words, lab)
        if word is not None and (v := parse(word.text)) is not None:
            return v
        h = min(w.h for w in lab)
        x0, _, x1, lb = _union(lab)
        if word is not None:
            box = (word.x - 0.6 * h, word.y - 0.5 * h, word.right + 3 * h, word.bottom + 0.5 * h)
            text_h = word.h
        else:
            box = (x0 - 0.5 * h, lb + 0.3 * h, max(x1, x0 + 6 * h), lb + 3.0 * h)
            text_h = h
        for target in _CROP_TEXT_HEIGHTS:  # Tesseract is erratic on 1-2 glyphs: try two sizes
            text = _ocr_line(gray, box, text_h, target)
            if text and (v := parse(text.split()[0])) is not None:
                return v
    return None


def _slider_value(words: list[_Word], anchor: str, value_re: str, gray: Image.Image,
                  need_colon: bool = False) -> int | None:
    """Number right of a DATA-column caption such as "Noise: 0" or "data: 50%"."""
    for a in (w for w in words if _is(w, anchor, 0.8)):
        if need_colon and not re.search(r"[:;]", a.text):
            continue
        right = [w for w in words if abs((w.y + w.h / 2) - (a.y + a.h / 2)) < 0.6 * a.h
                 and 0 <= w.x - a.right <= 5 * a.h]
        texts = [min(right, key=lambda w: w.x).text] if right else []
        if not texts:  # re-read the caption line
            box = (a.x - 0.3 * a.h, a.y - 0.4 * a.h, a.right + 4 * a.h, a.bottom + 0.4 * a.h)
            texts = _ocr_line(gray, box, a.h, _CROP_TEXT_HEIGHTS[0]).split()[-1:]
        for t in texts:
            m = re.fullmatch(value_re, t.translate(_DIGIT_MAP).strip(".,:;"))
            if m:
                return int(m.group(1))
    return None


def _ratio_block(words: list[_Word], gray: Image.Image) -> int | None:
    """Re-read "Ratio of training to test data: NN%" as a block (under "Ratio"/above "Noise")."""
    boxes = [(a.x - 0.4 * a.h, a.y - 0.4 * a.h, a.x + 11 * a.h, a.bottom + 4.5 * a.h, a.h)
             for a in words if _is(a, "ratio", 0.8) and a.text[:1].isupper()]
    boxes += [(a.x - 0.4 * a.h, a.y - 11 * a.h, a.x + 11 * a.h, a.y - 0.2 * a.h, a.h)
              for a in words if _is(a, "noise", 0.8) and a.text[:1].isupper()]
    for *box, h in boxes[:2]:
        x0, y0, x1, y1 = (max(0, round(v)) for v in box)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        crop = gray.crop((x0, y0, min(gray.width, x1), min(gray.height, y1)))
        s = max(0.5, min(8.0, _CROP_TEXT_HEIGHTS[0] / max(h, 1.0)))
        crop = crop.resize((max(1, round(crop.width * s)), max(1, round(crop.height * s))), Image.LANCZOS)
        data = _tesseract(ImageOps.expand(crop, border=20, fill=_background(crop)),
                          "--psm 6 -c tessedit_do_invert=0")
        text = " ".join(t for t in data["text"] if t and t.strip())
        m = re.search(r"data\W{0,3}\s*([0-9OoSl]{2})\s*%", text)
        if m:
            return int(m.group(1).translate(_DIGIT_MAP))
    return None


def _read_config(words: list[_Word], gray: Image.Image, rgb: Image.Image) -> dict[str, object]:
    """Configuration values that were read and are valid Playground settings."""
    lines = _lines(words)
    cfg: dict[str, object] = {}
    fields: list[tuple[str, tuple[str, str | None], Callable[[str], object]]] = [
        ("learning_rate", ("learning", "rate"), _pick_rate(LEARNING_RATES)),
        ("activation", ("activation", None), lambda t: _pick(ACTIVATIONS, t)),
        ("regularization", ("regularization", None), lambda t: _pick(REGULARIZATIONS, t)),
        ("regularization_rate", ("regularization", "rate"), _pick_rate(REGULARIZATION_RATES)),
        ("problem", ("problem", "type"), lambda t: _pick(PROBLEMS, t)),
    ]
    for key, label, parse in fields:
        v = _top_bar_value(words, lines, gray, label, parse)
        if v is not None:
            cfg[key] = v

    batch = _slider_value(words, "size", r"(\d{1,2})", gray)
    if batch is not None and 1 <= batch <= 30:
        cfg["batch_size"] = batch
    noise = _slider_value(words, "noise", r"(\d{1,2})", gray)
    if noise is not None and noise % 5 == 0 and noise <= 50:
        cfg["noise"] = noise
    ratio = _slider_value(words, "data", r"(\d{2})%", gray, need_colon=True)
    if ratio is None:
        ratio = _ratio_block(words, gray)
    if ratio is not None and ratio % 10 == 0 and 10 <= ratio <= 90:
        cfg["perc_train_data"] = ratio

    for line in lines:
        for i, w in enumerate(line[1:], start=1):
            if _is(w, "hidden", 0.8) and (n := _number(line[i - 1].text)) is not None and n <= 6:
                cfg["hidden_layers"] = int(n)
                break
    if "hidden_layers" in cfg:
        neurons = _neurons(lines)
        if cfg["hidden_layers"] == 0:
            cfg["neurons"] = []
        elif len(neurons) == cfg["hidden_layers"]:
            cfg["neurons"] = neurons

    features = _features(words, rgb)
    if features:
        cfg["features"] = features
    dataset = _dataset(words, rgb, cfg.get("problem"))
    if dataset:
        cfg["dataset"] = dataset
    return cfg


def _neurons(lines: list[list[_Word]]) -> list[int]:
    """Neuron counts of the "N neurons" captions, left to right, when they share one row."""
    found = []
    for line in lines:
        for i, w in enumerate(line[1:], start=1):
            if _is(w, "neurons", 0.75) or _is(w, "neuron", 0.8):
                v = _number(line[i - 1].text)
                if v is not None and v == int(v) and 1 <= v <= 8:
                    found.append((line[i - 1].x, line[i - 1].y, int(v), w.h))
    if not found:
        return []
    # keep the captions on the same row as the first one
    y0, h = found[0][1], found[0][3]
    row = sorted((f for f in found if abs(f[1] - y0) < h), key=lambda f: f[0])
    return [f[2] for f in row]


def _segments(mask_1d, min_len: int, max_gap: int) -> list[tuple[int, int]]:
    """Runs of True in a 1-D boolean array, joining gaps up to ``max_gap``; (start, end) pairs."""
    runs: list[list[int]] = []
    for i, on in enumerate(mask_1d):
        if not on:
            continue
        if runs and i - runs[-1][1] <= max_gap + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [(a, b) for a, b in runs if b - a + 1 >= min_len]



def _grey(a: "np.ndarray") -> "np.ndarray":
    """``a.mean(axis=2)`` of an int16 RGB array, bit for bit (the integer sum is exact), without
    numpy's slow reduction over a 3-long axis."""
    return (a[..., 0] + a[..., 1] + a[..., 2]) / 3.0


def _saturation(a: "np.ndarray") -> "np.ndarray":
    """``a.max(axis=2) - a.min(axis=2)`` of an RGB array, the same values, computed channel-wise."""
    import numpy as np

    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    return np.maximum(np.maximum(r, g), b) - np.minimum(np.minimum(r, g), b)


def _crop_stats(rgb: Image.Image, box: tuple[int, int, int, int]) -> tuple["np.ndarray", "np.ndarray", float]:
    """Per-pixel grey level and colour saturation of a crop, and its median (background) grey."""
    import numpy as np

    a = np.asarray(rgb.crop(box)).astype(np.int16)
    gray = _grey(a)
    return gray, _saturation(a), float(np.median(gray))


def _features(words: list[_Word], rgb: Image.Image) -> list[str] | None:
    """Input features in use: the 7 feature boxes under "FEATURES"; used ones have a black frame."""
    import numpy as np

    heads = [w for w in words if w.text.strip(".:") == "FEATURES"]
    if not heads:
        return None
    head = heads[0]
    h = head.h
    box = (max(0, round(head.x - 0.5 * h)), round(head.bottom + 2 * h),
           min(rgb.width, round(head.x + 11 * h)), min(rgb.height, round(head.bottom + 60 * h)))
    if box[2] - box[0] < 5 * h or box[3] - box[1] < 20 * h:
        return None
    gray, sat, bg = _crop_stats(rgb, box)
    colored = sat > 25
    counts = colored.sum(axis=0)  # (ClearType text has colored fringes: use a relative cut)
    cols = np.nonzero(counts >= max(3, 0.5 * h, 0.3 * counts.max()))[0]
    if not len(cols):
        return None
    xl = int(cols[0])  # left edge of the boxes (labels are grey, links start right of the boxes)
    strip = slice(xl, xl + max(2, round(0.8 * h)))
    content = (sat[:, strip] > 12) | (np.abs(gray[:, strip] - bg) > 3)
    rows = content.mean(axis=1) > 0.3
    segs = _segments(rows, min_len=max(3, round(1.2 * h)), max_gap=max(1, round(0.4 * h)))
    if segs:  # drop text fragments: boxes are the tallest runs
        longest = max(b - a + 1 for a, b in segs)
        segs = [(a, b) for a, b in segs if b - a + 1 >= 0.6 * longest]
    if len(segs) < 7:
        return None
    segs = segs[:7]
    heights = [b - a + 1 for a, b in segs]
    if max(heights) > 1.6 * min(heights):  # framed boxes are a little taller than faded ones
        return None
    dark = (gray < 0.5 * bg) & (sat < 60)
    names = FEATURES
    used = []
    for name, (y0, y1) in zip(names, segs):
        side = y1 - y0 + 1
        pad = max(2, side // 10)
        # a frame darkens both vertical edges of the (square) box
        left = dark[y0:y1 + 1, max(0, xl - pad):xl + pad].any(axis=1).mean()
        right = dark[y0:y1 + 1, xl + side // 2:xl + side + 2 * pad].any(axis=1).mean()
        if left > 0.6 and right > 0.6:
            used.append(name)
    return used


def _dataset(words: list[_Word], rgb: Image.Image, problem: object) -> str | None:
    """The selected dataset: the thumbnail under "DATA" with the black frame, or ``None``.

    Two independent readings must agree, else ``None`` (the check then asks for a review):

    - where the framed thumbnail sits: its unselected (faded) neighbour in the 2×2 grid is on
      its left (right column: xor, spiral) or on its right (left column: circle, gauss);
    - what it shows (``_thumbnail_kind``): a blob inside a ring (circle), colours by quadrant
      (xor), two clusters (gauss) or two interleaved arms (spiral).

    The page's address, when the browser bar is in the shot ("…&dataset=xor&…"), must agree too.
    """
    import numpy as np

    frame = _selected_thumbnail(words, rgb)
    if frame is None:
        return None
    fx0, fy0, fx1, fy1 = frame
    fw, fh = fx1 - fx0 + 1, fy1 - fy0 + 1
    a = np.asarray(rgb).astype(np.int16)
    gray, sat = _grey(a), _saturation(a)
    faded = (sat > 20) & (gray > 170)  # the unselected thumbnails' pale dots

    def mass(xa: float, xb: float) -> int:
        xa, xb = max(0, round(xa)), min(a.shape[1], round(xb))
        return int(faded[fy0:fy1 + 1, xa:xb].sum()) if xb > xa else 0

    left, right = mass(fx0 - 1.5 * fw, fx0 - 0.05 * fw), mass(fx1 + 0.05 * fw, fx1 + 1.5 * fw)
    enough = 0.03 * fw * fh
    col = 1 if left >= max(3 * right, enough) else 0 if right >= max(3 * left, enough) else None
    if col is None:
        return None
    if problem == "regression":  # one row of two; every regression dataset fails the task anyway
        return DATASETS["regression"][col]
    m = max(1, round(0.12 * fw))
    kind = _thumbnail_kind(a[fy0 + m:fy1 + 1 - m, fx0 + m:fx1 + 1 - m])
    if kind is None or DATASETS["classification"].index(kind) % 2 != col:
        return None
    urls = {m.group(1) for w in words for m in re.finditer(r"[#&?]dataset=([a-z]+)", w.text)}
    if urls and urls != {kind}:
        return None
    return kind


def _selected_thumbnail(words: list[_Word], rgb: Image.Image) -> tuple[int, int, int, int] | None:
    """Box (x0, y0, x1, y1) of the black, hollow, square frame between "DATA" and "Ratio"."""
    import numpy as np
    from scipy import ndimage

    heads = [w for w in words if w.text.strip(".:") == "DATA"]
    if not heads:
        return None
    head = heads[0]
    h = head.h
    right = head.x + 9 * h
    feats = [w for w in words if _is(w, "features") and w.text.isupper() and abs(w.y - head.y) < h]
    if feats:
        right = min(right, feats[0].x - 0.3 * h)
    ratio = [w for w in words if _is(w, "ratio") and head.y < w.y < head.bottom + 20 * h]
    bottom = min(ratio, key=lambda w: w.y).y - 0.3 * h if ratio else head.bottom + 14 * h
    box = (max(0, round(head.x - 1.5 * h)), round(head.bottom + h), min(rgb.width, round(right)),
           min(rgb.height, round(bottom)))
    if box[2] - box[0] < 4 * h or box[3] - box[1] < 3 * h:
        return None
    gray, sat, _ = _crop_stats(rgb, box)
    labels, _ = ndimage.label((gray < 100) & (sat < 60), structure=np.ones((3, 3)))
    frames = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        fh, fw = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        if fw >= 1.5 * h and 0.75 < fw / fh < 1.33 and (labels[sl] == i).mean() < 0.5:
            frames.append((fw * fh, sl[1].start + box[0], sl[0].start + box[1],
                           sl[1].stop - 1 + box[0], sl[0].stop - 1 + box[1]))
    frames.sort(reverse=True)
    if not frames or (len(frames) > 1 and frames[1][0] > 0.5 * frames[0][0]):
        return None  # no frame, or two: not a Playground DATA column we understand
    return frames[0][1:]


def _thumbnail_kind(pixels: "np.ndarray") -> str | None:
    """Which classification dataset a (selected, full-colour) thumbnail shows, from where its
    orange and blue dots are; ``None`` when it matches none clearly.

    Measured on real screenshots: xor |quadrant score| ≥ 0.94 (others ≤ 0.1); circle radius
    ratio 0.39 (others ≥ 0.94); gauss centroid distance 1.2 (others ≤ 0.33); spiral: ratio
    ≈ 1, distance ≈ 0.32, quadrant score ≈ 0.
    """
    import numpy as np

    if pixels.ndim != 3 or min(pixels.shape[:2]) < 8:
        return None
    r, b = pixels[..., 0].astype(np.int16), pixels[..., 2].astype(np.int16)
    orange, blue = r - b > 60, b - r > 60
    hh, ww = orange.shape
    need = max(15, 0.01 * hh * ww)
    if orange.sum() < need or blue.sum() < need:
        return None
    yy, xx = np.mgrid[0:hh, 0:ww].astype(np.float64)
    xx, yy = (xx - (ww - 1) / 2) / (ww / 2), (yy - (hh - 1) / 2) / (hh / 2)
    r_o, r_b = np.hypot(xx[orange], yy[orange]).mean(), np.hypot(xx[blue], yy[blue]).mean()
    ratio = min(r_o, r_b) / max(r_o, r_b, 1e-9)
    dist = float(np.hypot(xx[orange].mean() - xx[blue].mean(), yy[orange].mean() - yy[blue].mean()))
    quadrant = abs(float(np.concatenate([np.sign(xx[orange] * yy[orange]),
                                         -np.sign(xx[blue] * yy[blue])]).mean()))
    if quadrant >= 0.7 and ratio > 0.7 and dist < 0.5:
        return "xor"
    if quadrant < 0.4 and ratio < 0.6 and dist < 0.5:
        return "circle"
    if quadrant < 0.4 and dist > 0.8:
        return "gauss"
    if quadrant < 0.3 and ratio > 0.8 and 0.15 < dist < 0.6:
        return "spiral"
    return None


# --------------------------------------------------------------------------- is it a Playground page?

_HEADINGS = ("DATA", "FEATURES", "HIDDEN", "OUTPUT")


def _headings(words: Sequence[_Word]) -> dict[str, _Word]:
    """The section headings (upper-case as Playground sets them), "HIDDEN" of "N HIDDEN LAYERS"."""
    out: dict[str, _Word] = {}
    for w in words:
        t = w.text.strip(".:,;'\"")
        for k in _HEADINGS:
            if k not in out and t.isupper() and (t == k or (len(t) >= 5 and _similar(t, k) >= 0.85)):
                out[k] = w
    return out


def _heatmap(rgb: Image.Image, h: float) -> tuple[int, int, int, int, float, float, int, int] | None:
    """The biggest square of orange/blue shading: ``(x0, y0, x1, y1, orange, blue, ticks below,
    ticks right)`` — the shares of orange and blue pixels in it and the number of separate
    marks (axis labels -6 … 6) along its bottom and right edges; ``None`` if none is ≥ 8 ``h``.

    Measured on the 26 real screenshots: side 24-29 × the text height, orange and blue each
    ≥ 17 %, 13 tick labels on both axes.
    """
    import numpy as np
    from scipy import ndimage

    a = np.asarray(rgb).astype(np.int16)
    hgt, wid = a.shape[:2]
    step = max(1, round(h / 2), -(-max(hgt, wid) // 500))  # blocks of about half a text line
    warm, cool = a[..., 0] - a[..., 2] > 40, a[..., 2] - a[..., 0] > 40
    hb, wb = hgt // step, wid // step
    if min(hb, wb) < 4:
        return None

    def blocks(m):
        return m[:hb * step, :wb * step].reshape(hb, step, wb, step).mean(axis=(1, 3))

    bw, bc = blocks(warm), blocks(cool)
    # the decision boundary and the data points are pale: close small gaps first
    dense = ndimage.binary_closing((bw + bc) > 0.5, structure=np.ones((5, 5)))
    sq = np.zeros((hb + 1, wb + 1), dtype=np.int32)  # largest all-dense square ending at each block
    for y in range(hb):
        row, prev, d = sq[y + 1], sq[y], dense[y]
        for x in np.nonzero(d)[0]:
            row[x + 1] = 1 + min(prev[x], prev[x + 1], row[x])
    k = int(sq.max())
    if k * step < 8 * h:
        return None
    by1, bx1 = np.unravel_index(int(sq.argmax()), sq.shape)
    x0, y0, x1, y1 = (int(bx1) - k) * step, (int(by1) - k) * step, int(bx1) * step, int(by1) * step
    orange, blue = float(warm[y0:y1, x0:x1].mean()), float(cool[y0:y1, x0:x1].mean())
    # the block grid cuts the edges: walk out to the real ones
    colored = warm | cool
    rows, cols = colored[:, x0:x1].mean(axis=1), colored[y0:y1, :].mean(axis=0)
    r = round(1.5 * h)
    while y1 < min(hgt, y1 + r) and rows[y1] > 0.5:
        y1 += 1
    while x1 < min(wid, x1 + r) and cols[x1] > 0.5:
        x1 += 1
    g = _grey(a)
    ticks = []
    for strip, axis in ((g[y1 + max(1, round(0.1 * h)):y1 + round(2.2 * h), x0:x1], 0),
                        (g[y0:y1, x1 + max(1, round(0.1 * h)):x1 + round(2.2 * h)], 1)):
        if strip.size == 0:
            ticks.append(0)
            continue
        ink = (strip < np.median(strip) - 20).any(axis=axis)  # pale 5 px labels in small JPEGs: ~25 levels
        ticks.append(len(_segments(ink, 1, max(1, round(0.25 * h)))))
    return x0, y0, x1, y1, orange, blue, ticks[0], ticks[1]


def _colour_share(rgb: Image.Image) -> float:
    """Share of clearly orange or blue pixels in the whole image."""
    import numpy as np

    small = rgb.copy()
    small.thumbnail((800, 800))
    a = np.asarray(small).astype(np.int16)
    return float((np.abs(a[..., 0] - a[..., 2]) > 40).mean())


def _page_evidence(words: Sequence[_Word], rgb: Image.Image, found: "_Found",
                   values: dict[str, object]) -> tuple[str, list[str], list[str]]:
    """Is the image recognisably a TensorFlow Playground page?  ``(verdict, found, missing)``.

    "page" needs all of:
      1. the section headings: OUTPUT and at least two of DATA, FEATURES, HIDDEN LAYERS on
         one row, left to right in that order;
      2. the output heat-map: a square of orange and blue shading (each ≥ 5 %), 10-45 text
         lines wide, left-aligned under "OUTPUT" (within 3 lines) and 2-20 lines below it, with
         ≥ 8 axis labels along its bottom or right edge;
      3. the test loss read between the "OUTPUT" heading and the heat-map; the epoch (when
         read) above the heading row, left of "OUTPUT".
    "none" (clearly not a page): no heat-map anywhere and either fewer than two headings or
    hardly any orange/blue in the image (< 0.5 %: text on a blank canvas).  "partial": the rest.
    (The selected dataset thumbnail is required separately: no dataset read → review.)
    """
    heads = _headings(words)
    hs = sorted(w.h for w in heads.values()) or []
    h = hs[len(hs) // 2] if hs else (_text_height(words) or max(rgb.size) / 120)
    have, miss = [], []
    out = heads.get("OUTPUT")
    row_ok = False
    if out is not None:
        cy = out.y + out.h / 2
        row = [heads[k] for k in _HEADINGS if k in heads and abs(heads[k].y + heads[k].h / 2 - cy) < 1.5 * h]
        row_ok = len(row) >= 3 and out in row and all(a.x < b.x for a, b in zip(row, row[1:]))
        if row_ok:
            have.append("section headings (" + ", ".join(k for k in _HEADINGS if heads.get(k) in row) + ")")
    if not row_ok:
        miss.append("the section headings DATA / FEATURES / HIDDEN LAYERS / OUTPUT in one row"
                    + (f" (only {', '.join(heads)} read)" if heads else " (none read)"))

    hm = _heatmap(rgb, h)
    hm_ok = False
    if hm is not None:
        x0, y0, x1, y1, orange, blue, tb, tr = hm
        side = x1 - x0
        shaded = orange >= 0.05 and blue >= 0.05 and 10 * h <= side <= 45 * h
        axis = max(tb, tr) >= 8
        placed = out is None or (abs(x0 - out.x) <= 3 * h and out.bottom + 2 * h <= y0 <= out.bottom + 20 * h)
        hm_ok = shaded and axis and placed and out is not None
        if hm_ok:
            have.append("the output heat-map with its axes under OUTPUT")
        else:
            miss.append("the output plot's axis labels (-6 … 6)" if not axis else
                        "the orange/blue output plot under the OUTPUT heading" if not placed or out is None else
                        "an output plot shaded in both orange and blue")
    else:
        miss.append("the output heat-map (a square of orange/blue shading with axes)")

    values_ok = True
    if out is not None and hm is not None and found.test_box is not None:
        tx0, ty0, tx1, ty1 = found.test_box
        if not (out.y - 0.5 * h <= ty0 and ty1 <= hm[1] + 0.5 * h and out.x - 2 * h <= tx0 <= hm[2]):
            values_ok = False
            miss.append("the test loss where Playground shows it (under OUTPUT, above the heat-map)")
    elif values.get("test loss") is not None:
        values_ok = False
        miss.append("the test loss in its place on the page")
    if values.get("epoch") is not None and found.epoch_box is not None and out is not None:
        ex0, ey0, ex1, ey1 = found.epoch_box
        if not (ey1 <= out.y and ex1 <= out.x):
            values_ok = False
            miss.append("the epoch counter in the top bar")
    if values_ok and (values.get("test loss") is not None or values.get("epoch") is not None):
        have.append("the loss/epoch values in their places")

    if row_ok and hm_ok and values_ok:
        return "page", have, miss
    if hm is None and (len(heads) < 2 or _colour_share(rgb) < 0.005):
        return "none", have, miss
    return "partial", have, miss


# --------------------------------------------------------------------------- public API


def read_playground(image_path: Path, *, budget: float = OCR_BUDGET, per_call: float = OCR_CALL_TIMEOUT,
                    isolate: bool = True, memory_mb: int = READER_MEMORY_MB,
                    wall: float | None = None) -> PlaygroundReading:
    """OCR a TensorFlow Playground screenshot; never raises for bad input (see ``problems``).

    The image is untrusted: with ``isolate`` (the default) it is read in a separate process
    (``grader.ocr.run_isolated``) with an address-space rlimit of ``memory_mb`` and a CPU
    rlimit, killed (with its Tesseract children) after ``wall`` seconds (default ``budget`` +
    ``READER_GRACE``: the budget is checked between Tesseract calls, the kill is the backstop).  Inside,
    all Tesseract calls of the image share ``budget`` seconds, each cut at ``per_call``.  Out
    of time → a reading with ``timed_out`` and no values (the check asks for a review).
    """
    image_path = Path(image_path)
    if isolate:
        return _read_isolated(image_path, budget, per_call, memory_mb, budget + READER_GRACE if wall is None else wall)
    with ocr_budget(budget, per_call):
        try:
            return _read_here(image_path)
        except OCRTimeout as exc:
            return _timed_out(f"{exc}; budget {budget:g} s")


def _timed_out(why: str) -> PlaygroundReading:
    return PlaygroundReading(None, None, None, {}, "", [f"the image could not be read in time ({why})"],
                             timed_out=True)


@functools.cache
def reader_version() -> str:
    """What a reading depends on besides the image: this reader's and its vocabulary's code,
    grader.ocr's, Pillow's and Tesseract's versions (part of the memo kind of a reading)."""
    import hashlib

    import PIL
    import pytesseract

    from grader import ocr

    h = hashlib.sha256()
    for source in (Path(__file__), Path(vocab.__file__), Path(ocr.__file__)):
        h.update(source.read_bytes())
    try:
        tesseract = str(pytesseract.get_tesseract_version())
    except Exception:  # noqa: BLE001 - no Tesseract: the reading says so, and is not kept
        tesseract = "none"
    h.update(f"{PIL.__version__} {tesseract}".encode())
    return h.hexdigest()[:16]


def reading_to_json(r: PlaygroundReading) -> dict:
    from dataclasses import asdict

    return asdict(r)


def reading_from_json(d: dict) -> PlaygroundReading:
    d = dict(d)
    for k in ("page_found", "page_missing"):
        d[k] = tuple(d.get(k) or ())
    return PlaygroundReading(**d)


def _read_isolated(path: Path, budget: float, per_call: float, memory_mb: int, limit: float) -> PlaygroundReading:
    import json

    args = [str(path.resolve()), "--budget", repr(float(budget)), "--per-call", repr(float(per_call)),
            "--memory-mb", str(int(memory_mb))]
    try:
        status, out, err = run_isolated(__name__, __file__, args, limit)
    except OSError as exc:
        return PlaygroundReading(None, None, None, {}, "", [f"OCR failed: could not start the reader: {exc}"])
    if status is None:
        return _timed_out(f"the reader was stopped after {limit:g} s")
    try:
        return reading_from_json(json.loads(out.decode("utf-8")))
    except (ValueError, TypeError):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {status}"]
        if "MemoryError" in tail[0]:
            tail = [f"more than {memory_mb} MB of memory needed"]
        return PlaygroundReading(None, None, None, {}, "", [f"OCR failed: {tail[0][:200]}"])


def child_main(argv: Sequence[str]) -> int:
    """``IMAGE --budget S --per-call S --memory-mb M``: print the reading as JSON (what
    ``_read_isolated`` runs in its own process, via ``grader.ocr.run_isolated``)."""
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(prog="python -m grader.ocr " + __name__)
    ap.add_argument("image")
    ap.add_argument("--budget", type=float, default=OCR_BUDGET)
    ap.add_argument("--per-call", type=float, default=OCR_CALL_TIMEOUT)
    ap.add_argument("--memory-mb", type=int, default=READER_MEMORY_MB)
    args = ap.parse_args(argv)
    reader_limits(args.memory_mb, args.budget + READER_GRACE)
    sys.modules.setdefault("pandas", None)  # pytesseract imports pandas when it can: 0.2 s per image for nothing
    try:
        reading = read_playground(Path(args.image), budget=args.budget, per_call=args.per_call, isolate=False)
    except MemoryError:
        reading = PlaygroundReading(None, None, None, {}, "",
                                    [f"OCR failed: more than {args.memory_mb} MB of memory needed"])
    sys.stdout.write(json.dumps(reading_to_json(reading), default=str))
    return 0


#: Playground draws the epoch and the losses dark (#333 / black; the training loss grey #777)
#: on white: on the 26 real screenshots the ink is 207-226 (epoch), 239-247 (test loss) and
#: 146-148 (training loss) grey levels darker than the background.  Pale text (near-white on
#: white) is not a Playground value.
_MIN_VALUE_CONTRAST = 90


def _read_here(image_path: Path) -> PlaygroundReading:
    problems: list[str] = []
    rgb, problem = _load(image_path)
    if rgb is None:
        return PlaygroundReading(None, None, None, {}, "", [problem or "unreadable image"])
    gray = rgb.convert("L")

    base = max(0.25, min(_MAX_UPSCALE, _PAGE_WIDTH / gray.width))
    base = min(base, (_MAX_OCR_PIXELS / (gray.width * gray.height)) ** 0.5)  # very tall pages
    try:
        best_words = _ocr_words(gray, base, 11)
        best = _scan(best_words)
        if not best.complete:
            best = _merge(best, _scan_regions(gray, best_words, best))
        if not best.complete:
            # second pass: other segmentation mode, scaled for ~26 px text
            h = _text_height(best_words)
            scale = base * (1.6 if h is None else max(1.25, min(3.0, 26 / (h * base))))
            scale = min(scale, _MAX_UPSCALE * 1.5, (_MAX_OCR_PIXELS / (gray.width * gray.height)) ** 0.5)
            words = _ocr_words(gray, scale, 3)
            found = _merge(best, _scan(words))
            if not found.complete:
                found = _merge(found, _scan_regions(gray, words, found))
            if found.labels > best.labels or not best_words:
                best_words = words
            best = found
    except Exception as exc:  # noqa: BLE001 - Tesseract missing/crashing must not stop grading
        return PlaygroundReading(None, None, None, {}, "", [f"OCR failed: {type(exc).__name__}: {exc}"])

    raw_text = _text(_lines(best_words))
    values: dict[str, object] = {}
    try:
        values = _read_fields(gray, _fields(gray, best), problems)
    except Exception as exc:  # noqa: BLE001
        problems.append(f"OCR re-read failed: {type(exc).__name__}: {exc}")
    for key, box in (("epoch", best.epoch_box), ("test loss", best.test_box), ("training loss", best.training_box)):
        contrast = _contrast(gray, box)
        if values.get(key) is not None and contrast is not None and contrast < _MIN_VALUE_CONTRAST:
            problems.append(f"{key} text is too faint ({contrast:.0f} grey levels darker than its background; "
                            f"Playground draws it dark): not trusted")
            values[key] = None
    epoch, test_loss, training_loss = (values.get(k) for k in ("epoch", "test loss", "training loss"))
    if best.test_box is None:
        problems.append("no 'Test loss' label found")
    elif test_loss is None and not any(p.startswith("test loss") for p in problems):
        problems.append("'Test loss' label found but its value is unreadable")
    if best.epoch_box is None:
        problems.append("no 'Epoch' counter found (cropped out?)")
    elif epoch is None and not any(p.startswith("epoch") for p in problems):
        problems.append("'Epoch' label found but its value is unreadable")
    if not best_words or (best.test_box is None and best.epoch_box is None and best.labels < 2):
        problems.append("no TensorFlow Playground text recognised in the image")

    config: dict[str, object] = {}
    if best_words:
        try:
            config = _read_config(best_words, gray, rgb)
        except Exception as exc:  # noqa: BLE001 - the configuration is a bonus, never fatal
            problems.append(f"configuration not read: {type(exc).__name__}: {exc}")
    try:
        page, have, miss = _page_evidence(best_words, rgb, best, values)
    except Exception as exc:  # noqa: BLE001 - cannot tell: a leader looks
        page, have, miss = "partial", [], [f"the page could not be checked ({type(exc).__name__}: {exc})"]
    return PlaygroundReading(test_loss, training_loss, epoch, config, raw_text, problems,
                             page, tuple(have), tuple(miss))


def _fmt_loss(v: float | None) -> str:
    return "?" if v is None else f"{v:.3f}"


def _dataset_name(name: str) -> Message:
    return DATASET_NAMES.get(name, Message(name, name))


@dataclass(frozen=True)
class ShotVerdict:
    """One screenshot judged on its own: ``why`` lists the failed or unreadable points."""

    name: str
    reading: PlaygroundReading
    status: Status
    why: tuple[Message, ...] = ()

    def line(self) -> Message:
        r = self.reading
        ds = r.config.get("dataset")
        ds_ko = "데이터셋 ?" if ds is None else f"{_dataset_name(str(ds)).ko} 데이터셋"
        ds_en = "dataset ?" if ds is None else f"{_dataset_name(str(ds)).en} dataset"
        epoch = "?" if r.epoch is None else str(r.epoch)
        verdict = {Status.PASS: Message("기준 충족", "meets the task"),
                   Status.FAIL: Message("불합격", "does not meet the task"),
                   }.get(self.status, Message("검토 필요", "needs review"))
        why_ko = "; ".join(m.ko for m in self.why)
        why_en = "; ".join(m.en for m in self.why)
        return Message(
            f"'{self.name}': {ds_ko}, test loss {_fmt_loss(r.test_loss)}, epoch {epoch} — {verdict.ko}"
            + (f" ({why_ko})" if why_ko else ""),
            f"'{self.name}': {ds_en}, test loss {_fmt_loss(r.test_loss)}, epoch {epoch} — {verdict.en}"
            + (f" ({why_en})" if why_en else ""))


def judge_screenshot(name: str, reading: PlaygroundReading, max_test_loss: float = 0.005,
                     max_epochs: int = 1000, datasets: Sequence[str] = ALLOWED_DATASETS) -> ShotVerdict:
    """pass: an allowed dataset, test loss and epoch all read and within limits on a recognised
    Playground page; fail: a value read beyond a limit, a dataset not allowed, or clearly no
    Playground page (``reading.page == "none"``); needs-review: otherwise (something unread,
    the page only partly recognised, or the reading ran out of time)."""
    allowed = " 또는 ".join(_dataset_name(d).ko for d in datasets), " or the ".join(_dataset_name(d).en for d in datasets)
    loss, epoch, ds = reading.test_loss, reading.epoch, reading.config.get("dataset")
    bad: list[Message] = []
    unread: list[Message] = []
    if ds is not None and ds not in datasets:
        bad.append(Message(f"{_dataset_name(str(ds)).ko} 데이터셋이 선택되어 있습니다 — 과제는 {allowed[0]} 데이터셋입니다",
                           f"the {_dataset_name(str(ds)).en} dataset is selected — the task asks for the {allowed[1]} dataset"))
    if loss is not None and loss > max_test_loss + 1e-9:
        bad.append(Message(f"test loss {_fmt_loss(loss)} > {max_test_loss:g}", f"test loss {_fmt_loss(loss)} is above {max_test_loss:g}"))
    if epoch is not None and epoch > max_epochs:
        bad.append(Message(f"epoch {epoch} > {max_epochs}", f"epoch {epoch} is beyond {max_epochs}"))
    if reading.page == "none":
        bad.append(Message(
            "TensorFlow Playground 화면이 아닙니다: 발견한 것은 글자뿐이고, Playground 화면의 구성"
            "(DATA·FEATURES·HIDDEN LAYERS·OUTPUT 제목, 오른쪽의 주황/파랑 출력 그림과 축, DATA 칸의 데이터셋 그림)이 "
            "없습니다 — 학습을 마친 Playground 화면 전체를 그대로 캡처해 제출해 주세요",
            "this is not a TensorFlow Playground page: only text was found, none of the page's layout "
            "(the DATA, FEATURES, HIDDEN LAYERS and OUTPUT headings, the orange/blue output plot with its axes, "
            "the dataset thumbnails under DATA) — capture the whole Playground page after training, unedited"))
    if bad:
        return ShotVerdict(name, reading, Status.FAIL, tuple(bad))
    if reading.timed_out:
        unread.append(Message(
            "제한 시간 안에 이미지를 읽지 못함(이미지가 너무 크거나 글자가 너무 많음) — 일반 크기의 Playground 화면 캡처를 제출해 주세요",
            "the image could not be read in time (too large or too much text) — submit an ordinary "
            "capture of the Playground page"))
    elif not reading.raw_text and not reading.config and reading.problems:
        unread.append(Message(f"파일을 열 수 없음: {reading.problems[0]}", f"the file could not be read: {reading.problems[0]}"))
    elif any("no TensorFlow Playground text" in p for p in reading.problems):
        unread.append(Message("TensorFlow Playground 화면을 찾지 못함", "no TensorFlow Playground page recognised"))
    else:
        for label, value in (("test loss", loss), ("epoch", epoch)):
            if value is None:
                unread.append(Message(f"{label} 값을 읽을 수 없음(잘렸거나 흐릿함)", f"the {label} could not be read (cropped or blurry)"))
        if ds is None:
            unread.append(Message("어떤 데이터셋인지 읽을 수 없음(DATA 칸이 잘렸거나 흐릿함)",
                                  "the selected dataset could not be read (the DATA column is cropped or unclear)"))
        if reading.page == "partial":
            missing_en = "; ".join(reading.page_missing) or "the page layout"
            unread.append(Message(
                "Playground 화면으로 확인되지 않음 — 찾지 못한 것: " + missing_en
                + " (기대: DATA·FEATURES·HIDDEN LAYERS·OUTPUT 제목이 한 줄에, OUTPUT 아래 Test loss와 축이 있는 "
                "주황/파랑 출력 그림; 화면을 자르거나 고치지 말고 전체를 캡처해 주세요)",
                "not recognisable as a Playground page — missing: " + missing_en
                + " (expected: the DATA, FEATURES, HIDDEN LAYERS and OUTPUT headings in one row, the test loss "
                "under OUTPUT above the orange/blue output plot with its axes; capture the whole page, uncropped and unedited)"))
    if unread:
        return ShotVerdict(name, reading, Status.NEEDS_REVIEW, tuple(unread))
    return ShotVerdict(name, reading, Status.PASS)


def playground_check(image: Path | Sequence[Path] | None, spec_points: float, max_test_loss: float = 0.005,
                     max_epochs: int = 1000, check_id: str = "playground",
                     rerun: Callable[[dict], Message | None] | None = None, *,
                     names: Sequence[str] | None = None, datasets: Sequence[str] = ALLOWED_DATASETS,
                     reader: Callable[[Path], PlaygroundReading] | None = None) -> CheckResult:
    """Grade the Playground screenshot(s): one screenshot on an allowed dataset with test loss
    ≤ ``max_test_loss`` within ``max_epochs`` is enough.

    Every image is read (``reader``, default ``read_playground``) and listed in the message with
    its dataset, test loss and epoch.  pass: one image passes; else needs-review (0 points for
    now) when an image could not be read completely; else fail (no screenshot, or every image
    breaks a rule).  ``rerun(config)`` (a leader-only diagnostic) is called for the images whose
    whole configuration was read (``config_complete``); its messages go to
    ``CheckResult.diagnostics``, never into the student's message.
    """
    title = Message("TensorFlow Playground 스크린샷", "TensorFlow Playground screenshot")
    allowed_ko = " 또는 ".join(_dataset_name(d).ko for d in datasets)
    allowed_en = " or the ".join(_dataset_name(d).en for d in datasets)
    want_ko = f"기준: {allowed_ko} 데이터셋, test loss ≤ {max_test_loss:g}, epoch ≤ {max_epochs}"
    want_en = f"expected: the {allowed_en} dataset, test loss ≤ {max_test_loss:g} within {max_epochs} epochs"
    paths = [] if image is None else [Path(image)] if isinstance(image, (str, Path)) else [Path(p) for p in image]
    labels = list(names) if names is not None else [p.name for p in paths]
    shots = [(n, p) for n, p in zip(labels, paths) if p.is_file()]
    if not shots:
        msg = Message(
            "Playground 스크린샷이 제출되지 않았습니다. Test loss와 Epoch, 왼쪽의 DATA 칸이 함께 보이도록 "
            f"TensorFlow Playground 화면 전체를 캡처한 PNG/JPG 파일을 제출해 주세요 ({want_ko}).",
            "No Playground screenshot was submitted. Submit a PNG/JPG capture of the whole "
            f"TensorFlow Playground page showing the test loss, the epoch and the DATA column ({want_en}).")
        return CheckResult(check_id, Status.FAIL, 0.0, spec_points, msg, title)

    read = reader or read_playground
    verdicts = [judge_screenshot(n, read(p), max_test_loss, max_epochs, datasets) for n, p in shots]
    lines = [v.line() for v in verdicts]
    listing = Message(" / ".join(m.ko for m in lines), " / ".join(m.en for m in lines))
    n = len(verdicts)
    passing = [v for v in verdicts if v.status is Status.PASS]
    if passing:
        head = (Message("통과", "Passed") if n == 1 else
                Message(f"통과 — 스크린샷 {n}개 중 {len(passing)}개가 기준을 충족합니다",
                        f"Passed — {len(passing)} of {n} screenshots meet the task"))
        msg = Message(f"{head.ko}: {listing.ko} ({want_ko}).", f"{head.en}: {listing.en} ({want_en}).")
        status, points = Status.PASS, float(spec_points)
    elif any(v.status is Status.NEEDS_REVIEW for v in verdicts):
        if n == 1 and not verdicts[0].reading.raw_text and not verdicts[0].reading.config and verdicts[0].reading.problems:
            why = Message(f"스크린샷 파일을 열 수 없습니다({verdicts[0].reading.problems[0]})",
                          f"The screenshot could not be read ({verdicts[0].reading.problems[0]})")
        else:
            why = Message("스크린샷에서 필요한 값을 모두 읽지 못했습니다", "Not everything needed could be read from the screenshot"
                          + ("s" if n > 1 else ""))
        msg = Message(
            f"{why.ko}. 세션장이 직접 확인할 예정이며, 그 전까지는 0점으로 표시됩니다. {listing.ko}. {want_ko}. "
            "Test loss, Epoch와 DATA 칸이 선명하게 보이도록 화면 전체를 캡처해 주세요.",
            f"{why.en}. A session leader will look at it; 0 points until then. {listing.en}. {want_en}. "
            "Capture the whole page so that the test loss, the epoch and the DATA column are clearly visible.")
        status, points = Status.NEEDS_REVIEW, 0.0
    else:
        head = (Message("기준을 충족하지 못했습니다", "The screenshot does not meet the task") if n == 1 else
                Message(f"스크린샷 {n}개 모두 기준을 충족하지 못했습니다", f"None of the {n} screenshots meets the task"))
        msg = Message(
            f"{head.ko}: {listing.ko}. {want_ko}. {allowed_ko} 데이터셋을 골라 1000 epoch 안에 test loss가 "
            f"{max_test_loss:g} 이하가 되도록 은닉층/뉴런을 설계한 뒤 그 화면을 캡처해 제출해 주세요.",
            f"{head.en}: {listing.en}. {want_en}. Choose the {allowed_en} dataset, design the hidden layers/neurons "
            f"so that the test loss reaches {max_test_loss:g} or less within {max_epochs} epochs, and submit that screenshot.")
        status, points = Status.FAIL, 0.0

    diagnostics: list[Message] = []
    if rerun is not None:
        for v in verdicts:
            if not config_complete(v.reading.config):
                continue
            try:
                extra = rerun(dict(v.reading.config))
            except Exception as exc:  # noqa: BLE001 - an optional helper must not break grading
                extra = Message(f"설정 재실행 실패: {type(exc).__name__}", f"re-run failed: {type(exc).__name__}")
            if extra is not None:
                diagnostics.append(Message(f"'{v.name}': {extra.ko}", f"'{v.name}': {extra.en}"))
    return CheckResult(check_id, status, points, float(spec_points), msg, title, tuple(diagnostics))


def config_complete(config: dict) -> bool:
    """Whether the whole configuration was read (every ``CONFIG_KEYS`` key, one neuron count per layer)."""
    return (all(k in config for k in CONFIG_KEYS) and bool(config["features"])
            and len(config["neurons"]) == config["hidden_layers"])

