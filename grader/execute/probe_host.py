"""The probe process: runs in its own sandbox with the student runtime's Python (stdlib and
numpy at import time), never in the notebook's kernel.

Protocol (all framed as 4-byte big-endian length + bytes):
- the fd given as the first argument is the result channel, opened by the grader before this process starts.
  This process writes: ``ready`` once the preloads are imported; then one frame per probe:
  a JSON header {"probe", "status", "error", "seconds"} followed by the child's payload (a
  JSON frame of plain values and an .npz frame of arrays); then ``done``.
- stdin carries the job once the grader has it: a JSON frame {"probes_source", "statements",
  "params", "probe_seconds"} and an .npz frame of hidden inputs.

Student code runs only in forked children: each probe gets a fresh fork of the loaded
definitions and its own pipe; the child closes the result channel before calling anything,
so one probe's code can neither see nor write another probe's result. The parent is made
non-dumpable (no ptrace, no /proc/<pid>/mem from the children) and kills a child that
outlives its time limit.
"""

import io
import json
import os
import select
import signal
import struct
import sys
import time

import numpy as np

MAX_CHILD_BYTES = 32 * 1024 * 1024


def frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("job truncated")
    return data


def read_frame(stream, limit: int) -> bytes:
    (n,) = struct.unpack(">I", read_exact(stream, 4))
    if n > limit:
        raise ValueError("job frame too large")
    return read_exact(stream, n)


def non_dumpable() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # noqa: BLE001 - best effort; the sandbox is the real wall
        pass


def load_definitions(statements: list, ns: dict) -> list:
    """Execute each kept statement; one that fails is reported, the others still load."""
    problems = []
    for source in statements:
        try:
            exec(compile(source, "<definitions>", "exec"), ns)  # noqa: S102 - definitions only, see definitions.py
        except Exception as exc:  # noqa: BLE001
            problems.append((source.splitlines()[0][:80], (type(exc).__name__ + ": " + str(exc))[:200]))
    return problems


def child_payload(fn, ns: dict, inputs: dict, params: dict) -> bytes:
    values, arrays = {}, {}
    for key, value in fn(ns, inputs, params).items():
        if isinstance(value, np.ndarray):
            arrays[key] = np.asarray(value, dtype=np.float64)
        else:
            values[key] = value
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return frame(json.dumps(values, default=str).encode()) + frame(buf.getvalue())


def run_child(fn, ns: dict, inputs: dict, params: dict, seconds: int, out: int) -> tuple:
    """Fork one child for one probe: ({"status", "error"}, payload bytes).

    The child leads its own process group (killed as a whole afterwards) and inherits the
    parent's non-dumpable state, so what it leaves behind cannot trace the next probe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: student code runs here only
        try:
            os.setpgid(0, 0)
            os.close(r)
            os.close(out)
            signal.alarm(max(1, seconds))
            payload = child_payload(fn, ns, inputs, params)
            write_all(w, b"K" + payload)
        except BaseException as exc:  # noqa: BLE001
            try:
                write_all(w, b"E" + (type(exc).__name__ + ": " + str(exc))[:500].encode(errors="replace"))
            except BaseException:  # noqa: BLE001
                pass
        os._exit(0)
    os.close(w)
    deadline = time.monotonic() + seconds + 2
    chunks, size, timed_out = [], 0, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([r], [], [], left)
        if not ready:
            continue
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_CHILD_BYTES:
            break
        chunks.append(chunk)
    os.close(r)
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _, wstatus = os.waitpid(pid, 0)
    data = b"".join(chunks)
    if timed_out or (os.WIFSIGNALED(wstatus) and os.WTERMSIG(wstatus) == signal.SIGALRM):
        return {"status": "timeout", "error": "probe time limit"}, b""
    if size > MAX_CHILD_BYTES:
        return {"status": "error", "error": "probe result too large"}, b""
    if data[:1] == b"K":
        return {"status": "ok", "error": ""}, data[1:]
    if data[:1] == b"E":
        return {"status": "error", "error": data[1:].decode(errors="replace")}, b""
    how = f"signal {os.WTERMSIG(wstatus)}" if os.WIFSIGNALED(wstatus) else f"exit {os.WEXITSTATUS(wstatus)}"
    return {"status": "error", "error": f"the probe process ended without a result ({how})"}, b""


def serve(out: int, preload: list) -> None:
    """Import the preloads, say ready, take the job from stdin, run every probe, say done."""
    non_dumpable()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    import importlib

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing optional module is the probes' business
            pass
    write_all(out, frame(b"ready"))
    stdin = sys.stdin.buffer
    job = json.loads(read_frame(stdin, 16 * 1024 * 1024))
    with np.load(io.BytesIO(read_frame(stdin, 256 * 1024 * 1024)), allow_pickle=False) as npz:
        inputs = {k: npz[k] for k in npz.files}
    sys.stdin.close()
    probes_ns = {"__name__": "kubig_probes"}
    exec(compile(job["probes_source"], "probes.py", "exec"), probes_ns)  # noqa: S102 - the pack's own code
    ns = {"__name__": "__main__"}
    problems = load_definitions(job["statements"], ns)
    write_all(out, frame(json.dumps({"probe": "_load", "status": "ok", "problems": problems}).encode()))
    for name, fn in probes_ns["PROBES"].items():
        started = time.monotonic()
        head, payload = run_child(fn, ns, inputs, job["params"], int(job["probe_seconds"]), out)
        head.update(probe=name, seconds=round(time.monotonic() - started, 3))
        write_all(out, frame(json.dumps(head).encode()) + frame(payload))
    write_all(out, frame(b"done"))


def serve_or_report(out: int, preload: list) -> None:
    """serve(), telling the grader why when it fails; never returns."""
    try:
        serve(out, preload)
    except BaseException as exc:  # noqa: BLE001 - tell the grader why, then stop
        import traceback

        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
        try:
            write_all(out, frame(json.dumps({"probe": "_crash", "error": detail}).encode()))
        except BaseException:  # noqa: BLE001
            pass
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":  # python -I -c SOURCE <result fd> <preload modules...>
    serve_or_report(int(sys.argv[1]), [m for m in sys.argv[2:] if m])
