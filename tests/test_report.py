"""Tests of the score report (grader/report) and atomic writes (grader/atomic)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from grader import atomic
from grader.models import CheckResult, Message, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack
from grader.report import (
    load_results, render_summary, safe_filename, scores_frame, summary, write_report, writer,
)
from grader.report.charts import has_hangul, hangul_font
from grader.report.text import unique_filenames

UNSAFE_KEY = 'a/b\\c:d*e?"f<g>h|i. '
SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _submission(key: str, cohort: int | None, name: str | None, **kw: object) -> Submission:
    return Submission(
        key=key, cohort=cohort, name=name, path=Path(f"/subs/{key}.zip") if name else None,
        display_name=name or key, source_path=f"week2/{key}.zip", **kw,  # type: ignore[arg-type]
    )


def _checks(pack: Pack, overrides: dict[str, Status]) -> tuple[CheckResult, ...]:
    out = []
    for spec in pack.checks:
        status = overrides.get(spec.id, Status.PASS)
        points = spec.points if status == Status.PASS else 0.0
        out.append(CheckResult(spec.id, status, points, spec.points,
                               Message(f"{spec.id} 결과입니다", f"{spec.id} result")))
    return tuple(out)


def _graded(pack: Pack, sub: Submission, overrides: dict[str, Status], penalty: float = 0.0,
            notes: tuple[Message, ...] = ()) -> SubmissionResult:
    checks = _checks(pack, overrides)
    total = sum(c.points for c in checks) - penalty
    return SubmissionResult(sub, "graded", checks, total, pack.max_points, "full", notes)


def _ungraded(pack: Pack, sub: Submission, status: str) -> SubmissionResult:
    return SubmissionResult(sub, status, (), 0.0, pack.max_points, "none")


@pytest.fixture(scope="module")
def results(pack: Pack) -> list[SubmissionResult]:
    return [
        _graded(pack, _submission("22기_박세훈", 22, "박세훈", commit="a" * 40,
                                  submitted_at="2025-09-16T20:00:00+09:00"), {}),
        _graded(pack, _submission("21기_김민지", 21, "김민지", late=True),
                {"softmax": Status.FAIL, "cross_entropy": Status.ERROR}, penalty=10,
                notes=(Message("지각 감점 10점", "late penalty: 10 points"),)),
        _graded(pack, _submission("22기_이서연", 22, "이서연"),
                {"playground": Status.NEEDS_REVIEW, "softmax": Status.FAIL}),
        _ungraded(pack, _submission("22기_최지우", 22, None, status="missing"), "missing"),
        _ungraded(pack, _submission("repo:ghost", None, None, status="unreachable",
                                    detail="repository not found"), "unreachable"),
        _graded(pack, _submission(UNSAFE_KEY, 23, "=1+1"), {"naming": Status.FAIL}),
        _graded(pack, _submission("23기_script", 23, SCRIPT_NAME), {"playground": Status.TIMEOUT}),
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, results: list[SubmissionResult], pack: Pack):
    out = tmp_path_factory.mktemp("report")
    return write_report(results, pack, out)


def _totals(results: list[SubmissionResult]) -> dict[str, float]:
    return {r.submission.key: r.total for r in results}


def test_frame_rows_columns_and_order(results, pack):
    df = scores_frame(results, pack)
    assert len(df) == len(results)
    assert list(df.columns[:8]) == ["cohort", "name", "key", "source_path", "commit", "submitted_at",
                                    "late", "status"]
    assert list(df.columns[8:-8]) == [c.id for c in pack.checks]
    assert list(df.columns[-8:]) == ["total", "max_total", "isolation", "needs_review", "leader_decisions",
                                     "stale_overrides", "extension", "submission_hash"]
    assert list(df["cohort"].iloc[:3]) == [21, 22, 22] and pd.isna(df["cohort"].iloc[-1])
    row = df.set_index("key").loc["22기_이서연"]
    assert row["needs_review"] == ["playground"] and row["playground"] == 0
    assert df.set_index("key").loc["22기_최지우"][[c.id for c in pack.checks]].isna().all()


def test_csv_bom_rows_and_totals(report, results):
    raw = report.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(report.csv, encoding="utf-8-sig")
    assert len(df) == len(results)
    assert dict(zip(df["key"], df["total"])) == pytest.approx(_totals(results))
    assert "박세훈" in set(df["name"])
    assert "'=1+1" in set(df["name"])  # formula defused for spreadsheet programs
    assert df.loc[df["key"] == "21기_김민지", "total"].item() == 100 - 20 - 10


def test_xlsx_reads_back(report, results):
    df = pd.read_excel(report.xlsx, sheet_name="scores")
    assert len(df) == len(results)
    assert dict(zip(df["key"], df["total"])) == pytest.approx(_totals(results))
    assert "=1+1" in set(df["name"])  # stored as text, not as a formula
    checks = pd.read_excel(report.xlsx, sheet_name="checks")
    assert len(checks) == sum(len(r.checks) for r in results)


def test_markdown_and_json(report, results, pack):
    md = report.markdown.read_text(encoding="utf-8")
    assert md.count("\n| ") == len(results) + 1
    assert "<script>" not in md
    data = json.loads(report.json.read_text(encoding="utf-8"))
    assert len(data["records"]) == len(results)
    assert data["pack"]["max_points"] == pack.max_points
    statuses = {c["status"] for r in data["results"] for c in r["checks"]}
    assert {"pass", "fail", "needs-review"} <= statuses


def test_html_has_images_and_escapes(report):
    page = report.html.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "박세훈" in page and "2주차" in page


def test_gradescope_json_sums_to_total(report, results):
    assert len(report.results) == len(results)
    for result in results:
        data = json.loads(report.results[result.submission.key].read_text(encoding="utf-8"))
        assert data["score"] == pytest.approx(result.total)
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(result.total)
        assert all(t["status"] in ("passed", "failed") for t in data["tests"])
        required = {"name", "score", "max_score", "output", "visibility"}
        assert all(required <= set(t) for t in data["tests"])


def test_file_names_are_safe(report):
    names = [p.name for p in (report.folder / "results").iterdir()]
    assert len(names) == len(report.results)
    assert all(not re.search(r'[<>:"/\\|?*\x00-\x1f]', n) for n in names)
    assert report.results[UNSAFE_KEY].parent == report.folder / "results"


def test_feedback_is_bilingual(report, results):
    text = report.feedback["21기_김민지"].read_text(encoding="utf-8")
    assert text.index("softmax 구현") < text.index("softmax implementation")
    assert "실패" in text and "fail" in text
    assert "지각 감점 10점" in text and "late penalty" in text
    assert "70 / 100" in text
    missing = report.feedback["22기_최지우"].read_text(encoding="utf-8")
    assert "미제출" in missing and "missing" in missing
    assert "<script>" not in report.feedback["23기_script"].read_text(encoding="utf-8")


def test_no_temp_files_left(report):
    leftovers = [p for p in report.folder.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    assert leftovers == []


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic.write_text_atomic(target, "old")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError):
        atomic.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_load_results_round_trip(report, results):
    loaded = load_results(report.folder)
    def by_key(r: SubmissionResult) -> str:
        return r.submission.key

    assert sorted(loaded, key=by_key) == sorted(results, key=by_key)


def test_summary_numbers(results, pack, tmp_path):
    s = summary(results, pack, tmp_path)
    assert s.students == 7 and s.graded == 5
    totals = sorted(r.total for r in results if r.status == "graded")
    assert s.mean == pytest.approx(sum(totals) / 5)
    assert s.median == pytest.approx(totals[2])
    assert s.most_failed[0] == ("softmax", 2)
    assert dict(s.most_failed)["playground"] == 1  # the timeout; needs-review is not a failure
    assert s.needs_review == [("이서연", ["playground"])]
    assert s.by_status == {"graded": 5, "missing": 1, "unreachable": 1}
    console = Console(record=True, width=120)
    render_summary(s, console)
    out = console.export_text()
    assert "needs review" in out and "이서연" in out and str(tmp_path) in out


def test_english_fallback_without_hangul_font(tmp_path, results, pack, monkeypatch):
    monkeypatch.setattr(writer, "hangul_font", lambda: None)
    paths = write_report(results[:2], pack, tmp_path, lang="ko")
    assert paths.font is None
    page = paths.html.read_text(encoding="utf-8")
    assert "fonts-nanum" in page and page.count("data:image/png;base64,") == 2


def test_a_snapshot_while_grading_says_the_charts_come_at_the_end(tmp_path, results, pack):
    """Reports written every few seconds of a run draw no charts (nor claim a missing font);
    the page says when they come, and the report at the end has them."""
    snapshot = write_report(results, pack, tmp_path / "snap", lang="en", charts=False).html.read_text(encoding="utf-8")
    assert "data:image/png;base64," not in snapshot and "fonts-nanum" not in snapshot
    assert "the charts are drawn when it ends" in snapshot
    ko = write_report(results, pack, tmp_path / "snap-ko", lang="ko", charts=False).html.read_text(encoding="utf-8")
    assert "차트는 채점이 끝나면 그려집니다" in ko and "fonts-nanum" not in ko
    final = write_report(results, pack, tmp_path / "final", lang="en").html.read_text(encoding="utf-8")
    assert final.count("data:image/png;base64,") == 2 and "drawn when it ends" not in final


def test_hangul_font_found_has_glyphs():
    font = hangul_font()
    if font is None:
        pytest.skip("no Hangul font on this machine (apt-get install fonts-nanum)")
    from matplotlib import font_manager

    assert has_hangul(font_manager.findfont(font, fallback_to_default=False))


def test_safe_filename():
    assert safe_filename("22기_박세훈") == "22기_박세훈"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("a/b:c") == "a_b_c"
    assert safe_filename("...") == "_"
    assert len(safe_filename("가" * 200).encode()) <= 120
    stems = unique_filenames(["Kim", "kim", "a/b", "a:b"])
    assert len({s.casefold() for s in stems.values()}) == 4
