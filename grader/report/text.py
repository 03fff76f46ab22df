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


_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~])")
# C0/C1 controls (line breaks excepted where kept), Unicode line separators and the bidi
# overrides/isolates that can make text display in another order than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

MAX_INLINE_CHARS = 500  # one student-derived string on one line (a name, a message)
MAX_BLOCK_CHARS = 4000  # one fenced multi-line block (a traceback)
MAX_LIST_ITEMS = 30  # notes, skipped files, … shown per list
MAX_NAME_CHARS = 160  # one file name in a list


def clip(text: object, limit: int) -> str:
    """text cut to at most limit characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    more = len(text) - limit
    return f"{text[:limit].rstrip()}… (+{more}자 생략 / {more} more chars)"


def plain(text: object) -> str:
    """text without control or bidi-override characters (line breaks kept as \\n)."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(" ", text)


def md_escape(text: object, limit: int = MAX_INLINE_CHARS) -> str:
    """Make a (student-provided) string inert in a Markdown table cell or line, at most limit chars.

    Whitespace (line breaks included) collapses to single spaces, so the text cannot start a
    heading, list item, quote or table row of its own; ``\\ ` * [ ] < > | ~`` are
    backslash-escaped, so it cannot open code spans, emphasis, links, images (``![](…)``), HTML
    (``<script>``) or table cells.
    """
    flat = " ".join(plain(text).split())
    return _MD_SPECIAL.sub(r"\\\1", clip(flat, limit))


def md_block(text: object, limit: int = MAX_BLOCK_CHARS) -> str:
    """Multi-line (student-provided) text as a fenced code block: shown verbatim, never Markdown.

    The fence is one backtick longer than the longest backtick run inside, so nothing in the
    text can close it; the block starts and ends at column 0.
    """
    body = clip(plain(text).strip("\n"), limit)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def md_field(label: str, text: object, limit: int = MAX_BLOCK_CHARS) -> list[str]:
    """Lines showing ``label: text``: inline and escaped when text is one line, else a fenced block.

    label is ours (trusted Markdown); text is student-derived.
    """
    body = plain(text).strip()
    if "\n" not in body:
        return [f"{label} {md_escape(body, min(limit, MAX_INLINE_CHARS * 2))}"]
    return [label, "", md_block(body, limit), ""]


def capped(items: list, limit: int = MAX_LIST_ITEMS) -> tuple[list, int]:
    """(the first limit items, how many were left out)."""
    items = list(items)
    return items[:limit], max(0, len(items) - limit)


def more_line(left_out: int) -> Message:
    """The line that stands for items left out of a list."""
    return Message(f"… 외 {left_out}개 더 (scores.json에 전체 목록)", f"… and {left_out} more (scores.json has them all)")


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
