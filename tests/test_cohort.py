"""End to end: `grade week2` grades a cohort from git into a pandas score report, in parallel,
reusing the result cache and resuming after an interruption.

Cost: executing a notebook takes ~25-40 s here, so the whole file executes only three full
notebooks (correct, loss_sum, misnamed) plus two tiny "work in progress" ones (~10 s each), and
the bundled demo (README's main command, 8 notebooks, ~2 min) in a cache of its own. Measured on
the 2-core machine: 3.3-4.7 min for the file (demo 2-2.8 min, the class repository 45-80 s).
Everything else is reused from the result cache, which is keyed by the submission's bytes, its
file name, the late flag, the pack and the grader:

* every zip is built once per module (`zips`) and used byte for byte, under the same file
  name, by the class repository, the student repositories of the roster and the resume test;
* all of them share one KUBIG_CACHE (`cohort_cache`, a temporary folder whose `runtimes/`
  points at the built student runtime), so whichever test grades a zip first pays for it and
  the others reuse it; `roster` depends on the class-repository run so it executes nothing.

The CLI runs as a subprocess (`grade week2 …`), exactly as a session leader runs it; the resume
test calls `run_cohort` in-process with a grader that raises KeyboardInterrupt after its first
result (what Ctrl-C does to the main thread).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
import pandas as pd
import pytest

from gitfactory import FOLDER, GitFactory, build_student_repo, kst, nfd
from grader.cache import ResultCache
from grader.cohort import run_cohort
from grader.grade import Grader
from grader.models import Submission, SubmissionResult
from grader.pack import Pack
from grader.report.text import unique_filenames
from grader.runtime import Runtime
from grader.sources.local import discover_local
from zipfactory import UTF8_FLAG, ZEntry, build_zip

pytestmark = pytest.mark.runtime

GRADE = Path(sys.executable).with_name("grade")
TIMEOUT_S = 1800  # a subprocess that hangs this long is a failure, not a slow machine

# The class: cohort 25, Hangul names (the NFD re-upload is of a Hangul path).
KIM = "김가은"  # correct notebook; re-committed byte-identical under an NFD path after the deadline
PARK = "박버금"  # loss_sum bug: loses exactly the squared_loss points
LEE = "이름표"  # misnamed file (underscore instead of the space)
CHOI = "최깨짐"  # corrupt zip (truncated upload)
JUNG = "정수정"  # on time: work in progress; the fix came after the deadline (not graded)
HAN = "한지각"  # only a late upload
STUDENTS = (KIM, PARK, LEE, CHOI, JUNG, HAN)
MISNAMED = f"2주차_과제_25기_{LEE}.zip"
NOTEBOOK = "2주차 과제.ipynb"
SHOT = "플레이그라운드 스크린샷.png"
INTERRUPTED = "Grading was interrupted"  # pending_result's note (en)


def key(name: str) -> str:
    return f"25기_{name}"


def zip_name(name: str) -> str:
    return f"2주차 과제_25기_{name}.zip"


def iso(when: str) -> str:
    return kst(when).isoformat()


# ----------------------------------------------------------------------------- helpers


def grade_cli(args: list[str], cache: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`grade week2 ARGS` in a subprocess with KUBIG_CACHE=cache (wide console: no wrapped paths)."""
    cmd = [str(GRADE)] if GRADE.exists() else [sys.executable, "-m", "grader.cli"]
    env = {**os.environ, "KUBIG_CACHE": str(cache), "COLUMNS": "400", "TERM": "dumb", "NO_COLOR": "1"}
    proc = subprocess.run([*cmd, "week2", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def counts(proc: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    """(graded, reused from cache) from the CLI's summary line."""
    match = re.search(r"graded (\d+), reused from cache (\d+)", proc.stderr + proc.stdout)
    assert match, f"no 'graded N, reused from cache M' line:\n{proc.stderr}"
    return int(match.group(1)), int(match.group(2))


def printed_report(proc: subprocess.CompletedProcess[str]) -> Path:
    """The report folder the CLI says it wrote."""
    match = re.search(r"^report:\s*(.+?)\s*$", proc.stderr + proc.stdout, re.MULTILINE)
    assert match, f"the report location is not printed:\n{proc.stderr}"
    return Path(match.group(1))


def read_scores(out: Path) -> pd.DataFrame:
    df = pd.read_csv(out / "scores.csv", encoding="utf-8-sig", dtype={"commit": str, "key": str})
    return df.set_index("key", drop=False)


def read_results(out: Path) -> dict[str, SubmissionResult]:
    data = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    return {r["submission"]["key"]: SubmissionResult.from_json(r) for r in data["results"]}


def assert_complete_report(out: Path, keys: set[str]) -> None:
    """Every report file exists; one row, one feedback file and one Gradescope file per student."""
    for name in ("scores.csv", "scores.xlsx", "scores.md", "scores.json", "report.html"):
        assert (out / name).is_file(), name
    df = read_scores(out)
    assert len(df) == len(keys) and set(df["key"]) == keys, sorted(df["key"])
    stems = unique_filenames(sorted(keys))
    for k in keys:
        feedback = out / "feedback" / f"{stems[k]}.md"
        assert feedback.is_file(), feedback
        assert k in unicodedata.normalize("NFC", feedback.read_text(encoding="utf-8"))
        assert (out / "results" / f"{stems[k]}.json").is_file()
    assert len(list((out / "feedback").iterdir())) == len(keys)


def full_points(pack: Pack) -> dict[str, float]:
    return {c.id: c.points for c in pack.checks}


# ----------------------------------------------------------------------------- fixtures


def _notebook(variants: ModuleType, name: str) -> bytes:
    return nbformat.writes(variants.make_notebook(variants.variant(name))).encode("utf-8")


def _wip_notebook(text: str) -> bytes:
    """A tiny notebook (runs in a few seconds): a student's unfinished work."""
    cell = nbformat.v4.new_code_cell(text)
    cell["id"] = "wip"
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(nb).encode("utf-8")


@pytest.fixture(scope="module")
def zips(variants: ModuleType, screenshot_png: bytes) -> dict[str, bytes]:
    """Every zip of the file, built once (byte-identical wherever it is used)."""
    correct, buggy = _notebook(variants, "correct"), _notebook(variants, "loss_sum")

    def pack_zip(notebook: bytes, notebook_name: str = NOTEBOOK, shot_name: str = SHOT) -> bytes:
        return build_zip([ZEntry(notebook_name, notebook, flags=UTF8_FLAG),
                          ZEntry(shot_name, screenshot_png, flags=UTF8_FLAG, deflate=False)])

    kim = pack_zip(correct)
    return {
        KIM: kim,
        PARK: pack_zip(buggy),
        LEE: pack_zip(correct, notebook_name="과제.ipynb"),
        CHOI: kim[: len(kim) // 3],  # truncated upload: no central directory
        JUNG: pack_zip(_wip_notebook("# TODO: 선형 회귀부터\nprint('work in progress')")),
        JUNG + ":fix": pack_zip(correct, shot_name="shot.png"),
        HAN: pack_zip(_wip_notebook("print('late, and not finished')")),
        "no-notebook": build_zip([ZEntry(SHOT, screenshot_png, flags=UTF8_FLAG, deflate=False)]),
    }


@dataclass
class Scenario:
    path: Path
    sha: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def class_repo(tmp_path_factory: pytest.TempPathFactory, zips: dict[str, bytes]) -> Scenario:
    """KUBIG's class repository: everyone uploads into Basic Study/DL/2주차 (deadline 09-16 23:59 KST)."""
    f = GitFactory(tmp_path_factory.mktemp("class-repo") / "KUBIG_2025_FALL")
    s = Scenario(f.path)
    d = FOLDER
    f.write("README.md", "# KUBIG 2025 Fall\n".encode()).write(f"{d}/README.md", "과제는 여기에 올려 주세요\n".encode())
    s.sha["init"] = f.commit(kst("09-10 10:00"), "Initial commit")
    f.write(f"{d}/{zip_name(KIM)}", zips[KIM])
    s.sha[KIM] = f.commit(kst("09-14 20:00"))
    f.write(f"{d}/{zip_name(PARK)}", zips[PARK])
    s.sha[PARK] = f.commit(kst("09-15 09:30"))
    f.write(f"{d}/{MISNAMED}", zips[LEE])
    s.sha[LEE] = f.commit(kst("09-15 13:00"))
    f.write(f"{d}/{zip_name(CHOI)}", zips[CHOI])
    s.sha[CHOI] = f.commit(kst("09-16 21:00"))
    f.write(f"{d}/{zip_name(JUNG)}", zips[JUNG])
    s.sha[JUNG] = f.commit(kst("09-16 22:00"))
    # after the deadline: a Mac re-upload of KIM's same bytes under an NFD path, and JUNG's fix
    f.write(nfd(f"{d}/{zip_name(KIM)}"), zips[KIM])
    f.write(f"{d}/{zip_name(JUNG)}", zips[JUNG + ":fix"])
    s.sha["after"] = f.commit(kst("09-17 01:00"))
    f.write(f"{d}/{zip_name(HAN)}", zips[HAN])
    s.sha[HAN] = f.commit(kst("09-18 10:00"))
    assert len(f.repo.git.ls_files("-z", d).split("\0")) >= 8  # NFC and NFD paths both tracked
    return s


@dataclass
class CliRun:
    proc: subprocess.CompletedProcess[str]
    out: Path


@pytest.fixture(scope="module")
def class_run(class_repo: Scenario, cohort_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """`grade week2 <class repo> --folder "Basic Study/DL/2주차" --out DIR --jobs 2`, once."""
    out = tmp_path_factory.mktemp("class-report") / "report"
    proc = grade_cli([str(class_repo.path), "--folder", FOLDER, "--out", str(out), "--jobs", "2"], cohort_cache)
    return CliRun(proc, out)


# ----------------------------------------------------------------------------- resume (first: it
# grades KIM's zip in-process while the cache is cold, so the CLI runs below reuse that result)


def test_interrupted_run_leaves_a_consistent_partial_report_and_resumes(
    pack: Pack, runtime: Runtime, cohort_cache: Path, zips: dict[str, bytes], tmp_path: Path
) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    files = {KIM: zips[KIM], "노트북없음": zips["no-notebook"], "빈파일": b""}
    for name, data in files.items():
        (folder / zip_name(name)).write_bytes(data)
    subs = [discover_local(folder / zip_name(name), pack)[0] for name in files]
    subs.append(Submission(key=key("미제출"), cohort=25, name="미제출", path=None, display_name="",
                           source_path="", status="missing", detail="no upload"))
    keys = {s.key for s in subs}
    cache = ResultCache(cohort_cache, pack)
    cached_before = {s.key for s in subs if cache.get(s) is not None}

    grader = Grader(pack, runtime, threads=1)
    real_grade = grader.grade
    completed: list[str] = []

    def grade_then_interrupt(sub: Submission) -> SubmissionResult:
        if completed:  # what Ctrl-C does once the first result is in
            raise KeyboardInterrupt
        result = real_grade(sub)
        completed.append(sub.key)
        return result

    grader.grade = grade_then_interrupt  # type: ignore[method-assign]
    out = tmp_path / "report"
    run = run_cohort(grader, subs, out, cache, jobs=1)

    assert run.interrupted
    assert len(completed) == 1
    first = completed[0]
    finished = cached_before | {first}
    pending = keys - finished
    assert pending, "the interruption must leave someone unfinished"
    assert run.cached == len(cached_before) and run.executed == 1
    # the partial report: every student a row, unfinished ones flagged, finished ones real
    assert_complete_report(out, keys)
    df, results = read_scores(out), read_results(out)
    for k in keys:
        notes = " ".join(n.en for n in results[k].notes)
        if k in pending:
            assert df.loc[k, "status"] == "pending" and df.loc[k, "total"] == 0, df.loc[k].to_dict()
            assert INTERRUPTED in notes
            stem = unique_filenames(sorted(keys))[k]
            assert INTERRUPTED in (out / "feedback" / f"{stem}.md").read_text(encoding="utf-8")
        else:
            assert df.loc[k, "status"] != "pending" and INTERRUPTED not in notes, (k, notes)
    by_key = {s.key: s for s in subs}
    assert cache.get(by_key[first]) is not None, "the first result was not cached"

    # the next run completes, reusing the first result instead of grading it again
    reused: dict[str, bool] = {}
    run2 = run_cohort(Grader(pack, runtime, threads=1), subs, out, cache, jobs=2,
                      on_result=lambda sub, result, cached: reused.__setitem__(sub.key, cached))
    assert not run2.interrupted
    assert reused[first] is True
    assert run2.cached == len(finished) and run2.executed == len(pending)
    assert_complete_report(out, keys)
    df, results = read_scores(out), read_results(out)
    assert df["status"].to_dict() == {key(KIM): "graded", key("노트북없음"): "unreadable",
                                      key("빈파일"): "unreadable", key("미제출"): "missing"}
    assert df.loc[key(KIM), "total"] == 100
    assert not any(INTERRUPTED in n.en for r in results.values() for n in r.notes)


# ----------------------------------------------------------------------------- class repository


def test_class_repository_report(class_run: CliRun, class_repo: Scenario, pack: Pack) -> None:
    out, proc = class_run.out, class_run.proc
    graded, reused = counts(proc)
    assert graded + reused == len(STUDENTS)
    assert printed_report(proc) == out.resolve()
    assert f"report → {out}" in proc.stderr
    assert_complete_report(out, {key(n) for n in STUDENTS})
    # the leader-only similarity hint sits beside the report (README "Similarity hint")
    assert (out / "similarity.html").is_file() and (out / "similarity.csv").is_file()
    assert "similarity hint (leaders only)" in proc.stdout + proc.stderr

    df, results = read_scores(out), read_results(out)
    points = full_points(pack)
    checks = list(points)
    row = {n: df.loc[key(n)] for n in STUDENTS}
    assert {n: row[n]["status"] for n in STUDENTS} == {
        KIM: "graded", PARK: "graded", LEE: "misnamed", CHOI: "unreadable", JUNG: "graded", HAN: "graded"}
    assert (df["max_total"] == pack.max_points).all()
    assert {n: (row[n]["cohort"], row[n]["name"]) for n in STUDENTS} == {n: (25, n) for n in STUDENTS}

    # who committed what, when: the commit where the graded bytes first appeared
    assert {n: row[n]["commit"] for n in STUDENTS} == {n: class_repo.sha[n] for n in STUDENTS}
    assert row[KIM]["submitted_at"] == iso("09-14 20:00")
    assert row[JUNG]["submitted_at"] == iso("09-16 22:00")
    assert row[HAN]["submitted_at"] == iso("09-18 10:00")
    assert {n: bool(row[n]["late"]) for n in STUDENTS} == {n: n == HAN for n in STUDENTS}
    assert row[LEE]["source_path"] == f"{FOLDER}/{MISNAMED}"

    # the correct notebook earns everything; the NFD re-upload of the same bytes counts once
    assert row[KIM]["total"] == pack.max_points
    assert all(row[KIM][c] == points[c] for c in checks)
    kim = results[key(KIM)].submission
    assert kim.extra["versions"] == 1 and kim.extra["versions_after_deadline"] == 0
    assert kim.display_name == zip_name(KIM) and not kim.extra["nfd_path"]

    # loss_sum loses exactly the squared_loss points
    assert row[PARK]["squared_loss"] == 0
    assert row[PARK]["total"] == pack.max_points - points["squared_loss"]
    assert all(row[PARK][c] == points[c] for c in checks if c != "squared_loss")

    # misnamed: the code is still graded; only the naming check loses points
    assert row[LEE]["naming"] < points["naming"]
    assert all(row[LEE][c] == points[c] for c in checks if c != "naming")
    assert row[LEE]["total"] == pack.max_points - (points["naming"] - row[LEE]["naming"])

    # the fix pushed after the deadline is not graded: the on-time work in progress is
    jung = results[key(JUNG)].submission
    assert jung.extra["versions"] == 2 and jung.extra["versions_after_deadline"] == 1
    assert "graded_commit" not in jung.extra
    for c in ("linreg_forward", "squared_loss", "softmax", "cross_entropy"):
        assert row[JUNG][c] == 0, c
    assert row[JUNG]["total"] < pack.max_points / 2

    # the late-only student is graded (policy "ignore": no penalty) and marked late
    assert pack.late.policy == "ignore"
    assert results[key(HAN)].submission.late
    assert row[HAN]["notebook_runs"] == points["notebook_runs"]

    assert row[CHOI]["total"] < pack.max_points / 2
    assert "README" not in " ".join(df["source_path"].astype(str))


def test_second_run_executes_no_notebook(class_run: CliRun, class_repo: Scenario, cohort_cache: Path) -> None:
    first = read_scores(class_run.out)
    out = class_run.out.parent / "again"
    proc = grade_cli([str(class_repo.path), "--folder", FOLDER, "--out", str(out), "--jobs", "2"], cohort_cache)
    assert counts(proc) == (0, len(STUDENTS))
    assert printed_report(proc) == out.resolve()
    again = read_scores(out)
    columns = [c for c in first.columns if c != "isolation"]
    pd.testing.assert_frame_equal(first[columns], again[columns])


# ----------------------------------------------------------------------------- roster


def test_roster_mode(class_run: CliRun, cohort_cache: Path, zips: dict[str, bytes],
                     tmp_path: Path, pack: Pack) -> None:
    """Per-student repositories with the class run's zips (same bytes and names: nothing executes)."""
    repos = tmp_path / "repos"
    kim = build_student_repo(repos, "kim-dl", [
        ("README.md", b"# DL study\n", "09-01 10:00"),
        (f"2주차/{zip_name(KIM)}", zips[KIM], "09-14 20:00")])
    park = build_student_repo(repos, "park-dl", [(zip_name(PARK), zips[PARK], "09-15 09:30")])
    jung = build_student_repo(repos, "jung-dl", [
        (f"week2/{zip_name(JUNG)}", zips[JUNG], "09-16 22:00"),
        (f"week2/{zip_name(JUNG)}", zips[JUNG + ":fix"], "09-17 01:00")])
    jung_on_time = jung.repo.git.rev_list("-n1", "HEAD~1")
    empty = build_student_repo(repos, "empty-dl", [("README.md", b"nothing yet\n", "09-12 10:00")])
    ghost = (repos / "no-such-repo").as_uri()
    roster = tmp_path / "roster.csv"
    rows = [
        ("2025001", KIM, "25", "kim", kim.url),
        ("2025002", PARK, "25", "park", str(park.path)),  # a plain path works too
        ("2025003", JUNG, "25", "jung", jung.url),
        ("2025004", "유령", "25", "ghost", ghost),
        ("2025005", "빈손", "25", "empty", empty.url),
        ("2025006", "주소없음", "25", "nourl", ""),
    ]
    roster.write_text("student_id,name,cohort,github,repo_url\n" + "".join(",".join(r) + "\n" for r in rows),
                      encoding="utf-8")
    out = tmp_path / "roster-report"
    proc = grade_cli(["--roster", str(roster), "--out", str(out), "--jobs", "2"], cohort_cache)

    # the three real submissions come from the cache; only the three rows without one are "graded"
    assert counts(proc) == (3, 3)
    assert printed_report(proc) == out.resolve()
    ids = {r[0] for r in rows}
    assert_complete_report(out, ids)
    df, results = read_scores(out), read_results(out)
    assert df["status"].to_dict() == {"2025001": "graded", "2025002": "graded", "2025003": "graded",
                                      "2025004": "unreachable", "2025005": "missing", "2025006": "missing"}
    assert df["name"].to_dict() == {r[0]: r[1] for r in rows}
    assert df.loc["2025001", "total"] == pack.max_points
    assert df.loc["2025002", "total"] == pack.max_points - full_points(pack)["squared_loss"]
    assert df.loc["2025003", "commit"] == jung_on_time and not df.loc["2025003", "late"]
    assert df.loc["2025001", "commit"] == kim.repo.head.commit.hexsha
    assert df.loc["2025001", "submitted_at"] == iso("09-14 20:00")
    assert results["2025003"].submission.extra["versions_after_deadline"] == 1

    # the unreachable repository: git's own error text is kept for the leader and the student
    ghost_sub = results["2025004"].submission
    assert ghost_sub.detail and "no-such-repo" in ghost_sub.detail, ghost_sub.detail
    assert re.search(r"not|does|fatal|repository", ghost_sub.detail, re.IGNORECASE)
    assert any(ghost_sub.detail in n.en for n in results["2025004"].notes)
    stems = unique_filenames(sorted(ids))
    assert ghost_sub.detail in (out / "feedback" / f"{stems['2025004']}.md").read_text(encoding="utf-8")
    assert df.loc["2025004", "total"] == 0 and df.loc["2025005", "total"] == 0
    assert "nothing found" in results["2025005"].submission.detail


# ----------------------------------------------------------------------------- README's main command


def test_readme_main_command_grades_the_bundled_demo(runtime: Runtime, tmp_path: Path, pack: Pack) -> None:
    """`grade week2` with no SOURCE, in a fresh cache of its own (executes the demo's 8 notebooks)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "runtimes").symlink_to(runtime.root.parent, target_is_directory=True)
    proc = grade_cli([], cache, cwd=tmp_path)
    out = tmp_path / "grade-report-week2"
    assert "bundled demo" in proc.stderr
    assert printed_report(proc) == out.resolve()
    assert counts(proc) == (9, 0)
    df = read_scores(out)
    assert len(df) == 9 and df["key"].is_unique
    assert_complete_report(out, set(df["key"]))
    status = df.set_index("name")["status"].to_dict()
    assert status["김민준"] == "graded" and status["박지호"] == "misnamed" and status["윤채원"] == "unreadable"
    late = df.set_index("name")["late"].to_dict()
    assert {n for n, v in late.items() if v} == {"한지우"}
    assert df.set_index("name").loc["김민준", "total"] == pack.max_points
    # the demo is an ordinary class: one author, commits pushed in time order, nothing to review
    said = proc.stdout + proc.stderr
    assert "run backwards" not in said and "more than one person" not in said, said[-2000:]
