"""Build real local git repositories with dated commits, shaped like KUBIG's class repository.

`GitFactory` writes files (byte-exact names: NFD paths stay NFD) and commits them with fixed
author/committer dates, as GitHub's "Add files via upload" would. `build_class_repo` creates the
week-2 scenario the source tests assert on; `ClassRepo.sha` maps a step name to its commit.
"""

from __future__ import annotations

import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import git

KST = ZoneInfo("Asia/Seoul")
DEADLINE = datetime(2025, 9, 16, 23, 59, tzinfo=KST)  # the week2 pack's deadline
FOLDER = "Basic Study/DL/2주차"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def kst(text: str) -> datetime:
    """'09-14 12:00' (2025, KST) → aware datetime."""
    return datetime.strptime(f"2025-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=KST)


def zip_bytes(tag: str) -> bytes:
    """Distinct stand-in contents (the sources never open them)."""
    return b"PK\x05\x06" + b"\0" * 18 + tag.encode()


class GitFactory:
    """A non-bare repository whose commits carry the dates we choose."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.repo = git.Repo.init(self.path, initial_branch=branch)
        with self.repo.config_writer() as cw:
            cw.set_value("user", "name", "Student")
            cw.set_value("user", "email", "student@example.com")
            cw.set_value("core", "precomposeunicode", "false")

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def write(self, relpath: str, data: bytes) -> "GitFactory":
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return self

    def remove(self, relpath: str) -> "GitFactory":
        target = self.path / relpath
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
        return self

    def commit(self, when: datetime, message: str = "Add files via upload",
               author: tuple[str, str] | None = None) -> str:
        """Commit everything with author and committer date `when`; author is (name, email)
        (default: the repository's "Student <student@example.com>"), also used as committer."""
        stamp = when.isoformat()
        env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        if author is not None:
            env.update(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                       GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1])
        self.repo.git.add("-A")
        self.repo.git.commit("-q", "--allow-empty", "-m", message, env=env)
        return self.repo.head.commit.hexsha

    def checkout(self, branch: str, create: bool = False) -> "GitFactory":
        self.repo.git.checkout(*(["-q", "-b", branch] if create else ["-q", branch]))
        return self


@dataclass
class ClassRepo:
    factory: GitFactory
    sha: dict[str, str] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.factory.url


def build_class_repo(root: Path) -> ClassRepo:
    """The week-2 class repository scenario (deadline 2025-09-16 23:59 KST).

    c1 09-10  README, week-1 work, .gitkeep in the week-2 folder
    c2 09-14  22기_김철수 zip (A), 21기_이준언 bare notebook (J), temp.ipynb (unidentified)
    c3 09-15  22기_박영희 zip v1; misnamed 과제.ipynb; student folder 22기_한지민/ (nb + png v1);
              2주차과제_21기_정다은.zip (odd spacing, still identifiable)
    c4 09-16 20:00  박영희 re-upload v2 (different bytes); 24기_윤서준 0-byte zip; 김철수 uploads the
              same bytes A again under 김철수/…; temp.ipynb deleted; README.md + png in the folder
    c5 09-17 01:00  a Mac re-commit: NFD folder with NFD copies of A and J (same bytes); 한지민 png v2
    c6 09-17 02:00  박영희 late v3
    c7 09-18  23기_최민수 (late only) v1;  c8 09-19  최민수 v2
    """
    f = GitFactory(root / "class")
    r = ClassRepo(f)
    d = FOLDER
    r.data.update(
        A=zip_bytes("kim"), J=b'{"cells": [], "nbformat": 4}\n', P1=zip_bytes("park1"), P2=zip_bytes("park2"),
        P3=zip_bytes("park3"), M1=zip_bytes("choi1"), M2=zip_bytes("choi2"), H_NB=b'{"nb": "han"}\n',
        H_PNG1=b"\x89PNG one", H_PNG2=b"\x89PNG two", MISNAMED=b'{"nb": "misnamed"}\n', D=zip_bytes("jung"),
    )
    f.write("README.md", b"# KUBIG 2025 Fall\n").write(f"{d}/.gitkeep", b"")
    f.write("Basic Study/DL/1주차/1주차 과제_22기_김철수.zip", zip_bytes("week1"))
    r.sha["c1"] = f.commit(kst("09-10 10:00"))
    f.write(f"{d}/2주차 과제_22기_김철수.zip", r.data["A"])
    f.write(f"{d}/2주차 과제_21기_이준언.ipynb", r.data["J"])
    f.write(f"{d}/temp.ipynb", b"{}")
    r.sha["c2"] = f.commit(kst("09-14 12:00"))
    f.write(f"{d}/2주차 과제_22기_박영희.zip", r.data["P1"])
    f.write(f"{d}/과제.ipynb", r.data["MISNAMED"])
    f.write(f"{d}/22기_한지민/notebook.ipynb", r.data["H_NB"]).write(f"{d}/22기_한지민/shot.png", r.data["H_PNG1"])
    f.write(f"{d}/2주차과제_21기_정다은.zip", r.data["D"])
    r.sha["c3"] = f.commit(kst("09-15 09:00"))
    f.write(f"{d}/2주차 과제_22기_박영희.zip", r.data["P2"])
    f.write(f"{d}/2주차 과제_24기_윤서준.zip", b"")
    f.write(f"{d}/김철수/2주차 과제_22기_김철수.zip", r.data["A"])
    f.write(f"{d}/README.md", b"upload here\n").write(f"{d}/playground.png", b"\x89PNG")
    f.remove(f"{d}/temp.ipynb")
    r.sha["c4"] = f.commit(kst("09-16 20:00"))
    f.write(nfd(f"{d}/2주차 과제_22기_김철수.zip"), r.data["A"])
    f.write(nfd(f"{d}/2주차 과제_21기_이준언.ipynb"), r.data["J"])
    f.write(f"{d}/22기_한지민/shot.png", r.data["H_PNG2"])
    r.sha["c5"] = f.commit(kst("09-17 01:00"))
    f.write(f"{d}/2주차 과제_22기_박영희.zip", r.data["P3"])
    r.sha["c6"] = f.commit(kst("09-17 02:00"))
    f.write(f"{d}/2주차_과제_23기_최민수.zip", r.data["M1"])
    r.sha["c7"] = f.commit(kst("09-18 10:00"))
    f.write(f"{d}/2주차_과제_23기_최민수.zip", r.data["M2"])
    r.sha["c8"] = f.commit(kst("09-19 10:00"))
    return r


def build_student_repo(root: Path, name: str, files: list[tuple[str, bytes, str]], branch: str = "main") -> GitFactory:
    """A student's own repository: files is [(path, bytes, 'MM-DD HH:MM')], one commit each."""
    f = GitFactory(root / name, branch=branch)
    for path, data, when in files:
        f.write(path, data)
        f.commit(kst(when))
    return f
