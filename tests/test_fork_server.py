"""Kernels forked by one fork server (fork_server.py) cannot reach each other or the server.

Two real kernels from the same server run at the same time: the first plants a file in its
folder, /tmp and /dev/shm, serves an abstract unix socket and a TCP port, and waits; the
second is told exactly where the first one's folders are on the host and tries every way
across (paths, sockets, /proc, signals, SysV IPC, unmounting what hides the rest, a nested
namespace of its own). Every way is blocked, and the second kernel holds no capability.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grader.execute import sandbox
from grader.execute.kernel import NotebookRunner
from planting import plant_and_serve

pytestmark = pytest.mark.runtime

PORT = 47821
FIRST = [
    plant_and_serve(PORT, "kubig-sibling", "from the first kernel") + textwrap.dedent("""\
        import json, sys
        with open("ready.txt", "w") as fh:  # the test waits for this file (host side)
            json.dump({"pid": os.getpid(), "connection_file": sys.argv[sys.argv.index("-f") + 1]}, fh)"""),
    # alive until the test has run the second kernel (it writes release.txt here), whatever the machine's speed
    "import os, time\nwhile not os.path.exists('release.txt'):\n    time.sleep(0.1)\nprint('released')",
]

SECOND = textwrap.dedent("""\
    import ctypes, json, os, signal, socket, subprocess
    FIRST_WORK, FIRST_COMM, FIRST_PID = %r, %r, %d
    tried = {}
    def attempt(name, how):
        try:
            tried[name] = "reached: " + str(how())[:80]
        except Exception as exc:
            tried[name] = "blocked: " + type(exc).__name__
    attempt("work_by_host_path", lambda: open(FIRST_WORK + "/planted.txt").read())
    attempt("comm_by_host_path", lambda: os.listdir(FIRST_COMM))
    FIRST_JOB = os.path.dirname(FIRST_WORK)
    # its own job's folder lies beside the first's (on the host): is the first one listed?
    attempt("jobs_folder", lambda: [n for n in os.listdir(os.path.dirname(FIRST_JOB)) if n == os.path.basename(FIRST_JOB)]
            or "none")
    attempt("tmp", lambda: open("/tmp/planted.txt").read())
    attempt("shm", lambda: open("/dev/shm/planted.txt").read())
    def abstract():
        s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect("\\\\0kubig-sibling"); return s.recv(100)
    attempt("abstract", abstract)
    def tcp():
        s = socket.create_connection(("127.0.0.1", %d), timeout=2); return s.recv(100)
    attempt("tcp", tcp)
    others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
    names = {}
    for p in others:
        try:
            names[p] = open(f"/proc/{p}/cmdline", "rb").read()[:60].decode(errors="replace")
        except OSError:
            pass
    tried["processes"] = sorted(names.values())
    libc = ctypes.CDLL(None, use_errno=True)
    attempt("sysv_shm", lambda: [libc.shmget(k, 0, 0) for k in range(1, 64) if libc.shmget(k, 0, 0) >= 0] or "none")
    attempt("umount_tmp", lambda: libc.umount2(b"/tmp", 2) == 0 or "refused")
    attempt("nested_namespace", lambda: subprocess.run(
        ["python", "-c", "import ctypes, os; l = ctypes.CDLL(None, use_errno=True); "
         "assert l.unshare(0x10000000 | 0x20000) == 0; "
         "print(l.umount2(b'/tmp', 2), os.path.exists(" + repr(FIRST_WORK + "/planted.txt") + "))"],
        capture_output=True, text=True, timeout=30).stdout)
    tried["capabilities"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapBnd"))]
    tried["pid"] = os.getpid()
    print(json.dumps(tried))""")


@pytest.fixture(scope="module")
def siblings(runtime, test_pack):
    if not sandbox.bwrap_available():
        pytest.skip("bubblewrap is not available: no fork server")
    runner = NotebookRunner(runtime, test_pack.limits, threads=1, preload=("numpy",), probes=True)
    server = runner.fork_server()
    if server is None:
        pytest.skip(f"this machine cannot run the fork server: {runner.fork_problem}")
    first_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in FIRST])
    done: dict = {}
    thread = threading.Thread(target=lambda: done.update(first=runner.run(first_nb, None)))
    thread.start()
    try:
        deadline = time.monotonic() + 120
        ready: list[Path] = []
        while time.monotonic() < deadline and not ready:
            ready = list(server.jobs.glob("*/work/ready.txt"))
            time.sleep(0.2)
        assert ready, "the first kernel did not start"
        time.sleep(0.5)
        info = json.loads(ready[0].read_text())
        work, comm = ready[0].parent, Path(info["connection_file"]).parent
        second_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            SECOND % (str(work), str(comm), info["pid"], PORT))])
        second, second_out = runner.run(second_nb, None)
        (work / "release.txt").write_text("done")
    finally:
        for job in server.jobs.glob("*/work"):
            (job / "release.txt").write_text("done")  # never leave the first kernel waiting
        thread.join(120)
        runner.close()
    tried = json.loads(second_out.cells[0].outputs[0]["text"])
    return done["first"], second, tried, server


def test_both_kernels_came_from_the_fork_server_and_ran(siblings) -> None:
    (first, first_nb), second, tried, _ = siblings
    assert first.status == "ok" and second.status == "ok", (first, second)
    # the first kernel was alive (and released) only after the second had tried everything
    assert first_nb.cells[1].outputs[0]["text"] == "released\n"
    assert first.isolation == second.isolation == "full"
    assert tried["pid"] == 2, "a forked kernel is pid 2 of its own pid namespace (pid 1 reaps)"


@pytest.mark.parametrize("way", ["work_by_host_path", "comm_by_host_path", "jobs_folder", "tmp", "shm", "abstract",
                                 "tcp", "sysv_shm"])
def test_a_kernel_cannot_reach_its_siblings_files_or_sockets(siblings, way) -> None:
    got = siblings[2][way]
    assert got.startswith("blocked") or got == "reached: none", f"{way}: {got}"


def test_a_kernel_sees_no_process_but_its_own(siblings) -> None:
    # its pid namespace holds its init (pid 1), itself and its probe process: not the first
    # kernel, not the server, nothing of the host (nothing it could signal or trace)
    assert len(siblings[2]["processes"]) == 1, siblings[2]["processes"]


def test_a_kernel_holds_no_capability_and_cannot_uncover_what_is_hidden(siblings) -> None:
    tried = siblings[2]
    assert all(int(mask, 16) == 0 for mask in tried["capabilities"]), tried["capabilities"]
    assert tried["umount_tmp"] == "reached: refused", tried["umount_tmp"]
    # a namespace of its own gives it capabilities there, but what hides the rest stays locked
    assert tried["nested_namespace"].split() == ["reached:", "-1", "False"], tried["nested_namespace"]


def test_the_server_stops_with_the_runner(siblings) -> None:
    server = siblings[3]
    assert server.process.poll() is not None
    assert not server.root.exists()
