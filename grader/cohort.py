"""Grade many submissions: cache first, then a worker pool, then the report.

Each submission is graded by its own kernel in its own sandbox; a worker thread only waits
on it, so one submission's crash or timeout never touches another. Results are cached as
they finish and the report is rewritten as they come in (atomically), so Ctrl-C or a kill
leaves a consistent partial report and the next run resumes from the cache.

Ctrl-C (SIGINT) and SIGTERM stop a run the same way (`StopSignals`): the first one ends the
wait for results, every sandboxed kernel of this process is killed (its cgroups and
workspace removed), and the report is written with "pending" rows for what was not graded;
a signal arriving while that report is written is remembered, not raised.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from grader.cache import ResultCache
from grader.models import Message, Submission, SubmissionResult
from grader.pack import Pack
from grader.report import write_report

if TYPE_CHECKING:
    from grader.grade import Grader

OnResult = Callable[[Submission, SubmissionResult, bool], None]


class Grades(Protocol):
    """What run_cohort needs of a grader: its pack, prepare(), grade() and close() (a `Grader`, a `LazyGrader`)."""

    pack: Pack

    def prepare(self) -> None: ...

    def grade(self, submission: Submission) -> SubmissionResult: ...

    def close(self) -> None: ...


class LazyGrader:
    """A `Grader` built on the first submission it grades: a fully cached run never imports the
    execution engine (kernels, nbclient, torch) nor starts anything."""

    def __init__(self, pack: Pack, build: Callable[[], Grader]) -> None:
        self.pack = pack
        self._build = build
        self._grader: Grader | None = None
        self._lock = threading.Lock()

    def grader(self) -> Grader:
        """The Grader (built now if this is the first call; thread-safe)."""
        with self._lock:
            if self._grader is None:
                self._grader = self._build()
            return self._grader

    def prepare(self) -> None:
        """Build the Grader and let it start ahead what the first submissions need (`Grader.prepare`)."""
        self.grader().prepare()

    def grade(self, submission: Submission) -> SubmissionResult:
        return self.grader().grade(submission)

    def close(self) -> None:
        with self._lock:
            grader = self._grader
        if grader is not None:
            grader.close()


@dataclass
class CohortRun:
    """Outcome of a cohort run: results in submission order, and what was reused."""

    results: list[SubmissionResult]
    cached: int = 0
    executed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    report_paths: object = None
    timings: dict[str, float] = field(default_factory=dict)


def pending_result(sub: Submission, pack: Pack) -> SubmissionResult:
    """Placeholder row for a student whose grading has not finished (interrupted run)."""
    note = Message("채점이 중단되어 아직 결과가 없습니다. 다시 실행하면 이어서 채점합니다.",
                   "Grading was interrupted before this submission finished; run again to resume.")
    return SubmissionResult(sub, "pending", (), 0.0, pack.max_points, "none", notes=(note,))


class StopSignals:
    """SIGINT and SIGTERM → KeyboardInterrupt in the main thread, while `armed`.

    Disarmed (while the final report is written), a signal is only remembered in `received`.
    Outside the main thread (where handlers cannot be installed) it does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.armed = True
        self.received: int | None = None
        self._saved: dict[int, object] = {}

    def _handler(self, signum: int, frame: object) -> None:
        first = self.received is None
        self.received = signum
        if self.armed and first:
            raise KeyboardInterrupt(f"signal {signum}")

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._saved[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._saved.clear()


def _stop_kernels() -> None:
    """Kill every sandboxed kernel and probe process of this process (they would otherwise outlive the run)."""
    try:
        from grader.execute.kernel import teardown_all
        from grader.execute.probe_process import teardown_all as teardown_probes
    except ImportError:  # a grader without the execution engine (e.g. a Dask client)
        return
    teardown_all()
    teardown_probes()


def _allow_kernels() -> None:
    try:
        from grader.execute.kernel import allow_kernels
    except ImportError:
        return
    allow_kernels()


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def run_cohort(
    grader: Grades,
    submissions: Sequence[Submission],
    out_dir: Path | None,
    cache: ResultCache | None,
    jobs: int | None = None,
    on_result: OnResult | None = None,
    report_every_s: float = 15.0,
    lang: str = "ko",
    grade_fn: Callable[[Submission], SubmissionResult] | None = None,
    run_info: dict | None = None,
    finish: Callable[[SubmissionResult], SubmissionResult] | None = None,
) -> CohortRun:
    """Grade every submission (cached ones instantly) and write the report to out_dir.

    grade_fn replaces grader.grade, e.g. with a DaskGrade that runs on a cluster. run_info is
    the run's context for the report (see `grader.report.write_report`'s run). finish (e.g.
    `grader.leader.desk.Desk.finish`: the leader's overrides) turns each result, fresh or cached,
    into the one reported; the cache keeps the machine's result.
    """
    finish = finish or (lambda r: r)
    started = time.monotonic()
    pack = grader.pack
    jobs = jobs or default_jobs()
    done: dict[int, SubmissionResult] = {}
    run = CohortRun(results=[])
    todo: list[int] = []
    for i, sub in enumerate(submissions):
        hit = cache.get(sub) if cache else None
        if hit is not None:
            hit = done[i] = finish(hit)
            run.cached += 1
            if on_result:
                on_result(sub, hit, True)
        else:
            todo.append(i)
    if todo:
        _allow_kernels()  # this run may start kernels, even after an interrupted one in this process
    last_report = time.monotonic()
    if todo and grade_fn is None:
        grader.prepare()

    def snapshot() -> list[SubmissionResult]:
        return [done.get(i) or pending_result(s, pack) for i, s in enumerate(submissions)]

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    futures: dict[Future, int] = {}
    stop = StopSignals()
    stop.__enter__()
    try:
        queue = list(todo)
        while queue or futures:
            while queue and len(futures) < jobs:
                i = queue.pop(0)
                futures[pool.submit(grade_fn or grader.grade, submissions[i])] = i
            finished, _ = wait(futures, timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in finished:
                i = futures.pop(fut)
                result = fut.result()
                if cache:
                    cache.put(submissions[i], result)
                result = done[i] = finish(result)
                run.executed += 1
                if on_result:
                    on_result(submissions[i], result, False)
            if out_dir is not None and time.monotonic() - last_report > report_every_s and (queue or futures):
                write_report(snapshot(), pack, out_dir, lang=lang, run=run_info, charts=False)
                last_report = time.monotonic()
    except KeyboardInterrupt:
        run.interrupted = True
    finally:
        stop.armed = False  # from here on a signal is remembered, not raised: the report gets written
        if run.interrupted or stop.received is not None:
            run.interrupted = True
            for fut in futures:
                fut.cancel()
            _stop_kernels()
        pool.shutdown(wait=not run.interrupted, cancel_futures=True)
        if not run.interrupted:
            grader.close()
    try:
        run.results = snapshot()
        if out_dir is not None:
            run.report_paths = write_report(run.results, pack, out_dir, lang=lang, run=run_info)
    finally:
        stop.__exit__()
    run.interrupted = run.interrupted or stop.received is not None
    run.seconds = time.monotonic() - started
    return run
