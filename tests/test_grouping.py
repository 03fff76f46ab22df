"""Packs with several files per student (week 3's shape): naming patterns, artifact roles and the
grouping of a student's loose files into one submission, on the two real week-3 class
repositories. The pack here is built by the test (the week-3 pack itself has its own tests); it
declares what week 3 asks: a task-1 image (png/jpg/jpeg/pdf), a task-2 notebook, or one zip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from grader.intake.artifacts import open_submission
from grader.intake.naming import parse_name, pattern_index
from grader.pack import Pack, PackError, load_pack
from grader.sources import RosterRow, discover_class_repo, discover_local, discover_roster

try:
    from tests.gitfactory import build_student_repo
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from gitfactory import build_student_repo

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "kubig" / "week3"
SUMMER = SHARED / "class-repo-2026-summer" / "class-repo.bundle"
FALL = SHARED / "class-repo-2025-fall" / "class-repo.bundle"

MANIFEST = '''
id = "week3shape"
week = 3
title = { ko = "3주차 모양", en = "week-3 shape" }
deadline = "2026-08-10T23:59:00"
folders = ["Basic Study/DL/3주차", "Basic Study/DL/week3"]

[naming]
check = "naming"

[[naming.files]]
pattern = "{week}주차 과제1_{cohort}기_{name}.png"
extensions = ["jpg", "jpeg", "pdf"]
holds = ["image"]
task = 1

[[naming.files]]
pattern = "{week}주차 과제2_{cohort}기_{name}.ipynb"
holds = ["notebook"]
task = 2

[[naming.files]]
pattern = "{week}주차 과제_{cohort}기_{name}.zip"
holds = ["image", "notebook"]

[artifacts]
check = "artifacts"

[[artifacts.roles]]
id = "notebook"
kind = "notebook"
extensions = ["ipynb"]
max = 1
title = { ko = "과제2 노트북", en = "task-2 notebook" }

[[artifacts.roles]]
id = "image"
kind = "image"
extensions = ["png", "jpg", "jpeg", "pdf"]
title = { ko = "과제1 그림", en = "task-1 image" }

[runtime]
requirements = []

[[checks]]
id = "naming"
points = 5

[[checks]]
id = "artifacts"
points = 5
'''

# 2026 summer, Basic Study/DL/week3 at the tip: who uploaded what (read from the bundle).
LOOSE = {"23기_김석우", "23기_신지유", "23기_이서현", "23기_조호평", "23기_홍준기", "24기_고서연", "24기_김가현",
         "24기_박민준", "24기_손윤나", "24기_오은하", "24기_이신영", "24기_채승민"}
ZIPPED = {"24기_김려원", "24기_김지원", "24기_이정용"}
CONFORMING = {"23기_신지유", "24기_고서연", "24기_박민준", "24기_손윤나", "24기_오은하", "24기_이신영", "24기_채승민",
              "24기_김려원"}


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    folder = tmp_path_factory.mktemp("week3shape")
    (folder / "assignment.toml").write_text(MANIFEST, encoding="utf-8")
    return load_pack(folder)


def _clone(bundle: Path, dest: Path) -> Path:
    if not bundle.is_file():
        pytest.skip(f"{bundle} is not there")
    subprocess.run(["git", "clone", "-q", str(bundle), str(dest)], check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def summer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clone(SUMMER, tmp_path_factory.mktemp("summer") / "repo")


@pytest.fixture(scope="module")
def fall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clone(FALL, tmp_path_factory.mktemp("fall") / "repo")


def _intake(sub, pack: Pack, work: Path):
    return open_submission(sub.path, work / sub.key, pack, display_name=sub.display_name,
                           part_names=tuple(sub.extra.get("parts", ())))


def test_week3_naming_rule_knows_the_task_of_each_file(shape: Pack) -> None:
    rule = shape.naming
    assert [pattern_index(n, rule) for n in ("3주차 과제1_23기_신지유.png", "3주차 과제2_23기_신지유.ipynb",
                                             "3주차 과제_24기_김려원.zip", "3주차 과제_22기_성용빈_1.jpg",
                                             "DL_3주차_과제_2___22기___이세훈.ipynb")] == [0, 1, 2, 0, 1]
    good = parse_name("3주차 과제1_24기_박민준.jpeg", rule, 3)
    assert good.conforms and good.expected_name == "3주차 과제1_24기_박민준.jpeg"  # its own image type is fine
    apart = parse_name("3주차 과제_22기_성용빈_1.jpg", rule, 3)
    assert (apart.cohort, apart.name, apart.conforms) == (22, "성용빈", False)
    assert apart.expected_name == "3주차 과제1_22기_성용빈.jpg"
    assert any("과제1" in p.ko and "과제1" in p.en for p in apart.problems)
    bare = parse_name("3주차 과제_21기_이준언.ipynb", rule, 3)
    assert bare.expected_name == "3주차 과제2_21기_이준언.ipynb" and any("과제2" in p.en for p in bare.problems)
    swapped = parse_name("3주차 과제2_21기_이준언.png", rule, 3)
    assert any("task 2" in p.en and "task 1" in p.en for p in swapped.problems)


def test_class_repo_groups_each_students_files_into_one_row(shape: Pack, summer: Path, tmp_path: Path) -> None:
    found = discover_class_repo(str(summer), "Basic Study/DL/week3", shape, tmp_path / "cache", tmp_path / "mat")
    subs = {s.key: s for s in found}
    assert len(subs) == len(found)  # one row per student
    assert LOOSE | ZIPPED <= set(subs)
    for key in LOOSE:
        parts = subs[key].extra["parts"]
        assert len(parts) == 2 and any(p.endswith(".ipynb") for p in parts), (key, parts)
        assert sorted(p.name for p in subs[key].path.iterdir()) == sorted(parts)
    for key in ZIPPED:
        assert "parts" not in subs[key].extra and subs[key].display_name.endswith(".zip")
    assert [s.path for s in found.skipped] == [".gitkeep"]
    intakes = {k: _intake(subs[k], shape, tmp_path / "work") for k in LOOSE | ZIPPED}
    assert {k for k, it in intakes.items() if it.name.conforms} == CONFORMING
    for key, it in intakes.items():
        assert it.notebook is not None, key
        if key != "23기_김석우":
            assert it.artifact("image") is not None, (key, it.problems)
    # 김석우's image is a 0-byte file (README: stands for a file our copy lacks): said, and missing
    texts = " ".join(m.en for m in intakes["23기_김석우"].problems)
    assert "empty" in texts and "task-1 image" in texts
    hong = intakes["23기_홍준기"].name  # both files misnamed the same way: each named in the message
    assert hong.expected_name == "3주차 과제1_23기_홍준기.png + 3주차 과제2_23기_홍준기.ipynb"
    assert all(p.en.startswith("'3주차_과제") for p in hong.problems)


def test_older_cohort_task_numbers_after_the_name_and_a_pdf_image(shape: Pack, fall: Path, tmp_path: Path) -> None:
    found = discover_class_repo(str(fall), "Basic Study/DL/3주차", shape, tmp_path / "cache", tmp_path / "mat")
    subs = {s.key: s for s in found}
    assert set(subs) == {"21기_이준언", "22기_성용빈", "22기_이세훈", "22기_이은서"}
    assert [s.path for s in found.skipped] == ["25-2_DL_3주차.pdf"]  # the slides name nobody
    assert sorted(subs["22기_이세훈"].extra["parts"]) == ["3주차 과제1_22기_이세훈.pdf",
                                                       "DL_3주차_과제_2___22기___이세훈.ipynb"]
    lee = _intake(subs["22기_이은서"], shape, tmp_path / "work")
    assert lee.artifact("image") is not None and lee.artifact("image").suffix == ".pdf" and lee.notebook is not None
    only_nb = _intake(subs["21기_이준언"], shape, tmp_path / "work")
    assert only_nb.artifact("image") is None and any("task-1 image" in m.en for m in only_nb.problems)


def test_local_folder_groups_the_same_way(shape: Pack, fall: Path, tmp_path: Path) -> None:
    found = discover_local(fall / "Basic Study" / "DL" / "3주차", shape, group_dir=tmp_path / "groups")
    subs = {s.key: s for s in found}
    assert set(subs) == {"21기_이준언", "22기_성용빈", "22기_이은서", "22기_이세훈"}
    assert sorted(subs["22기_성용빈"].extra["parts"]) == ["3주차 과제_22기_성용빈_1.jpg", "3주차 과제_22기_성용빈_2.ipynb"]
    assert "25-2_DL_3주차.pdf" in [s.path for s in found.skipped]
    assert not any(s.path.startswith("3주차 과제_22기") for s in found.skipped)  # grouped files are used


def test_week2_never_groups_a_bare_notebook_and_a_zip(tmp_path: Path) -> None:
    week2 = load_pack("week2")
    assert not week2.naming.grouped
    (tmp_path / "2주차 과제_21기_이준언.ipynb").write_text('{"cells": [], "nbformat": 4}', encoding="utf-8")
    (tmp_path / "2주차 과제_22기_박세훈.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (tmp_path / "2주차 과제_22기_박세훈.ipynb").write_text('{"cells": [], "nbformat": 4}', encoding="utf-8")
    found = discover_local(tmp_path, week2, group_dir=tmp_path / "groups")
    assert sorted(s.key for s in found) == ["21기_이준언", "22기_박세훈"]
    assert all("parts" not in s.extra and s.path.is_file() for s in found)
    assert not (tmp_path / "groups").exists()


@pytest.mark.parametrize("change, error", [
    (("holds = [\"image\"]", "holds = [\"drawing\"]"), "drawing"),
    (("kind = \"image\"", "kind = \"notebook\""), "at most one"),
    (("{week}주차 과제1_{cohort}기_{name}.png", "{week}주차 과제1_{name}.png"), "{cohort}"),
])
def test_malformed_roles_or_patterns_are_refused(tmp_path: Path, change: tuple[str, str], error: str) -> None:
    (tmp_path / "assignment.toml").write_text(MANIFEST.replace(*change), encoding="utf-8")
    with pytest.raises(PackError, match=error):
        load_pack(tmp_path)


def test_a_lone_empty_image_says_it_is_empty_not_a_zip(shape: Pack, tmp_path: Path) -> None:
    folder = tmp_path / "week3"
    folder.mkdir()
    (folder / "3주차 과제1_23기_김석우.jpg").write_bytes(b"")  # the real cohort has one (README: 0 bytes)
    [sub] = discover_local(folder, shape, group_dir=tmp_path / "groups")
    intake = _intake(sub, shape, tmp_path / "work")
    assert intake.status == "unreadable"
    assert intake.problems[0].en == "'3주차 과제1_23기_김석우.jpg' is empty (0 bytes); save the file again and re-upload it."


def test_roster_repository_with_both_task_files_is_one_submission(shape: Pack, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    nb = b'{"cells": [{"id": "c1", "cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    repo = build_student_repo(tmp_path / "repos", "kim", [
        ("3주차 과제1_24기_김가현.png", png, "08-01 10:00"),
        ("3주차 과제2_24기_김가현.ipynb", nb, "08-02 11:00"),
    ])
    [sub] = discover_roster([RosterRow("1", "김가현", 24, "", str(repo.path), None, None)], shape,
                            tmp_path / "cache", tmp_path / "mat")
    assert sorted(sub.extra["parts"]) == ["3주차 과제1_24기_김가현.png", "3주차 과제2_24기_김가현.ipynb"]
    assert sub.submitted_at.startswith("2025-08-02T11:00") and not sub.late  # the later file decides
    intake = _intake(sub, shape, tmp_path / "work")
    assert intake.name.conforms and intake.notebook is not None and intake.artifact("image") is not None


def test_class_folder_defaults_come_from_the_pack(shape: Pack, summer: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from grader.cli import discover
    from grader.sources import SourceError

    monkeypatch.setenv("KUBIG_CACHE", str(tmp_path / "cache"))
    # the first of the pack's folders (3주차) is not in this repository: the next one (week3) is
    found = discover(shape, str(summer), None, None, None, tmp_path / "work")
    assert "folder 'Basic Study/DL/week3'" in found.where
    assert len(found) >= 15
    with pytest.raises(SourceError) as none:
        discover(dataclasses.replace(shape, class_folders=()), str(summer), None, None, None, tmp_path / "work")
    assert "--folder" in none.value.message.en and "--folder" in none.value.message.ko
    with pytest.raises(SourceError) as wrong:
        discover(dataclasses.replace(shape, class_folders=("Basic Study/DL/4주차",)), str(summer), None, None,
                 None, tmp_path / "work")
    assert "4주차" in wrong.value.detail and "pass the right --folder" in wrong.value.detail


def test_check_infers_the_pack_from_the_week_in_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import typer

    from grader.cli import _infer_pack_id
    from grader.pack import REPO_ROOT

    packs = tmp_path / "packs"
    shutil.copytree(REPO_ROOT / "assignments" / "week2", packs / "week2", ignore=shutil.ignore_patterns("__pycache__"))
    (packs / "week3shape").mkdir()
    (packs / "week3shape" / "assignment.toml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.setenv("KUBIG_ASSIGNMENTS", str(packs))
    files = tmp_path / "files"
    (files / "week3").mkdir(parents=True)
    for name in ("3주차 과제1_23기_홍준기.png", "2주차 과제_22기_박세훈.zip", "week3/notebook.ipynb", "submission.zip"):
        (files / name).write_bytes(b"x")
    assert _infer_pack_id(files / "3주차 과제1_23기_홍준기.png") == "week3shape"
    assert _infer_pack_id(files / "2주차 과제_22기_박세훈.zip") == "week2"
    assert _infer_pack_id(files / "week3" / "notebook.ipynb") == "week3shape"  # the folder says the week
    with pytest.raises(typer.Exit) as unknown:
        _infer_pack_id(files / "submission.zip")
    assert unknown.value.exit_code == 2
