"""The shape of a text for the PII scanners: cheap tests of where a regex can match at all.

``shape(text)`` maps each ASCII digit to '0' and each capital to 'A' (characters beyond Latin-1
become '?', so offsets are kept). Searching the shape with bytes ``in`` and ``find`` (memchr-fast)
tells where a scanner's regex can start, so the regex runs only there: ``anchored`` for regexes
that start at a needle of the shape, ``within`` for regexes whose matches lie inside given spans.
A text with a decimal digit outside ASCII has no shape (``\\d`` would match it): scan it fully.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

__all__ = ["anchored", "find_all", "shape", "within"]

_SHAPE = bytes(
    ord("0") if chr(i).isdigit() and i < 128 else ord("A") if "A" <= chr(i) <= "Z" else i for i in range(256)
)
_ASCII = bytes(range(128))
_ANY_DIGIT_RE = re.compile(r"\d")


def shape(text: str) -> bytes | None:
    """The text's shape, or None when it has a decimal digit outside ASCII."""
    if not text.isascii():
        rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII)
        if _ANY_DIGIT_RE.search(rest.decode("utf-8", "surrogatepass")):
            return None
    return text.encode("latin-1", "replace").translate(_SHAPE)


def anchored(
    regex: re.Pattern[str], text: str, shape: bytes, needles: tuple[bytes, ...]
) -> list[re.Match[str]]:
    """``regex.finditer(text)`` for a regex whose matches start where one of ``needles`` is in the shape."""
    starts: set[int] = set()
    for needle in needles:
        i = shape.find(needle)
        while i != -1:
            starts.add(i)
            i = shape.find(needle, i + 1)
    out: list[re.Match[str]] = []
    end = 0
    for i in sorted(starts):
        if i >= end:
            m = regex.match(text, i)
            if m is not None:
                out.append(m)
                end = m.end()
    return out


def within(regex: re.Pattern[str], text: str, spans: Iterable[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``regex.finditer(text)`` for a regex whose matches all lie inside one of ``spans`` (in order) and
    whose final lookahead reads at most two characters past a match."""
    for start, end in spans:
        for m in regex.finditer(text, start, end + 2):
            if m.start() >= end:
                break
            yield m


def find_all(text: str, needle: str) -> list[int]:
    """Every index where ``needle`` starts in ``text`` (overlapping occurrences included)."""
    out = []
    i = text.find(needle)
    while i != -1:
        out.append(i)
        i = text.find(needle, i + 1)
    return out
