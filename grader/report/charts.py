"""Charts for the HTML report (matplotlib, Agg, no pyplot) and the search for a Hangul font.

Korean labels are used only when a font with Hangul glyphs is found (fonts-nanum on Debian,
Noto Sans CJK, Malgun Gothic, Apple SD Gothic Neo, …); otherwise the charts are labelled in
English. $KUBIG_REPORT_FONT may name a font file to use.
"""

from __future__ import annotations

import base64
import glob
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

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
    try:
        font = font_manager.get_font(path)
        return all(font.get_char_index(ord(ch)) for ch in HANGUL_PROBE)
    except Exception:  # unreadable or unsupported font file
        return False


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The family name of a Hangul-capable font registered with matplotlib, or None."""
    env = os.environ.get("KUBIG_REPORT_FONT")
    candidates = [env] if env else []
    candidates += sorted(set(_fc_list_paths()) | set(_glob_paths()), key=_rank)
    for path in candidates:
        if path and Path(path).is_file() and has_hangul(path):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def _png_base64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _families(font: str | None) -> list[str]:
    return [font, "DejaVu Sans"] if font else ["DejaVu Sans"]


def histogram_png(totals: list[float], max_total: float, font: str | None, korean: bool) -> str:
    """Histogram of graded students' totals, as base64 PNG."""
    with matplotlib.rc_context({"font.family": _families(font), "axes.unicode_minus": False}):
        fig = Figure(figsize=(6.4, 3.6))
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


def pass_rate_png(rates: dict[str, float], font: str | None, korean: bool) -> str:
    """Horizontal bars: share of graded students passing each check, as base64 PNG."""
    with matplotlib.rc_context({"font.family": _families(font)}):
        ids = list(rates)[::-1]
        fig = Figure(figsize=(6.4, max(2.0, 0.32 * len(ids) + 1.0)))
        ax = fig.add_subplot()
        values = [100 * rates[i] for i in ids]
        ax.barh(ids, values, color=["#55A868" if v >= 50 else "#C44E52" for v in values])
        for y, v in enumerate(values):
            ax.text(min(v + 1, 92), y, f"{v:.0f}%", va="center", fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("통과율 (%)" if korean else "Pass rate (%)")
        ax.set_title("항목별 통과율" if korean else "Pass rate per check")
        return _png_base64(fig)
