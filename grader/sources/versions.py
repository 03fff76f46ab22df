"""Shared by the sources: who a file belongs to, which version counts, and writing it out.

A *version* is one state of one candidate (a file's blob, or a folder's tree) as committed at
one time. `choose` applies the deadline and the pack's late policy to one student's versions:

* Byte-identical versions are one upload. Its time is when those bytes *first* appeared under
  the student (so a macOS re-commit of the same file under an NFD path, after the deadline, does
  not make an on-time submission late).
* ``ignore``: the latest version committed at or before the deadline is graded. A student with
  only late versions is still graded: the *earliest* late version (the state closest to the
  deadline; later edits do not count), marked late.
* ``penalty`` / ``latest`` (and any other value): the latest version is graded, marked late when
  its bytes first appeared after the deadline.

Times are `Version.when`: the committer date, unless the history proves the commit came later
(a commit cannot reach the branch before its parents; see `gitcache.effective_times`). `pick`
wraps `choose` with the identity check (only the first uploader's versions are graded when
several git authors uploaded under one student's name) and the review flags.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from grader.atomic import remove_all_but, write_bytes_atomic, write_folder_atomic
from grader.intake.naming import parse_name
from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.gitcache import CachedRepo, Change

_COHORT_RE = re.compile(r"(\d+)\s*기")
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def submission_extensions(pack: Pack) -> tuple[str, ...]:
    """File extensions that are submissions (lower case, with dot): .zip, the pack's notebooks, and
    every extension a naming pattern accepts (week 3: the task-1 image is uploaded on its own)."""
    exts = {".zip"} | {"." + e.lower().lstrip(".") for e in pack.artifacts.notebook_extensions}
    exts |= {suffix for pattern in pack.naming.patterns for suffix in pattern.suffixes}
    return tuple(sorted(exts))


def loose_only(path: str, pack: Pack) -> bool:
    """A submission extension that is neither a zip nor a notebook (week 3's task-1 image): such a
    file is a student's only when `names_student` (a slides PDF or a stray image is not)."""
    lower = path.lower()
    return not lower.endswith(".zip") and not has_extension(
        lower, tuple("." + e.lower() for e in pack.artifacts.notebook_extensions))


def names_student(filename: str, pack: Pack) -> bool:
    """The name states cohort (written with 기, as in `23기`) and name: strict enough for a file
    that is not a zip or notebook (`25-2_DL_3주차.pdf`, the slides, names nobody)."""
    base = nfc(filename.rsplit("/", 1)[-1])
    return identify(base, pack)[0] is not None and _COHORT_RE.search(base) is not None


def is_ignored(path: str) -> bool:
    """Never a submission: hidden files/folders (.gitkeep, .DS_Store, .ipynb_checkpoints),
    macOS resource forks (`__MACOSX/`, `._x`)."""
    return any(part.startswith(".") or part == "__MACOSX" for part in path.split("/"))


def has_extension(path: str, exts: tuple[str, ...]) -> bool:
    return path.lower().endswith(exts)


def _fallback_identify(filename: str) -> tuple[int | None, str | None]:
    stem = re.sub(r"\.[A-Za-z0-9]{1,6}$", "", filename)
    match = _COHORT_RE.search(stem)
    if not match:
        return None, None
    rest = stem[match.end():].strip(" _")
    name = re.split(r"[_\s]", rest)[-1] if rest else ""
    return int(match.group(1)), name or None


def identify(filename: str, pack: Pack) -> tuple[int | None, str | None]:
    """(cohort, NFC name) that a file or folder name states, or Nones when it does not say both."""
    filename = nfc(filename.rsplit("/", 1)[-1])
    try:
        info = parse_name(filename, pack.naming, pack.week)
        cohort, name = info.cohort, info.name
    except Exception:  # noqa: BLE001 - a name parser bug must not lose a student
        cohort, name = _fallback_identify(filename)
    if cohort is None or not name:
        return None, None
    return cohort, " ".join(nfc(name).split())


def student_key(cohort: int, name: str) -> str:
    """The key of an identified student: "22기_박세훈"."""
    return f"{cohort}기_{name}"


def unknown_key(relpath: str) -> str:
    """The key of a file that names no student: derived from its (NFC) path, extension dropped."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,6}$", "", nfc(relpath)).strip("/")
    return "unknown_" + (stem.replace("/", "_") or "file")


def safe_component(text: str) -> str:
    """text usable as one file-name component on any OS."""
    cleaned = _UNSAFE.sub("_", nfc(text)).strip().lstrip(".")
    return cleaned[:200] or "_"


@dataclass(frozen=True)
class Version:
    """One committed state of a candidate file (blob) or folder (tree)."""

    key: str
    path: str  # NFC repo path
    raw_path: bytes
    kind: str  # blob | tree
    sha: str  # git object id
    content: str  # identity of the bytes: blob sha, or a hash of the folder's NFC listing
    commit: str
    committed: datetime  # the committer date the commit states (set by the uploader's client)
    order: int
    author_email: str = ""
    author_name: str = ""
    effective: datetime | None = None  # earliest time it can have reached the branch (see gitcache)
    dated_by: str = ""  # the ancestor commit whose date sets `effective`, when not its own

    @classmethod
    def of(cls, key: str, change: Change, content: str) -> "Version":
        """The version a history `Change` stands for (content: see `content_id`)."""
        return cls(key, change.path, change.raw_path, change.type, change.sha, content, change.commit,
                   change.committed, change.order, change.author_email, change.author_name,
                   change.effective, change.dated_by)

    @property
    def is_nfd(self) -> bool:
        return self.raw_path != self.path.encode("utf-8", errors="surrogateescape")

    @property
    def when(self) -> datetime:
        """The time the deadline is judged by: the committer date, unless the history proves it later."""
        return self.effective if self.effective is not None and self.effective > self.committed else self.committed

    @property
    def backdated(self) -> bool:
        return self.when > self.committed

    @property
    def author(self) -> str:
        """Who committed it, for people: "name <email>" (cut to 100 characters)."""
        text = " ".join(f"{self.author_name} <{self.author_email}>".split()) if self.author_email else self.author_name
        return (text[:99] + "…") if len(text) > 100 else (text or "?")

    def sort_key(self) -> tuple[datetime, int, bool]:
        return (self.when, self.order, not self.is_nfd)


@dataclass(frozen=True)
class Choice:
    """The version to grade for one student and why."""

    chosen: Version
    first: Version  # where the chosen bytes first appeared (its commit/time are reported)
    late: bool
    distinct: int  # distinct byte versions
    after_deadline: int  # distinct byte versions that first appeared after the deadline
    aliases: tuple[str, ...]  # other NFC paths that held the same bytes


def choose(versions: list[Version], deadline: datetime, policy: str) -> Choice:
    """Pick the version to grade (see the module docstring for the rules)."""
    ordered = sorted(versions, key=Version.sort_key)
    first: dict[str, Version] = {}
    for v in ordered:
        first.setdefault(v.content, v)
    if policy == "ignore":
        on_time = [v for v in ordered if v.when <= deadline]
        chosen = on_time[-1] if on_time else ordered[0]
    else:
        chosen = ordered[-1]
    origin = first[chosen.content]
    aliases = sorted({v.path for v in ordered if v.content == chosen.content and v.path != chosen.path})
    return Choice(
        chosen=chosen,
        first=origin,
        late=origin.when > deadline,
        distinct=len(first),
        after_deadline=sum(1 for v in first.values() if v.when > deadline),
        aliases=tuple(aliases),
    )


# ------------------------------------------------------------------ who uploaded it, and when

BACKDATE_TOLERANCE = timedelta(minutes=2)  # clock skew between uploaders' machines is not an attack
MAX_ALTERNATIVES = 3


def _author_keys(v: Version) -> set[str]:
    keys = set()
    if v.author_email.strip():
        keys.add("e:" + v.author_email.strip().casefold())
    if v.author_name.strip():
        keys.add("n:" + " ".join(v.author_name.split()).casefold())
    return keys or {"c:" + v.commit}


def author_clusters(versions: list[Version]) -> list[list[Version]]:
    """Versions grouped by uploader: same author email or same author name (one person who
    commits from two machines usually keeps one of the two), in order of each one's first version."""
    clusters: list[tuple[set[str], list[Version]]] = []
    for v in sorted(versions, key=Version.sort_key):
        keys = _author_keys(v)
        hits = [c for c in clusters if c[0] & keys]
        if not hits:
            clusters.append((set(keys), [v]))
            continue
        head = hits[0]
        head[0].update(keys)
        head[1].append(v)
        for other in hits[1:]:  # this version links two clusters: one person
            head[0].update(other[0])
            head[1].extend(other[1])
            clusters.remove(other)
    return [sorted(c[1], key=Version.sort_key) for c in clusters]


@dataclass(frozen=True)
class Pick:
    """`choose` with the identity and commit-date checks: what is graded, and what to review."""

    choice: Choice
    others: tuple[Version, ...] = ()  # other uploaders' versions: shown, never graded
    flags: tuple[dict[str, str], ...] = ()  # Submission.extra["review"]: {"id", "ko", "en"}


def _stamp(when: datetime, deadline: datetime) -> str:
    return when.astimezone(deadline.tzinfo).strftime("%Y-%m-%d %H:%M:%S %z")


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def author_conflict_flag(key: str, owner: Version, others: list[Version], deadline: datetime) -> dict[str, str]:
    """The review note of a student whose files were uploaded by more than one person."""
    latest: dict[str, Version] = {}
    for v in others:  # the latest version of each other uploader
        latest[v.author] = v
    shown = list(latest.values())[-MAX_ALTERNATIVES:]
    alt_ko = "; ".join(f"{_clip(v.author, 100)}: '{_clip(v.path.rsplit('/', 1)[-1])}' (커밋 {v.commit[:10]}, "
                       f"{_stamp(v.when, deadline)})" for v in shown)
    alt_en = "; ".join(f"{_clip(v.author, 100)}: '{_clip(v.path.rsplit('/', 1)[-1])}' (commit {v.commit[:10]}, "
                       f"{_stamp(v.when, deadline)})" for v in shown)
    more = len(latest) - len(shown)
    if more:
        alt_ko += f"; 외 {more}명"
        alt_en += f"; and {more} more"
    who = _clip(owner.author, 100)
    return {
        "id": "author_conflict",
        "ko": (f"다른 사람이 이 학생 이름으로 파일을 올렸습니다 (검토 필요). {key} 이름의 파일은 {who}이(가) 처음 "
               f"올렸는데(커밋 {owner.commit[:10]}), 다른 작성자도 같은 이름으로 올렸습니다: {alt_ko}. 학생은 파일 "
               f"이름으로만 구분되므로 다른 사람의 업로드가 제출물을 바꿔치기할 수 있습니다. 그래서 처음 올린 {who}의 "
               "제출물을 채점했고, 다른 작성자의 파일은 채점하지 않았습니다. 스터디장은 GitHub에서 두 커밋을 확인하고, "
               "다른 파일이 맞다면 그 파일을 따로 채점하세요 (grade check <파일>)."),
        "en": (f"Someone else uploaded a file under this student's name (review needed). {key}'s files were first "
               f"uploaded by {who} (commit {owner.commit[:10]}), but another author also uploaded under this name: "
               f"{alt_en}. Students are identified by file name alone, so another person's upload could replace "
               f"this submission; {who}'s submission was graded and the other author's file was not. Leader: check "
               "both commits on GitHub; if the other file is the right one, grade it separately (grade check <file>)."),
    }


def backdated_flag(v: Version, deadline: datetime, late: bool) -> dict[str, str]:
    """The review note of a submission whose commit is dated before a commit it comes after."""
    claimed, seen = _stamp(v.committed, deadline), _stamp(v.when, deadline)
    by = v.dated_by[:10] or "?"
    verdict_ko = "마감 후 제출로 판정" if late else "마감 전 제출로 판정"
    verdict_en = "judged late" if late else "judged on time"
    return {
        "id": "backdated_commit",
        "ko": (f"커밋 날짜가 거꾸로 갑니다: 업로드 시각을 믿을 수 없습니다 (검토 필요). 이 제출물의 커밋 "
               f"{v.commit[:10]}은(는) {claimed}에 올렸다고 적혀 있지만, 브랜치에서 그보다 앞선 커밋 {by}의 날짜가 "
               f"{seen}입니다. 커밋 날짜는 올린 사람의 컴퓨터가 정하므로 되돌릴 수 있지만, 커밋은 앞선 커밋보다 먼저 "
               f"올라갈 수 없습니다. 그래서 {seen} 이후에 올라온 것으로 보고 마감을 판정했습니다 ({verdict_ko}). "
               "이 커밋의 날짜를 되돌렸거나 앞선 커밋의 날짜가 미래로 적힌 것입니다. 스터디장은 GitHub에서 실제 "
               "푸시 시각(저장소 Activity, 풀 리퀘스트)을 확인하세요."),
        "en": (f"Commit dates run backwards: the upload time is not trustworthy (review needed). This submission's "
               f"commit {v.commit[:10]} says it was made at {claimed}, but commit {by}, which comes before it on the "
               f"branch, is dated {seen}. The uploader's own machine sets a commit's date, so it can be set back, "
               f"but a commit cannot reach the branch before the commits it follows: the deadline was judged as if "
               f"it was uploaded at {seen} or later ({verdict_en}). Either this commit was backdated or the earlier "
               "one was dated in the future. Leader: check the real push time on GitHub (the repository's "
               "Activity, or the pull request)."),
    }


def pick(versions: list[Version], deadline: datetime, policy: str, key: str, check_authors: bool = True) -> Pick:
    """`choose`, guarded: (1) when the student's files come from more than one uploader (git author
    email/name), only the first uploader's versions are graded and the others are flagged, never
    silently replacing the original; (2) the deadline is judged by `Version.when`, and a commit
    whose stated date runs backwards in the history is flagged."""
    others: list[Version] = []
    flags: list[dict[str, str]] = []
    graded = versions
    if check_authors:
        clusters = author_clusters(versions)
        if len(clusters) > 1:
            graded = clusters[0]
            others = sorted((v for c in clusters[1:] for v in c), key=Version.sort_key)
    choice = choose(graded, deadline, policy)
    if others:
        flags.append(author_conflict_flag(key, clusters[0][0], others, deadline))
    first = choice.first
    if first.backdated and (first.when - first.committed > BACKDATE_TOLERANCE
                            or first.committed <= deadline < first.when):
        flags.append(backdated_flag(first, deadline, choice.late))
    return Pick(choice, tuple(others), tuple(flags))


def content_id(repo: CachedRepo, kind: str, sha: str, cache: dict[str, str]) -> str:
    """Identity of a version's bytes; folders hash their NFC listing (NFD re-uploads match)."""
    if kind != "tree":
        return sha
    if sha not in cache:
        h = hashlib.sha256()
        for entry in sorted(repo.ls_tree(sha), key=lambda e: e.path):
            if not is_ignored(entry.path):
                h.update(f"{entry.path}\0{entry.sha}\0".encode("utf-8", errors="surrogateescape"))
        cache[sha] = "tree:" + h.hexdigest()
    return cache[sha]


def _safe_relpath(path: str) -> Path | None:
    parts = path.split("/")
    if any(p in ("", ".", "..", ".git") for p in parts) or is_ignored(path):
        return None
    return Path(*[safe_component(p) for p in parts])


def materialize(repo: CachedRepo, version: Version, key: str, materialize_dir: Path) -> Path:
    """Write the version's bytes to materialize_dir/<key>/<NFC name> atomically and return that path.

    A folder is written to a temporary sibling first (regular files only: no symlinks or
    submodules, hidden and `__MACOSX` files skipped), then renamed into place. Other entries
    left in the key's folder by earlier runs are removed.
    """
    folder = Path(materialize_dir) / safe_component(key)
    name = safe_component(version.path.rsplit("/", 1)[-1])
    target = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    if version.kind == "blob":
        write_bytes_atomic(target, repo.read_blob(version.sha))
    else:
        def fill(tmp: Path) -> None:
            for entry in repo.ls_tree(version.sha):
                rel = _safe_relpath(entry.path)
                if rel is None or entry.type != "blob" or entry.mode not in ("100644", "100755"):
                    continue
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(repo.read_blob(entry.sha))

        write_folder_atomic(target, fill)
    remove_all_but(folder, name)
    return target


def pick_extra(p: Pick, deadline: datetime, policy: str, url: str) -> dict[str, Any]:
    """choice_extra plus who uploaded it, the commit's own date when it was not trusted, the other
    uploaders' versions (not graded) and the review flags."""
    info = choice_extra(p.choice, deadline, policy, url)
    first = p.choice.first
    info["uploaded_by"] = first.author
    if first.backdated:
        info["commit_date"] = iso(first.committed, deadline)
    if p.others:
        info["alternatives"] = [
            {"path": v.path, "commit": v.commit, "author": v.author, "submitted_at": iso(v.when, deadline)}
            for v in p.others[-MAX_ALTERNATIVES * 3:]
        ]
    if p.flags:
        info["review"] = [dict(f) for f in p.flags]
    return info


def choice_extra(choice: Choice, deadline: datetime, policy: str, url: str) -> dict[str, Any]:
    """What a Submission records about how its version was chosen."""
    return {
        "repo": url,
        "object": choice.chosen.sha,
        "kind": "folder" if choice.chosen.kind == "tree" else "file",
        "versions": choice.distinct,
        "versions_after_deadline": choice.after_deadline,
        "aliases": list(choice.aliases),
        "nfd_path": choice.chosen.is_nfd,
        "deadline": deadline.isoformat(),
        "late_policy": policy,
    }


@dataclass(frozen=True)
class Skipped:
    """A file next to the submissions that is not a student's (logged, never a report row)."""

    path: str  # NFC, relative to the folder that was searched
    reason: Message

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "reason": {"ko": self.reason.ko, "en": self.reason.en}}


MAX_SKIPPED = 500  # files listed as skipped (a folder can hold any number, with long names)
MAX_SKIPPED_PATH = 300


def cap_skipped(skipped: list[Skipped]) -> list[Skipped]:
    """At most MAX_SKIPPED entries, paths cut to MAX_SKIPPED_PATH characters, then one "… and N more"."""
    out = [Skipped(_clip(s.path, MAX_SKIPPED_PATH), s.reason) for s in skipped[:MAX_SKIPPED]]
    more = len(skipped) - MAX_SKIPPED
    if more > 0:
        out.append(Skipped(f"… (+{more})", Message(f"… 외 {more}개 파일도 건너뛰었습니다 (목록 생략).",
                                                     f"… and {more} more files skipped (not listed).")))
    return out


def review_warnings(flagged: dict[str, list[str]]) -> list[Message]:
    """Run-level warnings for the review flags `pick` raised: {flag id: student keys}."""
    out = []
    for flag, keys in flagged.items():
        names = ", ".join(_clip(k, 60) for k in keys[:20]) + (f", … (+{len(keys) - 20})" if len(keys) > 20 else "")
        if flag == "author_conflict":
            out.append(Message(
                f"{len(keys)}명의 학생 이름으로 다른 사람(다른 git 작성자)이 파일을 올렸습니다: {names}. 파일 이름만으로 "
                "학생을 구분하므로 제출물 바꿔치기일 수 있습니다. 처음 올린 사람의 제출물을 채점했고, 다른 파일은 각 행의 "
                "검토 메모에 적었습니다(채점 안 함). GitHub에서 커밋 작성자를 확인하세요.",
                f"Files under {len(keys)} student name(s) were uploaded by more than one person (git author): "
                f"{names}. Students are identified by file name alone, so this may be a replaced submission. The "
                "first uploader's submission was graded; the other files are listed, ungraded, in each row's review "
                "note. Check the commit authors on GitHub.",
            ))
        elif flag == "backdated_commit":
            out.append(Message(
                f"커밋 날짜가 거꾸로 가는 제출물이 {len(keys)}개 있습니다: {names}. 업로드 시각을 믿을 수 없어, 앞선 커밋의 "
                "날짜 이후에 올라온 것으로 보고 마감을 판정했습니다. GitHub에서 실제 푸시 시각을 확인하세요.",
                f"Commit dates run backwards for {len(keys)} submission(s): {names}. Their upload time is not "
                "trustworthy, so the deadline was judged from the latest date of the commits before them. Check the "
                "real push times on GitHub.",
            ))
    return out


class Found(list):
    """What a source found: the Submissions (it *is* that list) plus what it looked at.

    ``where`` says which folder was searched (for "nothing found" messages), ``skipped`` lists
    the files there that are not submissions and why, ``warnings`` are run-level problems
    (e.g. objects missing from a partial clone).
    """

    def __init__(self, subs: list[Submission] = (), *, where: str = "",
                 skipped: list[Skipped] | None = None, warnings: list[Message] | None = None) -> None:
        super().__init__(subs)
        self.where = where
        self.skipped = list(skipped or [])
        self.warnings = list(warnings or [])


SKIP_HIDDEN = Message("숨김/시스템 파일 (.gitkeep, .DS_Store 등)", "hidden or system file (.gitkeep, .DS_Store, ...)")
SKIP_NOT_SUBMISSION = Message(
    "학생 이름이 없는 .zip/.ipynb 이외의 파일 (README, 슬라이드, 그림 등)",
    "not a .zip/notebook and names no student (README, slides, images, ...)",
)
SKIP_TEMPLATE = Message(
    "학생 이름이 없는 빈 과제 템플릿 노트북 (빈칸이 채워지지 않음)",
    "the blank assignment template notebook (names no student, blanks not filled in)",
)


def skip_beside(other: str) -> Message:
    return Message(f"같은 학생의 제출물({other}) 옆에 있는 .zip/.ipynb 이외의 파일",
                   f"not a .zip/notebook, next to the same student's submission ({other})")


def same_bytes(key: str) -> Message:
    return Message(f"이름에 학생이 없고, {key} 학생의 제출물과 바이트가 같은 파일",
                   f"names no student and has the same bytes as {key}'s submission")


def _code_cells(data: bytes) -> list[str] | None:
    """Normalised sources of a notebook's code cells (None: not a notebook)."""
    try:
        nb = json.loads(data.decode("utf-8-sig"))
        cells = nb["cells"]
        out = []
        for cell in cells:
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                src = "".join(src) if isinstance(src, list) else str(src)
                text = "\n".join(line.strip() for line in src.strip().splitlines() if line.strip())
                if text:
                    out.append(text)
        return out
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return None


def template_blanks(template: bytes) -> tuple[set[str], set[str]]:
    """(code cells, blank lines) of a pack's template notebook; blank lines hold an ``...`` placeholder."""
    cells = _code_cells(template) or []
    blanks = {line for cell in cells for line in cell.splitlines() if "..." in line}
    return set(cells), blanks


def is_blank_template(data: bytes, template: tuple[set[str], set[str]] | None) -> bool:
    """The notebook is the pack's blank template: no code beyond the template's, or every blank
    (each template line holding an ``...`` placeholder) still there, unfilled.

    Only used for notebooks whose name states no student: a file that names a student is always
    that student's submission, however empty.
    """
    if template is None:
        return False
    cells, blanks = template
    mine = _code_cells(data)
    if mine is None or not cells:
        return False
    if mine and all(c in cells for c in mine):
        return True
    lines = {line for cell in mine for line in cell.splitlines()}
    return bool(blanks) and blanks <= lines


def pack_template(pack: Pack) -> tuple[set[str], set[str]] | None:
    """The pack's template notebook as `template_blanks` (None when the pack has none)."""
    try:
        return template_blanks(pack.file("template").read_bytes())
    except (KeyError, OSError):
        return None


def message_extra(message: Message) -> dict[str, dict[str, str]]:
    return {"message": {"ko": message.ko, "en": message.en}}


def iso(when: datetime, deadline: datetime) -> str:
    """Commit time as ISO 8601 in the deadline's time zone (with offset)."""
    return when.astimezone(deadline.tzinfo).isoformat()


def effective_deadline(pack: Pack, deadline: datetime | None) -> datetime:
    """deadline (naive values are read in the pack's time zone) or the pack's."""
    if deadline is None:
        return pack.deadline
    if deadline.tzinfo is None:
        return deadline.replace(tzinfo=pack.deadline.tzinfo)
    return deadline
