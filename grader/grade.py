"""The one grading path every front end uses: intake → execute → check → result.

`Grader.grade(submission)` turns one Submission into one SubmissionResult and never raises:
whatever goes wrong with a submission becomes that student's status and messages.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import secrets
import shutil
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
import numpy as np

from grader.check.context import CheckContext
from grader.check.engine import check_functions, run_checks
from grader.evidence import failing_cells, graded_images
from grader.execute.definitions import extract_definitions
from grader.execute.kernel import CellRun, Execution, KernelLane, NotebookRunner
from grader.execute.probe_process import ProbeChannel, ProbeHost
from grader.execute.probes import ProbeSession
from grader.intake.artifacts import open_submission
from grader.memo import Memo
from grader.models import CheckResult, Intake, Message, Status, Submission, SubmissionResult
from grader.pack import Pack
from grader.previews import image_previews
from grader.runtime import Runtime
from grader.scoring import late_penalty, total_points


def submission_rng(run_seed: int, key: str) -> np.random.Generator:
    """Hidden inputs differ per student and per run; reproducible only with the secret seed."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return np.random.default_rng([run_seed, digest])


@dataclass(frozen=True)
class Executed:
    """What running one submission produced, for an observer (`Grader.on_execution`): the
    executed notebook, its Execution and the probes (outputs, definitions). Not plain data: it
    never crosses a process or reaches the report."""

    submission: Submission
    intake: Intake
    execution: Execution
    notebook: nbformat.NotebookNode
    probes: ProbeSession


@dataclass
class Grader:
    """Grades submissions of one pack with one runtime.

    on_execution, when given, is called (in the grading thread) with each submission's
    `Executed` after its notebook ran and its probes were called: a way to see an execution
    without subclassing the grader (tests, benchmarks).
    """

    pack: Pack
    runtime: Runtime | None
    threads: int = 1
    run_seed: int = field(default_factory=lambda: secrets.randbits(63))
    warm: bool = False  # each worker thread starts its next kernel while the current notebook runs
    tuned: bool = True  # the pack's kernel start-up tuning and the instant `pip` (README "Speed")
    on_execution: Callable[[Executed], None] | None = None
    memo: Memo = field(default_factory=Memo)  # what checks derive from file content alone (grader.memo)

    def __post_init__(self) -> None:
        # The sandbox imports the pack's modules once, for the kernel and the probe process it forks.
        startup = self.pack.runtime.startup
        source = (self.pack.folder / startup).read_text(encoding="utf-8") if (self.tuned and startup) else ""
        self.runner = None if self.runtime is None else NotebookRunner(
            self.runtime, self.pack.limits, threads=self.threads, preload=self.pack.runtime.preload,
            startup=source, shims=self.tuned, probes=True)
        self._local = threading.local()
        self._lanes: list[KernelLane] = []
        self._lanes_lock = threading.Lock()

    @functools.cached_property
    def module(self) -> ModuleType:
        """The pack's checks (imported on first use: a fully cached regrade never needs torch)."""
        module = self.pack.module("checks_module")
        check_functions(self.pack, module)
        return module

    def _lane(self) -> KernelLane | None:
        if not self.warm or self.runner is None:
            return None
        lane = getattr(self._local, "lane", None)
        if lane is None:
            lane = self._local.lane = KernelLane(self.runner)
            with self._lanes_lock:
                self._lanes.append(lane)
        return lane

    def prepare(self) -> None:
        """Start, in the background, what the first submissions would otherwise wait for: the
        fork server (the sandbox that imports torch and the pack's modules once) and the pack's
        checks module here. Call once a run knows it will execute notebooks; a failure here is
        met again, and reported, where the submission needs it."""
        if self.runner is None:
            return
        runner = self.runner
        for name, start in (("fork-server", runner.fork_server), ("checks-module", lambda: self.module)):
            threading.Thread(target=_quietly(start), name=f"prepare-{name}", daemon=True).start()

    def close(self) -> None:
        """Shut down kernels started ahead (call from the thread that owns each lane, or at the end)."""
        with self._lanes_lock:
            lanes, self._lanes = self._lanes, []
        for lane in lanes:
            lane.close()
        if self.runner is not None:
            self.runner.close()

    def grade(self, submission: Submission) -> SubmissionResult:
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix="kubig-intake-"))
        try:
            return self._grade(submission, scratch, started)
        except Exception as exc:  # never let one submission stop the others
            tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
            return SubmissionResult(
                submission, "error", (), 0.0, self.pack.max_points, "none",
                notes=(Message(f"채점 중 오류: {tb}", f"Grading error: {tb}"),),
                timings={"total": time.monotonic() - started},
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _grade(self, sub: Submission, scratch: Path, started: float) -> SubmissionResult:
        if sub.path is None or sub.status in ("missing", "unreachable", "unreadable"):
            status = sub.status or "missing"
            said = sub.extra.get("message") or {}
            if status == "unreadable" and said:  # the source found it but could not read it
                note = Message(f"{said.get('ko', '')} ({sub.detail})", f"{said.get('en', '')} ({sub.detail})")
            else:
                note = Message(f"제출물이 없습니다 ({status}). {sub.detail}".strip(), f"No submission ({status}). {sub.detail}".strip())
            return SubmissionResult(sub, status, (), 0.0, self.pack.max_points, "none", notes=(note,))
        stages: dict[str, float] = {}  # seconds per grading stage, for timings (scores.json)
        mark = time.monotonic()

        def lap(name: str) -> None:
            nonlocal mark
            now = time.monotonic()
            stages[name] = stages.get(name, 0.0) + now - mark
            mark = now

        intake = open_submission(sub.path, scratch / "intake", self.pack, display_name=sub.display_name,
                                 part_names=tuple(sub.extra.get("parts", ())))
        lap("intake")
        execution, probes, hidden, nb = None, None, None, None
        runs = intake.notebook is not None
        if runs and (self.runtime is None or self.runner is None):
            raise RuntimeError("no student runtime: run `grade setup` first")
        module = self.module
        # What reads only the submission's files (a screenshot's OCR, the image previews) runs
        # while the notebook executes, in this submission's own threads, joined below.
        early = [spec for spec in self.pack.checks if spec.needs == "intake"] if runs else []
        check_seconds: dict[str, float] = {}
        early_seconds: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="beside") as beside:
            early_checks = beside.submit(run_checks, CheckContext(self.pack, intake, None, None, None, None, self.memo),
                                         module, early_seconds, early)
            images = beside.submit(image_previews, graded_images(intake, self.pack))
            if runs:
                assert self.runtime is not None and intake.notebook is not None
                hidden = module.make_inputs(submission_rng(self.run_seed, sub.key), self.runtime.hidden)
                probes = ProbeSession(self.pack.file("probes_module"), hidden.inputs, hidden.params)
                nb = nbformat.read(intake.notebook, as_version=4)
                lap("hidden_inputs")
                execution = self._execute_and_probe(nb, intake, probes)
                lap("execute")
                if self.on_execution is not None:
                    self.on_execution(Executed(sub, intake, execution, nb, probes))
                    lap("observer")
            ctx = CheckContext(self.pack, intake, execution, probes, hidden, nb, self.memo)  # nb: executed in place
            late = run_checks(ctx, module, check_seconds, [spec for spec in self.pack.checks if spec not in early])
            lap("checks")
            done = {c.id: c for c in (*late, *early_checks.result())}
            checks = tuple(done[spec.id] for spec in self.pack.checks)
            evidence = {"images": images.result(), "failing_cells": failing_cells(execution, nb)}
            lap("waiting_beside")
        result = self._result(sub, intake, execution, checks, started)
        timings = {**result.timings, **stages, **{f"check_{k}": v for k, v in {**check_seconds, **early_seconds}.items()},
                   **{f"probe_{k}": v for k, v in (probes.seconds if probes else {}).items()}}
        return dataclasses.replace(result, timings=timings, **evidence)

    def _execute_and_probe(self, nb: nbformat.NotebookNode, intake: Intake, probes: ProbeSession) -> Execution:
        """Run the notebook in its kernel; then, before the kernel stops, the probes on the
        definitions of the cells that ran, in the probe process forked in the kernel's
        sandbox before any notebook code existed (zygote.py), or, when the kernel has none
        (no Landlock, or its sandbox died), in a separate sandboxed process started now."""
        assert self.runtime is not None and self.runner is not None
        limits = self.pack.limits
        trusted = tuple(self.pack.raw.get("probes", {}).get("trusted_decorators", ()))

        def probe(cells: tuple[CellRun, ...], status: str, channel: ProbeChannel | None) -> None:
            assert self.runtime is not None
            host = channel or ProbeHost(self.runtime, limits, self.threads, self.pack.runtime.preload)
            try:
                ran = [nb.cells[c.index].source for c in cells if c.status != "not-run"]
                # probe_timeout_s: each probe gets half of it, all of them together twice it
                probes.run(host, extract_definitions(ran, trusted), max(5, int(limits.probe_timeout_s / 2)),
                           2 * limits.probe_timeout_s)
            finally:
                host.close()

        execution, _ = self.runner.run(nb, _files_beside(intake), lane=self._lane(), after=probe)
        return execution

    def _result(self, sub: Submission, intake: Intake, ex: Execution | None,
                checks: tuple[CheckResult, ...], started: float) -> SubmissionResult:
        total = total_points(checks, sub, self.pack)
        notes = list(intake.problems) + list(intake.extra.get("notes", ()))
        if late_penalty(sub, self.pack):
            notes.append(Message(f"기한 이후 제출: {self.pack.late.penalty_points:g}점 감점.",
                                 f"Submitted after the deadline: {self.pack.late.penalty_points:g} points deducted."))
        if ex is not None and ex.isolation == "reduced":
            notes.append(Message("격리 수준 축소: bubblewrap을 쓸 수 없어 자원 제한과 개인 폴더만 적용되었습니다.",
                                 "isolation: reduced — bubblewrap was unavailable; only resource limits and a private folder applied."))
        if ex is not None and ex.output_truncated:
            notes.append(Message("출력이 너무 많아 일부가 생략되었습니다.", "Output exceeded the limit and was truncated."))
        status = _status(intake, ex, checks, self.pack)
        timings = {"total": time.monotonic() - started}
        if ex is not None:
            timings.update({f"execute_{k}": v for k, v in ex.timings.items()})
            timings["student_cells"] = ex.student_seconds
        return SubmissionResult(sub, status, checks, total, self.pack.max_points,
                                ex.isolation if ex else "none", tuple(notes), timings)


def _quietly(start: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            start()
        except Exception:  # noqa: BLE001 - met again where it is needed
            pass
    return run


def _files_beside(intake: Intake) -> Path | None:
    """The folder of the student's other files (copied next to the notebook in the sandbox)."""
    contents = intake.extra.get("contents_dir")
    return Path(contents) if contents and Path(contents).is_dir() else None


def _status(intake: Intake, ex: Execution | None, checks: tuple[CheckResult, ...], pack: Pack) -> str:
    if intake.status == "unreadable" or intake.notebook is None:
        return "unreadable"
    if ex is not None and ex.status == "timeout":
        return "timeout"
    if ex is not None and ex.status in ("failed", "died"):
        return "error"
    naming = next((c for c in checks if c.id == pack.naming.check), None)
    if naming is not None and naming.status != Status.PASS:
        return "misnamed"
    return "graded"
