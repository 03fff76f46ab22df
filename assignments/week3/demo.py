"""The bundled week-3 demo: a real local git class repository built from our own fixtures.

`grade week3` with no SOURCE grades it. Students upload into `Basic Study/DL/week3/` straight
on main ("Add files via upload"), one zip each holding the two tasks (the form today's intake
groups; loose files per task come with the intake's grouping by student): our reference with a
typed drawing that OCR reads as y(1−y) (full marks), bug variants, a drawing OCR cannot
confirm (the leader's review), task 1 as a PDF (review), a misnamed zip and a bare notebook
without its drawing. Deterministic (fixed dates and zip timestamps), so a rerun hits the cache.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import nbformat
from PIL import Image, ImageDraw, ImageFont

from grader.demo_repo import Upload, build_class_repo
from grader.pack import load_pack

FOLDER = "Basic Study/DL/week3"
ZIP_TIME = (2026, 7, 28, 12, 0, 0)
FORMAT = "demo-week3-v1"
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


def _font(size: int) -> ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _drawing(result: str) -> bytes:
    """A typed 'drawing' of the sigmoid's graph ending in the given dy/dx."""
    img = Image.new("RGB", (1100, 300), "white")
    draw = ImageDraw.Draw(img)
    draw.text((40, 40), "x -> [x(-1)] -> [exp] -> [+1] -> [1/x] -> y", fill="black", font=_font(40))
    draw.text((40, 150), f"dy/dx = {result}", fill="black", font=_font(40))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _notebook(variant: str) -> bytes:
    variants = load_pack("week3").module("variants_module")
    return nbformat.writes(variants.make_notebook(variants.variant(variant))).encode("utf-8")


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, ZIP_TIME), data)
    return buf.getvalue()


def uploads() -> list[tuple[str, bytes, str]]:
    """(path inside FOLDER, bytes, ISO date) for each upload, oldest first (deadline 2026-08-05)."""
    right = _drawing("y(1-y)")

    def both(student: str, variant: str, image: tuple[str, bytes] | None = None) -> bytes:
        image = image or (f"3주차 과제1_{student}.png", right)
        return _zip([image, (f"3주차 과제2_{student}.ipynb", _notebook(variant))])

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return [
        ("3주차 과제_25기_김민준.zip", both("25기_김민준", "correct"), "2026-07-29T20:00:00+09:00"),
        ("3주차 과제_25기_이서연.zip", both("25기_이서연", "ce_no_log", ("3주차 과제1_25기_이서연.png", _drawing("e^-x/(1+e^-x)^2"))),
         "2026-07-30T09:30:00+09:00"),
        ("3주차 과제_25기_박지호.zip", both("25기_박지호", "softmax_axis0", ("3주차 과제1_25기_박지호.pdf", pdf)),
         "2026-07-30T13:00:00+09:00"),
        ("3주차_과제_25기_최유나.zip", both("25기_최유나", "momentum_sign"), "2026-07-31T18:45:00+09:00"),
        ("3주차 과제2_24기_정하늘.ipynb", _notebook("affine_no_bias"), "2026-08-01T08:00:00+09:00"),
    ]


def build_demo_repo(dest: Path) -> tuple[Path, str]:
    """Build (or reuse) the demo class repository at dest; returns (repo path, folder)."""
    readme = "# KUBIG 2026 Summer (demo)\n\nBasic Study/DL/week3 과제 제출 폴더\n"
    ups = [Upload(path, data, date) for path, data, date in uploads()]
    return build_class_repo(dest, FOLDER, FORMAT, readme, "2026-07-09T10:00:00+09:00", ups), FOLDER
