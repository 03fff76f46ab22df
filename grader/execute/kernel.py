"""Run one notebook in a fresh sandboxed kernel with nbclient, then run probes in it.

`NotebookRunner` has one job: given a notebook, a private folder and a runtime, execute
every code cell under the pack's limits (per-cell and whole-notebook timeouts, output cap;
memory and process limits come from the sandbox), record what happened per cell, and
finally execute one probe cell. Kernel sockets use ZeroMQ's ipc transport in a folder
shared with the sandbox, because the kernel has no network (not even the host's loopback).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import List, Unicode

from grader.execute import sandbox
from grader.pack import Limits
from grader.runtime import Runtime

TIMEOUT_ENAME = "KubigCellTimeout"


@dataclass(frozen=True)
class CellRun:
    """What happened to one code cell."""

    index: int
    status: str  # ok | error | timeout | not-run
    seconds: float = 0.0
    ename: str = ""
    evalue: str = ""


@dataclass(frozen=True)
class Execution:
    """The outcome of running one notebook (plain data)."""

    status: str  # ok (ran to the end) | timeout (notebook budget spent) | died (kernel died) | failed (never started)
    cells: tuple[CellRun, ...]
    isolation: str  # full | reduced
    seconds: float
    student_seconds: float
    output_truncated: bool = False
    detail: str = ""
    probe_status: str = "not-run"  # ok | error | timeout | not-run
    probe_detail: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def error_cells(self) -> tuple[CellRun, ...]:
        return tuple(c for c in self.cells if c.status in ("error", "timeout"))


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel command is the sandbox launch prefix + ipykernel."""

    launch_prefix = List(Unicode()).tag(config=True)
    runtime_python = Unicode().tag(config=True)

    @property
    def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
        argv = [*self.launch_prefix, self.runtime_python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        return KernelSpec(
            argv=argv, display_name="kubig-sandbox", language="python", interrupt_mode="message", env={}
        )


class CappedNotebookClient(NotebookClient):
    """NotebookClient that stops keeping outputs once a byte budget is spent."""

    def __init__(self, *args: Any, max_output_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.output_truncated = False
        # With error_on_timeout, a timed-out cell's error is only in its execute reply (no
        # error output is added to the cell), so remember the replies to tell timeouts apart.
        self.replies: dict[int, dict] = {}
        self.on_cell_executed = self._remember_reply

    def _remember_reply(self, cell, cell_index, execute_reply) -> None:
        self.replies[cell_index] = (execute_reply or {}).get("content", {})

    def timed_out(self, cell_index: int) -> bool:
        """Whether the last execution of this cell ended by the cell time limit."""
        return self.replies.pop(cell_index, {}).get("ename") == TIMEOUT_ENAME

    def output(self, outs, msg, display_id, cell_index):  # type: ignore[override]
        size = len(json.dumps(msg.get("content", {}), default=str))
        self.output_bytes += size
        if self.output_bytes > self.max_output_bytes:
            if not self.output_truncated:
                self.output_truncated = True
                outs.append(
                    nbformat.v4.new_output("stream", name="stderr", text="[kubig] output limit reached; further output dropped\n")
                )
            return None
        return super().output(outs, msg, display_id, cell_index)


@dataclass
class _Workspace:
    root: Path
    work: Path
    comm: Path

    @classmethod
    def create(cls) -> "_Workspace":
        # Short path: ipc socket names must fit in 107 bytes.
        root = Path(tempfile.mkdtemp(prefix="kg-", dir="/tmp"))
        work, comm = root / "work", root / "comm"
        work.mkdir()
        comm.mkdir()
        return cls(root, work, comm)


def _preload_source(modules: tuple[str, ...]) -> str:
    """Import modules without leaving any name in the user's namespace."""
    return (f"def __kubig_preload():\n    import importlib\n    for name in {list(modules)!r}:\n"
            "        try:\n            importlib.import_module(name)\n        except Exception:\n            pass\n"
            "__kubig_preload()\ndel __kubig_preload\n")


async def _responsive(client: NotebookClient, wait_s: float = 10.0) -> bool:
    """After an interrupted cell: does the kernel answer a trivial request again?"""
    try:
        reply = await client.kc.execute_interactive("pass", silent=True, store_history=False, timeout=wait_s)
    except (TimeoutError, RuntimeError):
        return False
    return reply.get("content", {}).get("status") in ("ok", "error")


@dataclass
class LiveKernel:
    """A started, sandboxed kernel with its private workspace; serves exactly one notebook."""

    ws: _Workspace
    cgroups: sandbox.CgroupSet
    km: "SandboxKernelManager"
    isolation: str
    start_seconds: float

    async def shutdown(self) -> None:
        try:
            await self.km.shutdown_kernel(now=True)
        except Exception:  # already dead, or never fully started
            pass
        self.cgroups.close()
        shutil.rmtree(self.ws.root, ignore_errors=True)


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
    """Execute one notebook in a fresh sandboxed kernel; then one probe cell."""

    def __init__(self, runtime: Runtime, limits: Limits, threads: int = 1, preload: tuple[str, ...] = ()) -> None:
        self.runtime = runtime
        self.limits = limits
        self.threads = threads
        self.preload = preload

    def run(self, nb: NotebookNode, files_dir: Path | None, probe_source: Any = None,
            lane: KernelLane | None = None) -> tuple[Execution, NotebookNode]:
        """Run nb (copying files_dir's files beside it), then the probe cell.

        With a lane, the kernel comes from the lane (started ahead) and the lane starts the
        next one; without, a kernel is started now and nothing is started ahead.
        """
        if lane is None:
            return asyncio.run(self._run(nb, files_dir, probe_source, None))
        return lane.loop.run_until_complete(self._run(nb, files_dir, probe_source, lane))

    async def start_kernel(self) -> LiveKernel:
        """Boot a sandboxed kernel in a fresh workspace and pre-import the pack's modules."""
        started = time.monotonic()
        ws = _Workspace.create()
        cgroups = sandbox.make_cgroups(self.limits)
        try:
            prefix, env, isolation = self._launch(ws, cgroups)
            km = SandboxKernelManager(
                launch_prefix=prefix,
                runtime_python=str(self.runtime.python),
                transport="ipc",
                ip=str(ws.comm / "k"),
                connection_file=str(ws.comm / "kernel.json"),
            )
            launch: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": str(ws.work)}
            if env:
                launch["env"] = env
            await km.start_kernel(**launch)
            kernel = LiveKernel(ws, cgroups, km, isolation, 0.0)
        except BaseException:
            cgroups.close()
            shutil.rmtree(ws.root, ignore_errors=True)
            raise
        try:
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=120)
            if self.preload:
                await kc.execute_interactive(_preload_source(self.preload), silent=True,
                                             store_history=False, timeout=120)
            kc.stop_channels()
        except BaseException:
            await kernel.shutdown()
            raise
        kernel.start_seconds = time.monotonic() - started
        return kernel

    def _launch(self, ws: _Workspace, cgroups: sandbox.CgroupSet) -> tuple[list[str], dict[str, str], str]:
        mounts = sandbox.Mounts(
            python_prefixes=(self.runtime.base_prefix, self.runtime.venv),
            workdir=ws.work,
            comm=ws.comm,
            data=self.runtime.data if self.runtime.data.exists() else None,
        )
        env = sandbox.sandbox_env(mounts, self.runtime.bin, self.threads)
        prefix = sandbox.limit_args(self.limits, cgroups)
        exe = sandbox.bwrap_available()
        if exe:
            return prefix + sandbox.bwrap_args(exe, mounts, env, self.runtime.mplconfig), {}, "full"
        # Reduced: same limits and a private folder, but the host file system and network stay visible.
        (ws.root / "data").symlink_to(self.runtime.data)
        home = ws.root / "home"
        home.mkdir()
        env.update(HOME=str(home), MPLCONFIGDIR=str(home / "mpl"), IPYTHONDIR=str(home / "ipython"),
                   JUPYTER_RUNTIME_DIR=str(home / "jupyter"))
        shutil.copytree(self.runtime.mplconfig, home / "mpl", dirs_exist_ok=True)
        return prefix, env, "reduced"

    async def _run(self, nb: NotebookNode, files_dir: Path | None, probe_source: Any,
                   lane: KernelLane | None) -> tuple[Execution, NotebookNode]:
        started = time.monotonic()
        timings: dict[str, float] = {}
        cells: list[CellRun] = []
        status, detail, probe_status, probe_detail = "ok", "", "not-run", ""
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
                resources={"metadata": {"path": str(ws.work)}},
            )
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
                    ename, evalue = _cell_error(cell)
                    if client.timed_out(index):
                        ename, evalue = TIMEOUT_ENAME, f"cell timed out after {client.timeout}s"
                    cell_status = "timeout" if ename == TIMEOUT_ENAME else ("error" if ename else "ok")
                    cells.append(CellRun(index, cell_status, time.monotonic() - t0, ename, evalue))
                    if cell_status == "timeout" and not await _responsive(client):
                        cells += [CellRun(i, "not-run") for i, _ in code_cells[pos + 1 :]]
                        status, detail = "timeout", f"cell {index} timed out and the kernel ignored the interrupt"
                        break
                timings["cells"] = time.monotonic() - started - timings["kernel_start"]
                if probe_source is not None and status not in ("died", "timeout"):
                    probe_status, probe_detail = await self._probe(client, probe_source, ws)
                    timings["probes"] = time.monotonic() - started - timings["kernel_start"] - timings["cells"]
        except DeadKernelError as exc:
            status, detail = "died", str(exc)[:300]
        except Exception as exc:  # kernel could not start, sandbox failure…
            status, detail = "failed", f"{type(exc).__name__}: {exc}"[:500]
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
            probe_status=probe_status,
            probe_detail=probe_detail,
            timings=timings,
        )
        return execution, nb

    async def _probe(self, client: CappedNotebookClient, probe: Any, ws: _Workspace) -> tuple[str, str]:
        """Execute the probe cell; the probe object collects its own results from ws.comm."""
        source = probe.prepare(ws.comm)
        cell = nbformat.v4.new_code_cell(source)
        client.timeout = int(self.limits.probe_timeout_s)
        client.nb.cells.append(cell)
        try:
            await client.async_execute_cell(cell, len(client.nb.cells) - 1)
        except DeadKernelError as exc:
            return "error", f"kernel died during probes: {exc}"[:300]
        ename, evalue = _cell_error(cell)
        probe.collect(ws.comm)
        if ename == TIMEOUT_ENAME or client.timed_out(len(client.nb.cells) - 1):
            if hasattr(probe, "timed_out"):
                probe.timed_out()
            return "timeout", "probes timed out"
        if ename:
            return "error", f"{ename}: {evalue}"
        return "ok", ""
