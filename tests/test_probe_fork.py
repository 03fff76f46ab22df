"""The probe process forked inside a kernel's sandbox (zygote.py) is walled off from the notebook.

It is forked before any notebook code exists and shares that sandbox, so what the notebook
does afterwards must not reach it: files it writes (its folder, /tmp, /dev/shm), servers it
opens (TCP on loopback, abstract unix sockets), and the process itself (ptrace, /proc/<pid>/mem
and fd, signals). Both sides are real: a sandboxed kernel running a hostile notebook, and the
probe process serving a job whose "student" functions try each way across.
"""

from __future__ import annotations

import json
import textwrap

import nbformat
import numpy as np
import pytest

from grader.execute import sandbox
from grader.execute.kernel import NotebookRunner
from planting import plant_and_serve

pytestmark = pytest.mark.runtime

PORT = 47813
NOTEBOOK = [
    # the notebook plants data where a probe might look and serves it on every local channel
    plant_and_serve(PORT, "kubig-planted", "from the notebook") + 'print("planted")',
    # the notebook goes after the probe process (its own child: forked by the zygote it became)
    textwrap.dedent("""\
        import json, os
        me, tried = os.getpid(), {}
        for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]:
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) != me:
                        continue
            except OSError:
                continue
            for what, attempt in {"mem": lambda: open(f"/proc/{pid}/mem", "rb").read(1),
                                  "environ": lambda: open(f"/proc/{pid}/environ", "rb").read(),
                                  "fd": lambda: os.listdir(f"/proc/{pid}/fd")}.items():
                try:
                    attempt()
                    tried[what] = "read"
                except OSError as exc:
                    tried[what] = type(exc).__name__
            import ctypes
            tried["ptrace"] = "attached" if ctypes.CDLL(None).ptrace(16, int(pid), 0, 0) == 0 else "refused"
        print(json.dumps(tried))"""),
]

STUDENT = [
    "import os, socket",
    "def good(x):\n    return x * 2",
    textwrap.dedent("""\
        def attempt(how):
            try:
                return how()
            except Exception as exc:
                return 'blocked: ' + type(exc).__name__"""),
    textwrap.dedent("""\
        def read(path):
            return attempt(lambda: open(path).read())"""),
    textwrap.dedent("""\
        def tcp():
            def go():
                s = socket.create_connection(('127.0.0.1', %d), timeout=2)
                return s.recv(100).decode()
            return attempt(go)""" % PORT),
    textwrap.dedent("""\
        def abstract():
            def go():
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(2)
                s.connect('\\0kubig-planted')
                return s.recv(100).decode()
            return attempt(go)"""),
    textwrap.dedent("""\
        def signal_kernel():
            import signal
            with open(f'/proc/{os.getppid()}/stat') as fh:  # this probe's fork -> probe process -> kernel
                kernel = int(fh.read().rsplit(')', 1)[1].split()[1])
            return attempt(lambda: os.kill(kernel, signal.SIGCONT) or f'sent to {kernel}')"""),
]

PROBES = textwrap.dedent("""\
    import numpy as np
    PROBES = {
        "good": lambda ns, inputs, params: {"out": np.asarray(ns["good"](inputs["x"]), dtype=float)},
        "folder": lambda ns, inputs, params: {"got": ns["read"]("planted.txt")},
        "tmp": lambda ns, inputs, params: {"got": ns["read"]("/tmp/planted.txt")},
        "shm": lambda ns, inputs, params: {"got": ns["read"]("/dev/shm/planted.txt")},
        "tcp": lambda ns, inputs, params: {"got": ns["tcp"]()},
        "abstract": lambda ns, inputs, params: {"got": ns["abstract"]()},
        "signal": lambda ns, inputs, params: {"got": ns["signal_kernel"]()},
    }
    """)


@pytest.fixture(scope="module", params=[True, False], ids=["fork-server", "own-sandbox"])
def graded(runtime, test_pack, request):
    """The same notebook and probes in a kernel forked by the fork server, and in a kernel
    whose sandbox imported the modules itself (the fallback where nested namespaces are refused)."""
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap is not available: the probe process runs in a sandbox of its own")
    runner = NotebookRunner(runtime, test_pack.limits, threads=1, preload=("numpy",), probes=True,
                            fork=request.param)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    seen: dict = {}

    def after(cells, status, channel):
        seen["channel"] = channel
        if channel is not None:
            seen["report"] = channel.run(PROBES, tuple(STUDENT), {"x": np.arange(3.0)}, {}, probe_seconds=10,
                                         budget_s=60)

    try:
        execution, nb = runner.run(nb, None, after=after)
        seen["forked"] = runner.fork_server() is not None
    finally:
        runner.close()
    if request.param and not seen["forked"]:
        pytest.skip(f"this machine cannot run the fork server: {runner.fork_problem}")
    return execution, nb, seen


def test_the_probe_process_is_forked_in_the_kernels_sandbox_and_works(graded, request) -> None:
    execution, nb, seen = graded
    assert seen["forked"] == ("fork-server" in request.node.callspec.id), "the kernel was not started the way asked"
    assert execution.status == "ok" and all(c.status == "ok" for c in execution.cells), execution
    assert "planted" in nb.cells[0].outputs[0]["text"]
    assert seen["channel"] is not None, "the kernel's sandbox should have forked a walled-off probe process"
    report = seen["report"]
    assert report.status == "ok", report.detail
    assert np.array_equal(report.probes["good"]["arrays"]["out"], [0.0, 2.0, 4.0])


@pytest.mark.parametrize("probe", ["folder", "tmp", "shm", "tcp", "abstract", "signal"])
def test_nothing_the_notebook_plants_or_serves_reaches_the_probes(graded, probe) -> None:
    got = graded[2]["report"].probes[probe]
    assert got["status"] == "ok", got
    assert str(got["values"]["got"]).startswith("blocked"), f"{probe}: the probe process got {got['values']}"


def test_the_notebook_cannot_trace_or_read_the_probe_process(graded) -> None:
    tried = json.loads(graded[1].cells[1].outputs[0]["text"])
    assert tried, "the notebook should have found the probe process (its child) to attack"
    assert tried["ptrace"] == "refused"
    assert all(tried[what] != "read" for what in ("mem", "environ", "fd")), tried
