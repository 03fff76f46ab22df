"""Where the grader keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$KUBIG_CACHE, else $XDG_CACHE_HOME/kubig-grader, else ~/.cache/kubig-grader."""
    if os.environ.get("KUBIG_CACHE"):
        return Path(os.environ["KUBIG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubig-grader"
