"""The similarity hint (grader/similarity): winnowed token fingerprints of the code students
filled in, the pack's template and reference subtracted. Synthetic students built on the
week-2 pack's own template: two copy each other's blanks with renamed variables, new comments
and spacing; the others only share the template (or the reference's answers)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import nbformat
import pytest

from grader.memo import Memo
from grader.pack import Pack, load_pack
from grader.similarity.collect import pack_cells
from grader.similarity.compare import StudentCode, compare
from grader.similarity.fingerprints import code_tokens
from grader.similarity import report as similarity_report
from grader.similarity.report import similarity_csv, similarity_html, write_similarity, write_similarity_remembered
from grader.sources.local import discover_local
from zipfactory import UTF8_FLAG, ZEntry, write_zip

SOFTMAX_CELL = 18
CE_CELL = 26

# An unusual way to fill the softmax and cross-entropy blanks (what a copier would take along).
ORIGINAL = {
    SOFTMAX_CELL: '''def softmax(X):
    # subtract the row max for stability, then normalise row by row
    shifted = X - X.max(dim=1, keepdim=True).values
    numer = torch.exp(shifted)
    denom = numer.sum(dim=1, keepdim=True)
    out = torch.zeros_like(numer)
    for row in range(numer.shape[0]):
        out[row] = numer[row] / denom[row]
    return out''',
    CE_CELL: '''def cross_entropy(y_hat, y):
    picked = []
    for i in range(len(y)):
        picked.append(-torch.log(y_hat[i][y[i]] + 1e-12))
    return torch.stack(picked).mean()

cross_entropy(y_hat, y)''',
}
# The same code with every variable renamed, other comments and spacing: what a copy looks like.
RENAMED = {
    SOFTMAX_CELL: '''def softmax(X):
    # 안정성을 위해 최댓값을 뺀다
    z = X-X.max(dim=1,keepdim=True).values
    top = torch.exp(z)

    bottom = top.sum(dim=1, keepdim=True)
    result = torch.zeros_like(top)
    for r in range(top.shape[0]):
        result[r] = top[r]/bottom[r]   # 행마다 나누기
    return result''',
    CE_CELL: '''def cross_entropy(y_hat, y):
    losses = []
    for k in range(len(y)):
        losses.append(-torch.log(y_hat[k][y[k]] + 1e-12))
    return torch.stack(losses).mean()

cross_entropy(y_hat, y)''',
}
# Honest students: their own, different answers.
OWN_A = {SOFTMAX_CELL: "def softmax(X):\n    e = torch.exp(X)\n    return e / e.sum(1, keepdim=True)",
         CE_CELL: "def cross_entropy(y_hat, y):\n    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()\n\n"
                  "cross_entropy(y_hat, y)"}
OWN_B = {SOFTMAX_CELL: "def softmax(X):\n    return torch.softmax(X, dim=1)",
         CE_CELL: "def cross_entropy(y_hat, y):\n    return torch.nn.functional.nll_loss(torch.log(y_hat), y)\n\n"
                  "cross_entropy(y_hat, y)"}


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("week2")


def _student(pack: Pack, key: str, answers: dict[int, str]) -> StudentCode:
    cells = dict(pack_cells(pack, "template"))
    cells.update(answers)
    return StudentCode(key, key, tuple(sorted(cells.items())))


def _cohort(pack: Pack) -> list[StudentCode]:
    reference = {i: src for i, src in pack_cells(pack, "reference") if i in (SOFTMAX_CELL, CE_CELL)}
    return [
        _student(pack, "copied", ORIGINAL), _student(pack, "copier", RENAMED),
        _student(pack, "own_a", OWN_A), _student(pack, "own_b", OWN_B),
        _student(pack, "template_1", {}), _student(pack, "template_2", {}),
        _student(pack, "reference_1", reference), _student(pack, "reference_2", reference),
    ]


def test_renaming_and_comments_do_not_change_the_tokens() -> None:
    a = [t.text for t in code_tokens(ORIGINAL[CE_CELL])]
    b = [t.text for t in code_tokens(RENAMED[CE_CELL])]
    assert a == b and "V" in a and "log" in a and "append" in a  # names → V; attributes kept


def test_copied_blanks_are_flagged_with_the_shared_fragment(pack: Pack) -> None:
    result = compare(_cohort(pack), pack_cells(pack, "template"), pack_cells(pack, "reference"))
    assert [(p.a, p.b) for p in result.flagged] == [("copied", "copier")]
    pair = result.flagged[0]
    assert pair.containment > 0.9 and pair.exclusive >= 8
    cells = {(f.a.cell, f.b.cell) for f in pair.fragments}
    assert {(SOFTMAX_CELL, SOFTMAX_CELL), (CE_CELL, CE_CELL)} <= cells
    ce = next(f for f in pair.fragments if f.a.cell == CE_CELL)
    assert ce.a.first <= 2 and ce.b.first <= 2 and ce.a.last >= 5 and ce.b.last >= 5  # the loop, lines 2-5 in both


def test_template_and_reference_alone_make_no_pair(pack: Pack) -> None:
    result = compare(_cohort(pack), pack_cells(pack, "template"), pack_cells(pack, "reference"))
    assert result.own["template_1"] == result.own["template_2"] == 0
    assert result.own["reference_1"] == result.own["reference_2"] == 0
    honest = {"own_a", "own_b", "template_1", "template_2", "reference_1", "reference_2"}
    assert not [p for p in result.pairs if p.flagged and {p.a, p.b} & honest]
    # without subtracting the template every pair looks alike: what the subtraction is for
    raw = compare(_cohort(pack)[:3])
    assert min(p.containment for p in raw.pairs) > 0.8


def _write_zips(pack: Pack, folder: Path) -> None:
    folder.mkdir()
    template = nbformat.read(str(pack.file("template")), as_version=4)
    for student in _cohort(pack)[:5]:
        nb = nbformat.from_dict(template)
        for index, source in student.cells:
            nb.cells[index].source = source
        name = "<b>Copier" if student.key == "copier" else student.key.replace("_", "")
        write_zip(folder / f"2주차 과제_25기_{name}.zip",
                  [ZEntry("2주차 과제.ipynb", nbformat.writes(nb).encode(), flags=UTF8_FLAG)])


def test_report_files_from_real_zips(pack: Pack, tmp_path: Path) -> None:
    """write_similarity opens the zips as grading does and writes the leader's csv and page."""
    folder = tmp_path / "subs"
    _write_zips(pack, folder)
    subs = discover_local(folder, pack)
    result = write_similarity(subs, pack, tmp_path / "report", lang="en")
    assert [{p.a, p.b} for p in result.flagged] == [{"25기_copied", "25기_<b>Copier"}]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "report" / "similarity.csv").read_text(encoding="utf-8-sig"))))
    flagged = [r for r in rows if r["flagged"] == "1"]
    assert len(flagged) == 1 and f"cell {CE_CELL} L1-" in flagged[0]["fragments"]
    page = (tmp_path / "report" / "similarity.html").read_text(encoding="utf-8")
    assert "<b>Copier" not in page and "&lt;b&gt;Copier" in page
    assert "losses.append(-torch.log(y_hat[k][y[k]] + 1e-12))" in page  # the shared fragment, both sides
    assert "picked.append(-torch.log(y_hat[i][y[i]] + 1e-12))" in page
    assert "<script" not in page


def test_an_unchanged_cohort_reuses_its_hint(pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A regrade writes the same files without comparing again; a changed submission is compared again."""
    folder, memo = tmp_path / "subs", Memo(tmp_path / "memo")
    _write_zips(pack, folder)
    subs = discover_local(folder, pack)
    assert write_similarity_remembered(subs, pack, tmp_path / "first", memo, lang="en") == 1
    first = {name: (tmp_path / "first" / name).read_bytes() for name in ("similarity.csv", "similarity.html")}
    write_similarity(subs, pack, tmp_path / "plain", lang="en")
    assert {name: (tmp_path / "plain" / name).read_bytes() for name in first} == first
    compared = []
    real_compare = similarity_report._compare
    monkeypatch.setattr(similarity_report, "_compare", lambda *a: compared.append(1) or real_compare(*a))
    assert write_similarity_remembered(subs, pack, tmp_path / "again", memo, lang="en") == 1
    assert {name: (tmp_path / "again" / name).read_bytes() for name in first} == first and not compared
    copier = next(p for p in folder.iterdir() if "Copier" in p.name)
    copier.unlink()  # the copier withdrew: nothing is flagged any more
    assert write_similarity_remembered(discover_local(folder, pack), pack, tmp_path / "changed", memo, lang="en") == 0
    assert compared == [1]


def test_csv_defuses_formulas_and_html_escapes(pack: Pack) -> None:
    evil = [StudentCode("=cmd|' /C calc'!A0", "=HYPERLINK(1)", ((0, ORIGINAL[CE_CELL]),)),
            StudentCode("<script>", "<script>alert(1)</script>", ((0, RENAMED[CE_CELL] + "\n# </pre><script>"),))]
    result = compare(evil)
    rows = list(csv.reader(io.StringIO(similarity_csv(result).decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][2].startswith("'=")
    page = similarity_html(result, pack)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
