"""Small HTML helpers for report.html: escaping student text, bilingual labels, inline images."""

from __future__ import annotations

import re
from html import escape

from grader.models import ImagePreview, Message
from grader.report.text import MAX_BLOCK_CHARS, MAX_INLINE_CHARS, clip, plain

IMAGE_MIMES = frozenset({"image/png", "image/jpeg"})
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def e(text: object, limit: int = MAX_INLINE_CHARS) -> str:
    """A (student-derived) string made inert in HTML text or a quoted attribute, capped."""
    return escape(clip(plain(text), limit))


def t(message: Message, lang: str, limit: int = MAX_INLINE_CHARS * 2) -> str:
    """Escaped text in the page language (capped: messages may quote student text)."""
    return e(message.en if lang == "en" else message.ko, limit)


def pre(text: object, limit: int = MAX_BLOCK_CHARS) -> str:
    """Multi-line (student-derived) text, verbatim and escaped."""
    return f"<pre>{e(text, limit)}</pre>"


def image(preview: ImagePreview, css: str = "shot") -> str:
    """An <img> with the preview inline as a data: URI, or "" when it is not one of our PNG/JPEG
    encodings (a mime or payload that does not look like ours is never embedded)."""
    if preview.mime not in IMAGE_MIMES or not _BASE64.fullmatch(preview.data or ""):
        return ""
    size = f"{preview.original_width}×{preview.original_height}"
    return (f'<figure class="{escape(css)}"><img alt="{e(preview.name, 160)}" '
            f'src="data:{preview.mime};base64,{preview.data}">'
            f"<figcaption>{e(preview.name, 160)} ({size})</figcaption></figure>")
