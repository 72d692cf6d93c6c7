"""The evidence check ("no receipts, no send", SPEC §6): claims in a body vs receipt facts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from proctor.inspect.claims import Claim, extract_claims, match_claims, unsupported


@dataclass(frozen=True)
class Fact:
    text: str
    confidence: float = 0.9


def missing(body: str, facts: list[Fact], ignore: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    results = match_claims(extract_claims(body), facts, min_confidence=0.6, ignore=ignore)
    return [(r.claim.kind, r.claim.value) for r in unsupported(results)]


def claims(body: str) -> list[tuple[str, str]]:
    return [(c.kind, c.value) for c in extract_claims(body)]


def test_reference_follow_up_has_no_claims() -> None:
    assert missing("Hi Ana, circling back on the pilot timeline. Does Thursday suit you?", []) == []


def test_reference_pricing_percent_is_unsupported() -> None:
    assert missing("Hi Raj, attached is our pricing with a 15% discount.", []) == [("percent", "15%")]


@pytest.mark.parametrize(
    "body",
    [
        "Hi Ana,\n\nHope you had a good week.\n\nBest,\nSam",
        "Would you be open to a 20-minute call next Tuesday at 3pm?",
        "Let me know if Thursday or Friday works for a quick chat.",
        "Are you the right person to talk to about SDR ramp at Globex?",
        "Hello Dana! Quick question: who owns outbound at your company?",
        "Thanks,\nMaria Lopez\nAccount Executive, Acme Inc.\n+1 415 555 0132",
        "Happy to share more whenever suits you.",
        "Would a 15 min chat on Monday make sense?",
    ],
)
def test_not_claims(body: str) -> None:
    assert claims(body) == []


def test_claim_kinds() -> None:
    body = (
        "Globex raised a $40M Series B in March 2026. "
        "Your team grew headcount by 35% and now has 1,200 employees. "
        "I noticed you run Salesforce and Snowflake, and that DataRobot is on your stack."
    )
    found = set(claims(body))
    assert {("money", "$40M"), ("date", "March 2026"), ("percent", "35%"), ("number", "1,200")} <= found
    assert {("name", "Globex"), ("name", "Series B")} <= found
    assert {("technology", "Salesforce"), ("technology", "Snowflake"), ("technology", "DataRobot")} <= found
    assert any(kind == "event" and value.startswith("raised") for kind, value in found)


def test_sentence_start_words_are_not_names() -> None:
    assert claims("Noticed the team is growing fast.") == [("event", "growing fast")]
    assert ("name", "Globex") in claims("Globex opened a new office.")


@pytest.mark.parametrize(
    ("claim_text", "fact_text"),
    [
        ("15%", "Churn fell by 15 percent"),
        ("$2M", "They saved 2,000,000 dollars"),
        ("$2 million", "a $2M budget"),
        ("1.2k", "1,200 customers"),
        ("€3.5bn", "revenue of 3.5 billion euros"),
    ],
)
def test_numbers_normalise(claim_text: str, fact_text: str) -> None:
    assert (
        missing(f"Globex reported {claim_text} last quarter.", [Fact(f"Globex reported: {fact_text}")]) == []
    )


def test_number_mismatch_is_unsupported() -> None:
    facts = [Fact("Globex cut onboarding time by 20% in 2025")]
    assert missing("Globex cut onboarding time by 15% in 2025.", facts) == [("percent", "15%")]
    assert missing("Globex cut onboarding time by 20% in 2025.", facts) == []


@pytest.mark.parametrize("fact_date", ["March 2026", "2026-03", "3/2026", "March 14, 2026", "2026-03-14"])
def test_dates_normalise(fact_date: str) -> None:
    assert (
        missing("Globex opened the office in March 2026.", [Fact(f"Globex opened an office on {fact_date}")])
        == []
    )


def test_date_mismatch() -> None:
    facts = [Fact("Globex opened a Berlin office in April 2026")]
    assert missing("Congrats on opening the Berlin office in March 2026.", facts) == [("date", "March 2026")]
    assert missing("Congrats on the Berlin office opening in Q2 2026.", facts) == []


def test_names_and_technologies() -> None:
    facts = [Fact("Globex's data team runs on Snowflake and Salesforce", 0.8)]
    assert missing("I saw Globex moved its reporting to Snowflake.", facts) == []
    assert missing("I saw Globex moved its reporting to Databricks.", facts) == [("technology", "Databricks")]
    assert missing("Teams like Initech use Salesforce.", facts) == [("name", "Initech")]


def test_possessive_names() -> None:
    facts = [Fact("Globex hired a new VP of Sales")]
    assert missing("Saw Globex's new VP of Sales started this week.", facts) == []


@pytest.mark.parametrize(
    "fact_text",
    [
        "Globex opened a Berlin office in 2026",
        "Globex expanded to Berlin",
        "Globex announced its expansion into Berlin this spring",
    ],
)
def test_event_paraphrases_are_supported(fact_text: str) -> None:
    assert missing("Congrats on opening a Berlin office!", [Fact(fact_text)]) == []


def test_event_mismatch() -> None:
    facts = [Fact("Globex opened a Berlin office in 2026")]
    assert missing("Congrats on opening a Paris office!", facts) == [
        ("event", "opening a Paris office"),
        ("name", "Paris"),
    ]
    assert missing("Congrats on the acquisition of Initech!", facts) == [
        ("event", "acquisition of Initech"),
        ("name", "Initech"),
    ]


def test_low_confidence_facts_do_not_count() -> None:
    assert missing("Globex raised $40M.", [Fact("Globex raised $40M", 0.3)]) != []
    assert missing("Globex raised $40M.", [Fact("Globex raised $40M", 0.6)]) == []


def test_ignore_list() -> None:
    body = "Acme helped Initech ramp reps faster."
    assert missing(body, [], ignore=("Acme", "Initech")) == []
    assert ("name", "Initech") in missing(body, [], ignore=("Acme",))


def test_result_shape() -> None:
    facts = [Fact("nothing relevant", 0.9), Fact("Globex raised $40M in a Series B", 0.9)]
    results = match_claims(extract_claims("Globex raised $40M."), facts, min_confidence=0.6)
    money = next(r for r in results if r.claim.kind == "money")
    assert money.supported and money.fact_index == 1 and "fact 1" in money.detail
    assert money.claim == Claim("Globex raised $40M.", "money", "$40M")
    none = match_claims([Claim("x", "percent", "15%")], [], min_confidence=0.6)
    assert not none[0].supported and none[0].fact_index is None and "15%" in none[0].detail


def test_signature_and_links_are_not_claims() -> None:
    body = (
        "Globex raised $40M.\n\nBest,\nMaria\nAcme | www.acme.io | maria@acme.io | +1 415 555 0132\n"
        "Acme Inc., 100 Market St, San Francisco"
    )
    assert missing(body, [Fact("Globex raised $40M")]) == []


def test_links_and_addresses_are_blanked_before_claims() -> None:
    body = "Globex raised $40M (see https://news.example/Q3-2026 or mail ir.team@globex.example today)."
    found = claims(body)
    assert ("money", "$40M") in found and ("name", "Globex") in found
    assert not any("2026" in value or "globex.example" in value for _, value in found)
