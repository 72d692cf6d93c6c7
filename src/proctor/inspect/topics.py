"""Sensitive topics in outbound content: pricing, discounts, legal terms, security/compliance claims.

These feed the ``sensitive_topic`` risk trigger (SPEC §5). The goal is to catch a seller
committing the company (a price, a discount, a contract term, a compliance claim) while
leaving ordinary outreach alone. Decisions taken here, on purpose:

* ``pricing`` fires on price/pricing, a quote (the noun, not "quote your CEO"), invoices,
  billing, fees, "per seat/user/licence" and money amounts, except amounts next to funding or
  savings words ("raised $20M", "saved them $2M"): those are claims about the prospect (the
  evidence check covers them), not prices. "cost" fires only when it states what something
  costs ("costs $40", "the cost of the plan", "at no cost to you"), never for "reduce your
  costs" or "no cost to chat". "per rep/month/year" alone is not pricing ("2x more meetings
  per rep").
* ``discount`` fires on discounts, "% off", promo codes (not a job promotion), coupons, free
  months, waived fees, special/introductory offers.
* ``legal`` fires on contracts, agreements (MSA, NDA, DPA), liability, indemnification,
  warranties, SLAs and penalties, renewal/termination terms, redlines.
* ``security_compliance`` fires on certifications and regulations (SOC 2, ISO 27001, GDPR,
  HIPAA, PCI DSS, FedRAMP, CCPA), "compliant", absolute security claims ("fully secure",
  "unhackable", "bank-grade security") and encryption claims.

Matching is on the lower-cased text with literal stems (``StemPatterns``), for speed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proctor.inspect.terms import StemPatterns

__all__ = ["PATTERNS", "TOPICS", "TopicFinding", "find_sensitive_topics", "topics_in"]

TOPICS: tuple[str, ...] = ("pricing", "discount", "legal", "security_compliance")


@dataclass(frozen=True, slots=True)
class TopicFinding:
    """One sensitive topic found in a text, with the phrase that triggered it."""

    topic: str
    phrase: str


_AMOUNT_BEFORE = r"\d[\d,.]*\s?(?:k|m|million|billion|thousand)?\s?"
_TAIL_MONEY = r"\s?\d[\d,]*(?:\.\d+)?"

# (topic, literal stem, regex matched at the stem on lower-cased text[, regex required just before]).
PATTERNS: tuple[tuple[str, ...], ...] = (
    ("pricing", "pric", r"pric(?:e|es|ed|ing)\b"),
    ("pricing", "quot", r"quot(?:es|ed|ation)\b(?!\s+(?:from|by)\b)"),
    ("pricing", "quote", r"quote\b", r"\b(?:a|the|our|your|this|that|formal|updated|revised|final|price)\s+"),
    ("pricing", "quote", r"quote\s+for\b"),
    ("pricing", "invoic", r"invoic(?:e|es|ed|ing)\b"),
    ("pricing", "billing", r"billing\b"),
    ("pricing", "fee", r"fees?\b"),
    ("pricing", "per", r"per[- ](?:seat|user|licen[cs]e|annum)s?\b"),
    ("pricing", "cost", r"costs?\s+(?:just|only|around|about|[$€£]|\d)"),
    (
        "pricing",
        "cost",
        r"cost\s+of\s+(?:the|our|a|an)\s+(?:plan|licen[cs]e|subscription|platform|product|pilot|seat)",
    ),
    (
        "pricing",
        "at no",
        r"at\s+no\s+(?:extra\s+|additional\s+)?cost\b(?!\s+to\s+(?:chat|talk|meet|connect))",
    ),
    ("pricing", "free", r"free\s+(?:pilot|trial|of\s+charge|tier|plan)\b"),
    ("pricing", "$", r"\$" + _TAIL_MONEY),
    ("pricing", "€", "€" + _TAIL_MONEY),
    ("pricing", "£", "£" + _TAIL_MONEY),
    ("pricing", "usd", r"usd\b", _AMOUNT_BEFORE),
    ("pricing", "dollar", r"dollars?\b", _AMOUNT_BEFORE),
    ("pricing", "euro", r"euros?\b", _AMOUNT_BEFORE),
    ("pricing", "eur", r"eur\b", _AMOUNT_BEFORE),
    ("pricing", "gbp", r"gbp\b", _AMOUNT_BEFORE),
    ("discount", "discount", r"discount(?:s|ed|ing)?\b"),
    ("discount", "%", r"%\s?off\b"),
    ("discount", "percent", r"percent\s+off\b"),
    ("discount", "promo", r"promo(?:\s+codes?|tional\s+(?:pricing|offer|rate|price|discount))?\b"),
    ("discount", "coupon", r"coupons?\b"),
    ("discount", "voucher", r"vouchers?\b"),
    ("discount", "special", r"special\s+(?:offer|deal|pricing|price|rate)\b"),
    ("discount", "exclusive", r"exclusive\s+(?:offer|deal|pricing|rate)\b"),
    ("discount", "limited", r"limited[- ]time\s+(?:offer|deal|pricing|rate)\b"),
    ("discount", "introductory", r"introductory\s+(?:offer|pricing|price|rate)\b"),
    ("discount", "reduced", r"reduced\s+(?:price|pricing|rate|fee)s?\b"),
    ("discount", "month", r"months?\s+(?:free|on\s+us)\b"),
    ("discount", "waiv", r"waiv(?:e|ed|ing)\s+(?:the\s+|your\s+|all\s+)?(?:\w+\s+)?fees?\b"),
    ("discount", "rebate", r"rebates?\b"),
    ("discount", "early", r"early[- ]bird\b"),
    ("legal", "contract", r"contract(?:s|ual|ually)?\b"),
    ("legal", "terms", r"terms\s+(?:and|&)\s+conditions\b|terms\s+of\s+(?:service|use)\b"),
    ("legal", "legal", r"legal\s+(?:terms|team|review|counsel)\b"),
    ("legal", "indemni", r"indemni\w*"),
    ("legal", "liabilit", r"liabilit(?:y|ies)\b"),
    ("legal", "msa", r"msas?\b"),
    ("legal", "nda", r"ndas?\b"),
    ("legal", "dpa", r"dpas?\b"),
    ("legal", "master", r"master\s+services?\s+agreements?\b"),
    ("legal", "non", r"non[- ]disclosure\b"),
    ("legal", "data", r"data\s+processing\s+(?:agreement|addendum)s?\b"),
    ("legal", "service", r"service[- ]level\s+(?:agreement|commitment)s?\b"),
    ("legal", "sla", r"slas?\b"),
    ("legal", "warrant", r"warrant(?:y|ies)\b"),
    ("legal", "auto", r"auto[- ]?renew\w*"),
    ("legal", "termination", r"termination\s+(?:clause|rights?|for\s+convenience|fee)\b"),
    ("legal", "governing", r"governing\s+law\b"),
    ("legal", "jurisdiction", r"jurisdictions?\b"),
    ("legal", "litigation", r"litigation\b"),
    ("legal", "lawsuit", r"lawsuits?\b"),
    ("legal", "redlin", r"redlin(?:e|es|ed|ing)\b"),
    ("legal", "penalt", r"penalt(?:y|ies)\b"),
    ("security_compliance", "soc", r"soc\s?[- ]?[123](?:\s+type\s+(?:1|2|i|ii))?\b"),
    ("security_compliance", "iso", r"iso(?:/iec)?\s?[- ]?270(?:01|17|18)\b"),
    ("security_compliance", "gdpr", r"gdpr\b"),
    ("security_compliance", "hipaa", r"hipaa\b"),
    ("security_compliance", "ccpa", r"ccpa\b"),
    ("security_compliance", "fedramp", r"fedramp\b"),
    ("security_compliance", "pci", r"pci(?:[- ]dss)?\b"),
    *(
        ("security_compliance", adverb, adverb + r"\s+(?:secure|safe|compliant|protected)\b")
        for adverb in ("fully", "completely", "totally", "100%", "perfectly", "absolutely")
    ),
    *(
        ("security_compliance", kind, kind + r"[- ]grade\s+(?:security|encryption)\b")
        for kind in ("bank", "military", "enterprise")
    ),
    ("security_compliance", "unhackable", r"unhackable\b"),
    ("security_compliance", "unbreachable", r"unbreachable\b"),
    ("security_compliance", "never been", r"never\s+been\s+(?:breached|hacked)\b"),
    ("security_compliance", "end", r"end[- ]to[- ]end\s+encrypt\w*"),
    ("security_compliance", "encrypt", r"encrypt(?:ed|ion|s)?\b(?:\s+(?:at\s+rest|in\s+transit))?"),
    ("security_compliance", "aes", r"aes[- ]?256\b"),
    ("security_compliance", "compliant", r"compliant\b"),
    ("security_compliance", "compliance", r"compliance\s+with\b"),
    ("security_compliance", "penetration", r"penetration\s+test\w*"),
    ("security_compliance", "pen test", r"pen\s+test\w*"),
    ("security_compliance", "zero", r"zero[- ]trust\b"),
)
_SCANNER = StemPatterns(PATTERNS)  # type: ignore[arg-type]

# Words that make a money amount a claim about the prospect rather than a price.
_NOT_A_PRICE = re.compile(
    r"\b(?:rais\w*|funding|fund|round|series|seed|valuation|valued|revenue|arr|sav\w*|"
    r"budget|spen[dt]\w*|acqui\w*|deal\s+size|invest\w*|grant|backed|loss|lost|fine[ds]?)\b"
)
_WINDOW = 48


def find_sensitive_topics(text: str) -> list[TopicFinding]:
    """Return at most one finding per sensitive topic, in ``TOPICS`` order, with its first phrase."""
    if not text:
        return []
    low = text.lower()
    return topics_in(text, low, _SCANNER.scan(low))


def topics_in(text: str, low: str, hits: list[tuple[int, int, str]]) -> list[TopicFinding]:
    """The findings of ``find_sensitive_topics`` from the (start, end, topic) stem hits on ``low``."""
    same = len(low) == len(text)
    found: dict[str, str] = {}
    for start, end, topic in hits:
        if topic in found:
            continue
        if topic == "pricing" and low[start] in "$€£":
            lo, hi = max(0, start - _WINDOW), min(len(low), end + _WINDOW)
            if _NOT_A_PRICE.search(low, lo, hi):
                continue
        found[topic] = (text if same else low)[start:end].strip()
        if len(found) == len(TOPICS):
            break
    return [TopicFinding(topic, found[topic]) for topic in TOPICS if topic in found]
