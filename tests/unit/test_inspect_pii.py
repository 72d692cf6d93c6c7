"""PII in outbound content: the kinds behind the `pii_in_body` risk trigger (SPEC §5)."""

from __future__ import annotations

import pytest

from proctor.inspect.pii import PiiFinding, find_pii, redact_pii


def kinds(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find_pii(text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5555 5555 5555 4444",
        "3782 822463 10005",
        "6011 1111 1111 1117",
        "2223 0031 2200 3222",
    ],
)
def test_valid_cards_are_found(card: str) -> None:
    assert kinds(f"Please charge card {card} today.") == [("payment_card", card)]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "order 1234567812345670",  # passes Luhn, implausible issuer (1…)
        "ref 41 1111 1111 111111",  # odd grouping
        "tracking 4111111111111111222",  # 19 digits, fails Luhn
    ],
)
def test_invalid_cards_are_ignored(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "phone",
    [
        "+1 (415) 555-0132",
        "415-555-0132",
        "+44 20 7946 0000",
        "020 7946 0000",
        "+49 1512 3456789",
        "+1 415 555 0132 ext. 12",
        "(212) 555-0187",
    ],
)
def test_phone_numbers_are_not_pii(phone: str) -> None:
    assert kinds(f"Call me on {phone} any time.") == []


@pytest.mark.parametrize("ssn", ["123-45-6789", "536-22-1234", "772-10-0001"])
def test_valid_ssns(ssn: str) -> None:
    assert kinds(f"Her SSN is {ssn}.") == [("us_ssn", ssn)]


@pytest.mark.parametrize(
    "ssn", ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120"]
)
def test_ssn_invalid_ranges(ssn: str) -> None:
    assert kinds(f"number {ssn} here") == []


def test_labelled_compact_ssn() -> None:
    assert kinds("SSN: 123456789") == [("us_ssn", "123456789")]
    assert kinds("social security number 123 45 6789") == [("us_ssn", "123 45 6789")]
    assert kinds("invoice 123456789") == []
    assert kinds("SSN: 666456789") == []


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("NI number AB 12 34 56 C", "uk_nino"),
        ("NINO: JG103759A", "uk_nino"),
        ("DNI 12345678Z", "es_dni"),
        ("NIE X1234567L", "es_dni"),
        ("SIN 130 692 544", "ca_sin"),
    ],
)
def test_national_ids(text: str, subtype: str) -> None:
    found = find_pii(text)
    assert [(f.kind, f.subtype) for f in found] == [("national_id", subtype)]


@pytest.mark.parametrize(
    "text",
    [
        "QQ 12 34 56 C",
        "GB 12 34 56 A",
        "DNI 12345678A",
        "NIE X1234567A",
        "SIN 130 692 545",
        "ticket AB 12 34 56 E",
    ],
)
def test_invalid_national_ids(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize(
    "iban",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "ES91 2100 0418 4502 0005 1332",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91ABNA0417164300",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert kinds(f"Wire to {iban} thanks") == [("iban", iban)]


@pytest.mark.parametrize(
    "iban", ["GB82 WEST 1234 5698 7654 33", "DE89370400440532013001", "XX82WEST12345698765432"]
)
def test_invalid_ibans(iban: str) -> None:
    assert kinds(f"Wire to {iban}") == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB: 03/14/1985", "03/14/1985"),
        ("Date of birth 1985-03-14.", "1985-03-14"),
        ("She was born on 14 March 1985 in Leeds.", "14 March 1985"),
        ("Birthday: March 14, 1985", "March 14, 1985"),
        ("1985-03-14 (DOB)", "1985-03-14"),
    ],
)
def test_dates_of_birth(text: str, date: str) -> None:
    assert kinds(text) == [("date_of_birth", date)]


@pytest.mark.parametrize(
    "text",
    ["Can we meet on 03/14/2026?", "Globex was founded on 1 March 2001.", "The contract starts 2026-01-01."],
)
def test_dates_without_a_birth_cue_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_emails_other_than_sender_and_recipients() -> None:
    text = "Hi Dana (dana@globex.com), cc maria@acme.io. Their CFO is j.smith+ops@globex.com."
    allowed = ["Dana@Globex.com", "maria@ACME.io"]
    assert kinds(text, allowed_emails=allowed) == [("email", "j.smith+ops@globex.com")]
    assert len(find_pii(text)) == 3


def test_findings_in_text_order_without_overlap() -> None:
    text = "IBAN DE89370400440532013000, card 4111111111111111, SSN 123-45-6789, bob@x.org"
    found = find_pii(text)
    assert [f.kind for f in found] == ["iban", "payment_card", "us_ssn", "email"]
    assert all(text[f.start : f.end] == f.text for f in found)


def test_redaction() -> None:
    text = "Card 4111 1111 1111 1111, SSN 123-45-6789, mail bob@other.org, DOB: 03/14/1985."
    found = find_pii(text)
    assert [f.redacted for f in found] == ["****1111", "***-**-6789", "b***@other.org", "**/**/****"]
    assert redact_pii(text, found) == "Card ****1111, SSN ***-**-6789, mail b***@other.org, DOB: **/**/****."
    assert PiiFinding("iban", 0, 22, "GB82WEST12345698765432").redacted == "****5432"


def test_ordinary_sales_email_has_no_pii() -> None:
    body = (
        "Hi Ana, circling back on the pilot timeline. "
        "Globex raised $40M in March 2026 and has 1,200 employees. "
        "Call me at +1 (415) 555-0132. Order #100234 ships on 2026-04-01. Does Thursday suit you?"
    )
    assert find_pii(body, allowed_emails=["ana@umbrella.com"]) == []


def test_fast_gates_keep_findings_next_to_lookalikes() -> None:
    # Phone numbers and years pass the cheap digit-run gates; real ids next to them are still found.
    text = "Call +1 415 555 0134 in 2026. SIN 130 692 544, card 4111-1111-1111-1111."
    assert [(f.kind, f.text) for f in find_pii(text)] == [
        ("national_id", "130 692 544"),
        ("payment_card", "4111-1111-1111-1111"),
    ]
    assert find_pii("Call +1 415 555 0134 in 2026 or 20 Mar.") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # A run of capitals, digits, spaces and hyphens around the id: the gates see one long run.
        ("REF AB 4111 1111 1111 1111 B2", [("payment_card", "4111 1111 1111 1111")]),
        ("IDs: X 123-45-6789 Y", [("us_ssn", "123-45-6789")]),
        ("Box 7, dni 12345678Z.", [("national_id", "12345678Z")]),
        ("AB 12 34 56 C and JG123456C", [("national_id", "AB 12 34 56 C"), ("national_id", "JG123456C")]),
        ("Pay to GB82 WEST 1234 5698 7654 32 today.", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        (
            "She was BORN ON 12 March 1990; D.O.B. 1990-03-12.",
            [("date_of_birth", "12 March 1990"), ("date_of_birth", "1990-03-12")],
        ),
        ("Social Security: 123 45 6789", [("us_ssn", "123 45 6789")]),
    ],
)
def test_ids_are_found_among_capitals_digits_and_separators(text: str, found: list[tuple[str, str]]) -> None:
    assert [(f.kind, f.text) for f in find_pii(text)] == found
