"""The token scan of the evidence check: one compiled regex for every claim kind, and name helpers.

``TOKEN_RE`` finds, in one pass, the candidate tokens of a body (numbers, money, percentages,
dates, capitalised runs, models, times and durations to skip); ``TOKEN_KIND`` names the kind of a
match from its ``lastgroup``. ``EVENT_SCANNER`` finds event phrases ("raised", "opened an office")
on lower-cased text. Shared by claim extraction (``claims``) and receipt parsing (``text_evidence``).
"""

from __future__ import annotations

import functools
import re

from proctor.inspect.claims_lexicon import (
    DIGIT_GUARD,
    DIGIT_GUARDED,
    EVENTS,
    MON,
    TOKENS_DIGIT_FIRST,
    TOKENS_OTHER_FIRST,
    fold_case,
)
from proctor.inspect.terms import StemPatterns

__all__ = [
    "EVENT_SCANNER",
    "MONTH_RE",
    "POSSESSIVE_RE",
    "SUFFIX_RE",
    "TOKEN_KIND",
    "TOKEN_RE",
    "families",
    "norm_name",
]

# Every pattern is written without its first character, which a lookbehind checks, so the regex
# starts with one character class (CPython then skips all other characters in C). Each pattern
# ends with an empty named group: ``lastgroup`` names its kind. (A regex with a branch per first
# character was tried: its many groups made every match object slower to build than it saved.)
_KINDS = [kind for _, kind in (*TOKENS_DIGIT_FIRST, *TOKENS_OTHER_FIRST)]
_DIGIT_ALTS = [f"(?:{fold_case(pat)})(?P<_{i}>)" for i, (pat, _) in enumerate(TOKENS_DIGIT_FIRST)]
TOKEN_RE = re.compile(
    "[0-9$€£A-Z](?:(?<=[0-9])(?:"
    # The guarded patterns are tried only where their shared necessary lookahead holds.
    + f"(?={DIGIT_GUARD})(?:{'|'.join(_DIGIT_ALTS[:DIGIT_GUARDED])})|"
    + "|".join(_DIGIT_ALTS[DIGIT_GUARDED:])
    + ")|"
    + "|".join(
        f"(?:{fold_case(pat)})(?P<_{i + len(TOKENS_DIGIT_FIRST)}>)"
        for i, (pat, _) in enumerate(TOKENS_OTHER_FIRST)
    )
    + ")"
)
TOKEN_KIND = {f"_{i}": kind for i, kind in enumerate(_KINDS)}
MONTH_RE = re.compile(MON + r"$")
POSSESSIVE_RE = re.compile(r"['’]s?$")
SUFFIX_RE = re.compile(r"\s+(?:Inc|Corp|Corporation|Ltd|LLC|GmbH|Co|PLC|S\.?A|AG)\.?$")
EVENT_SCANNER = StemPatterns(EVENTS)


def families(text: str) -> set[str]:
    """The event families (funding, expansion, …) named anywhere in ``text``."""
    return {tag for _, _, tag in EVENT_SCANNER.scan(text.lower())}


@functools.lru_cache(maxsize=4096)
def norm_name(name: str) -> str:
    """A name as compared: possessive and company suffix dropped, casefolded, single-spaced."""
    return " ".join(SUFFIX_RE.sub("", POSSESSIVE_RE.sub("", name.strip())).casefold().split())
