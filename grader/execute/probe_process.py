"""Start the probe process (probe_host.py) in its own sandbox and read what it reports.

The process is started before the notebook runs (its imports overlap the notebook) and is
given the job after: the pack's probe functions, the student's definitions (never the
notebook's side effects) and the hidden inputs, through its stdin. Results come back through
a pipe the grader created before the process existed (the process's fd is passed down; no
path anywhere the sandbox can write). Every read has a deadline and a byte cap, and every
.npz is checked against its headers before anything is allocated.
"""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.execute import sandbox
from grader.pack import Limits
from grader.runtime import Runtime

HOST_SOURCE = Path(__file__).with_name("probe_host.py")
MAX_FRAME_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 128 * 1024 * 1024
MAX_ARRAY_ELEMENTS = 4 * 1024 * 1024  # float64: 32 MB per array
READY_TIMEOUT_S = 120.0


class ChannelError(Exception):
    """The probe process broke the protocol, went silent or sent too much."""


def safe_npz(data: bytes) -> dict[str, np.ndarray]:
    """Arrays of an .npz from an untrusted process: headers checked before any allocation."""
    if len(data) > MAX_FRAME_BYTES:
        raise ChannelError("arrays too large")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > 64:
                raise ChannelError("too many arrays")
            for info in infos:
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
                    elif version == (2, 0):
                        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
                    else:
                        raise ChannelError(f"unsupported .npy version {version}")
                    if dtype.hasobject or dtype.kind not in "fiub" or len(shape) > 8:
                        raise ChannelError(f"unexpected array type {dtype}")
                    if int(np.prod(shape, dtype=np.int64)) > MAX_ARRAY_ELEMENTS:
                        raise ChannelError(f"array {info.filename} declares {shape}: too large")
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                for key in npz.files:
                    arrays[key] = np.asarray(npz[key], dtype=np.float64)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ChannelError(f"unreadable arrays: {exc}"[:200]) from exc
    return arrays


@dataclass
class HostReport:
    """What the probe process sent back."""

    probes: dict[str, dict[str, Any]]  # name → {"status", "error", "values", "arrays", "seconds"}
    load_problems: list[list[str]]
    status: str = "ok"  # ok | timeout | error
    detail: str = ""


class _Reader:
    """Frames from the result pipe, each read against one overall deadline and byte budget."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.fd, self.deadline, self.total, self.buf = fd, deadline, 0, b""

    def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            left = max(0.0, self.deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], left)  # data already waiting is read even late
            if not ready:
                if left <= 0:
                    raise TimeoutError("probe process time limit")
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise ChannelError("the probe process stopped before it finished")
            self.total += len(chunk)
            if self.total > MAX_TOTAL_BYTES:
                raise ChannelError("the probe process sent too much data")
            self.buf += chunk

    def frame(self) -> bytes:
        self._fill(4)
        (n,) = struct.unpack(">I", self.buf[:4])
        if n > MAX_FRAME_BYTES:
            raise ChannelError("frame too large")
        self._fill(4 + n)
        data, self.buf = self.buf[4 : 4 + n], self.buf[4 + n :]
        return data


def _frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _write_before(fd: int, data: bytes, deadline: float) -> None:
    """Write everything to a pipe the other side may never drain: give up at the deadline."""
    os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the probe process did not take its job")
        _, ready, _ = select.select([], [fd], [], left)
        if ready:
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue


def _split_payload(payload: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A child's payload: JSON frame of plain values + .npz frame of arrays."""
    if len(payload) < 8:
        raise ChannelError("empty result")
    (n,) = struct.unpack(">I", payload[:4])
    values = json.loads(payload[4 : 4 + n])
    rest = payload[4 + n :]
    (m,) = struct.unpack(">I", rest[:4])
    if len(rest) != 4 + m or not isinstance(values, dict):
        raise ChannelError("malformed result")
    return values, safe_npz(rest[4:])


_LIVE: set["ProbeChannel"] = set()  # channels not yet closed, for teardown_all()
_LIVE_LOCK = threading.Lock()


def teardown_all() -> int:
    """Kill every probe process of this process (Ctrl-C/SIGTERM). Returns how many."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for host in live:
        host.close()
    return len(live)


class ProbeChannel:
    """The grader's ends of one probe process's two pipes: results (read) and the job (write).

    The process behind it is either a probe process forked inside a kernel's sandbox
    (zygote.py; it dies with that sandbox) or a separate sandbox of its own (ProbeHost).
    """

    def __init__(self, read_fd: int, job_fd: int, isolation: str) -> None:
        self.read_fd, self.job_fd, self.isolation = read_fd, job_fd, isolation
        self.started = time.monotonic()
        self.ready = False
        with _LIVE_LOCK:
            _LIVE.add(self)

    def wait_ready(self, timeout_s: float) -> bool:
        """Read the process's first frame: True when it is ``ready`` (False: anything else,
        silence, or the end of the pipe)."""
        try:
            self.ready = _Reader(self.read_fd, time.monotonic() + timeout_s).frame() == b"ready"
        except (TimeoutError, ChannelError, OSError, struct.error):
            self.ready = False
        return self.ready

    def run(self, probes_source: str, statements: tuple[str, ...], inputs: dict[str, np.ndarray],
            params: dict[str, Any], probe_seconds: int, budget_s: float) -> HostReport:
        """Send the job, read every probe's result; never waits past budget_s (plus start-up)."""
        report = HostReport({}, [])
        try:
            reader = _Reader(self.read_fd, max(self.started + READY_TIMEOUT_S, time.monotonic() + 10))
            if not self.ready and reader.frame() != b"ready":
                raise ChannelError("the probe process did not start properly")
            buf = io.BytesIO()
            np.savez(buf, **inputs)
            job = {"probes_source": probes_source, "statements": list(statements), "params": params,
                   "probe_seconds": probe_seconds}
            reader.deadline = time.monotonic() + budget_s
            _write_before(self.job_fd, _frame(json.dumps(job).encode()) + _frame(buf.getvalue()), reader.deadline)
            self._close_job()
            load = json.loads(reader.frame())
            if load.get("probe") == "_crash":
                raise ChannelError(f"the probe process failed: {load.get('error', '')}"[:300])
            report.load_problems = [list(map(str, p))[:2] for p in load.get("problems", [])][:50]
            while True:
                head_raw = reader.frame()
                if head_raw == b"done":
                    break
                head, payload = json.loads(head_raw), reader.frame()
                name = str(head.get("probe"))
                entry = {"status": str(head.get("status")), "error": str(head.get("error", ""))[:500],
                         "seconds": float(head.get("seconds", 0.0)), "values": {}, "arrays": {}}
                if entry["status"] == "ok":
                    try:
                        entry["values"], entry["arrays"] = _split_payload(payload)
                    except (ChannelError, ValueError, struct.error) as exc:
                        entry.update(status="error", error=f"unreadable result: {exc}"[:300])
                report.probes[name] = entry
        except TimeoutError as exc:
            report.status, report.detail = "timeout", str(exc)
        except (ChannelError, ValueError, OSError, struct.error) as exc:
            report.status, report.detail = "error", f"{type(exc).__name__}: {exc}"[:300]
        finally:
            self.close()
        return report

    def _close_job(self) -> None:
        fd, self.job_fd = self.job_fd, -1
        if fd >= 0:
            os.close(fd)

    def close(self) -> None:
        """Close both pipes (the process sees the end of its job and of its results); idempotent."""
        with _LIVE_LOCK:
            _LIVE.discard(self)
        self._close_job()
        fd, self.read_fd = self.read_fd, -1
        if fd >= 0:
            os.close(fd)


class ProbeHost(ProbeChannel):
    """A probe process in a sandbox of its own, for one submission (when no kernel sandbox
    could fork a walled-off one: see zygote.py)."""

    def __init__(self, runtime: Runtime, limits: Limits, threads: int = 1, preload: tuple[str, ...] = ()) -> None:
        self.runtime, self.limits = runtime, limits
        self.root = Path(tempfile.mkdtemp(prefix="kp-", dir="/tmp"))
        self.cgroups = sandbox.make_cgroups(limits)
        self.proc: subprocess.Popen | None = None
        read_fd, write_fd = os.pipe()
        job_read, job_write = os.pipe()
        try:
            cmd, env, cwd, isolation = self._command(write_fd, threads, preload)
            self.proc = subprocess.Popen(cmd, stdin=job_read, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(write_fd,), cwd=cwd,
                                         env=env, start_new_session=True)
        except BaseException:
            for fd in (read_fd, job_write):
                os.close(fd)
            self._cleanup()
            raise
        finally:
            os.close(write_fd)
            os.close(job_read)
        super().__init__(read_fd, job_write, isolation)

    def _command(self, out_fd: int, threads: int,
                 preload: tuple[str, ...]) -> tuple[list[str], dict[str, str] | None, str, str]:
        work, unused = self.root / "work", self.root / "comm"
        work.mkdir()
        unused.mkdir()
        mounts, env = sandbox.runtime_view(self.runtime, work, unused, threads)
        host = [str(self.runtime.python), "-I", "-c", HOST_SOURCE.read_text(encoding="utf-8"), str(out_fd), *preload]
        prefix = sandbox.limit_args(self.limits, self.cgroups)
        exe = sandbox.bwrap_available()
        if exe:
            return prefix + sandbox.bwrap_args(exe, mounts, env, self.runtime.mplconfig) + host, {}, str(work), "full"
        (self.root / "data").symlink_to(self.runtime.data)
        env.update(HOME=str(self.root), MPLCONFIGDIR=str(self.root / "mpl"))
        return prefix + host, env, str(work), "reduced"

    def close(self) -> None:
        """Kill the process (and its sandbox) and remove its folders (idempotent, any thread)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        super().close()
        self._cleanup()

    def _cleanup(self) -> None:
        self.cgroups.close()
        shutil.rmtree(self.root, ignore_errors=True)
