"""Assignment packs: `assignments/<id>/assignment.toml` plus the pack's check and probe modules."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from grader.models import Message

REPO_ROOT = Path(__file__).resolve().parent.parent


def assignments_dir() -> Path:
    """Where packs live: $KUBIG_ASSIGNMENTS or the repository's assignments/ folder."""
    return Path(os.environ.get("KUBIG_ASSIGNMENTS", REPO_ROOT / "assignments"))


@dataclass(frozen=True)
class CheckSpec:
    id: str
    points: float
    title: Message


@dataclass(frozen=True)
class NamingRule:
    pattern: str
    check: str


@dataclass(frozen=True)
class ArtifactSpec:
    notebook_extensions: tuple[str, ...]
    notebook_count: int
    screenshot_extensions: tuple[str, ...]
    screenshot_required: bool
    check: str


@dataclass(frozen=True)
class RuntimeSpec:
    requirements: tuple[str, ...]
    preload: tuple[str, ...]
    dataset: str | None
    startup: str | None = None  # pack file run silently in every kernel first (grading-tuned runtime)


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 180
    notebook_timeout_s: float = 900
    probe_timeout_s: float = 120
    memory_mb: int = 6144
    max_processes: int = 128
    max_output_bytes: int = 2_000_000  # outputs kept per notebook (the rest is dropped with a note)
    max_message_bytes: int = 16_000_000  # one kernel message (each ZeroMQ frame and decoded); larger ones are refused
    disk_mb: int = 1024  # the kernel's writable folders (work folder, /tmp): size quota
    max_files: int = 20000  # … and file (inode) quota


@dataclass(frozen=True)
class LatePolicy:
    policy: str = "ignore"  # ignore | penalty | latest
    penalty_points: float = 0


@dataclass(frozen=True)
class Pack:
    """One assignment: its manifest, folder and content hash."""

    id: str
    week: int
    title: Message
    deadline: datetime
    folder: Path
    naming: NamingRule
    artifacts: ArtifactSpec
    runtime: RuntimeSpec
    limits: Limits
    late: LatePolicy
    checks: tuple[CheckSpec, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.checks)

    def check(self, check_id: str) -> CheckSpec:
        for spec in self.checks:
            if spec.id == check_id:
                return spec
        raise KeyError(f"check {check_id!r} is not declared in {self.folder / 'assignment.toml'}")

    def file(self, key: str) -> Path:
        """A file the manifest names (statement, template, reference, checks_module, probes_module)."""
        return self.folder / self.raw[key]

    def module(self, key: str = "checks_module") -> ModuleType:
        """Import one of the pack's Python modules (by manifest key) under a private name."""
        path = self.file(key)
        tag = hashlib.sha1(str(path).encode()).hexdigest()[:8]
        spec = importlib.util.spec_from_file_location(f"kubig_pack_{self.id}_{path.stem}_{tag}", path)
        assert spec and spec.loader
        if spec.name in sys.modules:
            return sys.modules[spec.name]
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[spec.name]
            raise
        return mod

    def content_hash(self) -> str:
        """Hash of every file in the pack folder (and the reference solutions it uses)."""
        h = hashlib.sha256()
        roots = [self.folder, REPO_ROOT / "reference_solutions" / self.id]
        for root in roots:
            if not root.exists():
                continue
            for p in sorted(root.rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts:
                    h.update(str(p.relative_to(root)).encode())
                    h.update(p.read_bytes())
        return h.hexdigest()[:16]


def _message(value: Any, fallback: str) -> Message:
    if isinstance(value, dict):
        return Message(value.get("ko", fallback), value.get("en", fallback))
    return Message(str(value or fallback), str(value or fallback))


class PackError(ValueError):
    """The manifest is malformed."""


def load_pack(pack_id_or_dir: str | Path) -> Pack:
    """Load a pack by id (folder name under assignments/) or by folder path."""
    folder = Path(pack_id_or_dir)
    if not folder.is_dir():
        folder = assignments_dir() / str(pack_id_or_dir)
    manifest = folder / "assignment.toml"
    if not manifest.is_file():
        raise PackError(f"no assignment pack {pack_id_or_dir!r}: {manifest} does not exist")
    raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    try:
        tz = ZoneInfo(raw.get("timezone", "Asia/Seoul"))
        deadline = datetime.fromisoformat(raw["deadline"])
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=tz)
        checks = tuple(
            CheckSpec(c["id"], float(c["points"]), _message(c.get("title"), c["id"])) for c in raw["checks"]
        )
        art = raw.get("artifacts", {})
        pack = Pack(
            id=raw["id"],
            week=int(raw["week"]),
            title=_message(raw.get("title"), raw["id"]),
            deadline=deadline,
            folder=folder.resolve(),
            naming=NamingRule(raw["naming"]["pattern"], raw["naming"].get("check", "naming")),
            artifacts=ArtifactSpec(
                tuple(art.get("notebook_extensions", ["ipynb"])),
                int(art.get("notebook_count", 1)),
                tuple(art.get("screenshot_extensions", [])),
                bool(art.get("screenshot_required", False)),
                art.get("check", "artifacts"),
            ),
            runtime=RuntimeSpec(
                tuple(raw["runtime"]["requirements"]),
                tuple(raw["runtime"].get("preload", [])),
                raw["runtime"].get("dataset"),
                raw["runtime"].get("startup"),
            ),
            limits=Limits(**raw.get("limits", {})),
            late=LatePolicy(**raw.get("late", {})),
            checks=checks,
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PackError(f"{manifest}: {exc!r}") from exc
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids) or not all(i.isidentifier() and i == i.lower() for i in ids):
        raise PackError(f"{manifest}: check ids must be unique snake_case: {ids}")
    return pack


def list_packs() -> list[Pack]:
    root = assignments_dir()
    return [load_pack(p) for p in sorted(root.iterdir()) if (p / "assignment.toml").is_file()]
