"""The grader's side of the fork server (fork_server.py): start it, ask it for kernels.

One `ForkServer` per `NotebookRunner`: a bubblewrap sandbox like a kernel's, which imports
the pack's modules once and forks one isolated kernel per submission (a process in its own
user, mount, pid, network and IPC namespaces, in the submission's own cgroups, that sees only
its own folders). Every job's folder lies in the server's lane folder, a shared mount, so a
quota tmpfs the grader mounts there after the server started still appears inside it.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grader.execute import sandbox
from grader.pack import Limits
from grader.runtime import Runtime

SERVER_SOURCE = Path(__file__).with_name("fork_server.py")
ZYGOTE_SOURCE = Path(__file__).with_name("zygote.py")
READY_TIMEOUT_S = 180.0
SPAWN_TIMEOUT_S = 30.0
MS_BIND, MS_SHARED = 0x1000, 0x100000
_SERVERS: set["ForkServer"] = set()
_SERVERS_LOCK = threading.Lock()


class ForkError(RuntimeError):
    """The fork server could not start, or could not start this kernel."""


class ForkedProcess:
    """A kernel forked by the server, as jupyter_client's provisioner sees a process.

    It is not the grader's child, so its exit is seen through a pidfd (the exit status is
    not: an exited kernel reports 1 unless it was killed by the grader, -9).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._fd: int | None = os.pidfd_open(pid)
        self.returncode: int | None = None
        self._killed = False

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None:
            ready, _, _ = select.select([self._fd], [], [], 0)
            if ready:
                self.returncode = -9 if self._killed else 1
                os.close(self._fd)
                self._fd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self._fd is None:
            return
        if signum == signal.SIGKILL:
            self._killed = True
        signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _libc_mount(source: str, target: str, flags: int) -> bool:
    rc = sandbox._libc.mount(source.encode(), target.encode(), None, flags, None)
    return rc == 0


@dataclass(eq=False)
class ForkServer:
    """A running fork server and its lane folder (jobs/ holds every kernel's workspace)."""

    root: Path
    process: subprocess.Popen
    control: socket.socket
    cgroups: sandbox.CgroupSet
    shared: bool
    lock: threading.Lock

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @classmethod
    def start(cls, runtime: Runtime, limits: Limits, threads: int, preload: tuple[str, ...],
              shims: Path | None = None) -> "ForkServer":
        """Start the server and wait until it is ready; ForkError says why it cannot be used."""
        exe = sandbox.bwrap_available()
        if not exe:
            raise ForkError("no bubblewrap")
        root = Path(tempfile.mkdtemp(prefix="kgs-", dir="/tmp"))
        os.chmod(root, 0o711)
        shared = False
        if os.geteuid() == 0:  # later quota mounts under root must reach the running sandbox
            shared = _libc_mount(str(root), str(root), MS_BIND) and _libc_mount("none", str(root), MS_SHARED)
        (root / "jobs").mkdir(mode=0o711)
        os.chmod(root / "jobs", 0o711)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cgroups = sandbox.make_cgroups(limits)
        try:
            mounts, env = sandbox.runtime_view(runtime, None, root, threads, shims)
            config = {"control": theirs.fileno(), "preload": list(preload), "lane": str(root),
                      "zygote_source": ZYGOTE_SOURCE.read_text(encoding="utf-8")}
            cmd = sandbox.sandboxed(exe, runtime, limits, cgroups, mounts, env)
            cmd += [str(runtime.python), "-c", SERVER_SOURCE.read_text(encoding="utf-8"), json.dumps(config)]
            process = _popen_in_keeper(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/",
                                       start_new_session=True)
        except BaseException:
            ours.close()
            theirs.close()
            cgroups.close()
            _remove(root, shared)
            raise
        theirs.close()
        server = cls(root, process, ours, cgroups, shared, threading.Lock())
        with _SERVERS_LOCK:
            _SERVERS.add(server)
        try:
            ready = select.select([ours], [], [], READY_TIMEOUT_S)[0]
            said = json.loads(ours.recv(65536) or b"{}") if ready else {}
        except (OSError, ValueError):
            said = {}
        if not said.get("ready"):
            server.close()
            raise ForkError(said.get("problem") or "the fork server did not start")
        return server

    def spawn(self, work: Path, comm: Path, kernel_args: list[str], cgroups: sandbox.CgroupSet,
              tmp_mb: int, probe: dict | None = None, probe_fds: tuple[int, int] | None = None) -> ForkedProcess:
        """Fork a kernel for the workspace (work, comm under self.jobs); returns once it is
        isolated and about to start (its probe process forked), in its cgroups."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        job = {"work": str(work), "comm": str(comm), "kernel_args": kernel_args, "tmp_mb": tmp_mb,
               "probe": probe if probe_fds else None}
        fds = [theirs.fileno(), *(probe_fds or ())]
        deadline = time.monotonic() + SPAWN_TIMEOUT_S
        pid = None
        try:
            with self.lock:
                socket.send_fds(self.control, [json.dumps(job).encode()], fds)
            theirs.close()
            said, pid = _receive(ours, deadline)
            if said != b"pid" or pid is None:
                raise ForkError(f"the forked kernel did not report ({said[:200]!r})")
            for d in cgroups.dirs:
                (d / "cgroup.procs").write_text(str(pid))
            ours.send(b"go")
            said, _ = _receive(ours, deadline)
            if said != b"ok":
                raise ForkError(said.decode(errors="replace")[:500] or "the forked kernel stopped while starting")
            return ForkedProcess(pid)
        except BaseException:
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            raise
        finally:
            theirs.close()
            ours.close()

    def close(self) -> None:
        with _SERVERS_LOCK:
            if self not in _SERVERS:
                return
            _SERVERS.discard(self)
        self.control.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.cgroups.close()
        _remove(self.root, self.shared)


def _popen_in_keeper(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Popen from a thread that lives as long as the process: the sandbox's parent-death
    signal follows the thread that started it, and the caller's thread may be short-lived
    (asyncio.to_thread)."""
    started: list = []
    ready = threading.Event()

    def keep() -> None:
        try:
            process = subprocess.Popen(cmd, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            started.append(exc)
            ready.set()
            return
        started.append(process)
        ready.set()
        process.wait()

    threading.Thread(target=keep, name="kubig-fork-server", daemon=True).start()
    ready.wait()
    if isinstance(started[0], BaseException):
        raise started[0]
    return started[0]


def _receive(sock: socket.socket, deadline: float) -> tuple[bytes, int | None]:
    """One message and the sender's pid (in the grader's pid namespace), before the deadline."""
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([sock], [], [], left)[0]:
        raise ForkError("the fork server did not answer in time")
    data, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("=iII")))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= 4:
            (pid,) = struct.unpack("=i", payload[:4])
    return data, pid


def _remove(root: Path, shared: bool) -> None:
    if shared:
        sandbox.release_tmpfs(root)  # the lane's own bind mount (lazily)
    shutil.rmtree(root, ignore_errors=True)


def teardown_all() -> int:
    """Stop every fork server of this process (with their kernels). Returns how many."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS)
    for server in servers:
        server.close()
    return len(servers)


atexit.register(teardown_all)  # a grader that never called close() leaves no lane mount behind
