"""Hidden-input probes: the pack's probe functions called on the student's definitions.

They run outside the notebook's kernel, in a walled-off process (zygote.py, probe_process.py,
probe_host.py) that loads only the notebook's definitions (definitions.py): whatever the
notebook left running in its kernel (input transformers, event hooks, patched modules)
cannot touch them. Results come back as plain data (JSON values, .npz arrays checked before
loading); every judgement happens in the grader's process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.execute.definitions import Definitions
from grader.execute.probe_process import ProbeChannel
from grader.models import ProbeOutput  # noqa: F401  (the stage's type; re-exported)


@dataclass
class ProbeSession:
    """The probes of one submission: hidden inputs in, ProbeOutputs out."""

    probes_file: Path
    inputs: dict[str, np.ndarray]
    params: dict[str, Any]
    outputs: dict[str, ProbeOutput] = field(default_factory=dict)
    definitions: Definitions | None = None
    load_problems: list[list[str]] = field(default_factory=list)
    status: str = "not-run"  # ok | error | timeout | not-run
    detail: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # each probe's wall time, as reported

    def run(self, host: ProbeChannel, definitions: Definitions, probe_seconds: int, budget_s: float) -> None:
        """Give the job to a started probe host and keep what it reports."""
        self.definitions = definitions
        params = {**self.params, "_calls": {k: {"callee": c.callee, "args": list(c.args), "kwargs": c.kwargs}
                                            for k, c in definitions.calls.items()}}
        report = host.run(self.probes_file.read_text(encoding="utf-8"), definitions.statements, self.inputs,
                          params, probe_seconds, budget_s)
        self.load_problems, self.status, self.detail = report.load_problems, report.status, report.detail
        self.outputs = {name: ProbeOutput(e["status"], e["values"], e["arrays"], e["error"])
                        for name, e in report.probes.items()}
        self.seconds = {name: float(e.get("seconds", 0.0)) for name, e in report.probes.items()}

    def get(self, name: str) -> ProbeOutput:
        if name in self.outputs:
            return self.outputs[name]
        if self.status == "timeout":
            return ProbeOutput("timeout", error="the probes ran out of time")
        if self.status == "error":
            return ProbeOutput("missing", error=self.detail or "the probe process failed")
        return ProbeOutput("missing", error="probes did not run")
