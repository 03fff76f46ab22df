"""Hidden-input probes: one cell the grader sends after the notebook ran.

The grader writes the hidden inputs (.npz) and parameters (.json) into the kernel's comm
folder only when probing starts, sends one cell that executes the pack's probe functions
against the student's namespace, and reads back plain data: a JSON status file and an
.npz of arrays, both under a random per-probe token, loaded with allow_pickle=False.
The results are only data; every judgement happens in the grader's process.
"""

from __future__ import annotations

import json
import secrets
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MAX_RESULT_BYTES = 64 * 1024 * 1024

RUNNER = r'''
def __kubig_probe(io_dir, token, student_ns):
    import json, os, signal
    import numpy as np
    inputs = dict(np.load(os.path.join(io_dir, "inputs.npz"), allow_pickle=False))
    with open(os.path.join(io_dir, "params.json")) as fh:
        params = json.load(fh)
    mod = {"__name__": "kubig_probes"}
    with open(os.path.join(io_dir, "probes.py")) as fh:
        exec(compile(fh.read(), "probes.py", "exec"), mod)
    results, arrays = {}, {}

    def on_alarm(signum, frame):
        raise TimeoutError("probe time limit")

    for name, fn in mod["PROBES"].items():
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(int(params.get("_probe_seconds", 30)))
        try:
            plain = {}
            for key, value in fn(student_ns, inputs, params).items():
                if isinstance(value, np.ndarray):
                    arrays[name + "." + key] = np.asarray(value, dtype=np.float64)
                else:
                    plain[key] = value
            results[name] = {"status": "ok", "values": plain}
        except TimeoutError as exc:
            results[name] = {"status": "timeout", "error": str(exc)}
        except BaseException as exc:
            results[name] = {"status": "error", "error": (type(exc).__name__ + ": " + str(exc))[:500]}
        finally:
            signal.alarm(0)
    np.savez(os.path.join(io_dir, "out-" + token + ".npz"), **arrays)
    with open(os.path.join(io_dir, "out-" + token + ".json"), "w") as fh:
        json.dump(results, fh, default=str)
    print("kubig probes done:", ", ".join(f"{k}={v['status']}" for k, v in results.items()))

__kubig_probe(IO_DIR, TOKEN, globals())
del __kubig_probe
'''


@dataclass
class ProbeOutput:
    """One probe's result: status ok | error | timeout | missing, its plain values and arrays."""

    status: str
    values: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    error: str = ""


@dataclass
class ProbeSession:
    """Prepares the probe cell for one kernel and collects what it wrote."""

    probes_file: Path
    inputs: dict[str, np.ndarray]
    params: dict[str, Any]
    outputs: dict[str, ProbeOutput] = field(default_factory=dict)
    token: str = field(default_factory=lambda: secrets.token_hex(16))

    def prepare(self, comm: Path) -> str:
        io = comm / "probe"
        io.mkdir(exist_ok=True)
        np.savez(io / "inputs.npz", **self.inputs)
        (io / "params.json").write_text(json.dumps(self.params))
        shutil.copyfile(self.probes_file, io / "probes.py")
        return f"IO_DIR = {str(io)!r}\nTOKEN = {self.token!r}\n" + RUNNER

    def collect(self, comm: Path) -> None:
        io = comm / "probe"
        status_file, arrays_file = io / f"out-{self.token}.json", io / f"out-{self.token}.npz"
        try:
            if status_file.stat().st_size > MAX_RESULT_BYTES or arrays_file.stat().st_size > MAX_RESULT_BYTES:
                raise ValueError("probe output too large")
            raw = json.loads(status_file.read_text())
            with np.load(arrays_file, allow_pickle=False) as npz:
                arrays = {k: np.asarray(npz[k], dtype=np.float64) for k in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            self.outputs = {"_all": ProbeOutput("missing", error=f"probe results unreadable: {exc}"[:300])}
            return
        outputs: dict[str, ProbeOutput] = {}
        if not isinstance(raw, dict):
            raw = {}
        for name, entry in raw.items():
            if not isinstance(entry, dict) or entry.get("status") not in ("ok", "error", "timeout"):
                continue
            values = entry.get("values") if isinstance(entry.get("values"), dict) else {}
            mine = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.split(".", 1)[0] == name}
            outputs[str(name)] = ProbeOutput(entry["status"], values, mine, str(entry.get("error", ""))[:500])
        self.outputs = outputs

    def timed_out(self) -> None:
        """The probe cell hit its time limit (e.g. the kernel was still busy): probes that
        left no results count as timed out rather than as unreadable."""
        if "_all" in self.outputs or not self.outputs:
            self.outputs = {"_all": ProbeOutput("timeout", error="probes timed out")}

    def get(self, name: str) -> ProbeOutput:
        if name in self.outputs:
            return self.outputs[name]
        if "_all" in self.outputs:
            return self.outputs["_all"]
        return ProbeOutput("missing", error="probes did not run (the notebook or kernel stopped earlier)")
