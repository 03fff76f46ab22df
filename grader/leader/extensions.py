"""Per-student deadlines: `grading/<pack>-extensions.csv`.

    cohort,name,key,deadline
    25,홍길동,,2026-07-25T23:59
    ,,S2026001,2026-07-24T12:00

A row names the student by ``key`` (the report's key: "25기_홍길동", or a roster's student id)
or by ``cohort`` and ``name``; the key and cohort columns may be left out of the header. The
deadline is ISO 8601, read in the class's time zone when it has no offset; a date alone means
23:59 that day. The sources judge that student's versions by it (which version is graded, and
whether it is late) exactly as they judge everyone else by the class deadline.

`load_extensions` never raises: a malformed row is a bilingual error naming the file and line,
and the other rows still apply.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from grader.models import Message

COHORT_RE = re.compile(r"^\s*(\d{1,3})\s*(기)?\s*$")


def default_extensions_path(pack_id: str) -> Path:
    """grading/<pack>-extensions.csv in the current directory."""
    return Path("grading") / f"{pack_id}-extensions.csv"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


@dataclass(frozen=True)
class Extension:
    """One student's own deadline, and the line that grants it."""

    deadline: datetime
    line: int
    path: Path
    key: str = ""
    cohort: int | None = None
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"deadline": self.deadline.isoformat(), "file": str(self.path), "line": self.line}

    def who(self) -> str:
        return self.key or f"{self.cohort}기_{self.name}"


@dataclass
class Extensions:
    """The loaded file: rows by key and by (cohort, name), the malformed rows' errors, and
    which rows a run used (so a row naming nobody can be reported)."""

    path: Path
    by_key: dict[str, Extension] = field(default_factory=dict)
    by_name: dict[tuple[int, str], Extension] = field(default_factory=dict)
    errors: list[Message] = field(default_factory=list)
    used: set[int] = field(default_factory=set)

    def find(self, key: str, cohort: int | None, name: str | None) -> Extension | None:
        """The extension of this student, if any (by key first, then cohort and name)."""
        ext = self.by_key.get(_nfc(key))
        if ext is None and cohort is not None and name:
            ext = self.by_name.get((cohort, _nfc(name).casefold()))
        if ext is not None:
            self.used.add(ext.line)
        return ext

    def unused(self) -> list[Message]:
        """Rows that matched no student of the run."""
        rows = {e.line: e for e in [*self.by_key.values(), *self.by_name.values()]}
        return [Message(f"{self.path}:{n}: 연장 대상 학생 {rows[n].who()!r}가 이번 채점에 없습니다 (이름/기수 오타?)",
                        f"{self.path}:{n}: no student {rows[n].who()!r} in this run for the extension (a typo?)")
                for n in sorted(rows) if n not in self.used]

    def __bool__(self) -> bool:
        return bool(self.by_key or self.by_name)


def _error(path: Path, line: int, ko: str, en: str) -> Message:
    return Message(f"{path}:{line}: 마감 연장 행을 무시합니다 — {ko}", f"{path}:{line}: extension row ignored — {en}")


def parse_deadline(text: str, tz: tzinfo) -> datetime:
    """ISO 8601 (naive: in tz); a date alone is 23:59 that day. Raises ValueError."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        value = datetime.combine(date.fromisoformat(text), time(23, 59))
    else:
        value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _row(path: Path, line: int, fields: dict[str, str], tz: tzinfo) -> Extension | Message:
    key, cohort_text, name = (_nfc(fields.get(c, "")) for c in ("key", "cohort", "name"))
    raw = fields.get("deadline", "").strip()
    if not raw:
        return _error(path, line, "deadline이 비어 있습니다", "the deadline is empty")
    try:
        deadline = parse_deadline(raw, tz)
    except ValueError:
        return _error(path, line, f"deadline {raw!r}이 ISO 8601 날짜/시각이 아닙니다 (예: 2026-07-25T23:59)",
                      f"deadline {raw!r} is not an ISO 8601 date or time (e.g. 2026-07-25T23:59)")
    if key:
        return Extension(deadline, line, path, key=key)
    match = COHORT_RE.match(cohort_text)
    if not match or not name:
        return _error(path, line, f"학생을 알 수 없습니다: key, 또는 cohort(예: 25)와 name이 필요합니다 "
                      f"(cohort={cohort_text!r}, name={name!r})",
                      f"which student? give key, or cohort (e.g. 25) and name (cohort={cohort_text!r}, name={name!r})")
    return Extension(deadline, line, path, cohort=int(match.group(1)), name=name)


def parse_extensions(path: Path, text: str, tz: tzinfo) -> Extensions:
    """Every row of the file's text (see the module docstring); never raises."""
    out = Extensions(Path(path))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    records, start = [], 1
    for record in reader:
        if any(f.strip() for f in record):
            records.append((start, record))
        start = reader.line_num + 1
    if not records:
        return out
    header_line, header = records[0]
    names = [h.strip().lower() for h in header]
    if "deadline" not in names or not ("key" in names or "name" in names):
        out.errors.append(Message(
            f"{path}:{header_line}: 머리글에 deadline과 key 또는 cohort,name 열이 있어야 합니다 (예: cohort,name,deadline) "
            "— 마감 연장을 하나도 적용하지 않았습니다.",
            f"{path}:{header_line}: the header needs deadline and key, or cohort,name (e.g. cohort,name,deadline) "
            "— no extension applied."))
        return out
    for line, record in records[1:]:
        if len(record) != len(names):
            out.errors.append(_error(path, line, f"열이 {len(record)}개입니다 (머리글은 {len(names)}개)",
                                     f"{len(record)} fields where the header has {len(names)}"))
            continue
        ext = _row(path, line, dict(zip(names, record)), tz)
        if isinstance(ext, Message):
            out.errors.append(ext)
            continue
        table: dict = out.by_key if ext.key else out.by_name
        slot = ext.key if ext.key else (ext.cohort, ext.name.casefold())
        if slot in table:
            out.errors.append(Message(
                f"{path}:{line}: {ext.who()}의 연장이 {table[slot].line}행에도 있습니다: 마지막 행을 씁니다.",
                f"{path}:{line}: {ext.who()} also has an extension at line {table[slot].line}: the last one applies."))
        table[slot] = ext
    return out


def load_extensions(path: Path, tz: tzinfo) -> Extensions:
    """The extensions file at path (absent: none); never raises."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Extensions(path)
    except (OSError, UnicodeDecodeError) as exc:
        return Extensions(path, errors=[Message(
            f"{path}: 마감 연장 파일을 읽을 수 없습니다 ({exc}); UTF-8 CSV여야 합니다.",
            f"{path}: cannot read the extensions file ({exc}); it must be UTF-8 CSV.")])
    return parse_extensions(path, text, tz)
