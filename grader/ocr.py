"""Generic OCR and image helpers for packs that read images (Tesseract via pytesseract).

Images are untrusted input: `load_image` caps decoded pixels before decoding, every Tesseract
call runs with a time limit inside a per-image budget (`ocr_budget`), and `run_isolated` runs a
pack's reader in a separate process under memory and CPU rlimits, killed with its Tesseract
children at a wall limit. Tesseract runs with ``OMP_THREAD_LIMIT=1`` (set only around the calls):
its OpenMP threads make single-image OCR 3-4x slower on small, busy machines.

What an image *means* (which words, which layout) belongs to the pack that reads it.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["Word", "load_image", "OCRTimeout", "ocr_budget", "tesseract", "ocr_words", "ocr_line", "scaled_crop",
           "ocr_stacked", "background", "lines_of", "reading_order", "contrast", "reader_limits", "run_isolated",
           "OCR_CALL_TIMEOUT", "OCR_BUDGET", "READER_GRACE", "READER_MEMORY_MB"]

_MAX_SIDE = 5000          # larger images are shrunk before anything else
_MAX_PIXELS = 40_000_000  # decoded pixels (after JPEG draft): anything larger is refused unread
OCR_CALL_TIMEOUT = 20.0
OCR_BUDGET = 60.0
READER_GRACE = 15.0
READER_MEMORY_MB = 2048   # address-space rlimit of the reader process (and its Tesseract children)


@dataclass(frozen=True)
class Word:
    """One OCR word with its box in original-image pixels."""

    text: str
    x: float
    y: float
    w: float
    h: float
    conf: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def norm(self) -> str:
        return re.sub(r"[^a-z0-9]", "", self.text.lower())



# --------------------------------------------------------------------------- loading


def load_image(path: Path) -> tuple[Image.Image | None, str | None]:
    """Open an image as RGB (alpha flattened on white), or return a problem string."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if im.format == "JPEG" and max(im.size) > _MAX_SIDE:
                    im.draft("RGB", (_MAX_SIDE, _MAX_SIDE))
                if im.width * im.height > _MAX_PIXELS:  # checked before decoding a single pixel
                    return None, (f"image too large to read: {im.width}x{im.height} pixels "
                                  f"(at most {_MAX_PIXELS / 1e6:g} million)")
                im.seek(0)
                im = ImageOps.exif_transpose(im) or im
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                    rgba = im.convert("RGBA")
                    bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(bg, rgba)
                im = im.convert("RGB")
    except FileNotFoundError:
        return None, f"file not found: {path.name}"
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        return None, f"not a readable image: {path.name} ({type(exc).__name__})"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return None, f"could not open image {path.name}: {exc}"
    if min(im.size) < 8:
        return None, f"image too small to read ({im.width}x{im.height})"
    if max(im.size) > _MAX_SIDE:
        im.thumbnail((_MAX_SIDE, _MAX_SIDE), Image.LANCZOS)
    return im, None



# --------------------------------------------------------------------------- OCR


_env_lock = threading.Lock()
_env_users = 0


@contextmanager
def _single_threaded_tesseract() -> Iterator[None]:
    """Set OMP_THREAD_LIMIT=1 for the Tesseract child (pytesseract passes ``os.environ``), and
    take it out again afterwards so that other subprocesses (notebooks) are not affected."""
    global _env_users
    with _env_lock:
        owner = _env_users == 0 and "OMP_THREAD_LIMIT" not in os.environ
        if owner or _env_users:
            _env_users += 1
            os.environ["OMP_THREAD_LIMIT"] = "1"
            owner = True
    try:
        yield
    finally:
        if owner:
            with _env_lock:
                _env_users -= 1
                if _env_users == 0:
                    os.environ.pop("OMP_THREAD_LIMIT", None)


class OCRTimeout(BaseException):
    """The OCR budget of the image is spent.  A ``BaseException`` on purpose: the readers'
    ``except Exception`` (a failed optional re-read is not fatal) must not swallow it."""


_budget = threading.local()


@contextmanager
def ocr_budget(seconds: float, per_call: float = OCR_CALL_TIMEOUT) -> Iterator[None]:
    """All Tesseract calls inside share ``seconds``; each is also cut at ``per_call`` seconds."""
    import time

    old = getattr(_budget, "limits", None)
    _budget.limits = (time.monotonic() + seconds, per_call)
    try:
        yield
    finally:
        _budget.limits = old


def tesseract(img: Image.Image, config: str) -> dict[str, list]:
    import time

    import pytesseract

    deadline, per_call = getattr(_budget, "limits", None) or (time.monotonic() + OCR_BUDGET, OCR_CALL_TIMEOUT)
    left = min(per_call, deadline - time.monotonic())
    if left <= 0.05:
        raise OCRTimeout("OCR budget spent")
    with _single_threaded_tesseract(), _uncompressed(img) as source:
        try:
            return pytesseract.image_to_data(source, config=config, output_type=pytesseract.Output.DICT,
                                             timeout=left)
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OCRTimeout(f"a Tesseract call took longer than {left:.0f} s") from None
            raise


@contextmanager
def _uncompressed(img: Image.Image) -> Iterator[Image.Image | str]:
    """A grey or RGB image as a temporary PGM/PPM file for Tesseract: the same pixels as the PNG
    pytesseract would write, without compressing a page-sized PNG for every call. Other modes
    (alpha, palette) go to pytesseract as they are."""
    import tempfile

    if img.mode not in ("L", "RGB"):
        yield img
        return
    fd, name = tempfile.mkstemp(prefix="kubig-ocr-", suffix=".pnm")
    try:
        with os.fdopen(fd, "wb") as fh:
            img.save(fh, format="PPM")
        yield name
    finally:
        os.unlink(name)


def ocr_words(gray: Image.Image, scale: float, psm: int) -> list[Word]:
    """OCR ``gray`` at ``scale``; boxes are mapped back to ``gray``'s coordinates."""
    if abs(scale - 1.0) > 1e-3:
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        img = gray.resize(size, Image.LANCZOS)
    else:
        img = gray
    data = tesseract(img, f"--psm {psm} -c tessedit_do_invert=0")
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        words.append(Word(text, data["left"][i] / scale, data["top"][i] / scale,
                           data["width"][i] / scale, data["height"][i] / scale,
                           float(data["conf"][i])))
    return words


def ocr_line(gray: Image.Image, box: tuple[float, float, float, float], text_h: float,
              target_h: float, whitelist: str | None = None) -> str:
    """Re-read one text line cropped from ``gray`` and scaled so its text is ``target_h`` px."""
    x0, y0, x1, y1 = (max(0, round(box[0])), max(0, round(box[1])),
                      min(gray.width, round(box[2])), min(gray.height, round(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return ""
    crop = gray.crop((x0, y0, x1, y1))
    s = max(0.5, min(8.0, target_h / max(text_h, 1.0)))
    crop = crop.resize((max(1, round(crop.width * s)), max(1, round(crop.height * s))), Image.LANCZOS)
    crop = ImageOps.expand(crop, border=20, fill=background(crop))
    config = "--psm 7 -c tessedit_do_invert=0"
    if whitelist:
        config += f" -c tessedit_char_whitelist={whitelist}"
    data = tesseract(crop, config)
    return " ".join(t.strip() for t in data["text"] if t and t.strip())


def scaled_crop(gray: Image.Image, box: tuple[float, float, float, float], text_h: float,
                 target_h: float) -> Image.Image | None:
    x0, y0, x1, y1 = (max(0, round(box[0])), max(0, round(box[1])),
                      min(gray.width, round(box[2])), min(gray.height, round(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = gray.crop((x0, y0, x1, y1))
    s = max(0.5, min(8.0, target_h / max(text_h, 1.0)))
    return crop.resize((max(1, round(crop.width * s)), max(1, round(crop.height * s))), Image.LANCZOS)


_Box = tuple[float, float, float, float]


def ocr_stacked(gray: Image.Image, jobs: Sequence[tuple[_Box, float, float]]) -> list[str]:
    """OCR several one-line crops ``(box, text_h, target_h)`` in a single Tesseract call.

    The scaled crops are stacked vertically with blank gaps (one process start instead of
    one per crop); words are assigned back to their crop by position.
    """
    crops = [scaled_crop(gray, *job) for job in jobs]
    present = [c for c in crops if c is not None]
    if not present:
        return [""] * len(jobs)
    gap = 40
    width = max(c.width for c in present) + 2 * gap
    height = sum(c.height + gap for c in present) + gap
    stack = Image.new("L", (width, height), 255)
    spans: list[tuple[int, int] | None] = []
    y = gap
    for c in crops:
        if c is None:
            spans.append(None)
            continue
        stack.paste(c, (gap, y))
        spans.append((y, y + c.height))
        y += c.height + gap
    data = tesseract(stack, "--psm 6 -c tessedit_do_invert=0")
    texts: list[list[str]] = [[] for _ in jobs]
    for i, t in enumerate(data["text"]):
        t = (t or "").strip()
        if not t:
            continue
        cy = data["top"][i] + data["height"][i] / 2
        for k, span in enumerate(spans):
            if span is not None and span[0] - gap / 2 <= cy <= span[1] + gap / 2:
                texts[k].append(t)
                break
    return [" ".join(ws) for ws in texts]


def background(img: Image.Image) -> int:
    hist = img.histogram()
    return max(range(256), key=hist.__getitem__)


def lines_of(words: Sequence[Word]) -> list[list[Word]]:
    """Group words into visual lines: same row and horizontally close."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.x, w.y)):
        best = None
        for line in lines:
            last = line[-1]
            overlap = min(last.bottom, w.bottom) - max(last.y, w.y)
            h = min(last.h, w.h)
            gap = w.x - last.right
            if overlap >= 0.5 * h and -0.5 * h <= gap <= 2.2 * max(last.h, w.h):
                best = line
                break
        if best is None:
            lines.append([w])
        else:
            best.append(w)
    lines.sort(key=lambda ln: (round(ln[0].y), ln[0].x))
    return lines


def reading_order(lines: list[list[Word]]) -> str:
    """Lines in reading order: rows top to bottom, lines of a row left to right."""
    rows: list[list[list[Word]]] = []
    for line in sorted(lines, key=lambda ln: min(w.y + w.h / 2 for w in ln)):
        cy = min(w.y + w.h / 2 for w in line)
        h = max(w.h for w in line)
        if rows and abs(cy - min(w.y + w.h / 2 for w in rows[-1][0])) < 0.5 * h:
            rows[-1].append(line)
        else:
            rows.append([line])
    return "\n".join("   ".join(" ".join(w.text for w in ln) for ln in sorted(row, key=lambda ln: ln[0].x))
                     for row in rows)



def contrast(gray: Image.Image, box: tuple[float, float, float, float] | None) -> float | None:
    """How much darker than the background the darkest ink in ``box`` is (0-255)."""
    import numpy as np

    if box is None:
        return None
    x0, y0, x1, y1 = (max(0, round(box[0])), max(0, round(box[1])),
                      min(gray.width, round(box[2])), min(gray.height, round(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    a = np.asarray(gray.crop((x0, y0, x1, y1)), dtype=np.float32)
    return float(np.median(a) - np.percentile(a, 0.5))


def reader_limits(memory_mb: int, cpu_seconds: float) -> None:
    """In the reader process, before anything is read: cap its memory and CPU time (inherited
    by the Tesseract processes it starts)."""
    import resource

    mem = int(memory_mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = max(1, int(cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_isolated(module: str, module_file: str | Path, args: Sequence[str], limit: float) -> tuple[int | None, bytes, bytes]:
    """Run ``child_main(args)`` of a pack module in a new process (``python -m grader.ocr``): the
    module is imported as part of its pack's package (see `_import_by_file`), so it may use
    relative imports. Killed with its children after ``limit`` seconds. Returns (exit status,
    stdout, stderr); exit status None when it was killed at the limit."""
    import signal
    import subprocess

    root = str(Path(__file__).resolve().parents[1])
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TESSDATA_PREFIX", "TMPDIR")}
    env.update(PYTHONPATH=root, OMP_THREAD_LIMIT="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "grader.ocr", module, str(Path(module_file).resolve()), *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=root, start_new_session=True)
    killed = False
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        out, err = b"", b""
    finally:
        if proc.poll() is None or proc.returncode is None:
            killed = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the reader and its Tesseract children
            except ProcessLookupError:
                pass
            proc.communicate()
    if killed or (proc.returncode in (-signal.SIGKILL, -signal.SIGXCPU) and not out):
        return None, out, err
    return proc.returncode, out, err


def _import_by_file(name: str, file: Path):
    """Import module `name` from `file`, registering each enclosing package by its folder first
    (``assignments.<id>.sub.module`` → assignments/, assignments/<id>/, …)."""
    import importlib

    from grader.pack import _register_package

    parts = name.split(".")
    folder = file.parent
    packages = []
    for i in range(len(parts) - 1, 0, -1):
        packages.append((".".join(parts[:i]), folder))
        folder = folder.parent
    for package, where in reversed(packages):
        _register_package(package, where)
    return importlib.import_module(name)


def _main(argv: Sequence[str]) -> int:
    """``python -m grader.ocr MODULE FILE ARGS...``: what `run_isolated` starts."""
    module = _import_by_file(argv[0], Path(argv[1]))
    return int(module.child_main(list(argv[2:])) or 0)


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
