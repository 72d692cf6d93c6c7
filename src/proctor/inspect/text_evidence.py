"""Claims against receipt facts (SPEC §6): the Claim and ClaimResult types and ``match_claims``.

A claim is supported by a fact at or above the policy's minimum confidence that agrees with it:
the same value for numbers (``15%`` = ``15 percent``, ``$2M`` = ``2,000,000 dollars``), compatible
dates (``March 2026`` = ``2026-03`` = ``3/2026``), the name in the fact's text, or, for events,
the same kind of event and the same key entity ("opened a Berlin office" ~ "expanded to Berlin").
Facts are parsed once and cached: the same receipt is checked against every claim and resent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from proctor.inspect.claims_lexicon import COMMON_STARTS, NON_NAMES
from proctor.inspect.text_tokens import (
    MONTH_RE,
    POSSESSIVE_RE,
    TOKEN_KIND,
    TOKEN_RE,
    families,
    norm_name,
)

__all__ = ["Claim", "ClaimResult", "FactLike", "match_claims", "unsupported"]


@dataclass(frozen=True, slots=True)
class Claim:
    """A specific claim found in a body: the sentence it is in, its kind and its surface value."""

    sentence: str
    kind: str
    value: str


class FactLike(Protocol):
    """Anything with a text and a confidence, such as a receipt's fact."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """Whether one claim is supported, by which fact (index into the facts), and why."""

    claim: Claim
    supported: bool
    fact_index: int | None
    detail: str


_RUN_RE = re.compile(r"(?<![\w$€£.])[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}

_MULT_VALUES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9}
_MULT_VALUES.update({"billion": 1e9, "trillion": 1e12})
_AMOUNT_RE = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s?-?\s?(k|mm|m|bn|b|thousand|million|billion|trillion)?\b", re.I
)


@functools.lru_cache(maxsize=4096)
def _amount(value: str) -> float | None:
    """Parse '1.2k', '$2M', '2,000,000 dollars', '15 percent' into a number."""
    m = _AMOUNT_RE.search(value)
    if m is None:
        return None
    number = float(m.group(1).replace(",", ""))
    return number * _MULT_VALUES.get((m.group(2) or "").lower(), 1.0)


@functools.lru_cache(maxsize=4096)
def _date(value: str) -> tuple[int | None, int | None, int | None, int | None]:
    """Parse a date claim into (year, month, day, quarter); missing parts are None."""
    v = value.strip()
    year = month = day = quarter = None
    q = re.search(r"\b[QH]([1-4])", v)
    if q:
        quarter = int(q.group(1)) if v.lstrip()[0] in "Qq" else (int(q.group(1)) - 1) * 2 + 1
    if re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", v):
        parts = [int(p) for p in v.split("-")]
        return parts[0], parts[1], parts[2] if len(parts) > 2 else None, None
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", v):
        a, b, c = (int(p) for p in v.split("/"))
        month, day = (b, a) if a > 12 else (a, b)
        return (c + 2000 if c < 100 else c), month, day, None
    if re.fullmatch(r"\d{1,2}/\d{4}", v):
        a, c = (int(p) for p in v.split("/"))
        return c, a, None, None
    mon = re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", v, re.I)
    if mon:
        month = _MONTHS[mon.group(1).lower()]
    y = re.search(r"(?:^|\D)((?:19|20)\d{2})\b|['’](\d{2})\b|FY\s?(\d{2})\b", v)
    if y:
        year = int(y.group(1)) if y.group(1) else 2000 + int(y.group(2) or y.group(3))
    d = re.search(r"(?<![\d/])(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*/)", v)
    if d and month and not (y and d.group(1) == v[y.start(1) : y.start(1) + 2]):
        day = int(d.group(1))
    return year, month, day, quarter


def _date_agrees(c: tuple[int | None, ...], f: tuple[int | None, ...]) -> bool:
    """True when every part the claim states is stated the same way by the fact."""
    cy, cm, cd, cq = c
    fy, fm, fd, fq = f
    if cy is not None and fy != cy:
        return False
    if cm is not None and fm != cm:
        return False
    if cd is not None and fd != cd:
        return False
    if cq is not None:
        month_q = (fm - 1) // 3 + 1 if fm is not None else None
        if fq != cq and month_q != cq:
            return False
    return any(p is not None for p in c)


@dataclass(slots=True)
class _Fact:
    text: str  # casefolded, possessives removed, single-spaced, padded with spaces
    amounts: list[tuple[str, float]]
    dates: list[tuple[int | None, int | None, int | None, int | None]]
    families: set[str]


_NON_TOKEN_RE = re.compile(r"[^\w&.+#-]+")


@functools.lru_cache(maxsize=2048)
def _parse_fact(text: str) -> _Fact:
    """Parse a fact once (cached: the same receipt is checked against every claim and resent)."""
    amounts: list[tuple[str, float]] = []
    dates = []
    for m in TOKEN_RE.finditer(text):
        kind = TOKEN_KIND.get(m.lastgroup or "", "skip")
        if kind == "cap" and MONTH_RE.match(m.group(0)):
            kind = "date"
        if kind in ("money", "percent", "number"):
            value = _amount(m.group(0))
            if value is not None:
                amounts.append((kind, value))
        elif kind == "date":
            dates.append(_date(m.group(0)))
            year = re.fullmatch(r"(?:19|20)\d{2}", m.group(0).strip())
            if year:
                amounts.append(("number", float(year.group(0))))
    tags = families(text)
    norm = re.sub(r"['’]s\b", "", text.casefold())
    norm = " " + " ".join(re.sub(r"[^\w&.+#-]+", " ", norm).split()) + " "
    return _Fact(norm, amounts, dates, tags)


@functools.lru_cache(maxsize=4096)
def _mention_key(name: str) -> str:
    return " ".join(_NON_TOKEN_RE.sub(" ", norm_name(name)).split())


def _has_words(text: str, key: str) -> bool:
    pos = text.find(key)
    while pos != -1:  # the fact's text is padded with spaces: check the match is whole words
        if not text[pos - 1].isalnum() and not text[pos + len(key)].isalnum():
            return True
        pos = text.find(key, pos + 1)
    return False


def _entities(text: str) -> list[str]:
    out = []
    for run in _RUN_RE.findall(text):
        words = [
            w for w in POSSESSIVE_RE.sub("", run).split() if w not in NON_NAMES and not MONTH_RE.match(w)
        ]
        while words and words[0].lower() in COMMON_STARTS:
            words.pop(0)
        if words and (len(words) > 1 or len(words[0]) > 1):
            out.append(" ".join(words))
    return out


@functools.lru_cache(maxsize=4096)
def _event_parts(value: str, sentence: str) -> tuple[frozenset[str], tuple[str, ...]]:
    tags = families(value)
    entities = _entities(value)
    if not entities:
        clause = re.split(r"[,;:]|\band\b|\bbut\b", sentence[: max(0, sentence.find(value))])[-1]
        entities = _entities(clause)[-1:]
    return frozenset(tags), tuple(entities)


_ALLOWED = {"percent": ("percent",), "money": ("money", "number"), "number": ("number", "money")}


def _first_support(claim: Claim, usable: list[tuple[int, _Fact]], ignore: set[str]) -> int | None:
    """The index of the first usable fact that supports the claim (the claim is parsed once)."""
    kind, value = claim.kind, claim.value
    allowed = _ALLOWED.get(kind)
    if allowed is not None:
        amount = _amount(value)
        if amount is not None:
            tol = 1e-9 * max(1.0, abs(amount))
            for i, fact in usable:
                if any(k in allowed and abs(v - amount) <= tol for k, v in fact.amounts):
                    return i
        return None
    if kind == "date":
        parsed = _date(value)
        for i, fact in usable:
            if any(_date_agrees(parsed, d) for d in fact.dates):
                return i
        return None
    if kind in ("name", "technology"):
        key = _mention_key(value)
        if key:
            for i, fact in usable:
                if _has_words(fact.text, key):
                    return i
        return None
    tags, entities = _event_parts(value, claim.sentence)
    keys = [_mention_key(e) for e in entities if norm_name(e) not in ignore]
    for i, fact in usable:
        if tags & fact.families and all(k and _has_words(fact.text, k) for k in keys):
            return i
    return None


def match_claims(
    claims: Sequence[Claim], facts: Sequence[FactLike], *, min_confidence: float, ignore: Collection[str] = ()
) -> list[ClaimResult]:
    """Check each claim against the facts at or above ``min_confidence``; ignored names are dropped."""
    skip = {norm_name(n) for n in ignore}
    usable = [
        (i, _parse_fact(f.text)) for i, f in enumerate(facts) if f.confidence >= min_confidence and f.text
    ]
    missing = ""  # the start of every "not supported" detail, built on first use
    results: list[ClaimResult] = []
    append = results.append
    for claim in claims:
        kind = claim.kind
        if (kind == "name" or kind == "technology") and skip and norm_name(claim.value) in skip:
            continue
        hit = _first_support(claim, usable, skip) if usable else None
        if hit is not None:
            append(ClaimResult(claim, True, hit, _SUPPORTED[hit] if hit < 16 else f"supported by fact {hit}"))
        else:
            if not missing:
                verb = "supports" if usable else "to support"
                missing = f"no fact with confidence >= {min_confidence:g} {verb} "
            append(ClaimResult(claim, False, None, f"{missing}{kind} {claim.value!r}"))
    return results


_SUPPORTED = tuple(f"supported by fact {i}" for i in range(16))


def unsupported(results: Sequence[ClaimResult]) -> list[ClaimResult]:
    """Return the results whose claim no fact supports."""
    return [r for r in results if not r.supported]
