"""Run one notebook in a fresh sandboxed kernel with nbclient.

`NotebookRunner` has one job: given a notebook, a private folder and a runtime, execute
every code cell under the pack's limits (per-cell and whole-notebook timeouts, output cap;
memory and process limits come from the sandbox) and record what happened per cell. Probes
never run here (see probes.py): nothing the notebook leaves in its kernel is trusted. Kernel
sockets use ZeroMQ's ipc transport in a folder shared with the sandbox, because the kernel
has no network (not even the host's loopback).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import zmq
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_hook
from nbformat import NotebookNode
from traitlets import Any as AnyTrait, DottedObjectName, Integer, List, Type, Unicode, default

from grader.execute import sandbox
from grader.execute import forked
from grader.execute.forked import ForkError, ForkServer
from grader.execute.probe_process import HOST_SOURCE, ProbeChannel
from grader.models import CellRun, Execution  # noqa: F401  (the stage's types; re-exported)
from grader.pack import Limits
from grader.runtime import Runtime

TIMEOUT_ENAME = "KubigCellTimeout"
SHIMS = Path(__file__).with_name("shims")
ZYGOTE_SOURCE = Path(__file__).with_name("zygote.py")
PROBE_READY_TIMEOUT_S = 30.0


class CappedKernelClient(AsyncKernelClient):
    """A kernel client whose ZeroMQ sockets refuse any frame over max_message_bytes.

    The limit (ZMQ_MAXMSGSIZE) is checked by libzmq as the frame arrives, before it is
    allocated: a kernel sending a 300 MB message is disconnected (and reconnects) instead of
    costing the grader 300 MB, and the message is lost.
    """

    max_message_bytes = Integer(0).tag(config=True)

    @default("context")
    def _capped_context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        ctx = zmq.asyncio.Context()
        if self.max_message_bytes > 0:
            ctx.setsockopt(zmq.MAXMSGSIZE, int(self.max_message_bytes))  # default for every socket of ctx
        return ctx


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command is the sandbox launch prefix + ipykernel."""

    launch_prefix = List(Unicode()).tag(config=True)
    runtime_python = Unicode().tag(config=True)
    zygote_config = Unicode().tag(config=True)  # JSON for zygote.py: what to import, the probe pipes
    max_message_bytes = Integer(0).tag(config=True)
    spawn = AnyTrait(None, allow_none=True)  # with a fork server: (kernel_args) -> ForkedProcess
    client_class = DottedObjectName("grader.execute.kernel.CappedKernelClient")
    client_factory = Type(CappedKernelClient, klass=CappedKernelClient)

    def client(self, **kwargs: Any) -> CappedKernelClient:  # type: ignore[override]
        kwargs.setdefault("max_message_bytes", self.max_message_bytes)
        return super().client(**kwargs)

    def write_connection_file(self, **kwargs: Any) -> None:
        """Write it (0600), then hand it to the sandbox user, who must read it."""
        super().write_connection_file(**kwargs)
        if self.connection_file and os.path.exists(self.connection_file):
            sandbox.give_to_sandbox(Path(self.connection_file))

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        """With a fork server, the kernel is forked by it instead of launched by a command."""
        if self.spawn is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        process = await asyncio.to_thread(self.spawn, ["-f", self.connection_file])
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """jupyter_client's wait for a stopping kernel polls every 0.1 s; a killed kernel is gone
        in a few ms, and each submission waits for its kernel to stop: poll every 5 ms."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    @property
    def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
        zygote = ZYGOTE_SOURCE.read_text(encoding="utf-8")
        argv = [*self.launch_prefix, self.runtime_python, "-c", zygote, self.zygote_config or "{}",
                "-f", "{connection_file}"]
        return KernelSpec(
            argv=argv, display_name="kubig-sandbox", language="python", interrupt_mode="message", env={}
        )


AfterCells = Callable[[tuple[CellRun, ...], str, ProbeChannel | None], None]
OUTPUT_TYPES = {"stream", "display_data", "execute_result", "update_display_data", "error"}


def _message_size(msg: dict) -> int:
    """Decoded size of a kernel message: its content as JSON plus its binary buffers."""
    size = len(json.dumps(msg.get("content", {}), default=str))
    for buf in msg.get("buffers") or ():
        size += memoryview(buf).nbytes
    return size


def _note(text_ko: str, text_en: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stderr", text=f"[kubig] {text_ko} / {text_en}\n")


class CappedNotebookClient(NotebookClient):
    """NotebookClient that keeps a bounded amount of what the kernel sends.

    Every output message (stream, display_data, execute_result, update_display_data, error)
    counts against max_output_bytes for the whole notebook; past it, outputs are dropped
    with one note (errors are kept, shortened, so a failing cell still shows why). Any one
    message over max_message_bytes is dropped with a note. Widget (comm) messages are never
    kept: nothing is graded from widgets, and their state would otherwise pile up in memory.
    """

    def __init__(self, *args: Any, max_output_bytes: int, max_message_bytes: int = 16_000_000,
                 **kwargs: Any) -> None:
        kwargs.setdefault("store_widget_state", False)
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.max_message_bytes = max_message_bytes
        self.output_bytes = 0
        self.output_truncated = False
        self.dropped_messages = 0
        # With error_on_timeout, a timed-out cell's error is only in its execute reply (no
        # error output is added to the cell), so remember the replies to tell timeouts apart.
        self.replies: dict[int, dict] = {}
        self.on_cell_executed = self._remember_reply

    @asynccontextmanager
    async def async_setup_kernel(self, **kwargs: Any) -> AsyncGenerator[None, None]:
        """nbclient's, minus the SIGINT/SIGTERM loop handlers and atexit hook it installs in
        the main thread: those swallow the leader's Ctrl-C and SIGTERM (the grader decides
        what a signal does; see grader.cohort)."""
        cleanup_kc = kwargs.pop("cleanup_kc", self.owns_km)
        if self.km is None:
            self.km = self.create_kernel_manager()
        if not self.km.has_kernel:
            await self.async_start_new_kernel(**kwargs)
        if self.kc is None:
            await self.async_start_new_kernel_client()
        else:  # a client that already saw the kernel ready (LiveKernel.kc)
            await run_hook(self.on_notebook_start, notebook=self.nb)
        try:
            yield
        finally:
            if cleanup_kc:
                await self._async_cleanup_kernel()
            await run_hook(self.on_notebook_complete, notebook=self.nb)

    def _remember_reply(self, cell, cell_index, execute_reply) -> None:
        self.replies[cell_index] = (execute_reply or {}).get("content", {})

    def timed_out(self, cell_index: int) -> bool:
        """Whether the last execution of this cell ended by the cell time limit."""
        return self.replies.pop(cell_index, {}).get("ename") == TIMEOUT_ENAME

    def reply_error(self, cell_index: int) -> tuple[str, str]:
        """The error in the cell's execute reply (shell channel), when its error output was lost."""
        reply = self.replies.get(cell_index, {})
        if reply.get("status") == "error":
            return str(reply.get("ename", "")), str(reply.get("evalue", ""))[:500]
        return "", ""

    def recover_iopub(self, cell: NotebookNode) -> bool:
        """After a cell: if its outputs stopped arriving (no idle status: ZeroMQ refused an
        over-limit message and dropped the connection, which it does not re-open), connect a
        new iopub socket (same limit) and say so in the cell. Returns whether it did."""
        if "iopub.status.idle" in cell.get("metadata", {}).get("execution", {}) or self.kc is None:
            return False
        old, self.kc._iopub_channel = self.kc._iopub_channel, None
        if old is not None:
            old.close()
        self.kc.iopub_channel  # noqa: B018 (creates and connects the new channel)
        self.output_truncated = True
        self.dropped_messages += 1
        cap = self.max_message_bytes / 1e6
        cell.outputs.append(_note(f"커널이 한도({cap:.0f} MB)를 넘는 메시지를 보내 거부되었습니다. 이 셀의 출력 일부가 없을 수 있습니다",
                                  f"the kernel sent a message over the limit ({cap:.0f} MB); it was refused and "
                                  "some of this cell's output may be missing"))
        return True

    def process_message(self, msg, cell, cell_index):  # type: ignore[override]
        msg_type = msg.get("msg_type", "")
        if msg_type.startswith("comm"):
            self.dropped_messages += 1  # widgets: never kept (see the class docstring)
            return None
        if msg_type not in OUTPUT_TYPES:
            return super().process_message(msg, cell, cell_index)
        size = _message_size(msg)
        if msg_type == "error":
            if size > 20_000:  # keep the error (the cell's status comes from it), shortened
                content = msg["content"]
                content["evalue"] = str(content.get("evalue", ""))[:2000]
                content["traceback"] = [str(t)[:2000] for t in (content.get("traceback") or [])[-10:]]
            return super().process_message(msg, cell, cell_index)
        if size > self.max_message_bytes:
            self.dropped_messages += 1
            self.output_truncated = True
            mb, cap = size / 1e6, self.max_message_bytes / 1e6
            cell.outputs.append(_note(f"너무 큰 출력 메시지({msg_type}, {mb:.1f} MB)를 버렸습니다 (한도 {cap:.0f} MB)",
                                      f"a {mb:.1f} MB {msg_type} message was dropped (limit {cap:.0f} MB)"))
            return None
        self.output_bytes += size
        if self.output_bytes > self.max_output_bytes:
            self.dropped_messages += 1
            if not self.output_truncated or not any("[kubig]" in str(o.get("text", "")) for o in cell.outputs):
                cap = self.max_output_bytes / 1e6
                cell.outputs.append(_note(f"출력 한도({cap:.1f} MB)에 도달하여 이후 출력은 버립니다",
                                          f"output limit ({cap:.1f} MB) reached; further output dropped"))
            self.output_truncated = True
            return None
        return super().process_message(msg, cell, cell_index)


@dataclass
class _Workspace:
    """The kernel's folders: work (its working directory) and comm (its sockets).

    As root, root is a tmpfs of limits.disk_mb / limits.max_files (quota=True), owned by
    root 0700; work and comm belong to the sandbox user. Otherwise a plain folder in /tmp,
    bounded only by RLIMIT_FSIZE per file (quota=False).
    """

    root: Path
    work: Path
    comm: Path
    quota: bool = False

    @classmethod
    def create(cls, limits: Limits | None = None, parent: Path | None = None) -> "_Workspace":
        """parent: the fork server's jobs folder (its kernels traverse to their own folders)."""
        # Short path: ipc socket names must fit in 107 bytes.
        root = Path(tempfile.mkdtemp(prefix="kg-", dir=str(parent or "/tmp")))
        quota = sandbox.quota_tmpfs(root, limits) if limits is not None else False
        if parent is not None:
            os.chmod(root, 0o711)
        work, comm = root / "work", root / "comm"
        try:
            work.mkdir()
            comm.mkdir()
            sandbox.give_to_sandbox(work)
            sandbox.give_to_sandbox(comm)
        except BaseException:
            cls(root, work, comm, quota).remove()
            raise
        return cls(root, work, comm, quota)

    def remove(self) -> None:
        if self.quota:
            sandbox.release_tmpfs(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


# Run in the kernel once it is up: the modules were imported by zygote.py before IPython
# existed, so matplotlib_inline could not hook itself into the shell then (as it does when
# imported in a kernel: figures shown after each cell); let it do so now, as it would have.
_INLINE_INTEGRATION = (
    "def __kubig_inline():\n    import sys\n"
    "    module = sys.modules.get('matplotlib_inline.backend_inline')\n"
    "    if module is not None:\n        module._enable_matplotlib_integration()\n"
    "__kubig_inline()\ndel __kubig_inline\n")


async def _responsive(client: NotebookClient, wait_s: float = 10.0) -> bool:
    """After an interrupted cell: does the kernel answer a trivial request again?"""
    try:
        reply = await client.kc.execute_interactive("pass", silent=True, store_history=False, timeout=wait_s)
    except (TimeoutError, RuntimeError):
        return False
    return reply.get("content", {}).get("status") in ("ok", "error")


SHUTDOWN_TIMEOUT_S = 20.0
_LIVE: set["LiveKernel"] = set()  # every kernel not yet torn down, for teardown_all()
_LIVE_LOCK = threading.Lock()
_STOPPING = threading.Event()  # set by teardown_all(): no new kernel may start


class GraderStopping(RuntimeError):
    """The grader is being stopped (Ctrl-C/SIGTERM): no new kernel starts."""


@dataclass(eq=False)
class LiveKernel:
    """A started, sandboxed kernel with its private workspace; serves exactly one notebook."""

    ws: _Workspace
    cgroups: sandbox.CgroupSet
    km: "SandboxKernelManager"
    isolation: str
    start_seconds: float
    probe: ProbeChannel | None = None  # the walled-off probe process forked in this sandbox (zygote.py)
    # The client that saw the kernel ready at start-up, channels open: the notebook's client
    # reuses it instead of waiting for the kernel again (jupyter_client's wait_for_ready ends
    # with 0.2 s of IOPub silence).
    kc: CappedKernelClient | None = None

    def __post_init__(self) -> None:
        with _LIVE_LOCK:
            _LIVE.add(self)
        if _STOPPING.is_set():
            self.kill()
            raise GraderStopping("the grader is stopping")

    async def shutdown(self) -> None:
        """Stop the kernel (bounded wait), then kill whatever is left and remove the workspace."""
        self.stop_client()
        try:
            await asyncio.wait_for(self.km.shutdown_kernel(now=True), SHUTDOWN_TIMEOUT_S)
        except (Exception, asyncio.TimeoutError):  # already dead, never fully started, or stuck
            pass
        finally:
            self.kill()

    def stop_client(self) -> None:
        """Close the start-up client's channels (idempotent)."""
        kc, self.kc = self.kc, None
        if kc is not None:
            kc.stop_channels()

    def kill(self) -> None:
        """Tear down synchronously, without waiting on the kernel (safe from any thread)."""
        with _LIVE_LOCK:
            if self not in _LIVE:
                return
            _LIVE.discard(self)
        if self.probe is not None:
            self.probe.close()
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            for kill in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
                try:
                    kill()
                    break
                except (ProcessLookupError, PermissionError, OSError):
                    pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.cgroups.close()
        self.ws.remove()


def allow_kernels() -> None:
    """A new run may start kernels again (undoes the stop of an earlier, interrupted run)."""
    _STOPPING.clear()


def teardown_all(stop: bool = True) -> int:
    """Kill every sandboxed kernel of this process and remove its cgroups and workspace
    (on Ctrl-C/SIGTERM, before exiting without waiting for worker threads); with stop, no
    kernel starts afterwards (one being started is killed as soon as it exists). Returns how many."""
    if stop:
        _STOPPING.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for kernel in live:
        try:
            kernel.kill()
        except Exception:
            pass
    if stop:
        forked.teardown_all()
    return len(live)


class KernelLane:
    """One worker's event loop and the kernel it starts ahead for its next submission.

    While notebook N executes in this loop, kernel N+1 boots and pre-imports the pack's
    modules in the same loop, so the next submission starts without waiting. Every kernel
    still serves one submission only; only imported modules are warm, no user state.
    """

    def __init__(self, runner: "NotebookRunner") -> None:
        self.runner = runner
        self.loop = asyncio.new_event_loop()
        self.next: asyncio.Task | None = None

    async def take(self) -> LiveKernel:
        kernel = None
        if self.next is not None:
            try:
                kernel = await self.next
            except Exception:
                kernel = None
        if kernel is None:
            kernel = await self.runner.start_kernel()
        self.next = self.loop.create_task(self.runner.start_kernel())
        return kernel

    def close(self) -> None:
        async def drain() -> None:
            task, self.next = self.next, None
            if task is None:
                return
            if not task.done():
                task.cancel()  # a kernel still booting is torn down by start_kernel itself
            done = await asyncio.gather(task, return_exceptions=True)
            if isinstance(done[0], LiveKernel):
                await done[0].shutdown()

        try:
            self.loop.run_until_complete(drain())
        finally:
            self.loop.close()


def _cell_error(cell: NotebookNode) -> tuple[str, str]:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return str(out.get("ename", "")), str(out.get("evalue", ""))[:500]
    return "", ""


class NotebookRunner:
    """Execute one notebook in a fresh sandboxed kernel."""

    def __init__(self, runtime: Runtime, limits: Limits, threads: int = 1, preload: tuple[str, ...] = (),
                 startup: str = "", shims: bool = False, probes: bool = False, fork: bool = True) -> None:
        """preload: modules the sandbox imports before the kernel starts (zygote.py);
        startup: code run silently in every kernel before the notebook (the pack's tuning);
        shims: put grader/execute/shims (an instant `pip` for what is installed) first on PATH;
        probes: fork a walled-off probe process in each kernel's sandbox (LiveKernel.probe);
        fork: fork every kernel from one fork server (fork_server.py) that imported the
        modules once, when this machine allows it (else each kernel's sandbox imports them)."""
        self.runtime = runtime
        self.limits = limits
        self.threads = threads
        self.preload = preload
        self.startup = startup
        self.shims = shims
        self.probes = probes
        self.fork = fork and not os.environ.get("KUBIG_NO_FORK_SERVER")
        self.fork_problem = ""  # why the fork server is not used, once it was tried
        self._server: ForkServer | None = None
        self._server_lock = threading.Lock()

    def fork_server(self) -> ForkServer | None:
        """The running fork server (started on first use), or None when it cannot be used."""
        if not self.fork:
            return None
        with self._server_lock:
            if self._server is not None and self._server.process.poll() is None:
                return self._server
            if self._server is not None:  # it died: from now on each kernel gets a sandbox of its own
                self._server.close()
                self._server = None
                self.give_up_forking("the fork server stopped")
                return None
            try:
                self._server = ForkServer.start(self.runtime, self.limits, self.threads, self.preload,
                                                shims=SHIMS if self.shims else None)
            except (ForkError, OSError) as exc:
                self.give_up_forking(str(exc))
                return None
            return self._server

    def give_up_forking(self, why: str) -> None:
        """Start no more kernels from the fork server (those it forked keep running)."""
        self.fork, self.fork_problem = False, why[:300]

    def close(self) -> None:
        """Stop the fork server (kernels it forked are stopped by their own LiveKernel)."""
        with self._server_lock:
            server, self._server = self._server, None
        if server is not None:
            server.close()

    def run(self, nb: NotebookNode, files_dir: Path | None, lane: KernelLane | None = None,
            after: AfterCells | None = None) -> tuple[Execution, NotebookNode]:
        """Run nb (copying files_dir's files beside it).

        With a lane, the kernel comes from the lane (started ahead) and the lane starts the
        next one; without, a kernel is started now and nothing is started ahead. `after` is
        called (in a thread) once the cells are done and before the kernel stops, with the
        cells, the execution status and the kernel's probe channel (None when it has none
        or its sandbox is gone); its seconds are in timings["probes"].
        """
        if lane is None:
            return asyncio.run(self._run(nb, files_dir, None, after))
        return lane.loop.run_until_complete(self._run(nb, files_dir, lane, after))

    async def start_kernel(self) -> LiveKernel:
        """Boot a sandboxed kernel in a fresh workspace, its modules imported (and, with
        probes, a probe process forked from that state before any notebook code exists):
        forked by the fork server, or (when it cannot fork this one) in a sandbox of its own."""
        try:
            return await self._start_kernel()
        except ForkError as exc:
            self.give_up_forking(str(exc))
            return await self._start_kernel()

    async def _start_kernel(self) -> LiveKernel:
        started = time.monotonic()
        if _STOPPING.is_set():
            raise GraderStopping("the grader is stopping")
        server = await asyncio.to_thread(self.fork_server)
        ws = _Workspace.create(self.limits, parent=server.jobs if server is not None else None)
        cgroups = sandbox.make_cgroups(self.limits)
        pipes: list[int] = []
        try:
            prefix, env, isolation = self._launch(ws, cgroups) if server is None else ([], {}, "full")
            config: dict[str, Any] = {"preload": list(self.preload)}
            launch: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": str(ws.work)}
            if self.probes:
                result_read, result_write = os.pipe()
                job_read, job_write = os.pipe()
                pipes = [result_read, job_write, result_write, job_read]  # grader's ends first
                config.update(probe_out=result_write, probe_in=job_read, read_trees=self._probe_trees(ws, env),
                              probe_source=HOST_SOURCE.read_text(encoding="utf-8"))
                launch["pass_fds"] = (result_write, job_read)
            km = SandboxKernelManager(
                launch_prefix=prefix,
                runtime_python=str(self.runtime.python),
                zygote_config=json.dumps(config),
                max_message_bytes=int(self.limits.max_message_bytes),
                transport="ipc",
                ip=str(ws.comm / "k"),
                connection_file=str(ws.comm / "kernel.json"),
            )
            if server is not None:
                probe = {k: config[k] for k in ("read_trees", "probe_source", "preload")} if self.probes else None
                probe_fds = (config["probe_out"], config["probe_in"]) if self.probes else None
                km.spawn = functools.partial(server.spawn, ws.work, ws.comm, cgroups=cgroups,
                                             tmp_mb=int(self.limits.disk_mb), probe=probe, probe_fds=probe_fds)
            if env:
                launch["env"] = env
            await asyncio.wait_for(km.start_kernel(**launch), 60)
            kernel = LiveKernel(ws, cgroups, km, isolation, 0.0)
        except BaseException:
            for fd in pipes:
                os.close(fd)
            cgroups.close()
            ws.remove()
            raise
        try:
            if pipes:
                for fd in pipes[2:]:  # the sandbox's ends: only its processes hold them now
                    os.close(fd)
                kernel.probe = ProbeChannel(pipes[0], pipes[1], isolation)
                pipes = []
            kc = kernel.kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            kc.allow_stdin = False
            for source in (_INLINE_INTEGRATION if self.preload else "", self.startup):
                if source:
                    await kc.execute_interactive(source, silent=True, store_history=False, timeout=120)
            if kernel.probe is not None:
                probe = kernel.probe
                if not await asyncio.to_thread(probe.wait_ready, PROBE_READY_TIMEOUT_S):
                    kernel.probe = None  # could not wall itself off: the grader starts a separate one
                    probe.close()
        except BaseException:
            for fd in pipes:
                os.close(fd)
            await kernel.shutdown()
            raise
        kernel.start_seconds = time.monotonic() - started
        return kernel

    def _probe_trees(self, ws: _Workspace, env: dict[str, str]) -> list[str]:
        """What the probe process may read, besides the system's read-only trees: the
        runtime and the data (and, without bubblewrap, the matplotlib configuration)."""
        trees = [str(self.runtime.base_prefix), str(self.runtime.venv)]
        if env:  # reduced isolation: host paths
            trees += [str(self.runtime.data), str(ws.root / "data"), env.get("MPLCONFIGDIR", "")]
        else:
            trees.append(str(sandbox.SANDBOX_ROOT / "data"))
        return [t for t in trees if t]

    def _launch(self, ws: _Workspace, cgroups: sandbox.CgroupSet) -> tuple[list[str], dict[str, str], str]:
        mounts, env = sandbox.runtime_view(self.runtime, ws.work, ws.comm, self.threads, SHIMS if self.shims else None)
        exe = sandbox.bwrap_available()
        if exe:
            return sandbox.sandboxed(exe, self.runtime, self.limits, cgroups, mounts, env), {}, "full"
        # Reduced: same limits, a private folder and (as root) the unprivileged user, but the
        # host file system (what that user may read) and the network stay visible.
        (ws.root / "data").symlink_to(self.runtime.data)
        home = ws.root / "home"
        home.mkdir()
        env.update(HOME=str(home), MPLCONFIGDIR=str(home / "mpl"), IPYTHONDIR=str(home / "ipython"),
                   JUPYTER_RUNTIME_DIR=str(home / "jupyter"))
        shutil.copytree(self.runtime.mplconfig, home / "mpl", dirs_exist_ok=True)
        for folder, _, files in os.walk(home):
            sandbox.give_to_sandbox(Path(folder))
            for f in files:
                sandbox.give_to_sandbox(Path(folder) / f)
        needed = (self.runtime.base_prefix, self.runtime.venv, self.runtime.data, ws.root / "data", ws.work, ws.comm, home,
                  *mounts.extra_ro)
        return sandbox.limit_args(self.limits, cgroups, expose=needed), env, "reduced"

    async def _run(self, nb: NotebookNode, files_dir: Path | None, lane: KernelLane | None,
                   after: AfterCells | None) -> tuple[Execution, NotebookNode]:
        started = time.monotonic()
        timings: dict[str, float] = {}
        cells: list[CellRun] = []
        status, detail = "ok", ""
        isolation = "none"
        client: CappedNotebookClient | None = None
        kernel: LiveKernel | None = None
        try:
            kernel = await (lane.take() if lane is not None else self.start_kernel())
            isolation, ws = kernel.isolation, kernel.ws
            if files_dir is not None:
                for f in files_dir.iterdir():
                    if f.is_file():
                        shutil.copy2(f, ws.work / f.name)
                        sandbox.give_to_sandbox(ws.work / f.name)
            client = CappedNotebookClient(
                nb,
                km=kernel.km,
                timeout=int(self.limits.cell_timeout_s),
                startup_timeout=120,
                allow_errors=True,
                interrupt_on_timeout=True,
                error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "cell timed out", "traceback": []},
                record_timing=True,
                max_output_bytes=self.limits.max_output_bytes,
                max_message_bytes=self.limits.max_message_bytes,
                resources={"metadata": {"path": str(ws.work)}},
            )
            client.kc = kernel.kc  # ready since start-up: no second wait for the kernel (None: one is made)
            async with client.async_setup_kernel():
                timings["kernel_start"] = time.monotonic() - started
                timings["kernel_boot"] = kernel.start_seconds
                deadline = started + self.limits.notebook_timeout_s
                code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
                for pos, (index, cell) in enumerate(code_cells):
                    remaining = deadline - time.monotonic()
                    if remaining <= 1:
                        status, detail = "timeout", f"notebook time limit {self.limits.notebook_timeout_s:.0f}s reached"
                        cells += [CellRun(i, "not-run") for i, _ in code_cells[pos:]]
                        break
                    client.timeout = int(max(1, min(self.limits.cell_timeout_s, remaining)))
                    t0 = time.monotonic()
                    try:
                        await client.async_execute_cell(cell, index)
                    except DeadKernelError as exc:
                        cells.append(CellRun(index, "error", time.monotonic() - t0, "DeadKernelError", str(exc)[:300]))
                        cells += [CellRun(i, "not-run") for i, _ in code_cells[pos + 1 :]]
                        status, detail = "died", f"kernel died in cell {index}"
                        break
                    client.recover_iopub(cell)
                    ename, evalue = _cell_error(cell)
                    if not ename:  # its error output was lost (refused message): the reply still says
                        ename, evalue = client.reply_error(index)
                    if client.timed_out(index):
                        ename, evalue = TIMEOUT_ENAME, f"cell timed out after {client.timeout}s"
                    cell_status = "timeout" if ename == TIMEOUT_ENAME else ("error" if ename else "ok")
                    cells.append(CellRun(index, cell_status, time.monotonic() - t0, ename, evalue))
                    if cell_status == "timeout" and not await _responsive(client):
                        cells += [CellRun(i, "not-run") for i, _ in code_cells[pos + 1 :]]
                        status, detail = "timeout", f"cell {index} timed out and the kernel ignored the interrupt"
                        break
                timings["cells"] = time.monotonic() - started - timings["kernel_start"]
        except DeadKernelError as exc:
            status, detail = "died", str(exc)[:300]
        except Exception as exc:  # kernel could not start, sandbox failure…
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
        try:
            if after is not None and status != "failed":
                t0 = time.monotonic()
                probe = kernel.probe if kernel is not None and status != "died" else None
                await asyncio.to_thread(after, tuple(cells), status, probe)
                timings["probes"] = time.monotonic() - t0
        finally:
            if client is not None and client.kc is not None:
                client.kc.stop_channels()
            if kernel is not None:
                await kernel.shutdown()
        seconds = time.monotonic() - started
        execution = Execution(
            status=status,
            cells=tuple(cells),
            isolation=isolation,
            seconds=seconds,
            student_seconds=sum(c.seconds for c in cells),
            output_truncated=bool(client and client.output_truncated),
            detail=detail,
            timings=timings,
        )
        return execution, nb
