"""Word lists and event patterns of the evidence check (``proctor.inspect.claims``)."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


__all__ = [
    "ABBREVIATIONS",
    "ASK",
    "ASK_BY_FIRST",
    "ASK_FIRST",
    "ASK_PHRASES",
    "COMMON_STARTS",
    "DIGIT_GUARD",
    "DIGIT_GUARDED",
    "EVENTS",
    "GREETING",
    "GREETING_FIRST",
    "MON",
    "NAME_FOLLOWERS",
    "NON_NAMES",
    "NOT_MODEL",
    "PREPOSITIONS",
    "SIGNOFF",
    "SIGNOFF_FIRST",
    "TECHNOLOGIES",
    "TOKENS_DIGIT_FIRST",
    "TOKENS_OTHER_FIRST",
    "first_letters",
    "fold_case",
]

# What ``(?i:x)`` matches besides x and X, for the ASCII letters where Unicode adds a character.
_CASE_EXTRA = {"i": "\u0130\u0131", "s": "\u017f", "k": "\u212a"}


def group_end(pattern: str, start: int) -> tuple[int, list[int]]:
    """Where the group opened at ``pattern[start]`` closes, and where each of its top-level alternatives
    after the first begins (just past its ``|``); escaped characters are skipped."""
    depth, k = 0, start
    bars: list[int] = []
    while True:
        ch = pattern[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return k, bars
        elif ch == "|" and depth == 1:
            bars.append(k + 1)
        k += 1


def fold_case(pattern: str) -> str:
    """Rewrite each ``(?i:…)`` group that holds no character class with explicit case classes.

    ``(?i:dollars)`` becomes ``(?:[dD][oO]…)``: the same matches (including the three non-ASCII
    letters Unicode case-folds onto ``i``, ``s`` and ``k``), but each alternative of a group then
    starts with a character class, which CPython's regex engine rejects without entering it.
    """
    out: list[str] = []
    i = 0
    while (j := pattern.find("(?i:", i)) != -1:
        out.append(pattern[i:j])
        k, _ = group_end(pattern, j)
        body = pattern[j + 4 : k]
        if "[" in body:
            out.append(pattern[j : k + 1])
        else:
            parts: list[str] = []
            m = 0
            while m < len(body):
                ch = body[m]
                if ch == "\\":
                    parts.append(body[m : m + 2])
                    m += 2
                    continue
                low = ch.lower()
                parts.append(
                    f"[{low}{ch.upper()}{_CASE_EXTRA.get(low, '')}]" if ch.isascii() and ch.isalpha() else ch
                )
                m += 1
            out.append("(?:" + "".join(parts) + ")")
        i = k + 1
    out.append(pattern[i:])
    return "".join(out)


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
COMMON_STARTS = _words(
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
# Capitalised words that are not claims: scheduling, titles, departments, generic acronyms, channels.
NON_NAMES = _words(
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
# Words after a sentence-initial capitalised word that make it clearly a name ("Globex raised …").
NAME_FOLLOWERS = _words(
    """
        raised opened announced acquired launched hired is was has had just recently uses used runs
        moved expanded grew signed closed partnered reported released unveiled introduced named
        appointed won went became bought merged secured added doubled tripled crossed surpassed
        migrated switched adopted deployed rolled laid cut posted published shared and
        """
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

# "Model 3", "iPhone 15": capitalised word + number, unless the word is one of these.
NOT_MODEL = _words("In On By Of At For To The Over Top Page Step Day Week Year Up")
# A capitalised month is a date only after one of these ("in May", not "May I").
PREPOSITIONS = _words("in since by from until till last this early mid late of during before after")
# A '.' after one of these does not end a sentence.
ABBREVIATIONS = _words("inc ltd co corp mr mrs ms dr st jr sr vs no e.g i.e etc")

# --- token patterns of claims.py (see _TOKEN_RE there) -------------------------------------------

MON = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# MON once its first letter has been consumed (the letter is checked by a lookbehind).
_MON_REST = (
    r"(?<=[JFMASOND])(?:(?<=J)(?:an(?:uary)?|une?|uly?)|(?<=F)eb(?:ruary)?|(?<=M)(?:ar(?:ch)?|ay)|(?<=A)(?:pr(?:il)?"
    r"|ug(?:ust)?)|(?<=S)ep(?:t(?:ember)?)?|(?<=O)ct(?:ober)?|(?<=N)ov(?:ember)?|(?<=D)ec(?:ember)?)\.?"
)
# Atomic: what follows a number in every token below starts with a space, a sign or a letter, never
# with a digit, a comma or a dot, so a shorter number could never let the token match; the
# atomic group only saves the regex engine from trying.
_NUM_REST = r"(?>(?:[0-9]{0,2}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]+)?)"
_NUM = r"[0-9]" + _NUM_REST
_MULT = r"(?:(?i:k|mm|m|bn|b)\b|\s?(?i:thousand|million|billion|trillion)\b)"
_ORD = r"(?:st|nd|rd|th)?"
# One scan finds every candidate token. The pattern starts with one character class (digits,
# capitals, currency signs), so CPython's matcher skips all other characters in C; each alternative
# is written without its first character, which a lookbehind checks. Alternatives that can start
# with the same character keep their order. Each ends with an empty group naming its kind.
# Left-context rules are checked in Python (``_glued``). The first four start with a lookahead on
# the characters such a token needs after its digits (a letter of "am", "minutes", a multiplier or
# a currency, '%'): a necessary condition, cheap to reject, so a plain number skips them quickly.
_MONEY_NEXT = "kmbtduegpKMBTDUEGP\u212a"
TOKENS_DIGIT_FIRST = (
    (r"(?=[0-9:]*\s?[aApP])[0-9]?(?::[0-9]{2})?\s?(?i:am|pm|a\.m\.|p\.m\.)(?!\w)", "skip"),
    (
        rf"(?=[0-9,.]*\s?-?\s?[mMhHsS\u017f]){_NUM_REST}\s?-?\s?(?i:minutes?|mins?|hours?|hrs?|seconds?|secs?)\b",
        "skip",
    ),
    (
        rf"(?=[0-9,.]*\s?[{_MONEY_NEXT}]){_NUM_REST}{_MULT}?\s?(?i:dollars|usd|euros?|eur|gbp|pounds)\b",
        "money",
    ),
    (rf"(?=[0-9,.]*\s?[%pP]){_NUM_REST}\s?(?:%|(?i:percent|per\s+cent|pct)\b)", "percent"),
    (r"[0-9]{3}-[0-9]{2}-[0-9]{2}\b|[0-9]{3}-[0-9]{2}(?![0-9])", "date"),
    (r"[0-9]?/[0-9]{1,2}/[0-9]{2,4}\b|[0-9]?/[0-9]{4}\b", "date"),
    (r"[0-9]*[:/][0-9]+(?![/0-9:])", "skip"),
    (rf"[0-9]?{_ORD}\s+(?:of\s+)?{MON}(?:,?\s+[0-9]{{4}}\b|(?!\w))", "date"),
    (r"(?:(?<=1)9|(?<=2)0)[0-9]{2}(?![\w%]|[.,][0-9]|\s?(?i:percent|million|billion))", "date"),
    (rf"{_NUM_REST}(?:{_MULT}|x\b)?", "number"),
)
# The first ``DIGIT_GUARDED`` patterns above each start with a lookahead that implies this one (a
# unit letter or '%' after the digits): ``TOKEN_RE`` tries them behind it, so a plain number
# ("120 reps") skips all four with one test instead of four.
DIGIT_GUARDED = 4
DIGIT_GUARD = rf"[0-9,.:]*\s?-?\s?[aApPmMhHsS\u017f%{_MONEY_NEXT}]"
TOKENS_OTHER_FIRST = (
    (rf"(?<=[$€£])\s?{_NUM}{_MULT}?", "money"),
    (
        rf"{_MON_REST}(?:\s+[0-9]{{1,2}}{_ORD},?\s+[0-9]{{4}}\b|,?\s+[0-9]{{4}}\b|\s+[0-9]{{1,2}}{_ORD}\b)",
        "date",
    ),
    (
        r"(?<=[QHF])(?:(?<=[QH])[1-4]\s?(?:FY)?['’]?[0-9]{2,4}\b|(?<=[QH])[1-4]\b|(?<=F)Y\s?['’]?[0-9]{2,4}\b)",
        "date",
    ),
    (r"(?<=[A-Z])[A-Za-z]++[- ][0-9]{1,5}\b", "model"),  # possessive: "[- ]" never matches a letter
    (r"(?<=[A-Z])(?:[\w&'’-]*\w)?(?:\s+(?:(?:of|de|&)\s+)?[A-Z](?:[\w&'’-]*\w)?)*", "cap"),
)

# --- sentence patterns: greetings, sign-offs, asks -----------------------------------------------

GREETING = (
    r"(?i:hi|hello|hey|dear|greetings|howdy|good\s+(?:morning|afternoon|evening))\b"
    r"[^,!.:\n—–]{0,40}(?:[,!:.—–]|$)\s*"
)
SIGNOFF = (
    r"(?:(?i:best|thanks|thank\s+you|many\s+thanks|cheers|regards|best\s+regards|kind\s+regards|warm\s+regards|"
    r"warmly|sincerely|talk\s+soon|speak\s+soon|all\s+the\s+best|take\s+care|with\s+thanks|sent\s+from)\b"
    r"|--+|—)[\w\s,!.]{0,30}$"
)
# The phrases of an ask, each a regex matched (ignoring case) at the start of a sentence's content.
ASK_PHRASES: tuple[str, ...] = (
    r"(?:would|could|can|shall|should|will|may|might)\s+(?:you|we|i|it)\b",
    r"let\s+me\s+know",
    r"let's",
    r"lmk",
    r"feel\s+free",
    r"happy\s+to",
    r"glad\s+to",
    r"(?:i'd|i\s+would|we'd|we\s+would)\s+love",
    r"love\s+to",
    r"open\s+to",
    r"are\s+you",
    r"do\s+you",
    r"is\s+there",
    r"any\s+chance",
    r"if\s+(?:you|it|that|this)",
    r"just\s+reply",
    r"reply",
    r"looking\s+forward",
    r"hope\s",
    r"thanks",
    r"thank\s+you",
    r"no\s+worries",
    r"(?:p\.?s\.?)",
    r"please",
    r"worth\s+a",
    r"how\s+about",
    r"what\s+about",
    r"shall",
    r"want\s+to\s+(?:chat|talk)",
)
ASK = "(?i:" + "|".join(ASK_PHRASES) + ")"


def first_letters(pattern: str) -> frozenset[str]:
    """The lower-case letters a match of ``pattern`` (letters and groups, see below) can start with.

    Handles what the phrase lists use: a leading letter, or a leading group of alternatives that
    each start so; anything else (a class, an escape, an optional start) raises ValueError.
    """
    if pattern.startswith("(?:"):
        i, bars = group_end(pattern, 0)
        cuts = [3, *bars]
        if pattern[i + 1 : i + 2] in ("?", "*", "{"):
            raise ValueError(f"optional leading group in {pattern!r}")
        ends = [c - 1 for c in cuts[1:]] + [i]
        return frozenset().union(*(first_letters(pattern[a:b]) for a, b in zip(cuts, ends, strict=True)))
    if pattern[:1].isascii() and pattern[:1].isalpha() and pattern[1:2] not in ("?", "*", "{"):
        return frozenset(pattern[0].lower())
    raise ValueError(f"cannot tell the first letter of {pattern!r}")


# Per first letter, the ask phrases that can start with it: a sentence is tried against those only.
ASK_BY_FIRST: dict[str, str] = {
    letter: "(?i:" + "|".join(p for p in ASK_PHRASES if letter in first_letters(p)) + ")"
    for letter in sorted(frozenset().union(*map(first_letters, ASK_PHRASES)))
}
# ASCII characters an ask, a greeting or a sign-off can start with (the regexes ignore case; any
# non-ASCII first character still goes to the regex).
ASK_FIRST = frozenset(ASK_BY_FIRST).union(map(str.upper, ASK_BY_FIRST))
GREETING_FIRST = frozenset("hdgHDG")
SIGNOFF_FIRST = frozenset("btmcrkwsatBTMCRKWSAT-")
