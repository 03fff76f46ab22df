"""The student runtime: the virtual environment student kernels run in.

Student notebooks need the real d2l 1.0.3, which pins numpy 1.23.5 / pandas 2.0.3 /
matplotlib 3.7.2, so the runtime is a venv of its own, separate from the grader's
environment. `grade setup <pack>` builds it once into the cache directory:
venv → pip install the pack's requirements (pip also writes their bytecode) → the pack's
offline data → warm-up (imports, matplotlib font cache) → ready.json. ready.json is written last, so a build that
was interrupted is detected and rebuilt; verify() also checks every file pip recorded for
the requirements, so a damaged runtime is rebuilt too.

That full check stats some 12,000 files, so `load_runtime` does it only when needed: a full
check that passes writes verified.json, the modification times of the folders holding those
files; while ready.json and every such folder are unchanged (a file removed, added or
renamed changes its folder's time), the runtime is the one that passed, and loading it takes
a few milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_text_atomic
from grader.pack import Pack
from grader.paths import cache_dir

Progress = Callable[[str], None]
FORMAT = 1
DATA_MISSING = "offline data missing"
VERIFIED = "verified.json"


@dataclass(frozen=True)
class Runtime:
    """A built runtime, ready to start kernels."""

    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def data(self) -> Path:
        """Offline data mounted read-only in the sandboxes (the notebook's ../data)."""
        return self.root / "data"

    @property
    def hidden(self) -> Path:
        """Offline data no sandbox ever sees (e.g. hidden validation images); grader only."""
        return self.root / "hidden"

    @property
    def mplconfig(self) -> Path:
        return self.root / "mplconfig"

    @property
    def base_prefix(self) -> Path:
        """The interpreter the venv links to (must be visible inside the sandbox)."""
        cfg = (self.venv / "pyvenv.cfg").read_text()
        home = Path(re.search(r"^home\s*=\s*(.+)$", cfg, re.M).group(1).strip())
        return home.parent.resolve()

    def info(self) -> dict:
        return json.loads((self.root / "ready.json").read_text())


class RuntimeMissing(RuntimeError):
    """The runtime has not been built (or is broken): run `grade setup <pack>`."""


def requirements_key(pack: Pack) -> str:
    text = "\n".join([f"format={FORMAT}", f"python={sys.version_info[:2]}", *pack.runtime.requirements])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def runtime_root(pack: Pack, base: Path | None = None) -> Path:
    return (base or cache_dir()) / "runtimes" / f"{pack.id}-{requirements_key(pack)}"


def _dist_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _installed(rt: Runtime, pack: Pack) -> tuple[str | None, Path | None, list[Path]]:
    """The cheap part of verify(): (problem, site-packages, the requirements' dist-info folders)."""
    ready = rt.root / "ready.json"
    if not ready.is_file():
        return "not built (no ready.json)", None, []
    try:
        info = rt.info()
    except (OSError, ValueError):
        return "ready.json unreadable", None, []
    if info.get("key") != requirements_key(pack):
        return "built for other requirements", None, []
    if not rt.python.exists():
        return f"{rt.python} missing", None, []
    site = next(iter((rt.venv / "lib").glob("python3*/site-packages")), None)
    if site is None:
        return "site-packages missing", None, []
    dist_infos = {_normalise(p.name.split("-")[0]): p for p in site.glob("*.dist-info")}
    dists = []
    for req in pack.runtime.requirements:
        dist = dist_infos.get(_normalise(_dist_name(req)))
        if dist is None:
            return f"{_dist_name(req)} not installed", None, []
        dists.append(dist)
    if pack.runtime.dataset and not ((rt.data / ".complete").is_file() and (rt.hidden / ".complete").is_file()):
        return DATA_MISSING, None, []
    return None, site, dists


def _recorded(site: Path, dist: Path) -> list[str]:
    """The files pip recorded for a distribution (bytecode left out: it may be rewritten)."""
    record = dist / "RECORD"
    if not record.is_file():
        return []
    return [rel for rel in (line.split(",", 1)[0] for line in record.read_text().splitlines())
            if rel and not rel.endswith(".pyc")]


def verify(rt: Runtime, pack: Pack) -> str | None:
    """None when the runtime is complete (every file pip recorded for the requirements is
    there), else why not."""
    problem, site, dists = _installed(rt, pack)
    if problem is not None or site is None:
        return problem
    for req, dist in zip(pack.runtime.requirements, dists):
        for rel in _recorded(site, dist):
            if not (site / rel).exists():
                return f"{_dist_name(req)} damaged: {rel} missing"
    return None


def _folder_times(rt: Runtime, folders: list[str]) -> list[int | None]:
    times: list[int | None] = []
    for folder in folders:
        try:
            times.append(os.stat(rt.root / folder).st_mtime_ns)
        except OSError:
            times.append(None)
    return times


def _stamp(rt: Runtime, pack: Pack) -> dict:
    """What verified.json holds: the key, ready.json's time, every folder holding a recorded file and its time."""
    _, site, dists = _installed(rt, pack)
    assert site is not None
    folders = {os.path.dirname(os.path.normpath(site / rel)) for dist in dists for rel in _recorded(site, dist)}
    names = sorted(os.path.relpath(f, rt.root) for f in folders | {str(site)})
    return {"key": requirements_key(pack), "ready": (rt.root / "ready.json").stat().st_mtime_ns,
            "folders": names, "times": _folder_times(rt, names)}


def _unchanged_since_verified(rt: Runtime, pack: Pack) -> bool:
    """Whether verified.json describes the runtime as it is now."""
    try:
        stamp = json.loads((rt.root / VERIFIED).read_text())
        return (stamp["key"] == requirements_key(pack)
                and stamp["ready"] == (rt.root / "ready.json").stat().st_mtime_ns
                and stamp["times"] == _folder_times(rt, stamp["folders"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _remember_verified(rt: Runtime, pack: Pack) -> None:
    """Write verified.json after a full check passed (best effort: a read-only cache only costs time)."""
    try:
        write_text_atomic(rt.root / VERIFIED, json.dumps(_stamp(rt, pack)))
    except OSError:
        pass


def check_runtime(rt: Runtime, pack: Pack) -> str | None:
    """verify(), the full check only when the runtime changed since the last one that passed."""
    problem, _, _ = _installed(rt, pack)
    if problem is not None:
        return problem
    if _unchanged_since_verified(rt, pack):
        return None
    problem = verify(rt, pack)
    if problem is None:
        _remember_verified(rt, pack)
    return problem


def load_runtime(pack: Pack, base: Path | None = None) -> Runtime:
    """The pack's runtime, or RuntimeMissing with what to do."""
    rt = Runtime(runtime_root(pack, base))
    problem = check_runtime(rt, pack)
    if problem:
        raise RuntimeMissing(
            f"student runtime for {pack.id} is not ready ({problem}); run `grade setup {pack.id}` "
            f"/ 학생 실행 환경이 준비되지 않았습니다. `grade setup {pack.id}`를 먼저 실행하세요."
        )
    return rt


def _run(cmd: list[str], progress: Progress, **kw) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    tail: list[str] = []
    assert proc.stdout
    for line in proc.stdout:
        line = line.rstrip()
        if line and not line.startswith("WARNING: Location"):
            tail = (tail + [line])[-30:]
            if line.startswith(("Collecting", "Installing", "Successfully", "warm:")):
                progress(line)
    if proc.wait() != 0:
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))


WARM_UP = r"""
import importlib, os, sys, time
os.environ.setdefault("MPLBACKEND", "Agg")
t = time.time()
for name in sys.argv[1:]:
    importlib.import_module(name)
    print(f"warm: imported {name} ({time.time() - t:.1f}s)", flush=True)
import matplotlib.font_manager  # builds the font cache into MPLCONFIGDIR
print("warm: font cache ready", flush=True)
"""


def build(pack: Pack, progress: Progress = print, base: Path | None = None, force: bool = False) -> Runtime:
    """Build the runtime if missing or broken (idempotent). Returns the ready runtime."""
    rt = Runtime(runtime_root(pack, base))
    problem = verify(rt, pack)  # `grade setup` always checks every file
    if problem is None and not force:
        _remember_verified(rt, pack)
        progress(f"runtime ready: {rt.root}")
        return rt
    if problem == DATA_MISSING and not force:  # the environment is fine: only the offline data is (re)written
        progress(f"runtime at {rt.root}: {problem}")
        _build_data(rt, pack, progress)
        return rt
    progress(f"building runtime at {rt.root} ({problem or 'forced'})")
    if rt.root.exists():
        shutil.rmtree(rt.root)
    rt.root.mkdir(parents=True)
    started = time.time()
    _run([sys.executable, "-m", "venv", str(rt.venv)], progress)
    _run([str(rt.python), "-m", "pip", "install", "--upgrade", "--quiet", "pip"], progress)
    _run([str(rt.python), "-m", "pip", "install", "--progress-bar", "off", *pack.runtime.requirements], progress)
    _build_data(rt, pack, progress)
    rt.mplconfig.mkdir(exist_ok=True)
    env = {**os.environ, "MPLCONFIGDIR": str(rt.mplconfig)}
    _run([str(rt.python), "-c", WARM_UP, *pack.runtime.preload], progress, env=env)
    info = {
        "key": requirements_key(pack),
        "requirements": list(pack.runtime.requirements),
        "build_seconds": round(time.time() - started, 1),
        "python": str(rt.python),
    }
    write_text_atomic(rt.root / "ready.json", json.dumps(info, indent=2))
    if verify(rt, pack) is None:
        _remember_verified(rt, pack)
    progress(f"runtime ready in {info['build_seconds']} s: {rt.root}")
    return rt


def _build_data(rt: Runtime, pack: Pack, progress: Progress) -> None:
    """The pack's offline data: what the sandboxes may read, and what only the grader reads."""
    if not pack.runtime.dataset:
        return
    progress("building offline data")
    for folder in (rt.data, rt.hidden):
        (folder / ".complete").unlink(missing_ok=True)
    summary = pack.module("datasets_module").build(rt.data, rt.hidden)
    write_text_atomic(rt.data / ".complete", json.dumps(summary))
    write_text_atomic(rt.hidden / ".complete", json.dumps(summary))
    progress(f"offline data: {summary}")
