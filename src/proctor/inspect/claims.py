"""The evidence check ("no receipts, no send", SPEC §6): specific claims in a body vs receipt facts.

``extract_claims`` finds the specific claims in an outbound body: numbers, money, percentages,
dates, names, events and technologies. Greetings, sign-offs and the signature below them,
questions and asks are not claims; in an ask ("Happy to share…", "Let me know…") only money and
percentages still count. Weekdays, times of day and meeting lengths are scheduling, not claims.
``match_claims`` (``text_evidence``) then looks for a fact that agrees with each claim.

One pass of one compiled regex (``text_tokens.TOKEN_RE``) finds every candidate token; the
sentences are split once (``text_sentences``), and each token is placed in its sentence by
walking both in text order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

from proctor.inspect.claims_lexicon import (
    COMMON_STARTS,
    EVENTS,
    NAME_FOLLOWERS,
    NON_NAMES,
    NOT_MODEL,
    PREPOSITIONS,
    TECHNOLOGIES,
    fold_case,
)
from proctor.inspect.text_evidence import Claim, ClaimResult, FactLike, match_claims, unsupported
from proctor.inspect.text_sentences import blank_links, may_have_links, sentences
from proctor.inspect.text_tokens import (
    EVENT_SCANNER,
    MONTH_RE,
    POSSESSIVE_RE,
    SUFFIX_RE,
    TOKEN_KIND,
    TOKEN_RE,
    norm_name,
)

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

CLAIM_KINDS: tuple[str, ...] = ("number", "money", "percent", "date", "name", "event", "technology")

_ASK_KINDS = frozenset(("money", "percent"))  # the only claims that count in an ask
_GLUE = frozenset("_.,/:$€£")
_CAMEL_MATCH = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+").fullmatch
_EVENT_TAIL_MATCH = re.compile(
    r"(?:[ \t]+(?!(?:and|but|which|who|so|because|since|when|while|last|this|next|ago|earlier|"
    r"yesterday|today|recently|to|for|with|as|after|before|during)\b)[^\s.,;:!?]+){0,5}",
    re.IGNORECASE,
).match
_MONTH_MATCH = MONTH_RE.match
_MON3 = frozenset(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"))
_LAST_WORD_SEARCH = re.compile(r"([A-Za-z]+)[\s-]*$").search
_LEADING_PREP_SUB = re.compile(
    fold_case(r"^(?i:in|since|by|from|until|till|last|this|of|during|before|after)\s+")
).sub
_POSSESSIVE_ENDS = ("'", "’", "'s", "’s")
_SUFFIX_ENDS = tuple(
    f"{w}{dot}"
    for w in ("Inc", "Corp", "Corporation", "Ltd", "LLC", "GmbH", "Co", "PLC", "SA", "S.A", "AG")
    for dot in ("", ".")
)
_TRAILING = frozenset(("of", "and", "de", "&"))


@functools.lru_cache(maxsize=8192)
def _name_core(raw: str) -> tuple[str, bool]:
    """The name in a capitalised run (or ""), and whether it is one word that may be a sentence start."""
    words = raw.split()
    at_start = True
    while words and (words[0].lower().strip("'’") in COMMON_STARTS or words[0] in NON_NAMES):
        words.pop(0)
        at_start = False
    while words and (words[-1] in NON_NAMES or words[-1].lower() in _TRAILING):
        words.pop()
    if not words:
        return "", False
    name = " ".join(words)
    if name.endswith(_POSSESSIVE_ENDS):
        name = POSSESSIVE_RE.sub("", name)
    if name.endswith(_SUFFIX_ENDS):
        name = SUFFIX_RE.sub("", name)
    return name, at_start and len(words) == 1 and not raw.endswith(("'s", "’s"))


@functools.lru_cache(maxsize=8192)
def _cap_kind(name: str) -> str:
    return "technology" if name in TECHNOLOGIES or _CAMEL_MATCH(name) else "name"


def extract_claims(
    text: str,
    *,
    ignore: Collection[str] = (),
    events: list[tuple[int, int, str]] | None = None,
    links: bool = True,
) -> list[Claim]:
    """Return the specific claims in an outbound body, in text order, deduplicated per sentence.

    ``events`` are ``EVENT_SCANNER.scan(text.lower())`` when the caller has them already;
    ``links=False`` says the caller has checked that the text has no '@', "http" or "www.".
    """
    if not text:
        return []
    if links and may_have_links(text):
        text = blank_links(text)
    sents = sentences(text)
    if not sents:
        return []
    skip = {norm_name(n) for n in ignore}
    found: list[tuple[int, int, str, str]] = []  # (position, sentence index, kind, value)
    append = found.append
    n_sents = len(sents)
    # Tokens after the last sentence that can hold a claim are never claims: stop scanning there.
    last = 0
    for s in reversed(sents):
        if s[3] != "skip":
            last = s[2]  # sentences come in text order: the last live one ends last
            break
    i = -1
    next_start = sents[0][0]
    content = end = 0
    mode = "skip"
    kinds = TOKEN_KIND
    for m in TOKEN_RE.finditer(text):
        pos = m.start()
        if pos >= last:
            break
        if pos >= next_start:  # move to the sentence this token starts in (tokens come in text order)
            i += 1
            while i + 1 < n_sents and sents[i + 1][0] <= pos:
                i += 1
            _, content, end, mode = sents[i]
            next_start = sents[i + 1][0] if i + 1 < n_sents else last
        if i < 0 or mode == "skip" or pos < content or pos >= end:
            continue
        kind = kinds[m.lastgroup]  # type: ignore[index]
        if kind == "skip" or (mode == "ask" and kind not in _ASK_KINDS):
            continue
        if kind != "cap" and pos:
            ch = text[pos - 1]  # a numeric token glued to a word or to '.', ',', '/', ':', '$' ...
            if ch.isalnum() or ch in _GLUE:
                continue
        value = m.group()
        if kind == "model":
            if value.split(None, 1)[0].split("-")[0] in NOT_MODEL:
                continue
            kind = "cap"
        value = value.strip()
        if kind == "date":
            value = _LEADING_PREP_SUB("", value)
        elif kind == "cap":
            if value[:3] in _MON3 and _MONTH_MATCH(value):
                prev = _LAST_WORD_SEARCH(text, max(0, pos - 12), pos)
                if prev is None or prev.group(1).lower() not in PREPOSITIONS:
                    continue
                kind = "date"
            else:
                value, lone = _name_core(value)
                if not value:
                    continue
                if lone and pos == content:  # a lone capitalised word opening a sentence
                    nxt = text[m.end() : m.end() + 20].split(None, 1)[:1]
                    if not nxt or nxt[0].lower() not in NAME_FOLLOWERS:
                        continue
                kind = _cap_kind(value)
                if skip and norm_name(value) in skip:
                    continue
        append((pos, i, kind, value))
    _add_events(text, sents, found, EVENT_SCANNER.scan(text.lower()) if events is None else events)
    found.sort()
    claims: list[Claim] = []
    seen: set[tuple[int, str, str]] = set()
    sentence: dict[int, str] = {}
    for _, i, kind, value in found:
        key = (i, kind, value.casefold())
        if key not in seen:
            seen.add(key)
            said = sentence.get(i)
            if said is None:
                said = sentence[i] = " ".join(text[sents[i][0] : sents[i][2]].split())
            claims.append(Claim(said, kind, value))
    return claims


def _add_events(
    text: str,
    sents: list[tuple[int, int, int, str]],
    found: list[tuple[int, int, str, str]],
    hits: list[tuple[int, int, str]],
) -> None:
    """Append the event phrases of claim sentences ("raised a Series B", "opened a Berlin office")."""
    if not hits:
        return
    covered = -1
    i = -1
    n_sents = len(sents)
    for start, end, _family in hits:
        while i + 1 < n_sents and sents[i + 1][0] <= start:
            i += 1
        if i < 0 or start < covered:
            continue
        _, content, stop, mode = sents[i]
        if start < content or start >= stop or mode != "claim":
            continue
        tail = _EVENT_TAIL_MATCH(text, end, stop)
        covered = tail.end() if tail else end
        found.append((start, i, "event", text[start:covered].strip()))
