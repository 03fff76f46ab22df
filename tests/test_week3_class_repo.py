"""`grade week3 <clone of the 2026-summer class repository> --folder "Basic Study/DL/week3"`:
the leader's own command on the real class, with each student's two loose task files (or one
zip) grouped into one row, and every student's verdict as labelled by reading (week3_real.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labels import disagreements
from test_cohort import read_results
from week3_real import BUNDLES, LABELS, clone

BUNDLE, FOLDER = BUNDLES["2026-summer"]
GRADE = Path(sys.executable).with_name("grade")

pytestmark = pytest.mark.skipif(not BUNDLE.is_file(), reason="the real week-3 bundle is not present")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, cohort_cache: Path) -> dict:
    root = tmp_path_factory.mktemp("week3-class")
    repo = clone(BUNDLE, root / "class")
    out = root / "report"
    cmd = [str(GRADE)] if GRADE.exists() else [sys.executable, "-c", "from grader.cli import main; main()"]
    env = {**os.environ, "KUBIG_CACHE": str(cohort_cache), "COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"}
    proc = subprocess.run([*cmd, "week3", str(repo), "--folder", FOLDER, "--out", str(out),
                           "--deadline", "2030-01-01T00:00", "--jobs", "2"],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return read_results(out)


def test_each_student_is_one_row_with_both_task_files(results: dict) -> None:
    summer = {k for k in LABELS if k in results}
    assert len(summer) == 15, sorted(results)
    for key in summer:
        parts = results[key].submission.extra.get("parts") or []
        kinds = {Path(p).suffix.lower() for p in parts}
        # loose uploads come grouped (image + notebook); a zip holds both itself
        assert not parts or ".ipynb" in kinds, (key, parts)


@pytest.mark.parametrize("key", [k for k in LABELS if not k.startswith(("21기", "22기"))])
def test_real_student_agrees_with_the_label(results: dict, key: str) -> None:
    if key not in results:
        pytest.skip(f"{key} is not in the 2026-summer class")
    assert not disagreements(results[key], LABELS[key]), (LABELS[key].why, disagreements(results[key], LABELS[key]))
