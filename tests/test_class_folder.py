"""What a real class folder holds besides submissions (issue 10, items 6 and 9), against real
local git repositories made by code: the blank template, README, slides and hidden files are
skipped (with the reason), every student's file stays a row, and a partial clone whose blobs
are missing gives one "unreadable" row per student instead of silence."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.pack import Pack, load_pack
from grader.sources import discover_class_repo, discover_local
from grader.sources.versions import SKIP_HIDDEN, SKIP_NOT_SUBMISSION, SKIP_TEMPLATE, is_blank_template, pack_template

try:
    from tests.gitfactory import GitFactory, kst, zip_bytes
except ImportError:  # tests/ is not a package
    from gitfactory import GitFactory, kst, zip_bytes

FOLDER = "Basic Study/DL/week2"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def filled(template: bytes) -> bytes:
    """The template with one blank filled in: a student's (unnamed) work."""
    nb = json.loads(template)
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "def softmax" in src:
            cell["source"] = "def softmax(X):\n    X_exp = torch.exp(X)\n    return X_exp / X_exp.sum(1, keepdims=True)\n"
    return json.dumps(nb).encode()


def build_folder_repo(root: Path, pack: Pack) -> GitFactory:
    template = pack.file("template").read_bytes()
    f = GitFactory(root / "class")
    d = FOLDER
    f.write(f"{d}/.gitkeep", b"").write("README.md", b"# class\n")
    f.commit(kst("09-01 10:00"))
    f.write(f"{d}/README.md", "과제는 여기에 올려 주세요\n".encode())
    f.write(f"{d}/DL_2주차_과제.ipynb", template)
    f.write(f"{d}/2주차 슬라이드.pdf", b"%PDF-1.4 slides")
    f.write(f"{d}/.DS_Store", b"\0\0\0\1Bud1")
    f.commit(kst("09-02 10:00"))
    f.write(f"{d}/2주차_24기_김지원.zip", zip_bytes("kim"))  # misnamed: still a student
    f.write(f"{d}/2주차 과제_24기_김지원.png", b"\x89PNG kim")  # beside her zip: skipped
    f.write(f"{d}/2주차과제_21기_X.zip", zip_bytes("x"))
    f.write(f"{d}/2주차 과제_21기_이준언.ipynb", template)  # names a student: a row, however blank
    f.write(f"{d}/과제.ipynb", filled(template))  # names nobody, but is work: a flagged row
    f.write(f"{d}/final.zip", zip_bytes("anon"))  # a zip naming nobody: a flagged row
    f.write(f"{d}/2주차 과제_24기_박서준.pdf", b"%PDF his only upload")  # names a student, nothing else
    f.commit(kst("09-14 10:00"))
    return f


def test_blank_template_rule(pack):
    template = pack.file("template").read_bytes()
    rule = pack_template(pack)
    assert is_blank_template(template, rule)
    assert not is_blank_template(filled(template), rule)
    assert not is_blank_template(b'{"cells": [], "nbformat": 4}', rule)  # no code at all: not "the template"
    assert not is_blank_template(b"not json", rule) and not is_blank_template(template, None)
    nb = json.loads(template)  # the template plus the leader's own note cell: still the template
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "2026 여름"})
    assert is_blank_template(json.dumps(nb).encode(), rule)


def test_class_folder_skips_what_is_not_a_student(pack, tmp_path):
    f = build_folder_repo(tmp_path, pack)
    found = discover_class_repo(f.url, FOLDER, pack, tmp_path / "c", tmp_path / "m")
    subs = {s.key: s for s in found}
    assert set(subs) == {"24기_김지원", "21기_X", "21기_이준언", "24기_박서준", "unknown_과제", "unknown_final"}
    assert subs["24기_김지원"].display_name == "2주차_24기_김지원.zip"
    assert subs["24기_박서준"].display_name.endswith(".pdf")
    assert subs["unknown_과제"].extra["unidentified"] and subs["unknown_final"].extra["unidentified"]
    skipped = {s.path: s.reason for s in found.skipped}
    assert skipped == {
        ".gitkeep": SKIP_HIDDEN,
        ".DS_Store": SKIP_HIDDEN,
        "README.md": SKIP_NOT_SUBMISSION,
        "2주차 슬라이드.pdf": SKIP_NOT_SUBMISSION,
        "DL_2주차_과제.ipynb": SKIP_TEMPLATE,
        "2주차 과제_24기_김지원.png": skipped["2주차 과제_24기_김지원.png"],
    }
    assert "2주차_24기_김지원.zip" in skipped["2주차 과제_24기_김지원.png"].en
    assert FOLDER in found.where


def test_local_folder_skips_too(pack, tmp_path):
    template = pack.file("template").read_bytes()
    folder = tmp_path / "week2"
    folder.mkdir()
    (folder / "DL_2주차_과제.ipynb").write_bytes(template)
    (folder / "README.md").write_text("upload here")
    (folder / ".gitkeep").write_bytes(b"")
    (folder / "2주차 과제_21기_이준언.ipynb").write_bytes(template)
    (folder / "2주차_24기_김지원.zip").write_bytes(b"PK")
    found = discover_local(folder, pack)
    assert {s.key for s in found} == {"21기_이준언", "24기_김지원"}
    assert {s.path: s.reason for s in found.skipped} == {
        ".gitkeep": SKIP_HIDDEN, "README.md": SKIP_NOT_SUBMISSION, "DL_2주차_과제.ipynb": SKIP_TEMPLATE}


def test_empty_week_folder_finds_nothing_and_says_where(pack, tmp_path):
    f = GitFactory(tmp_path / "class")
    f.write(f"{FOLDER}/.gitkeep", b"").commit(kst("09-01 10:00"))
    found = discover_class_repo(f.url, FOLDER, pack, tmp_path / "c", tmp_path / "m")
    assert list(found) == [] and [s.path for s in found.skipped] == [".gitkeep"]
    assert FOLDER in found.where


# ---------------------------------------------------------------- partial clone (item 9)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def partial_clone(tmp_path, pack) -> Path:
    """`git clone --filter=blob:none --no-checkout` of a class repository whose origin is then gone."""
    f = build_folder_repo(tmp_path / "origin", pack)
    git("config", "uploadpack.allowFilter", "true", cwd=f.path)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=f.path)
    clone = tmp_path / "partial"
    git("clone", "-q", "--filter=blob:none", "--no-checkout", f.path.as_uri(), str(clone))
    shutil.rmtree(f.path)  # the promisor remote is unreachable: blobs cannot be fetched lazily
    return clone


def test_partial_clone_gives_unreadable_rows(pack, tmp_path, partial_clone):
    found = discover_class_repo(str(partial_clone), FOLDER, pack, tmp_path / "c", tmp_path / "m")
    subs = {s.key: s for s in found}
    assert set(subs) == {"24기_김지원", "21기_X", "21기_이준언", "24기_박서준", "unknown_과제", "unknown_final"}
    for s in subs.values():
        assert (s.status, s.path) == ("unreadable", None), s
        assert "missing" in s.detail and "partial clone" in s.detail, s.detail
        assert s.extra["message"]["en"].startswith("The submission's file content")
        assert s.extra["message"]["ko"] and s.commit and s.submitted_at
    assert found.warnings and "6 submission(s) cannot be read" in found.warnings[0].en
    # the unnamed template cannot be read, so the template rule cannot apply; it is skipped only
    # because the bare notebook of 21기_이준언 holds the same bytes (git knows that without the blob)
    skipped = {s.path: s.reason for s in found.skipped}
    assert "21기_이준언" in skipped["DL_2주차_과제.ipynb"].en


def test_shallow_clone_warns_that_times_are_unknown(pack, tmp_path):
    f = build_folder_repo(tmp_path / "origin", pack)
    shallow = tmp_path / "shallow"
    git("clone", "-q", "--depth", "1", f.path.as_uri(), str(shallow))
    found = discover_class_repo(str(shallow), FOLDER, pack, tmp_path / "c", tmp_path / "m")
    assert len(found) == 6 and all(s.path is not None for s in found)  # the tip's blobs are all there
    assert any("history is shallow" in w.en and "얕은 클론" in w.ko for w in found.warnings)
