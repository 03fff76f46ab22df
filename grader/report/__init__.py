"""The score report: pandas table → CSV/XLSX/Markdown/JSON/HTML, Gradescope JSON, feedback, summary."""

from grader.report.frame import scores_frame
from grader.report.summary import Summary, render_summary, summary
from grader.report.text import safe_filename
from grader.report.writer import ReportPaths, load_results, write_report

__all__ = [
    "ReportPaths",
    "Summary",
    "load_results",
    "render_summary",
    "safe_filename",
    "scores_frame",
    "summary",
    "write_report",
]
