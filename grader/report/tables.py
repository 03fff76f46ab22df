"""The score table as CSV, XLSX, Markdown and JSON (rendered to bytes/text; writer.py saves them)."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from grader.models import CheckResult, SubmissionResult
from grader.pack import Pack
from grader.report.frame import flat_frame
from grader.report.text import clip, fmt_points, md_escape

JSON_FORMAT = "kubig-report/1"
TEXT_COLUMNS = ("name", "key", "source_path", "commit", "submitted_at", "isolation", "needs_review",
                "leader_decisions", "stale_overrides", "extension", "submission_hash")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_CHARS = 32000


def _defuse(value: Any) -> Any:
    """Keep spreadsheet programs from running a student-provided string as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so Excel shows Hangul), text cells defused."""
    flat = flat_frame(df)
    for col in TEXT_COLUMNS:
        flat[col] = flat[col].map(_defuse)
    return flat.to_csv(index=False).encode("utf-8-sig")


def _cell_value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):  # Excel holds at most 32767 characters per cell
        return ILLEGAL_CHARACTERS_RE.sub("", clip(value, XLSX_CELL_CHARS))
    return value.item() if hasattr(value, "item") else value


def _fill_sheet(ws: Worksheet, frame: pd.DataFrame) -> None:
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=_cell_value(value))
            if cell.data_type == "f":  # a string starting with "=": keep it text
                cell.data_type = "s"
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    for c, col in enumerate(frame.columns, start=1):
        width = max([len(str(col)), *(len(str(v)) for v in frame[col].head(200))])
        ws.column_dimensions[get_column_letter(c)].width = min(40, width + 2)


def checks_frame(results: list[SubmissionResult]) -> pd.DataFrame:
    """Long table: one row per (student, check) with status and messages."""
    rows = [
        {"key": r.submission.key, "check": c.id, "status": str(c.status), "points": c.points,
         "max_points": c.max_points, "message_ko": c.message.ko, "message_en": c.message.en,
         "leader": _leader_cell(c)}
        for r in results for c in r.checks
    ]
    columns = ["key", "check", "status", "points", "max_points", "message_ko", "message_en", "leader"]
    return pd.DataFrame(rows, columns=columns)


def _leader_cell(check: CheckResult) -> str:
    """"leader's decision: …" or "stale: resubmitted" (the leader's comment after it)."""
    d = check.decision
    if d is None:
        return ""
    head = "stale: resubmitted" if d.stale else f"leader's decision: {d.decision} {fmt_points(d.points)}"
    return f"{head} — {d.comment}" if d.comment else head


def xlsx_bytes(df: pd.DataFrame, results: list[SubmissionResult]) -> bytes:
    """Workbook with a "scores" sheet (the table) and a "checks" sheet (per-check details)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "scores"
    _fill_sheet(ws, flat_frame(df))
    _fill_sheet(wb.create_sheet("checks"), checks_frame(results))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _md_cell(column: str, value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return fmt_points(value)
    if column == "commit":
        value = str(value)[:10]
    return md_escape(value)


def markdown_text(df: pd.DataFrame, pack: Pack) -> str:
    """A Markdown page: title line and the table (student strings escaped)."""
    flat = flat_frame(df)
    header = "| " + " | ".join(md_escape(c) for c in flat.columns) + " |"
    rule = "|" + "|".join("---" for _ in flat.columns) + "|"
    rows = [
        "| " + " | ".join(_md_cell(col, value) for col, value in zip(flat.columns, row)) + " |"
        for row in flat.itertuples(index=False)
    ]
    title = f"# {md_escape(pack.title.ko)} / {md_escape(pack.title.en)}\n\n"
    return title + "\n".join([header, rule, *rows]) + "\n"


def json_payload(
    df: pd.DataFrame, results: list[SubmissionResult], pack: Pack, run: dict | None = None
) -> dict[str, Any]:
    """scores.json: the table's records plus the full results (statuses, messages) for reloading.

    "run" is the run's context (deadline and its origin, files skipped as not students) and
    "warnings" the run-level warnings (e.g. every submission after the deadline).
    """
    from grader.report.summary import run_warnings

    return {
        "format": JSON_FORMAT,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "pack": {
            "id": pack.id,
            "week": pack.week,
            "title": {"ko": pack.title.ko, "en": pack.title.en},
            "max_points": pack.max_points,
            "checks": [
                {"id": c.id, "points": c.points, "title": {"ko": c.title.ko, "en": c.title.en}}
                for c in pack.checks
            ],
        },
        "run": run or {},
        "warnings": [{"ko": w.ko, "en": w.en} for w in run_warnings(results, pack, run)],
        "records": json.loads(df.to_json(orient="records", force_ascii=False)),
        "results": [r.to_json() for r in results],
    }
