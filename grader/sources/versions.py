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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.atomic import write_bytes_atomic
from grader.intake.naming import parse_name
from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.gitcache import CachedRepo

_COHORT_RE = re.compile(r"(\d+)\s*기")
_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def submission_extensions(pack: Pack) -> tuple[str, ...]:
    """File extensions that are submissions (lower case, with dot): .zip plus the pack's notebooks."""
    exts = {".zip"} | {"." + e.lower().lstrip(".") for e in pack.artifacts.notebook_extensions}
    return tuple(sorted(exts))


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
    committed: datetime
    order: int

    @property
    def is_nfd(self) -> bool:
        return self.raw_path != self.path.encode("utf-8", errors="surrogateescape")

    def sort_key(self) -> tuple[datetime, int, bool]:
        return (self.committed, self.order, not self.is_nfd)


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
        on_time = [v for v in ordered if v.committed <= deadline]
        chosen = on_time[-1] if on_time else ordered[0]
    else:
        chosen = ordered[-1]
    origin = first[chosen.content]
    aliases = sorted({v.path for v in ordered if v.content == chosen.content and v.path != chosen.path})
    return Choice(
        chosen=chosen,
        first=origin,
        late=origin.committed > deadline,
        distinct=len(first),
        after_deadline=sum(1 for v in first.values() if v.committed > deadline),
        aliases=tuple(aliases),
    )


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


def _clear_except(folder: Path, keep: str) -> None:
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name == keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                child.unlink()


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
        tmp = Path(tempfile.mkdtemp(prefix=f".{name[:60]}.", suffix=".tmp", dir=folder))
        try:
            for entry in repo.ls_tree(version.sha):
                rel = _safe_relpath(entry.path)
                if rel is None or entry.type != "blob" or entry.mode not in ("100644", "100755"):
                    continue
                out = tmp / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(repo.read_blob(entry.sha))
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    _clear_except(folder, name)
    return target


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
