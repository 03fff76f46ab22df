"""A pack whose manifest is malformed never takes the other packs' commands down."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.pack import REPO_ROOT, list_packs


def _packs_with_a_broken_one(tmp_path: Path) -> Path:
    packs = tmp_path / "assignments"
    shutil.copytree(REPO_ROOT / "assignments" / "week2", packs / "week2",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (packs / "week9").mkdir()
    (packs / "week9" / "assignment.toml").write_text('id = "week9"\nweek = 9\n[naming\n', encoding="utf-8")
    return packs


def _grade(packs: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KUBIG_ASSIGNMENTS": str(packs), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", "from grader.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_the_good_packs_still_load_and_the_broken_one_is_named(tmp_path, monkeypatch) -> None:
    packs = _packs_with_a_broken_one(tmp_path)
    monkeypatch.setenv("KUBIG_ASSIGNMENTS", str(packs))
    broken: dict[str, str] = {}
    assert [p.id for p in list_packs(broken)] == ["week2"]
    assert list(broken) == ["week9"] and "assignment.toml" in broken["week9"]

    listed = _grade(packs, "list")
    assert listed.returncode == 0, listed.stderr
    assert "week2" in listed.stdout and "week9" in listed.stdout and "malformed" in listed.stdout

    assert _grade(packs, "week2", "--help").returncode == 0  # the good pack's command is still there
    run = _grade(packs, "week9")
    assert run.returncode == 2
    said = run.stdout + run.stderr
    assert "week9" in said and "cannot be loaded" in said and "not valid TOML" in said
