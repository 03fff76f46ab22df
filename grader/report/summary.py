"""The run summary: numbers for the terminal (rich) and the top of the HTML page."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from grader.models import Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import check_ids, needs_review, order_results, student_name
from grader.report.text import FAILED_STATUSES, SUBMISSION_STATUSES, fmt_points, submission_label


@dataclass(frozen=True)
class Summary:
    """Headline numbers of one grading run."""

    pack_id: str
    title: Message
    students: int
    graded: int
    mean: float | None
    median: float | None
    max_points: float
    by_status: dict[str, int]
    most_failed: list[tuple[str, int]]  # (check id, students failing it), most first
    pass_rates: dict[str, float]  # check id → share of graded students passing
    needs_review: list[tuple[str, list[str]]]  # (student, check ids)
    report_dir: Path | None = None


def _status_counts(results: list[SubmissionResult]) -> dict[str, int]:
    counts = Counter(r.status for r in results)
    ordered = {s: counts[s] for s in SUBMISSION_STATUSES if counts[s]}
    ordered.update({s: n for s, n in sorted(counts.items()) if s not in ordered})
    return ordered


def _failures(graded: list[SubmissionResult], ids: list[str]) -> list[tuple[str, int]]:
    counts = Counter(c.id for r in graded for c in r.checks if c.status in FAILED_STATUSES)
    ranked = sorted((i for i in ids if counts[i]), key=lambda i: (-counts[i], ids.index(i)))
    return [(i, counts[i]) for i in ranked]


def _pass_rates(graded: list[SubmissionResult], ids: list[str]) -> dict[str, float]:
    passed = Counter(c.id for r in graded for c in r.checks if c.status == Status.PASS)
    return {i: (passed[i] / len(graded) if graded else 0.0) for i in ids}


def summary(results: list[SubmissionResult], pack: Pack, report_dir: Path | None = None) -> Summary:
    """Summarise a run: counts, mean/median of graded totals, most failed checks, reviews."""
    ordered = order_results(results)
    graded = [r for r in ordered if r.status == "graded"]
    totals = [r.total for r in graded]
    ids = check_ids(results, pack)
    return Summary(
        pack_id=pack.id,
        title=pack.title,
        students=len(results),
        graded=len(graded),
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        max_points=pack.max_points,
        by_status=_status_counts(ordered),
        most_failed=_failures(graded, ids),
        pass_rates=_pass_rates(graded, ids),
        needs_review=[(student_name(r), needs_review(r)) for r in ordered if needs_review(r)],
        report_dir=report_dir,
    )


def _headline(s: Summary) -> Table:
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("학생 / students", str(s.students))
    table.add_row("채점 / graded", str(s.graded))
    table.add_row("평균 / mean", f"{fmt_points(s.mean) or '-'} / {fmt_points(s.max_points)}")
    table.add_row("중앙값 / median", f"{fmt_points(s.median) or '-'} / {fmt_points(s.max_points)}")
    for status, n in s.by_status.items():
        label = submission_label(status)
        table.add_row(f"{escape(label.ko)} / {escape(label.en)}", str(n))
    return table


def _failed_table(s: Summary, limit: int) -> Table:
    table = Table(title="가장 많이 틀린 항목 / most failed checks")
    table.add_column("check")
    table.add_column("실패 / failed", justify="right")
    for check_id, n in s.most_failed[:limit]:
        table.add_row(escape(check_id), f"{n} / {s.graded}")
    return table


def render_summary(s: Summary, console: Console | None = None, limit: int = 5) -> None:
    """Print the summary to a rich console (markup in student names is escaped)."""
    console = console or Console()
    console.print(f"[bold]{escape(s.title.ko)} / {escape(s.title.en)}[/] ({escape(s.pack_id)})")
    console.print(_headline(s))
    if s.most_failed:
        console.print(_failed_table(s, limit))
    if s.needs_review:
        console.print("[bold yellow]검토 필요 / needs review[/]")
        for name, ids in s.needs_review:
            console.print(f"  • {escape(name)}: {escape(', '.join(ids))}")
    if s.report_dir is not None:
        console.print(f"보고서 / report: {escape(str(s.report_dir))}")
