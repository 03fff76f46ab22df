"""A regrade of an unchanged cohort does no work twice: the cached results need no grader (no
kernel, nothing of the execution engine), the report's charts and the similarity hint are the
ones made from the same inputs before, and the bundled demo repository is not rebuilt. What
changed is always made again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.cache import ResultCache
from grader.cohort import LazyGrader, run_cohort
from grader.models import Message, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.report import charts, write_report

CHART = re.compile(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)">')


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KUBIG_CACHE", str(folder))
    return folder


def _submissions(folder: Path, count: int) -> list[Submission]:
    folder.mkdir(parents=True, exist_ok=True)
    subs = []
    for i in range(count):
        path = folder / f"2주차 과제_25기_학생{i}.ipynb"
        path.write_text(f'{{"student": {i}}}', encoding="utf-8")
        subs.append(Submission(f"25기_학생{i}", 25, f"학생{i}", path, path.name, str(path)))
    return subs


def _result(sub: Submission, pack: Pack, total: float) -> SubmissionResult:
    return SubmissionResult(sub, "graded", (), total, pack.max_points, "full",
                            notes=(Message("메모", "note"),))


class FakeGrader:
    """Grades everything with 50 points and counts what it graded."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.graded: list[str] = []
        self.prepared = self.closed = False

    def prepare(self) -> None:
        self.prepared = True

    def grade(self, sub: Submission) -> SubmissionResult:
        self.graded.append(sub.key)
        return _result(sub, self.pack, 50.0)

    def close(self) -> None:
        self.closed = True


def test_a_cached_run_never_builds_the_grader(tmp_path: Path, cache: Path, pack: Pack) -> None:
    subs = _submissions(tmp_path / "subs", 3)
    results = ResultCache(cache, pack)
    for i, sub in enumerate(subs):
        results.put(sub, _result(sub, pack, 10.0 * i))

    def no_grader() -> FakeGrader:
        raise AssertionError("a fully cached run built a grader")

    run = run_cohort(LazyGrader(pack, no_grader), subs, tmp_path / "out", results, jobs=2)  # type: ignore[arg-type]
    assert (run.cached, run.executed) == (3, 0)
    assert [r.total for r in run.results] == [0.0, 10.0, 20.0]
    assert (tmp_path / "out" / "report.html").is_file()


def test_a_changed_submission_builds_the_grader_once(tmp_path: Path, cache: Path, pack: Pack) -> None:
    subs = _submissions(tmp_path / "subs", 4)
    results = ResultCache(cache, pack)
    results.put(subs[0], _result(subs[0], pack, 10.0))
    built: list[FakeGrader] = []

    def build() -> FakeGrader:
        built.append(FakeGrader(pack))
        return built[-1]

    run = run_cohort(LazyGrader(pack, build), subs, None, results, jobs=2)  # type: ignore[arg-type]
    assert (run.cached, run.executed) == (1, 3)
    assert len(built) == 1 and sorted(built[0].graded) == sorted(s.key for s in subs[1:])
    assert built[0].prepared and built[0].closed


def _charts(out: Path) -> list[str]:
    return CHART.findall((out / "report.html").read_text(encoding="utf-8"))


def test_the_same_results_reuse_their_charts(tmp_path: Path, cache: Path, pack: Pack,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    subs = _submissions(tmp_path / "subs", 3)
    results = [_result(sub, pack, 40.0 + 20 * i) for i, sub in enumerate(subs)]
    write_report(results, pack, tmp_path / "first")
    first = _charts(tmp_path / "first")
    assert len(first) == 2

    def no_drawing(fig: object) -> str:
        raise AssertionError("an unchanged chart was drawn again")

    with monkeypatch.context() as patched:
        patched.setattr(charts, "_png_base64", no_drawing)
        write_report(results, pack, tmp_path / "again")
    assert _charts(tmp_path / "again") == first
    changed = [*results[:2], _result(subs[2], pack, 100.0)]
    write_report(changed, pack, tmp_path / "changed")
    hist, rates = _charts(tmp_path / "changed")
    assert hist != first[0] and rates == first[1]  # other totals, the same pass rates
    write_report(results, pack, tmp_path / "english", lang="en")
    assert _charts(tmp_path / "english")[0] != first[0]  # English labels: another chart


def test_the_demo_repository_is_not_rebuilt(tmp_path: Path, pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import _demo_repo

    week3 = load_pack("week3")
    demo = week3.module("demo_module")
    repo, folder = _demo_repo(week3, tmp_path / "demo")
    assert (repo, folder) == (tmp_path / "demo", demo.FOLDER) and (repo / folder).is_dir()

    def no_rebuild(dest: Path) -> tuple[Path, str]:
        raise AssertionError("the built demo repository was rebuilt")

    monkeypatch.setattr(demo, "build_demo_repo", no_rebuild)
    assert _demo_repo(week3, tmp_path / "demo") == (tmp_path / "demo", demo.FOLDER)
    monkeypatch.setattr(demo, "FORMAT", "another-format")  # the pack's uploads changed
    with pytest.raises(AssertionError, match="rebuilt"):
        _demo_repo(week3, tmp_path / "demo")
