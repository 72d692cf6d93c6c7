"""Whole-word, case-insensitive term matching (SPEC §6 blocked terms and competitors)."""

from __future__ import annotations

import pytest

from proctor.inspect.terms import StemPatterns, TermMatcher

POLICY_TERMS = ["guaranteed results", "risk-free", "100% secure"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We offer GUARANTEED RESULTS in 30 days.", ["guaranteed results"]),
        ("A risk-free pilot.", ["risk-free"]),
        ("A risk free pilot.", ["risk-free"]),
        ("Our platform is 100% secure.", ["100% secure"]),
        ("Guaranteed   results,\nrisk-free and 100% secure!", POLICY_TERMS),
        ("100% secure, risk-free, guaranteed results", POLICY_TERMS),  # policy order, not text order
        ("The results are guaranteed.", []),
        ("asterisk-free formatting", []),  # no match inside a word
        ("risk-freedom", []),
        ("It is 100% secured.", []),
        ("", []),
    ],
)
def test_policy_terms(text: str, expected: list[str]) -> None:
    assert TermMatcher(POLICY_TERMS).find(text) == expected


def test_competitors_whole_word_case_insensitive() -> None:
    m = TermMatcher(["Initech", "vandelay"])
    assert m.find("We replaced INITECH and Vandelay Industries.") == ["Initech", "vandelay"]
    assert m.find("Initech's pricing") == ["Initech"]
    assert m.find("initechnology and vandelays") == []


def test_deduplicates_and_keeps_canonical_spelling() -> None:
    m = TermMatcher(["Risk-Free", "risk-free", "  "])
    assert m.terms == ("Risk-Free",)
    assert m.find("risk-free risk free RISK-FREE") == ["Risk-Free"]


def test_empty_list_never_matches() -> None:
    assert TermMatcher([]).find("anything at all") == []


def test_multi_word_and_punctuation_terms() -> None:
    m = TermMatcher(["C++", "act now!", "no-brainer", "don't miss"])
    assert m.find("Our C++ SDK is a no brainer. Act now! Don’t miss it.") == [
        "C++",
        "act now!",
        "no-brainer",
        "don't miss",
    ]


def test_longest_term_wins_at_one_position() -> None:
    assert TermMatcher(["risk", "risk-free"]).find("a risk-free trial") == ["risk-free"]
    assert TermMatcher(["risk", "risk-free"]).find("low risk") == ["risk"]


def test_stem_patterns_respect_word_starts_and_context() -> None:
    scanner = StemPatterns([("price", "pric", r"pric(?:e|ing)\b"), ("money", "usd", r"usd\b", r"\d\s?")])
    assert scanner.scan("our pricing is 40 usd") == [(4, 11, "price"), (18, 21, "money")]
    assert scanner.scan("caprice and usd") == []


def test_stem_patterns_after_punctuation_and_non_word_stems() -> None:
    scanner = StemPatterns([("price", "pric", r"pric(?:e|ing)\b"), ("money", "$", r"\$\d+")])
    assert scanner.scan("(pricing) us$40 “price”") == [(1, 8, "price"), (12, 15, "money"), (17, 22, "price")]
    assert scanner.scan("pricing") == [(0, 7, "price")]


@pytest.mark.parametrize(
    ("terms", "text", "found"),
    [
        (["risk-free"], "riskier, risk-free, risk free and riskfree", ["risk-free"]),
        (["guaranteed results", "results"], "guaranteed results", ["guaranteed results"]),
        (["guaranteed results", "results"], "guaranteed gains, then results", ["results"]),
        (["o'brien"], "Ask O’Brien or obrien", ["o'brien"]),
        (["'tis"], "’Tis the season", ["'tis"]),  # no literal head: the whole text is scanned
        (["100% secure"], "100%secure? 100%  secure!", ["100% secure"]),
    ],
)
def test_terms_are_found_wherever_they_start(terms: list[str], text: str, found: list[str]) -> None:
    assert TermMatcher(terms).find(text) == found


def test_one_letter_heads_and_long_lists_still_match() -> None:
    assert TermMatcher(["e-mail", "a la carte"]).find("E-mail the A  la carte menu") == [
        "e-mail",
        "a la carte",
    ]
    many = [f"term{i} x" for i in range(12)]
    assert TermMatcher(many).find("see TERM3 x and term11   x") == ["term3 x", "term11 x"]


def test_head_scan_finds_what_a_full_scan_finds() -> None:
    import random

    rng = random.Random(7)
    for _ in range(2000):
        terms = [
            "".join(rng.choice("ab%") for _ in range(rng.randint(2, 3)))
            + "".join(rng.choice("ab -'’%") for _ in range(rng.randint(0, 3)))
            for _ in range(3)
        ]
        matcher = TermMatcher(terms)
        regex = matcher._regex
        assert regex is not None and matcher._heads is not None
        for _ in range(5):
            low = "".join(rng.choice("ab -'’\u2010\n%") for _ in range(rng.randint(0, 30)))
            want = [(m.span(), m.group()) for m in regex.finditer(low)]
            assert [(m.span(), m.group()) for m in matcher._matches(low)] == want, (terms, low)
