"""Whole-word, case-insensitive matching of a policy's term lists (blocked terms, competitors).

All terms are compiled once into a single regular expression. Word boundaries are applied only
on the sides of a term that begin or end with a word character, so terms such as ``"100% secure"``,
``"risk-free"`` or ``"C++"`` behave as a reader expects. Inside a term, any run of whitespace
matches any run of whitespace, and a hyphen also matches a space or nothing (``"risk-free"``
matches ``"risk free"`` and ``"riskfree"``). Straight and curly apostrophes are interchangeable.

Known limit: at one position only the longest term is reported, so with both ``"risk"`` and
``"risk-free"`` in the list, the text ``"risk-free"`` reports ``"risk-free"`` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["StemPatterns", "TermMatcher"]

_SPACE = re.compile(r"\s+")
_KEY_DROP = re.compile(r"[\s\-\u2010\u2011\u2013'\u2019]+")


def _key(text: str) -> str:
    """Normalise a term or a matched span so that spelling variants map to one key."""
    return _KEY_DROP.sub("", text.lower())


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _term_pattern(term: str) -> str:
    """Return the regex source for one lower-cased term; boundaries are checked after matching."""
    parts: list[str] = []
    for ch in term.lower():
        if ch == " ":
            parts.append(r"\s+")
        elif ch == "-":
            parts.append(r"[-\u2010\u2011\u2013\s]?")
        elif ch in "'\u2019":
            parts.append("['\u2019]")
        else:
            parts.append(re.escape(ch))
    tail = r"(?!\w)" if _word_char(term[-1]) else ""
    return "".join(parts) + tail


class TermMatcher:
    """A list of terms compiled once into one whole-word, case-insensitive regex."""

    __slots__ = ("_by_key", "_regex", "_terms")

    def __init__(self, terms: Iterable[str]) -> None:
        canonical: list[str] = []
        seen: set[str] = set()
        for raw in terms:
            term = _SPACE.sub(" ", str(raw)).strip()
            key = term.casefold()
            if not term or key in seen:
                continue
            seen.add(key)
            canonical.append(term)
        self._terms: tuple[str, ...] = tuple(canonical)
        self._by_key: dict[str, int] = {}
        for i, term in enumerate(canonical):
            self._by_key.setdefault(_key(term), i)
        if not canonical:
            self._regex: re.Pattern[str] | None = None
            return
        # Longest first so that, at one position, "risk-free" wins over "risk". No groups and no
        # leading assertions: that keeps the regex engine's fast first-character scan; the text is
        # lower-cased once instead of matching with IGNORECASE (several times faster in CPython).
        ordered = sorted(canonical, key=lambda t: -len(t))
        self._regex = re.compile("|".join(_term_pattern(t) for t in ordered))

    @property
    def terms(self) -> tuple[str, ...]:
        """The canonical terms, deduplicated case-insensitively, in policy order."""
        return self._terms

    def find(self, text: str) -> list[str]:
        """Return the canonical terms found in ``text``, deduplicated, in policy order."""
        if self._regex is None or not text:
            return []
        low = text.lower()
        hits: set[int] = set()
        for match in self._regex.finditer(low):
            start = match.start()
            if start and _word_char(low[start - 1]) and _word_char(low[start]):
                continue
            index = self._by_key.get(_key(match.group(0)))
            if index is not None:
                hits.add(index)
        return [self._terms[i] for i in sorted(hits)]

    def __repr__(self) -> str:
        return f"TermMatcher({list(self._terms)!r})"


class StemPatterns:
    """Tagged regexes that each begin with a literal, lower-case stem, found by substring search.

    Scanning a text for a few dozen stems with ``str.find`` and matching each regex only where its
    stem occurs (at a word start) is an order of magnitude faster in CPython than one big
    alternation with word boundaries. ``before`` optionally requires a regex to match the text
    just before the stem (searched in a short window, anchored at its end).
    """

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[tuple[str, str, str] | tuple[str, str, str, str]]) -> None:
        compiled: list[tuple[str, str, re.Pattern[str], re.Pattern[str] | None]] = []
        for tag, stem, regex, *before in patterns:
            pre = re.compile(f"(?:{before[0]})$") if before else None
            compiled.append((tag, stem, re.compile(regex), pre))
        self._patterns = tuple(compiled)

    def scan(self, low: str) -> list[tuple[int, int, str]]:
        """Return (start, end, tag) for every pattern match in the lower-cased text, by position."""
        hits: list[tuple[int, int, str]] = []
        for tag, stem, regex, pre in self._patterns:
            word = _word_char(stem[0])
            pos = low.find(stem)
            while pos != -1:
                if not (word and pos and _word_char(low[pos - 1])):
                    m = regex.match(low, pos)
                    if m is not None and (pre is None or pre.search(low, max(0, pos - 24), pos)):
                        hits.append((pos, m.end(), tag))
                pos = low.find(stem, pos + 1)
        hits.sort()
        return hits
