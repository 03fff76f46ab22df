"""Atomic file writes: a temp file in the same folder, fsync, then os.replace.

Readers never see a half-written file: they get the old version or the new one. A crash
mid-write leaves at most a hidden ``.<name>.*.tmp`` file, which is removed on error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_MODE = 0o644


def _fsync_dir(folder: Path) -> None:
    """Persist the rename itself (POSIX only; a no-op where directories cannot be opened)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomic(path: str | Path, data: bytes, mode: int = DEFAULT_MODE) -> Path:
    """Write data to path atomically (creating parent folders) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if hasattr(os, "chmod"):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def write_text_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text atomically (no newline translation)."""
    return write_bytes_atomic(path, text.encode(encoding))


def write_json_atomic(path: str | Path, obj: Any, indent: int | None = 2) -> Path:
    """Write obj as UTF-8 JSON (non-ASCII kept readable) atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, default=str)
    return write_text_atomic(path, text + "\n")


def write_folder_atomic(target: Path, fill: Callable[[Path], None]) -> Path:
    """Replace the folder (or file) target by a folder that fill(tmp) wrote into a temporary
    sibling; a failure leaves target as it was and no temporary folder behind."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name[:60]}.", suffix=".tmp", dir=target.parent))
    try:
        fill(tmp)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def remove_all_but(folder: Path, keep: str) -> None:
    """Remove every entry of folder except the one named keep (entries of earlier runs)."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name == keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                child.unlink()
