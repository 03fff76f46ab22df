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
from grader.pack import NamePattern, NamingRule

COHORT_PLACEHOLDER = "{기수}"
NAME_PLACEHOLDER = "{이름}"

_SEP = r"[\s_\-]"
_WEEK_RE = re.compile(r"(?<!\d)(\d{1,2})\s*주\s*차?|week\s*(\d{1,2})", re.IGNORECASE)
_ASSIGNMENT_RE = re.compile(r"과\s*제")
_ASSIGNMENT_TASK_RE = re.compile(r"과\s*제\s*(\d)?(?!\d)")  # 과제1, 과제 2: a task number
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
    task: int | None = None
    task_apart: bool = False  # the task number is not right after 과제 (`과제_22기_X_1`)


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    """First match of pattern and text with that match replaced by a separator."""
    match = pattern.search(text)
    if not match:
        return None, text
    return match, f"{text[: match.start()]} {text[match.end():]}"


def _parse_stem(stem: str, tasks: bool = False) -> _Parts:
    """tasks: the rule names task numbers (`과제1`), so a lone digit is a task number, not text."""
    parts = _Parts()
    copy = _COPY_RE.search(stem)
    if copy:
        parts.copy_marker = copy.group(0).strip()
        stem = stem[: copy.start()]
    match, rest = _take(_WEEK_RE, stem)
    if match:
        parts.week = int(match.group(1) or match.group(2))
    match, rest = _take(_ASSIGNMENT_TASK_RE if tasks else _ASSIGNMENT_RE, rest)
    parts.has_assignment_word = match is not None
    if tasks and match is not None and match.group(1):
        parts.task = int(match.group(1))
    match, rest = _take(_COHORT_RE, rest)
    if match:
        parts.cohort = int(match.group(1))
    else:
        match, rest = _take(_BARE_NUMBER_RE, rest)
        if match:
            parts.cohort, parts.cohort_without_suffix = int(match.group(1)), True
    tokens = [t for t in re.split(rf"{_SEP}+", rest) if t]
    if tasks and parts.task is None:
        digits = [t for t in tokens if re.fullmatch(r"\d", t)]
        if len(digits) == 1:
            parts.task, parts.task_apart = int(digits[0]), True
            tokens.remove(digits[0])
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


def choose_pattern(rule: NamingRule, ext: str, task: int | None) -> NamePattern:
    """The pattern a file is judged by: one accepting its extension (the one naming its task
    first), else one naming its task, else the first (week 2: a bare .ipynb is judged as the zip)."""
    by_ext = [p for p in rule.patterns if ext.lower() in p.suffixes]
    by_task = [p for p in rule.patterns if task is not None and p.task == task]
    for options in ([p for p in by_ext if p in by_task], by_ext, by_task):
        if options:
            return options[0]
    return rule.patterns[0]


def expected_filename(pattern: NamePattern | NamingRule, week: int, cohort: int | None, name: str | None,
                      ext: str = "") -> str:
    """The exact conforming file name (placeholders for what is unknown); ext is kept when the
    pattern accepts it (an image task sent as .jpg is expected as .jpg)."""
    if isinstance(pattern, NamingRule):
        pattern = pattern.patterns[0]
    text = pattern.pattern
    if ext and ext.lower() in pattern.suffixes and pattern.suffix:
        text = text[: -len(pattern.suffix)] + ext.lower()
    return (
        text.replace("{week}", str(week))
        .replace("{cohort}", COHORT_PLACEHOLDER if cohort is None else str(cohort))
        .replace("{name}", NAME_PLACEHOLDER if name is None else name)
    )


def josa(word: str, after_consonant: str, after_vowel: str) -> str:
    """The Korean particle that follows word (이/가, 과/와, 을/를): by its last syllable's final consonant."""
    last = word[-1:]
    batchim = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0
    return after_consonant if batchim else after_vowel


def _extension_problem(ext: str, pattern: NamePattern) -> Message:
    """The extension is not one the pattern accepts: say what to submit."""
    shown = ext or "(없음)"
    want = "/".join(pattern.suffixes) or ".zip"
    words = pattern.words
    if pattern.suffix == ".zip" and len(words) >= 2:
        ko_list = ", ".join(w.ko for w in words[:-1])
        ko = f"{ko_list}{josa(ko_list, '과', '와')} {words[-1].ko}{josa(words[-1].ko, '을', '를')}"
        en = " and ".join(f"the {w.en}" for w in words)
        return Message(f"확장자가 {shown}입니다. {ko} 함께 {want} 파일로 압축해 제출하세요.",
                       f"The extension is {ext or '(none)'}; zip {en} together into one {want} file.")
    return Message(f"확장자가 {shown}입니다. {want} 파일로 제출하세요.",
                   f"The extension is {ext or '(none)'}; submit a {want} file.")


def _problems(parts: _Parts, ext: str, pattern: NamePattern, week: int, expected: str, normalized: str) -> list[Message]:
    out: list[Message] = []
    if ext.lower() not in (pattern.suffixes or (".zip",)):
        out.append(_extension_problem(ext, pattern))
    elif ext != ext.lower():
        out.append(Message(f"확장자는 소문자 {ext.lower()}(으)로 써 주세요.", f"Write the extension in lower case: {ext.lower()}."))
    if parts.week is None:
        out.append(Message(f"파일 이름에 주차가 없습니다. 맨 앞에 '{week}주차'를 붙이세요.",
                           f"The file name does not say the week; start it with '{week}주차'."))
    elif parts.week != week:
        out.append(Message(f"파일 이름의 주차({parts.week}주차)가 이 과제({week}주차)와 다릅니다.",
                           f"The file name says week {parts.week}, but this is the week-{week} assignment."))
    if pattern.task is not None and parts.task is None:
        out.append(Message(f"파일 이름에 과제 번호가 없습니다: '과제{pattern.task}'처럼 쓰세요.",
                           f"The file name does not say the task number; write it as '과제{pattern.task}'."))
    elif pattern.task is not None and parts.task != pattern.task:
        out.append(Message(f"파일 이름의 과제 번호({parts.task})가 이 파일의 과제({pattern.task})와 다릅니다.",
                           f"The file name says task {parts.task}, but this file is task {pattern.task}."))
    elif pattern.task is not None and parts.task_apart:
        out.append(Message(f"과제 번호는 '과제{pattern.task}'처럼 '과제' 바로 뒤에 쓰세요.",
                           f"Write the task number right after '과제': '과제{pattern.task}'."))
    if "과제" in pattern.pattern and not parts.has_assignment_word:
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


def pattern_index(filename: str | bytes, rule: NamingRule) -> int:
    """Which of the rule's patterns a file fills (see `choose_pattern`): the slot grouping uses."""
    normalized = unicodedata.normalize("NFC", _basename(decode_name(filename)))
    stem, ext = _split_extension(normalized)
    parts = _parse_stem(stem, tasks=any(p.task is not None for p in rule.patterns))
    return rule.patterns.index(choose_pattern(rule, ext, parts.task))


def parse_name(filename: str | bytes, rule: NamingRule, week: int) -> NameInfo:
    """Identify week, cohort and student from a submission file name, and explain each deviation.

    `week` is the assignment's week; the expected name always uses it. `conforms` is true only
    when the (NFC-normalised) name is exactly the expected one.
    """
    original = decode_name(filename)
    normalized = unicodedata.normalize("NFC", _basename(original))
    stem, ext = _split_extension(normalized)
    parts = _parse_stem(stem, tasks=any(p.task is not None for p in rule.patterns))
    pattern = choose_pattern(rule, ext, parts.task)
    expected = expected_filename(pattern, week, parts.cohort, parts.name, ext)
    problems = _problems(parts, ext, pattern, week, expected, normalized)
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
