"""The bundled demo cohort: a real local git class repository, built from our own fixtures.

`grade week2` with no SOURCE grades this repository. It looks like KUBIG's: one repository,
students upload into `Basic Study/DL/2주차/` straight on main ("Add files via upload"), and it
holds what real semesters hold: correct and buggy notebooks, a misnamed zip, a macOS zip
with NFD names (and a later byte-identical NFD-path copy), a Windows zip with CP949 names,
a screenshot with the epoch cropped out, a bare notebook, a broken zip, a fix pushed after
the deadline and a student who only submitted late. Everything is deterministic (fixed
dates, fixed zip timestamps), so a second run hits the result cache.
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import nbformat

from grader.demo_repo import Upload, build_class_repo


FOLDER = "Basic Study/DL/2주차"
ZIP_TIME = (2025, 9, 14, 12, 0, 0)
FORMAT = "demo-v2"


class _RawNameInfo(zipfile.ZipInfo):
    """A ZipInfo whose name is written as given bytes, without the UTF-8 flag (macOS/Windows tools)."""

    raw_name: bytes = b""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's private hook)
        return self.raw_name, self.flag_bits & ~0x800


def _zip(entries: list[tuple[str, bytes]], encoding: str = "utf-8-flag", wrapper: str | None = None) -> bytes:
    """A zip of entries; encoding: utf-8-flag | nfd (UTF-8 NFD, no flag) | cp949 (no flag)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            name = f"{wrapper}/{name}" if wrapper else name
            if encoding == "utf-8-flag":
                info = zipfile.ZipInfo(name, ZIP_TIME)
            else:
                info = _RawNameInfo(name, ZIP_TIME)
                text = unicodedata.normalize("NFD", name) if encoding == "nfd" else name
                info.raw_name = text.encode("utf-8" if encoding == "nfd" else "cp949")
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
        if encoding == "nfd":  # what macOS Finder adds
            meta = _RawNameInfo("__MACOSX/._x", ZIP_TIME)
            meta.raw_name = b"__MACOSX/._" + unicodedata.normalize("NFD", entries[0][0]).encode()
            zf.writestr(meta, b"\x00\x05\x16\x07")
    return buf.getvalue()


def _notebook_bytes(variant_name: str) -> bytes:
    from . import variants
    nb = variants.make_notebook(variants.variant(variant_name))
    return nbformat.writes(nb).encode()


def _screenshot(**kw) -> bytes:
    from .playground.render import render_playground

    with tempfile.TemporaryDirectory(prefix="kubig-demo-") as tmp:
        shot = Path(tmp) / "shot.png"
        render_playground(shot, scale=1.5, **kw)
        return shot.read_bytes()


def uploads() -> list[Upload]:
    """The demo's commits, oldest first. Deadline: 2025-09-16 23:59 KST."""
    good = _screenshot()
    high_loss = _screenshot(test_loss="0.012", training_loss="0.009", epoch="000,912")
    cropped = _screenshot(epoch=None)
    nb = _notebook_bytes
    on_time, late = "2025-09-15T21:10:00+09:00", "2025-09-18T10:00:00+09:00"
    minjun = _zip([("2주차 과제_25기_김민준.ipynb", nb("correct")), ("playground.png", good)])
    yuna = _zip([("2주차 과제_25기_최유나.ipynb", nb("ce_no_minus")), ("스크린샷.png", good)], encoding="nfd")
    return [
        Upload("2주차 과제_25기_김민준.zip", minjun, "2025-09-14T20:00:00+09:00"),
        Upload("2주차 과제_25기_이서연.zip", _zip([("과제.ipynb", nb("loss_sum")), ("result.png", good)],
                                                wrapper="2주차 과제_25기_이서연"), "2025-09-15T09:30:00+09:00"),
        Upload("2주차_과제_25기_박지호.zip", _zip([("박지호.ipynb", nb("correct")), ("playground.jpg", high_loss)]),
               "2025-09-15T13:00:00+09:00"),
        Upload("2주차 과제_25기_최유나.zip", yuna, "2025-09-15T18:45:00+09:00", nfd_path=True),
        Upload("2주차 과제_24기_정하늘.zip", _zip([("정하늘_과제.ipynb", nb("softmax_wrong_axis")), ("캡처.PNG", cropped)],
                                                encoding="cp949"), "2025-09-16T08:00:00+09:00"),
        Upload("2주차 과제_25기_강도윤.zip", _zip([("강도윤.ipynb", nb("forward_no_bias")), ("pg.png", good)]), on_time),
        Upload("2주차 과제_25기_윤채원.zip", minjun[: len(minjun) // 3], "2025-09-16T22:00:00+09:00"),
        Upload("2주차 과제_24기_임수아.ipynb", nb("no_requires_grad"), "2025-09-16T23:30:00+09:00"),
        # after the deadline: a fix (the on-time version is graded), a late-only student, a Mac re-upload
        Upload("2주차 과제_25기_강도윤.zip", _zip([("강도윤.ipynb", nb("correct")), ("pg.png", good)]), late),
        Upload("2주차 과제_25기_한지우.zip", _zip([("한지우.ipynb", nb("correct")), ("pg.png", good)]), late),
        Upload("2주차 과제_25기_김민준.zip", minjun, "2025-09-19T11:00:00+09:00", nfd_path=True),
    ]


def build_demo_repo(dest: Path) -> tuple[Path, str]:
    """Build (or reuse) the demo class repository at dest; returns (repo path, folder)."""
    readme = "# KUBIG 2025 Fall (demo)\n\nBasic Study/DL/2주차 과제 제출 폴더\n"
    return build_class_repo(dest, FOLDER, FORMAT, readme, "2025-09-01T10:00:00+09:00", uploads()), FOLDER
