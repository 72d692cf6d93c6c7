"""Sensitive topics in outbound content: pricing, discounts, legal terms, security/compliance claims.

These feed the ``sensitive_topic`` risk trigger (SPEC §5). The goal is to catch a seller
committing the company (a price, a discount, a contract term, a compliance claim) while
leaving ordinary outreach alone. Decisions taken here, on purpose:

* ``pricing`` fires on price/pricing/quote/invoice/billing/fees, "per seat/user/month" and on
  money amounts, except amounts next to funding or savings words ("raised $20M",
  "saved them $2M"), which are claims about the prospect, not prices.
* ``cost`` fires only when it is about what something costs ("the cost of the plan",
  "costs $40"), not "reduce your costs"; "no cost to chat/talk/meet" is ordinary outreach.
  "at no cost" / "free pilot" about the offer itself is a commercial commitment: pricing.
* ``discount`` fires on discounts, "% off", promo codes, coupons, free months, waived fees.
* ``legal`` fires on contracts, agreements (MSA, NDA, DPA), liability, indemnification,
  warranties, SLAs, renewal/termination terms.
* ``security_compliance`` fires on certifications and regulations (SOC 2, ISO 27001, GDPR,
  HIPAA, PCI DSS, FedRAMP, CCPA), "compliant/certified", absolute security claims
  ("fully secure", "unhackable", "bank-grade") and encryption claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TOPICS", "TopicFinding", "find_sensitive_topics"]

TOPICS: tuple[str, ...] = ("pricing", "discount", "legal", "security_compliance")


@dataclass(frozen=True, slots=True)
class TopicFinding:
    """One sensitive topic found in a text, with the phrase that triggered it."""

    topic: str
    phrase: str


_MONEY = r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|mm|bn|million|billion|thousand)\b)?" + (
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:k|m|million|billion|thousand)?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b)"
)

_PRICING = (
    r"\bpric(?:e|es|ed|ing)\b",
    r"\bquot(?:e|es|ed|ation)\b(?!\s+(?:from|by)\b)",
    r"\binvoic(?:e|es|ed|ing)\b",
    r"\bbilling\b",
    r"\b(?:license|licence|subscription|setup|set-up|onboarding|implementation|platform|annual)\s+fees?\b",
    r"\bper\s+(?:seat|user|license|licence|month|year|annum|head|rep|agent)\b",
    r"/\s?(?:seat|user|mo|month|yr|year)\b",
    r"\b(?:cost|costs)\s+(?:of\s+(?:the|our|a|an)\s+\w+|just|only|around|about|[$€£]|\d)",
    r"\b(?:the|our|total|annual|monthly)\s+cost\b(?!\s+(?:savings?|reduction|to\s+(?:chat|talk|meet|connect)))",
    r"\bat\s+no\s+(?:extra\s+|additional\s+)?cost\b",
    r"\bfree\s+(?:pilot|trial|of\s+charge|tier|plan)\b",
    _MONEY,
)

_DISCOUNT = (
    r"\bdiscount(?:s|ed|ing)?\b",
    r"\d+(?:\.\d+)?\s?(?:%|percent|per\s+cent)\s+off\b",
    r"\b(?:promo|promotion(?:al)?|coupon|voucher)(?:\s+codes?)?\b",
    r"\b(?:special|exclusive|limited[- ]time|introductory|end[- ]of[- ](?:quarter|year))\s+(?:offer|deal|pricing|rate)\b",
    r"\b(?:reduced|discounted|special)\s+(?:price|pricing|rate)\b",
    r"\b(?:\d+|one|two|three|first)\s+months?\s+(?:free|on\s+us)\b",
    r"\bwaiv(?:e|ed|ing)\s+(?:the\s+|your\s+|all\s+)?(?:\w+\s+)?fees?\b",
    r"\brebates?\b",
    r"\bearly[- ]bird\b",
)

_LEGAL = (
    r"\bcontract(?:s|ual)?\b",
    r"\b(?:terms\s+(?:and|&)\s+conditions|terms\s+of\s+service|legal\s+terms)\b",
    r"\bindemni\w+",
    r"\bliabilit(?:y|ies)\b",
    r"\b(?:MSA|NDA|DPA|BAA|SOW)s?\b",
    r"\b(?:master\s+services?|non[- ]disclosure|data\s+processing|business\s+associate)\s+agreements?\b",
    r"\bservice[- ]level\s+agreements?\b",
    r"\bSLAs?\b",
    r"\bwarrant(?:y|ies|ee)\b",
    r"\b(?:auto[- ]?renew\w*|termination\s+(?:clause|rights?|for\s+convenience))\b",
    r"\b(?:governing\s+law|jurisdiction|litigation|lawsuit|legal\s+(?:team|review|counsel))\b",
    r"\bredlines?\b",
)

_SECURITY = (
    r"\bSOC\s?[- ]?[12](?:\s+type\s+(?:1|2|i|ii))?\b",
    r"\bISO(?:/IEC)?\s?[- ]?27001\b",
    r"\b(?:GDPR|HIPAA|CCPA|FedRAMP|FERPA|SOX)\b",
    r"\bPCI(?:[- ]DSS)?\b",
    r"\b(?:fully|completely|totally|100%|perfectly|absolutely)\s+(?:secure|safe|compliant|protected)\b",
    r"\b(?:bank|military|enterprise)[- ]grade\s+(?:security|encryption)\b",
    r"\b(?:unhackable|unbreachable|never\s+been\s+(?:breached|hacked))\b",
    r"\bend[- ]to[- ]end\s+encrypt\w*",
    r"\bencrypt(?:ed|ion|s)?\b(?:\s+(?:at\s+rest|in\s+transit))?",
    r"\bAES[- ]?256\b",
    r"\b\w+[- ]compliant\b",
    r"\b(?:compliant|compliance)\s+with\b",
    r"\b(?:penetration|pen)\s+test(?:s|ed|ing)?\b",
    r"\bzero[- ]trust\b",
)

_SPEC = {"pricing": _PRICING, "discount": _DISCOUNT, "legal": _LEGAL, "security_compliance": _SECURITY}
_GROUP_TOPIC = {f"g{i}": topic for i, topic in enumerate(TOPICS)}
_TOPIC_RE = re.compile(
    "|".join(f"(?P<g{i}>{'|'.join(_SPEC[topic])})" for i, topic in enumerate(TOPICS)),
    re.IGNORECASE,
)

# Words that make a money amount a claim about the prospect rather than a price.
_NOT_A_PRICE = re.compile(
    r"\b(?:rais\w*|funding|fund|round|series|seed|valuation|valued|revenue|arr|sav\w*|"
    r"budget|spen[dt]\w*|acqui\w*|deal\s+size|invest\w*|grant|backed|loss|lost|fine[ds]?)\b",
    re.IGNORECASE,
)
_WINDOW = 48
# "cost" phrases that are ordinary outreach, not pricing.
_OUTREACH_COST = re.compile(r"\bno\s+cost\s+to\s+(?:chat|talk|meet|connect|listen|learn|ask)\b", re.IGNORECASE)


def _is_money(phrase: str) -> bool:
    """Return True when a pricing phrase is a bare money amount."""
    return phrase[:1] in "$€£" or phrase[:1].isdigit()


def find_sensitive_topics(text: str) -> list[TopicFinding]:
    """Return at most one finding per sensitive topic, in ``TOPICS`` order, with its first phrase."""
    if not text:
        return []
    found: dict[str, str] = {}
    for match in _TOPIC_RE.finditer(text):
        group = match.lastgroup
        if group is None:
            continue
        topic = _GROUP_TOPIC[group]
        if topic in found:
            continue
        phrase = match.group(0)
        if topic == "pricing":
            if _is_money(phrase):
                lo, hi = max(0, match.start() - _WINDOW), min(len(text), match.end() + _WINDOW)
                if _NOT_A_PRICE.search(text, lo, hi):
                    continue
            elif "cost" in phrase.lower():
                near = _OUTREACH_COST.search(text, max(0, match.start() - 8), match.end() + 24)
                if near is not None and near.start() <= match.start() < near.end():
                    continue
        found[topic] = phrase.strip()
        if len(found) == len(TOPICS):
            break
    return [TopicFinding(topic, found[topic]) for topic in TOPICS if topic in found]
