"""Values a check derives from a file's content alone (an image's OCR), kept across runs.

A `Memo` answers `get(kind, key)` from memory, then from `<folder>/<kind>/<key>.json`; `put`
stores both (the file atomically). The caller makes `key` from the content (its sha256) and
puts the version of the code that computed the value into `kind`, so changed code never reads
an old value. Without a folder (self-checks, tests, `--no-cache`) it remembers within the run.
Values are plain JSON written by the grader itself; one that does not parse is not an answer.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any

from grader.atomic import write_json_atomic

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def memo_key(*parts: Any) -> str:
    """A key made from everything a value depends on: sha256 of the parts as JSON."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_stamp(path: str | Path) -> list[Any]:
    """A file's path, size and modification time (None when missing): changes when it is replaced."""
    try:
        st = Path(path).stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


class Memo:
    """One grading run's memo (per `Grader`); `folder` None: memory only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._here: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _file(self, kind: str, key: str) -> Path | None:
        if self.folder is None:
            return None
        for name in (kind, key):
            if not _NAME.fullmatch(name):
                raise ValueError(f"memo names are plain words: {name!r}")
        return self.folder / kind / f"{key}.json"

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            if (kind, key) in self._here:
                return self._here[(kind, key)]
        path = self._file(kind, key)
        if path is None or not path.is_file():
            return None
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(value, dict):
            return None
        with self._lock:
            self._here[(kind, key)] = value
        return value

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        path = self._file(kind, key)
        with self._lock:
            self._here[(kind, key)] = value
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_json_atomic(path, value, indent=None)
            except OSError:  # a read-only cache costs the next run time, not this one's result
                pass
