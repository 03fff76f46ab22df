"""Assignment packs: `assignments/<id>/assignment.toml` plus the pack's check and probe modules."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import tomllib
from dataclasses import dataclass, field, replace
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


CHECK_NEEDS = ("execution", "intake")


@dataclass(frozen=True)
class CheckSpec:
    """One `[[checks]]` entry. needs: "execution" (the default: the check reads the executed
    notebook or the probes) or "intake" (it reads only the submission's files, e.g. a screenshot:
    the grader runs it while the notebook executes)."""

    id: str
    points: float
    title: Message
    needs: str = "execution"


@dataclass(frozen=True)
class NamePattern:
    """One file a student uploads: its name pattern and the artifact roles it may hold.

    pattern: `{week}`, `{cohort}` and `{name}` are filled from the file name; its suffix is the
    file's expected extension. extensions: further accepted extensions (an image task may come
    as .png, .jpg or .pdf; the expected name then keeps the file's own). task: the task number
    the name carries (`과제1`, `과제2`), None when the pattern names no task.
    """

    pattern: str
    holds: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    task: int | None = None
    words: tuple[Message, ...] = ()  # the held roles' nouns, for messages (set by load_pack)

    @property
    def suffix(self) -> str:
        stem, dot, ext = self.pattern.rpartition(".")
        return f".{ext.lower()}" if dot and stem and ext.isalnum() else ""

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every accepted extension, lower case with a dot, the pattern's own first."""
        own = (self.suffix,) if self.suffix else ()
        rest = tuple(f".{e.lower().lstrip('.')}" for e in self.extensions)
        return tuple(dict.fromkeys(own + rest))


@dataclass(frozen=True)
class NamingRule:
    """How submissions are named: one pattern per file a student uploads (week 2: one zip;
    week 3: the image of task 1, the notebook of task 2, or one zip holding both)."""

    patterns: tuple[NamePattern, ...]
    check: str = "naming"

    def __post_init__(self) -> None:
        if isinstance(self.patterns, str):  # NamingRule("{week}주차 …zip"): one pattern
            object.__setattr__(self, "patterns", (NamePattern(self.patterns),))

    @classmethod
    def single(cls, pattern: str, check: str = "naming") -> "NamingRule":
        return cls((NamePattern(pattern),), check)

    @property
    def pattern(self) -> str:
        """The first (main) pattern: what messages show as "named like"."""
        return self.patterns[0].pattern

    @property
    def grouped(self) -> bool:
        """Several files per student (one per pattern) are grouped into one submission."""
        return len(self.patterns) > 1


@dataclass(frozen=True)
class ArtifactRole:
    """A kind of file a submission must (or may) contain, e.g. "notebook" or "screenshot".

    kind "notebook" is parsed as a Jupyter notebook and executed (at most one role has it);
    any other kind is a file checked against its extensions and magic bytes. min: how many are
    required (0: optional); max: how many are graded (None: every one is kept, best first).
    title: the role in messages ("No {title}"); noun: a shorter word for it (default: title).
    hints: words in a file name that make it the more plausible candidate.
    """

    id: str
    kind: str
    extensions: tuple[str, ...]
    min: int = 1
    max: int | None = None
    title: Message = Message("", "")
    noun: Message | None = None
    hints: tuple[str, ...] = ()
    missing: Message | None = None  # message when absent ({wanted}: the extensions)
    wrong_format: Message | None = None  # a PDF/other image instead ({file}, {wanted})

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(f".{e.lower().lstrip('.')}" for e in self.extensions)

    @property
    def required(self) -> bool:
        return self.min > 0

    @property
    def word(self) -> Message:
        return self.noun or self.title


@dataclass(frozen=True)
class ArtifactSpec:
    roles: tuple[ArtifactRole, ...]
    check: str = "artifacts"

    def role(self, role_id: str) -> ArtifactRole:
        for role in self.roles:
            if role.id == role_id:
                return role
        raise KeyError(role_id)

    @property
    def notebook(self) -> ArtifactRole | None:
        """The role that is executed (kind "notebook"), if any."""
        return next((r for r in self.roles if r.kind == "notebook"), None)

    @property
    def notebook_extensions(self) -> tuple[str, ...]:
        nb = self.notebook
        return tuple(e.lstrip(".") for e in nb.suffixes) if nb else ()

    @property
    def files(self) -> tuple[ArtifactRole, ...]:
        """The roles that are not the notebook."""
        return tuple(r for r in self.roles if r.kind != "notebook")


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
    class_folders: tuple[str, ...] = ()  # default folders in the class repository, tried in order

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

    @property
    def package(self) -> str:
        """The pack's import name, its folder loaded once as a real package (so its modules import
        each other with relative imports): `assignments.<id>` for the repository's packs, a
        private name for a pack elsewhere (tests, $KUBIG_ASSIGNMENTS)."""
        home = (REPO_ROOT / "assignments").resolve()
        name = f"kubig_pack_{self.id}_{hashlib.sha1(str(self.folder).encode()).hexdigest()[:8]}"
        if self.folder.parent == home and _register_package("assignments", home):
            name = f"assignments.{self.folder.name}"
        _register_package(name, self.folder)
        return name

    def module(self, key: str = "checks_module") -> ModuleType:
        """One of the pack's Python modules (by manifest key), imported as part of the pack's package."""
        return importlib.import_module(f"{self.package}.{Path(self.raw[key]).with_suffix('').as_posix().replace('/', '.')}")

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


def _register_package(name: str, folder: Path) -> bool:
    """Import folder as package `name` (its `__init__.py` is optional); False when `name` is
    already another folder's package."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return [str(Path(p).resolve()) for p in getattr(loaded, "__path__", [])] == [str(folder.resolve())]
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    else:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        if spec.loader is not None:
            spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    if "." in name:
        setattr(sys.modules[name.rpartition(".")[0]], name.rpartition(".")[2], module)
    return True


def _message(value: Any, fallback: str) -> Message:
    if isinstance(value, dict):
        return Message(value.get("ko", fallback), value.get("en", fallback))
    return Message(str(value or fallback), str(value or fallback))


class PackError(ValueError):
    """The manifest is malformed."""


def _with_words(rule: NamingRule, spec: "ArtifactSpec") -> NamingRule:
    """The naming rule with each pattern's held roles' nouns (for messages)."""
    known = {r.id: r.word for r in spec.roles}
    patterns = tuple(replace(p, words=tuple(known[h] for h in p.holds if h in known)) for p in rule.patterns)
    return replace(rule, patterns=patterns)


def _naming(section: dict[str, Any]) -> NamingRule:
    """[naming]: `pattern = "..."` (one file per student), or `[[naming.files]]` tables with
    pattern, holds (role ids), extensions and task."""
    files = section.get("files")
    if files is None:
        return NamingRule.single(str(section["pattern"]), section.get("check", "naming"))
    patterns = tuple(
        NamePattern(str(f["pattern"]), tuple(f.get("holds", ())), tuple(f.get("extensions", ())),
                    None if f.get("task") is None else int(f["task"]))
        for f in files
    )
    return NamingRule(patterns, section.get("check", "naming"))


def _role(raw: dict[str, Any]) -> ArtifactRole:
    """One [[artifacts.roles]] table."""
    optional = {k: _message(raw[k], raw["id"]) for k in ("noun", "missing", "wrong_format") if k in raw}
    return ArtifactRole(
        id=str(raw["id"]), kind=str(raw.get("kind", "file")), extensions=tuple(raw["extensions"]),
        min=int(raw.get("min", 1)), max=None if raw.get("max") is None else int(raw["max"]),
        title=_message(raw.get("title"), raw["id"]), hints=tuple(raw.get("hints", ())), **optional,
    )


def _validate(pack: Pack, manifest: Path) -> None:
    roles = [r.id for r in pack.artifacts.roles]
    if len(set(roles)) != len(roles) or not roles:
        raise PackError(f"{manifest}: [[artifacts.roles]] ids must be unique and at least one: {roles}")
    if sum(r.kind == "notebook" for r in pack.artifacts.roles) > 1:
        raise PackError(f"{manifest}: at most one artifact role may be kind = \"notebook\"")
    for pattern in pack.naming.patterns:
        unknown = [h for h in pattern.holds if h not in roles]
        if unknown or not all(k in pattern.pattern for k in ("{cohort}", "{name}")):
            raise PackError(f"{manifest}: naming pattern {pattern.pattern!r} needs {{cohort}} and {{name}} "
                            f"and may hold only declared roles (unknown: {unknown})")


def load_pack(pack_id_or_dir: str | Path) -> Pack:
    """Load a pack by id (folder name under assignments/) or by folder path."""
    folder = Path(pack_id_or_dir)
    if not folder.is_dir():
        folder = assignments_dir() / str(pack_id_or_dir)
    manifest = folder / "assignment.toml"
    if not manifest.is_file():
        raise PackError(f"no assignment pack {pack_id_or_dir!r}: {manifest} does not exist")
    try:
        raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PackError(f"{manifest}: not valid TOML: {exc}") from exc
    try:
        tz = ZoneInfo(raw.get("timezone", "Asia/Seoul"))
        deadline = datetime.fromisoformat(raw["deadline"])
        if deadline.tzinfo is None:
            deadline = deadline.replace(tzinfo=tz)
        checks = tuple(
            CheckSpec(c["id"], float(c["points"]), _message(c.get("title"), c["id"]), c.get("needs", "execution"))
            for c in raw["checks"]
        )
        odd = [f"{c.id} (needs = {c.needs!r})" for c in checks if c.needs not in CHECK_NEEDS]
        if odd:
            raise PackError(f"{manifest}: a check's `needs` is one of {', '.join(CHECK_NEEDS)}: {', '.join(odd)}")
        art = raw.get("artifacts", {})
        folders = raw.get("folders", [])
        pack = Pack(
            id=raw["id"],
            week=int(raw["week"]),
            title=_message(raw.get("title"), raw["id"]),
            deadline=deadline,
            folder=folder.resolve(),
            naming=_naming(raw["naming"]),
            artifacts=ArtifactSpec(tuple(_role(r) for r in art["roles"]), art.get("check", "artifacts")),
            class_folders=(folders,) if isinstance(folders, str) else tuple(str(f) for f in folders),
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
    _validate(pack, manifest)
    pack = replace(pack, naming=_with_words(pack.naming, pack.artifacts))
    ids = [c.id for c in checks]
    if len(set(ids)) != len(ids) or not all(i.isidentifier() and i == i.lower() for i in ids):
        raise PackError(f"{manifest}: check ids must be unique snake_case: {ids}")
    return pack


def list_packs(broken: dict[str, str] | None = None) -> list[Pack]:
    """Every pack under assignments/. A malformed one is left out (one pack's error must not take
    the others down); with `broken`, its folder name → the error is recorded there."""
    packs = []
    for folder in sorted(assignments_dir().iterdir()):
        if (folder / "assignment.toml").is_file():
            try:
                packs.append(load_pack(folder))
            except PackError as exc:
                if broken is not None:
                    broken[folder.name] = str(exc)
    return packs
