"""What a check function may look at (plain data, all in the grader's process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.execute.kernel import Execution
from grader.execute.probes import ProbeOutput, ProbeSession
from grader.memo import Memo
from grader.models import Intake
from grader.pack import Pack


@dataclass(frozen=True)
class HiddenInputs:
    """inputs and params go to the kernel; answers stay in the grader."""

    inputs: dict[str, np.ndarray]
    params: dict[str, Any]
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckContext:
    pack: Pack
    intake: Intake
    execution: Execution | None
    probes: ProbeSession | None
    hidden: HiddenInputs | None
    notebook: Any = None  # the notebook as executed here (nbformat node with this run's outputs), when it ran
    memo: Memo = field(default_factory=Memo)  # values derived from file content alone (an image's OCR)

    def probe(self, name: str) -> ProbeOutput:
        if self.probes is None:
            return ProbeOutput("missing", error="the notebook was not executed")
        return self.probes.get(name)
