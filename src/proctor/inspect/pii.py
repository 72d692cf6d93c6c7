"""Personal data in outbound content: the kinds behind the ``pii_in_body`` risk trigger (SPEC §5).

Every candidate is validated offline before it becomes a finding: payment cards pass Luhn and
have a plausible issuer prefix and grouping, IBANs pass ISO 7064 mod-97 with the country's
length, US SSNs respect the SSA's never-issued ranges, national ids carry their check letter
or digit. Dates count only next to a date-of-birth cue. Email addresses count unless they are
the sender's or a recipient's (``allowed_emails``). Phone numbers are never findings.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from proctor.inspect.text_shape import anchored, find_all, within
from proctor.inspect.text_shape import shape as shape_of


def _words(text: str) -> list[str]:
    return text.split()


__all__ = ["PII_KINDS", "PiiFinding", "find_pii", "redact_pii"]

PII_KINDS: tuple[str, ...] = ("payment_card", "us_ssn", "national_id", "iban", "date_of_birth", "email")


@dataclass(frozen=True, slots=True)
class PiiFinding:
    """One piece of personal data: its kind, its span in the text and the matched text."""

    kind: str
    start: int
    end: int
    text: str
    subtype: str = ""

    @property
    def redacted(self) -> str:
        """The finding masked for display: ``****1111``, ``***-**-6789``, ``d***@globex.com``."""
        if self.kind == "email":
            local, _, domain = self.text.partition("@")
            return f"{local[:1]}***@{domain}"
        if self.kind == "date_of_birth":
            return "".join("*" if ch.isalnum() else ch for ch in self.text)
        if self.kind in ("payment_card", "iban"):
            return "****" + "".join(ch for ch in self.text if ch.isalnum())[-4:]
        keep = 4
        out: list[str] = []
        for ch in reversed(self.text):
            if ch.isalnum():
                out.append(ch if keep > 0 else "*")
                keep -= 1
            else:
                out.append(ch)
        return "".join(reversed(out))


def _glued(text: str, start: int, extra: str) -> bool:
    """True when the match starts in the middle of a word (or right after one of ``extra``)."""
    if start == 0:
        return False
    ch = text[start - 1]
    return ch.isalnum() or ch == "_" or ch in extra


# --- payment cards -----------------------------------------------------------------------------

_CARD_RE = re.compile(r"\d(?:[ -]?\d){12,18}(?![\w\-/]|[.,]\d)")
_CARD_GROUPINGS = {(4, 6, 5), (4, 6, 4)}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _plausible_iin(d: str) -> bool:
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)
    p2, p4 = int(d[:2]), int(d[:4])
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if d[:4] == "6011" or p2 == 65 or 644 <= int(d[:3]) <= 649 or p2 == 62:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if p2 in (36, 38, 39) or 300 <= int(d[:3]) <= 305:
        return 14 <= n <= 19
    return d[0] in "56" and 12 <= n <= 19  # Maestro ranges


def _card_grouping_ok(raw: str) -> bool:
    seps = {ch for ch in raw if not ch.isdigit()}
    if not seps:
        return True
    if len(seps) > 1:
        return False
    groups = [len(g) for g in raw.split(seps.pop())]
    if tuple(groups) in _CARD_GROUPINGS:
        return True
    return all(g == 4 for g in groups[:-1]) and 1 <= groups[-1] <= 4


# In the shape: a run of at least 13 digits, each after at most one space or hyphen. A card number
# (``_CARD_RE``) can only start and end inside such a run.
_CARD_SPAN_RE = re.compile(rb"0(?:[ \-]?0){12,}")


def _cards(text: str, shape: bytes | None = None) -> list[PiiFinding]:
    out = []
    found = (
        _CARD_RE.finditer(text)
        if shape is None
        else within(_CARD_RE, text, (m.span() for m in _CARD_SPAN_RE.finditer(shape)))
    )
    for m in found:
        if _glued(text, m.start(), "+-/.,"):
            continue
        raw = m.group(0)
        digits = raw.replace(" ", "").replace("-", "")
        if _card_grouping_ok(raw) and _plausible_iin(digits) and _luhn(digits):
            out.append(PiiFinding("payment_card", m.start(), m.end(), raw))
    return out


# --- US social security numbers ------------------------------------------------------------

_SSN_RE = re.compile(r"\d{3}-\d{2}-\d{4}(?![\w\-/]|\.\d)")
_SSN_LABELLED_RE = re.compile(
    r"(?:\bSSN|\bsocial\s+security(?:\s+(?:number|no\.?|#))?)\s*(?:#|no\.?|number|is)?\s*[:#]?\s*"
    r"(?P<lab>(?!000|666|9\d\d)\d{3}[ -]?(?!00)\d{2}[ -]?(?!0000)\d{4})(?!\d)",
    re.IGNORECASE,
)


def _ssn_ok(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area not in ("000", "666")
        and area[0] != "9"
        and group != "00"
        and serial != "0000"
        and digits not in _SSN_VOID
    )


_SSN_VOID = {"078051120", "219099999"}  # published on a wallet insert / in an SSA ad: never valid
_SSN_CUE = re.compile("s(?:sn|ocial security)").search  # "ssn" in low or "social security" in low


def _labelled_ssns(text: str, low: str) -> Iterable[re.Match[str]]:
    """``_SSN_LABELLED_RE.finditer(text)``, tried only where "ssn" or "social" starts in an ASCII text."""
    if not text.isascii():  # non-ASCII letters can case-fold onto the label's letters
        return _SSN_LABELLED_RE.finditer(text)
    starts = sorted(i for needle in ("ssn", "social") for i in find_all(low, needle))
    out: list[re.Match[str]] = []
    end = 0
    for i in starts:
        if i >= end:
            m = _SSN_LABELLED_RE.match(text, i)
            if m is not None:
                out.append(m)
                end = m.end()
    return out


def _ssns(text: str, low: str, shape: bytes | None = None) -> list[PiiFinding]:
    found = _SSN_RE.finditer(text) if shape is None else anchored(_SSN_RE, text, shape, (b"000-00-0000",))
    out = [
        PiiFinding("us_ssn", m.start(), m.end(), m.group(0))
        for m in found
        if not _glued(text, m.start(), "-/.") and _ssn_ok(m.group(0).replace("-", ""))
    ]
    if _SSN_CUE(low) is None:
        return out
    for m in _labelled_ssns(text, low):
        start = m.start("lab")
        if all(f.start != start for f in out):
            out.append(PiiFinding("us_ssn", start, m.end(), text[start : m.end()]))
    return out


# --- national ids: UK NINO, Spanish DNI/NIE, Canadian SIN -----------------------------------

_NINO_RE = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])")
_DNI_RE = re.compile(r"\d{7,8}-? ?[A-Z](?![\w-])|[XYZ]-?\d{7}-? ?[A-Z](?![\w-])")
_SIN_RE = re.compile(r"[1-79]\d{2}(?P<sep>[ -])\d{3}(?P=sep)\d{3}(?![\w\-/]|\.\d)")
_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI_STARTS = (b"0000000", b"A0000000", b"A-0000000")


def _dni_ok(raw: str) -> bool:
    s = raw.replace("-", "").replace(" ", "")
    head, letter = s[:-1], s[-1]
    if head[0] in "XYZ":
        if len(head) != 8:
            return False
        head = str("XYZ".index(head[0])) + head[1:]
    elif len(head) != 8:
        return False
    return _DNI_LETTERS[int(head) % 23] == letter


def _national_ids(
    text: str, ninos: Iterable[re.Match[str]], dnis: Iterable[re.Match[str]], sins: Iterable[re.Match[str]]
) -> list[PiiFinding]:
    out = [
        PiiFinding("national_id", m.start(), m.end(), m.group(0), "uk_nino")
        for m in ninos
        if m.group(0)[:2] not in _NINO_BAD_PREFIX and not _glued(text, m.start(), "-")
    ]
    out += [
        PiiFinding("national_id", m.start(), m.end(), m.group(0), "es_dni")
        for m in dnis
        if _dni_ok(m.group(0)) and not _glued(text, m.start(), "-")
    ]
    out += [
        PiiFinding("national_id", m.start(), m.end(), m.group(0), "ca_sin")
        for m in sins
        if _luhn(m.group(0).replace(" ", "").replace("-", "")) and not _glued(text, m.start(), "-+/.")
    ]
    return out


# --- IBAN ----------------------------------------------------------------------------------

_IBAN_LENGTHS = {
    entry[:2]: int(entry[2:])
    for entry in _words(
        """
        AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28
        EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26
        IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18
        NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24
        TR26 UA29 VA22 VG24 XK20
        """
    )
}
_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")


def _mod97_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _ibans(text: str, matches: Iterable[re.Match[str]]) -> list[PiiFinding]:
    out = []
    for m in matches:
        if _glued(text, m.start(), ""):
            continue
        raw = m.group(0)
        length = _IBAN_LENGTHS.get(raw[:2])
        if length is None:
            continue
        # Trim to the country's length (the regex may have swallowed a following word).
        count, end = 0, len(raw)
        for i, ch in enumerate(raw):
            if ch != " ":
                count += 1
                if count == length:
                    end = i + 1
                    break
        if count < length or (end < len(raw) and raw[end] != " "):
            continue
        compact = raw[:end].replace(" ", "")
        if _mod97_ok(compact):
            out.append(PiiFinding("iban", m.start(), m.start() + end, raw[:end]))
    return out


# --- dates of birth ------------------------------------------------------------------------

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)"
)
_DOB_CUE = r"(?:\bDOB\b|\bD\.O\.B\.|\bdate\s+of\s+birth\b|\bborn(?:\s+on)?\b|\bbirth\s?day\b|\bbirthdate\b)"
_DOB_RE = re.compile(
    rf"{_DOB_CUE}[^\n.?!\d]{{0,24}}?(?P<a>{_DATE})(?![\w/])|(?<![\w/])(?P<b>{_DATE})\s*[(\[,-]?\s*{_DOB_CUE}",
    re.IGNORECASE,
)


# "birth", "born", "dob" or "d.o.b" in the lower-cased text (regexes that start with a literal).
_BIRTH_HINT = re.compile("b(?:irth|orn)").search
_DOB_HINT = re.compile(r"d(?:ob|\.o\.b)").search


def _dobs(text: str, low: str) -> list[PiiFinding]:
    if _BIRTH_HINT(low) is None and _DOB_HINT(low) is None:
        return []
    out = []
    for m in _DOB_RE.finditer(text):
        g = "a" if m.group("a") else "b"
        out.append(PiiFinding("date_of_birth", m.start(g), m.end(g), m.group(g)))
    return out


# --- email addresses -----------------------------------------------------------------------

_EMAIL_RE = re.compile(r"[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def _emails(text: str, allowed: Collection[str]) -> list[PiiFinding]:
    if "@" not in text:
        return []
    ok = {a.strip().casefold() for a in allowed}
    out = []
    at = text.find("@")
    while at != -1:
        lo = at
        while lo > 0 and at - lo < 64 and (text[lo - 1].isalnum() or text[lo - 1] in "._+%-"):
            lo -= 1
        m = _EMAIL_RE.match(text, lo, at + 256)
        if m is not None and not _glued(text, lo, ".+-"):
            raw = m.group(0).rstrip(".")
            if raw.casefold() not in ok:
                out.append(PiiFinding("email", m.start(), m.start() + len(raw), raw))
            at = text.find("@", m.end())
        else:
            at = text.find("@", at + 1)
    return out


# --- cheap gates ---------------------------------------------------------------------------
# Every scanner needs a tell-tale run of digits (or capitals then digits) in the text's shape
# (``text_shape``: ASCII digits as '0', capitals as 'A'), tested before any scanner regex runs;
# a text with a non-ASCII decimal digit has no shape and runs every scanner.
# A card number needs one of these runs in the shape (tested inline in ``find_pii``: 13 digits,
# or 4-4-4-1 or 4-6-4 digits with spaces or hyphens); a SIN needs one of ``_SIN_STARTS``.
_SIN_STARTS = (b"000 000 000", b"000-000-000")
# The runs of the shape that start at a digit and go on over digits, capitals, spaces and hyphens.
# A tell-tale run that starts with a digit lies inside one of them, so the gates of the digit-led
# runs test these few short runs (joined by '|', which is in no tell-tale run) instead of scanning
# the whole shape once per gate; ``findall`` collects them in C.
_DIGIT_RUNS_RE = re.compile(rb"0[0A \-]*")
# Substring tests as regexes that start with a literal: CPython's regex engine finds a literal
# prefix faster than ``in`` does here (2-3x on a 1 KB text).
_IBAN_GATE = re.compile(rb"AA00").search  # b"AA00" in shape
_NINO_GATE = re.compile(rb"A ?00").search  # b"A00" in shape or b"A 00" in shape


def find_pii(text: str, *, allowed_emails: Collection[str] = (), low: str | None = None) -> list[PiiFinding]:
    """Return validated PII findings in ``text``, in text order, without overlapping spans.

    ``low`` is ``text.lower()`` when the caller has it already.
    """
    if not text:
        return []
    candidates: list[PiiFinding] = []
    shape = shape_of(text)
    if shape is None:
        low = text.lower() if low is None else low
        candidates += _ibans(text, _IBAN_RE.finditer(text))
        candidates += _cards(text)
        candidates += _ssns(text, low)
        candidates += _national_ids(
            text, _NINO_RE.finditer(text), _DNI_RE.finditer(text), _SIN_RE.finditer(text)
        )
        candidates += _dobs(text, low)
    elif 48 in shape:  # a digit ('0')
        low = text.lower() if low is None else low
        runs = b"|".join(_DIGIT_RUNS_RE.findall(shape))  # ``needle in runs``: a digit-led needle in shape
        if _IBAN_GATE(shape) is not None:
            candidates += _ibans(text, anchored(_IBAN_RE, text, shape, (b"AA00",)))
        if (
            b"0000000000000" in runs
            or b"0000 0000 0000 0" in runs
            or b"0000-0000-0000-0" in runs
            or b"0000 000000 0000" in runs
            or b"0000-000000-0000" in runs
        ):
            candidates += _cards(text, shape)
        if b"000-00-0000" in runs or _SSN_CUE(low) is not None:
            candidates += _ssns(text, low, shape)
        ninos = anchored(_NINO_RE, text, shape, (b"AA00", b"AA 00")) if _NINO_GATE(shape) is not None else []
        # A DNI starts at 7 digits, or at X, Y or Z (a capital) before them.
        dni = anchored(_DNI_RE, text, shape, _DNI_STARTS) if b"0000000" in runs else []
        sin = (
            anchored(_SIN_RE, text, shape, _SIN_STARTS)
            if b"000 000 000" in runs or b"000-000-000" in runs
            else []
        )
        if ninos or dni or sin:
            candidates += _national_ids(text, ninos, dni, sin)
        candidates += _dobs(text, low)
    candidates += _emails(text, allowed_emails)
    taken: list[PiiFinding] = []
    for f in candidates:  # earlier kinds win on overlap (IBAN before card before SSN ...)
        if all(f.end <= t.start or f.start >= t.end for t in taken):
            taken.append(f)
    taken.sort(key=lambda f: f.start)
    return taken


def redact_pii(text: str, findings: Collection[PiiFinding]) -> str:
    """Return ``text`` with each finding's span replaced by its ``redacted`` form."""
    parts: list[str] = []
    pos = 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        parts.append(text[pos : f.start])
        parts.append(f.redacted)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
