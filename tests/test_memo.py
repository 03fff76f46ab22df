"""What a check derives from file content alone (week 2's screenshot reading) is kept across
runs in KUBIG_CACHE/memo: a regrade after the grader or the pack changed, or a student who
resubmits with the same screenshot, does not OCR the same image again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import playground_png
from grader.memo import Memo
from grader.pack import Pack


def test_a_memo_with_a_folder_answers_the_next_run(tmp_path: Path) -> None:
    Memo(tmp_path).put("reading-v1", "abc123", {"test_loss": 0.004})
    later = Memo(tmp_path)  # the next run
    assert later.get("reading-v1", "abc123") == {"test_loss": 0.004}
    assert later.get("reading-v2", "abc123") is None  # other code, other kind: not an answer
    assert Memo().get("reading-v1", "abc123") is None  # no folder: this run only


def test_a_damaged_memo_file_is_no_answer(tmp_path: Path) -> None:
    Memo(tmp_path).put("reading-v1", "abc123", {"test_loss": 0.004})
    (tmp_path / "reading-v1" / "abc123.json").write_text("{not json", encoding="utf-8")
    assert Memo(tmp_path).get("reading-v1", "abc123") is None
    with pytest.raises(ValueError):
        Memo(tmp_path).get("../elsewhere", "abc123")


def mk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_screenshot_is_read_once_across_runs(tmp_path: Path, pack: Pack) -> None:
    checks = pack.module()
    shot = tmp_path / "shot.png"
    shot.write_bytes(playground_png(mk(tmp_path / "render"), dataset="spiral", test_loss="0.003", epoch="000,420"))
    first = checks._read_screenshot(Memo(tmp_path / "memo"), shot)
    assert (first.config.get("dataset"), first.test_loss, first.epoch) == ("spiral", 0.003, 420), first.problems
    [kept] = (tmp_path / "memo").glob("playground-reading-*/*.json")
    # The next run answers from the file: shown by changing the value kept there.
    value = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(json.dumps({**value, "test_loss": 0.25}), encoding="utf-8")
    assert checks._read_screenshot(Memo(tmp_path / "memo"), shot).test_loss == 0.25
    # Another image (other bytes) is read, not answered from the memo.
    other = tmp_path / "other.png"
    other.write_bytes(playground_png(mk(tmp_path / "render2"), dataset="xor", test_loss="0.002", epoch="000,077"))
    assert checks._read_screenshot(Memo(tmp_path / "memo"), other).test_loss == 0.002
