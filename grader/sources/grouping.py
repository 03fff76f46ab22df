"""Grouping a student's loose files into one submission, driven by the pack's naming patterns.

A pack whose `[naming]` declares several files per student (week 3: `3주차 과제1_…` image,
`3주차 과제2_…` notebook, or one zip holding both) gets one submission per student: each
pattern is a *slot*, the deadline rules pick one version per slot, and the picked files are
written into one folder (`<key>/<key>/`), graded as a folder submission whose file names are
each judged by the naming rule (`Submission.extra["parts"]`). A pack with one pattern
(week 2) never groups: the student's files compete for one slot, as they always did.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from grader.atomic import remove_all_but, write_folder_atomic
from grader.intake.naming import pattern_index
from grader.pack import Pack
from grader.sources.gitcache import CachedRepo
from grader.sources.versions import Pick, Version, iso, pick_extra, safe_component

FOLDER_SLOT = -1  # a student folder (git tree): a whole submission of its own


def slot_of(path: str, kind: str, pack: Pack) -> int:
    """The naming pattern a file fills (index into pack.naming.patterns); folders fill none."""
    if kind == "tree" or not pack.naming.grouped:
        return FOLDER_SLOT if kind == "tree" else 0
    return pattern_index(path.rsplit("/", 1)[-1], pack.naming)


def split_slots(versions: list[Version], pack: Pack) -> dict[int, list[Version]]:
    """A student's versions by slot. One slot (always so for a one-pattern pack) means: grade as
    before, one file; several slots mean one grouped submission."""
    slots: dict[int, list[Version]] = {}
    for v in versions:
        slots.setdefault(slot_of(v.path, v.kind, pack), []).append(v)
    if FOLDER_SLOT in slots and len(slots) > 1:  # a student folder is whole: the loose files join its slot
        return {FOLDER_SLOT: versions}
    return slots


def materialize_group(repo: CachedRepo, versions: list[Version], key: str, materialize_dir: Path) -> Path:
    """Write the chosen blobs into materialize_dir/<key>/<key>/ (atomically replaced) and return it."""
    folder = Path(materialize_dir) / safe_component(key)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_component(key)

    def fill(tmp: Path) -> None:
        for v in versions:
            (tmp / safe_component(v.path.rsplit("/", 1)[-1])).write_bytes(repo.read_blob(v.sha))

    write_folder_atomic(target, fill)
    remove_all_but(folder, target.name)
    return target


def group_pick(versions: list[Version], pack: Pack, deadline: datetime, key: str,
               check_authors: bool = True) -> dict[int, Pick]:
    """`pick` per slot (the deadline and identity rules apply to each file on its own)."""
    from grader.sources.versions import pick

    return {slot: pick(vs, deadline, pack.late.policy, key, check_authors)
            for slot, vs in sorted(split_slots(versions, pack).items())}


def grouped_fields(picks: dict[int, Pick], deadline: datetime, policy: str, url: str) -> dict[str, Any]:
    """Submission fields of a grouped submission: the latest part decides time and lateness."""
    parts = [p.choice for p in picks.values()]
    latest = max(parts, key=lambda c: c.first.when)
    info = pick_extra(picks[next(iter(picks))], deadline, policy, url)
    info["parts"] = [c.chosen.path.rsplit("/", 1)[-1] for c in parts]
    info["part_paths"] = [c.chosen.path for c in parts]
    info["part_commits"] = [c.first.commit for c in parts]
    flags = [f for p in picks.values() for f in p.flags]
    if flags:
        info["review"] = [dict(f) for f in flags]
    else:
        info.pop("review", None)
    alternatives = [a for p in picks.values() for a in pick_extra(p, deadline, policy, url).get("alternatives", [])]
    if alternatives:
        info["alternatives"] = alternatives
    return {"commit": latest.first.commit, "submitted_at": iso(latest.first.when, deadline),
            "late": any(c.late for c in parts), "extra": info}
