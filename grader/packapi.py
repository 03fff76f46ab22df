"""The interface a pack's modules implement (typing Protocols; the manifest names the modules).

A pack (`assignments/<id>/`, a Python package) holds its manifest and these modules; `grader/`
calls only what is declared here. Week 2 (`assignments/week2/`) is the worked example.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from grader.check.context import CheckContext, HiddenInputs
    from grader.models import CheckResult
    from grader.pack import CheckSpec

#: One check: the context (intake, execution, probes, hidden inputs) and its manifest entry.
CheckFunction = Callable[["CheckContext", "CheckSpec"], "CheckResult"]


@runtime_checkable
class ChecksModule(Protocol):
    """`checks_module`: the hidden inputs of one submission and one function per declared check
    (the intake checks `naming` and `artifacts` are the grader's own)."""

    CHECKS: Mapping[str, CheckFunction]

    def make_inputs(self, rng: np.random.Generator, hidden_dir: Path | None) -> "HiddenInputs":
        """Hidden inputs for one submission (`inputs`/`params` go to the probe sandbox, `answers`
        stay in the grader); hidden_dir is the runtime's hidden data (no sandbox sees it)."""


@runtime_checkable
class ProbesModule(Protocol):
    """`probes_module`: loaded by path inside the probe sandbox (so it imports nothing of the
    pack); each `probe_<name>(ns, inputs, params)` calls the notebook's definitions in `ns` and
    returns plain data (JSON values, numpy arrays)."""


@runtime_checkable
class DatasetsModule(Protocol):
    """`datasets_module` (optional): offline data for the runtime, hidden data for the grader."""

    def build(self, dest: Path, hidden: Path) -> dict[str, Any]:
        """Write the notebook's data under dest and the grader's hidden data under hidden."""


@runtime_checkable
class DemoModule(Protocol):
    """`demo_module` (optional): what `grade <id>` grades with no SOURCE.

    A module built with `grader.demo_repo.build_class_repo` may also name its `FORMAT` and
    week `FOLDER` (str): then a repository already built with that format is reused without
    calling build_demo_repo (which makes every upload's bytes first).
    """

    def build_demo_repo(self, dest: Path) -> tuple[Path, str]:
        """Build (or reuse) a class repository at dest; returns (repository, week folder)."""
