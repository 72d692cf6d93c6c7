"""Deterministic sample data for the sandbox CRM: B2B accounts, contacts, leads, opportunities, owners."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

BASE_DATE = date(2026, 11, 24)
STAGES = ("prospecting", "qualification", "discovery", "proposal", "negotiation", "closed_won", "closed_lost")
LEAD_STATUSES = ("new", "working", "nurturing", "qualified", "unqualified")
TIERS = ("smb", "mid_market", "enterprise", "strategic")

OWNERS: tuple[dict[str, Any], ...] = (
    {"id": "usr_maria", "name": "Maria Alvarez", "email": "maria@acme.io", "role": "rep", "team": "EMEA"},
    {"id": "usr_tom", "name": "Tom Becker", "email": "tom@acme.io", "role": "rep", "team": "EMEA"},
    {"id": "usr_priya", "name": "Priya Natarajan", "email": "priya@acme.io", "role": "rep", "team": "NA"},
    {"id": "usr_james", "name": "James Okafor", "email": "james@acme.io", "role": "rep", "team": "NA"},
    {"id": "usr_lena", "name": "Lena Fischer", "email": "lena@acme.io", "role": "manager", "team": "EMEA"},
    {"id": "usr_sam", "name": "Sam Whitfield", "email": "sam@acme.io", "role": "manager", "team": "NA"},
    {"id": "usr_yuki", "name": "Yuki Tanaka", "email": "yuki@acme.io", "role": "rep", "team": "APAC"},
    {"id": "usr_omar", "name": "Omar Haddad", "email": "omar@acme.io", "role": "rep", "team": "APAC"},
)

_STEMS = (
    "Northwind",
    "Bluefin",
    "Brightpath",
    "Cobalt",
    "Evergreen",
    "Fairview",
    "Granite",
    "Harbor",
    "Ironclad",
    "Juniper",
    "Keystone",
    "Lakeshore",
    "Meridian",
    "Nimbus",
    "Oakridge",
    "Pinnacle",
    "Quartz",
    "Redwood",
    "Summit",
    "Tidewater",
    "Upland",
    "Vantage",
    "Westbrook",
    "Yellowstone",
    "Zenith",
    "Arcadia",
    "Beacon",
    "Cascade",
    "Driftwood",
    "Ember",
    "Foxglove",
    "Helix",
    "Lumen",
    "Mosaic",
    "Orbit",
    "Polaris",
    "Riverstone",
    "Sable",
    "Trident",
    "Verity",
)
_SUFFIXES = (
    "Analytics",
    "Logistics",
    "Health",
    "Systems",
    "Robotics",
    "Capital",
    "Labs",
    "Software",
    "Manufacturing",
    "Energy",
    "Foods",
    "Networks",
    "Bio",
    "Security",
    "Retail",
    "Cloud",
)
_INDUSTRY_OF = {
    "Analytics": "software",
    "Logistics": "logistics",
    "Health": "healthcare",
    "Systems": "software",
    "Robotics": "manufacturing",
    "Capital": "financial_services",
    "Labs": "biotech",
    "Software": "software",
    "Manufacturing": "manufacturing",
    "Energy": "energy",
    "Foods": "retail",
    "Networks": "telecommunications",
    "Bio": "biotech",
    "Security": "software",
    "Retail": "retail",
    "Cloud": "software",
}
_COUNTRIES = ("US", "US", "US", "DE", "GB", "FR", "NL", "SE", "JP", "SG", "AU", "CA")
_FIRST = (
    "Dana",
    "Alex",
    "Jordan",
    "Morgan",
    "Taylor",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Sofia",
    "Lukas",
    "Emma",
    "Noah",
    "Mia",
    "Liam",
    "Hannah",
    "Elias",
    "Chloe",
    "Mateo",
    "Aisha",
    "Kenji",
    "Ingrid",
    "Rafael",
    "Nadia",
    "Tobias",
    "Grace",
    "Ivan",
    "Leila",
    "Oscar",
)
_LAST = (
    "Kim",
    "Schmidt",
    "Johnson",
    "Rossi",
    "Nguyen",
    "Martin",
    "Larsen",
    "Novak",
    "Dubois",
    "Silva",
    "Cohen",
    "Murphy",
    "Sato",
    "Weber",
    "Kowalski",
    "Patel",
    "Andersson",
    "Moreau",
    "Garcia",
    "Brown",
)
_TITLES = (
    ("VP Sales", "vp_sales"),
    ("Head of Revenue Operations", "revops"),
    ("Chief Revenue Officer", "cro"),
    ("Sales Director", "sales_director"),
    ("SDR Manager", "sdr_manager"),
    ("CFO", "cfo"),
    ("Head of Marketing", "marketing"),
    ("IT Director", "it"),
    ("Account Executive", "ae"),
    ("Procurement Lead", "procurement"),
)
_DEALS = ("New business", "Expansion", "Renewal")
_TOPICS = ("pipeline", "hiring", "renewal", "pricing")
_SOURCES = ("webinar", "website", "referral", "event", "outbound", "partner")


def _employees(tier: str, rng: random.Random) -> int:
    low, high = {"smb": (20, 200), "mid_market": (200, 2000), "enterprise": (2000, 20000)}.get(
        tier, (20000, 120000)
    )
    return rng.randrange(low, high)


def sample_records(n: int = 300, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """About `n` records of every sandbox object; the same seed gives the same data."""
    rng = random.Random(seed)
    n = max(n, 20)
    counts = {"account": n * 20 // 100, "contact": n * 45 // 100, "lead": n * 12 // 100}
    counts["opportunity"] = n * 15 // 100
    owners = [dict(o, active=True) for o in OWNERS]
    owner_ids = [o["id"] for o in owners]
    names = [f"{s} {x}" for s in _STEMS for x in _SUFFIXES]
    rng.shuffle(names)
    accounts: list[dict[str, Any]] = []
    for i in range(1, counts["account"] + 1):
        name = names[i % len(names)]
        stem, suffix = name.split(" ", 1)
        tier = rng.choice(TIERS)
        accounts.append(
            {
                "id": f"acc_{i:03d}",
                "name": f"{name} {rng.choice(('Inc', 'GmbH', 'Ltd', 'Corp', 'AG', 'LLC'))}",
                "domain": f"{stem.lower()}{suffix.lower()}.example",
                "industry": _INDUSTRY_OF[suffix],
                "tier": tier,
                "employees": _employees(tier, rng),
                "annual_revenue": float(rng.randrange(2, 900) * 1_000_000),
                "country": rng.choice(_COUNTRIES),
                "owner_id": rng.choice(owner_ids),
            }
        )
    globex: dict[str, Any] = {
        "id": "acc_042", "name": "Globex Corporation", "domain": "globex.com", "industry": "software",
        "tier": "enterprise", "employees": 4200, "annual_revenue": 610_000_000.0, "country": "DE",
        "owner_id": "usr_maria",
    }  # fmt: skip
    if len(accounts) >= 42:
        accounts[41] = globex
    else:
        accounts.append(globex)
    contacts: list[dict[str, Any]] = []
    for i in range(1, counts["contact"] + 1):
        acc = rng.choice(accounts)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        title, persona = rng.choice(_TITLES)
        contacts.append(
            {
                "id": f"con_{i:03d}",
                "account_id": acc["id"],
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@{acc['domain']}",
                "title": title,
                "persona": persona,
                "phone": f"+1-555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
                "owner_id": acc["owner_id"],
                "email_verified": rng.random() < 0.8,
                "do_not_contact": rng.random() < 0.05,
            }
        )
    dana: dict[str, Any] = {
        "id": "con_123", "account_id": "acc_042", "first_name": "Dana", "last_name": "Kim",
        "email": "dana@globex.com", "title": "VP Sales", "persona": "vp_sales", "phone": "+49-30-5550123",
        "owner_id": "usr_maria", "email_verified": True, "do_not_contact": False,
    }  # fmt: skip
    if len(contacts) >= 123:
        contacts[122] = dana
    else:
        contacts.append(dana)
    leads = []
    for i in range(1, counts["lead"] + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        stem, suffix = rng.choice(_STEMS), rng.choice(_SUFFIXES)
        leads.append(
            {
                "id": f"led_{i:03d}",
                "first_name": first,
                "last_name": last,
                "email": f"{first[0].lower()}{last.lower()}@{stem.lower()}{suffix.lower()}.example",
                "company": f"{stem} {suffix}",
                "domain": f"{stem.lower()}{suffix.lower()}.example",
                "title": rng.choice(_TITLES)[0],
                "status": rng.choice(LEAD_STATUSES),
                "source": rng.choice(_SOURCES),
                "owner_id": rng.choice(owner_ids),
            }
        )
    opportunities = []
    for i in range(1, counts["opportunity"] + 1):
        acc = accounts[(i * 7) % len(accounts)] if i != 1 else globex
        stage = rng.choice(STAGES) if i != 1 else "discovery"
        amount = {"smb": 8_000, "mid_market": 40_000, "enterprise": 150_000}.get(acc["tier"], 400_000)
        opportunities.append(
            {
                "id": f"opp_{i:03d}",
                "account_id": acc["id"],
                "name": f"{acc['name'].rsplit(' ', 1)[0]} – {rng.choice(_DEALS)}",
                "stage": stage,
                "amount": float(round(amount * rng.uniform(0.5, 2.5), -2)),
                "tier": acc["tier"],
                "close_date": (BASE_DATE + timedelta(days=rng.randrange(-60, 180))).isoformat(),
                "owner_id": acc["owner_id"],
                "probability": {"closed_won": 100, "closed_lost": 0}.get(
                    stage, 10 * (STAGES.index(stage) + 1)
                ),
            }
        )
    tasks = [
        {
            "id": f"tsk_{i:03d}", "object": "opportunity", "record_id": opp["id"],
            "subject": f"Follow up on {opp['name']}", "body": "", "status": "open",
            "owner_id": opp["owner_id"],
            "due": (BASE_DATE + timedelta(days=rng.randrange(1, 21))).isoformat(),
        }
        for i, opp in enumerate(opportunities[: max(1, n // 25)], start=1)
    ]  # fmt: skip
    notes = [
        {"id": f"nte_{i:03d}", "object": "contact", "record_id": c["id"], "author": c["owner_id"],
         "body": f"Spoke with {c['first_name']} about {rng.choice(_TOPICS)}."}
        for i, c in enumerate(contacts[: max(1, n // 25)], start=1)
    ]  # fmt: skip
    return {
        "owner": owners,
        "account": accounts,
        "contact": contacts,
        "lead": leads,
        "opportunity": opportunities,
        "task": tasks,
        "note": notes,
    }
