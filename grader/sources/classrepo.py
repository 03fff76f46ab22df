"""KUBIG's class repository: one repo per semester, every student uploads into a week folder.

`discover_class_repo` reads the folder's whole history (not just the tip) so that the deadline
and late policy can be applied per student, and returns one `Submission` per student.

What counts as a submission (inside the week folder, at any depth):

* a ``.zip`` or notebook file (the pack's notebook extensions, case-insensitive);
* a *student folder*: a direct child folder of the week folder whose name states cohort and
  name (``22기_홍길동/``) and that never held a ``.zip`` - graded as a whole folder (notebook and
  screenshot together). If it holds zips, its zips/notebooks are separate candidates instead.

Not students, never report rows, but listed in ``Found.skipped`` with the reason (the run's
log and report say which file and why): hidden files (``.gitkeep``, ``.DS_Store``,
``.ipynb_checkpoints``, ``__MACOSX``/``._*``); files other than zips/notebooks that name nobody
(README.md, slides, images outside student folders); a notebook that names nobody and is the
pack's blank template (`collect_groups` has the exact rule). A student's misnamed file is
never skipped: ``2주차_24기_김지원.zip``, ``2주차과제_21기_X.zip``, a bare
``2주차 과제_21기_이준언.ipynb`` still name the student, and a zip or filled-in notebook that
names nobody is a flagged row.

Students are identified from the file name (cohort + name, NFC); when the file name does not
say both, the nearest enclosing folder name that does is used. A file that identifies nobody
still becomes a Submission (key ``unknown_<path>``) unless it was deleted from the branch
since, or its bytes also appear under an identified student.

Because a file name is all that identifies a student, `versions.pick` also compares the git
authors of a student's versions: when someone other than the first uploader uploads under the
same name, the first uploader's version is graded and the other is listed, ungraded, with a
review flag (``extra["review"]``, ``extra["alternatives"]``) and a run warning. Commit dates are
the uploader's claim: a commit dated before a commit it follows is judged at that later date
and flagged (``backdated_commit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from git.exc import GitCommandError

from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.gitcache import (
    DEFAULT_BACKOFF_S,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    CachedRepo,
    Change,
    MSG_BROKEN,
    SourceError,
    _error_text,
    fetch_repo,
)
from grader.sources.versions import (
    SKIP_HIDDEN,
    SKIP_NOT_SUBMISSION,
    SKIP_TEMPLATE,
    Found,
    Pick,
    Skipped,
    Version,
    cap_skipped,
    pick,
    pick_extra,
    review_warnings,
    content_id,
    effective_deadline,
    has_extension,
    identify,
    is_ignored,
    is_blank_template,
    iso,
    materialize,
    message_extra,
    nfc,
    pack_template,
    same_bytes,
    skip_beside,
    student_key,
    submission_extensions,
    unknown_key,
)

if TYPE_CHECKING:
    from grader.leader.extensions import Extensions

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
    picked: Pick | None = None,
    check_authors: bool = True,
) -> Submission:
    """Choose the graded version of a group (`pick`: the first uploader's, dates checked against
    the history), write it out, and describe it as a Submission."""
    picked = picked or pick(group.versions, deadline, policy, key, check_authors)
    choice = picked.choice
    path = materialize(repo, choice.chosen, key, materialize_dir)
    info = pick_extra(picked, deadline, policy, repo.url)
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
        submitted_at=iso(choice.first.when, deadline),
        late=choice.late,
        extra=info,
    )


def _folder_hint(repo: CachedRepo, tip: str, folder: list[str]) -> str:
    """What is there instead: the deepest part of folder that exists, and the folders inside it."""
    dirs = sorted({e.path.rsplit("/", 1)[0] for e in repo.ls_tree(tip) if "/" in e.path})
    all_dirs = sorted({"/".join(d.split("/")[: i + 1]) for d in dirs for i in range(d.count("/") + 1)})
    depth = 0
    while depth < len(folder) and any(
        [p.casefold() for p in d.split("/")] == [p.casefold() for p in folder[: depth + 1]] for d in all_dirs
    ):
        depth += 1
    base = folder[:depth]
    children = sorted({d.split("/")[depth] for d in all_dirs if d.count("/") >= depth and under(d.split("/"), base)})
    last = folder[-1].casefold() if folder else ""
    similar = [d for d in dirs if last and last in d.casefold()]
    where = "/".join(base) or "the repository root"
    hint = f"{repo.url}: no folder {'/'.join(folder)!r}; {where} holds: {', '.join(children[:20]) or '(nothing)'}"
    if similar:
        hint += f"; similar: {', '.join(similar[:12])}"
    return hint + " (pass the right --folder)"


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


@dataclass
class Collected:
    """collect_groups' answer: the students' groups and the files that are not submissions."""

    groups: dict[str, Group]
    skipped: list[Skipped]
    where: str


def _skipped_at_tip(
    repo: CachedRepo, tip: str, prefix: list[str], groups: dict[str, Group], folders: dict[str, tuple[int, str]],
    decided: dict[str, Message],
) -> list[Skipped]:
    """Every file in the folder at the tip that no submission stands for, with the reason."""
    used = {v.path for g in groups.values() for v in g.versions}
    out = []
    for entry in repo.ls_tree(tip):
        parts = entry.path.split("/")
        if not under(parts, prefix):
            continue
        rel = parts[len(prefix):]
        relpath = "/".join(rel)
        if entry.path in used or (len(rel) > 1 and rel[0] in folders and not is_ignored(relpath)):
            continue
        reason = decided.get(entry.path) or (SKIP_HIDDEN if is_ignored(relpath) else SKIP_NOT_SUBMISSION)
        out.append(Skipped(relpath, reason))
    return out


def collect_groups(repo: CachedRepo, tip: str, folder: str, pack: Pack) -> Collected:
    """Every candidate version under folder in tip's history, grouped by student key.

    Which files are students (see also the module docstring):

    * a ``.zip``/notebook, or a student folder, is a candidate; it names a student when its
      name (or an enclosing folder's) states cohort and name, else it is keyed ``unknown_…``
      and flagged (a misnamed zip or notebook is still somebody's work);
    * except a notebook that names nobody and is the pack's blank template (no code beyond the
      template's, or every ``...`` blank still unfilled): the template the leader put there;
    * any other file (README.md, slides .pdf, images) that names a student is that student's
      submission only when the student uploaded nothing else; otherwise, like every file that
      names nobody and hidden files (.gitkeep, .DS_Store), it is listed as skipped, with why.
    """
    prefix = split_folder(folder)
    where = f"{repo.url}: folder {'/'.join(prefix) or '.'!r} at commit {tip[:10]}"
    inside = [(c, c.path.split("/")[len(prefix):]) for c in repo.history(tip) if under(c.path.split("/"), prefix)]
    if not inside:
        raise SourceError(MSG_NO_FOLDER, _folder_hint(repo, tip, prefix))
    exts = submission_extensions(pack)
    folders = _student_folders(inside, pack)
    template = pack_template(pack)
    groups: dict[str, Group] = {}
    others: dict[str, list[Version]] = {}  # identified, but not a .zip/notebook (used only if nothing else)
    unknown: set[str] = set()
    tree_ids: dict[str, str] = {}
    decided: dict[str, Message] = {}  # repo path → why it is skipped
    for change, rel in inside:
        relpath = "/".join(rel)
        if change.status == "D" or is_ignored(relpath):
            continue
        if rel[0] in folders:
            if len(rel) != 1 or change.type != "tree":
                continue
            cohort, name = folders[rel[0]]
        else:
            if change.type != "blob":
                continue
            if not has_extension(relpath, exts):
                cohort, name = identify(rel[-1], pack)
                if cohort is not None and name:
                    key = student_key(cohort, name)
                    others.setdefault(key, []).append(Version.of(key, change, change.sha))
                continue
            cohort, name = None, None
            for part in reversed(rel):  # the file name first, then enclosing folders
                cohort, name = identify(part, pack)
                if cohort is not None:
                    break
            if cohort is None and not relpath.lower().endswith(".zip") and template is not None:
                try:
                    blank = is_blank_template(repo.read_blob(change.sha), template)
                except SourceError:
                    blank = False  # unreadable: it stays a row, and the row says why
                if blank:
                    decided[change.path] = SKIP_TEMPLATE
                    continue
        key = student_key(cohort, name) if cohort is not None and name else unknown_key(relpath)
        if cohort is None:
            unknown.add(key)
        group = groups.setdefault(key, Group(key, cohort, name))
        group.versions.append(Version.of(key, change, content_id(repo, change.type, change.sha, tree_ids)))
    # Files naming nobody: drop them if deleted since, or if an identified student has the same bytes.
    claimed = {v.content: k for k, g in groups.items() if k not in unknown for v in g.versions}
    at_tip = {e.raw_path for e in repo.ls_tree(tip)}
    for key in unknown:
        kept = [v for v in groups[key].versions if v.content not in claimed and v.raw_path in at_tip]
        for v in groups[key].versions:
            if v.content in claimed:
                decided[v.path] = same_bytes(claimed[v.content])
        if kept:
            groups[key].versions = kept
        else:
            del groups[key]
    # Other files that name a student: their submission only if they uploaded nothing else.
    for key, versions in others.items():
        if key in groups:
            beside = groups[key].versions[-1].path.rsplit("/", 1)[-1]
            for v in versions:
                decided[v.path] = skip_beside(beside)
        else:
            cohort, name = identify(versions[0].path, pack)
            groups[key] = Group(key, cohort, name, versions)
    return Collected(groups, _skipped_at_tip(repo, tip, prefix, groups, folders, decided), where)


def _unreadable(group: Group, key: str, exc: SourceError, extra: dict, deadline: datetime, policy: str,
                url: str, picked: Pick) -> Submission:
    """A student whose chosen version cannot be read (e.g. a partial clone): a row saying so."""
    choice = picked.choice
    info = {**pick_extra(picked, deadline, policy, url), **extra, **message_extra(exc.message)}
    return Submission(
        key=key, cohort=group.cohort, name=group.name, path=None,
        display_name=choice.chosen.path.rsplit("/", 1)[-1], source_path=choice.chosen.path,
        commit=choice.first.commit, submitted_at=iso(choice.first.when, deadline), late=choice.late,
        status="unreadable", detail=f"{choice.chosen.path}: {exc.detail}", extra=info,
    )


def discover_class_repo(
    url_or_path: str,
    folder: str,
    pack: Pack,
    cache_dir: Path,
    materialize_dir: Path,
    deadline: datetime | None = None,
    *,
    branch: str | None = None,
    extensions: Extensions | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF_S,
) -> Found:
    """One Submission per student found in folder of the class repository (sorted by key).

    The answer is a `Found` list: ``.skipped`` holds the files that are not students (and why),
    ``.where`` the folder that was searched. A student whose chosen version cannot be read
    (objects missing from a partial or shallow clone) is a row with status "unreadable" and
    git's error in ``detail``. A student with an extension (`extensions`) is judged by their
    own deadline (recorded in ``extra["extension"]``). Raises SourceError when the repository cannot be fetched or read,
    is empty, or has no such folder.
    """
    when = effective_deadline(pack, deadline)
    policy = pack.late.policy
    with fetch_repo(url_or_path, cache_dir, timeout=timeout, retries=retries, backoff=backoff) as repo:
        tip = repo.resolve(branch)
        try:
            found = collect_groups(repo, tip, folder, pack)
        except GitCommandError as exc:  # e.g. trees missing from a --filter=tree:0 clone
            raise SourceError(MSG_BROKEN, f"{repo.url}: {_error_text(exc)}{repo.incomplete_note()}") from exc
        groups = found.groups
        by_content: dict[str, set[str]] = {}
        for key, group in groups.items():
            for v in group.versions:
                by_content.setdefault(v.content, set()).add(key)
        out = Found(where=found.where, skipped=cap_skipped(found.skipped))
        unreadable = 0
        flagged: dict[str, list[str]] = {}
        for key in sorted(groups):
            group = groups[key]
            extra: dict = {"branch_commit": tip}
            if group.cohort is None:
                extra.update(message_extra(MSG_UNIDENTIFIED), unidentified=True)
            extension = extensions.find(key, group.cohort, group.name) if extensions else None
            own = when
            if extension is not None:
                own = extension.deadline
                extra["extension"] = extension.to_json()
            picked = pick(group.versions, own, policy, key)
            for flag in picked.flags:
                flagged.setdefault(flag["id"], []).append(key)
            try:
                sub = build_submission(repo, group, key, own, policy, Path(materialize_dir), extra, picked)
            except SourceError as exc:
                sub = _unreadable(group, key, exc, extra, own, policy, repo.url, picked)
                unreadable += 1
            twins = sorted(by_content.get(picked.choice.chosen.content, set()) - {key})
            if twins:
                sub.extra["same_bytes_as"] = twins
            out.append(sub)
        out.warnings.extend(review_warnings(flagged))
        if (repo.path / "shallow").exists():
            cut = ", ".join(line[:10] for line in (repo.path / "shallow").read_text().split())
            out.warnings.append(Message(
                f"저장소 기록이 잘려 있습니다 (얕은 클론, 커밋 {cut}에서 끊김): 그 이전에 올린 파일도 모두 그 커밋 "
                "시각에 올린 것으로 보이므로 마감/지각 판정을 믿을 수 없습니다. 전체 클론이나 원격 저장소 주소로 다시 채점하세요.",
                f"The repository's history is shallow (cut off at commit {cut}): files uploaded earlier all "
                "look as if uploaded at that commit, so deadline and lateness cannot be trusted. Grade a full "
                "clone or the remote URL instead.",
            ))
        if unreadable:
            out.warnings.append(Message(
                f"{unreadable}명의 제출물을 저장소에서 읽을 수 없습니다 (git 객체 없음){repo.incomplete_note()}. "
                "전체 클론이나 원격 저장소 주소로 다시 채점하세요.",
                f"{unreadable} submission(s) cannot be read from the repository (git objects missing)"
                f"{repo.incomplete_note()}. Grade a full clone or the remote URL instead.",
            ))
        return out
