"""Winnowed token fingerprints of notebook code (Schleimer, Wilkerson & Aiken 2003, as in MOSS).

A code cell is tokenised with Python's `tokenize`; comments, whitespace and line structure
are dropped, and tokens are normalised so that renaming does not hide a copy: every
identifier a student chooses becomes `V` (keywords, builtins and attribute names after `.`
such as `.sum` or `.reshape` are kept), numbers become `N`, strings `S`. Every k consecutive
tokens of a cell (a k-gram) are hashed; winnowing keeps the smallest hash of every window of
w consecutive k-grams, which guarantees that any shared run of at least w + k - 1 tokens is
seen. Each fingerprint remembers where it came from: the cell and its lines.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

K = 8  # tokens per k-gram
W = 4  # winnowing window (k-grams)

_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}
_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}
_BUILTINS = frozenset(dir(builtins))
_FALLBACK = re.compile(r"#[^\n]*|[A-Za-z_]\w*|\d[\w.]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|\S")
_MAGIC = re.compile(r"^\s*[!%?]")


@dataclass(frozen=True)
class Token:
    text: str  # normalised
    line: int  # 1-based, within the cell


@dataclass(frozen=True)
class Span:
    """Where a fingerprint's k-gram is: a cell (index in the notebook) and its first/last line."""

    cell: int
    first: int
    last: int


def _normal(kind: int, text: str, previous: str) -> str:
    if kind == tokenize.NAME:
        if keyword.iskeyword(text) or previous == "." or text in _BUILTINS:
            return text
        return "V"
    if kind == tokenize.NUMBER:
        return "N"
    if kind == tokenize.STRING:
        return "S"
    return text


def _fallback_tokens(source: str) -> list[Token]:
    """Tokens of code `tokenize` refuses (an unfinished blank, a stray indent)."""
    out: list[Token] = []
    for lineno, line in enumerate(source.splitlines(), 1):
        for match in _FALLBACK.finditer(line):
            text = match.group()
            if text.startswith("#"):
                continue
            kind = (tokenize.NAME if text[0].isalpha() or text[0] == "_" else tokenize.NUMBER if text[0].isdigit()
                    else tokenize.STRING if text[0] in "\"'" else tokenize.OP)
            out.append(Token(_normal(kind, text, out[-1].text if out else ""), lineno))
    return out


def code_tokens(source: str) -> list[Token]:
    """The normalised tokens of one code cell (shell and magic lines blanked, line numbers kept)."""
    source = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    out: list[Token] = []
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _SKIP or (tok.type in _FSTRING and tok.type != getattr(tokenize, "FSTRING_START", None)):
                continue
            text = "S" if tok.type in _FSTRING else _normal(tok.type, tok.string, previous)
            previous = tok.string
            out.append(Token(text, tok.start[0]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return _fallback_tokens(source)
    return out


def _hash(texts: Iterable[str]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).digest(), "big")


def kgrams(tokens: list[Token], k: int = K) -> list[tuple[int, int, int]]:
    """(hash, first line, last line) of every k-gram of the tokens."""
    texts = [t.text for t in tokens]
    return [(_hash(texts[i:i + k]), tokens[i].line, tokens[i + k - 1].line) for i in range(len(tokens) - k + 1)]


def winnow(grams: list[tuple[int, int, int]], w: int = W) -> list[tuple[int, int, int]]:
    """The k-grams winnowing selects: the rightmost smallest hash of each window of w, once each."""
    if len(grams) <= w:
        return list(grams[:1]) if grams else []
    chosen: list[int] = []
    for start in range(len(grams) - w + 1):
        window = range(start, start + w)
        best = min(window, key=lambda i: (grams[i][0], -i))
        if not chosen or chosen[-1] != best:
            chosen.append(best)
    return [grams[i] for i in chosen]


def fingerprints(cells: Iterable[tuple[int, str]], k: int = K, w: int = W) -> dict[int, list[Span]]:
    """Winnowed fingerprints of a notebook's code cells ((index, source) pairs): hash → spans."""
    out: dict[int, list[Span]] = {}
    for index, source in cells:
        for h, first, last in winnow(kgrams(code_tokens(source), k), w):
            out.setdefault(h, []).append(Span(index, first, last))
    return out


def all_kgram_hashes(cells: Iterable[tuple[int, str]], k: int = K) -> set[int]:
    """Every k-gram hash of some code (not only the winnowed ones): what to subtract."""
    return {h for _, source in cells for h, _, _ in kgrams(code_tokens(source), k)}
