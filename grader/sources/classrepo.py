"""KUBIG's class repository: one repo per semester, every student uploads into a week folder.

`discover_class_repo` reads the folder's whole history (not just the tip) so that the deadline
and late policy can be applied per student, and returns one `Submission` per student.

What counts as a submission (inside the week folder, at any depth):

* a ``.zip`` or notebook file (the pack's notebook extensions, case-insensitive);
* a *student folder*: a direct child folder of the week folder whose name states cohort and
  name (``22기_홍길동/``) and that never held a ``.zip`` - graded as a whole folder (notebook and
  screenshot together). If it holds zips, its zips/notebooks are separate candidates instead.

Everything else is ignored: README.md, images and other files outside student folders,
hidden files (``.gitkeep``, ``.DS_Store``, ``.ipynb_checkpoints``) and ``__MACOSX``/``._*``.

Students are identified from the file name (cohort + name, NFC); when the file name does not
say both, the nearest enclosing folder name that does is used. A file that identifies nobody
still becomes a Submission (key ``unknown_<path>``) unless it was deleted from the branch
since, or its bytes also appear under an identified student.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.gitcache import (
    DEFAULT_BACKOFF_S,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    CachedRepo,
    Change,
    SourceError,
    fetch_repo,
)
from grader.sources.versions import (
    Version,
    choice_extra,
    choose,
    content_id,
    effective_deadline,
    has_extension,
    identify,
    is_ignored,
    iso,
    materialize,
    message_extra,
    nfc,
    student_key,
    submission_extensions,
    unknown_key,
)

MSG_NO_FOLDER = Message(
    "저장소에서 과제 폴더를 찾을 수 없습니다.", "The assignment folder does not exist in the repository."
)
MSG_UNIDENTIFIED = Message(
    "파일 이름에서 기수와 이름을 알 수 없어 파일 이름으로 구분했습니다.",
    "The file name does not state cohort and name; the submission is keyed by its file name.",
)


def split_folder(folder: str) -> list[str]:
    """A folder path as NFC components ("" or "." is the repository root)."""
    return [p for p in nfc(folder).replace("\\", "/").split("/") if p not in ("", ".")]


def under(parts: list[str], prefix: list[str]) -> bool:
    """parts lies strictly inside prefix (NFC/NFD- and case-insensitive)."""
    return len(parts) > len(prefix) and all(a.casefold() == b.casefold() for a, b in zip(parts, prefix))


@dataclass
class Group:
    """All versions of one student's candidates."""

    key: str
    cohort: int | None
    name: str | None
    versions: list[Version] = field(default_factory=list)


def build_submission(
    repo: CachedRepo,
    group: Group,
    key: str,
    deadline: datetime,
    policy: str,
    materialize_dir: Path,
    extra: dict | None = None,
) -> Submission:
    """Choose the graded version of a group, write it out, and describe it as a Submission."""
    choice = choose(group.versions, deadline, policy)
    path = materialize(repo, choice.chosen, key, materialize_dir)
    info = choice_extra(choice, deadline, policy, repo.url)
    if choice.chosen.commit != choice.first.commit:
        info["graded_commit"] = choice.chosen.commit
    info.update(extra or {})
    return Submission(
        key=key,
        cohort=group.cohort,
        name=group.name,
        path=path,
        display_name=choice.chosen.path.rsplit("/", 1)[-1],
        source_path=choice.chosen.path,
        commit=choice.first.commit,
        submitted_at=iso(choice.first.committed, deadline),
        late=choice.late,
        extra=info,
    )


def _folder_hint(repo: CachedRepo, tip: str, folder: list[str]) -> str:
    dirs = sorted({e.path.rsplit("/", 1)[0] for e in repo.ls_tree(tip) if "/" in e.path})
    last = folder[-1].casefold() if folder else ""
    similar = [d for d in dirs if last and last in d.casefold()] or sorted({d.split("/")[0] for d in dirs})
    return f"{repo.url}: no folder {'/'.join(folder)!r}; folders: {', '.join(similar[:12]) or '(none)'}"


def _student_folders(inside: list[tuple[Change, list[str]]], pack: Pack) -> dict[str, tuple[int, str]]:
    """Direct child folders that are whole submissions: name identifies a student, never held a zip."""
    children: dict[str, tuple[int, str]] = {}
    zipped: set[str] = set()
    for change, rel in inside:
        if len(rel) < 2 or is_ignored(rel[0]):
            continue
        if change.type == "blob" and rel[-1].lower().endswith(".zip"):
            zipped.add(rel[0])
        if rel[0] not in children:
            cohort, name = identify(rel[0], pack)
            if cohort is not None and name:
                children[rel[0]] = (cohort, name)
    return {k: v for k, v in children.items() if k not in zipped}


def collect_groups(
    repo: CachedRepo, tip: str, folder: str, pack: Pack
) -> dict[str, Group]:
    """Every candidate version under folder in tip's history, grouped by student key."""
    prefix = split_folder(folder)
    inside = [(c, c.path.split("/")[len(prefix):]) for c in repo.history(tip) if under(c.path.split("/"), prefix)]
    if not inside:
        raise SourceError(MSG_NO_FOLDER, _folder_hint(repo, tip, prefix))
    exts = submission_extensions(pack)
    folders = _student_folders(inside, pack)
    groups: dict[str, Group] = {}
    unknown: set[str] = set()
    tree_ids: dict[str, str] = {}
    for change, rel in inside:
        relpath = "/".join(rel)
        if change.status == "D" or is_ignored(relpath):
            continue
        if rel[0] in folders:
            if len(rel) != 1 or change.type != "tree":
                continue
            cohort, name = folders[rel[0]]
        else:
            if change.type != "blob" or not has_extension(relpath, exts):
                continue
            cohort, name = None, None
            for part in reversed(rel):  # the file name first, then enclosing folders
                cohort, name = identify(part, pack)
                if cohort is not None:
                    break
        key = student_key(cohort, name) if cohort is not None and name else unknown_key(relpath)
        if cohort is None:
            unknown.add(key)
        group = groups.setdefault(key, Group(key, cohort, name))
        group.versions.append(
            Version(key, change.path, change.raw_path, change.type, change.sha,
                    content_id(repo, change.type, change.sha, tree_ids), change.commit, change.committed, change.order)
        )
    # Files naming nobody: drop them if deleted since, or if an identified student has the same bytes.
    claimed = {v.content for k, g in groups.items() if k not in unknown for v in g.versions}
    at_tip = {e.raw_path for e in repo.ls_tree(tip)}
    for key in unknown:
        kept = [v for v in groups[key].versions if v.content not in claimed and v.raw_path in at_tip]
        if kept:
            groups[key].versions = kept
        else:
            del groups[key]
    return groups


def discover_class_repo(
    url_or_path: str,
    folder: str,
    pack: Pack,
    cache_dir: Path,
    materialize_dir: Path,
    deadline: datetime | None = None,
    *,
    branch: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
) -> list[Submission]:
    """One Submission per student found in folder of the class repository (sorted by key).

    Raises SourceError when the repository cannot be fetched, is empty, or has no such folder.
    """
    when = effective_deadline(pack, deadline)
    policy = pack.late.policy
    with fetch_repo(url_or_path, cache_dir, timeout=timeout, retries=retries, backoff=backoff) as repo:
        tip = repo.resolve(branch)
        groups = collect_groups(repo, tip, folder, pack)
        by_content: dict[str, set[str]] = {}
        for key, group in groups.items():
            for v in group.versions:
                by_content.setdefault(v.content, set()).add(key)
        out = []
        for key in sorted(groups):
            group = groups[key]
            extra: dict = {"branch_commit": tip}
            if group.cohort is None:
                extra.update(message_extra(MSG_UNIDENTIFIED), unidentified=True)
            sub = build_submission(repo, group, key, when, policy, Path(materialize_dir), extra)
            twins = sorted(by_content.get(choose(group.versions, when, policy).chosen.content, set()) - {key})
            if twins:
                sub.extra["same_bytes_as"] = twins
            out.append(sub)
        return out
