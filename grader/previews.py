"""Previews of a submission's graded images for the leader's report (report.html).

The images come from student zips: untrusted bytes. Each is decoded with Pillow in a child
process (`python -m grader.previews`, with address-space and CPU rlimits), only when Pillow
recognises it as PNG or JPEG of at most MAX_PIXELS pixels, and re-encoded by us at most
MAX_SIDE pixels wide or high (PNG or JPEG, whichever is smaller). Only those re-encoded bytes
ever reach the page: never the student's file, never SVG or HTML.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

from grader.models import ImagePreview

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_SIDE = 1280  # wide enough to read the numbers of a full-screen screenshot
MAX_PIXELS = 40_000_000  # checked from the header, before a pixel is decoded
MAX_FILE_BYTES = 30_000_000
MAX_IMAGES = 6  # per student
CHILD_MEMORY_BYTES = 1 << 30
CHILD_CPU_SECONDS = 30
CHILD_WALL_SECONDS = 60


def image_previews(images: list[tuple[Path, str]], isolate: bool = True) -> tuple[ImagePreview, ...]:
    """Previews of (path, name in the submission) pairs, in order; unreadable ones are left out.

    Never raises: a crash, a timeout or a refused image means fewer previews, nothing else.
    """
    jobs = [(str(p), n) for p, n in images[:MAX_IMAGES] if Path(p).is_file()]
    if not jobs:
        return ()
    if not isolate:
        return tuple(p for p in (_preview(Path(path), name) for path, name in jobs) if p is not None)
    try:
        here = str(Path(__file__).resolve().parents[1])  # this grader, whatever else is on the path
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))}
        done = subprocess.run([sys.executable, "-m", "grader.previews"], input=json.dumps(jobs), env=env,
                              capture_output=True, text=True, timeout=CHILD_WALL_SECONDS, check=False)
        rows = json.loads(done.stdout) if done.returncode == 0 else []
        return tuple(ImagePreview.from_json(r) for r in rows if r.get("mime") in ALLOWED_FORMATS.values())
    except (OSError, subprocess.SubprocessError, ValueError, TypeError):
        return ()


def _preview(path: Path, name: str) -> ImagePreview | None:
    """One preview, or None when the file is not a PNG/JPEG Pillow can decode within the bounds."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as probe:
                if probe.format not in ALLOWED_FORMATS or probe.width * probe.height > MAX_PIXELS:
                    return None
                probe.verify()
            with Image.open(path) as im:
                if im.format not in ALLOWED_FORMATS:
                    return None
                size = im.size
                if im.format == "JPEG":
                    im.draft("RGB", (MAX_SIDE, MAX_SIDE))
                im.load()
                im = ImageOps.exif_transpose(im) or im
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                    rgba = im.convert("RGBA")
                    im = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
                im = im.convert("RGB")
                im.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    except (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, MemoryError):
        return None
    mime, data = _smallest_encoding(im)
    return ImagePreview(name=name, mime=mime, data=base64.b64encode(data).decode("ascii"),
                        width=im.width, height=im.height, original_width=size[0], original_height=size[1])


def _smallest_encoding(im) -> tuple[str, bytes]:
    """PNG (flat screenshots) or JPEG (photos), whichever is smaller."""
    png, jpeg = io.BytesIO(), io.BytesIO()
    im.save(png, format="PNG")
    im.save(jpeg, format="JPEG", quality=85)
    if len(png.getvalue()) <= len(jpeg.getvalue()):
        return "image/png", png.getvalue()
    return "image/jpeg", jpeg.getvalue()


def _limit_self() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
        resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
    except (ImportError, ValueError, OSError):
        pass


def main() -> None:
    """Child: read [[path, name], …] on stdin, write the previews as JSON on stdout."""
    _limit_self()
    jobs = json.loads(sys.stdin.read())
    out = []
    for path, name in jobs:
        preview = _preview(Path(path), str(name))
        if preview is not None:
            out.append(preview.to_json())
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
