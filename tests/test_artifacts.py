"""open_submission on zips, folders and bare notebooks; the naming and artifacts checks on the result."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import nbformat
import pytest

from grader.intake.artifacts import open_submission
from grader.intake.checks import artifacts_check, naming_check
from grader.models import Intake, Status
from grader.pack import Pack, load_pack
from zipfactory import (
    UTF8_FLAG,
    ZEntry,
    jpeg_bytes,
    notebook_bytes,
    notebook_v3_bytes,
    png_bytes,
    stdlib_zip,
    write_zip,
)

GOOD = "2주차 과제_22기_박세훈.zip"
REAL = Path("/work/shared/kubig/week2/submissions-2025-fall")


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _open(pack: Pack, source: Path, tmp_path: Path, **kw: object) -> Intake:
    return open_submission(source, tmp_path / "work", pack, **kw)


def _checks(intake: Intake, pack: Pack) -> tuple[float, float]:
    naming = naming_check(intake.name, pack.check("naming"))
    artifacts = artifacts_check(intake, pack, pack.check("artifacts"))
    return naming.points, artifacts.points


def _texts(intake: Intake) -> str:
    return " ".join(p.ko + " " + p.en for p in intake.problems)


def test_good_zip(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"DL_2주차_과제.ipynb": notebook_bytes(), "playground.png": png_bytes()})
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.problems == ()
    assert intake.name.name == "박세훈" and intake.name.conforms
    assert intake.notebook == tmp_path / "work" / "submission.ipynb"
    assert nbformat.read(intake.notebook, as_version=4).cells[1].source == "x = 1"
    assert intake.artifact("screenshot") == tmp_path / "work" / "screenshot.png"
    assert intake.files == ("DL_2주차_과제.ipynb", "playground.png")
    assert _checks(intake, pack) == (5.0, 5.0)


def test_macos_zip_with_nfd_names_and_metadata(tmp_path: Path, pack: Pack) -> None:
    nfd = unicodedata.normalize("NFD", "과제 스크린샷.JPG").encode("utf-8")
    nb = unicodedata.normalize("NFD", "DL_2주차_과제.ipynb").encode("utf-8")
    src = write_zip(tmp_path / unicodedata.normalize("NFD", GOOD), [
        ZEntry(nb, notebook_bytes()), ZEntry(b"__MACOSX/._" + nb, b"\x00\x05\x16\x07"),
        ZEntry(nfd, jpeg_bytes()), ZEntry(b"__MACOSX/._" + nfd, b"\x00\x05\x16\x07"),
    ])
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.problems == () and intake.name.conforms
    assert intake.files == ("DL_2주차_과제.ipynb", "과제 스크린샷.JPG")
    assert intake.artifact("screenshot") is not None and intake.artifact("screenshot").name == "screenshot.jpg"
    assert {s.reason for s in intake.extra["skipped"]} == {"junk"}


def test_bare_notebook_loses_screenshot_points(tmp_path: Path, pack: Pack) -> None:
    src = tmp_path / "2주차 과제_21기_김철수.ipynb"
    src.write_bytes(notebook_bytes())
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.artifact("screenshot") is None and intake.notebook is not None
    assert intake.name.expected_name == "2주차 과제_21기_김철수.zip"
    result = artifacts_check(intake, pack, pack.check("artifacts"))
    assert result.points == 2.5 and result.status == Status.FAIL
    assert "스크린샷" in result.message.ko and "screenshot" in result.message.en


def test_display_name_overrides_file_name(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / "blob-1234", {"a.ipynb": notebook_bytes(), "s.png": png_bytes()})
    intake = _open(pack, src, tmp_path, display_name=f"Basic Study/DL/2주차/{GOOD}")
    assert intake.name.conforms and intake.name.name == "박세훈"
    assert intake.status == "ok" and intake.problems == ()


def test_folder_with_nfc_nfd_twins_counts_once(tmp_path: Path, pack: Pack) -> None:
    folder = tmp_path / "2주차"
    folder.mkdir()
    for form in ("NFC", "NFD"):
        (folder / unicodedata.normalize(form, "과제.ipynb")).write_bytes(notebook_bytes())
        (folder / unicodedata.normalize(form, "스크린샷.png")).write_bytes(png_bytes())
    (folder / ".DS_Store").write_bytes(b"junk")
    intake = _open(pack, folder, tmp_path, display_name=GOOD)
    assert intake.status == "ok" and intake.problems == ()
    assert intake.files == ("과제.ipynb", "스크린샷.png")
    assert any("NFC/NFD" in n.en for n in intake.extra["notes"])


def test_several_notebooks_pick_most_code(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {
        "Untitled.ipynb": notebook_bytes(("print(1)",)),
        "DL_2주차_과제.ipynb": notebook_bytes(("a = 1", "b = 2", "c = a + b")),
        "s.png": png_bytes(),
    })
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.extra["notebook_source"] == "DL_2주차_과제.ipynb"
    assert "Untitled.ipynb" in _texts(intake)
    assert _checks(intake, pack) == (5.0, 5.0)


@pytest.mark.parametrize("content, hint", [(b"", "0바이트"), (b'{"cells": [', "JSON"), (b'{"a": 1}', "형식")],
                         ids=["zero-byte", "invalid-json", "not-a-notebook"])
def test_unusable_notebook(tmp_path: Path, pack: Pack, content: bytes, hint: str) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"DL_2주차_과제.ipynb": content, "s.png": png_bytes()})
    intake = _open(pack, src, tmp_path)
    assert intake.status == "missing-notebook" and intake.notebook is None
    assert hint in _texts(intake) and "DL_2주차_과제.ipynb" in _texts(intake)
    result = artifacts_check(intake, pack, pack.check("artifacts"))
    assert result.points == 2.5 and "노트북" in result.message.ko


def test_zero_byte_notebook_next_to_good_one(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"empty.ipynb": b"", "real.ipynb": notebook_bytes(), "s.png": png_bytes()})
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.extra["notebook_source"] == "real.ipynb"
    assert "empty.ipynb" in _texts(intake)


def test_nbformat3_is_converted_with_note(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"old.ipynb": notebook_v3_bytes(("y = 2",)), "s.png": png_bytes()})
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.extra["nbformat_converted_from"] == 3
    nb = nbformat.read(intake.notebook, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4 and nb.cells[0].source == "y = 2"
    assert any("nbformat 3" in n.en for n in intake.extra["notes"])


def test_pdf_is_not_a_screenshot(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"a.ipynb": notebook_bytes(), "playground.pdf": b"%PDF-1.4\n"})
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.artifact("screenshot") is None
    assert "playground.pdf" in _texts(intake) and intake.extra["pdfs"] == ("playground.pdf",)
    assert artifacts_check(intake, pack, pack.check("artifacts")).points == 2.5


def test_several_images_pick_the_playground_one(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"a.ipynb": notebook_bytes(), "IMG_0001.png": png_bytes() + bytes(100),
                                       "playground 결과.PNG": png_bytes()})
    intake = _open(pack, src, tmp_path)
    assert intake.extra["screenshot_source"] == "playground 결과.PNG"
    assert len(intake.extra["screenshot_candidates"]) == 2
    assert any("IMG_0001.png" in n.ko for n in intake.extra["notes"])


def test_fake_image_is_rejected(tmp_path: Path, pack: Pack) -> None:
    src = stdlib_zip(tmp_path / GOOD, {"a.ipynb": notebook_bytes(), "shot.png": b""})
    intake = _open(pack, src, tmp_path)
    assert intake.artifact("screenshot") is None and "shot.png" in _texts(intake)


def test_zero_byte_zip_is_unreadable(tmp_path: Path, pack: Pack) -> None:
    src = tmp_path / GOOD
    src.write_bytes(b"")
    intake = _open(pack, src, tmp_path)
    assert intake.status == "unreadable" and intake.extra["archive_error"] == "empty"
    assert intake.name.conforms  # the name is still judged on its own
    result = artifacts_check(intake, pack, pack.check("artifacts"))
    assert result.points == 0 and "0바이트" in result.message.ko


def test_notebook_renamed_zip_is_graded_as_notebook(tmp_path: Path, pack: Pack) -> None:
    src = tmp_path / GOOD
    src.write_bytes(notebook_bytes())
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.notebook is not None and intake.artifact("screenshot") is None
    assert "이름만 바꾼 노트북" in _texts(intake)


def test_rar_is_unreadable(tmp_path: Path, pack: Pack) -> None:
    src = tmp_path / GOOD
    src.write_bytes(b"Rar!\x1a\x07\x00" + bytes(64))
    intake = _open(pack, src, tmp_path)
    assert intake.status == "unreadable" and "rar" in _texts(intake)


def test_hostile_zip_still_yields_good_entries(tmp_path: Path, pack: Pack) -> None:
    src = write_zip(tmp_path / GOOD, [ZEntry("../../evil.ipynb", notebook_bytes()),
                                      ZEntry("과제.ipynb", notebook_bytes(), flags=UTF8_FLAG),
                                      ZEntry("s.png", png_bytes())])
    intake = _open(pack, src, tmp_path)
    assert intake.status == "ok" and intake.extra["notebook_source"] == "과제.ipynb"
    assert "../../evil.ipynb" in _texts(intake)
    assert not (tmp_path / "evil.ipynb").exists()


def test_rerun_in_same_workdir_drops_stale_outputs(tmp_path: Path, pack: Pack) -> None:
    first = stdlib_zip(tmp_path / "a.zip", {"a.ipynb": notebook_bytes(), "s.jpg": jpeg_bytes()})
    second = stdlib_zip(tmp_path / "b.zip", {"a.ipynb": notebook_bytes()})
    _open(pack, first, tmp_path)
    intake = _open(pack, second, tmp_path)
    assert intake.artifact("screenshot") is None and not list((tmp_path / "work").glob("screenshot.*"))


def test_missing_source(tmp_path: Path, pack: Pack) -> None:
    intake = _open(pack, tmp_path / GOOD, tmp_path)
    assert intake.status == "unreadable"


@pytest.mark.real
@pytest.mark.skipif(not REAL.is_dir(), reason="real KUBIG submissions not available")
def test_real_submissions(tmp_path: Path, pack: Pack) -> None:
    got = {}
    for i, name in enumerate(sorted(os.listdir(REAL))):
        intake = open_submission(REAL / name, tmp_path / str(i), pack)
        assert intake.status == "ok", (name, intake.problems)
        nb = json.loads(intake.notebook.read_text(encoding="utf-8"))
        assert nb["nbformat"] == 4 and len(nb["cells"]) > 10
        got[intake.name.name] = intake
    assert set(got) == {"이준언", "성용빈", "이세훈", "이은서"}
    zips = [g for g in got.values() if g.source.suffix == ".zip"]
    assert len(zips) == 3 and all(g.name.conforms for g in zips)
    assert not got["이준언"].name.conforms and got["이준언"].artifact("screenshot") is None
    assert got["성용빈"].artifact("screenshot") is not None and got["이은서"].artifact("screenshot") is not None
    # The third zip holds its Playground result only as a PDF: noted, not accepted.
    assert got["이세훈"].artifact("screenshot") is None and len(got["이세훈"].extra["pdfs"]) == 1
    assert got["이은서"].extra["entry_encodings"] == {"DL_2주차_과제.ipynb": "utf-8-flag", "과제 스크린샷.png": "utf-8-flag"}
    assert set(got["성용빈"].extra["entry_encodings"].values()) == {"utf-8"}  # NFD, no flag
    for g in zips:
        assert all(s.reason in {"junk", "directory"} for s in g.extra["skipped"])
        assert all(unicodedata.is_normalized("NFC", f) for f in g.files)


def test_lone_image_renamed_zip(tmp_path: Path, pack: Pack) -> None:
    src = tmp_path / GOOD
    src.write_bytes(png_bytes())
    intake = _open(pack, src, tmp_path)
    assert intake.status == "missing-notebook" and intake.artifact("screenshot") is not None
    assert "zip 압축 파일이 아닙니다" in _texts(intake) and "노트북" in _texts(intake)
