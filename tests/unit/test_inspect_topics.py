"""Sensitive topics behind the `sensitive_topic` risk trigger (SPEC §5)."""

from __future__ import annotations

import pytest

from proctor.inspect.topics import TopicFinding, find_sensitive_topics


def topics(text: str) -> list[str]:
    return [f.topic for f in find_sensitive_topics(text)]


def test_reference_case_pricing_and_discount() -> None:
    found = find_sensitive_topics("Hi Raj, attached is our pricing with a 15% discount.")
    assert found == [TopicFinding("pricing", "pricing"), TopicFinding("discount", "discount")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Pro plan is $45 per seat per month.", ["pricing"]),
        ("Happy to send a quote for 50 licenses.", ["pricing"]),
        ("Licenses are 40 USD each.", ["pricing"]),
        ("There is a one-time setup fee.", ["pricing"]),
        ("We can run the pilot at no cost to you.", ["pricing"]),
        ("It costs just $9 a user.", ["pricing"]),
        ("Take 20% off if you sign this week.", ["discount"]),
        ("Use promo code SPRING for two months free.", ["discount"]),
        ("We'll waive the onboarding fee.", ["pricing", "discount"]),
        ("I can send over the MSA and our DPA today.", ["legal"]),
        ("Our contract caps liability at 12 months of fees.", ["pricing", "legal"]),
        ("We include indemnification for IP claims.", ["legal"]),
        ("Our SLA credits kick in below 99.9%.", ["legal"]),
        ("We're SOC 2 Type II and ISO 27001 certified.", ["security_compliance"]),
        ("The platform is fully GDPR compliant.", ["security_compliance"]),
        ("Data is encrypted at rest with AES-256.", ["security_compliance"]),
        ("It's 100% secure and HIPAA-compliant.", ["security_compliance"]),
        (
            "Discounted pricing, a simple contract, SOC 2.",
            ["pricing", "discount", "legal", "security_compliance"],
        ),
    ],
)
def test_sensitive_topics(text: str, expected: list[str]) -> None:
    assert topics(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hi Ana, circling back on the pilot timeline. Does Thursday suit you?",
        "Happy to share more about how teams like yours ramp new reps.",
        "No cost to chat - would a 15-minute call next week work?",
        "Congrats on raising $40M in your Series B!",
        "We helped Initech save $2M in cloud spend last year.",
        "Most teams cut their tooling costs once routing is automated.",
        "Congrats on the promotion to VP Sales!",
        "I'd love to quote your CEO's keynote in our newsletter.",
        "Reps book 2x more meetings per rep per week.",
        "",
    ],
)
def test_ordinary_outreach_is_not_sensitive(text: str) -> None:
    assert topics(text) == []


def test_one_finding_per_topic_with_first_phrase() -> None:
    found = find_sensitive_topics("Pricing is $10/user; the price includes support. Discount: 10% off.")
    assert found == [TopicFinding("pricing", "Pricing"), TopicFinding("discount", "Discount")]
