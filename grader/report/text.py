"""Labels, number formatting, escaping and safe file names shared by the report writers."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata

from grader.models import Message, Status

SUBMISSION_STATUSES: tuple[str, ...] = (
    "graded", "missing", "misnamed", "unreadable", "timeout", "error", "unreachable", "pending",
)

SUBMISSION_LABELS: dict[str, Message] = {
    "graded": Message("채점 완료", "graded"),
    "missing": Message("미제출", "missing"),
    "misnamed": Message("파일 이름 오류", "misnamed"),
    "unreadable": Message("파일을 열 수 없음", "unreadable"),
    "timeout": Message("시간 초과", "timeout"),
    "error": Message("채점 오류", "error"),
    "unreachable": Message("저장소 접근 불가", "unreachable"),
    "pending": Message("채점 중단됨 (다시 실행하면 이어서 채점)", "pending (interrupted; run again to resume)"),
}

CHECK_LABELS: dict[Status, Message] = {
    Status.PASS: Message("통과", "pass"),
    Status.FAIL: Message("실패", "fail"),
    Status.ERROR: Message("오류", "error"),
    Status.TIMEOUT: Message("시간 초과", "timeout"),
    Status.NEEDS_REVIEW: Message("검토 필요", "needs review"),
}

FAILED_STATUSES: frozenset[Status] = frozenset({Status.FAIL, Status.ERROR, Status.TIMEOUT})


def submission_label(status: str) -> Message:
    """Bilingual label of a submission status (unknown statuses are shown as-is)."""
    return SUBMISSION_LABELS.get(status, Message(status, status))


def check_label(status: Status) -> Message:
    """Bilingual label of a check status."""
    return CHECK_LABELS.get(status, Message(str(status), str(status)))


def fmt_points(value: float | None) -> str:
    """5.0 → "5", 2.5 → "2.5", None/NaN → ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|])")


def md_escape(text: object) -> str:
    """Make a (student-provided) string inert in a Markdown table cell or line."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE
)
MAX_NAME_BYTES = 120


def safe_filename(key: str) -> str:
    """A file-name stem that is valid on Windows, macOS and Linux (Hangul is kept)."""
    name = unicodedata.normalize("NFC", key)
    name = _UNSAFE_CHARS.sub("_", name).strip().rstrip(". ")
    name = name.lstrip(".") or "_"
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1]
    return name


def unique_filenames(keys: list[str]) -> dict[str, str]:
    """Map each key to a distinct safe stem (distinct case-insensitively too)."""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for key in keys:
        if key in out:
            continue
        stem = safe_filename(key)
        if stem.casefold() in taken:
            stem = f"{stem}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"
        counter = 2
        base = stem
        while stem.casefold() in taken:
            stem, counter = f"{base}-{counter}", counter + 1
        taken.add(stem.casefold())
        out[key] = stem
    return out
