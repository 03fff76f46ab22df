"""Build the command that starts student code in a sandbox.

Full isolation uses bubblewrap: new user/pid/net/ipc/uts namespaces, uid 65534, a read-only
view of the system (/usr and a minimal /etc) and the student runtime, a private writable
working directory, and nothing else of the host (no grader, references, other students or
reports). When the grader runs as root, the launcher (limit_exec.py) first becomes the
unprivileged SANDBOX_UID, so the sandbox's user is `nobody` outside as well (bubblewrap maps
it to the caller's uid). Limits come from cgroups (pids, memory) where the grader may create
them, from rlimits always, and, as root, from a size- and inode-limited tmpfs for the
writable folders (`quota_tmpfs`). Without bubblewrap the kernel still gets rlimits, a
private directory, a cleared environment and (as root) the unprivileged user, and the
result says "isolation: reduced".
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grader.pack import Limits
from grader.runtime import Runtime

LIMIT_EXEC = Path(__file__).with_name("limit_exec.py")
SANDBOX_ROOT = Path("/sandbox")
# The unprivileged user (nobody:nogroup) sandboxed processes run as when the grader is root.
SANDBOX_UID = SANDBOX_GID = 65534
# What of the host's /etc the kernel sees (only these, when they exist): name resolution for
# its own user and localhost, the dynamic loader's cache, fonts, CA certificates, time zone,
# MIME types. Never shadow/gshadow, ssh, sudoers, the grader's configuration, /etc/jupyter.
ETC_ENTRIES = ("passwd", "group", "hosts", "host.conf", "nsswitch.conf", "ld.so.cache", "localtime", "timezone",
               "fonts", "ssl/certs", "ca-certificates.conf", "mime.types", "protocols", "services", "alternatives",
               "os-release", "locale.alias", "debian_version")


@dataclass(frozen=True)
class Mounts:
    """Host paths the kernel may see. Read-only ones appear at the same path inside."""

    python_prefixes: tuple[Path, ...]
    workdir: Path | None  # writable, the notebook's working directory (/sandbox/work inside; None: an empty one)
    comm: Path  # writable, kernel sockets and probe files (same path inside)
    data: Path | None = None  # read-only, appears as /sandbox/data (the notebook's ../data)
    extra_ro: tuple[Path, ...] = ()


@dataclass
class CgroupSet:
    """cgroup directories created for one kernel; removed by close()."""

    dirs: list[Path] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL every process in the cgroups (once)."""
        for d in self.dirs:
            try:
                pids = (d / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, PermissionError, ValueError):
                    pass

    def close(self, wait_s: float = 5.0) -> None:
        """Kill what is inside (again and again: a fork storm keeps forking) and remove the
        cgroups; gives up after wait_s (a cgroup left behind is empty of our processes' work)."""
        deadline = time.monotonic() + wait_s
        left = list(self.dirs)
        while left:
            self.kill()
            for d in list(left):
                try:
                    d.rmdir()
                    left.remove(d)
                except FileNotFoundError:
                    left.remove(d)
                except OSError:
                    pass
            if not left or time.monotonic() > deadline:
                break
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


def sandbox_user() -> tuple[int, int] | None:
    """(uid, gid) sandboxed processes become, or None when the grader is not root (then they
    run as the grader's own unprivileged user)."""
    return (SANDBOX_UID, SANDBOX_GID) if os.geteuid() == 0 else None


def give_to_sandbox(path: Path) -> None:
    """Make a folder (or file) the sandbox user's, so the sandboxed process may write it (as root)."""
    user = sandbox_user()
    if user is not None:
        os.chown(path, *user)


@functools.cache
def bwrap_available() -> str | None:
    """Path of a bubblewrap that can actually create our namespaces here, as the user that
    will run it (the sandbox user when the grader is root), else None."""
    exe = shutil.which("bwrap")
    if not exe or os.environ.get("KUBIG_NO_BWRAP"):
        return None
    probe = [exe, "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
             "--ro-bind", "/", "/", "true"]
    user = sandbox_user()
    as_user = {"user": user[0], "group": user[1], "extra_groups": []} if user else {}
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10, cwd="/", **as_user).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return exe if ok else None


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_NOSUID, MS_NODEV = 0x2, 0x4
MNT_DETACH = 2


def quota_tmpfs(path: Path, limits: Limits) -> bool:
    """Mount a tmpfs of limits.disk_mb and limits.max_files inodes on path (root only).

    Returns False (nothing mounted) when not root or the mount is refused; the caller then
    has only RLIMIT_FSIZE (a per-file size cap) and says the quota is reduced. The tmpfs is
    RAM-backed: what the notebook writes there counts against its memory cgroup as well.
    """
    if os.geteuid() != 0 or os.environ.get("KUBIG_NO_QUOTA"):
        return False
    opts = f"size={int(limits.disk_mb)}m,nr_inodes={int(limits.max_files)},mode=0700,uid=0,gid=0"
    rc = _libc.mount(b"kubig-work", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts.encode())
    return rc == 0


def release_tmpfs(path: Path) -> None:
    """Unmount a quota tmpfs (lazily: a process still inside cannot keep it, or its RAM, busy)."""
    _libc.umount2(str(path).encode(), MNT_DETACH)


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


def etc_args(entries: tuple[str, ...] = ETC_ENTRIES) -> list[str]:
    """A minimal /etc: the listed entries of the host's (symlinks stay symlinks)."""
    args: list[str] = []
    for name in entries:
        host = Path("/etc") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.exists():
            args += ["--ro-bind", str(host), str(host)]
    return args


def bwrap_args(exe: str, mounts: Mounts, env: dict[str, str], mpl_cache: Path | None,
               tmp_mb: int | None = None, etc: tuple[str, ...] = ETC_ENTRIES) -> list[str]:
    """bubblewrap arguments up to (not including) the command.

    tmp_mb caps the sandbox's own /tmp and /dev/shm (RAM-backed tmpfs); None leaves them
    unbounded except by the memory limit. etc lists what of the host's /etc is visible.
    """
    args = [exe, "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--hostname", "sandbox"]
    args += ["--die-with-parent", "--new-session", "--clearenv"]
    args += ["--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), f"/{link}"]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    args += etc_args(etc)
    size = ["--size", str(int(tmp_mb) * 1024 * 1024)] if tmp_mb else []
    args += [*size, "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", *size, "--tmpfs", "/dev/shm"]
    args += ["--dir", "/tmp/home", "--dir", "/tmp/mpl"]
    for p in (*mounts.python_prefixes, *mounts.extra_ro):
        args += ["--ro-bind", str(p), str(p)]
    if mpl_cache is not None and mpl_cache.is_dir():
        for f in sorted(mpl_cache.glob("fontlist-*.json")):
            args += ["--ro-bind", str(f), f"/tmp/mpl/{f.name}"]
    if mounts.workdir is not None:
        args += ["--bind", str(mounts.workdir), str(SANDBOX_ROOT / "work")]
    else:  # the fork server: each kernel it forks binds its own folder here
        args += ["--dir", str(SANDBOX_ROOT / "work")]
    args += ["--bind", str(mounts.comm), str(mounts.comm)]
    if mounts.data is not None:
        args += ["--ro-bind", str(mounts.data), str(SANDBOX_ROOT / "data")]
    args += ["--remount-ro", "/"]  # the sandbox's own root tmpfs: only the work dir, comm and /tmp stay writable
    args += ["--chdir", str(SANDBOX_ROOT / "work")]
    for k, v in env.items():
        args += ["--setenv", k, v]
    return args


def limit_args(limits: Limits, cgroups: CgroupSet, expose: tuple[Path, ...] | None = None) -> list[str]:
    """The rlimit/cgroup/user launcher prefix.

    As root the launcher becomes SANDBOX_UID before running a bubblewrap command (and makes
    the paths bubblewrap binds reachable for it). For a command run without bubblewrap
    (reduced isolation), pass expose = the paths that command needs (runtime, work folder…)
    to have it dropped to SANDBOX_UID too; with expose=None it keeps the grader's user.
    """
    args = [sys.executable, "-I", "-S", str(LIMIT_EXEC)]
    args += ["--data", str(limits.memory_mb * 1024 * 1024)]
    args += ["--fsize", str(min(int(limits.disk_mb), 4096) * 1024 * 1024), "--nofile", "1024"]
    user = sandbox_user()
    if user is None:
        args += ["--nproc", str(limits.max_processes + _user_process_count())]
    else:
        args += ["--user", f"{user[0]}:{user[1]}"]
        if not any(d.parent.name == "pids" or (d.parent / "cgroup.controllers").exists() for d in cgroups.dirs):
            # no pids cgroup: the per-user process limit is the only bound (shared by all kernels)
            args += ["--nproc", str(limits.max_processes + _user_process_count(user[0]))]
        if expose is not None:
            args += ["--drop-direct"]
            for p in expose:
                args += ["--expose", str(p)]
    for d in cgroups.dirs:
        args += ["--cgroup", str(d)]
    return args + ["--"]


def _user_process_count(uid: int | None = None) -> int:
    uid = os.geteuid() if uid is None else uid
    count = 0
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if p.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def runtime_view(runtime: Runtime, workdir: Path | None, comm: Path, threads: int,
                 shims: Path | None = None) -> tuple[Mounts, dict[str, str]]:
    """What a kernel's (or the fork server's) sandbox sees of the runtime, and its environment;
    shims: a folder of instant commands put first on PATH."""
    mounts = Mounts(python_prefixes=(runtime.base_prefix, runtime.venv), workdir=workdir, comm=comm,
                    data=runtime.data if runtime.data.exists() else None, extra_ro=(shims,) if shims else ())
    env = sandbox_env(mounts, runtime.bin, threads)
    if shims:
        env["PATH"] = f"{shims}:{env['PATH']}"
    return mounts, env


def sandboxed(exe: str, runtime: Runtime, limits: Limits, cgroups: CgroupSet, mounts: Mounts,
              env: dict[str, str]) -> list[str]:
    """The launcher and bubblewrap prefix for a command run in the runtime's sandbox."""
    return limit_args(limits, cgroups) + bwrap_args(exe, mounts, env, runtime.mplconfig, tmp_mb=int(limits.disk_mb))
