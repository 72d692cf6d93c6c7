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
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["StemPatterns", "TermMatcher"]

_SPACE = re.compile(r"\s+")
_ANCHOR_SPLIT = re.compile("[ \\-'\u2019]")
_KEY_DROP = re.compile(r"[\s\-\u2010\u2011\u2013'\u2019]+")
_MAX_HEADS = 8  # above this many distinct term heads, one regex pass beats a find per head


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

    __slots__ = ("_anchors", "_by_key", "_heads", "_regex", "_terms")

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
        # Each term's regex starts with the literal run before its first space, hyphen or apostrophe
        # (its head): a match can only start where a head occurs, so the regex is tried only there.
        # A few heads of two characters or more are found faster than the regex scans the text; a
        # long list, or a one-letter head ("e-mail"), is left to one pass of the regex.
        heads = {_ANCHOR_SPLIT.split(t.lower(), maxsplit=1)[0] for t in canonical}
        usable = len(heads) <= _MAX_HEADS and all(len(h) >= 2 for h in heads)
        self._heads: tuple[str, ...] | None = tuple(heads) if usable else None
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

    def find(self, text: str, *, low: str | None = None) -> list[str]:
        """Return the canonical terms found in ``text``, deduplicated, in policy order.

        ``low`` is ``text.lower()`` when the caller has it already.
        """
        if self._regex is None or not text:
            return []
        if low is None:
            low = text.lower()
        if self._anchors is not None and not any(a in low for a in self._anchors):
            return []
        hits: set[int] = set()
        for match in self._matches(low):
            start = match.start()
            if start and _word_char(low[start - 1]) and _word_char(low[start]):
                continue
            index = self._by_key.get(_key(match.group(0)))
            if index is not None:
                hits.add(index)
        return [self._terms[i] for i in sorted(hits)]

    def _matches(self, low: str) -> Iterator[re.Match[str]]:
        """``self._regex.finditer(low)``, with the regex tried only where a term's head starts."""
        regex = self._regex
        assert regex is not None
        if self._heads is None:
            yield from regex.finditer(low)
            return
        starts: set[int] = set()
        for head in self._heads:
            i = low.find(head)
            while i != -1:
                starts.add(i)
                i = low.find(head, i + 1)
        end = 0
        for i in sorted(starts):
            if i >= end:
                m = regex.match(low, i)
                if m is not None:
                    yield m
                    end = m.end()

    def __repr__(self) -> str:
        return f"TermMatcher({list(self._terms)!r})"


_Compiled = tuple[str, str, re.Pattern[str], "re.Pattern[str] | None"]


def _rest_after_stem(stem: str, regex: str) -> str | None:
    """``regex`` minus its leading literal ``stem``, or None when the regex does not plainly start so.

    Plainly: the stem is letters and digits, the regex starts with it, the stem's last character
    is not quantified, and the regex has no top-level alternation, no capturing group (it is joined
    with the others in one regex), no back-reference and no comment.
    """
    if not stem.isalnum() or not stem.isascii() or not regex.startswith(stem):
        return None
    if regex[len(stem) : len(stem) + 1] in ("?", "*", "+", "{"):
        return None
    depth, i, n = 0, 0, len(regex)
    while i < n:
        ch = regex[i]
        if ch == "\\":
            if regex[i + 1 : i + 2].isdigit():
                return None
            i += 2
        elif ch == "[":  # a character class: skip to its end ('[]…]' and '[^]…]' hold a literal ']')
            i += 2 if regex[i + 1 : i + 2] == "^" else 1
            i += 1  # the first character of a class is literal, even ']'
            while i < n and regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
            i += 1
        else:
            if ch == "(":
                if regex[i + 1 : i + 2] != "?" or regex[i + 2 : i + 3] in ("P", "#"):
                    return None
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "|" and depth == 0:
                return None
            i += 1
    return regex[len(stem) :]


def _verifier(entries: Iterable[tuple[str, str]]) -> str:
    """Regex source matching where one of the (stem, regex) entries may match: a trie of the stems
    whose leaves are the rest of each regex (or nothing, where the rest cannot be split off)."""
    tree: dict[str, Any] = {}
    for stem, regex in entries:
        node = tree
        for ch in stem:
            node = node.setdefault(ch, {})
        node.setdefault("", []).append(_rest_after_stem(stem, regex))

    def emit(node: dict[str, Any]) -> str:
        alts: list[str] = []
        rests = node.get("")
        if rests is not None:
            if any(r is None for r in rests):
                return ""  # this stem always passes the gate; its regex is tried in Python
            alts.append("(?:" + "|".join(sorted(set(rests))) + ")")
        alts += [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    # The first character is consumed, the rest only looked at: each alternative then starts with a
    # literal, which the regex engine rejects without entering it, and a gate match never covers a
    # place where another could start (a stem's first character is a word character).
    return "|".join(re.escape(ch) + f"(?={emit(child)})" for ch, child in sorted(tree.items()))


class StemPatterns:
    """Tagged regexes that each begin with a literal, lower-case stem, matched only where a stem occurs.

    One pass of a gate regex finds the word starts where some pattern may match: its lookahead is a
    trie of the stems that goes on, at each stem's end, with the rest of the stem's regexes, so the
    gate stops only where a regex matches (``before`` aside). Its first item is a character class,
    so CPython's matcher skips the other characters in C. Stems that start with a non-word character
    such as ``$`` are found with ``str.find``. Only there are the regexes tried from Python.
    ``before`` optionally requires a regex to match the text just before the stem (searched in a
    short window, anchored at its end).
    """

    __slots__ = ("_gate", "_head", "_nonword", "_patterns", "_word")

    def __init__(self, patterns: Iterable[tuple[str, str, str] | tuple[str, str, str, str]]) -> None:
        compiled: list[_Compiled] = []
        sources: list[tuple[str, str]] = []
        for tag, stem, regex, *before in patterns:
            pre = re.compile(f"(?:{before[0]})$") if before else None
            compiled.append((tag, stem, re.compile(regex), pre))
            if _word_char(stem[0]):
                sources.append((stem, regex))
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
        verify = _verifier(sources) if sources else None
        self._head = re.compile(f"(?:{verify})") if verify is not None else None
        self._gate = re.compile(f"[^a-z0-9_](?:{verify})") if verify is not None else None

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
        for ch, entries in self._nonword.items():
            q = low.find(ch)
            while q != -1:
                self._try(low, q, entries, hits)
                q = low.find(ch, q + 1)
        if self._gate is not None:
            if self._head is not None and self._head.match(low):
                self._at_word(low, 0, hits)
            word = self._word
            n = len(low)
            for m in self._gate.finditer(low):  # ``_at_word`` inlined: this loop runs per word start
                q = m.start()
                if _word_char(low[q]):  # a non-ASCII letter: not a word start
                    continue
                q += 1
                at = word.get(low[q : q + 2])
                if at is not None:
                    self._try(low, q, at, hits)
                if n > q + 1:
                    at = word.get(low[q])
                    if at is not None:
                        self._try(low, q, at, hits)
        hits.sort()
        return hits
