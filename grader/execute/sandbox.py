"""Build the command that starts student code in a sandbox.

Full isolation uses bubblewrap: new user/pid/net/ipc/uts namespaces, uid 65534, a read-only
view of the system and the student runtime, a private writable working directory, and
nothing else of the host (no grader, references, other students or reports). Limits come
from cgroups (pids, memory) where the grader may create them, and from rlimits always.
Without bubblewrap the kernel still gets rlimits, a private directory and a cleared
environment, and the result says "isolation: reduced".
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.pack import Limits

LIMIT_EXEC = Path(__file__).with_name("limit_exec.py")
SANDBOX_ROOT = Path("/sandbox")


@dataclass(frozen=True)
class Mounts:
    """Host paths the kernel may see. Read-only ones appear at the same path inside."""

    python_prefixes: tuple[Path, ...]
    workdir: Path  # writable, the notebook's working directory (/sandbox/work inside)
    comm: Path  # writable, kernel sockets and probe files (same path inside)
    data: Path | None = None  # read-only, appears as /sandbox/data (the notebook's ../data)
    extra_ro: tuple[Path, ...] = ()


@dataclass
class CgroupSet:
    """cgroup directories created for one kernel; removed by close()."""

    dirs: list[Path] = field(default_factory=list)

    def close(self) -> None:
        for d in self.dirs:
            procs = d / "cgroup.procs"
            try:
                for pid in procs.read_text().split():
                    try:
                        os.kill(int(pid), 9)
                    except ProcessLookupError:
                        pass
            except OSError:
                pass
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError:
                    import time

                    time.sleep(0.05)
        self.dirs.clear()


def _cgroup_roots() -> dict[str, Path]:
    """Writable cgroup hierarchies for pids and memory (v1 controllers or v2 unified)."""
    roots: dict[str, Path] = {}
    base = Path("/sys/fs/cgroup")
    for ctrl in ("pids", "memory"):
        if (base / ctrl).is_dir() and os.access(base / ctrl, os.W_OK):
            roots[ctrl] = base / ctrl
    if not roots and (base / "cgroup.controllers").exists() and os.access(base, os.W_OK):
        ctrls = (base / "cgroup.controllers").read_text().split()
        if "pids" in ctrls or "memory" in ctrls:
            roots["unified"] = base
    return roots


def make_cgroups(limits: Limits) -> CgroupSet:
    """Create per-kernel cgroups limiting process count and memory, where permitted."""
    cgs = CgroupSet()
    name = f"kubig-{uuid.uuid4().hex[:12]}"
    mem = str(limits.memory_mb * 1024 * 1024)
    for ctrl, root in _cgroup_roots().items():
        d = root / name
        try:
            d.mkdir()
            if ctrl == "pids":
                (d / "pids.max").write_text(str(limits.max_processes))
            elif ctrl == "memory":
                (d / "memory.limit_in_bytes").write_text(mem)
                swap = d / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(mem)
            else:
                (d / "pids.max").write_text(str(limits.max_processes))
                (d / "memory.max").write_text(mem)
                (d / "memory.swap.max").write_text("0")
            cgs.dirs.append(d)
        except OSError:
            try:
                d.rmdir()
            except OSError:
                pass
    return cgs


@functools.cache
def bwrap_available() -> str | None:
    """Path of a bubblewrap that can actually create our namespaces here, else None."""
    exe = shutil.which("bwrap")
    if not exe or os.environ.get("KUBIG_NO_BWRAP"):
        return None
    probe = [exe, "--unshare-all", "--uid", "65534", "--gid", "65534", "--ro-bind", "/", "/", "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return exe if ok else None


def sandbox_env(mounts: Mounts, runtime_bin: Path, threads: int) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's leaks in."""
    home = "/tmp/home"
    return {
        "HOME": home,
        "PATH": f"{runtime_bin}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": "/tmp/mpl",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "KUBIG_SANDBOX": "1",
    }


def bwrap_args(exe: str, mounts: Mounts, env: dict[str, str], mpl_cache: Path | None) -> list[str]:
    """bubblewrap arguments up to (not including) the command."""
    args = [exe, "--unshare-all", "--uid", "65534", "--gid", "65534", "--hostname", "sandbox"]
    args += ["--die-with-parent", "--new-session", "--clearenv"]
    for d in ("usr", "etc"):
        args += ["--ro-bind", f"/{d}", f"/{d}"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    args += ["--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]
    args += ["--dir", "/tmp/home", "--dir", "/tmp/mpl"]
    for p in (*mounts.python_prefixes, *mounts.extra_ro):
        args += ["--ro-bind", str(p), str(p)]
    if mpl_cache is not None and mpl_cache.is_dir():
        for f in sorted(mpl_cache.glob("fontlist-*.json")):
            args += ["--ro-bind", str(f), f"/tmp/mpl/{f.name}"]
    args += ["--bind", str(mounts.workdir), str(SANDBOX_ROOT / "work")]
    args += ["--bind", str(mounts.comm), str(mounts.comm)]
    if mounts.data is not None:
        args += ["--ro-bind", str(mounts.data), str(SANDBOX_ROOT / "data")]
    args += ["--remount-ro", "/"]  # the sandbox's own root tmpfs: only the work dir, comm and /tmp stay writable
    args += ["--chdir", str(SANDBOX_ROOT / "work")]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args


def limit_args(limits: Limits, cgroups: CgroupSet) -> list[str]:
    """The rlimit/cgroup launcher prefix."""
    args = [sys.executable, "-I", "-S", str(LIMIT_EXEC)]
    args += ["--data", str(limits.memory_mb * 1024 * 1024)]
    args += ["--fsize", str(512 * 1024 * 1024), "--nofile", "1024"]
    if os.geteuid() != 0:
        args += ["--nproc", str(limits.max_processes + _user_process_count())]
    for d in cgroups.dirs:
        args += ["--cgroup", str(d)]
    return args + ["--"]


def _user_process_count() -> int:
    uid = os.geteuid()
    count = 0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if p.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count
