"""The result cache key covers the pack's own files and the grader core separately: changing one
pack's code (say week 2's Playground reader) regrades that pack only."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.cache import ResultCache, grader_hash
from grader.models import Submission
from grader.pack import REPO_ROOT, load_pack


def _copy_pack(src: Path, dest: Path, new_id: str | None = None) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    if new_id:
        manifest = dest / "assignment.toml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace('id = "week2"', f'id = "{new_id}"', 1),
                            encoding="utf-8")
    return dest


def _sub(path: Path) -> Submission:
    return Submission(key="22기_박세훈", cohort=22, name="박세훈", path=path, display_name=path.name,
                      source_path=str(path))


def test_changing_one_pack_keeps_the_other_packs_results(tmp_path: Path) -> None:
    two = _copy_pack(REPO_ROOT / "assignments" / "week2", tmp_path / "packs" / "week2")
    other = _copy_pack(REPO_ROOT / "assignments" / "week2", tmp_path / "packs" / "other", new_id="other")
    upload = tmp_path / "2주차 과제_22기_박세훈.zip"
    upload.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    cache_root = tmp_path / "cache"

    def keys() -> tuple[str | None, str | None]:
        return (ResultCache(cache_root, load_pack(two)).key(_sub(upload)),
                ResultCache(cache_root, load_pack(other)).key(_sub(upload)))

    before_two, before_other = keys()
    assert before_two != before_other  # each pack's results are its own
    core = grader_hash()
    reader = two / "playground" / "reader.py"  # tune week 2's OCR …
    reader.write_text(reader.read_text(encoding="utf-8").replace("_MIN_VALUE_CONTRAST = 90", "_MIN_VALUE_CONTRAST = 91"),
                      encoding="utf-8")
    after_two, after_other = keys()
    assert after_two != before_two  # … its results are stale
    assert after_other == before_other  # … the other pack's are not
    assert grader_hash() == core  # and the grader core did not change


def test_grader_core_hash_covers_grader_code_only() -> None:
    root = REPO_ROOT / "grader"
    assert (root / "ocr.py").is_file()  # the generic OCR helpers are core
    assert not list(root.rglob("*playground*"))  # week 2's Playground code is the pack's
