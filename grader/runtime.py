"""The student runtime: the virtual environment student kernels run in.

Student notebooks need the real d2l 1.0.3, which pins numpy 1.23.5 / pandas 2.0.3 /
matplotlib 3.7.2, so the runtime is a venv of its own, separate from the grader's
environment. `grade setup <pack>` builds it once into the cache directory:
venv → pip install the pack's requirements (pip also writes their bytecode) → the pack's
offline data → warm-up (imports, matplotlib font cache) → ready.json. ready.json is written last, so a build that
was interrupted is detected and rebuilt; verify() also checks every file pip recorded for
the requirements, so a damaged runtime is rebuilt too.
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


def verify(rt: Runtime, pack: Pack) -> str | None:
    """None when the runtime is complete, else why not."""
    ready = rt.root / "ready.json"
    if not ready.is_file():
        return "not built (no ready.json)"
    try:
        info = rt.info()
    except (OSError, ValueError):
        return "ready.json unreadable"
    if info.get("key") != requirements_key(pack):
        return "built for other requirements"
    if not rt.python.exists():
        return f"{rt.python} missing"
    site = next(iter((rt.venv / "lib").glob("python3*/site-packages")), None)
    if site is None:
        return "site-packages missing"
    dist_infos = {_normalise(p.name.split("-")[0]): p for p in site.glob("*.dist-info")}
    for req in pack.runtime.requirements:
        dist = dist_infos.get(_normalise(_dist_name(req)))
        if dist is None:
            return f"{_dist_name(req)} not installed"
        record = dist / "RECORD"
        if record.is_file():
            for line in record.read_text().splitlines():
                rel = line.split(",", 1)[0]
                if rel and not rel.endswith(".pyc") and not (site / rel).exists():
                    return f"{_dist_name(req)} damaged: {rel} missing"
    if pack.runtime.dataset and not ((rt.data / ".complete").is_file() and (rt.hidden / ".complete").is_file()):
        return DATA_MISSING
    return None


def load_runtime(pack: Pack, base: Path | None = None) -> Runtime:
    """The pack's runtime, or RuntimeMissing with what to do."""
    rt = Runtime(runtime_root(pack, base))
    problem = verify(rt, pack)
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
    problem = verify(rt, pack)
    if problem is None and not force:
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
