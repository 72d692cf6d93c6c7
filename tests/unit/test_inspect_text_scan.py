"""The shared per-send analysis (TextScan) and the fast paths behind it give the standalone results."""

from __future__ import annotations

import re

import pytest

from proctor.inspect.claims import extract_claims
from proctor.inspect.claims_lexicon import (
    ASK_FIRST,
    ASK_PHRASES,
    TOKENS_DIGIT_FIRST,
    TOKENS_OTHER_FIRST,
    first_letters,
    fold_case,
)
from proctor.inspect.pii import find_pii
from proctor.inspect.terms import StemPatterns, TermMatcher
from proctor.inspect.text_scan import TextScan
from proctor.inspect.text_sentences import _ASK_MATCH, _ASK_MATCH_BY_LEAD, blank_links, may_have_links
from proctor.inspect.text_tokens import TOKEN_RE
from proctor.inspect.topics import find_sensitive_topics

BODIES = [
    "Hi Raj,\n\nCongrats on the Series C. I saw that Hooli raised $40M in October and opened a Berlin "
    "office. Our pricing includes a 15% discount; we're SOC 2 compliant.\n\nBest,\nSam",
    "Globex raised a $40M Series B (see https://news.example/Q3-2026 or mail ir@globex.example).",
    "Card on file: 4111 1111 1111 1111, SSN 123-45-6789. Social security no. 219-09-9998 is void.",
    "Tax id: SSN: 078 05 1121 and 1 2 3 4 5 6 7 8 9 0 1 2 3 4 in one run.",
    "ΟΔΟΣ raised funding. İstanbul ſſn 123-45-6789 — Kelvin \u212a 5\u212a dollars, risk-free!",
    "pricing\nraised $20M to expand into new markets; the guaranteed results are risk free.",
    "",
]
SUBJECTS = ["", "Quick note", "Re: pricing for Globex ΣΑΣ", "İ raised", "Funding\n"]


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("body", BODIES)
def test_text_scan_matches_the_standalone_checks(subject: str, body: str) -> None:
    scan = TextScan(subject, body)
    text = f"{subject}\n{body}" if subject else body
    terms = TermMatcher(["guaranteed results", "risk-free", "100% secure"])
    allowed = ("sam@acme.io",)
    assert scan.text == text
    assert scan.terms(terms) == terms.find(text)
    assert scan.pii(allowed) == find_pii(text, allowed_emails=allowed)
    assert (scan.topics() if text else []) == find_sensitive_topics(text)
    assert (scan.claims() if body else []) == extract_claims(body)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?i:dollars|usd|euros?)\b",
        r"x(?i:am|p\.m\.)\s(?i:[a-z]+)",
        r"^(?i:in|since|this)\s+",
        r"(?i:k|mm|m|bn|b)\b",
    ],
)
@pytest.mark.parametrize(
    "text", ["5 DOLLARS", "5 uſd", "x AM x", "xP.M. Zed", "İN May", "ıN May", "THIS week", "5\u212a", "5 Bn"]
)
def test_fold_case_matches_what_ignorecase_matches(pattern: str, text: str) -> None:
    want = [m.span() for m in re.finditer(pattern, text)]
    assert [m.span() for m in re.finditer(fold_case(pattern), text)] == want


def test_stem_gate_keeps_stems_whose_regex_cannot_be_split() -> None:
    scanner = StemPatterns(
        [
            ("legal", "terms", r"terms\s+(?:and|&)\s+conditions\b|terms\s+of\s+use\b"),  # top-level '|'
            ("fee", "fee", r"fees?\b"),
            ("free", "at no", r"at\s+no\s+cost\b"),  # the regex does not spell the stem
            ("money", "$", r"\$\d+"),
            ("quote", "quote", r"quote\b", r"\b(?:a|the)\s+"),
        ]
    )
    text = "terms of use, fees at no cost for $40 and a quote; the quote. terms and conditions"
    assert scanner.scan(text) == [
        (0, 12, "legal"),
        (14, 18, "fee"),
        (19, 29, "free"),
        (34, 37, "money"),
        (44, 49, "quote"),
        (55, 60, "quote"),
        (62, 82, "legal"),
    ]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("order 4111 1111 1111 1111 shipped", ["payment_card"]),
        ("ref 4111-1111-1111-1111-9999-9999 and 4111111111111111", ["payment_card"]),
        ("SSN: 123 45 6789 and social security number 123-45-6789", ["us_ssn", "us_ssn"]),
        ("ssn 123-45-6789 in İstanbul, ſſn 123456789", ["us_ssn", "us_ssn"]),
        ("call 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 now", []),
    ],
)
def test_pii_fast_paths_find_cards_and_ssns(text: str, kinds: list[str]) -> None:
    assert [f.kind for f in find_pii(text)] == kinds


def _unguarded_token_re() -> re.Pattern[str]:
    """TOKEN_RE as it reads without the shared lookahead in front of the unit patterns."""
    digit, other = TOKENS_DIGIT_FIRST, TOKENS_OTHER_FIRST
    return re.compile(
        "[0-9$€£A-Z](?:(?<=[0-9])(?:"
        + "|".join(f"(?:{fold_case(p)})(?P<_{i}>)" for i, (p, _) in enumerate(digit))
        + ")|"
        + "|".join(f"(?:{fold_case(p)})(?P<_{i + len(digit)}>)" for i, (p, _) in enumerate(other))
        + ")"
    )


def test_token_guard_changes_no_token() -> None:
    import random

    plain = _unguarded_token_re()
    pieces = ["1", "20", "2026", "3:30", "am", "P.M.", " ", "-", ",", ".", "%", " percent", "k", "M", "bn",
              " million", "usd", "Dollars", "€", "$", "minutes", "hrs", "ſ", "\u212a", "x", "/", "st", " of ",
              "May", "Q", "FY", "'", "\t", "s", "h", "p", "Model", "Series B"]  # fmt: skip
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        want = [(m.span(), m.lastgroup) for m in plain.finditer(text)]
        assert [(m.span(), m.lastgroup) for m in TOKEN_RE.finditer(text)] == want, text


def test_numbers_with_and_without_units_keep_their_kinds() -> None:
    body = (
        "Globex grew to 120 reps, raised $5M and 2 million dollars, and cut churn 15% (7 percent in Q3). "
        "We met at 3 pm for 30 minutes."
    )
    assert [(c.kind, c.value) for c in extract_claims(body)] == [  # the time and the duration are not claims
        ("name", "Globex"),
        ("event", "grew"),
        ("number", "120"),
        ("event", "raised $5M"),
        ("money", "$5M"),
        ("money", "2 million dollars"),
        ("percent", "15%"),
        ("percent", "7 percent"),
        ("date", "Q3"),
    ]


@pytest.mark.parametrize("phrase", [p.replace("\\s+", " ").replace("\\s", " ") for p in ASK_PHRASES])
def test_asks_by_first_letter_agree_with_the_full_ask_regex(phrase: str) -> None:
    for text in (phrase, phrase.upper(), phrase.title(), "x" + phrase, phrase + " you", "Nope " + phrase):
        lead = text[0]
        quick = _ASK_MATCH_BY_LEAD.get(lead)
        assert bool(quick and quick(text)) == bool(_ASK_MATCH(text)), text


def test_ask_sentences_count_only_money_and_percentages() -> None:
    body = "Would you like the 40-page deck? Happy to share Globex's 15% uplift. LMK if Globex fits."
    assert [(c.kind, c.value) for c in extract_claims(body)] == [("percent", "15%")]


def test_first_letters_of_ask_phrases() -> None:
    assert first_letters(r"(?:would|could|i'd)\s+you") == frozenset("wci")
    assert frozenset("wcsmlfhgioadjrtnp" + "WCSMLFHGIOADJRTNP") == ASK_FIRST
    for bad in (r"[ab]c", r"\bx", r"a?b", r"(?:a|b)?c"):
        with pytest.raises(ValueError):
            first_letters(bad)


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Mail ir@globex.example today", True),
        ("See HTTPS://news.example", False),  # the link blanker looks for lower-case "http" only
        ("see https://news.example", True),
        ("www.globex.com/careers", True),
        ("wwwx and htt p", False),
        ("", False),
    ],
)
def test_may_have_links(text: str, links: bool) -> None:
    assert may_have_links(text) is links
    if not links:
        assert blank_links(text) == text
        assert extract_claims(text, links=False) == extract_claims(text)
