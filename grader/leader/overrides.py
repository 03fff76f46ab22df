"""The leader's overrides file: a decision per (student, check) that survives every regrade.

`grading/<pack>-overrides.csv` (UTF-8, one header line, one row per student key and check id):

    key,check,decision,points,comment,who,when,submission_hash

decision is ``pass`` (full points unless points says otherwise), ``fail`` (0 unless points says
otherwise) or ``points`` (points required); points lies in 0…the check's maximum. submission_hash
is the (prefix of the) sha256 of the submission the decision was made for (scores.csv's
``submission_hash``): when the student's submission has changed since, the row is *stale*: it is
not applied, the check keeps the machine's verdict and goes back to the review queue. An empty
submission_hash applies to whatever the student submits.

`load_overrides` never raises: a malformed row (unknown decision, bad points, unknown check id,
missing field) becomes a bilingual error naming the file and line, and the other rows still
apply. `apply_overrides` runs after the checks and before the report (cached results included);
`save_override` replaces a (key, check) row or appends one, atomically, leaving every other line
of the file byte for byte as it was.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.models import CheckResult, LeaderDecision, Message, Status, SubmissionResult
from grader.pack import Pack
from grader.scoring import total_points

COLUMNS = ("key", "check", "decision", "points", "comment", "who", "when", "submission_hash")
DECISIONS = ("pass", "fail", "points")
HASH_CHARS = 16  # written: the first 16 hex digits of the sha256; read: any prefix of 8 or more
MIN_HASH_CHARS = 8


def default_overrides_path(pack_id: str) -> Path:
    """grading/<pack>-overrides.csv in the current directory."""
    return Path("grading") / f"{pack_id}-overrides.csv"


def short_hash(content_hash: str | None) -> str:
    return (content_hash or "")[:HASH_CHARS]


@dataclass(frozen=True)
class Override:
    """One row of the overrides file, validated."""

    key: str
    check: str
    decision: str
    points: float | None  # as written (None: empty)
    comment: str
    who: str
    when: str
    submission_hash: str
    line: int

    def score(self, max_points: float) -> float:
        if self.points is not None:
            return self.points
        return max_points if self.decision == "pass" else 0.0

    def status(self, max_points: float) -> Status:
        if self.decision == "points":
            return Status.PASS if self.score(max_points) >= max_points else Status.FAIL
        return Status.PASS if self.decision == "pass" else Status.FAIL

    def matches(self, content_hash: str | None) -> bool:
        """Made for this submission (or for any: no hash written)."""
        if not self.submission_hash:
            return True
        return bool(content_hash) and content_hash.lower().startswith(self.submission_hash.lower())


@dataclass(frozen=True)
class Overrides:
    """A loaded overrides file: valid rows by (student key, check id), and the malformed ones."""

    path: Path
    rows: dict[tuple[str, str], Override]
    errors: tuple[Message, ...] = ()

    def get(self, key: str, check: str) -> Override | None:
        return self.rows.get((_nfc(key), check))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _error(path: Path, line: int, ko: str, en: str) -> Message:
    return Message(f"{path}:{line}: 오버라이드 행을 무시합니다 — {ko}", f"{path}:{line}: override row ignored — {en}")


def _records(text: str) -> list[tuple[int, int, list[str]]]:
    """Non-blank CSV records with their first and last line (a quoted comment may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out, start = [], 1
    for record in reader:
        if any(f.strip() for f in record):
            out.append((start, reader.line_num, record))
        start = reader.line_num + 1
    return out


def _lines(text: str) -> list[str]:
    """The text's lines as the CSV reader counts them (line endings kept)."""
    return io.StringIO(text, newline="").readlines()


def _points(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _row(path: Path, line: int, fields: dict[str, str], pack: Pack) -> Override | Message:
    """A validated row, or the error that says what is wrong with it and how to fix it."""
    missing = [c for c in ("key", "check", "decision") if not fields.get(c, "").strip()]
    if missing:
        return _error(path, line, f"비어 있는 열: {', '.join(missing)}", f"empty column(s): {', '.join(missing)}")
    check_ids = [c.id for c in pack.checks]
    check = fields["check"].strip()
    if check not in check_ids:
        return _error(path, line, f"알 수 없는 항목 id {check!r} (가능한 값: {', '.join(check_ids)})",
                      f"unknown check id {check!r} (one of: {', '.join(check_ids)})")
    decision = fields["decision"].strip().lower()
    if decision not in DECISIONS:
        return _error(path, line, f"알 수 없는 결정 {fields['decision'].strip()!r} (pass, fail, points 중 하나)",
                      f"unknown decision {fields['decision'].strip()!r} (expected pass, fail or points)")
    max_points = pack.check(check).points
    raw = fields.get("points", "").strip()
    points = None
    if raw:
        try:
            points = _points(raw)
        except ValueError:
            return _error(path, line, f"점수 {raw!r}가 숫자가 아닙니다", f"points {raw!r} is not a number")
        if not 0 <= points <= max_points:
            return _error(path, line, f"점수 {raw}가 0…{max_points:g} 밖입니다", f"points {raw} outside 0…{max_points:g}")
    elif decision == "points":
        return _error(path, line, "decision이 points이면 points 열에 점수가 필요합니다",
                      "decision 'points' needs a number in the points column")
    when = fields.get("when", "").strip()
    if when:
        try:
            datetime.fromisoformat(when)
        except ValueError:
            return _error(path, line, f"when {when!r}이 ISO 8601 시각이 아닙니다 (예: 2026-07-23T10:00+09:00)",
                          f"when {when!r} is not an ISO 8601 time (e.g. 2026-07-23T10:00+09:00)")
    digest = fields.get("submission_hash", "").strip()
    if digest and (len(digest) < MIN_HASH_CHARS or any(ch not in "0123456789abcdefABCDEF" for ch in digest)):
        return _error(path, line, f"submission_hash {digest!r}는 16진수 {MIN_HASH_CHARS}자 이상이어야 합니다 "
                      "(scores.csv의 submission_hash를 복사하거나 비워 두세요)",
                      f"submission_hash {digest!r} must be at least {MIN_HASH_CHARS} hex digits (copy scores.csv's "
                      "submission_hash, or leave it empty)")
    return Override(_nfc(fields["key"]), check, decision, points, fields.get("comment", "").strip(),
                    fields.get("who", "").strip(), when, digest, line)


def parse_overrides(path: Path, text: str, pack: Pack) -> Overrides:
    """Every row of the file's text (see the module docstring); never raises."""
    records = _records(text.lstrip("\ufeff"))
    if not records:
        return Overrides(path, {})
    header_line, _, header = records[0]
    names = [h.strip().lower() for h in header]
    absent = [c for c in COLUMNS if c not in names]
    if absent:
        return Overrides(path, {}, (Message(
            f"{path}:{header_line}: 머리글에 열이 없습니다: {', '.join(absent)} — 오버라이드를 하나도 적용하지 않았습니다. "
            f"첫 줄은 {','.join(COLUMNS)} 이어야 합니다.",
            f"{path}:{header_line}: the header lacks column(s) {', '.join(absent)} — no override applied. "
            f"The first line must be {','.join(COLUMNS)}."),))
    rows: dict[tuple[str, str], Override] = {}
    errors: list[Message] = []
    for line, _, record in records[1:]:
        if len(record) != len(names):
            errors.append(_error(path, line, f"열이 {len(record)}개입니다 (머리글은 {len(names)}개; 쉼표가 든 값은 "
                                 "큰따옴표로 감싸세요)", f"{len(record)} fields where the header has {len(names)} "
                                 "(quote a value that holds a comma)"))
            continue
        row = _row(path, line, dict(zip(names, record)), pack)
        if isinstance(row, Message):
            errors.append(row)
            continue
        earlier = rows.get((row.key, row.check))
        if earlier is not None:
            errors.append(Message(
                f"{path}:{line}: {row.key} / {row.check}의 행이 {earlier.line}행에도 있습니다: 마지막 행({line}행)을 씁니다.",
                f"{path}:{line}: {row.key} / {row.check} also has a row at line {earlier.line}: the last one "
                f"(line {line}) applies."))
        rows[(row.key, row.check)] = row
    return Overrides(path, rows, tuple(errors))


def load_overrides(path: Path, pack: Pack) -> Overrides:
    """The overrides file at path (absent: no overrides); never raises."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Overrides(path, {})
    except (OSError, UnicodeDecodeError) as exc:
        return Overrides(path, {}, (Message(
            f"{path}: 오버라이드 파일을 읽을 수 없습니다 ({exc}); UTF-8 CSV여야 합니다 — 오버라이드를 적용하지 않았습니다.",
            f"{path}: cannot read the overrides file ({exc}); it must be UTF-8 CSV — no override applied."),))
    return parse_overrides(path, text, pack)


def _decided(check: CheckResult, row: Override, content_hash: str | None) -> CheckResult:
    if not row.matches(content_hash):
        stale = LeaderDecision(row.decision, row.score(check.max_points), row.comment, row.who, row.when, row.line,
                               stale=True)
        return replace(check, decision=stale)
    points = max(0.0, min(check.max_points, row.score(check.max_points)))
    decision = LeaderDecision(row.decision, points, row.comment, row.who, row.when, row.line,
                              original_status=check.status, original_points=check.points)
    return replace(check, status=row.status(check.max_points), points=points, decision=decision)


def apply_overrides(result: SubmissionResult, overrides: Overrides, pack: Pack) -> SubmissionResult:
    """The result with the leader's decisions applied (stale ones only marked) and its total recomputed."""
    key = result.submission.key
    if not any(k == _nfc(key) for k, _ in overrides.rows):
        return result
    checks = tuple(
        _decided(c, row, result.content_hash) if (row := overrides.get(key, c.id)) is not None else c
        for c in result.checks
    )
    return replace(result, checks=checks, total=total_points(checks, result.submission, pack))


def stale_rows(results: list[SubmissionResult]) -> list[tuple[str, str, int]]:
    """(student key, check id, line) of every override not applied because the student resubmitted."""
    return [(r.submission.key, c.id, c.decision.line) for r in results for c in r.checks
            if c.decision is not None and c.decision.stale]


def unknown_students(overrides: Overrides, keys: set[str]) -> list[Message]:
    """Rows naming a student this run does not have (a typo, or another class's file)."""
    known = {_nfc(k) for k in keys}
    return [Message(f"{overrides.path}:{row.line}: 이번 채점에 학생 {row.key!r}가 없습니다 (key 오타?)",
                    f"{overrides.path}:{row.line}: no student {row.key!r} in this run (a typo in key?)")
            for row in overrides.rows.values() if row.key not in known]


def _line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


class OverridesFileError(ValueError):
    """The overrides file cannot take a new row (its header is not ours); message is bilingual."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


def save_override(path: Path, row: Override) -> int:
    """Write row into the file atomically: replace the (key, check) row, or append one.

    Every other line stays byte for byte (hand-written rows included); a new file gets the
    header. Returns the line the row starts on. Raises OverridesFileError when the file's
    header lacks a column (the row would land in the wrong columns).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    values = {"key": row.key, "check": row.check, "decision": row.decision,
              "points": "" if row.points is None else f"{row.points:g}", "comment": row.comment, "who": row.who,
              "when": row.when, "submission_hash": row.submission_hash}
    records = _records(text.lstrip("\ufeff"))
    if not records:
        write_text_atomic(path, _line(list(COLUMNS)) + _line([values[c] for c in COLUMNS]))
        return 2
    names = [h.strip().lower() for h in records[0][2]]
    absent = [c for c in COLUMNS if c not in names]
    if absent:
        raise OverridesFileError(Message(
            f"{path}:{records[0][0]}: 머리글에 열이 없어 ({', '.join(absent)}) 결정을 기록할 수 없습니다. 첫 줄을 "
            f"{','.join(COLUMNS)} 로 고치세요.",
            f"{path}:{records[0][0]}: the header lacks column(s) {', '.join(absent)}, so the decision cannot be "
            f"recorded. Make the first line {','.join(COLUMNS)}."))
    new = _line([values.get(name, "") for name in names])
    target = None
    for start, end, record in records[1:]:
        fields = dict(zip(names, record))
        if _nfc(fields.get("key", "")) == row.key and fields.get("check", "").strip() == row.check:
            target = (start, end)
    lines = _lines(text)
    if target is not None:
        start, end = target
        lines[start - 1:end] = [new if lines[end - 1].endswith(("\n", "\r")) else new.rstrip("\n")]
        write_text_atomic(path, "".join(lines))
        return start
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    write_text_atomic(path, "".join(lines) + new)
    return len(lines) + 1
