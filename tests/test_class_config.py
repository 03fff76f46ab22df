"""The class config (issue 10, item 7): a semester's deadline and folder in kubig-class.toml,
precedence flags > config > pack, clear errors for a malformed file, and the loud warning when
every submission is after the deadline. Plus the CLI's answers when nothing can be graded
(item 9). The CLI runs here never execute a notebook: their zips are stand-ins that intake
rejects at once, or their blobs are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer

from grader.classconfig import ClassConfigError, find_class_config, parse_class_config
from grader.cli import resolve_settings
from grader.models import Submission, SubmissionResult
from grader.report.summary import all_late_warning
from grader.sources import discover_class_repo

try:
    from tests.gitfactory import GitFactory, zip_bytes
except ImportError:  # tests/ is not a package
    from gitfactory import GitFactory, zip_bytes

KST = ZoneInfo("Asia/Seoul")
FOLDER = "Basic Study/DL/week2"
GRADE = Path(sys.executable).with_name("grade")
CONFIG = """\
semester = "2026-summer"
repository = "{repo}"
timezone = "Asia/Seoul"

[weeks.week2]
deadline = "2026-07-22T23:59"
folder = "Basic Study/DL/week2"
"""


def at(text: str) -> datetime:
    """'07-20 10:00' (2026, KST)."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=KST)


@pytest.fixture(scope="module")
def summer_repo(tmp_path_factory) -> GitFactory:
    """A 2026 class: 김하나 uploads a broken zip, deletes it and re-uploads a fixed one, all before
    the 2026 deadline (07-22 23:59) and long after the pack's 2025 one; 이두리 uploads late."""
    f = GitFactory(tmp_path_factory.mktemp("summer") / "KUBIG_2026_SUMMER")
    f.write(f"{FOLDER}/.gitkeep", b"").commit(at("07-09 15:00"))
    f.write(f"{FOLDER}/2주차 과제_24기_김하나.zip", zip_bytes("broken")).commit(at("07-20 10:00"))
    f.remove(f"{FOLDER}/2주차 과제_24기_김하나.zip").commit(at("07-21 09:00"), "Delete broken upload")
    f.write(f"{FOLDER}/2주차 과제_24기_김하나.zip", zip_bytes("fixed")).commit(at("07-21 09:05"))
    f.write(f"{FOLDER}/2주차 과제_24기_이두리.zip", zip_bytes("late")).commit(at("07-24 12:00"))
    return f


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kubig-class.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------- the file


def test_parse_class_config(tmp_path):
    cfg = parse_class_config(write_config(tmp_path, CONFIG.format(repo="https://github.com/KU-BIG/X")))
    assert (cfg.semester, cfg.repository, str(cfg.timezone)) == ("2026-summer", "https://github.com/KU-BIG/X", "Asia/Seoul")
    week = cfg.week("week2")
    assert week.deadline == at("07-22 23:59") and week.folder == FOLDER
    assert cfg.week("week3").deadline is None
    assert find_class_config(None, tmp_path).path == tmp_path / "kubig-class.toml"
    assert find_class_config(None, tmp_path / "elsewhere") is None
    # a TOML date-time with offset and no time zone key works too
    cfg = parse_class_config(write_config(tmp_path / "b", "[weeks.week2]\ndeadline = 2026-07-22T23:59:00+09:00\n"))
    assert cfg.week("week2").deadline == at("07-22 23:59") and cfg.semester is None


@pytest.mark.parametrize("text, problem", [
    ("semester = \"2026\nx", "TOML syntax error"),
    ("[weeks.week2]\ndeadline = \"22 July\"\n", "is not an ISO 8601 date-time"),
    ("[weeks.week2]\ndeadlin = \"2026-07-22T23:59\"\n", "unknown key(s) [weeks.week2] deadlin"),
    ("deadline = \"2026-07-22T23:59\"\n", "unknown key(s) deadline"),
    ("timezone = \"Mars/Olympus\"\n", "unknown time zone 'Mars/Olympus'"),
    ("weeks = 3\n", "weeks must be tables"),
    ("[weeks]\nweek2 = \"2026-07-22\"\n", "[weeks.week2] must be a table"),
    ("[weeks.week2]\nfolder = 2\n", "[weeks.week2] folder must be a non-empty string"),
])
def test_malformed_class_config(tmp_path, text, problem):
    path = write_config(tmp_path, text)
    with pytest.raises(ClassConfigError) as err:
        parse_class_config(path)
    assert problem in err.value.message.en and str(path) in err.value.message.en
    assert str(path) in err.value.message.ko and "학기 설정 파일" in err.value.message.ko
    with pytest.raises(ClassConfigError, match="does not exist"):
        find_class_config(tmp_path / "missing.toml")


# ------------------------------------------------------------------------------- precedence


def test_precedence_flags_config_pack(pack, tmp_path):
    write_config(tmp_path, CONFIG.format(repo="/class/repo"))
    s = resolve_settings(pack, None, None, None, None, cwd=tmp_path)  # config over pack
    assert (s.source, s.folder, s.deadline) == ("/class/repo", FOLDER, at("07-22 23:59"))
    assert "kubig-class.toml" in s.deadline_from
    s = resolve_settings(pack, "/other", "X/2주차", "2026-07-25T12:00", None, cwd=tmp_path)  # flags over config
    assert (s.source, s.folder, s.deadline, s.deadline_from) == ("/other", "X/2주차", at("07-25 12:00"), "--deadline")
    s = resolve_settings(pack, "/other", None, None, None, cwd=tmp_path / "none")  # no config: the pack
    assert (s.folder, s.deadline, s.config) == (None, pack.deadline, None)
    explicit = write_config(tmp_path / "cfg", "[weeks.week2]\ndeadline = \"2026-07-30T18:00\"\n")
    s = resolve_settings(pack, "/other", None, None, explicit, cwd=tmp_path)  # --class-config beats ./
    assert s.deadline == at("07-30 18:00")  # naive, no timezone key: the pack's time zone (KST)
    bad = write_config(tmp_path / "bad", "semester = \n")
    with pytest.raises(typer.Exit) as err:
        resolve_settings(pack, None, None, None, bad)
    assert err.value.exit_code == 2


def test_semester_deadline_grades_the_reupload(pack, summer_repo, tmp_path):
    """With the pack's 2025 deadline everyone is late and 김하나's broken first upload is graded;
    with the class config's 2026 deadline her fixed re-upload is, on time."""
    def run(deadline):
        subs = discover_class_repo(summer_repo.url, FOLDER, pack, tmp_path / "c", tmp_path / "m", deadline)
        return {s.key: s for s in subs}

    wrong = run(None)
    assert wrong["24기_김하나"].path.read_bytes() == zip_bytes("broken") and wrong["24기_김하나"].late
    results = [SubmissionResult(s, "graded", (), 0.0, 100.0, "none") for s in wrong.values()]
    warning = all_late_warning(results, pack)
    assert warning and "likely the wrong semester's deadline" in warning.en and "kubig-class.toml" in warning.ko

    write_config(tmp_path / "cwd", CONFIG.format(repo=summer_repo.url))
    settings = resolve_settings(pack, None, None, None, None, cwd=tmp_path / "cwd")
    right = run(settings.deadline)
    kim = right["24기_김하나"]
    assert kim.path.read_bytes() == zip_bytes("fixed") and not kim.late
    assert kim.submitted_at == at("07-21 09:05").isoformat()
    assert right["24기_이두리"].late
    results = [SubmissionResult(s, "graded", (), 0.0, 100.0, "none") for s in right.values()]
    assert all_late_warning(results, pack) is None
    undated = Submission("k", 1, "n", None, "", "")  # local files carry no time: never "all late"
    assert all_late_warning([SubmissionResult(undated, "graded", (), 0.0, 100.0, "none")], pack) is None


# ------------------------------------------------------------------------------- CLI (nothing executes)


def grade(args: list[str], cache: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "grader.cli"]
    env = {**os.environ, "KUBIG_CACHE": str(cache), "COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"}
    return subprocess.run([*cmd, "week2", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture
def cache(tmp_path, runtime) -> Path:
    """A KUBIG_CACHE of this test's own whose runtimes/ is the built student runtime."""
    folder = tmp_path / "kubig-cache"
    folder.mkdir()
    (folder / "runtimes").symlink_to(runtime.root.parent, target_is_directory=True)
    return folder


def test_cli_malformed_config_exits_2(tmp_path):
    write_config(tmp_path, "[weeks.week2]\ndeadline = \"tomorrow\"\n")
    proc = grade([], tmp_path / "cache", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "kubig-class.toml" in proc.stderr and "'tomorrow' is not an ISO 8601 date-time" in proc.stderr
    assert "학기 설정 파일" in proc.stderr


def test_cli_all_late_warning_and_config(summer_repo, cache, tmp_path):
    out = tmp_path / "late-report"
    proc = grade([str(summer_repo.path), "--folder", FOLDER, "--out", str(out)], cache, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = " ".join((proc.stderr + proc.stdout).split())
    assert "likely the wrong semester's deadline: pass --deadline or set it in kubig-class.toml" in text
    data = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert any("Every submission (2) is after the deadline" in w["en"] for w in data["warnings"])
    assert data["run"]["deadline"] == "2025-09-16T23:59:00+09:00" and data["run"]["skipped"][0]["path"] == ".gitkeep"
    assert "모든 제출물(2개)이 마감" in (out / "report.html").read_text(encoding="utf-8")  # the page is in Korean

    write_config(tmp_path / "cwd", CONFIG.format(repo=summer_repo.path))  # no SOURCE, no --folder
    out = tmp_path / "config-report"
    proc = grade(["--out", str(out)], cache, cwd=tmp_path / "cwd")
    assert proc.returncode == 0, proc.stderr
    assert "wrong semester" not in proc.stderr and "deadline: 2026-07-22T23:59:00+09:00" in proc.stderr
    data = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert data["warnings"] == [] and data["run"]["semester"] == "2026-summer"
    late = {r["submission"]["key"]: r["submission"]["late"] for r in data["results"]}
    assert late == {"24기_김하나": False, "24기_이두리": True}


def test_cli_empty_folder_and_partial_clone(summer_repo, cache, tmp_path):
    empty = GitFactory(tmp_path / "empty-class")
    empty.write(f"{FOLDER}/.gitkeep", b"").write(f"{FOLDER}/README.md", b"upload here").commit(at("07-09 15:00"))
    proc = grade([str(empty.path), "--folder", FOLDER, "--out", str(tmp_path / "o1")], cache, cwd=tmp_path)
    assert proc.returncode == 2 and "no submission found" in proc.stderr, proc.stderr
    assert f"looked in: {empty.path}: folder '{FOLDER}'" in proc.stderr
    assert ".gitkeep" in proc.stderr and "README.md" in proc.stderr
    proc = grade([str(empty.path), "--folder", "Basic Study/DL/2주차", "--out", str(tmp_path / "o1")], cache, cwd=tmp_path)
    assert proc.returncode == 2 and "Basic Study/DL holds: week2" in proc.stderr, proc.stderr

    origin = tmp_path / "origin"
    shutil.copytree(summer_repo.path, origin)
    subprocess.run(["git", "config", "uploadpack.allowFilter", "true"], cwd=origin, check=True)
    partial = tmp_path / "partial.git"
    subprocess.run(["git", "clone", "-q", "--bare", "--filter=blob:none", origin.as_uri(), str(partial)], check=True)
    shutil.rmtree(origin)
    out = tmp_path / "partial-report"
    proc = grade([str(partial), "--folder", FOLDER, "--out", str(out)], cache, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "2 submission(s) cannot be read" in " ".join(proc.stderr.split())
    assert "no submission could be read" in proc.stderr
    data = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    rows = {r["submission"]["key"]: r for r in data["results"]}
    assert set(rows) == {"24기_김하나", "24기_이두리"}
    for row in rows.values():
        assert row["status"] == "unreadable" and "is missing" in row["submission"]["detail"]
        assert "partial clone" in row["notes"][0]["en"] and "부분 클론" in row["notes"][0]["ko"]
