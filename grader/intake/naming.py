"""Parse a submission's file name (`{week}주차 과제_{cohort}기_{name}.zip`) into a `NameInfo`.

Real names deviate in many ways (separators, a missing `과제` or cohort, the wrong week, a bare
`.ipynb`, browser copy markers such as `(1)`), and arrive as NFC, NFD (macOS) or CP949 bytes.
`parse_name` tolerates all of these to identify the student, and reports each deviation with
the exact name the student should have used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from grader.models import Message, NameInfo
from grader.pack import NamingRule

COHORT_PLACEHOLDER = "{기수}"
NAME_PLACEHOLDER = "{이름}"

_SEP = r"[\s_\-]"
_WEEK_RE = re.compile(r"(?<!\d)(\d{1,2})\s*주\s*차?|week\s*(\d{1,2})", re.IGNORECASE)
_ASSIGNMENT_RE = re.compile(r"과\s*제")
_COHORT_RE = re.compile(r"(?<!\d)(\d{1,3})\s*기")
_BARE_NUMBER_RE = re.compile(r"(?<![\d])(\d{2})(?![\d])")
_COPY_RE = re.compile(r"\s*(?:\(\d{1,3}\)|-\s*복사본|\s복사본|\s-?\s?copy)\s*$", re.IGNORECASE)
_HANGUL_NAME_RE = re.compile(r"^[가-힣]{2,5}$")


def decode_name(raw: str | bytes) -> str:
    """Bytes → str (strict UTF-8, else CP949, else UTF-8 with replacement); str is returned as is."""
    if isinstance(raw, str):
        return raw
    for encoding in ("utf-8", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _basename(text: str) -> str:
    return re.split(r"[/\\]", text)[-1]


def _split_extension(filename: str) -> tuple[str, str]:
    match = re.search(r"\.([A-Za-z0-9]{1,6})$", filename)
    if not match:
        return filename, ""
    return filename[: match.start()], match.group(0)


@dataclass
class _Parts:
    """What the tolerant parser found in the file-name stem."""

    week: int | None = None
    has_assignment_word: bool = False
    cohort: int | None = None
    cohort_without_suffix: bool = False
    name: str | None = None
    extra: tuple[str, ...] = ()
    copy_marker: str | None = None


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    """First match of pattern and text with that match replaced by a separator."""
    match = pattern.search(text)
    if not match:
        return None, text
    return match, f"{text[: match.start()]} {text[match.end():]}"


def _parse_stem(stem: str) -> _Parts:
    parts = _Parts()
    copy = _COPY_RE.search(stem)
    if copy:
        parts.copy_marker = copy.group(0).strip()
        stem = stem[: copy.start()]
    match, rest = _take(_WEEK_RE, stem)
    if match:
        parts.week = int(match.group(1) or match.group(2))
    match, rest = _take(_ASSIGNMENT_RE, rest)
    parts.has_assignment_word = match is not None
    match, rest = _take(_COHORT_RE, rest)
    if match:
        parts.cohort = int(match.group(1))
    else:
        match, rest = _take(_BARE_NUMBER_RE, rest)
        if match:
            parts.cohort, parts.cohort_without_suffix = int(match.group(1)), True
    tokens = [t for t in re.split(rf"{_SEP}+", rest) if t]
    parts.name, parts.extra = _pick_name(tokens)
    return parts


def _pick_name(tokens: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """The student's name among leftover tokens: a Hangul name if there is one, else all of them."""
    if not tokens:
        return None, ()
    if len(tokens) == 1:
        return tokens[0], ()
    for i, token in enumerate(tokens):
        if _HANGUL_NAME_RE.match(token):
            return token, tuple(tokens[:i] + tokens[i + 1 :])
    return " ".join(tokens), ()


def expected_filename(rule: NamingRule, week: int, cohort: int | None, name: str | None) -> str:
    """The exact conforming file name (placeholders for what is unknown)."""
    return (
        rule.pattern.replace("{week}", str(week))
        .replace("{cohort}", COHORT_PLACEHOLDER if cohort is None else str(cohort))
        .replace("{name}", NAME_PLACEHOLDER if name is None else name)
    )


def _problems(parts: _Parts, ext: str, rule: NamingRule, week: int, expected: str, normalized: str) -> list[Message]:
    out: list[Message] = []
    want_ext = _split_extension(rule.pattern)[1] or ".zip"
    if ext.lower() != want_ext.lower():
        shown = ext or "(없음)"
        out.append(Message(
            f"확장자가 {shown}입니다. 노트북과 스크린샷을 함께 {want_ext} 파일로 압축해 제출하세요.",
            f"The extension is {ext or '(none)'}; zip the notebook and the screenshot together into one {want_ext} file.",
        ))
    elif ext != want_ext:
        out.append(Message(f"확장자는 소문자 {want_ext}(으)로 써 주세요.", f"Write the extension in lower case: {want_ext}."))
    if parts.week is None:
        out.append(Message(f"파일 이름에 주차가 없습니다. 맨 앞에 '{week}주차'를 붙이세요.",
                           f"The file name does not say the week; start it with '{week}주차'."))
    elif parts.week != week:
        out.append(Message(f"파일 이름의 주차({parts.week}주차)가 이 과제({week}주차)와 다릅니다.",
                           f"The file name says week {parts.week}, but this is the week-{week} assignment."))
    if "과제" in rule.pattern and not parts.has_assignment_word:
        out.append(Message("파일 이름에 '과제'가 빠졌습니다.", "The word '과제' (assignment) is missing from the file name."))
    if parts.cohort is None:
        out.append(Message(
            f"파일 이름에 기수(예: 22기)가 없습니다. 예상 이름의 {COHORT_PLACEHOLDER} 자리에 본인 기수를 넣으세요.",
            f"The file name has no cohort (e.g. 22기); put your cohort where {COHORT_PLACEHOLDER} is in the expected name.",
        ))
    elif parts.cohort_without_suffix:
        out.append(Message(f"기수 뒤에 '기'를 붙이세요: {parts.cohort}기.", f"Write the cohort with '기': {parts.cohort}기."))
    if parts.name is None:
        out.append(Message(
            f"파일 이름에 이름이 없습니다. 예상 이름의 {NAME_PLACEHOLDER} 자리에 본인 이름을 넣으세요.",
            f"The file name has no student name; put your name where {NAME_PLACEHOLDER} is in the expected name.",
        ))
    if parts.extra:
        extra = ", ".join(f"'{t}'" for t in parts.extra)
        out.append(Message(f"규칙에 없는 내용 {extra}을(를) 빼 주세요.", f"Remove the extra text {extra}."))
    if parts.copy_marker:
        out.append(Message(f"복사본 표시 '{parts.copy_marker}'을(를) 빼 주세요.", f"Remove the copy marker '{parts.copy_marker}'."))
    if not out and normalized != expected:
        out.append(Message(
            f"띄어쓰기·밑줄·순서가 규칙과 다릅니다. '{expected}'(으)로 바꾸세요.",
            f"Spaces, underscores or word order differ from the convention; rename it to '{expected}'.",
        ))
    return out


def parse_name(filename: str | bytes, rule: NamingRule, week: int) -> NameInfo:
    """Identify week, cohort and student from a submission file name, and explain each deviation.

    `week` is the assignment's week; the expected name always uses it. `conforms` is true only
    when the (NFC-normalised) name is exactly the expected one.
    """
    original = decode_name(filename)
    normalized = unicodedata.normalize("NFC", _basename(original))
    stem, ext = _split_extension(normalized)
    parts = _parse_stem(stem)
    expected = expected_filename(rule, week, parts.cohort, parts.name)
    problems = _problems(parts, ext, rule, week, expected, normalized)
    conforms = parts.cohort is not None and parts.name is not None and normalized == expected
    return NameInfo(
        original=original,
        normalized=normalized,
        week=parts.week,
        cohort=parts.cohort,
        name=parts.name,
        conforms=conforms,
        expected_name=expected,
        problems=tuple(problems),
    )
