"""The class config: what belongs to a semester rather than to an assignment pack.

A pack's ``assignment.toml`` holds the deadline of the semester it was written for; each
semester's leader keeps a small ``kubig-class.toml`` (found in the current directory, or passed
with ``--class-config PATH``)::

    semester = "2026-summer"
    repository = "https://github.com/KU-BIG/KUBIG_2026_FALL"      # optional: the default SOURCE
    timezone = "Asia/Seoul"                                       # optional: for naive deadlines
    branch = "main"                                               # optional

    [weeks.week2]                       # keyed by pack id
    deadline = "2026-07-22T23:59"
    folder = "Basic Study/DL/week2"     # optional: the default --folder

Precedence: command-line flags > class config > pack defaults. Anything malformed (TOML syntax,
unknown keys, wrong types, a bad date or time zone) is a `ClassConfigError` whose bilingual
message names the file and the problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.models import Message

FILENAME = "kubig-class.toml"
TOP_KEYS = {"semester", "repository", "timezone", "branch", "weeks"}
WEEK_KEYS = {"deadline", "folder"}


class ClassConfigError(ValueError):
    """The class config cannot be used; message says which file, what is wrong, how to fix it."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


@dataclass(frozen=True)
class WeekConfig:
    deadline: datetime | None = None
    folder: str | None = None


@dataclass(frozen=True)
class ClassConfig:
    path: Path
    semester: str | None = None
    repository: str | None = None
    timezone: ZoneInfo | None = None
    branch: str | None = None
    weeks: dict[str, WeekConfig] = field(default_factory=dict)

    def week(self, pack_id: str) -> WeekConfig:
        return self.weeks.get(pack_id, WeekConfig())


def _error(path: Path, ko: str, en: str) -> ClassConfigError:
    example = '예: [weeks.week2] deadline = "2026-07-22T23:59"'
    example_en = 'e.g. [weeks.week2] deadline = "2026-07-22T23:59"'
    return ClassConfigError(Message(f"학기 설정 파일 {path}: {ko} ({example})", f"class config {path}: {en} ({example_en})"))


def _text(path: Path, table: dict, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _error(path, f"{where}{key}는 문자열이어야 합니다 (있는 값: {value!r}).",
                     f"{where}{key} must be a non-empty string (found {value!r}).")
    return value.strip()


def _unknown(path: Path, table: dict, allowed: set[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise _error(path, f"알 수 없는 항목 {where}{', '.join(extra)} (쓸 수 있는 항목: {', '.join(sorted(allowed))}).",
                     f"unknown key(s) {where}{', '.join(extra)} (allowed: {', '.join(sorted(allowed))}).")


def _deadline(path: Path, value: object, where: str, tz: ZoneInfo | None) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _error(path, f"{where}deadline {value!r}은 날짜/시간 형식(ISO 8601, 예: 2026-07-22T23:59)이 아닙니다.",
                         f"{where}deadline {value!r} is not an ISO 8601 date-time (e.g. 2026-07-22T23:59).") from None
    else:
        raise _error(path, f"{where}deadline은 날짜/시간이어야 합니다 (있는 값: {value!r}).",
                     f"{where}deadline must be a date-time (found {value!r}).")
    if when.tzinfo is None and tz is not None:
        when = when.replace(tzinfo=tz)
    return when


def parse_class_config(path: Path) -> ClassConfig:
    """Read and validate a class config (raises ClassConfigError)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise _error(path, "파일이 없습니다.", "the file does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, f"파일을 읽을 수 없습니다 ({exc}).", f"the file cannot be read ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise _error(path, f"TOML 문법 오류: {exc}.", f"TOML syntax error: {exc}.") from None
    _unknown(path, data, TOP_KEYS, "")
    tz = None
    tz_name = _text(path, data, "timezone", "")
    if tz_name:
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _error(path, f"알 수 없는 시간대 {tz_name!r} (예: Asia/Seoul).",
                         f"unknown time zone {tz_name!r} (e.g. Asia/Seoul).") from None
    weeks_raw = data.get("weeks", {})
    if not isinstance(weeks_raw, dict):
        raise _error(path, "weeks는 [weeks.<과제 id>] 표여야 합니다.", "weeks must be tables [weeks.<pack id>].")
    weeks = {}
    for pack_id, table in weeks_raw.items():
        where = f"[weeks.{pack_id}] "
        if not isinstance(table, dict):
            raise _error(path, f"{where}는 표여야 합니다 (deadline, folder).", f"{where}must be a table (deadline, folder).")
        _unknown(path, table, WEEK_KEYS, where)
        deadline = _deadline(path, table["deadline"], where, tz) if "deadline" in table else None
        weeks[pack_id] = WeekConfig(deadline, _text(path, table, "folder", where))
    return ClassConfig(
        path=path,
        semester=_text(path, data, "semester", "") if "semester" in data else None,
        repository=_text(path, data, "repository", ""),
        timezone=tz,
        branch=_text(path, data, "branch", ""),
        weeks=weeks,
    )


def find_class_config(explicit: Path | None, cwd: Path | None = None) -> ClassConfig | None:
    """The class config: explicit (must exist), else ./kubig-class.toml if present, else None."""
    if explicit is not None:
        return parse_class_config(Path(explicit))
    candidate = Path(cwd or Path.cwd()) / FILENAME
    return parse_class_config(candidate) if candidate.is_file() else None
