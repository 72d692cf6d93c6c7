"""The evidence check ("no receipts, no send", SPEC §6): specific claims in a body vs receipt facts.

``extract_claims`` finds the specific claims in an outbound body: numbers, money, percentages,
dates, names, events and technologies. Greetings, sign-offs and the signature below them,
questions and asks are not claims; in an ask ("Happy to share…", "Let me know…") only money and
percentages still count. Weekdays, times of day and meeting lengths are scheduling, not claims.
``match_claims`` then looks for a fact, at or above the policy's minimum confidence, that agrees:
same value for numbers (``15%`` = ``15 percent``, ``$2M`` = ``2,000,000 dollars``), compatible
dates (``March 2026`` = ``2026-03`` = ``3/2026``), the name in the fact's text, or, for events,
the same kind of event and the same key entity ("opened a Berlin office" ~ "expanded to Berlin").
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from proctor.inspect.claims_lexicon import (
    ABBREVIATIONS,
    ASK,
    ASK_FIRST,
    COMMON_STARTS,
    EVENTS,
    GREETING,
    GREETING_FIRST,
    MON,
    NAME_FOLLOWERS,
    NON_NAMES,
    NOT_MODEL,
    PREPOSITIONS,
    SIGNOFF,
    SIGNOFF_FIRST,
    TECHNOLOGIES,
    TOKENS_DIGIT_FIRST,
    TOKENS_OTHER_FIRST,
)
from proctor.inspect.terms import StemPatterns

__all__ = [
    "COMMON_STARTS",
    "EVENTS",
    "NAME_FOLLOWERS",
    "NON_NAMES",
    "TECHNOLOGIES",
    "Claim",
    "ClaimResult",
    "FactLike",
    "extract_claims",
    "match_claims",
    "unsupported",
]

_EVENT_SCANNER = StemPatterns(EVENTS)


def _families(text: str) -> set[str]:
    return {tag for _, _, tag in _EVENT_SCANNER.scan(text.lower())}


CLAIM_KINDS: tuple[str, ...] = ("number", "money", "percent", "date", "name", "event", "technology")


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


# --- tokens ------------------------------------------------------------------------------------

_KINDS = [kind for _, kind in (*TOKENS_DIGIT_FIRST, *TOKENS_OTHER_FIRST)]
_TOKEN_RE = re.compile(
    "[0-9$€£A-Z](?:(?<=[0-9])(?:"
    + "|".join(f"(?:{pat})(?P<_{i}>)" for i, (pat, _) in enumerate(TOKENS_DIGIT_FIRST))
    + ")|"
    + "|".join(
        f"(?:{pat})(?P<_{i + len(TOKENS_DIGIT_FIRST)}>)" for i, (pat, _) in enumerate(TOKENS_OTHER_FIRST)
    )
    + ")"
)
_ASK_KINDS = ("money", "percent")  # the only claims that count in an ask
_TOKEN_KIND = {f"_{i}": kind for i, kind in enumerate(_KINDS)}
_CAMEL_RE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+")
_EVENT_TAIL_RE = re.compile(
    r"(?:[ \t]+(?!(?:and|but|which|who|so|because|since|when|while|last|this|next|ago|earlier|"
    r"yesterday|today|recently|to|for|with|as|after|before|during)\b)[^\s.,;:!?]+){0,5}",
    re.IGNORECASE,
)
_RUN_RE = re.compile(r"(?<![\w$€£.])[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*")
_MONTH_RE = re.compile(MON + r"$")
_MON3 = frozenset(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))
_LAST_WORD_RE = re.compile(r"([A-Za-z]+)[\s-]*$")
_LEADING_PREP_RE = re.compile(r"^(?i:in|since|by|from|until|till|last|this|of|during|before|after)\s+")
_CLEAN_RE = re.compile(r"https?://\S+|www\.\S+|[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# Sentence ends: '.', '!' or '?' before a capital or a number, or a line break. Starts with one
# character class for speed; a line break's match is extended back over the spaces before it.
_BOUNDARY_RE = re.compile(r"[.!?\n](?:(?<=[.!?])[.!?]*[\"'’”)\]]*[ \t]+(?=[\"'“(\[]?[A-Z0-9$€£])|(?<=\n)\s*)")
_ROUND_RE = re.compile(r"(?i:series|round|class|tier|type|plan|phase|grade|level)\s+[A-Z]$")
_GREETING_RE = re.compile(GREETING)
_SIGNOFF_RE = re.compile(SIGNOFF)
_ASK_RE = re.compile(ASK)
_POSSESSIVE_RE = re.compile(r"['’]s?$")
_POSSESSIVE_ENDS = ("'", "’", "'s", "’s")
_SUFFIX_RE = re.compile(r"\s+(?:Inc|Corp|Corporation|Ltd|LLC|GmbH|Co|PLC|S\.?A|AG)\.?$")
_SUFFIX_ENDS = tuple(
    f"{w}{dot}"
    for w in ("Inc", "Corp", "Corporation", "Ltd", "LLC", "GmbH", "Co", "PLC", "SA", "S.A", "AG")
    for dot in ("", ".")
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def _find_all(text: str, needle: str) -> list[int]:
    out = []
    pos = text.find(needle)
    while pos != -1:
        out.append(pos)
        pos = text.find(needle, pos + 1)
    return out


def _blank_links(text: str) -> str:
    """Blank out URLs and email addresses (``_CLEAN_RE``), trying the regex only where one can start."""
    starts = [(i, False) for needle in ("http", "www.") for i in _find_all(text, needle)]
    for at in _find_all(text, "@"):
        lo = at  # an address starts where the run of local-part characters before its '@' starts
        while lo > 0 and (text[lo - 1].isalnum() or text[lo - 1] in "_.+%-"):
            lo -= 1
        if lo < at:
            starts.append((lo, True))
    starts.sort()
    parts: list[str] = []
    pos = 0
    for start, local in starts:
        if start < pos:
            if not local:
                continue
            start = pos
        m = _CLEAN_RE.match(text, start)
        if m is not None:
            parts += (text[pos:start], " " * (m.end() - start))
            pos = m.end()
    return "".join(parts) + text[pos:] if parts else text


def _sentences(text: str) -> list[tuple[int, int, int, str]]:
    """Split into (start, content_start, end, mode) with mode 'claim', 'ask' or 'skip'; stop at a sign-off."""
    spans: list[tuple[int, int]] = []
    pos = last = 0
    for m in _BOUNDARY_RE.finditer(text):
        b_start, b_end = m.start(), m.end()
        ch = text[b_start]
        if ch == "\n":
            while b_start > last and text[b_start - 1] in " \t":
                b_start -= 1
            last = b_end
            punct = 0
        else:
            last = b_end
            if ch == ".":
                word = text[max(pos, b_start - 6) : b_start].rsplit(None, 1)[-1:] or [""]
                if word[0].lower() in ABBREVIATIONS or (
                    len(word[0]) == 1
                    and word[0].isupper()
                    and not _ROUND_RE.search(text, max(0, b_start - 12), b_start)
                ):
                    continue
            mark = m.group(0)
            punct = len(mark) - len(mark.lstrip(".!?\"'’”)]"))
        spans.append((pos, b_start + punct))
        pos = b_end
    spans.append((pos, len(text)))
    out: list[tuple[int, int, int, str]] = []
    for start, end in spans:
        chunk = text[start:end].strip()
        if not chunk:
            continue
        line_start = start == 0 or text[start - 1] == "\n" or "\n" in text[max(0, start - 3) : start]
        first = chunk[0]
        if (
            line_start
            and (first in SIGNOFF_FIRST or not first.isascii())
            and _SIGNOFF_RE.match(chunk)
            and len(chunk.split()) <= 5
        ):
            break
        content = start
        first = text[start]
        if first in GREETING_FIRST or not first.isascii():
            g = _GREETING_RE.match(text, start, end)
            if g is not None:
                content = g.end()
        if content >= end or not text[content:end].strip():
            continue
        mode = "claim"
        if chunk.endswith("?") or text[content:end].rstrip().endswith("?"):
            mode = "skip"
        elif (text[content] in ASK_FIRST or not text[content].isascii()) and _ASK_RE.match(
            text, content, end
        ):
            mode = "ask"
        out.append((start, content, end, mode))
    return out


@functools.lru_cache(maxsize=8192)
def _name_core(raw: str) -> tuple[str, bool]:
    """The name in a capitalised run (or ""), and whether it is one word that may be a sentence start."""
    words = raw.split()
    at_start = True
    while words and (words[0].lower().strip("'’") in COMMON_STARTS or words[0] in NON_NAMES):
        words.pop(0)
        at_start = False
    while words and (words[-1] in NON_NAMES or words[-1].lower() in ("of", "and", "de", "&")):
        words.pop()
    if not words:
        return "", False
    name = " ".join(words)
    if name.endswith(_POSSESSIVE_ENDS):
        name = _POSSESSIVE_RE.sub("", name)
    if name.endswith(_SUFFIX_ENDS):
        name = _SUFFIX_RE.sub("", name)
    return name, at_start and len(words) == 1 and not raw.endswith(("'s", "’s"))


def _name_value(raw: str, at_start: bool, following: str) -> str:
    """Return the name in a capitalised run, dropping sentence-start words that are not names."""
    name, lone = _name_core(raw)
    if name and at_start and lone:
        nxt = following.split(None, 1)[:1]
        if not nxt or nxt[0].lower() not in NAME_FOLLOWERS:
            return ""
    return name


def extract_claims(text: str, *, ignore: Collection[str] = ()) -> list[Claim]:
    """Return the specific claims in an outbound body, in text order, deduplicated per sentence."""
    if not text:
        return []
    if "@" in text or "http" in text or "www." in text:
        text = _blank_links(text)
    sents = _sentences(text)
    if not sents:
        return []
    starts = [s[0] for s in sents]
    skip = {_norm_name(n) for n in ignore}
    found: list[tuple[int, int, str, str]] = []  # (position, sentence index, kind, value)
    bisect_right = bisect.bisect_right
    for m in _TOKEN_RE.finditer(text):
        kind = _TOKEN_KIND[m.lastgroup or ""]
        if kind == "skip":
            continue
        pos = m.start()
        if kind != "cap" and pos:
            ch = text[pos - 1]  # a numeric token glued to a word or to '.', ',', '/', ':', '$' ...
            if ch.isalnum() or ch in "_.,/:$€£":
                continue
        value = m.group(0)
        if kind == "model":
            if value.split(None, 1)[0].split("-")[0] in NOT_MODEL:
                continue
            kind = "cap"
        i = bisect_right(starts, pos) - 1
        if i < 0:
            continue
        _, content, end, mode = sents[i]
        if pos < content or pos >= end or mode == "skip" or (mode == "ask" and kind not in _ASK_KINDS):
            continue
        value = value.strip()
        if kind == "date":
            value = _LEADING_PREP_RE.sub("", value)
        elif kind == "cap":
            if value[:3] in _MON3 and _MONTH_RE.match(value):
                prev = _LAST_WORD_RE.search(text, max(0, pos - 12), pos)
                if prev is None or prev.group(1).lower() not in PREPOSITIONS:
                    continue
                kind = "date"
            else:
                value = _name_value(value, pos == content, text[m.end() : m.end() + 20])
                if not value:
                    continue
                kind = "technology" if value in TECHNOLOGIES or _CAMEL_RE.fullmatch(value) else "name"
                if skip and _norm_name(value) in skip:
                    continue
        found.append((pos, i, kind, value))
    covered = -1
    for start, end, _family in _EVENT_SCANNER.scan(text.lower()):
        i = bisect_right(starts, start) - 1
        if i < 0 or start < covered:
            continue
        _, content, stop, mode = sents[i]
        if start < content or start >= stop or mode != "claim":
            continue
        tail = _EVENT_TAIL_RE.match(text, end, stop)
        covered = tail.end() if tail else end
        found.append((start, i, "event", text[start:covered].strip()))
    found.sort()
    claims: list[Claim] = []
    seen: set[tuple[int, str, str]] = set()
    sentence: dict[int, str] = {}
    for _, i, kind, value in found:
        key = (i, kind, value.casefold())
        if key not in seen:
            seen.add(key)
            if i not in sentence:
                sentence[i] = " ".join(text[sents[i][0] : sents[i][2]].split())
            claims.append(Claim(sentence[i], kind, value))
    return claims


# --- normalisation -----------------------------------------------------------------------------

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


@functools.lru_cache(maxsize=4096)
def _norm_name(name: str) -> str:
    return " ".join(_SUFFIX_RE.sub("", _POSSESSIVE_RE.sub("", name.strip())).casefold().split())


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
    for m in _TOKEN_RE.finditer(text):
        kind = _TOKEN_KIND.get(m.lastgroup or "", "skip")
        if kind == "cap" and _MONTH_RE.match(m.group(0)):
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
    families = _families(text)
    norm = re.sub(r"['’]s\b", "", text.casefold())
    norm = " " + " ".join(re.sub(r"[^\w&.+#-]+", " ", norm).split()) + " "
    return _Fact(norm, amounts, dates, families)


@functools.lru_cache(maxsize=4096)
def _mention_key(name: str) -> str:
    return " ".join(_NON_TOKEN_RE.sub(" ", _norm_name(name)).split())


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
            w for w in _POSSESSIVE_RE.sub("", run).split() if w not in NON_NAMES and not _MONTH_RE.match(w)
        ]
        while words and words[0].lower() in COMMON_STARTS:
            words.pop(0)
        if words and (len(words) > 1 or len(words[0]) > 1):
            out.append(" ".join(words))
    return out


@functools.lru_cache(maxsize=4096)
def _event_parts(value: str, sentence: str) -> tuple[frozenset[str], tuple[str, ...]]:
    families = _families(value)
    entities = _entities(value)
    if not entities:
        clause = re.split(r"[,;:]|\band\b|\bbut\b", sentence[: max(0, sentence.find(value))])[-1]
        entities = _entities(clause)[-1:]
    return frozenset(families), tuple(entities)


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
    families, entities = _event_parts(value, claim.sentence)
    keys = [_mention_key(e) for e in entities if _norm_name(e) not in ignore]
    for i, fact in usable:
        if families & fact.families and all(k and _has_words(fact.text, k) for k in keys):
            return i
    return None


def match_claims(
    claims: Sequence[Claim], facts: Sequence[FactLike], *, min_confidence: float, ignore: Collection[str] = ()
) -> list[ClaimResult]:
    """Check each claim against the facts at or above ``min_confidence``; ignored names are dropped."""
    skip = {_norm_name(n) for n in ignore}
    usable = [
        (i, _parse_fact(f.text)) for i, f in enumerate(facts) if f.confidence >= min_confidence and f.text
    ]
    verb = "supports" if usable else "to support"
    results: list[ClaimResult] = []
    for claim in claims:
        if claim.kind in ("name", "technology") and _norm_name(claim.value) in skip:
            continue
        hit = _first_support(claim, usable, skip) if usable else None
        if hit is not None:
            results.append(ClaimResult(claim, True, hit, f"supported by fact {hit}"))
        else:
            detail = f"no fact with confidence >= {min_confidence:g} {verb} {claim.kind} {claim.value!r}"
            results.append(ClaimResult(claim, False, None, detail))
    return results


def unsupported(results: Sequence[ClaimResult]) -> list[ClaimResult]:
    """Return the results whose claim no fact supports."""
    return [r for r in results if not r.supported]
