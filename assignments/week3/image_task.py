"""Task 1 (the sigmoid drawn as a computational graph) and image reading for week 3.

No program can grade a hand drawing: an image that is there and readable passes only when OCR
finds dy/dx written in y (y(1−y), (1−y)y, …), as a hint; otherwise it goes to the session
leader's review queue with 0 points until then. A PDF is never opened: it goes to review
with a note. A missing, empty or broken image fails, saying how to fix it.

Every image is read by image_child.py in its own process with memory, CPU and time limits.
"""

from __future__ import annotations

import hashlib
import json
import re
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHILD = Path(__file__).with_name("image_child.py")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
OTHER_IMAGE_SUFFIXES = (".heic", ".webp", ".gif", ".bmp", ".tif", ".tiff")
MEMORY_BYTES = 1536 * 1024 * 1024


@dataclass(frozen=True)
class ImageReading:
    width: int = 0
    height: int = 0
    text: str = ""
    series: int = 0
    error: str = ""


def _limits(cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


_READINGS: dict[tuple[str, str], ImageReading] = {}


def read_image(path: Path, mode: str, max_pixels: int, timeout_s: float) -> ImageReading:
    """The child's reading of one image (cached by content within a run)."""
    key = (hashlib.sha256(Path(path).read_bytes()).hexdigest(), mode)
    if key in _READINGS:
        return _READINGS[key]
    try:
        run = subprocess.run([sys.executable, str(CHILD), mode, str(path), str(int(max_pixels))],
                             capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
                             preexec_fn=lambda: _limits(int(timeout_s)))
        data = json.loads(run.stdout or "{}") if run.stdout.strip() else {"error": (run.stderr or "no output")[-200:]}
    except subprocess.TimeoutExpired:
        data = {"error": f"reading took longer than {timeout_s:g} s"}
    except (ValueError, OSError) as exc:
        data = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    reading = ImageReading(int(data.get("width", 0)), int(data.get("height", 0)), str(data.get("text", "")),
                           int(data.get("series", 0)), str(data.get("error", "")))
    _READINGS[key] = reading
    return reading


def normalise(text: str) -> str:
    """OCR text for matching: no spaces, lower case, every dash a hyphen, × and · as is."""
    text = text.lower().replace("−", "-").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", "", text)


def find_hint(text: str, hints: tuple[str, ...]) -> str | None:
    flat = normalise(text)
    for hint in hints:
        if normalise(hint) in flat:
            return hint
    return None
