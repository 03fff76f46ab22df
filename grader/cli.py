"""`grade`: the command line front end (typer + rich).

grade list                      assignment packs
grade setup PACK                build the student runtime once (e.g. week2)
grade check PATH [-a PACK]      a student's self-check (exit 1 when a check fails; PACK from the file name)
grade PACK [SOURCE] ...         a session leader's cohort run (no SOURCE: the pack's bundled demo)
grade merge DIR... --out OUT    join partial reports (shards)
grade review week2              the leader's review queue (decisions → grading/week2-overrides.csv)
"""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
import time
from datetime import datetime
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader import __version__
from grader.cache import ResultCache
from grader.classconfig import ClassConfig, ClassConfigError, find_class_config
from grader.cohort import LazyGrader, default_jobs, run_cohort
from grader.distribute import DaskGrade, merge_results, parse_shard, shard
from grader.memo import Memo
from grader.models import Message, Status, Submission, SubmissionResult
from grader.pack import Pack, PackError, list_packs, load_pack
from grader.paths import cache_dir
from grader.report import render_summary, summary
from grader.runtime import Runtime, RuntimeMissing, build, load_runtime

if TYPE_CHECKING:
    from grader.grade import Grader
    from grader.leader.extensions import Extensions
    from grader.sources.versions import Found

app = typer.Typer(add_completion=False, no_args_is_help=True, help="KUBIG assignment grader")
console = Console(stderr=True)
FAILING = {Status.FAIL, Status.ERROR, Status.TIMEOUT}


def _pack(pack_id: str) -> Pack:
    try:
        return load_pack(pack_id)
    except PackError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)


def _runtime(pack: Pack) -> Runtime:
    try:
        return load_runtime(pack)
    except RuntimeMissing as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2)


@app.command("list")
def list_command() -> None:
    """List the assignment packs."""
    table = Table("id", "week", "title", "deadline", "checks", "points")
    broken: dict[str, str] = {}
    for pack in list_packs(broken):
        table.add_row(pack.id, str(pack.week), f"{pack.title.ko} / {pack.title.en}",
                      pack.deadline.isoformat(), str(len(pack.checks)), f"{pack.max_points:g}")
    for pack_id, error in broken.items():
        table.add_row(pack_id, "-", f"[red]assignment.toml 오류 / malformed: {error}[/red]", "-", "-", "-")
    Console().print(table)


@app.command("setup")
def setup_command(pack_id: str = typer.Argument(..., help="assignment id, e.g. week2"),
                  force: bool = typer.Option(False, help="rebuild even if the runtime looks fine")) -> None:
    """Build (once) the student runtime a pack's notebooks run in."""
    pack = _pack(pack_id)
    start = time.monotonic()
    with console.status(f"setting up {pack.id}…") as status:
        def progress(line: str) -> None:
            status.update(line[:100])
            console.print(f"  {line[:160]}", highlight=False)
        rt = build(pack, progress, force=force)
    console.print(f"[green]runtime ready[/green] {rt.root} ({time.monotonic() - start:.0f} s)")


def _status_style(status: Status) -> str:
    return {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "red", Status.TIMEOUT: "yellow",
            Status.NEEDS_REVIEW: "yellow"}[status]


def _safe(text: object, limit: int = 2000) -> str:
    """Student-derived text (file names, exception messages in check messages, notes) for rich:
    control characters removed, capped, and markup escaped, so ``[/]`` or ``[bold red]`` is text."""
    from grader.report.text import clip, plain

    return escape(clip(plain(text), limit))


def _print_table(result: SubmissionResult, lang: str) -> None:
    from grader.report.frame import review_flags
    from grader.report.text import capped, more_line

    out = Console()
    sub = result.submission
    out.print(f"[bold]{_safe(sub.display_name, 200)}[/bold] — {escape(result.status)}, "
              f"{result.total:g}/{result.max_total:g}, isolation: {escape(result.isolation)}")
    table = Table("id", "status", "points", "message", show_lines=False)
    for c in result.checks:
        table.add_row(escape(c.id), f"[{_status_style(c.status)}]{escape(str(c.status))}[/]",
                      f"{c.points:g}/{c.max_points:g}", _safe(c.message.text(lang)))
    out.print(table)
    notes, left_out = capped(review_flags(result) + list(result.notes))
    for note in notes + ([more_line(left_out)] if left_out else []):
        out.print(f"• {_safe(note.text(lang))}", highlight=False)


def check_payload(results: list[SubmissionResult], pack: Pack) -> dict:
    """The JSON contract of `grade check --format json`."""
    return {
        "grader_version": __version__,
        "assignment": pack.id,
        "submissions": [
            {
                "file": r.submission.display_name,
                "source_path": r.submission.source_path,
                "student": {"key": r.submission.key, "cohort": r.submission.cohort, "name": r.submission.name},
                "status": r.status,
                "total": r.total,
                "max_total": r.max_total,
                "isolation": r.isolation,
                "checks": [c.to_json() for c in r.checks],
                "notes": [{"ko": n.ko, "en": n.en} for n in r.notes],
            }
            for r in results
        ],
    }


_WEEK_IN_NAME = re.compile(r"(?<!\d)(\d{1,2})\s*주\s*차|week\s*[-_ ]?0*(\d{1,2})(?!\d)", re.IGNORECASE)


def _infer_pack_id(path: Path) -> str:
    """The pack a file is for: the only pack, else the week its name (or its folders', or for a
    folder its files') states. Exits 2 listing the packs when that does not decide."""
    packs = list_packs()
    if len(packs) == 1:
        return packs[0].id
    names = [path.name, *(p.name for p in path.resolve().parents)]
    if path.is_dir():
        names[1:1] = sorted(p.name for p in path.iterdir())
    by_week = {pack.week: pack.id for pack in packs}
    for name in names:
        for match in _WEEK_IN_NAME.finditer(unicodedata.normalize("NFC", name)):
            week = int(match.group(1) or match.group(2))
            if week in by_week:
                return by_week[week]
    listed = ", ".join(f"{p.id} ({p.title.en})" for p in packs) or "(none)"
    console.print(f"{path}: 어느 과제인지 파일 이름으로 알 수 없습니다 / cannot tell the assignment from the name; "
                  f"pass --assignment/-a (packs: {listed})", style="red", markup=False, highlight=False)
    raise typer.Exit(2)


@app.command("check")
def check_command(
    path: Path = typer.Argument(..., exists=True, help="a submission zip, folder or notebook"),
    pack_id: Optional[str] = typer.Option(None, "--assignment", "-a",
                                          help="assignment id (default: the week the file name states)"),
    fmt: str = typer.Option("table", "--format", "-f", help="table | json | github"),
    lang: str = typer.Option("both", "--lang", help="ko | en | both"),
    out: Optional[Path] = typer.Option(None, "--out", help="also write a report folder"),
    strict: bool = typer.Option(True, "--strict/--advisory",
                                help="--advisory: exit 0 even when a check fails (e.g. a PR check)"),
) -> None:
    """Grade one submission with exactly the checks of the leader's run. Exit 1 when a check fails
    (unless --advisory)."""
    from grader.grade import Grader
    from grader.sources.local import discover_local

    pack = _pack(pack_id or _infer_pack_id(path))
    runtime = _runtime(pack)
    subs = discover_local(path, pack)
    if not subs:
        console.print(f"[red]{path}: no submission found (expected a .zip or .ipynb) / 제출물을 찾지 못했습니다[/red]")
        raise typer.Exit(2)
    grader = Grader(pack, runtime, threads=default_jobs(), memo=_memo(pack))
    results = []
    for sub in subs:
        with console.status(f"grading {_safe(sub.display_name, 100)}…"):
            results.append(grader.grade(sub))
    if out is not None:
        from grader.report import write_report

        write_report(results, pack, out, lang="ko" if lang == "both" else lang)
    if fmt == "json":
        sys.stdout.write(json.dumps(check_payload(results, pack), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "github":
        from grader.github import emit_github

        emit_github(results, pack, lang=lang)
    else:
        for r in results:
            _print_table(r, lang)
    failing = any(c.status in FAILING for r in results for c in r.checks) or any(
        r.status not in ("graded",) for r in results)
    raise typer.Exit(1 if failing and strict else 0)


@dataclass
class RunSettings:
    """Where a cohort run's source, folder, branch and deadline come from.

    Precedence: command-line flags > class config (kubig-class.toml) > pack defaults.
    """

    source: str | None
    folder: str | None
    branch: str | None
    deadline: datetime
    deadline_from: str
    config: ClassConfig | None = None

    def run_info(self) -> dict:
        info = {"source": self.source, "folder": self.folder, "deadline": self.deadline.isoformat(),
                "deadline_from": self.deadline_from}
        if self.config is not None:
            info.update(class_config=str(self.config.path), semester=self.config.semester)
        return info


def _parse_deadline(text: str, tz) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        console.print(f"--deadline {text!r}: ISO 8601 날짜/시간이 아닙니다 / is not an ISO 8601 date-time "
                      "(예 / e.g. 2026-07-22T23:59)", style="red", markup=False, highlight=False)
        raise typer.Exit(2)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def resolve_settings(pack: Pack, source: str | None, folder: str | None, deadline: str | None,
                     class_config: Path | None, cwd: Path | None = None) -> RunSettings:
    """Merge flags, the class config and the pack (exits 2 on a malformed class config)."""
    try:
        config = find_class_config(class_config, cwd)
    except ClassConfigError as exc:
        console.print(f"{exc.message.ko}\n{exc.message.en}", style="red", markup=False, highlight=False)
        raise typer.Exit(2)
    week = config.week(pack.id) if config else None
    tz = (config.timezone if config and config.timezone else None) or pack.deadline.tzinfo
    if config is not None:
        console.print(f"class config: {config.path}" + (f" (semester {config.semester})" if config.semester else ""),
                      markup=False, highlight=False)
    source = source or (config.repository if config else None)
    if deadline:
        when, origin = _parse_deadline(deadline, tz), "--deadline"
    elif week is not None and week.deadline is not None:
        when = week.deadline if week.deadline.tzinfo else week.deadline.replace(tzinfo=pack.deadline.tzinfo)
        origin = f"{config.path} [weeks.{pack.id}]"
    else:
        when, origin = pack.deadline, f"the pack ({pack.folder.name}/assignment.toml)"
        if config is not None and source is not None:
            console.print(f"{config.path}: [weeks.{pack.id}] deadline이 없어 과제 묶음의 마감을 씁니다 / has no "
                          f"[weeks.{pack.id}] deadline: using the pack's {pack.deadline.isoformat()}",
                          style="yellow", markup=False, highlight=False)
    return RunSettings(source, folder or (week.folder if week else None), config.branch if config else None,
                       when, origin, config)


def _nothing_found(found: Found, pack: Pack) -> None:
    """No submission at all: say where we looked and what is there, then exit non-zero."""
    from grader.sources.versions import submission_extensions

    there = [f"  • {s.path}: {s.reason.ko} / {s.reason.en}" for s in found.skipped[:30]]
    console.print("제출물을 하나도 찾지 못했습니다 / no submission found", style="bold red")
    console.print(f"찾아본 곳 / looked in: {found.where or '?'}\n"
                  f"그곳에 있는 것 / what is there: {'(비어 있음 / empty)' if not there else ''}", markup=False, highlight=False)
    for line in there:
        console.print(line, markup=False, highlight=False)
    exts = ", ".join(submission_extensions(pack))
    console.print(f"기대한 것 / expected: {exts} files named like {pack.naming.pattern!r}, or student folders. "
                  "--folder(과제 폴더)와 SOURCE가 맞는지 확인하세요 / check --folder and SOURCE.", markup=False, highlight=False)
    raise typer.Exit(2)


def discover(pack: Pack, source: str | None, folder: str | None, roster: Path | None,
             deadline: datetime | None, work: Path, branch: str | None = None,
             extensions: Extensions | None = None) -> list[Submission]:
    """Submissions from a class repository, a roster, a local path, or the bundled demo.

    Class repositories and local folders answer with a `Found` list (skipped files, where).
    """
    from grader.sources.classrepo import discover_class_repo
    from grader.sources.gitcache import is_git_repository
    from grader.sources.local import discover_local
    from grader.sources.roster import discover_roster, load_roster

    cache = cache_dir()
    materialize = work / "submissions"
    if roster is not None:
        return discover_roster(load_roster(roster), pack, cache, materialize, deadline, extensions=extensions)
    if source is None:
        if "demo_module" not in pack.raw:
            from grader.sources.gitcache import SourceError

            raise SourceError(Message(f"{pack.id}에는 내장 데모가 없습니다. 채점할 SOURCE(클래스 저장소, 폴더, zip)를 주세요.",
                                      f"{pack.id} has no bundled demo; give a SOURCE to grade (class repository, folder, zip)."))
        repo, demo_folder = _demo_repo(pack, work / "demo-class-repo")
        console.print(f"no SOURCE given: grading the bundled demo class repository at {repo}")
        source, folder = str(repo), demo_folder
    src_path = Path(source)
    if src_path.exists() and not is_git_repository(src_path):
        return discover_local(src_path, pack)
    if folder:
        return discover_class_repo(source, folder, pack, cache, materialize, deadline, branch=branch,
                                   extensions=extensions)
    return _discover_default_folder(source, pack, cache, materialize, deadline, branch, extensions)


def _demo_repo(pack: Pack, dest: Path) -> tuple[Path, str]:
    """The pack's bundled demo class repository at dest (reused as is when its FORMAT was built there)."""
    from grader.demo_repo import is_built

    demo = pack.module("demo_module")
    fmt, folder = getattr(demo, "FORMAT", None), getattr(demo, "FOLDER", None)
    if isinstance(fmt, str) and isinstance(folder, str) and is_built(dest, fmt):
        return dest, folder
    return demo.build_demo_repo(dest)


def _discover_default_folder(source: str, pack: Pack, cache: Path, materialize: Path, deadline: datetime | None,
                             branch: str | None, extensions: "Extensions | None" = None) -> "Found":
    """No --folder and no class config folder: the pack's `folders`, the first one the repository has."""
    from grader.sources.classrepo import MSG_NO_FOLDER, discover_class_repo
    from grader.sources.gitcache import SourceError

    if not pack.class_folders:
        raise SourceError(Message(f"{pack.id} 과제 폴더를 모릅니다: --folder로 알려 주세요 (또는 assignment.toml의 folders).", "No class folder is known for "
                                  f"{pack.id}: pass --folder (or set folders in its assignment.toml)."),
                          f"{pack.folder / 'assignment.toml'} has no folders")
    last: SourceError | None = None
    for folder in pack.class_folders:
        try:
            return discover_class_repo(source, folder, pack, cache, materialize, deadline, branch=branch,
                                       extensions=extensions)
        except SourceError as exc:
            if exc.message != MSG_NO_FOLDER:
                raise
            last = exc
    assert last is not None
    raise SourceError(last.message, f"{last.detail} (tried the pack's folders: {', '.join(pack.class_folders)})")


def grade_pack(pack_id: str, source: Optional[str], folder: Optional[str], roster: Optional[Path],
               deadline: Optional[str], out: Optional[Path], jobs: Optional[int], lang: str,
               no_cache: bool, shard_spec: Optional[str] = None, scheduler: Optional[str] = None,
               warm: bool = True, class_config: Optional[Path] = None, tuning: bool = True,
               overrides_path: Optional[Path] = None, extensions_path: Optional[Path] = None) -> None:
    from grader.leader.desk import Desk
    from grader.leader.extensions import default_extensions_path, load_extensions
    from grader.leader.overrides import default_overrides_path, load_overrides, unknown_students
    from grader.sources.gitcache import SourceError
    from grader.sources.roster import RosterError
    from grader.sources.versions import Found

    pack = _pack(pack_id)
    settings = resolve_settings(pack, source, folder, deadline, class_config)
    if settings.source is None and roster is None and not deadline:
        settings.deadline, settings.deadline_from = pack.deadline, "the pack (bundled demo)"
    runtime = None if scheduler else _runtime(pack)  # with Dask, the workers' runtimes are used
    out = out or Path(f"grade-report-{pack.id}")
    work = cache_dir() / "work" / pack.id
    console.print(f"deadline: {settings.deadline.isoformat()} (from {settings.deadline_from})",
                  markup=False, highlight=False)
    extensions = load_extensions(extensions_path or default_extensions_path(pack.id), settings.deadline.tzinfo)
    overrides = load_overrides(overrides_path or default_overrides_path(pack.id), pack)
    try:
        subs = discover(pack, settings.source, settings.folder, roster, settings.deadline, work, settings.branch,
                        extensions)
    except (SourceError, RosterError) as exc:
        msg = getattr(exc, "message", None)
        console.print(f"{msg.text('both') if msg else exc}", style="red", markup=False, highlight=False)
        if getattr(exc, "detail", ""):
            console.print(exc.detail, markup=False, highlight=False)
        raise typer.Exit(2)
    found = subs if isinstance(subs, Found) else Found(subs)
    if not subs:
        if roster is not None:
            console.print("명단에 학생이 없습니다 / the roster lists no student", style="red")
            raise typer.Exit(2)
        _nothing_found(found, pack)
    for sub in subs:  # a row naming a student of a source without dates (local files) is not "unknown"
        extensions.find(sub.key, sub.cohort, sub.name)
    desk_warnings = [*extensions.errors, *extensions.unused(), *overrides.errors,
                     *unknown_students(overrides, {s.key for s in subs})]
    for warning in [*found.warnings, *desk_warnings]:
        console.print(f"{warning.ko}\n{warning.en}", style="bold red", markup=False, highlight=False)
    if extensions:
        console.print(f"extensions: {extensions.path} ({len(extensions.used)} used)", markup=False, highlight=False)
    if overrides.rows:
        console.print(f"overrides: {overrides.path} ({len(overrides.rows)} decisions)", markup=False, highlight=False)
    run_info = {**settings.run_info(), "where": found.where, "skipped": [s.to_json() for s in found.skipped],
                "warnings": [{"ko": w.ko, "en": w.en} for w in [*found.warnings, *desk_warnings]],
                "overrides": str(overrides.path), "extensions": str(extensions.path)}
    if found.skipped:
        console.print(f"skipped {len(found.skipped)} file(s) that are not students (listed in the summary)")
    dated = [s for s in subs if s.submitted_at]
    if dated and all(s.late for s in dated):  # said again in the summary and the report
        console.print(f"경고 / WARNING: 모든 제출물({len(dated)}개)이 마감 이후입니다 / every submission is "
                      f"after the deadline {settings.deadline.isoformat()} ({settings.deadline_from}): likely the "
                      "wrong semester's deadline: pass --deadline or set it in kubig-class.toml", style="bold red",
                      markup=False, highlight=False)
    if shard_spec:
        try:
            k, n = parse_shard(shard_spec)
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2)
        total = len(subs)
        subs = shard(subs, k, n)
        console.print(f"shard {k}/{n}: {len(subs)} of {total} students")
    grade_fn = None
    memo = Memo() if no_cache else _memo(pack)  # --no-cache: nothing from earlier runs
    if scheduler:
        from grader.grade import Grader

        grader: Grader | LazyGrader = Grader(pack, None)
        dask_grade = DaskGrade(scheduler, pack, grader.run_seed)
        grade_fn = dask_grade
        jobs = jobs or max(1, sum(dask_grade.client.nthreads().values()))
    else:
        jobs = jobs or default_jobs()
        threads = max(1, default_jobs() // jobs)
        grader = LazyGrader(pack, lambda: _local_grader(pack, runtime, threads, warm, tuning, memo))
    cache = None if no_cache else ResultCache(cache_dir(), pack)
    where = f"Dask scheduler {scheduler}" if scheduler else "this machine"
    console.print(f"{pack.id}: {len(subs)} students, {jobs} workers on {where}, report → {out}")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("grading", total=len(subs))

        def on_result(sub: Submission, result: SubmissionResult, cached: bool) -> None:
            tag = "cached" if cached else f"{result.timings.get('total', 0):.0f}s"
            progress.update(task, advance=1,
                            description=f"{_safe(sub.key, 80)} ({escape(result.status)}, {result.total:g}, {tag})")

        try:
            run = run_cohort(grader, subs, out, cache, jobs=jobs, on_result=on_result, lang=lang, grade_fn=grade_fn,
                             run_info=run_info, finish=Desk(pack, overrides).finish)
        finally:
            if scheduler:
                dask_grade.close()
    render_summary(summary(run.results, pack, out, run_info), Console())
    if not run.interrupted and not shard_spec:  # a shard sees only part of the class
        _similarity_hint(subs, pack, out, lang, memo)
    console.print(f"graded {run.executed}, reused from cache {run.cached}, {run.seconds:.1f} s")
    console.print(f"[bold]report:[/bold] {out.resolve()}")
    if not run.interrupted and run.results and all(r.submission.path is None for r in run.results):
        console.print("[red]어떤 제출물도 읽지 못했습니다 (위의 행별 상태 참고) / no submission could be read "
                      "(see each row's status)[/red]")
        raise typer.Exit(1)
    if run.interrupted:
        console.print("[yellow]interrupted: the partial report is written; run again to resume[/yellow]")
        sys.stdout.flush()
        sys.stderr.flush()
        if not scheduler:
            from grader.execute.kernel import teardown_all

            teardown_all()  # a kernel a worker thread started meanwhile (run_cohort killed the others)
        os._exit(130)  # do not wait for worker threads: their kernels, cgroups and workspaces are gone


def _memo(pack: Pack) -> Memo:
    """What is derived from submissions' content alone (an image's OCR, the similarity hint), kept across runs (grader.memo)."""
    return Memo(cache_dir() / "memo" / pack.id)


def _local_grader(pack: Pack, runtime: Runtime | None, threads: int, warm: bool, tuned: bool, memo: Memo) -> Grader:
    """The Grader of a cohort run on this machine (built only when a submission is not cached)."""
    from grader.grade import Grader

    return Grader(pack, runtime, threads=threads, warm=warm, tuned=tuned, memo=memo)


def _similarity_hint(subs: list[Submission], pack: Pack, out: Path, lang: str, memo: Memo) -> None:
    """similarity.html/.csv in the report folder (leaders only); a failure here costs nothing else."""
    from grader.similarity.report import write_similarity_remembered

    try:
        flagged = write_similarity_remembered(subs, pack, out, memo, lang)
    except Exception as exc:  # a hint must never cost the report
        console.print(f"유사도 힌트를 만들지 못했습니다 / similarity hint failed: {exc}", markup=False, highlight=False)
        return
    console.print(f"유사도 힌트 (스터디장 전용) / similarity hint (leaders only): {flagged} pair(s) "
                  f"marked → {out / 'similarity.html'}", markup=False, highlight=False)


@app.command("merge")
def merge_command(
    parts: list[Path] = typer.Argument(..., exists=True, file_okay=False, help="partial report folders"),
    out: Path = typer.Option(..., "--out", help="the joined report folder"),
    lang: str = typer.Option("ko", help="ko | en"),
) -> None:
    """Join partial reports (e.g. from `--shard K/N` jobs) into one report."""
    from grader.report import load_results, write_report

    packs = set()
    loaded = []
    for part in parts:
        data = json.loads((part / "scores.json").read_text(encoding="utf-8"))
        packs.add((data.get("pack") or {}).get("id"))
        loaded.append(load_results(part))
    packs.discard(None)
    if len(packs) > 1:
        console.print(f"[red]partial reports are from different assignments: {sorted(packs)}[/red]")
        raise typer.Exit(2)
    if not packs:
        console.print("[red]the partial reports do not say their assignment (scores.json has no pack id)[/red]")
        raise typer.Exit(2)
    pack = _pack(packs.pop())
    results = merge_results(loaded)
    write_report(results, pack, out, lang=lang)
    render_summary(summary(results, pack, out), Console())
    console.print(f"merged {len(parts)} parts, {len(results)} students → {out.resolve()}")


@app.command("review")
def review_command(
    pack_id: str = typer.Argument(..., help="assignment id, e.g. week2"),
    out: Optional[Path] = typer.Option(None, "--out", help="the report folder (default: grade-report-<pack>)"),
    overrides: Optional[Path] = typer.Option(
        None, "--overrides", help="the leader's decisions (default: grading/<pack>-overrides.csv)"),
    all_failed: bool = typer.Option(False, "--all-failed", help="also every failed check, not only needs-review"),
    open_files: bool = typer.Option(False, "--open", help="open each check's files with the system viewer (xdg-open)"),
    who: Optional[str] = typer.Option(None, "--who", help="the leader's name (default: git user.name)"),
) -> None:
    """Decide the checks the grader left to the leader, one by one (resumable: each decision is saved at once)."""
    from grader.leader.overrides import default_overrides_path, load_overrides
    from grader.leader.review import Review, leader_name, review_queue
    from grader.report import load_results

    pack = _pack(pack_id)
    out = out or Path(f"grade-report-{pack.id}")
    try:
        results = load_results(out)
        graded_pack = (json.loads((out / "scores.json").read_text(encoding="utf-8")).get("pack") or {}).get("id")
        if graded_pack not in (None, pack.id):
            raise ValueError(f"the report is of {graded_pack}, not {pack.id}")
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"{out}/scores.json: 채점 보고서를 읽을 수 없습니다 / cannot read the report ({exc}). "
                      f"먼저 `grade {pack.id}`를 실행하거나 --out으로 보고서 폴더를 주세요 / run `grade {pack.id}` "
                      "first, or point --out at the report folder.", style="red", markup=False, highlight=False)
        raise typer.Exit(2)
    path = overrides or default_overrides_path(pack.id)
    loaded = load_overrides(path, pack)
    for error in loaded.errors:
        console.print(f"{error.ko}\n{error.en}", style="bold red", markup=False, highlight=False)
    items = review_queue(results, loaded, all_failed)
    out_console = Console(highlight=False)
    if not items:
        out_console.print(f"검토할 항목이 없습니다 / nothing to review ({out}, {path})")
        return
    out_console.print(f"{len(items)} 항목 / checks to review → {path}")

    def ask(prompt: str) -> str:
        try:
            return out_console.input(f"{escape(prompt)}: ")
        except EOFError:
            return "quit"

    review = Review(pack, path, out_console, ask, who or leader_name(), open_files)
    try:
        finished = review.run(items)
    except KeyboardInterrupt:
        finished = False
    finally:
        review.close()
    out_console.print(f"결정 {review.decided}, 건너뜀 {review.skipped} / decided {review.decided}, skipped "
                      f"{review.skipped}" + ("" if finished else " — 중단: 다시 실행하면 이어집니다 / stopped: run "
                                              "again to resume"))
    if review.decided:
        out_console.print(f"다시 채점하면 반영됩니다 / regrade to apply: grade {pack.id} … (--overrides {path})")


def _register_broken_pack(pack_id: str, error: str) -> None:
    """`grade <id>` for a pack whose manifest cannot be loaded: say why, exit 2."""
    def command() -> None:
        console.print(f"[red]{pack_id} 과제 묶음을 읽을 수 없습니다 / the {pack_id} pack cannot be loaded:[/red] {error}",
                      highlight=False)
        raise typer.Exit(2)

    app.command(pack_id, help=f"(malformed pack: {error[:80]})")(command)


def _register_pack_commands() -> None:
    broken: dict[str, str] = {}
    try:
        packs = list_packs(broken)
    except OSError:
        return
    for pack_id, error in broken.items():
        _register_broken_pack(pack_id, error)
    for pack in packs:
        def command(
            source: Optional[str] = typer.Argument(
                None, help="class repo URL/path, or a local folder/zip (default: the class config's repository)"),
            folder: Optional[str] = typer.Option(
                None, help="folder inside the class repo, e.g. 'Basic Study/DL/2주차' (default: the class config's, "
                           "else the first of the pack's folders the repository has)"),
            roster: Optional[Path] = typer.Option(None, help="roster CSV of per-student repositories"),
            deadline: Optional[str] = typer.Option(
                None, help="the deadline (ISO 8601; default: the class config's, else the pack's)"),
            out: Optional[Path] = typer.Option(None, help="report folder"),
            jobs: Optional[int] = typer.Option(None, help="parallel workers (default: CPUs)"),
            lang: str = typer.Option("ko", help="ko | en"),
            no_cache: bool = typer.Option(False, "--no-cache", help="regrade everything"),
            shard_spec: Optional[str] = typer.Option(None, "--shard", help="grade only shard K/N (e.g. 1/4)"),
            scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786"),
            warm: bool = typer.Option(True, "--warm/--no-warm",
                                      help="start each worker's next kernel while the current notebook runs"),
            class_config: Optional[Path] = typer.Option(
                None, "--class-config", help="the semester's class config (default: ./kubig-class.toml if present)"),
            tuning: bool = typer.Option(True, "--tuning/--no-tuning",
                                        help="grading-tuned kernels (README 'Speed'); --no-tuning runs them stock"),
            overrides: Optional[Path] = typer.Option(
                None, "--overrides", help=f"the leader's decisions (default: grading/{pack.id}-overrides.csv)"),
            extensions: Optional[Path] = typer.Option(
                None, "--extensions", help=f"per-student deadlines (default: grading/{pack.id}-extensions.csv)"),
            _pack_id: str = typer.Option(pack.id, hidden=True),
        ) -> None:
            grade_pack(_pack_id, source, folder, roster, deadline, out, jobs, lang, no_cache, shard_spec, scheduler, warm,
                       class_config, tuning, overrides, extensions)

        app.command(pack.id, help=f"Grade {pack.id} ({pack.title.en}) for a whole cohort.")(command)


_register_pack_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
