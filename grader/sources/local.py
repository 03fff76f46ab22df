"""Local submissions: one zip/notebook/folder, or a folder holding many submissions.

`discover_local(path, pack)` decides what path is:

* a file: one submission (whatever its extension; intake judges it);
* a folder that is *one* submission: exactly one notebook at its top level, no zips, no
  submission sub-folders, and either a file of another artifact role next to it or a folder
  name that states cohort and name;
* otherwise a folder of submissions: each top-level ``.zip``/notebook is one submission; a
  sub-folder with zips contributes each zip (named by the zip, else by the sub-folder); a
  sub-folder with notebooks but no zips is one folder submission.

Hidden files, ``__MACOSX`` and ``._*`` are ignored; in a folder of submissions they, other files
that name nobody (README, slides) and an unnamed blank template notebook are listed as skipped. Two entries with the same student key and
the same bytes (e.g. NFC and NFD spellings of one file) count once; different bytes: the most
recently modified wins and the others are listed in ``extra["other_files"]``. A pack with
several naming patterns (week 3) groups a student's files of different patterns into one
folder submission (``extra["parts"]``; see `grader.sources.grouping`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from grader.models import Message, Submission
from grader.pack import Pack
from grader.sources.gitcache import SourceError
from grader.sources.grouping import FOLDER_SLOT, slot_of
from grader.sources.versions import (
    SKIP_HIDDEN,
    SKIP_NOT_SUBMISSION,
    SKIP_TEMPLATE,
    Found,
    Skipped,
    has_extension,
    identify,
    is_blank_template,
    loose_only,
    names_student,
    safe_component,
    is_ignored,
    message_extra,
    pack_template,
    skip_beside,
    student_key,
    submission_extensions,
    unknown_key,
)

MSG_NO_PATH = Message("제출물 경로가 없습니다.", "The submission path does not exist.")
MSG_UNIDENTIFIED = Message(
    "파일 이름에서 기수와 이름을 알 수 없어 파일 이름으로 구분했습니다.",
    "The file name does not state cohort and name; the submission is keyed by its file name.",
)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not is_ignored(p.name))


def _walk(folder: Path) -> list[Path]:
    """Visible files under folder, recursively."""
    out = []
    for p in _visible(folder):
        if p.is_dir() and not p.is_symlink():
            out.extend(_walk(p))
        elif p.is_file():
            out.append(p)
    return out


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_dir():
        for f in _walk(path):
            h.update(_nfc(f.relative_to(path).as_posix()).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def _mtime(path: Path) -> float:
    stamps = [f.stat().st_mtime for f in _walk(path)] if path.is_dir() else [path.stat().st_mtime]
    return max(stamps, default=path.stat().st_mtime)


def _make(path: Path, root: Path, pack: Pack, hints: tuple[str, ...] = ()) -> Submission:
    """A Submission for one file or folder; hints are further names to identify the student by."""
    cohort, name = None, None
    for label in (path.name, *hints):
        cohort, name = identify(label, pack)
        if cohort is not None:
            break
    rel = _nfc(path.relative_to(root).as_posix()) if path != root else _nfc(path.name)
    key = student_key(cohort, name) if cohort is not None and name else unknown_key(rel)
    extra: dict = {"kind": "folder" if path.is_dir() else "file",
                   "mtime": datetime.fromtimestamp(_mtime(path), timezone.utc).isoformat()}
    if cohort is None:
        extra.update(message_extra(MSG_UNIDENTIFIED), unidentified=True)
    return Submission(key=key, cohort=cohort, name=name, path=path, display_name=_nfc(path.name),
                      source_path=_nfc(str(path)), extra=extra)


def _is_single(folder: Path, pack: Pack, notebooks: list[Path], zips: list[Path], subdirs: list[Path]) -> bool:
    notebooks = [n for n in notebooks if not loose_only(n.name, pack)]
    if len(notebooks) != 1 or zips or subdirs:
        return False
    others = tuple(s for role in pack.artifacts.files for s in role.suffixes)
    has_other = bool(others) and any(has_extension(f.name, others) for f in _walk(folder))
    return has_other or identify(folder.name, pack)[0] is not None


def _best(subs: list[Submission]) -> Submission:
    """One of a student's files (of one slot): byte-identical copies count once, the most recently
    modified of the others wins and they are listed in extra["other_files"]."""
    unique: dict[str, Submission] = {}
    # NFC spellings first so they win over their NFD twins
    for sub in sorted(subs, key=lambda s: (s.path.name != _nfc(s.path.name), s.source_path)):
        unique.setdefault(_digest(sub.path), sub)
    ranked = sorted(unique.values(), key=lambda s: _mtime(s.path), reverse=True)
    best = ranked[0]
    if len(ranked) > 1:
        best.extra["other_files"] = [s.source_path for s in ranked[1:]]
    return best


def _dedup(subs: list[Submission], pack: Pack, group_dir: Path | None) -> list[Submission]:
    groups: dict[str, list[Submission]] = {}
    for sub in subs:
        groups.setdefault(sub.key, []).append(sub)
    out = []
    for key in sorted(groups):
        slots: dict[int, list[Submission]] = {}
        for sub in groups[key]:
            kind = "tree" if sub.path.is_dir() else "blob"
            slots.setdefault(0 if key.startswith("unknown_") else slot_of(sub.path.name, kind, pack), []).append(sub)
        if len(slots) > 1 and FOLDER_SLOT not in slots:
            out.append(_grouped([_best(slots[i]) for i in sorted(slots)], group_dir or _default_group_dir(pack)))
        else:
            out.append(_best(groups[key]))
    return out


def _default_group_dir(pack: Pack) -> Path:
    from grader.paths import cache_dir

    return cache_dir() / "work" / pack.id / "grouped"


def _grouped(parts: list[Submission], group_dir: Path) -> Submission:
    """One submission from a student's files of several naming slots: copied into one folder."""
    head = parts[0]
    target = Path(group_dir) / safe_component(head.key)
    Path(group_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".group.", dir=group_dir))
    for part in parts:
        shutil.copyfile(part.path, tmp / safe_component(part.path.name))
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    extra = {**head.extra, "kind": "folder", "parts": [_nfc(p.path.name) for p in parts],
             "part_paths": [p.source_path for p in parts],
             "mtime": max(p.extra.get("mtime", "") for p in parts)}
    others = [f for p in parts for f in p.extra.get("other_files", [])]
    extra.pop("other_files", None)
    if others:
        extra["other_files"] = others
    return Submission(key=head.key, cohort=head.cohort, name=head.name, path=target, display_name=target.name,
                      source_path=head.source_path, extra=extra)


def _skipped(root: Path, subs: list[Submission], decided: dict[Path, Message]) -> list[Skipped]:
    """Files under root that no submission stands for (plus top-level hidden entries), with why."""
    used = [s.path for s in subs if s.path is not None]
    parts = {p for s in subs for p in s.extra.get("part_paths", ())}

    def covered(f: Path) -> bool:
        return _nfc(str(f)) in parts or any(f == u or (u.is_dir() and u in f.parents) for u in used)

    out = [Skipped(_nfc(p.name), SKIP_HIDDEN) for p in sorted(root.iterdir()) if is_ignored(p.name)]
    for f in _walk(root):
        if not covered(f):
            out.append(Skipped(_nfc(f.relative_to(root).as_posix()), decided.get(f, SKIP_NOT_SUBMISSION)))
    return out


def discover_local(path: Path, pack: Pack, group_dir: Path | None = None) -> Found:
    """The submissions at path (see the module docstring). Raises SourceError if path does not exist.

    The answer is a `Found` list; for a folder of submissions ``.skipped`` lists the files that
    are not students (same rules as the class repository: hidden files, files other than
    zips/notebooks that name nobody, an unnamed blank template notebook). A pack with several
    naming patterns groups a student's files of different patterns into one folder submission,
    copied under group_dir (default: the cache's work folder).
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(MSG_NO_PATH, str(path))
    if path.is_file():
        return Found([_make(path, path.parent, pack)], where=str(path))
    exts = submission_extensions(pack)
    entries = _visible(path)
    files = [p for p in entries if p.is_file() and has_extension(p.name, exts)]
    zips = [p for p in files if p.name.lower().endswith(".zip")]
    notebooks = [p for p in files if p not in zips]
    subdirs = [p for p in entries if p.is_dir() and any(has_extension(f.name, exts) for f in _walk(p))]
    if _is_single(path, pack, notebooks, zips, subdirs):
        return Found([_make(path, path.parent, pack, hints=(notebooks[0].name,))], where=str(path))
    template = pack_template(pack)
    decided: dict[Path, Message] = {}
    for f in files:
        if loose_only(f.name, pack) and not names_student(f.name, pack):
            decided[f] = SKIP_NOT_SUBMISSION  # e.g. a slides PDF next to week 3's images
    for nb in notebooks:
        if identify(nb.name, pack)[0] is None and is_blank_template(nb.read_bytes(), template):
            decided[nb] = SKIP_TEMPLATE
    subs = [_make(f, path, pack) for f in files if f not in decided]
    for folder in subdirs:
        inner_zips = [f for f in _walk(folder) if f.name.lower().endswith(".zip")]
        if inner_zips:
            for z in inner_zips:
                parents = tuple(p.name for p in z.relative_to(path).parents if p.name)
                subs.append(_make(z, path, pack, hints=parents))
        else:
            inner = [f.name for f in _walk(folder) if has_extension(f.name, exts)]
            subs.append(_make(folder, path, pack, hints=tuple(inner[:1])))
    # A file that names a student but is not a zip/notebook: theirs only if they uploaded nothing else.
    keys = {s.key for s in subs}
    for f in entries:
        if f.is_file() and not has_extension(f.name, exts) and identify(f.name, pack)[0] is not None:
            sub = _make(f, path, pack)
            if sub.key not in keys:
                subs.append(sub)
            else:
                decided[f] = skip_beside(next(s.display_name for s in subs if s.key == sub.key))
    found = _dedup(subs, pack, group_dir)
    return Found(found, where=str(path), skipped=_skipped(path, found, decided))
