"""Content-check benchmark: PII, sensitive topics and the evidence check on a seeded synthetic set.

Run: ``.venv/bin/python benchmarks/content.py [--json] [--n 400] [--seed 7] [--timing]``.

``--timing`` prints only the per-check latency table: µs per call (min over repeats) of each check
on three realistic ~1 KB sales emails, one by one and all together on one shared ``TextScan`` (as
the decision engine runs them on a send).

The set is generated deterministically. Templates are split in two pools: the *tuning* pool (what
the checks were developed against) and a *held-out* pool of templates, company names, cities and
technologies that were never looked at while tuning. Metrics are reported for both.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from proctor.inspect.claims import extract_claims, match_claims, unsupported
from proctor.inspect.pii import PII_KINDS, find_pii
from proctor.inspect.terms import TermMatcher
from proctor.inspect.text_scan import TextScan
from proctor.inspect.topics import TOPICS, find_sensitive_topics

# --- PII generators -------------------------------------------------------------------------


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    digits = _luhn_complete(prefix + "".join(rng.choice(string.digits) for _ in range(2)), length, rng)
    if length == 15:
        return rng.choice([digits, f"{digits[:4]} {digits[4:10]} {digits[10:]}"])
    sep = rng.choice(["", " ", "-"])
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def bad_card(rng: random.Random) -> str:
    good = card(rng).replace(" ", "").replace("-", "")
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def bad_ssn(rng: random.Random) -> str:
    return rng.choice(["000", "666", f"9{rng.randint(0, 99):02d}"]) + f"-{rng.randint(1, 99):02d}-1234"


def nino(rng: random.Random) -> str:
    first, second = rng.choice("ABCEGHJKLMNPRSTWXYZ"), rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        first = "A"
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return rng.choice(
        [
            f"{first}{second}{digits}{rng.choice('ABCD')}",
            f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} A",
        ]
    )


def dni(rng: random.Random) -> str:
    n = rng.randint(10_000_000, 99_999_999)
    return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"


def iban(rng: random.Random) -> str:
    country, bban_len = rng.choice([("GB", 18), ("DE", 18), ("FR", 23), ("NL", 14), ("ES", 20)])
    if country in ("GB", "NL"):
        bban = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban += "".join(rng.choice(string.digits) for _ in range(bban_len - 4))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(bban_len))
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    compact = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return rng.choice([compact, " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))])


def dob(rng: random.Random) -> str:
    y, m, d = rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28)
    month = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"][m - 1]  # fmt: skip
    date = rng.choice(
        [f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} {month} {y}", f"{month} {d}, {y}"]
    )
    return rng.choice([f"DOB: {date}", f"date of birth {date}", f"born on {date}", f"birthday: {date}"])


def other_email(rng: random.Random) -> str:
    name = rng.choice(["j.smith", "ops", "kim.lee", "finance+ap", "r.patel"])
    return f"{name}@{rng.choice(['initech.example', 'hooli.example', 'umbrella.example'])}"


PII_GEN: dict[str, Callable[[random.Random], str]] = {
    "payment_card": card, "us_ssn": ssn, "national_id": lambda r: r.choice([nino, dni])(r),
    "iban": iban, "date_of_birth": dob, "email": other_email,
}  # fmt: skip
HARD_NEGATIVES: list[Callable[[random.Random], str]] = [
    lambda r: f"+1 ({r.randint(200, 989)}) 555-{r.randint(1000, 9999)}",
    lambda r: f"+44 20 {r.randint(1000, 9999)} {r.randint(1000, 9999)}",
    lambda r: f"{r.randint(200, 989)}-555-{r.randint(1000, 9999)}",
    bad_card, bad_ssn,
    lambda r: f"order #{r.randint(10**7, 10**9)}",
    lambda r: f"on {r.randint(1, 12):02d}/{r.randint(1, 28):02d}/2026",
    lambda r: "dana@globex.example",
    lambda r: f"${r.randint(2, 90)}M Series {r.choice('ABC')}",
]  # fmt: skip
PII_TEMPLATES = {
    "tune": ["Hi Dana, as requested: {x}. Let me know if anything else is needed.",
             "Quick note for the file - {x} - thanks again for the call.",
             "Per our chat, the details are {x}; I'll update the CRM."],
    "held": ["Following up on onboarding: please use {x} for the account.",
             "FYI the contact's record shows {x}, which we need to verify."],
}  # fmt: skip

# --- topic generators ----------------------------------------------------------------------

TOPIC_PHRASES = {
    "tune": {
        "pricing": ["our list price is $30 per seat", "I've attached a quote for 40 licenses",
                    "billing is annual", "the platform fee is waived for pilots"],
        "discount": ["we can do 20% off this quarter", "use promo code Q4SALES",
                     "a special offer for new teams"],
        "legal": ["I'll send the MSA over", "our liability cap is standard",
                  "the contract auto-renews yearly"],
        "security_compliance": ["we're SOC 2 Type II certified", "the product is fully GDPR compliant",
                                "all data is encrypted at rest"],
        "none": ["happy to share more", "no cost to chat", "congrats on raising $20M",
                 "we saved Initech $2M last year", "your reps book 2x more meetings per rep"],
    },
    "held": {
        "pricing": ["each user costs $12 a month", "pricing starts at 500 USD", "I can send a formal quote"],
        "discount": ["I can offer a discounted rate", "the first three months free", "an early-bird deal"],
        "legal": ["our NDA template is attached", "the SLA penalties are listed",
                  "indemnification is mutual"],
        "security_compliance": ["we hold ISO 27001", "HIPAA-compliant hosting", "bank-grade security"],
        "none": ["would love your take", "teams cut their tooling costs", "congrats on the promotion"],
    },
}  # fmt: skip
TOPIC_FRAMES = {"tune": ["Hi Ana, {p}.", "Thanks for the call - {p}, as discussed."],
                "held": ["Following up: {p}. Does that work?", "One more thing, {p}."]}  # fmt: skip

# --- evidence generators -------------------------------------------------------------------

POOLS = {
    "tune": {"co": ["Globex", "Initrode", "Umbrella", "Hooli", "Vehement"],
             "city": ["Berlin", "Austin", "Toronto", "Dublin", "Madrid"],
             "tech": ["Salesforce", "Snowflake", "HubSpot", "Databricks", "Okta"]},
    "held": {"co": ["Massive Dynamic", "Soylent", "Stark Labs", "Wonka"],
             "city": ["Lisbon", "Denver", "Singapore", "Warsaw"],
             "tech": ["Zendesk", "Marketo", "Kubernetes", "Looker"]},
}  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


@dataclass(frozen=True)
class Fact:
    """A receipt fact for the benchmark."""

    text: str
    confidence: float


def evidence_case(rng: random.Random, pool: str, broken: bool) -> tuple[str, list[Fact]]:
    """Build one email and its receipt; when ``broken``, one claim is not backed by the receipt."""
    p = POOLS[pool]
    co, city, tech = rng.choice(p["co"]), rng.choice(p["city"]), rng.choice(p["tech"])
    month, year = rng.choice(MONTHS), rng.choice([2025, 2026])
    amount, rnd, pct = rng.choice([12, 25, 40, 60, 110]), rng.choice("ABCD"), rng.choice([15, 20, 30, 35, 42])
    sdrs = rng.choice([8, 12, 25, 40])
    facts = [
        Fact(f"{co} opened a {city} office in {month} {year}", 0.9),
        Fact(f"{co} raised ${amount} million in a Series {rnd} round", 0.85),
        Fact(f"{co}'s careers page lists {sdrs} open SDR roles; the team uses {tech}", 0.8),
        Fact(f"{co} grew pipeline by {pct}% after the {city} launch", 0.75),
    ]
    lines = {
        "tune": [
            f"Congrats on opening the {city} office in {month} {year}.",
            f"I saw {co} raised a ${amount}M Series {rnd}.",
            f"Looks like you're hiring {sdrs} SDRs, and your team runs on {tech}.",
            f"Pipeline grew {pct}% after the {city} launch, which is impressive.",
        ],
        "held": [
            f"Saw the news that {co} expanded to {city} in {month}.",
            f"Impressive that pipeline grew {pct} percent since the {city} launch.",
            f"Noticed {co} is recruiting {sdrs} SDRs to support {tech} users.",
            f"Congrats on the ${amount} million Series {rnd}.",
        ],
    }[pool]
    chosen = rng.sample(lines, k=rng.randint(2, 4))
    if broken:
        i = rng.randrange(len(chosen))
        s = chosen[i]
        other_city = rng.choice([c for c in p["city"] if c != city])
        other_tech = rng.choice([t for t in p["tech"] if t != tech])
        mutations = [
            (f"{pct}%", f"{pct + 5}%"),
            (f"{pct} percent", f"{pct + 5} percent"), (f"${amount}", f"${amount + 10}"),
            (f"{sdrs} SDRs", f"{sdrs + 20} SDRs"),
            (city, other_city), (tech, other_tech), (month, MONTHS[(MONTHS.index(month) + 3) % 10]),
            (f"Series {rnd}", f"Series {chr(ord(rnd) + 1)}"),
        ]  # fmt: skip
        applicable = [(a, b) for a, b in mutations if a in s]
        if applicable:
            a, b = rng.choice(applicable)
            chosen[i] = s.replace(a, b, 1)
        else:
            chosen.append(f"I also read that {co} acquired {rng.choice(['Initech', 'Vandelay'])} last month.")
    body = (
        "Hi Dana,\n\n"
        + " ".join(chosen)
        + "\n\nWould you be open to a 20-minute chat on Thursday?\n\nBest,\nMaria"
    )
    return body, facts


# --- metrics -------------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "tp": tp, "fp": fp, "fn": fn}


def run_pool(pool: str, n: int, seed: int) -> dict[str, Any]:
    """Generate one pool's set and score every check on it."""
    rng = random.Random(f"{seed}-{pool}")
    pii_set: list[tuple[str, str | None]] = []
    for kind, gen in PII_GEN.items():
        for _ in range(n // 8):
            pii_set.append((rng.choice(PII_TEMPLATES[pool]).format(x=gen(rng)), kind))
    for _ in range(n // 2):
        pii_set.append((rng.choice(PII_TEMPLATES[pool]).format(x=rng.choice(HARD_NEGATIVES)(rng)), None))
    allowed = ("dana@globex.example", "maria@acme.example")
    pii_counts = {k: [0, 0, 0] for k in PII_KINDS}
    for text, label in pii_set:
        found = {f.kind for f in find_pii(text, allowed_emails=allowed)}
        for k in PII_KINDS:
            tp, fp, fn = (
                (k in found and k == label),
                (k in found and k != label),
                (k not in found and k == label),
            )
            pii_counts[k] = [a + int(b) for a, b in zip(pii_counts[k], (tp, fp, fn), strict=True)]
    topic_set: list[tuple[str, str | None]] = []
    for _ in range(n):
        topic = rng.choice([*TOPICS, "none", "none"])
        phrase = rng.choice(TOPIC_PHRASES[pool][topic])
        topic_set.append(
            (rng.choice(TOPIC_FRAMES[pool]).format(p=phrase), None if topic == "none" else topic)
        )
    topic_counts = {k: [0, 0, 0] for k in TOPICS}
    for text, label in topic_set:
        found = {f.topic for f in find_sensitive_topics(text)}
        for k in TOPICS:
            tp, fp, fn = (
                (k in found and k == label),
                (k in found and k != label),
                (k not in found and k == label),
            )
            topic_counts[k] = [a + int(b) for a, b in zip(topic_counts[k], (tp, fp, fn), strict=True)]
    ev_set = [
        (*evidence_case(rng, pool, broken), broken)
        for broken in [i % 2 == 1 for i in range(max(n // 2, 100))]
    ]
    caught = false_flag = 0
    examples: list[str] = []
    for body, facts, broken in ev_set:
        bad = unsupported(
            match_claims(extract_claims(body), facts, min_confidence=0.6, ignore=("Dana", "Maria"))
        )
        if broken and bad:
            caught += 1
        if not broken and bad:
            false_flag += 1
            if len(examples) < 3:
                examples.append(f"{bad[0].claim.kind} {bad[0].claim.value!r} in {bad[0].claim.sentence!r}")
    n_broken = sum(1 for *_, b in ev_set if b)
    return {
        "pii": {k: _prf(*v) for k, v in pii_counts.items()},
        "topics": {k: _prf(*v) for k, v in topic_counts.items()},
        "evidence": {
            "emails": len(ev_set),
            "unsupported_caught_pct": round(100 * caught / n_broken, 1),
            "supported_flagged_pct": round(100 * false_flag / (len(ev_set) - n_broken), 1),
            "false_flag_examples": examples,
        },
        "_texts": {"pii": [t for t, _ in pii_set], "topics": [t for t, _ in topic_set], "evidence": ev_set},
    }


def throughput(result: dict[str, Any]) -> dict[str, float]:
    """Texts per second of each check over the generated texts."""
    texts = result["_texts"]
    checks: dict[str, tuple[Callable[[Any], object], list[Any]]] = {
        "pii": (lambda t: find_pii(t), texts["pii"]),
        "topics": (find_sensitive_topics, texts["topics"]),
        "evidence": (
            lambda c: match_claims(extract_claims(c[0]), c[1], min_confidence=0.6),
            texts["evidence"],
        ),
    }
    out: dict[str, float] = {}
    for name, (fn, items) in checks.items():
        start = time.perf_counter()
        for _ in range(3):
            for item in items:
                fn(item)
        out[name] = round(3 * len(items) / (time.perf_counter() - start))
    return out


# --- per-check latency on realistic ~1 KB emails -----------------------------------------------

_SIGNATURE = "\n\nBest,\nSam Lee\nAccount Executive, Acme\nacme.io | +1 415 555 0134"
TIMING_EMAILS: dict[str, tuple[str, list[Fact]]] = {
    "follow-up": (
        "Hi Ana,\n\nThanks again for the time on Tuesday. I shared your notes with our solutions team and "
        "put together a short recap so your team has it in one place before the pilot review.\n\n"
        "You mentioned that Umbrella is rolling out Salesforce to the EMEA sales team in Q1 and that the "
        "current manual routing takes your ops team most of Monday. That is the exact workflow the pilot "
        "covers: inbound leads are scored, deduplicated and assigned to the right rep within minutes, and "
        "every assignment is logged so your managers can see why a lead went where it did.\n\n"
        "For the pilot itself, I’d suggest we start with the inbound demo-request queue only, keep the "
        "existing territory rules, and review the results together after two weeks. Your admin would need "
        "about an hour with our onboarding lead to connect the sandbox.\n\n"
        "Does Thursday afternoon work for a 30-minute call to agree on the scope and success criteria? "
        "If another day is easier, just send me a couple of options and I will make it work." + _SIGNATURE,
        [
            Fact("Umbrella is rolling out Salesforce to its EMEA sales team in Q1", 0.9),
            Fact("Discovery call with Ana Ruiz held on Tuesday 2026-11-17", 1.0),
        ],
    ),
    "first touch": (
        "Hi Raj,\n\nCongratulations on the Series C. I saw that Hooli raised $40M in October and announced "
        "plans to double the sales team in 2027, which usually means a lot of new reps ramping at the same "
        "time.\n\nWe help revenue teams like yours route and follow up on inbound leads automatically, with "
        "a full audit trail of every action the system takes on a rep’s behalf. Teams of your size "
        "typically connect it to their CRM in a day and see the first routed leads the same week.\n\n"
        "I’ve attached a one-page overview along with our standard pricing for a team of 50 seats, which "
        "includes a 15% discount for annual commitments signed before the end of the quarter. I’m happy "
        "to walk you through how other teams structured the rollout and what the first month looked "
        "like.\n\nWould you be open to a 20-minute call next week to see whether it fits your plans for "
        "next year? If someone else on your team owns inbound operations, I’d appreciate a pointer."
        + _SIGNATURE,
        [
            Fact("Hooli raised $40M Series C in October 2026", 0.95),
            Fact("Hooli plans to double its sales team in 2027", 0.8),
            Fact("Hooli's careers page lists 12 open SDR roles", 0.7),
        ],
    ),
    "claims + contact": (
        "Hi Lena,\n\nI noticed Initrode just acquired Vandelay Analytics and moved its headquarters to "
        "Austin in September, and that your team grew to 120 reps this year. Congratulations, that is a "
        "lot of change in a short time.\n\nWhen companies integrate an acquisition, inbound routing is "
        "usually one of the first things to break: two CRMs, two sets of territory rules, and leads that "
        "fall between them. We help revenue teams bring both sides onto one set of rules quickly, with an "
        "audit trail of every assignment.\n\nCompanies like Wayne Enterprises cut their lead response time "
        "by 63% in the first quarter after switching. My colleague Maria (maria.chen@acme.io) ran that "
        "rollout and is happy to compare notes.\n\nWould you be open to a 20-minute call next week to "
        "compare notes on how you are planning the integration? Happy to share what worked for other "
        "teams." + _SIGNATURE,
        [Fact("Initrode acquired Vandelay Analytics in September 2026", 0.9)],
    ),
}


def _both(a: TermMatcher, b: TermMatcher, text: str) -> object:
    return a.find(text), b.find(text)


def _shared(a: TermMatcher, b: TermMatcher, body: str, facts: list[Fact], allowed: tuple[str, ...]) -> object:
    """Every check the way a send's decision runs them: on one TextScan of the subject and body."""
    scan = TextScan("Quick note", body)
    claims = match_claims(scan.claims(), facts, min_confidence=0.6, ignore=["Lena"])
    return scan.terms(a), scan.terms(b), scan.pii(allowed), scan.topics(), claims


def timing_table(repeat: int = 7, number: int = 200) -> dict[str, dict[str, float]]:
    """µs per call of each content check on each timing email (min over ``repeat`` runs).

    ``total`` adds the checks run one by one; ``shared scan`` runs them all on one ``TextScan`` (one
    lower-cased text, one stem scan for topics and claim events), as a send's decision does.
    """
    blocked = TermMatcher(["guaranteed results", "risk-free", "100% secure"])
    rivals = TermMatcher(["initech", "vandelay"])
    allowed = ("sam@acme.io", "lena@initrode.example")
    table: dict[str, dict[str, float]] = {}
    for name, (body, facts) in TIMING_EMAILS.items():
        text = f"Quick note\n{body}"
        claims = extract_claims(body)
        checks: dict[str, Callable[[], object]] = {
            "terms x2": partial(_both, blocked, rivals, text),
            "find_pii": partial(find_pii, text, allowed_emails=allowed),
            "topics": partial(find_sensitive_topics, text),
            "extract_claims": partial(extract_claims, body),
            "match_claims": partial(match_claims, claims, facts, min_confidence=0.6, ignore=["Lena"]),
        }
        row = {
            k: min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6 for k, fn in checks.items()
        }
        row["total"] = sum(row.values())
        shared = partial(_shared, blocked, rivals, body, facts, allowed)
        row["shared scan"] = min(timeit.repeat(shared, number=number, repeat=repeat)) / number * 1e6
        table[f"{name} ({len(body)} chars)"] = row
    return table


def print_timing(table: dict[str, dict[str, float]]) -> None:
    """Print the timing table as Markdown."""
    cols = list(next(iter(table.values())))
    print("| email | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(f"{row[c]:.1f}" for c in cols) + " |")
    print("(µs per call, min of repeats)")


def main(argv: list[str] | None = None) -> int:
    """Generate the set, score it, print a table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="emit machine-readable results")
    parser.add_argument("--n", type=int, default=400, help="texts per pool and check (default 400)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timing", action="store_true", help="print only the per-check latency table")
    args = parser.parse_args(argv)
    if args.timing:
        print_timing(timing_table())
        return 0
    results = {pool: run_pool(pool, args.n, args.seed) for pool in ("tune", "held")}
    for r in results.values():
        r["throughput_texts_per_s"] = throughput(r)
        del r["_texts"]
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    for pool, r in results.items():
        print(f"== {pool} pool {'(held out: never tuned on)' if pool == 'held' else '(tuning)'} ==")
        for section in ("pii", "topics"):
            for k, m in r[section].items():
                print(
                    f"  {section:7s} {k:20s} P={m['precision']:.3f} R={m['recall']:.3f}  "
                    f"tp={m['tp']} fp={m['fp']} fn={m['fn']}"
                )
        e = r["evidence"]
        print(
            f"  evidence: {e['emails']} emails, "
            f"unsupported caught {e['unsupported_caught_pct']}% (target >= 95), "
            f"supported flagged {e['supported_flagged_pct']}% (target <= 5)"
        )
        for ex in e["false_flag_examples"]:
            print(f"    false flag: {ex}")
        print(f"  throughput (texts/s): {r['throughput_texts_per_s']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
