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
from typing import Any

__all__ = ["StemPatterns", "TermMatcher"]

_SPACE = re.compile(r"\s+")
_ANCHOR_SPLIT = re.compile("[ \\-'\u2019]")
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

    __slots__ = ("_anchors", "_by_key", "_regex", "_terms")

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
        # The longest literal run of each term must occur in the lower-cased text for the term to
        # match: a few substring tests (C-fast) rule out most texts before the regex runs.
        anchors = [max(_ANCHOR_SPLIT.split(t.lower()), key=len) for t in canonical]
        self._anchors: tuple[str, ...] | None = None if not all(anchors) else tuple(set(anchors))
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
        if self._anchors is not None and not any(a in low for a in self._anchors):
            return []
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


def _trie(words: Iterable[str]) -> str:
    """Regex source matching any of ``words`` as a prefix, stopping at the shortest (a trie)."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(tree)


_Compiled = tuple[str, str, re.Pattern[str], "re.Pattern[str] | None"]


class StemPatterns:
    """Tagged regexes that each begin with a literal, lower-case stem, matched only where a stem occurs.

    One pass of a gate regex finds the places where some stem starts (at a word start, or anywhere
    for a stem that starts with a non-word character such as ``$``); its first item is a character
    class, so CPython's matcher skips the other characters in C. Only there are the stems' regexes
    tried. ``before`` optionally requires a regex to match the text just before the stem (searched in
    a short window, anchored at its end).
    """

    __slots__ = ("_gate", "_head", "_nonword", "_patterns", "_word")

    def __init__(self, patterns: Iterable[tuple[str, str, str] | tuple[str, str, str, str]]) -> None:
        compiled: list[_Compiled] = []
        for tag, stem, regex, *before in patterns:
            pre = re.compile(f"(?:{before[0]})$") if before else None
            compiled.append((tag, stem, re.compile(regex), pre))
        self._patterns = tuple(compiled)
        # Word stems by their first two characters (one for a one-character stem); others by the first.
        self._word: dict[str, list[_Compiled]] = {}
        self._nonword: dict[str, list[_Compiled]] = {}
        for entry in compiled:
            stem = entry[1]
            if _word_char(stem[0]):
                self._word.setdefault(stem[:2], []).append(entry)
            else:
                self._nonword.setdefault(stem[0], []).append(entry)
        words = [stem for _, stem, _, _ in compiled if _word_char(stem[0])]
        firsts = "".join(sorted({stem[0] for _, stem, _, _ in compiled if not _word_char(stem[0])}))
        alts = [f"(?<=[{re.escape(firsts)}])"] if firsts else []
        if words:
            alts.append(f"(?={_trie(words)})")
        self._head = re.compile(_trie(words)) if words else None
        body = "|".join(alts) if alts else "(?!)"
        self._gate = re.compile(f"[^a-z0-9_](?:{body})")

    def _try(self, low: str, pos: int, entries: list[_Compiled], hits: list[tuple[int, int, str]]) -> None:
        for tag, stem, regex, pre in entries:
            if low.startswith(stem, pos):
                m = regex.match(low, pos)
                if m is not None and (pre is None or pre.search(low, max(0, pos - 24), pos)):
                    hits.append((pos, m.end(), tag))

    def _at_word(self, low: str, pos: int, hits: list[tuple[int, int, str]]) -> None:
        entries = self._word.get(low[pos : pos + 2])
        if entries is not None:
            self._try(low, pos, entries, hits)
        if len(low) > pos + 1:
            entries = self._word.get(low[pos])
            if entries is not None:
                self._try(low, pos, entries, hits)

    def scan(self, low: str) -> list[tuple[int, int, str]]:
        """Return (start, end, tag) for every pattern match in the lower-cased text, by position."""
        hits: list[tuple[int, int, str]] = []
        if not low:
            return hits
        if self._head is not None and self._head.match(low):
            self._at_word(low, 0, hits)
        nonword = self._nonword
        for m in self._gate.finditer(low):
            q = m.start()
            ch = low[q]
            entries = nonword.get(ch)
            if entries is not None:
                self._try(low, q, entries, hits)
            if not _word_char(ch) and q + 1 < len(low):
                self._at_word(low, q + 1, hits)
        hits.sort()
        return hits
