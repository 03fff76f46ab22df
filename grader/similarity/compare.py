"""Compare every pair of students' fingerprints once the template's own code is taken out.

What every student shares because the class gave it to them must not make pairs look alike:
every k-gram of the template (and of the reference solution, when given) is subtracted, and so
is any fingerprint more than `common_share` of the cohort has (the code everybody writes).
What is left is each student's own filling of the blanks. Short blanks have few natural
answers (the textbook's cross-entropy, `X_exp = torch.exp(X)`): several students write them
alike without copying. So a pair is flagged only when it shares many fingerprints that no
other student has (`exclusive`) and those shared ones make up a large part of the smaller side
(`containment`). On the real week-2 and week-3 cohorts the largest exclusive count between
two different students was 5 (README "Similarity hint").
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

from grader.similarity.fingerprints import K, W, Span, all_kgram_hashes, fingerprints

MIN_EXCLUSIVE = 8  # fingerprints only the two students share, before a pair can be flagged
MIN_CONTAINMENT = 0.5  # share of the smaller side's own fingerprints found in the other
COMMON_SHARE = 0.5  # fingerprints held by more than this share of the cohort are common code
MIN_COHORT_FOR_COMMON = 4


@dataclass(frozen=True)
class StudentCode:
    """One student's notebook code: (cell index in the notebook, source) per code cell."""

    key: str
    name: str
    cells: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Fragment:
    """Code both students have: a cell and line range in each notebook."""

    a: Span
    b: Span
    fingerprints: int


@dataclass(frozen=True)
class Pair:
    a: str  # student keys
    b: str
    own_a: int  # fingerprints left after subtraction
    own_b: int
    shared: int
    exclusive: int  # shared fingerprints no other student of the cohort has
    jaccard: float
    containment: float  # shared / the smaller side
    flagged: bool
    fragments: tuple[Fragment, ...] = ()


@dataclass(frozen=True)
class Settings:
    k: int = K
    w: int = W
    min_exclusive: int = MIN_EXCLUSIVE
    min_containment: float = MIN_CONTAINMENT
    common_share: float = COMMON_SHARE


@dataclass(frozen=True)
class Comparison:
    students: tuple[StudentCode, ...]
    pairs: tuple[Pair, ...]  # every pair sharing a fingerprint: flagged first, then by exclusive, containment
    own: dict[str, int]  # fingerprints each student has after subtraction
    removed_template: int  # template/reference k-grams subtracted
    removed_common: int  # fingerprints dropped as common to the cohort
    settings: Settings = field(default_factory=Settings)

    @property
    def flagged(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.flagged)

    def distribution(self) -> dict[str, float | int]:
        """Containment over all pairs of students (pairs sharing nothing count as 0)."""
        n = len(self.students)
        total = n * (n - 1) // 2
        values = sorted([p.containment for p in self.pairs] + [0.0] * (total - len(self.pairs)))
        if not values:
            return {"pairs": 0, "flagged": 0}
        return {"pairs": total, "flagged": len(self.flagged), "min": values[0],
                "median": statistics.median(values), "p90": values[int(0.9 * (len(values) - 1))],
                "max": values[-1]}


def _fragments(a: dict[int, list[Span]], b: dict[int, list[Span]], shared: set[int]) -> tuple[Fragment, ...]:
    """Shared fingerprints merged into runs of neighbouring lines in both notebooks."""
    hits = sorted(((a[h][0], b[h][0]) for h in shared), key=lambda ab: (ab[0].cell, ab[0].first, ab[1].cell))
    merged: list[list] = []
    for sa, sb in hits:
        if merged:
            ca, cb, n = merged[-1]
            if (sa.cell == ca.cell and sb.cell == cb.cell and sa.first <= ca.last + 1
                    and cb.first - 1 <= sb.first <= cb.last + 1):
                merged[-1] = [Span(ca.cell, ca.first, max(ca.last, sa.last)),
                              Span(cb.cell, min(cb.first, sb.first), max(cb.last, sb.last)), n + 1]
                continue
        merged.append([sa, sb, 1])
    return tuple(sorted((Fragment(sa, sb, n) for sa, sb, n in merged), key=lambda f: -f.fingerprints))


def compare(students: list[StudentCode], template: list[tuple[int, str]] = (),
            reference: list[tuple[int, str]] = (), settings: Settings = Settings()) -> Comparison:
    """Fingerprint every student, subtract the template/reference/common code, compare every pair."""
    given = all_kgram_hashes([*template, *reference], settings.k)
    prints = {s.key: fingerprints(s.cells, settings.k, settings.w) for s in students}
    removed_template = 0
    for fp in prints.values():
        for h in given & fp.keys():
            del fp[h]
            removed_template += 1
    removed_common = 0
    holders = Counter(h for fp in prints.values() for h in fp)
    if len(students) >= MIN_COHORT_FOR_COMMON:
        common = {h for h, n in holders.items() if n > settings.common_share * len(students)}
        for fp in prints.values():
            for h in common & fp.keys():
                del fp[h]
                removed_common += 1
    pairs = []
    for sa, sb in combinations(students, 2):
        a, b = prints[sa.key], prints[sb.key]
        shared = a.keys() & b.keys()
        if not shared:
            continue
        union = len(a.keys() | b.keys())
        containment = len(shared) / min(len(a), len(b))
        exclusive = sum(holders[h] == 2 for h in shared)
        flagged = exclusive >= settings.min_exclusive and containment >= settings.min_containment
        pairs.append(Pair(sa.key, sb.key, len(a), len(b), len(shared), exclusive, len(shared) / union, containment,
                          flagged, _fragments(a, b, set(shared))))
    pairs.sort(key=lambda p: (-p.flagged, -p.exclusive, -p.containment, p.a, p.b))
    return Comparison(tuple(students), tuple(pairs), {k: len(v) for k, v in prints.items()},
                      removed_template, removed_common, settings)
