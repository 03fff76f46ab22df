"""A pack's bundled demo class repository: a real local git repository, one commit per upload.

Built once into a folder and reused while its format marker matches (a pack bumps its
FORMAT when its uploads change).
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import git


@dataclass(frozen=True)
class Upload:
    path: str  # inside the week folder
    data: bytes
    date: str  # ISO 8601 with offset
    nfd_path: bool = False  # committed with a decomposed (macOS) Unicode path


def is_built(dest: Path, fmt: str) -> bool:
    """Whether dest holds a demo repository built with format fmt (then it is reused as it is)."""
    marker = dest / ".git" / "kubig-demo.json"
    try:
        return json.loads(marker.read_text()).get("format") == fmt
    except (OSError, ValueError, AttributeError):
        return False


def build_class_repo(dest: Path, folder: str, fmt: str, readme: str, start: str, uploads: Iterable[Upload]) -> Path:
    """Build (or reuse) the repository at dest: a README commit at `start`, then every upload
    into `folder`, pushed in time order as on GitHub, by one student account."""
    marker = dest / ".git" / "kubig-demo.json"
    if is_built(dest, fmt):
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    repo = git.Repo.init(dest, initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("core", "quotepath", "false")
    actor = git.Actor("KUBIG student", "student@kubig.example")
    (dest / "README.md").write_text(readme, encoding="utf-8")
    repo.index.add(["README.md"])
    when = datetime.fromisoformat(start)
    repo.index.commit("Initial commit", author=actor, committer=actor, author_date=when, commit_date=when)
    for up in sorted(uploads, key=lambda u: datetime.fromisoformat(u.date)):
        rel = f"{folder}/{up.path}"
        if up.nfd_path:
            rel = unicodedata.normalize("NFD", rel)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_bytes(up.data)
        repo.index.add([rel])
        when = datetime.fromisoformat(up.date)
        repo.index.commit("Add files via upload", author=actor, committer=actor, author_date=when, commit_date=when)
    repo.close()
    marker.write_text(json.dumps({"format": fmt}))
    return dest
