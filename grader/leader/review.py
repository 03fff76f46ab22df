"""`grade review <pack>`: the leader's review queue in the terminal.

The queue is read from the last report (scores.json): every check the grader could not decide
(``needs-review``), every check whose leader's decision is stale (the student resubmitted), and
with ``all_failed`` every failed one; minus the checks the overrides file already decides for
the very submission graded. Each decision is written to the overrides file at once
(`save_override`, atomic), so quitting and running again resumes where the leader stopped.
"""

from __future__ import annotations

import getpass
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from grader.leader.desk import with_content_hash
from grader.leader.overrides import Override, Overrides, OverridesFileError, save_override, short_hash
from grader.models import CheckResult, Status, SubmissionResult
from grader.pack import Pack
from grader.report.frame import order_results, review_flags, student_name
from grader.report.text import check_label, clip, fmt_points, plain

FAILED = {Status.FAIL, Status.ERROR, Status.TIMEOUT}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".pdf")
HELP = "pass | fail | points N | skip | quit"


@dataclass(frozen=True)
class Item:
    """One check for the leader to decide."""

    result: SubmissionResult
    check: CheckResult
    reason: str  # needs-review | stale | failed


def review_queue(results: list[SubmissionResult], overrides: Overrides, all_failed: bool = False) -> list[Item]:
    """The checks to decide, student by student (report order)."""
    items = []
    for result in order_results(results):
        for check in result.checks:
            if check.decision is not None and check.decision.stale:
                reason = "stale"
            elif check.machine_status == Status.NEEDS_REVIEW:
                reason = "needs-review"
            elif all_failed and check.machine_status in FAILED:
                reason = "failed"
            else:
                continue
            row = overrides.get(result.submission.key, check.id)
            if row is not None and row.matches(result.content_hash):
                continue  # decided for this very submission already
            items.append(Item(result, check, reason))
    return items


def parse_decision(answer: str, max_points: float) -> tuple[str, float | None] | str:
    """("pass"|"fail"|"points", points) for a decision, "skip"/"quit", or an error text."""
    words = answer.strip().lower().split()
    if not words:
        return f"? {HELP}"
    head, rest = words[0], words[1:]
    if head in ("q", "quit", "exit"):
        return "quit"
    if head in ("s", "skip"):
        return "skip"
    if head in ("p", "pass") and not rest:
        return ("pass", None)
    if head in ("f", "fail") and not rest:
        return ("fail", None)
    if head in ("n", "points", "pts") and len(rest) == 1:
        try:
            value = float(rest[0])
        except ValueError:
            return f"점수가 숫자가 아닙니다 / not a number: {rest[0]!r}"
        if not 0 <= value <= max_points:
            return f"0…{max_points:g} 사이여야 합니다 / must lie in 0…{max_points:g}"
        return ("points", value)
    return f"? {HELP}"


def leader_name() -> str:
    """Who decides: git's user.name, else the login name."""
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name: still usable
        return "leader"


def _safe(text: object, limit: int = 2000) -> str:
    return escape(clip(plain(text), limit))


class Review:
    """One review session: shows each item, asks, writes the decision."""

    def __init__(self, pack: Pack, overrides_path: Path, console: Console, ask: Callable[[str], str],
                 who: str, open_files: bool = False) -> None:
        self.pack = pack
        self.path = overrides_path
        self.console = console
        self.ask = ask
        self.who = who
        self.open_files = open_files
        self.scratch = Path(tempfile.mkdtemp(prefix="kubig-review-"))
        self._files: dict[str, list[Path]] = {}
        self.decided = 0
        self.skipped = 0

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def files(self, result: SubmissionResult) -> list[Path]:
        """The submission, and its notebook and images unpacked (the grader's own safe intake)."""
        key = result.submission.key
        if key in self._files:
            return self._files[key]
        sub = result.submission
        found: list[Path] = []
        if sub.path is not None and sub.path.exists():
            found.append(sub.path)
            try:
                from grader.intake.artifacts import open_submission

                intake = open_submission(sub.path, self.scratch / str(len(self._files)), self.pack,
                                         display_name=sub.display_name)
                images = [Path(p) for p in intake.extra.get("screenshot_candidates", ()) if Path(p).is_file()]
                if not images and intake.screenshot is not None:
                    images = [intake.screenshot]
                found += [p for p in [intake.notebook, *images] if p is not None and Path(p).is_file()]
            except Exception as exc:  # noqa: BLE001 - an unreadable zip: show what there is
                self.console.print(f"  [yellow]압축을 풀 수 없습니다 / cannot unpack: {_safe(exc, 300)}[/]")
        self._files[key] = found
        return found

    def show(self, item: Item, index: int, total: int) -> None:
        r, c = item.result, item.check
        label = check_label(c.machine_status)
        head = (f"[bold]{_safe(student_name(r), 120)}[/] ({_safe(r.submission.key, 120)}) — "
                f"[bold]{escape(c.id)}[/] {escape(fmt_points(c.points))}/{escape(fmt_points(c.max_points))}")
        lines = [head]
        try:
            title = self.pack.check(c.id).title
            lines.append(f"{escape(title.ko)} / {escape(title.en)}")
        except KeyError:
            pass
        lines.append(f"자동 채점 / grader: {escape(label.ko)} / {escape(label.en)}")
        if item.reason == "stale" and c.decision is not None:
            lines.append(f"[yellow]stale: resubmitted[/] — 이전 결정 / earlier decision: {escape(c.decision.decision)} "
                         f"{escape(fmt_points(c.decision.points))} ({_safe(c.decision.who, 80)} {_safe(c.decision.when, 40)})"
                         + (f": {_safe(c.decision.comment, 300)}" if c.decision.comment else ""))
        lines += [f"ko: {_safe(c.message.ko)}", f"en: {_safe(c.message.en)}"]
        for flag in review_flags(r)[:3]:  # the source's own doubts (whose upload, backdated commits)
            lines.append(f"[yellow]• {_safe(flag.en, 300)}[/]")
        for note in r.notes[:5]:
            lines.append(f"[dim]• {_safe(note.en, 300)}[/]")
        files = self.files(r)
        lines += [f"파일 / file: {_safe(p, 500)}" for p in files] or ["파일 없음 / no file"]
        self.console.print(Panel("\n".join(lines), title=f"{index}/{total}", expand=False))
        if self.open_files:
            for p in files[1:] or files:
                self.launch(p)

    def launch(self, path: Path) -> None:
        """Open a file with the system viewer (xdg-open), without waiting for it."""
        try:
            subprocess.Popen(["xdg-open", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            self.console.print(f"  [yellow]xdg-open: {_safe(exc, 200)}[/]")

    def decide(self, item: Item) -> bool:
        """Ask about one item and record the answer; False when the leader quits."""
        while True:
            answer = parse_decision(self.ask(f"결정 / decision ({HELP})"), item.check.max_points)
            if answer == "quit":
                return False
            if answer == "skip":
                self.skipped += 1
                return True
            if isinstance(answer, str):
                self.console.print(f"[red]{escape(answer)}[/]")
                continue
            break
        decision, points = answer
        comment = " ".join(self.ask("의견 (학생 피드백에 들어갑니다, 없으면 Enter) / comment for the student's "
                                    "feedback (Enter: none)").split())
        result = with_content_hash(item.result)
        row = Override(result.submission.key, item.check.id, decision, points, comment, self.who,
                       datetime.now().astimezone().isoformat(timespec="seconds"), short_hash(result.content_hash), 0)
        line = save_override(self.path, row)
        self.decided += 1
        self.console.print(f"[green]저장 / saved[/] {escape(str(self.path))}:{line}")
        return True

    def run(self, items: list[Item]) -> bool:
        """Walk the queue; True when it was finished (False: the leader quit)."""
        for i, item in enumerate(items, 1):
            self.show(item, i, len(items))
            try:
                if not self.decide(item):
                    return False
            except OverridesFileError as exc:
                self.console.print(f"[red]{_safe(exc.message.ko)}\n{_safe(exc.message.en)}[/]")
                return False
        return True
