"""End to end, as a session leader works: `grade week2` on a real git class repository, the
review queue driven through a pseudo-terminal (decisions typed, quit, resumed), a regrade
served from the result cache that applies the decisions, then a resubmission that makes a
decision stale and an extension that makes a late upload on time.

Cost: four tiny "work in progress" notebooks are executed (two in the first run, the
resubmission and the late upload in the last); every other run is served from the result
cache. The Playground screenshots are unreadable files, so the grader leaves that check to the
leader (needs-review) without running OCR.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from gitfactory import FOLDER, GitFactory, kst
from grader.models import SubmissionResult
from grader.report.text import unique_filenames
from zipfactory import UTF8_FLAG, ZEntry, build_zip

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.runtime

GRADE = Path(sys.executable).with_name("grade")
CMD = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "grader.cli"]
TIMEOUT_S = 900
GARAM, NARAE, HAN = "25기_가람", "25기_나래", "25기_한지각"
OVERRIDES = Path("grading") / "week2-overrides.csv"
EXTENSIONS = Path("grading") / "week2-extensions.csv"
UNREADABLE_PNG = b"\x89PNG\r\n\x1a\n" + b"not really an image"
# Written by hand before any review: a decision that is not one (line 2).
MALFORMED = "25기_나래,softmax,maybe,,,lead,,\n"
COMMENT = "스크린샷을 직접 확인했습니다: test loss 0.004"


def _zip(text: str) -> bytes:
    cell = nbformat.v4.new_code_cell(text)
    cell["id"] = "wip"
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return build_zip([ZEntry("2주차 과제.ipynb", nbformat.writes(nb).encode("utf-8"), flags=UTF8_FLAG),
                      ZEntry("플레이그라운드.png", UNREADABLE_PNG, flags=UTF8_FLAG, deflate=False)])


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "KUBIG_CACHE": str(cache), "COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"}


def grade(desk: Path, repo: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """`grade week2 <repo> --folder … --out report` run from the leader's folder (default grading/ files)."""
    proc = subprocess.run([*CMD, "week2", str(repo), "--folder", FOLDER, "--out", "report", "--jobs", "2"],
                          cwd=desk, env=_env(cache), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def review(desk: Path, cache: Path):
    """`grade review week2 --out report` in a pseudo-terminal."""
    return pexpect.spawn(CMD[0], [*CMD[1:], "review", "week2", "--out", "report", "--who", "세션장"], cwd=str(desk),
                         env={**_env(cache), "COLUMNS": "200"}, encoding="utf-8", timeout=120)


def counts(proc: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    match = re.search(r"graded (\d+), reused from cache (\d+)", proc.stderr + proc.stdout)
    assert match, proc.stderr
    return int(match.group(1)), int(match.group(2))


def results(desk: Path) -> dict[str, SubmissionResult]:
    data = json.loads((desk / "report" / "scores.json").read_text(encoding="utf-8"))
    return {r["submission"]["key"]: SubmissionResult.from_json(r) for r in data["results"]}


def scores(desk: Path) -> pd.DataFrame:
    df = pd.read_csv(desk / "report" / "scores.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return df.set_index("key")


def feedback(desk: Path, key: str) -> str:
    stems = unique_filenames(sorted(results(desk)))
    return (desk / "report" / "feedback" / f"{stems[key]}.md").read_text(encoding="utf-8")


def check(desk: Path, key: str, check_id: str):
    return next(c for c in results(desk)[key].checks if c.id == check_id)


@pytest.fixture(scope="module")
def class_repo(tmp_path_factory: pytest.TempPathFactory) -> GitFactory:
    f = GitFactory(tmp_path_factory.mktemp("desk-class") / "KUBIG_2025_FALL")
    f.write(f"{FOLDER}/2주차 과제_{GARAM}.zip", _zip("print('가람: 선형 회귀 하는 중')"))
    f.write(f"{FOLDER}/2주차 과제_{NARAE}.zip", _zip("print('나래: 아직')"))
    f.commit(kst("09-14 20:00"))
    return f


def test_review_decisions_survive_a_regrade_and_go_stale_on_resubmission(
    class_repo: GitFactory, cohort_cache: Path, tmp_path: Path
) -> None:
    desk = tmp_path / "leader"
    (desk / "grading").mkdir(parents=True)
    (desk / OVERRIDES).write_text("key,check,decision,points,comment,who,when,submission_hash\n" + MALFORMED,
                                  encoding="utf-8")

    # 1. the first run: the malformed row is reported with its line; every student is graded
    first = grade(desk, class_repo.path, cohort_cache)
    assert counts(first) == (2, 0)
    said = " ".join((first.stderr + first.stdout).split())
    assert f"{OVERRIDES}:2: override row ignored — unknown decision 'maybe'" in said
    assert f"{OVERRIDES}:2: 오버라이드 행을 무시합니다" in said
    assert {k: r.status for k, r in results(desk).items()} == {GARAM: "graded", NARAE: "graded"}
    assert all(check(desk, k, "playground").status == "needs-review" for k in (GARAM, NARAE))
    warnings = json.loads((desk / "report" / "scores.json").read_text(encoding="utf-8"))["warnings"]
    assert any(w["en"].startswith(f"{OVERRIDES}:2:") for w in warnings)

    # 2. review in a terminal: decide the first, quit at the second
    child = review(desk, cohort_cache)
    child.expect("2 항목 / checks to review")
    child.expect(GARAM)
    child.expect("playground")
    child.expect(r"decision \(pass")
    child.sendline("maybe")  # not a decision: asked again
    child.expect(r"pass \| fail \| points N")
    child.expect(r"decision \(pass")
    child.sendline("pass")
    child.expect("comment")
    child.sendline(COMMENT)
    child.expect("saved")
    child.expect(NARAE)
    child.expect(r"decision \(pass")
    child.sendline("quit")
    child.expect("decided 1, skipped 0")
    child.expect(pexpect.EOF)
    lines = (desk / OVERRIDES).read_text(encoding="utf-8").splitlines()
    assert lines[1] == MALFORMED.strip() and len(lines) == 3  # the hand-written line is kept as it was
    garam_hash = results(desk)[GARAM].content_hash
    assert lines[2].startswith(f"{GARAM},playground,pass,,{COMMENT},세션장,") and lines[2].endswith(garam_hash[:16])

    # 3. resumed: only the undecided check is asked
    child = review(desk, cohort_cache)
    child.expect("1 항목 / checks to review")
    child.expect(NARAE)
    child.expect(r"decision \(pass")
    child.sendline("points 4")
    child.expect("comment")
    child.sendline("")
    child.expect("decided 1, skipped 0")
    child.expect(pexpect.EOF)
    child = review(desk, cohort_cache)
    child.expect("nothing to review")
    child.expect(pexpect.EOF)

    # 4. the regrade comes from the cache and shows the leader's decisions
    again = grade(desk, class_repo.path, cohort_cache)
    assert counts(again) == (0, 2)
    df = scores(desk)
    assert df.loc[GARAM, "playground"] == "10.0" and df.loc[GARAM, "leader_decisions"] == "playground"
    assert df.loc[NARAE, "playground"] == "4.0" and df.loc[NARAE, "leader_decisions"] == "playground"
    assert df.loc[GARAM, "needs_review"] == "" and df.loc[GARAM, "submission_hash"] == garam_hash[:16]
    decided = check(desk, GARAM, "playground")
    assert decided.status == "pass" and decided.decision.comment == COMMENT and decided.decision.who == "세션장"
    assert decided.decision.original_status == "needs-review"
    assert float(df.loc[GARAM, "total"]) == results(desk)[GARAM].total
    text = feedback(desk, GARAM)
    assert "스터디장 판정 / Session leader's decision" in text and COMMENT in text
    assert "✎" in (desk / "report" / "report.html").read_text(encoding="utf-8")

    # 5. NARAE resubmits (on time); HAN uploads only after the deadline, with an extension
    class_repo.write(f"{FOLDER}/2주차 과제_{NARAE}.zip", _zip("print('나래: 다 했어요')")).commit(kst("09-16 12:00"))
    class_repo.write(f"{FOLDER}/2주차 과제_{HAN}.zip", _zip("print('한지각')")).commit(kst("09-18 10:00"))
    (desk / EXTENSIONS).write_text("cohort,name,deadline\n25,한지각,2025-09-19T23:59\n", encoding="utf-8")
    last = grade(desk, class_repo.path, cohort_cache)
    assert counts(last) == (2, 1)
    said = " ".join((last.stderr + last.stdout).split())
    assert f"{OVERRIDES}:4: {NARAE} / playground: stale: resubmitted" in said
    df = scores(desk)
    assert df.loc[NARAE, "stale_overrides"] == "playground" and df.loc[NARAE, "leader_decisions"] == ""
    assert df.loc[NARAE, "playground"] == "0.0" and "playground" in df.loc[NARAE, "needs_review"]
    assert df.loc[GARAM, "leader_decisions"] == "playground"  # unchanged submission: still applied
    han = results(desk)[HAN]
    assert han.submission.submitted_at > "2025-09-16T23:59" and not han.submission.late
    assert df.loc[HAN, "late"] == "False" and df.loc[HAN, "extension"] == "2025-09-19T23:59:00+09:00"
    assert "마감 연장 / Extended deadline: 2025-09-19T23:59:00+09:00" in feedback(desk, HAN)

    # 6. the stale decision is back in the queue, with what was decided before
    child = review(desk, cohort_cache)
    child.expect("2 항목 / checks to review")  # NARAE's stale decision and HAN's new screenshot
    child.expect(NARAE)
    child.expect("stale: resubmitted")
    child.expect(r"decision \(pass")
    child.sendline("q")
    child.expect(pexpect.EOF)
