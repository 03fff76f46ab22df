"""write_report: every report file of a run, each written atomically; load_results reads one back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.atomic import write_bytes_atomic, write_json_atomic, write_text_atomic
from grader.models import SubmissionResult
from grader.pack import Pack
from grader.report.charts import hangul_font
from grader.report.feedback import feedback_markdown
from grader.report.frame import order_results, scores_frame
from grader.report.gradescope import gradescope_json
from grader.report.page import render_html
from grader.report.summary import summary
from grader.report.tables import JSON_FORMAT, csv_bytes, json_payload, markdown_text, xlsx_bytes
from grader.report.text import unique_filenames


@dataclass(frozen=True)
class ReportPaths:
    """Where write_report put things."""

    folder: Path
    csv: Path
    xlsx: Path
    markdown: Path
    json: Path
    html: Path
    results: dict[str, Path] = field(default_factory=dict)  # student key → Gradescope JSON
    feedback: dict[str, Path] = field(default_factory=dict)  # student key → feedback Markdown
    font: str | None = None  # Hangul font used for the charts (None: English labels)


def _per_student(
    results: list[SubmissionResult], pack: Pack, out_dir: Path
) -> tuple[dict[str, Path], dict[str, Path]]:
    """Gradescope JSON and feedback Markdown of each student, under sanitized file names."""
    stems = unique_filenames([r.submission.key for r in results])
    graded_files: dict[str, Path] = {}
    feedback_files: dict[str, Path] = {}
    for result in results:
        key = result.submission.key
        graded_files[key] = write_json_atomic(out_dir / "results" / f"{stems[key]}.json",
                                              gradescope_json(result, pack))
        feedback_files[key] = write_text_atomic(out_dir / "feedback" / f"{stems[key]}.md",
                                                feedback_markdown(result, pack))
    return graded_files, feedback_files


def write_report(
    results: list[SubmissionResult], pack: Pack, out_dir: Path, lang: str = "ko", run: dict | None = None,
    charts: bool = True,
) -> ReportPaths:
    """Write scores.{csv,xlsx,md,json}, report.html, results/<key>.json and feedback/<key>.md.

    lang ("ko" or "en") picks the language of the HTML page and chart labels; the feedback and
    Gradescope files are always bilingual. scores.json is written last: it is the index.
    run (JSON-able) is the run's context, kept in scores.json and shown on the page (warnings,
    skipped files). charts False: a snapshot while the run is still grading (the page says the
    charts come at the end; drawing them costs the run CPU every time).
    """
    out_dir = Path(out_dir)
    ordered = order_results(results)
    df = scores_frame(ordered, pack)
    font = hangul_font() if charts else None
    graded_files, feedback_files = _per_student(ordered, pack, out_dir)
    page = render_html(df, ordered, pack, summary(ordered, pack, out_dir, run), font, lang, charts=charts)
    return ReportPaths(
        folder=out_dir,
        csv=write_bytes_atomic(out_dir / "scores.csv", csv_bytes(df)),
        xlsx=write_bytes_atomic(out_dir / "scores.xlsx", xlsx_bytes(df, ordered)),
        markdown=write_text_atomic(out_dir / "scores.md", markdown_text(df, pack)),
        html=write_text_atomic(out_dir / "report.html", page),
        json=write_json_atomic(out_dir / "scores.json", json_payload(df, ordered, pack, run)),
        results=graded_files,
        feedback=feedback_files,
        font=font,
    )


def load_results(out_dir: Path) -> list[SubmissionResult]:
    """The results stored in out_dir/scores.json (as written by write_report)."""
    path = Path(out_dir) / "scores.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != JSON_FORMAT:
        raise ValueError(f"{path}: not a report written by this grader (format {data.get('format')!r})")
    return [SubmissionResult.from_json(r) for r in data["results"]]
