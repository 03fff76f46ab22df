"""Benchmark: plain `jupyter nbconvert --execute` versus `grade week2` on the same cohort.

    python bench/cohort.py                      # the real 2026-summer class (../shared), else 16 synthetic
    python bench/cohort.py --scale 200          # ... and 200 synthetic submissions graded once, cold
    python bench/cohort.py --source URL_OR_PATH --folder "Basic Study/DL/2주차"   # another class repository
    python bench/cohort.py --synthetic 50       # 50 synthetic submissions from the pack's variants
    python bench/cohort.py --limit 2            # only the first 2 students of the cohort (smoke run)

The cohort is a class repository cloned into a temporary folder (default: the 2026-summer class
bundle in ../shared, folder "Basic Study/DL/week2", 16 real students). Each student's notebook is
taken from the submission with the grader's own intake (`discover_local` + `open_submission`:
NFD/CP949 names, wrapper folders). Then, on this machine, with the same student runtime and the
same offline data:
  (a) `jupyter nbconvert --to notebook --execute --allow-errors` over the notebooks one by one, as
      a leader would run it by hand, but fairly: the runtime's bin first on PATH, PIP_NO_INDEX=1, the
      runtime's `python3` kernel whatever kernel the notebook names (some name "d2l"),
      and the offline data at `../data` of EACH notebook's own folder (nbconvert executes a
      notebook with its folder as working directory). Afterwards every notebook's FashionMNIST
      cell (the one calling `d2l.FashionMNIST`) is checked: no error output, no download attempt.
      A notebook that did not train makes b/a "not comparable", unless the grader's run (b) also
      found that notebook failing (`notebook_runs` failed: the student's own bug, e.g. a
      cross-entropy without mean) and the failure is not the environment's (download, data, imports);
  (b) `grade week2 <clone> --folder F --deadline 2099-01-01T00:00` (or --class-config) cold: a fresh
      KUBIG_CACHE holding only the built runtimes (see `fresh_cache`), results cache empty;
  (c) the same command again (regrade, nothing changed);
  --scale N: N synthetic submissions graded once, cold, seconds per submission against (b)'s.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARED = REPO.parent / "shared"
BUNDLE = SHARED / "kubig" / "week2" / "class-repo-2026-summer" / "class-repo.bundle"
BUNDLE_FOLDER = "Basic Study/DL/week2"
SYNTHETIC_FOLDER = "Basic Study/DL/2주차"
DEADLINE = "2099-01-01T00:00"
TRAINING_CALL = "d2l.FashionMNIST"

# A failure in the training cell that says the environment, not the student, is at fault.
DOWNLOAD_RE = re.compile(r"Downloading\s+https?://|Failed to download|urlopen error|fashion-mnist\.s3", re.I)
ENVIRONMENT_ERRORS = {"URLError", "HTTPError", "ConnectionError", "ConnectionRefusedError", "gaierror",
                      "TimeoutError", "FileNotFoundError", "ModuleNotFoundError", "ImportError", "OSError",
                      "DeadKernelError", "CellTimeoutError"}
ENVIRONMENT_TEXT = re.compile(r"Dataset not found|download=True|No such file or directory|Temporary failure "
                              r"in name resolution|Network is unreachable", re.I)


# ---------------------------------------------------------------------------- memory

def _memory(p: psutil.Process) -> int:
    """Proportional set size (shared pages split between the processes sharing them), else RSS.
    Costly: the kernel walks the whole address space (about 15–20 ms for a process with torch)."""
    try:
        return p.memory_full_info().pss
    except (psutil.AccessDenied, AttributeError):
        return p.memory_info().rss


class PeakMemory:
    """Samples the memory (PSS) of a process tree: the root process alone and everything together.

    Reading PSS costs the measured run CPU (tens of ms per process and sample: sampled every
    0.25 s it took about a third of a core from the grader's many processes). So every tick
    reads only the cheap RSS, and PSS is read when the tree's RSS is near its highest so far
    (within `near`), at most once per `pss_every` seconds: the PSS peak is taken where the
    memory peaks, and the run being measured keeps its CPU.
    """

    def __init__(self, pid: int, interval: float = 0.25, pss_every: float = 1.0, near: float = 0.97) -> None:
        self.pid, self.interval, self.pss_every, self.near = pid, interval, pss_every, near
        self.root_peak = self.tree_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        rss_high, last_pss = 0, -self.pss_every
        while not self._stop.is_set():
            try:
                procs = [p for p in (root, *root.children(recursive=True)) if p.is_running()]
                rss = sum(p.memory_info().rss for p in procs)
                now = time.monotonic()
                if rss >= self.near * rss_high and now - last_pss >= self.pss_every:
                    pss = [_memory(p) for p in procs]
                    self.root_peak = max(self.root_peak, pss[0])
                    self.tree_peak = max(self.tree_peak, sum(pss))
                    last_pss = time.monotonic()
                rss_high = max(rss_high, rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied, IndexError):
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------- did it train?

@dataclass(frozen=True)
class Training:
    """How a notebook's FashionMNIST cell went under nbconvert."""

    trained: bool
    reason: str = ""          # why not, for people
    environment: bool = False  # the failure is the environment's (data, download, imports), not the student's
    seconds: float | None = None  # the training cell's wall time, from nbconvert's own metadata


def _text(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") == "error":
        text = "\n".join([output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])])
    else:
        text = "\n".join(v if isinstance(v, str) else "".join(v) for k, v in output.get("data", {}).items()
                         if k.startswith("text/plain"))
    return text if isinstance(text, str) else "".join(text)


def _cell_seconds(cell: dict[str, Any]) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return None
    return (end - start).total_seconds()


def training_status(nb: dict[str, Any] | str | Path) -> Training:
    """Did this executed notebook train on FashionMNIST? (a notebook as JSON data, text or a path)

    The training cells are the code cells calling `d2l.FashionMNIST`; each must have run, with no
    error output and no download attempt (the offline data must have been found at ../data).
    """
    if isinstance(nb, Path):
        nb = nb.read_text(encoding="utf-8")
    if isinstance(nb, str):
        nb = json.loads(nb)
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"
             and TRAINING_CALL in "".join(c.get("source", ""))]
    if not cells:
        return Training(False, f"no cell calls {TRAINING_CALL}")
    seconds = [s for s in map(_cell_seconds, cells) if s is not None]
    total = sum(seconds) if seconds else None
    for cell in cells:
        if cell.get("execution_count") is None and not cell.get("outputs"):
            return Training(False, f"the {TRAINING_CALL} cell did not run", True, total)
        texts = [_text(o) for o in cell.get("outputs", [])]
        if any(DOWNLOAD_RE.search(t) for t in texts):
            return Training(False, "download attempt (the offline data was not found at ../data)", True, total)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                ename, evalue = out.get("ename", "?"), str(out.get("evalue", ""))
                env = ename in ENVIRONMENT_ERRORS or bool(ENVIRONMENT_TEXT.search(evalue))
                return Training(False, f"{ename}: {evalue[:120]}", env, total)
    return Training(True, seconds=total)


def comparable(trainings: dict[str, Training], grader_failed: set[str]) -> tuple[int, list[str]]:
    """(how many notebooks make b/a not comparable, one line per notebook that did not train).

    A notebook that did not train under nbconvert still compares when the grader also saw it fail
    (the student's own error costs both the same) and the failure is not the environment's.
    """
    lines, blocking = [], 0
    for key, t in sorted(trainings.items()):
        if t.trained:
            continue
        excused = not t.environment and key in grader_failed
        blocking += not excused
        why = "the student's own error, also failing in the grader's run" if excused else "NOT COMPARABLE"
        lines.append(f"  {key}: {t.reason} — {why}")
    return blocking, lines


# ---------------------------------------------------------------------------- cohorts

def build_synthetic(repo_dir: Path, n: int, folder: str = SYNTHETIC_FOLDER) -> Path:
    """A class repository with n zips (one commit) from the week-2 pack's variants."""
    import nbformat

    from grader.pack import load_pack

    pack = load_pack("week2")
    variants = pack.module("variants_module")
    demo = pack.module("demo_module")
    shot = demo._screenshot()
    names = list(variants.BUGS)
    (repo_dir / folder).mkdir(parents=True)
    for i in range(n):
        data = nbformat.writes(variants.make_notebook(variants.variant(names[i % len(names)]))).encode()
        student = f"벤치{i:03d}"
        (repo_dir / folder / f"2주차 과제_25기_{student}.zip").write_bytes(
            demo._zip([(f"{student}.ipynb", data), ("playground.png", shot)]))
    _commit_all(repo_dir)
    return repo_dir


def _commit_all(repo_dir: Path) -> None:
    import git

    repo = git.Repo.init(repo_dir, initial_branch="main")
    repo.git.add(A=True)
    when = datetime.fromisoformat("2025-09-15T12:00:00+09:00")
    actor = git.Actor("bench", "bench@kubig.example")
    repo.index.commit("Add files via upload", author=actor, committer=actor, author_date=when, commit_date=when)


def clone_source(source: str, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", source, str(dest)], check=True)
    return dest


def limit_cohort(repo_dir: Path, folder: str, limit: int, dest: Path) -> Path:
    """A new one-commit repository holding only the first `limit` students of repo_dir's folder."""
    from grader.pack import load_pack
    from grader.sources.local import discover_local

    subs = sorted(discover_local(repo_dir / folder, load_pack("week2")), key=lambda s: s.key)[:limit]
    (dest / folder).mkdir(parents=True)
    for s in subs:
        target = dest / folder / s.path.relative_to(repo_dir / folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if s.path.is_dir() else shutil.copy2)(s.path, target)
    _commit_all(dest)
    return dest


def extract_notebooks(repo_dir: Path, folder: str, root: Path) -> dict[str, Path]:
    """student key → the notebook the grader's intake picks, each in its own folder root/<i>/work/."""
    from grader.intake.artifacts import open_submission
    from grader.pack import load_pack
    from grader.sources.local import discover_local

    pack = load_pack("week2")
    notebooks = {}
    for i, sub in enumerate(sorted(discover_local(repo_dir / folder, pack), key=lambda s: s.key)):
        intake = open_submission(sub.path, root / "intake" / f"{i:03d}", pack, display_name=sub.display_name)
        if intake.notebook is None:
            print(f"  {sub.key}: no notebook ({intake.status}); not in (a)")
            continue
        work = root / f"{i:03d}" / "work"
        work.mkdir(parents=True)
        notebooks[sub.key] = work / "notebook.ipynb"
        shutil.copyfile(intake.notebook, notebooks[sub.key])
    shutil.rmtree(root / "intake", ignore_errors=True)
    return notebooks


# ---------------------------------------------------------------------------- runs

def nbconvert_env(runtime_bin: Path) -> dict[str, str]:
    """A leader's shell with the student runtime activated, offline: nothing the grader tunes."""
    env = {k: v for k, v in os.environ.items() if k not in {"MPLBACKEND", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env.update(PATH=f"{runtime_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(runtime_bin.parent),
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def run_nbconvert(notebooks: dict[str, Path], runtime_bin: Path, data: Path
                  ) -> tuple[float, dict[str, float], dict[str, Training], int]:
    """(a): one `jupyter nbconvert --execute` per notebook, sequentially, data at ../data of each folder."""
    env = nbconvert_env(runtime_bin)
    times, trainings, peak = {}, {}, 0
    start = time.monotonic()
    for key, nb in notebooks.items():
        (nb.parent.parent / "data").symlink_to(data)
        t0 = time.monotonic()
        proc = subprocess.Popen([str(runtime_bin / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                                 "--allow-errors", "--ExecutePreprocessor.timeout=600",
                                 "--ExecutePreprocessor.kernel_name=python3",  # not the notebook's own ("d2l")
                                 "--output", "executed.ipynb", str(nb)],
                                cwd=nb.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with PeakMemory(proc.pid) as mem:
            _, err = proc.communicate()
        times[key] = time.monotonic() - t0
        peak = max(peak, mem.tree_peak)
        executed = nb.parent / "executed.ipynb"
        if executed.is_file():
            trainings[key] = training_status(executed)
        else:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            trainings[key] = Training(False, f"nbconvert exit {proc.returncode}: {tail[0][:160]}", True)
        print(f"  (a) {key}: {times[key]:.1f} s, {'trained' if trainings[key].trained else trainings[key].reason}",
              flush=True)
    return time.monotonic() - start, times, trainings, peak


def fresh_cache(path: Path) -> dict[str, str]:
    """A KUBIG_CACHE with nothing in it but the built runtimes (results and git caches empty).

    Not as root: runtimes/ is a symlink to the built runtimes. As root it is an empty folder that
    `with_runtimes` bind-mounts the built runtimes onto, in a private mount namespace of the grade
    process: the sandbox launcher drops to `nobody` and makes only the literal paths of its bind
    sources reachable, so a runtime reached through a symlink into /root could not be mounted
    (every kernel would die before replying to kernel_info).
    """
    from grader.paths import cache_dir

    path.mkdir(parents=True)
    if os.geteuid() == 0:
        (path / "runtimes").mkdir()
    else:
        (path / "runtimes").symlink_to(cache_dir() / "runtimes")
    return {**os.environ, "KUBIG_CACHE": str(path), "COLUMNS": "400", "NO_COLOR": "1"}


def with_runtimes(cmd: list[str], env: dict[str, str]) -> list[str]:
    """cmd, run (as root) in a private mount namespace where KUBIG_CACHE/runtimes is the built runtimes."""
    from grader.paths import cache_dir

    target = Path(env["KUBIG_CACHE"]) / "runtimes"
    if target.is_symlink() or os.geteuid() != 0:
        return cmd
    real = str((cache_dir() / "runtimes").resolve())
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", real, str(target), *cmd]


def run_grade(repo: Path, folder: str, out: Path, env: dict[str, str], jobs: int, extra: list[str],
              class_config: str | None, cwd: Path) -> tuple[float, int, int, str]:
    when = ["--class-config", class_config] if class_config else ["--deadline", DEADLINE]
    cmd = [str(REPO / ".venv" / "bin" / "grade"), "week2", str(repo), "--folder", folder, *when,
           "--out", str(out), "--jobs", str(jobs), *extra]
    start = time.monotonic()
    proc = subprocess.Popen(with_runtimes(cmd, env), env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    with PeakMemory(proc.pid) as mem:  # unshare and sh exec: proc.pid is the grade process itself
        output, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"grade failed ({' '.join(cmd)}):\n{output[-3000:]}")
    return time.monotonic() - start, mem.root_peak, mem.tree_peak, output


def scores(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "scores.json").read_text(encoding="utf-8"))["results"]


def overheads(results: list[dict[str, Any]]) -> list[float]:
    """Per submission: grading wall time minus the time the student's own cells took."""
    return [r["timings"]["total"] - r["timings"]["student_cells"] for r in results
            if "student_cells" in r.get("timings", {}) and "total" in r["timings"]]


def notebook_status(results: list[dict[str, Any]], status: str) -> set[str]:
    """Students whose `notebook_runs` check has this status in the grader's run ("fail": the
    notebook raised; "error": the grader could not execute it at all)."""
    return {r["submission"]["key"] for r in results
            if any(c["id"] == "notebook_runs" and c["status"] == status for c in r.get("checks", []))}


def median_max(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s / {max(values):.2f} s" if values else "-"


# ---------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--source", help="another class repository (URL, path or bundle) to clone; needs --folder")
    src.add_argument("--synthetic", "--n", dest="synthetic", type=int, metavar="N",
                     help="N synthetic submissions from the pack's variants (default when ../shared is absent: 16)")
    ap.add_argument("--folder", help=f"the week folder in --source (default {BUNDLE_FOLDER!r})")
    ap.add_argument("--limit", type=int, help="only the first N students (by key) of the cohort")
    ap.add_argument("--class-config", help="grade with this kubig-class.toml instead of --deadline " + DEADLINE)
    ap.add_argument("--scale", type=int, metavar="N", help="also grade N synthetic submissions once, cold")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-nbconvert", action="store_true", help="measure only (b) and (c)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--grade-args", default="", help="extra arguments for grade week2, e.g. '--no-warm'")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from grader.pack import load_pack
    from grader.runtime import load_runtime

    runtime = load_runtime(load_pack("week2"))
    root = Path(tempfile.mkdtemp(prefix="kubig-bench-"))
    extra = args.grade_args.split()
    try:
        if args.source or (args.synthetic is None and BUNDLE.is_file()):
            source = args.source or str(BUNDLE)
            folder = args.folder or BUNDLE_FOLDER
            label = f"{source}, folder {folder!r}"
            repo = clone_source(source, root / "class-repo")
        else:
            n = args.synthetic if args.synthetic is not None else 16
            folder = args.folder or SYNTHETIC_FOLDER
            label = f"{n} synthetic submissions (pack variants)" + ("" if args.synthetic else f"; {BUNDLE} absent")
            repo = build_synthetic(root / "class-repo", n, folder)
        if args.limit:
            repo = limit_cohort(repo, folder, args.limit, root / "class-repo-limited")
            label += f", first {args.limit} students"
        print(f"cohort: {label}", flush=True)
        notebooks = extract_notebooks(repo, folder, root / "nbconvert")

        if args.skip_nbconvert:
            a_total, a_times, trainings, a_peak = 0.0, {}, {}, 0
        else:
            print(f"(a) nbconvert over {len(notebooks)} notebooks, one by one", flush=True)
            a_total, a_times, trainings, a_peak = run_nbconvert(notebooks, runtime.bin, runtime.data)

        env = fresh_cache(root / "cache")
        print("(b) grade week2, cold", flush=True)
        b_total, b_root_peak, b_tree_peak, _ = run_grade(repo, folder, root / "out-b", env, args.jobs, extra,
                                                         args.class_config, root)
        print("(c) grade week2 again (regrade)", flush=True)
        c_total, _, _, c_out = run_grade(repo, folder, root / "out-c", env, args.jobs, extra,
                                         args.class_config, root)
        results = scores(root / "out-b")
        n = len(results)
        over = overheads(results)
        cells = [r["timings"]["student_cells"] for r in results if "student_cells" in r.get("timings", {})]

        s_total = None
        if args.scale:
            print(f"(s) grade week2 over {args.scale} synthetic submissions, cold", flush=True)
            s_repo = build_synthetic(root / "scale-repo", args.scale)
            s_total, _, _, _ = run_grade(s_repo, SYNTHETIC_FOLDER, root / "out-s", fresh_cache(root / "cache-s"),
                                         args.jobs, extra, None, root)

        blocking, not_trained = comparable(trainings, notebook_status(results, "fail"))
        na = len(notebooks)
        train_s = [t.seconds for t in trainings.values() if t.seconds is not None]
        grade_label = " ".join(["(b) grade week2", *extra, f"cold, --jobs {args.jobs}: total"])
        if args.skip_nbconvert:
            ratio = "-"
        elif blocking:
            ratio = f"not comparable ({blocking} notebooks did not train)"
        else:
            ratio = f"{b_total / a_total:.2f}" if a_total else "-"
        rows = [
            ("cohort", label),
            ("submissions graded / notebooks run in (a)", f"{n} / {na}"),
            ("(a) nbconvert, one by one: total", f"{a_total:.1f} s" if a_times else "skipped"),
            ("(a) per notebook (mean / median)",
             f"{a_total / na:.1f} s / {statistics.median(a_times.values()):.1f} s" if a_times else "-"),
            ("(a) FashionMNIST cell (median)", f"{statistics.median(train_s):.1f} s" if train_s else "-"),
            ("(a) notebooks that trained", f"{sum(t.trained for t in trainings.values())} of {na}" if a_times else "-"),
            (grade_label, f"{b_total:.1f} s"),
            ("(b) per submission", f"{b_total / n:.1f} s" if n else "-"),
            ("b/a", ratio),
            ("student cells per submission in (b) (median / max)", median_max(cells)),
            ("grader overhead per submission (wall − student cells; median / max)", median_max(over)),
            ("(c) regrade, nothing changed", f"{c_total:.1f} s"),
            ("peak memory (PSS): grader process", f"{b_root_peak / 2**20:.0f} MB"),
            ("peak memory (PSS): grader + all its children", f"{b_tree_peak / 2**20:.0f} MB"),
            ("peak memory (PSS): one nbconvert", f"{a_peak / 2**20:.0f} MB" if a_times else "-"),
        ]
        if s_total is not None and n:
            expected = args.scale / n * b_total
            rows += [
                (f"(s) {args.scale} synthetic, cold: total", f"{s_total:.1f} s"),
                (f"(s) per submission (vs (b): {b_total / n:.2f} s)", f"{s_total / args.scale:.2f} s"),
                (f"(s) / ({args.scale}/{n} × (b))", f"{s_total / expected:.2f}"),
            ]
        width = max(len(k) for k, _ in rows)
        print(f"\nKUBIG grader benchmark — {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs")
        for key, value in rows:
            print(f"| {key.ljust(width)} | {value} |")
        broken = notebook_status(results, "error")
        if broken:
            print(f"WARNING: the grader could not execute {len(broken)} notebooks in (b) (notebook_runs: error): "
                  f"{', '.join(sorted(broken))}; its figures do not measure grading")
        if not_trained:
            print("notebooks that did not train under nbconvert:")
            print("\n".join(not_trained))
        print("(c) said:", next((line.strip() for line in c_out.splitlines() if "reused from cache" in line), "?"))
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
