"""Charts for the HTML report (matplotlib, Agg, no pyplot) and the search for a Hangul font.

Korean labels are used only when a font with Hangul glyphs is found (fonts-nanum on Debian,
Noto Sans CJK, Malgun Gothic, Apple SD Gothic Neo, …); otherwise the charts are labelled in
English. $KUBIG_REPORT_FONT may name a font file to use.

Drawing is the slow part of a report, so a chart, and the font found, are remembered
(`grader.memo`, in `<cache>/memo/report/`) under a hash of everything they depend on: a
regrade of an unchanged cohort draws nothing and does not import matplotlib.
"""

from __future__ import annotations

import base64
import glob
import importlib.util
import io
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.memo import Memo, file_stamp, memo_key
from grader.paths import cache_dir

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HANGUL_PROBE = "한글"
PREFERRED_STEMS: tuple[str, ...] = (
    "nanumgothic", "nanumbarungothic", "notosanscjk-regular", "notosanscjkkr-regular",
    "notosanskr-regular", "malgun", "applesdgothicneo", "applegothic", "undotum",
)
FONT_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/**/*Nanum*.[ot]t[fc]", "/usr/share/fonts/**/*CJK*.[ot]t[fc]",
    "/usr/share/fonts/**/*KR*.[ot]t[fc]", "/usr/local/share/fonts/**/*.[ot]t[fc]",
    "/System/Library/Fonts/*Gothic*", "/Library/Fonts/*Gothic*", "C:/Windows/Fonts/malgun*.ttf",
)


def _fc_list_paths() -> Iterator[str]:
    """Font files fontconfig says cover Korean."""
    if not shutil.which("fc-list"):
        return
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return
    for line in out.splitlines():
        path = line.strip().rstrip(":").strip()
        if path:
            yield path


def _glob_paths() -> Iterator[str]:
    """Font files in the usual places whose names suggest Korean coverage."""
    for pattern in FONT_GLOBS:
        yield from glob.glob(pattern, recursive=True)


def _rank(path: str) -> tuple[int, str]:
    stem = Path(path).stem.lower()
    for i, preferred in enumerate(PREFERRED_STEMS):
        if stem == preferred:
            return (i, stem)
    bold = any(word in stem for word in ("bold", "heavy", "black", "light", "coding", "pen", "brush"))
    return (len(PREFERRED_STEMS) + int(bold), stem)


def has_hangul(path: str) -> bool:
    """Whether the font file has glyphs for Hangul."""
    from matplotlib import font_manager

    try:
        font = font_manager.get_font(path)
        return all(font.get_char_index(ord(ch)) for ch in HANGUL_PROBE)
    except Exception:  # unreadable or unsupported font file
        return False


def _candidates() -> list[str]:
    env = os.environ.get("KUBIG_REPORT_FONT")
    return ([env] if env else []) + sorted(set(_fc_list_paths()) | set(_glob_paths()), key=_rank)


@lru_cache(maxsize=1)
def _registered_font() -> str | None:
    """The family name of the first Hangul-capable candidate, registered with matplotlib, or None."""
    from matplotlib import font_manager

    for path in _candidates():
        if path and Path(path).is_file() and has_hangul(path):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _memo() -> Memo:
    return Memo(cache_dir() / "memo" / "report")


def _mpl_stamp() -> list[Any]:
    """Changes when matplotlib is upgraded (without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    return file_stamp(spec.origin) if spec and spec.origin else []


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The family name of a Hangul-capable font (registered with matplotlib before a chart is
    drawn), or None. Remembered while the candidate font files and matplotlib are unchanged."""
    key = memo_key([file_stamp(p) for p in _candidates() if p], _mpl_stamp())
    memo = _memo()
    found = memo.get("hangul-font", key)
    if found is None:
        found = {"family": _registered_font()}
        memo.put("hangul-font", key, found)
    family = found.get("family")
    return family if isinstance(family, str) else None


def _remembered(kind: str, inputs: list[Any], draw: Callable[[], str]) -> str:
    """draw()'s base64 PNG, or the one drawn before from the same inputs with the same code."""
    key = memo_key(inputs, _mpl_stamp(), file_stamp(__file__))
    memo = _memo()
    png = (memo.get(f"chart-{kind}", key) or {}).get("png")
    if not isinstance(png, str):
        png = draw()
        memo.put(f"chart-{kind}", key, {"png": png})
    return png


def _figure(size: tuple[float, float]) -> Figure:
    """A figure on the Agg canvas, with the Hangul font (if any) registered."""
    _registered_font()
    from matplotlib.figure import Figure

    return Figure(figsize=size)


def _rc(font: str | None, **extra: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    return matplotlib.rc_context({"font.family": _families(font), **extra})


def _png_base64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _families(font: str | None) -> list[str]:
    return [font, "DejaVu Sans"] if font else ["DejaVu Sans"]


def histogram_png(totals: list[float], max_total: float, font: str | None, korean: bool) -> str:
    """Histogram of graded students' totals, as base64 PNG."""
    def draw() -> str:
        from matplotlib.ticker import MaxNLocator

        with _rc(font, **{"axes.unicode_minus": False}):
            fig = _figure((6.4, 3.6))
            ax = fig.add_subplot()
            top = max([max_total, *totals, 1.0])
            if totals:
                ax.hist(totals, bins=20, range=(0, top), color="#4C72B0", edgecolor="white")
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            else:
                ax.text(0.5, 0.5, "채점된 제출물 없음" if korean else "no graded submissions",
                        ha="center", va="center", transform=ax.transAxes)
            ax.set_xlim(0, top)
            ax.set_xlabel("총점" if korean else "Total score")
            ax.set_ylabel("학생 수" if korean else "Students")
            ax.set_title("총점 분포" if korean else "Score distribution")
            return _png_base64(fig)

    return _remembered("histogram", [list(totals), max_total, font, korean], draw)


def pass_rate_png(rates: dict[str, float], font: str | None, korean: bool) -> str:
    """Horizontal bars: share of graded students passing each check, as base64 PNG."""
    def draw() -> str:
        with _rc(font):
            ids = list(rates)[::-1]
            fig = _figure((6.4, max(2.0, 0.32 * len(ids) + 1.0)))
            ax = fig.add_subplot()
            values = [100 * rates[i] for i in ids]
            ax.barh(ids, values, color=["#55A868" if v >= 50 else "#C44E52" for v in values])
            for y, v in enumerate(values):
                ax.text(min(v + 1, 92), y, f"{v:.0f}%", va="center", fontsize=8)
            ax.set_xlim(0, 100)
            ax.set_xlabel("통과율 (%)" if korean else "Pass rate (%)")
            ax.set_title("항목별 통과율" if korean else "Pass rate per check")
            return _png_base64(fig)

    return _remembered("pass-rate", [list(rates.items()), font, korean], draw)
