"""Where submissions come from: the class repository, per-student repositories, local files.

Every source returns `grader.models.Submission` objects whose `path` is a plain local file or
folder (git versions are materialised), so later stages never touch git.
"""

from grader.sources.classrepo import discover_class_repo
from grader.sources.gitcache import SourceError, fetch_repo
from grader.sources.local import discover_local
from grader.sources.roster import RosterError, RosterRow, discover_roster, load_roster

__all__ = [
    "RosterError",
    "RosterRow",
    "SourceError",
    "discover_class_repo",
    "discover_local",
    "discover_roster",
    "fetch_repo",
    "load_roster",
]
