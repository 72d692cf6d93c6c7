"""The evidence check ("no receipts, no send", SPEC §6): specific claims in a body vs receipt facts.

``extract_claims`` finds the specific claims in an outbound body: numbers, money, percentages,
dates, names, events and technologies. Greetings, sign-offs and the signature below them,
questions and asks are not claims; in an ask ("Happy to share…", "Let me know…") only money and
percentages still count. Weekdays, times of day and meeting lengths are scheduling, not claims.
``match_claims`` then looks for a fact, at or above the policy's minimum confidence, that agrees:
same value for numbers (``15%`` = ``15 percent``, ``$2M`` = ``2,000,000 dollars``), compatible
dates (``March 2026`` = ``2026-03`` = ``3/2026``), the name in the fact's text, or, for events,
the same kind of event and the same key entity ("opened a Berlin office" ~ "expanded to Berlin").
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from proctor.inspect.terms import StemPatterns


def _words(text: str) -> list[str]:
    return text.split()


__all__ = ["Claim", "ClaimResult", "FactLike", "extract_claims", "match_claims", "unsupported"]

# --- lexicon -----------------------------------------------------------------------------------

_TECH_NAMES = (
    "Salesforce|Sales Cloud|Service Cloud|HubSpot|Hubspot|Snowflake|AWS|Amazon Web Services|Azure|GCP|"
    "Google Cloud|BigQuery|Redshift|Databricks|Kubernetes|Docker|Terraform|Kafka|Airflow|dbt|Fivetran|"
    "Segment|Marketo|Pardot|Outreach|Salesloft|SalesLoft|Gong|Chorus|Clari|ZoomInfo|Apollo|Clearbit|6sense|"
    "Demandbase|Gainsight|Zendesk|Intercom|Freshdesk|ServiceNow|Jira|Confluence|Asana|Notion|Slack|Okta|"
    "Auth0|Datadog|Splunk|New Relic|PagerDuty|Sentry|Grafana|Prometheus|Elasticsearch|MongoDB|PostgreSQL|"
    "Postgres|MySQL|Redis|Oracle|SAP|NetSuite|Workday|Dynamics 365|Microsoft Dynamics|Power BI|Tableau|"
    "Looker|Stripe|Chargebee|Zuora|Shopify|Magento|Twilio|SendGrid|Mailchimp|Klaviyo|Braze|"
    "Iterable|Amplitude|Mixpanel|Pendo|Optimizely|Figma|Miro|Airtable|Zapier|Workato|MuleSoft|"
    "Pipedrive|Zoho|Monday\\.com|GitHub|GitLab|Bitbucket|Jenkins|CircleCI|Vercel|Netlify|"
    "Heroku|Cloudflare|Fastly|Akamai|OpenAI|ChatGPT|Anthropic|Copilot|SharePoint|Office 365|"
    "Microsoft 365|Google Workspace|Node\\.js|React|Angular|Vue|Python|Java|TypeScript|JavaScript"
)
TECHNOLOGIES = frozenset(_TECH_NAMES.replace("\\", "").split("|"))
# Words that start sentences but are not names ("Saw that…", "Congrats on…").
COMMON_STARTS = frozenset(
    _words(
        """
        a an the we i our you your it its this that these those they their them he she his her my me
        us congrats congratulations saw noticed read heard just quick also and but so as since with
        after before given when while if most many some all teams companies leaders folks happy glad
        great thanks hope looking curious wanted reaching following circling attached here there
        what how why one another plus both each every recently last next today yesterday currently
        now still again based per according like unlike ps btw sorry nice love loved really sounds
        enjoyed imagine typically usually often we're i'm i've i'd you're it's that's there's let's
        not no yes sure okay ok please best cheers regards sincerely warmly hey hi hello dear
        welcome good new big huge exciting impressive interesting amazing especially meanwhile
        additionally finally first second third lastly overall anyway otherwise however therefore
        because although though whether having being seeing reading working helping customers
        clients partners businesses people kudos noted great speaking given following per across
        over under around teams companies leaders since once then than such other others more less
        even only about looks seems seemed saw see incredible excited wow awesome
        """
    )
)
# Capitalised words that are not claims: scheduling, titles, departments, generic acronyms, channels.
NON_NAMES = frozenset(
    _words(
        """
        I I'm I've I'd I'll Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Wed Thu
        Fri Today Tomorrow Tonight CEO CTO CFO COO CRO CMO CIO CISO VP SVP EVP Head Director Manager
        President Founder Co-founder Cofounder Chief Officer Sales Marketing Engineering Operations
        RevOps Ops Finance Product Revenue Growth Partnerships Security IT HR Customer Success
        Support Team Account Executive Development Representative AI ML B2B B2C SaaS CRM ERP ROI KPI
        KPIs SDR SDRs BDR BDRs AE AEs GTM PS P.S FYI ASAP EOD FAQ API APIs UI UX OK TL;DR LinkedIn
        Twitter Zoom Teams Meet Calendly Gmail Outlook AM PM EST PST CET GMT UTC ET PT Mr Mrs Ms Dr
        Re Fwd
        """
    )
)
# Words after a sentence-initial capitalised word that make it clearly a name ("Globex raised …").
NAME_FOLLOWERS = frozenset(
    _words(
        """
        raised opened announced acquired launched hired is was has had just recently uses used runs
        moved expanded grew signed closed partnered reported released unveiled introduced named
        appointed won went became bought merged secured added doubled tripled crossed surpassed
        migrated switched adopted deployed rolled laid cut posted published shared and
        """
    )
)
_OFFICE = (
    r"(?:office|offices|hub|location|store|hq|headquarters|site|campus|facility|center|centre|branch|lab)"
)
_ROLE = r"(?:ceo|cto|cfo|coo|cro|cmo|vp|head|chief|president)"
# (event family, literal stem, regex at the stem on lower-cased text): "opened a Berlin office" and
# "expanded to Berlin" are both ``expansion``, so a paraphrase of the fact still agrees.
EVENTS: tuple[tuple[str, str, str], ...] = (
    (
        "funding",
        "rais",
        r"rais(?:e|ed|es|ing)\b(?=(?:\s+[^\s]+){0,4}?\s+(?:[$€£]|\d|series|round|funding|seed|capital))",
    ),
    ("funding", "secur", r"secur(?:ed|es|ing)\s+(?:[$€£]|\d|\w+\s+(?:funding|investment|round))"),
    ("funding", "series", r"series\s+[a-f]\b"),
    ("funding", "funding", r"funding(?:\s+round)?\b"),
    ("funding", "seed", r"seed\s+round\b"),
    ("funding", "closed", r"closed\s+(?:a|an|its|their|your)\s+(?:\$?\w+\s+)?round\b"),
    ("funding", "backed", r"backed\s+by\b"),
    ("expansion", "open", rf"open(?:ed|s|ing)\s+(?:\w+\s+){{0,3}}?{_OFFICE}\b"),
    ("expansion", "new", rf"new\s+(?:\w+\s+)?{_OFFICE}\b"),
    ("expansion", "expan", r"expan(?:d|ded|ds|ding|sion)\b"),
    ("expansion", "enter", r"ent(?:ered|ering|ers)\s+(?:the\s+)?\w+\s+market"),
    ("expansion", "relocat", r"relocat\w+"),
    ("acquisition", "acqui", r"acqui(?:red|res|ring|sition)\b"),
    ("acquisition", "bought", r"bought\b"),
    ("acquisition", "merg", r"merg(?:ed|er|ing)\b"),
    ("launch", "launch", r"launch(?:ed|es|ing)?\b"),
    ("launch", "releas", r"releas(?:ed|es|ing)\b"),
    ("launch", "unveil", r"unveil(?:ed|s|ing)?\b"),
    ("launch", "introduc", r"introduc(?:ed|es|ing)\b"),
    ("launch", "announc", r"announc(?:ed|es|ing|ement)\b"),
    ("launch", "rolled out", r"rolled\s+out\b"),
    ("launch", "debut", r"debut(?:ed|s)?\b"),
    ("hiring", "hir", r"hir(?:ed|es|ing)\b"),
    ("hiring", "appoint", r"appoint(?:ed|s|ing|ment)\b"),
    ("hiring", "named", rf"named\s+\w+(?:\s+\w+)?\s+(?:as\s+)?(?:the\s+)?(?:new\s+)?{_ROLE}\b"),
    ("hiring", "joined as", r"joined\s+as\b"),
    ("hiring", "brought on", r"brought\s+on\b"),
    ("hiring", "headcount", r"headcount\b"),
    ("hiring", "open", r"open\s+(?:\w+\s+)?(?:roles|positions|reqs|jobs)\b"),
    ("hiring", "recruit", r"recruit(?:s|ed|ing)?\b"),
    ("hiring", "new", rf"new\s+{_ROLE}\b"),
    ("growth", "grew", r"grew\b"),
    ("growth", "grow", r"grow(?:n|s|ing|th)?\b"),
    ("growth", "doubl", r"doubl(?:ed|ing)\b"),
    ("growth", "tripl", r"tripl(?:ed|ing)\b"),
    ("growth", "scal", r"scal(?:ed|ing)\s+(?:to|up)\b"),
    ("growth", "surpass", r"surpass(?:ed|ing)\b"),
    ("growth", "cross", r"cross(?:ed|ing)\s+(?:[$€£]|\d)"),
    ("partnership", "partner", r"partner(?:ed|s|ing|ship)\s+with\b"),
    ("partnership", "teamed up", r"teamed\s+up\b"),
    ("partnership", "integrat", r"integrat(?:ed|es|ion)\s+with\b"),
    ("partnership", "signed", r"signed\s+(?:a|an|with)\b"),
    ("ipo", "ipo", r"ipo\b"),
    ("ipo", "went public", r"went\s+public\b"),
    ("ipo", "going public", r"going\s+public\b"),
    ("ipo", "listed on", r"listed\s+on\b"),
    ("award", "won", r"won\b"),
    ("award", "award", r"award(?:ed|s)?\b"),
    ("award", "recogni", r"recogni[sz]ed\s+(?:as|by|in)\b"),
    ("award", "ranked", r"ranked\b"),
    ("layoffs", "laid off", r"laid\s+off\b"),
    ("layoffs", "layoff", r"layoffs?\b"),
    ("layoffs", "restructur", r"restructur\w+"),
    ("layoffs", "downsiz", r"downsiz\w+"),
    ("migration", "migrat", r"migrat(?:ed|ing|ion)\s+(?:to|from|off)\b"),
    ("migration", "switch", r"switch(?:ed|ing)\s+(?:to|from)\b"),
    ("migration", "adopt", r"adopt(?:ed|ing)\b"),
    ("migration", "implement", r"implement(?:ed|ing)\b"),
    ("migration", "deploy", r"deploy(?:ed|ing)\b"),
    ("migration", "standardi", r"standardi[sz](?:ed|ing)\s+on\b"),
    ("migration", "started using", r"started\s+using\b"),
    ("migration", "moved off", r"moved\s+(?:off|from)\b"),
)
_EVENT_SCANNER = StemPatterns(EVENTS)


def _families(text: str) -> set[str]:
    return {tag for _, _, tag in _EVENT_SCANNER.scan(text.lower())}


CLAIM_KINDS: tuple[str, ...] = ("number", "money", "percent", "date", "name", "event", "technology")


@dataclass(frozen=True, slots=True)
class Claim:
    """A specific claim found in a body: the sentence it is in, its kind and its surface value."""

    sentence: str
    kind: str
    value: str


class FactLike(Protocol):
    """Anything with a text and a confidence, such as a receipt's fact."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """Whether one claim is supported, by which fact (index into the facts), and why."""

    claim: Claim
    supported: bool
    fact_index: int | None
    detail: str


# --- tokens ------------------------------------------------------------------------------------

_MON = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_NUM = r"[0-9](?:[0-9]{0,2}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]+)?"
_MULT = r"(?:(?i:k|mm|m|bn|b)\b|\s?(?i:thousand|million|billion|trillion)\b)"
_ORD = r"(?:st|nd|rd|th)?"
# Every alternative starts with a character class or a literal and ends with an empty marker group
# naming its kind: CPython's matcher can then reject an alternative from its first character, which
# keeps one scan of a 1 KB body cheap. Left-context rules are checked in Python (``_glued``).
_ALTERNATIVES = (
    (r"[0-9]{1,2}(?::[0-9]{2})?\s?(?i:am|pm|a\.m\.|p\.m\.)(?!\w)", "skip"),
    (rf"{_NUM}\s?-?\s?(?i:minutes?|mins?|hours?|hrs?|seconds?|secs?)\b", "skip"),
    (rf"[$€£]\s?{_NUM}{_MULT}?", "money"),
    (rf"{_NUM}{_MULT}?\s?(?i:dollars|usd|euros?|eur|gbp|pounds)\b", "money"),
    (rf"{_NUM}\s?(?:%|(?i:percent|per\s+cent|pct)\b)", "percent"),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}\b|[0-9]{4}-[0-9]{2}(?![0-9])", "date"),
    (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}\b|[0-9]{1,2}/[0-9]{4}\b", "date"),
    (r"[0-9]+[:/][0-9]+(?![/0-9:])", "skip"),
    (rf"[0-9]{{1,2}}{_ORD}\s+(?:of\s+)?{_MON}(?:,?\s+[0-9]{{4}}\b|(?!\w))", "date"),
    (rf"{_MON}(?:\s+[0-9]{{1,2}}{_ORD},?\s+[0-9]{{4}}\b|,?\s+[0-9]{{4}}\b|\s+[0-9]{{1,2}}{_ORD}\b)", "date"),
    (r"[QH][1-4]\s?(?:FY)?['’]?[0-9]{2,4}\b|[QH][1-4]\b|FY\s?['’]?[0-9]{2,4}\b", "date"),
    (r"(?:19|20)[0-9]{2}(?![\w%]|[.,][0-9]|\s?(?i:percent|million|billion))", "date"),
    (rf"{_NUM}(?:{_MULT}|x\b)?", "number"),
    (r"[A-Z][A-Za-z]+[- ][0-9]{1,5}\b", "model"),
    (r"[A-Z](?:[\w&'’-]*\w)?(?:\s+(?:(?:of|de|&)\s+)?[A-Z](?:[\w&'’-]*\w)?)*", "cap"),
)
_TOKEN_RE = re.compile("|".join(f"(?:{pat})(?P<{kind}{i}>)" for i, (pat, kind) in enumerate(_ALTERNATIVES)))
_TOKEN_KIND = {f"{kind}{i}": kind for i, (_, kind) in enumerate(_ALTERNATIVES)}
_NOT_MODEL = frozenset(
    _words(
        """
    In On By Of At For To The Over Top Page Step Day Week Year Up
    """
    )
)
_PREPOSITIONS = frozenset(
    _words(
        """
        in since by from until till last this early mid late of during before after
        """
    )
)
_CAMEL_RE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+")
_EVENT_TAIL_RE = re.compile(
    r"(?:[ \t]+(?!(?:and|but|which|who|so|because|since|when|while|last|this|next|ago|earlier|"
    r"yesterday|today|recently|to|for|with|as|after|before|during)\b)[^\s.,;:!?]+){0,5}",
    re.IGNORECASE,
)
_RUN_RE = re.compile(r"(?<![\w$€£.])[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*)*")
_MONTH_RE = re.compile(_MON + r"$")
_LAST_WORD_RE = re.compile(r"([A-Za-z]+)[\s-]*$")
_LEADING_PREP_RE = re.compile(r"^(?i:in|since|by|from|until|till|last|this|of|during|before|after)\s+")
_CLEAN_RE = re.compile(r"https?://\S+|www\.\S+|[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_BOUNDARY_RE = re.compile(r"[.!?]+[\"'’”)\]]*[ \t]+(?=[\"'“(\[]?[A-Z0-9$€£])|[ \t]*\n[\s]*")
_ROUND_RE = re.compile(r"(?i:series|round|class|tier|type|plan|phase|grade|level)\s+[A-Z]$")
_ABBREV = {
    "inc",
    "ltd",
    "co",
    "corp",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "jr",
    "sr",
    "vs",
    "no",
    "e.g",
    "i.e",
    "etc",
}
_GREETING_RE = re.compile(
    r"(?i:hi|hello|hey|dear|greetings|howdy|good\s+(?:morning|afternoon|evening))\b[^,!.:\n—–]{0,40}(?:[,!:.—–]|$)\s*"
)
_SIGNOFF_RE = re.compile(
    r"(?:(?i:best|thanks|thank\s+you|many\s+thanks|cheers|regards|best\s+regards|kind\s+regards|warm\s+regards|"
    r"warmly|sincerely|talk\s+soon|speak\s+soon|all\s+the\s+best|take\s+care|with\s+thanks|sent\s+from)\b"
    r"|--+|—)[\w\s,!.]{0,30}$"
)
_ASK_RE = re.compile(
    r"(?i:(?:would|could|can|shall|should|will|may|might)\s+(?:you|we|i|it)\b|let\s+me\s+know|let's|lmk|feel\s+free|"
    r"happy\s+to|glad\s+to|(?:i'd|i\s+would|we'd|we\s+would)\s+love|love\s+to|open\s+to|are\s+you|do\s+you|"
    r"is\s+there|any\s+chance|if\s+(?:you|it|that|this)|just\s+reply|reply|looking\s+forward|hope\s|thanks|"
    r"thank\s+you|no\s+worries|(?:p\.?s\.?)|please|worth\s+a|how\s+about|what\s+about|shall|want\s+to\s+(?:chat|talk))"
)
_POSSESSIVE_RE = re.compile(r"['’]s?$")
_SUFFIX_RE = re.compile(r"\s+(?:Inc|Corp|Corporation|Ltd|LLC|GmbH|Co|PLC|S\.?A|AG)\.?$")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_WORD_RE = re.compile(r"[A-Za-z][\w&'’.-]*")


def _glued(text: str, start: int) -> bool:
    """True when a numeric token starts inside a word or right after '.', ',', '/', ':' or a currency sign."""
    if start == 0:
        return False
    ch = text[start - 1]
    return ch.isalnum() or ch in "_.,/:$€£"


def _sentences(text: str) -> list[tuple[int, int, int, str]]:
    """Split into (start, content_start, end, mode) with mode 'claim', 'ask' or 'skip'; stop at a sign-off."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY_RE.finditer(text):
        if text[m.start()] == ".":
            word = text[max(pos, m.start() - 6) : m.start()].rsplit(None, 1)[-1:] or [""]
            if word[0].lower() in _ABBREV or (
                len(word[0]) == 1
                and word[0].isupper()
                and not _ROUND_RE.search(text, max(0, m.start() - 12), m.start())
            ):
                continue
        punct = len(m.group(0)) - len(m.group(0).lstrip(".!?\"'’”)]"))
        spans.append((pos, m.start() + punct))
        pos = m.end()
    spans.append((pos, len(text)))
    out: list[tuple[int, int, int, str]] = []
    for start, end in spans:
        chunk = text[start:end].strip()
        if not chunk:
            continue
        line_start = start == 0 or text[start - 1] == "\n" or "\n" in text[max(0, start - 3) : start]
        if line_start and _SIGNOFF_RE.match(chunk) and len(chunk.split()) <= 5:
            break
        content = start
        g = _GREETING_RE.match(text, start, end)
        if g is not None:
            content = g.end()
        if content >= end or not text[content:end].strip():
            continue
        mode = "claim"
        if chunk.endswith("?") or text[content:end].rstrip().endswith("?"):
            mode = "skip"
        elif _ASK_RE.match(text, content, end):
            mode = "ask"
        out.append((start, content, end, mode))
    return out


def _name_value(raw: str, at_start: bool, following: str) -> str:
    """Return the name in a capitalised run, dropping sentence-start words that are not names."""
    words = raw.split()
    while words and (words[0].lower().strip("'’") in COMMON_STARTS or words[0] in NON_NAMES):
        words.pop(0)
        at_start = False
    while words and (words[-1] in NON_NAMES or words[-1].lower() in ("of", "and", "de", "&")):
        words.pop()
    if not words:
        return ""
    name = _SUFFIX_RE.sub("", _POSSESSIVE_RE.sub("", " ".join(words)))
    if at_start and len(words) == 1 and not raw.endswith(("'s", "’s")):
        nxt = following.split(None, 1)[:1]
        if not nxt or nxt[0].lower() not in NAME_FOLLOWERS:
            return ""
    return name


def extract_claims(text: str, *, ignore: Collection[str] = ()) -> list[Claim]:
    """Return the specific claims in an outbound body, in text order, deduplicated per sentence."""
    if not text:
        return []
    if "@" in text or "http" in text or "www." in text:
        text = _CLEAN_RE.sub(lambda m: " " * len(m.group(0)), text)
    sents = _sentences(text)
    if not sents:
        return []
    starts = [s[0] for s in sents]
    skip = {_norm_name(n) for n in ignore}
    found: list[tuple[int, int, str, str]] = []  # (position, sentence index, kind, value)

    def locate(pos: int) -> int:
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0 or pos < sents[i][1] or pos >= sents[i][2] or sents[i][3] == "skip":
            return -1
        return i

    for m in _TOKEN_RE.finditer(text):
        kind = _TOKEN_KIND.get(m.lastgroup or "", "skip")
        if kind == "skip" or (kind != "cap" and _glued(text, m.start())):
            continue
        if kind == "model":
            kind = "cap" if m.group(0).split(None, 1)[0].split("-")[0] not in _NOT_MODEL else "skip"
            if kind == "skip":
                continue
        i = locate(m.start())
        if i < 0 or (sents[i][3] == "ask" and kind not in ("money", "percent")):
            continue
        value = m.group(0).strip()
        if kind == "date":
            value = _LEADING_PREP_RE.sub("", value)
        elif kind == "cap" and _MONTH_RE.match(value):
            prev = _LAST_WORD_RE.search(text, max(0, m.start() - 12), m.start())
            if prev is None or prev.group(1).lower() not in _PREPOSITIONS:
                continue
            kind = "date"
        elif kind == "cap":
            value = _name_value(value, m.start() == sents[i][1], text[m.end() : m.end() + 20])
            if not value:
                continue
            kind = "technology" if value in TECHNOLOGIES or _CAMEL_RE.fullmatch(value) else "name"
        if kind in ("name", "technology") and _norm_name(value) in skip:
            continue
        found.append((m.start(), i, kind, value))
    covered = -1
    for start, end, _family in _EVENT_SCANNER.scan(text.lower()):
        i = locate(start)
        if i < 0 or sents[i][3] != "claim" or start < covered:
            continue
        tail = _EVENT_TAIL_RE.match(text, end, sents[i][2])
        covered = tail.end() if tail else end
        found.append((start, i, "event", text[start:covered].strip()))
    found.sort()
    claims: list[Claim] = []
    seen: set[tuple[int, str, str]] = set()
    for _, i, kind, value in found:
        key = (i, kind, value.casefold())
        if key not in seen:
            seen.add(key)
            claims.append(Claim(" ".join(text[sents[i][0] : sents[i][2]].split()), kind, value))
    return claims


# --- normalisation -----------------------------------------------------------------------------

_MULT_VALUES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9}
_MULT_VALUES.update({"billion": 1e9, "trillion": 1e12})
_AMOUNT_RE = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s?-?\s?(k|mm|m|bn|b|thousand|million|billion|trillion)?\b", re.I
)


@functools.lru_cache(maxsize=4096)
def _amount(value: str) -> float | None:
    """Parse '1.2k', '$2M', '2,000,000 dollars', '15 percent' into a number."""
    m = _AMOUNT_RE.search(value)
    if m is None:
        return None
    number = float(m.group(1).replace(",", ""))
    return number * _MULT_VALUES.get((m.group(2) or "").lower(), 1.0)


@functools.lru_cache(maxsize=4096)
def _date(value: str) -> tuple[int | None, int | None, int | None, int | None]:
    """Parse a date claim into (year, month, day, quarter); missing parts are None."""
    v = value.strip()
    year = month = day = quarter = None
    q = re.search(r"\b[QH]([1-4])", v)
    if q:
        quarter = int(q.group(1)) if v.lstrip()[0] in "Qq" else (int(q.group(1)) - 1) * 2 + 1
    if re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", v):
        parts = [int(p) for p in v.split("-")]
        return parts[0], parts[1], parts[2] if len(parts) > 2 else None, None
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", v):
        a, b, c = (int(p) for p in v.split("/"))
        month, day = (b, a) if a > 12 else (a, b)
        return (c + 2000 if c < 100 else c), month, day, None
    if re.fullmatch(r"\d{1,2}/\d{4}", v):
        a, c = (int(p) for p in v.split("/"))
        return c, a, None, None
    mon = re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", v, re.I)
    if mon:
        month = _MONTHS[mon.group(1).lower()]
    y = re.search(r"(?:^|\D)((?:19|20)\d{2})\b|['’](\d{2})\b|FY\s?(\d{2})\b", v)
    if y:
        year = int(y.group(1)) if y.group(1) else 2000 + int(y.group(2) or y.group(3))
    d = re.search(r"(?<![\d/])(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*/)", v)
    if d and month and not (y and d.group(1) == v[y.start(1) : y.start(1) + 2]):
        day = int(d.group(1))
    return year, month, day, quarter


def _date_agrees(c: tuple[int | None, ...], f: tuple[int | None, ...]) -> bool:
    """True when every part the claim states is stated the same way by the fact."""
    cy, cm, cd, cq = c
    fy, fm, fd, fq = f
    if cy is not None and fy != cy:
        return False
    if cm is not None and fm != cm:
        return False
    if cd is not None and fd != cd:
        return False
    if cq is not None:
        month_q = (fm - 1) // 3 + 1 if fm is not None else None
        if fq != cq and month_q != cq:
            return False
    return any(p is not None for p in c)


@functools.lru_cache(maxsize=4096)
def _norm_name(name: str) -> str:
    return " ".join(_SUFFIX_RE.sub("", _POSSESSIVE_RE.sub("", name.strip())).casefold().split())


@dataclass(slots=True)
class _Fact:
    text: str  # casefolded, possessives removed, single-spaced, padded with spaces
    amounts: list[tuple[str, float]]
    dates: list[tuple[int | None, int | None, int | None, int | None]]
    families: set[str]


_NON_TOKEN_RE = re.compile(r"[^\w&.+#-]+")


@functools.lru_cache(maxsize=2048)
def _parse_fact(text: str) -> _Fact:
    """Parse a fact once (cached: the same receipt is checked against every claim and resent)."""
    amounts: list[tuple[str, float]] = []
    dates = []
    for m in _TOKEN_RE.finditer(text):
        kind = _TOKEN_KIND.get(m.lastgroup or "", "skip")
        if kind == "cap" and _MONTH_RE.match(m.group(0)):
            kind = "date"
        if kind in ("money", "percent", "number"):
            value = _amount(m.group(0))
            if value is not None:
                amounts.append((kind, value))
        elif kind == "date":
            dates.append(_date(m.group(0)))
            year = re.fullmatch(r"(?:19|20)\d{2}", m.group(0).strip())
            if year:
                amounts.append(("number", float(year.group(0))))
    families = _families(text)
    norm = re.sub(r"['’]s\b", "", text.casefold())
    norm = " " + " ".join(re.sub(r"[^\w&.+#-]+", " ", norm).split()) + " "
    return _Fact(norm, amounts, dates, families)


def _mentions(fact: _Fact, name: str) -> bool:
    key = " ".join(_NON_TOKEN_RE.sub(" ", _norm_name(name)).split())
    if not key:
        return False
    pos = fact.text.find(key)
    while pos != -1:  # fact.text is padded with spaces: check the match is whole words
        if not fact.text[pos - 1].isalnum() and not fact.text[pos + len(key)].isalnum():
            return True
        pos = fact.text.find(key, pos + 1)
    return False


def _entities(text: str) -> list[str]:
    out = []
    for run in _RUN_RE.findall(text):
        words = [
            w for w in _POSSESSIVE_RE.sub("", run).split() if w not in NON_NAMES and not _MONTH_RE.match(w)
        ]
        while words and words[0].lower() in COMMON_STARTS:
            words.pop(0)
        if words and (len(words) > 1 or len(words[0]) > 1):
            out.append(" ".join(words))
    return out


@functools.lru_cache(maxsize=4096)
def _event_parts(value: str, sentence: str) -> tuple[frozenset[str], tuple[str, ...]]:
    families = _families(value)
    entities = _entities(value)
    if not entities:
        clause = re.split(r"[,;:]|\band\b|\bbut\b", sentence[: max(0, sentence.find(value))])[-1]
        entities = _entities(clause)[-1:]
    return frozenset(families), tuple(entities)


def _supports(claim: Claim, fact: _Fact, ignore: set[str]) -> bool:
    kind, value = claim.kind, claim.value
    if kind in ("number", "money", "percent"):
        amount = _amount(value)
        if amount is None:
            return False
        allowed = {"percent": ("percent",), "money": ("money", "number"), "number": ("number", "money")}[kind]
        return any(k in allowed and abs(v - amount) <= 1e-9 * max(1.0, abs(amount)) for k, v in fact.amounts)
    if kind == "date":
        parsed = _date(value)
        return any(_date_agrees(parsed, d) for d in fact.dates)
    if kind in ("name", "technology"):
        return _mentions(fact, value)
    families, entities = _event_parts(value, claim.sentence)
    if not families & fact.families:
        return False
    return all(_mentions(fact, e) for e in entities if _norm_name(e) not in ignore)


def match_claims(
    claims: Sequence[Claim], facts: Sequence[FactLike], *, min_confidence: float, ignore: Collection[str] = ()
) -> list[ClaimResult]:
    """Check each claim against the facts at or above ``min_confidence``; ignored names are dropped."""
    skip = {_norm_name(n) for n in ignore}
    usable = [
        (i, _parse_fact(f.text)) for i, f in enumerate(facts) if f.confidence >= min_confidence and f.text
    ]
    results: list[ClaimResult] = []
    for claim in claims:
        if claim.kind in ("name", "technology") and _norm_name(claim.value) in skip:
            continue
        hit = next((i for i, fact in usable if _supports(claim, fact, skip)), None)
        if hit is not None:
            results.append(ClaimResult(claim, True, hit, f"supported by fact {hit}"))
            continue
        if not usable:
            detail = f"no fact with confidence >= {min_confidence:g} to support {claim.kind} {claim.value!r}"
        else:
            detail = f"no fact with confidence >= {min_confidence:g} supports {claim.kind} {claim.value!r}"
        results.append(ClaimResult(claim, False, None, detail))
    return results


def unsupported(results: Sequence[ClaimResult]) -> list[ClaimResult]:
    """Return the results whose claim no fact supports."""
    return [r for r in results if not r.supported]
