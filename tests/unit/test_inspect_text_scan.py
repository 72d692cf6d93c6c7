"""The shared per-send analysis (TextScan) and the fast paths behind it give the standalone results."""

from __future__ import annotations

import re

import pytest

from proctor.inspect.claims import extract_claims
from proctor.inspect.claims_lexicon import fold_case
from proctor.inspect.pii import find_pii
from proctor.inspect.terms import StemPatterns, TermMatcher
from proctor.inspect.text_scan import TextScan
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
