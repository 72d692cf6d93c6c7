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

__all__ = ["TermMatcher"]

_SPACE = re.compile(r"\s+")


def _term_pattern(term: str) -> str:
    """Return the regex source for one normalised term, with boundaries where they make sense."""
    parts: list[str] = []
    for ch in term:
        if ch == " ":
            parts.append(r"\s+")
        elif ch == "-":
            parts.append(r"[-\u2010\u2011\u2013\s]?")
        elif ch in "'\u2019":
            parts.append("['\u2019]")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    head = r"(?<!\w)" if (term[0].isalnum() or term[0] == "_") else ""
    tail = r"(?!\w)" if (term[-1].isalnum() or term[-1] == "_") else ""
    return head + body + tail


class TermMatcher:
    """A list of terms compiled once into one whole-word, case-insensitive regex."""

    __slots__ = ("_regex", "_terms")

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
        if not canonical:
            self._regex: re.Pattern[str] | None = None
            return
        # Longest first so that, at one position, "risk-free" wins over "risk".
        order = sorted(range(len(canonical)), key=lambda i: -len(canonical[i]))
        alternatives = "|".join(f"(?P<t{i}>{_term_pattern(canonical[i])})" for i in order)
        self._regex = re.compile(alternatives, re.IGNORECASE)

    @property
    def terms(self) -> tuple[str, ...]:
        """The canonical terms, deduplicated case-insensitively, in policy order."""
        return self._terms

    def find(self, text: str) -> list[str]:
        """Return the canonical terms found in ``text``, deduplicated, in policy order."""
        if self._regex is None or not text:
            return []
        hits: set[int] = set()
        for match in self._regex.finditer(text):
            group = match.lastgroup
            if group is not None:
                hits.add(int(group[1:]))
        return [self._terms[i] for i in sorted(hits)]

    def search(self, text: str) -> bool:
        """Return True when at least one term occurs in ``text``."""
        return self._regex is not None and self._regex.search(text) is not None

    def __repr__(self) -> str:
        return f"TermMatcher({list(self._terms)!r})"
