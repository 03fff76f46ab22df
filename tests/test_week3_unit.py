"""Week 3 without kernels: the NumPy references, the task-1 image check (real OCR on real and
synthetic images), the naming check over a student's files, the written-comparison reader on
the real notebooks, and the definitions loader on what real week-3 notebooks do."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from grader.check.context import CheckContext
from grader.execute.definitions import extract_definitions
from grader.intake.artifacts import open_submission
from grader.models import Status
from grader.pack import load_pack
from reference_solutions.week3 import layers, numerical, optimizers
from week3_real import BUNDLES, build_cohort

PACK = load_pack("week3")
CHECKS = PACK.module()
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
have_bundles = pytest.mark.skipif(not all(b.is_file() for b, _ in BUNDLES.values()), reason="real week-3 bundles not present")


# ------------------------------------------------------------------ references

def test_reference_backprop_equals_the_numerical_gradient() -> None:
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(7, 5)) * 0.5, "b1": rng.normal(size=5) * 0.1,
              "W2": rng.normal(size=(5, 3)) * 0.5, "b2": rng.normal(size=3) * 0.1}
    x, labels = rng.normal(size=(4, 7)), rng.integers(0, 3, size=4)
    for t in (labels, np.eye(3)[labels]):
        grads = layers.two_layer_gradient(params, x, t)
        for key, value in params.items():
            num = numerical.numerical_gradient(lambda: layers.two_layer_loss(params, x, t), value)
            assert numerical.relative_error(grads[key], num) < 1e-4, key


def test_reference_softmax_is_stable_and_cross_entropy_takes_both_target_forms() -> None:
    probs = layers.softmax(np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(probs)) and np.allclose(probs.sum(axis=-1), 1)
    y, labels = layers.softmax(np.random.default_rng(0).normal(size=(5, 4))), np.array([0, 3, 1, 1, 2])
    assert layers.cross_entropy_error(y, labels) == pytest.approx(layers.cross_entropy_error(y, np.eye(4)[labels]))
    assert layers.cross_entropy_error(y, labels) == pytest.approx(-np.mean(np.log(y[np.arange(5), labels])), rel=1e-5)


def test_reference_optimizers_keep_their_state_between_calls() -> None:
    params = {"W": np.ones((2, 2))}
    grads = [{"W": np.full((2, 2), 0.5)}] * 3
    momentum = optimizers.run_steps(optimizers.Momentum(lr=0.1, momentum=0.9), params, grads)
    steps = [1 - s["W"][0, 0] for s in momentum]  # v: −0.05, −0.095, −0.1355 (v kept)
    assert steps == pytest.approx([0.05, 0.145, 0.2805])
    adagrad = optimizers.run_steps(optimizers.AdaGrad(lr=0.1), params, grads)
    moves = np.diff([1.0] + [s["W"][0, 0] for s in adagrad])
    assert abs(moves[1]) < abs(moves[0])  # the accumulated h shrinks the step


# ------------------------------------------------------------------ task 1 and naming (real intake, real OCR)

def _typed_png(path: Path, lines: list[str]) -> Path:
    img = Image.new("RGB", (1100, 120 + 90 * len(lines)), "white")
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(FONT, 40)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 90 * i), line, fill="black", font=font)
    img.save(path)
    return path


def _context(folder: Path, tmp: Path) -> CheckContext:
    intake = open_submission(folder, tmp / "intake", PACK)
    return CheckContext(PACK, intake, None, None, None)


def _grade(check_id: str, folder: Path, tmp: Path):
    return CHECKS.CHECKS[check_id](_context(folder, tmp), PACK.check(check_id))


def test_typed_y_one_minus_y_passes_by_ocr_and_names_follow_the_convention(tmp_path: Path) -> None:
    folder = tmp_path / "25기_홍길동"
    folder.mkdir()
    _typed_png(folder / "3주차 과제1_25기_홍길동.png", ["x -> [x(-1)] -> [exp] -> [+1] -> [1/x] -> y", "dy/dx = y(1-y)"])
    shutil.copyfile(PACK.file("reference"), folder / "3주차 과제2_25기_홍길동.ipynb")
    graph = _grade("sigmoid_graph", folder, tmp_path)
    assert graph.status == Status.PASS and graph.points == graph.max_points and "y(1-y)" in graph.message.en
    naming = _grade("naming", folder, tmp_path)
    assert naming.status == Status.PASS, naming.message.en


def test_a_drawing_without_the_hint_goes_to_review_never_a_silent_verdict(tmp_path: Path) -> None:
    folder = tmp_path / "25기_홍길동"
    folder.mkdir()
    _typed_png(folder / "3주차 과제1_25기_홍길동.png", ["x -> -x -> exp -> +1 -> 1/x", "dy/dx = e^-x / (1+e^-x)^2"])
    graph = _grade("sigmoid_graph", folder, tmp_path)
    assert graph.status == Status.NEEDS_REVIEW and graph.points == 0
    assert "leader" in graph.message.en and "1100" in graph.message.en  # readable: its size is reported


def test_empty_image_fails_and_a_pdf_goes_to_review(tmp_path: Path) -> None:
    empty = tmp_path / "a" / "25기_홍길동"
    empty.mkdir(parents=True)
    (empty / "3주차 과제1_25기_홍길동.jpg").write_bytes(b"")
    (empty / "3주차_과제2_25기_홍길동.ipynb").write_bytes(PACK.file("reference").read_bytes())
    graph = _grade("sigmoid_graph", empty, tmp_path / "a")
    assert graph.status == Status.FAIL and "empty" in graph.message.en and "3주차 과제1_25기_홍길동.jpg" in graph.message.en
    naming = _grade("naming", empty, tmp_path / "a")
    assert naming.status == Status.FAIL and "'3주차_과제2_25기_홍길동.ipynb' → '3주차 과제2_25기_홍길동.ipynb'" in naming.message.en
    pdf = tmp_path / "b" / "25기_홍길동"
    pdf.mkdir(parents=True)
    (pdf / "3주차 과제1_25기_홍길동.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (pdf / "3주차 과제2_25기_홍길동.ipynb").write_bytes(PACK.file("reference").read_bytes())
    graph = _grade("sigmoid_graph", pdf, tmp_path / "b")
    assert graph.status == Status.NEEDS_REVIEW and "PDF" in graph.message.en and "3주차 과제1_25기_홍길동.pdf" in graph.message.en
    assert _grade("naming", pdf, tmp_path / "b").status == Status.PASS


def test_no_image_at_all_fails_with_the_name_to_use(tmp_path: Path) -> None:
    nb = tmp_path / "3주차 과제2_25기_홍길동.ipynb"
    nb.write_bytes(PACK.file("reference").read_bytes())
    graph = _grade("sigmoid_graph", nb, tmp_path)
    assert graph.status == Status.FAIL and "3주차 과제1_" in graph.message.en


# ------------------------------------------------------------------ the real notebooks, read (no kernel)

@pytest.fixture(scope="module")
def real_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_cohort(tmp_path_factory.mktemp("week3-real"))


@have_bundles
def test_written_comparison_on_the_real_notebooks(real_folder: Path, tmp_path: Path) -> None:
    """Labels from reading each notebook's last question (presence, not content)."""
    want = {"23기_신지유": Status.PASS, "23기_김석우": Status.PASS,  # answer in its own markdown cell
            "24기_이신영": Status.PASS, "24기_김가현": Status.PASS, "23기_홍준기": Status.PASS,  # short but there
            "22기_이은서": Status.PASS,  # old template, answered as comments after the plot
            "22기_성용빈": Status.NEEDS_REVIEW, "22기_이세훈": Status.NEEDS_REVIEW}  # old template: no question
    for student, status in want.items():
        got = _grade("written_comparison", real_folder / student, tmp_path / student)
        assert got.status == status, (student, got.message.en)
    blank = tmp_path / "blank"
    blank.mkdir()
    shutil.copyfile(PACK.file("template"), blank / "3주차 과제2_25기_홍길동.ipynb")
    got = _grade("written_comparison", blank, tmp_path / "t")
    assert got.status == Status.FAIL and got.points == 0


@have_bundles
def test_real_naming_verdicts(real_folder: Path, tmp_path: Path) -> None:
    for student in ("23기_신지유", "24기_박민준", "24기_고서연"):
        assert _grade("naming", real_folder / student, tmp_path / student).status == Status.PASS, student
    for zip_name, wrong in (("3주차_과제_24기_이정용.zip", ["'260723 w3.jpg' → '3주차 과제1_24기_이정용.jpg'",
                                                          "zip '3주차_과제_24기_이정용.zip' → '3주차 과제_24기_이정용.zip'"]),
                            ("3주차 과제_24기_김려원.zip", ["'3주차_과제2_24기_김려원.ipynb' → '3주차 과제2_24기_김려원.ipynb'"])):
        got = _grade("naming", real_folder / zip_name, tmp_path / zip_name)
        assert got.status == Status.FAIL and all(w in got.message.en for w in wrong), got.message.en
    lee = _grade("naming", real_folder / "23기_이서현", tmp_path / "lee")
    assert "JPG" not in lee.message.en  # an upper-case extension is still a jpg


def test_definitions_keep_an_indented_cell_and_an_import_in_a_class_body() -> None:
    """Two real week-3 notebooks ran fine in their kernels: IPython dedents a cell indented as
    a whole, and a class body may import. Loading must keep both (nothing runs but imports)."""
    cells = ["    class Relu:\n        def __init__(self):\n            self.mask = None\n",
             "class SoftmaxWithLoss:\n    import numpy as np\n    def forward(self, x):\n        return x\n"]
    defs = extract_definitions(cells)
    assert not defs.skipped, defs.skipped
    ns: dict = {}
    for statement in defs.statements:
        exec(statement, ns)  # noqa: S102 - our own literal cells
    assert ns["Relu"]().mask is None and ns["SoftmaxWithLoss"]().forward(3) == 3


def test_task_number_is_not_part_of_a_latin_name(tmp_path: Path) -> None:
    folder = tmp_path / "99기_Reference"
    folder.mkdir()
    _typed_png(folder / "3주차 과제1_99기_Reference.png", ["dy/dx = y(1-y)"])
    shutil.copyfile(PACK.file("reference"), folder / "3주차_과제2_99기_Reference.ipynb")
    naming = _grade("naming", folder, tmp_path)
    assert naming.status == Status.FAIL
    assert naming.message.en.endswith("'3주차_과제2_99기_Reference.ipynb' → '3주차 과제2_99기_Reference.ipynb'."), naming.message.en


# ------------------------------------------------------------------ every bug variant, probes run here

def _probe_in_process(nb: dict, seed: int) -> dict:
    """The pack's probes on our own variant notebooks' definitions, in this process (our code,
    not a student's): the checks' arithmetic for every variant, in seconds. The sandboxed path
    is exercised on a subset in test_week3_cohort.py."""
    from grader.execute.probes import ProbeOutput

    cells = [c.source for c in nb.cells if c.cell_type == "code"]
    ns: dict = {"__name__": "__main__"}
    for statement in extract_definitions(cells).statements:
        try:
            exec(statement, ns)  # noqa: S102 - our own variant notebooks
        except ImportError:
            pass  # torchvision is not in the grader's environment; no probe needs it
    probes_ns: dict = {"__name__": "probes"}
    exec(PACK.file("probes_module").read_text(encoding="utf-8"), probes_ns)  # noqa: S102
    hidden = CHECKS.make_inputs(np.random.default_rng(seed), None)
    outs = {}
    for name, fn in probes_ns["PROBES"].items():
        try:
            with np.errstate(all="ignore"):
                res = fn(ns, {k: v.copy() for k, v in hidden.inputs.items()}, hidden.params)
            outs[name] = ProbeOutput("ok", {k: v for k, v in res.items() if not isinstance(v, np.ndarray)},
                                     {k: np.asarray(v, dtype=np.float64) for k, v in res.items() if isinstance(v, np.ndarray)})
        except Exception as exc:  # noqa: BLE001 - a probe error is a result too
            outs[name] = ProbeOutput("error", error=f"{type(exc).__name__}: {exc}")
    return {"outs": outs, "hidden": hidden}


class _Probes:
    def __init__(self, outs: dict) -> None:
        self.outs = outs

    def get(self, name: str):
        return self.outs[name]


CODE_CHECKS = ("affine", "relu", "softmax", "cross_entropy", "softmax_with_loss", "sgd", "momentum", "adagrad",
               "network_gradient")


@pytest.mark.parametrize("name", [*PACK.module("variants_module").BUGS, *PACK.module("variants_module").ACCEPTED])
def test_every_variant_loses_exactly_its_points(name: str, tmp_path: Path) -> None:
    variants = PACK.module("variants_module")
    nb_path = tmp_path / "3주차 과제2_99기_홍길동.ipynb"
    nbformat.write(variants.make_notebook(variants.variant(name)), nb_path)
    intake = open_submission(nb_path, tmp_path / "intake", PACK)

    class Ran:
        status, cells, error_cells, detail = "ok", (), (), ""

    for seed in (0, 1):
        run = _probe_in_process(nbformat.read(nb_path, as_version=4), seed)
        ctx = CheckContext(PACK, intake, Ran(), _Probes(run["outs"]), run["hidden"])
        failing = {cid for cid in CODE_CHECKS
                   if (r := CHECKS.CHECKS[cid](ctx, PACK.check(cid))).points < r.max_points}
        assert failing == set(variants.variant(name).fails) & set(CODE_CHECKS), (seed, failing)


def test_demo_class_repository_holds_five_students(tmp_path: Path) -> None:
    """`grade week3` with no SOURCE grades this repository; here only its discovery (no kernel)."""
    from grader.sources.classrepo import discover_class_repo

    repo, folder = PACK.module("demo_module").build_demo_repo(tmp_path / "demo")
    found = discover_class_repo(str(repo), folder, PACK, tmp_path / "cache", tmp_path / "subs")
    assert sorted(s.key for s in found) == ["24기_정하늘", "25기_김민준", "25기_박지호", "25기_이서연", "25기_최유나"]
    assert not any(s.late for s in found)
