"""`grade check --format github`: GitHub Actions workflow commands, job summary and step outputs.

What `emit_github` writes:

* stdout: a log block (the results as plain text) wrapped in ``::stop-commands::<token>`` …
  ``::<token>::`` so nothing in it can act as a workflow command, followed by the annotations
  we mean to emit: ``::error``/``::warning``/``::notice`` — naming and unreadable submissions
  first, then failed checks by points lost; at most 10 of each kind (GitHub's limit per step).
* ``$GITHUB_STEP_SUMMARY`` (appended): a Markdown table per run, kept well under GitHub's 1 MiB
  limit (cut with a note).
* ``$GITHUB_OUTPUT`` (appended): ``total``, ``max_total``, ``failed``, ``needs_review``,
  ``submissions``, ``status`` and ``files``, each in the heredoc form with a random delimiter.

Student-controlled text (file names, exception messages from student code, OCR text) reaches
stdout only through `neutralize` (every ``::`` and ``##[`` is broken by a zero-width space, so no
line can start a command whatever the runner takes for a line break) and, inside annotations,
`escape_data`/`escape_property` as well.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from grader.models import CheckResult, Message, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import review_flags, student_name
from grader.report.gradescope import check_title
from grader.report.text import (
    FAILED_STATUSES, capped, check_label, fmt_points, md_escape, more_line, submission_label,
)

MAX_ANNOTATIONS = 10  # per kind and step: GitHub shows no more
SUMMARY_LIMIT = 512 * 1024  # GitHub rejects a step summary over 1 MiB; we stop at half of that
ANNOTATION_CHARS = 1000
FIX_CHARS = 160
DETAIL_CHARS = 400
ZWSP = "\u200b"

_COLON_RUN = re.compile(r":(?=:)")
_LEGACY = re.compile(r"#(?=#\[)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
UNGRADED = {"missing", "unreadable", "unreachable", "error", "timeout"}

STATUS_ICONS = {
    Status.PASS: "✅", Status.FAIL: "❌", Status.ERROR: "❌", Status.TIMEOUT: "⏱️", Status.NEEDS_REVIEW: "⚠️",
}


def neutralize(text: object) -> str:
    """Text that the Actions runner cannot read as a workflow command, however it splits lines.

    A zero-width space goes between every two adjacent colons (``::`` → ``:\u200b:``) and inside
    every legacy ``##[``; nothing else changes, so the text still reads the same.
    """
    out = _COLON_RUN.sub(":" + ZWSP, str(text))
    return _LEGACY.sub("#" + ZWSP, out)


def escape_data(text: object) -> str:
    """Escape a workflow command's message (``%``, ``\\r``, ``\\n``)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    """Escape a workflow command's property value (as data, plus ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: object = "", **properties: object) -> str:
    """One workflow command line: ``::name k=v,…::message`` (message neutralized and escaped)."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v not in (None, ""))
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(neutralize(message))}"


def _flat(text: object, limit: int | None = None) -> str:
    """One line of text: control characters and line breaks become spaces; cut to limit."""
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Annotation:
    kind: str  # error | warning | notice
    rank: tuple[float, ...]  # smaller first
    file: str
    title: str
    message: str

    def line(self) -> str:
        return command(self.kind, _cut(self.message, ANNOTATION_CHARS), file=self.file, title=_flat(self.title, 200))


def annotation_file(result: SubmissionResult, cwd: Path | None = None) -> str:
    """The path an annotation points at: the submission as given (relative to the class repo)."""
    sub = result.submission
    path = sub.path if sub.path is not None else Path(sub.source_path or sub.display_name)
    if path.is_absolute():
        try:
            return path.relative_to(cwd or Path.cwd()).as_posix()
        except ValueError:
            return path.name
    return path.as_posix()


def _points_lost(check: CheckResult) -> float:
    return max(0.0, check.max_points - check.points)


def annotations(results: list[SubmissionResult], pack: Pack, lang: str = "both") -> list[Annotation]:
    """Everything worth an annotation, most important first within each kind."""
    out: list[Annotation] = []
    naming_id = pack.naming.check
    for r in results:
        file = annotation_file(r)
        who = _flat(student_name(r), 80)
        if r.status in UNGRADED:
            label = submission_label(r.status)
            detail = " ".join(n.text(lang) for n in r.notes) or label.text(lang)
            out.append(Annotation("error", (0, 0), file, f"{who}: {label.text(lang)}", detail))
        for c in r.checks:
            title = check_title(c, pack).text(lang)
            points = f"({fmt_points(c.points)}/{fmt_points(c.max_points)})"
            text = f"{c.message.text(lang)} {points}"
            if c.id == naming_id and c.status != Status.PASS:
                out.append(Annotation("error", (0, 1, -_points_lost(c)), file, title, text))
            elif c.status in FAILED_STATUSES:
                out.append(Annotation("error", (1, -_points_lost(c)), file, title, text))
            elif c.status == Status.NEEDS_REVIEW:
                out.append(Annotation("warning", (0, -c.max_points), file, title, text))
            elif c.points < c.max_points:
                out.append(Annotation("warning", (1, -_points_lost(c)), file, title, text))
        for note in r.notes if r.status not in UNGRADED else ():
            out.append(Annotation("notice", (0,), file, f"{who}", note.text(lang)))
    order = {"error": 0, "warning": 1, "notice": 2}
    return sorted(out, key=lambda a: (order[a.kind], a.rank))  # stable: submission order breaks ties


def _log_lines(results: list[SubmissionResult], pack: Pack, lang: str) -> list[str]:
    lines = [f"{pack.title.text(lang)} ({pack.id})"]
    for r in results:
        label = submission_label(r.status).text(lang)
        lines += ["", f"{_flat(r.submission.display_name)} [{_flat(r.submission.key)}]",
                  f"  {label}: {fmt_points(r.total)}/{fmt_points(r.max_total)}, isolation: {r.isolation}"]
        for c in r.checks:
            status = check_label(c.status).text(lang)
            lines.append(f"  {STATUS_ICONS.get(c.status, '')} {c.id}: {status}, "
                         f"{fmt_points(c.points)}/{fmt_points(c.max_points)} — {_flat(c.message.text(lang), 600)}")
        notes, left_out = capped(review_flags(r) + list(r.notes))
        lines += [f"  • {_flat(n.text(lang), 600)}" for n in notes + ([more_line(left_out)] if left_out else [])]
    return lines


def _fix(r: SubmissionResult, pack: Pack, lang: str) -> str:
    todo = [check_title(c, pack).text(lang) for c in r.checks if c.status in FAILED_STATUSES or (
        c.status == Status.PASS and c.points < c.max_points)]
    if r.status in UNGRADED and not r.checks:
        todo.append(submission_label(r.status).text(lang))
    return md_escape(_flat("; ".join(todo), FIX_CHARS)) if todo else "—"


def _cell(c: CheckResult | None) -> str:
    if c is None:
        return ""
    return f"{STATUS_ICONS.get(c.status, '')} {fmt_points(c.points)}"


def summary_parts(results: list[SubmissionResult], pack: Pack, lang: str = "both") -> list[str]:
    """The step summary as blocks (each ends with a newline); cut only between blocks."""
    ids = [spec.id for spec in pack.checks]
    head = Message("학생", "Student").text(lang)
    total = Message("총점", "Total").text(lang)
    fix = Message("고칠 점", "What to fix").text(lang)
    parts = [
        f"### KUBIG grader — {md_escape(pack.title.text(lang))}\n\n",
        "> " + Message("자동 점검 결과입니다. 성적은 스터디장의 채점(`grade " + pack.id + "`)으로 정해집니다.",
                       "Automatic self-check: the grade is the session leader's `grade " + pack.id + "` run.").text(lang)
        + "\n\n",
        f"| {head} | " + " | ".join(f"`{i}`" for i in ids) + f" | {total} | {fix} |\n",
        "|---|" + "---:|" * len(ids) + "---:|---|\n",
    ]
    for r in results:
        by_id = {c.id: c for c in r.checks}
        name = md_escape(_flat(student_name(r), 60))
        status = "" if r.status == "graded" else f" ({submission_label(r.status).text(lang)})"
        cells = " | ".join(_cell(by_id.get(i)) for i in ids)
        parts.append(f"| {name}{status} | {cells} | **{fmt_points(r.total)}**/{fmt_points(r.max_total)} "
                     f"| {_fix(r, pack, lang)} |\n")
    parts.append("\n")
    for r in results:
        bad = [c for c in r.checks if c.status != Status.PASS or c.points < c.max_points]
        notes, left_out = capped(review_flags(r) + list(r.notes))
        if left_out:
            notes.append(more_line(left_out))
        if not bad and not notes:
            continue
        rows = [f"- {STATUS_ICONS.get(c.status, '')} **{md_escape(check_title(c, pack).text(lang))}** "
                f"({fmt_points(c.points)}/{fmt_points(c.max_points)}): {md_escape(_flat(c.message.text(lang), DETAIL_CHARS))}"
                for c in bad]
        rows += [f"- {md_escape(_flat(n.text(lang), DETAIL_CHARS))}" for n in notes]
        file = html.escape(_flat(r.submission.display_name, 120))
        parts.append(f"<details><summary>{file}</summary>\n\n" + "\n".join(rows) + "\n\n</details>\n\n")
    return parts


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_summary(path: str, parts: list[str], limit: int = SUMMARY_LIMIT) -> bool:
    """Append parts while the file stays under limit; then a note. True when something was cut."""
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    note = ("\n> ✂️ " + Message("요약이 너무 길어 잘렸습니다. 전체 결과는 report 아티팩트에 있습니다.",
                                  "The summary was cut to stay under GitHub's size limit; the report artifact has everything.").text("both") + "\n")
    budget = limit - used - len(note.encode())
    if budget <= 0:
        return True  # an earlier run of this step already filled (and noted) the summary
    chunks, size, cut = [], 0, False
    for part in parts:
        n = len(part.encode())
        if size + n > budget:
            cut = True
            break
        chunks.append(part)
        size += n
    _append(path, "".join(chunks) + (note if cut else ""))
    return cut


def write_outputs(path: str, values: Mapping[str, object]) -> None:
    """Append name<<DELIM … DELIM blocks with a fresh random delimiter per value."""
    blocks = []
    for name, value in values.items():
        text = str(value)
        delim = f"ghadelimiter_{secrets.token_hex(16)}"
        while delim in text:  # pragma: no cover - 128 random bits
            delim = f"ghadelimiter_{secrets.token_hex(16)}"
        blocks.append(f"{name}<<{delim}\n{text}\n{delim}\n")
    _append(path, "".join(blocks))


def _outputs(results: list[SubmissionResult]) -> dict[str, object]:
    checks = [c for r in results for c in r.checks]
    return {
        "total": fmt_points(sum(r.total for r in results)) or "0",
        "max_total": fmt_points(sum(r.max_total for r in results)) or "0",
        "failed": sum(c.status in FAILED_STATUSES for c in checks) + sum(
            r.status in UNGRADED and not r.checks for r in results),
        "needs_review": sum(c.status == Status.NEEDS_REVIEW for c in checks),
        "submissions": len(results),
        "status": ",".join(sorted({r.status for r in results})),
        "files": "\n".join(r.submission.display_name for r in results),
    }


def emit_github(results: list[SubmissionResult], pack: Pack, lang: str = "both",
                env: Mapping[str, str] = os.environ, stream: TextIO = sys.stdout) -> None:
    """Report results to GitHub Actions: log block, annotations, step summary and step outputs.

    Without ``$GITHUB_STEP_SUMMARY``/``$GITHUB_OUTPUT`` (a local run) only stdout is written.
    """
    token = secrets.token_hex(16)
    log = [neutralize(line) for line in _log_lines(results, pack, lang)]
    while any(token in line for line in log):  # pragma: no cover - 128 random bits
        token = secrets.token_hex(16)
    out = [f"::group::KUBIG grader — {pack.id}: {len(results)} submission(s)",
           f"::stop-commands::{token}", *log, f"::{token}::", "::endgroup::"]
    notes = annotations(results, pack, lang)
    skipped: dict[str, int] = {}
    for kind in ("error", "warning", "notice"):
        mine = [a for a in notes if a.kind == kind]
        out += [a.line() for a in mine[:MAX_ANNOTATIONS]]
        if len(mine) > MAX_ANNOTATIONS:
            skipped[kind] = len(mine) - MAX_ANNOTATIONS
    if skipped:
        more = ", ".join(f"{n} {kind}(s)" for kind, n in skipped.items())
        out.append(f"(GitHub shows {MAX_ANNOTATIONS} annotations of each kind per step; {more} more "
                   f"are in the job summary and the report.)")
    stream.write("\n".join(out) + "\n")
    stream.flush()
    if env.get("GITHUB_STEP_SUMMARY"):
        write_summary(env["GITHUB_STEP_SUMMARY"], summary_parts(results, pack, lang))
    if env.get("GITHUB_OUTPUT"):
        write_outputs(env["GITHUB_OUTPUT"], _outputs(results))
