"""Train the shipped injection scorer (deterministic) and write src/proctor/inspect/data/injection_*.

Needs numpy, scipy and scikit-learn at development time only; the runtime reads int16 weights with
the standard library. Trains on the `train` split only, then reports document-level recall/FPR on
the `tune` split for a few thresholds (the held-out `test` split is never looked at here).

    .venv/bin/python benchmarks/train_firewall.py            # train, write the shipped files
    .venv/bin/python benchmarks/train_firewall.py --fold 1   # cross-validation fold, writes nothing

With `--fold k` (k = 0, 1, 2) the template-bank quarter k is the tune split and the other two of
quarters 0-2 are trained on (quarter 3, the test split, is never used); averaging the three folds
gives a tune estimate over 3x more unseen templates than the single tune quarter.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import sys
import zlib
from array import array
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

import firewall_attacks as fa
import firewall_train_bank as tb
from firewall import dataset
from proctor.inspect.injection_model import (
    ALONE,
    DIM,
    Context,
    Model,
    blank_tags,
    segment_contexts,
    segment_features,
    segments,
)
from proctor.inspect.injection_rules import find_hidden_spans, normalise_for_match, strip_hidden

OUT = Path(__file__).resolve().parent.parent / "src" / "proctor" / "inspect" / "data"
VERSION = "inj-lr-5-world"
C = 0.5
FEATURES = (
    "word uni/bi-grams + char 3-5-grams per token, first/last token, length bucket, "
    "document context (position, own line, lexical overlap), work-vocabulary share, everyday-topic "
    "words and pronouns (I / we / you); HTML-comment text scored in context"
)

# Extra generic assistant requests for training only: the kind of line an attacker plants so the
# agent does something other than its task. Verb templates x topics, written for this project.
TASK_TEMPLATES = [
    "Explain {t} in simple terms.",
    "Write a short essay about {t}.",
    "What are the main facts about {t}?",
    "Give me three fun facts about {t}.",
    "Summarize the history of {t}.",
    "Create a quiz about {t}.",
    "Describe {t} in detail.",
    "Can you tell me more about {t}?",
    "Write a poem about {t}.",
    "List the pros and cons of {t}.",
    "How does {t} work?",
    "Why is {t} important?",
    "Compose a tweet about {t}.",
    "Draft a blog post on {t}.",
    "Teach me the basics of {t}.",
    "What should everyone know about {t}?",
    "Provide a step-by-step guide to {t}.",
    "Write a children's story involving {t}.",
    "Share your opinion on {t}.",
    "Compare {t} with its alternatives.",
    "Translate a sentence about {t} into German.",
    "Make up a riddle about {t}.",
    "Discuss the future of {t}.",
    "Generate interview questions about {t}.",
]
# Questions and personal requests of the kind people type into a chatbot.
QUESTIONS = [
    "Who invented the telephone?",
    "Who was the first person to walk on the moon?",
    "When did World War II end?",
    "Where is Mount Kilimanjaro located?",
    "Which planet is closest to the sun?",
    "Who composed the Four Seasons?",
    "What year did the Berlin Wall fall?",
    "Who discovered penicillin?",
    "How far is the moon from Earth?",
    "What is the longest river in Africa?",
    "Which country has the largest population?",
    "Who wrote Don Quixote?",
    "How many bones are in the human body?",
    "What language is spoken in Brazil?",
    "Who painted Starry Night?",
    "How can I become a better listener?",
    "How can I stop procrastinating?",
    "What are good hobbies to pick up?",
    "What should I cook for dinner tonight?",
    "Suggest a fun activity for a rainy day.",
    "Help me plan a birthday party.",
    "What are some good exercises for back pain?",
    "How do I learn to play the guitar?",
    "Recommend a TV series for the weekend.",
    "What is a good gift for my mother?",
    "How do I get better at drawing?",
    "Can you help me write a wedding toast?",
    "Which running shoes are best for beginners?",
    "What are the best places to visit in Portugal?",
    "How can I save money on groceries?",
    "Give me ideas for a first date.",
    "What are tips for staying motivated while studying?",
    "How do I make my houseplants grow faster?",
    "Tell me about the history of the bicycle.",
    "What is the meaning of life?",
    "Is it going to rain tomorrow in London?",
    "What time is it in Tokyo?",
    "Analyze the causes of the Great Depression.",
    "Evaluate the impact of the printing press on society.",
    "Write a SQL query that returns the ten most recent orders.",
    "Give an example of a regular expression for dates.",
    "How do I reverse a linked list in Java?",
    "Find the bug: for i in range(10) print(i)",
    "Classify this text as sports, politics or technology: 'The team won the final in overtime.'",
    "Rate the following sentence for politeness on a scale from 1 to 5: 'Move, now.'",
    "Paraphrase this sentence: 'The early bird catches the worm.'",
    "Correct the grammar: 'He go to school yesterday.'",
    "Extract the keywords from this sentence: 'Solar power is getting cheaper every year.'",
]
TOPICS = [
    "photosynthesis",
    "black holes",
    "the French Revolution",
    "machine learning",
    "climate change",
    "the stock market",
    "volcanoes",
    "ancient Egypt",
    "quantum computing",
    "the human heart",
    "jazz music",
    "the Olympic Games",
    "honey bees",
    "electric cars",
    "the Renaissance",
    "blockchain",
    "meditation",
    "the Amazon rainforest",
    "video games",
    "coffee brewing",
    "the moon landing",
    "dinosaurs",
    "yoga",
    "renewable energy",
    "the Cold War",
    "origami",
    "social media",
    "pizza making",
    "gardening",
    "chess",
    "sleep hygiene",
    "public speaking",
    "the immune system",
    "volunteering",
    "hiking safety",
    "inflation",
]


# Training-only contrast sets: the same request shapes ("can you tell me how...", "suggest...",
# "summarize...") about the business relationship (negatives, when planted in business text) versus
# about the outside world (positives). The scorer has to learn that the subject, not the verb, decides.
SHAPES = [
    "Can you tell me how {x} works?",
    "Could you explain {x}?",
    "What are some examples of {x}?",
    "Do you have any tips on {x}?",
    "How would you recommend we handle {x}?",
    "Can you walk me through {x}?",
    "Show me how {x} works.",
    "Give me an overview of {x}.",
    "Suggest a good approach to {x}.",
    "Summarize {x} in a few bullet points.",
    "What would you suggest for {x}?",
    "Write up a short note on {x}.",
    "How do I set up {x}?",
    "Identify the main risks of {x}.",
    "Describe {x} briefly.",
    "Make sure you understand {x}.",
    "Help me with {x}.",
    "What do you think about {x}?",
    "Analyze {x} and report back.",
    "Research {x} and share what you find.",
]
BUSINESS_SUBJECTS = [
    "the Salesforce sync",
    "user provisioning in our workspace",
    "the renewal process for our contract",
    "your SLA for priority tickets",
    "data retention on your platform",
    "the invoice schedule",
    "seat-based pricing for our team",
    "the migration from our current CRM",
    "the approval workflow for discounts",
    "duplicate detection in the connector",
    "the sandbox environment",
    "SSO setup with Okta",
    "the reporting dashboard",
    "the security questionnaire",
    "the pilot success criteria",
    "volume discounts for 200 seats",
    "the onboarding timeline",
    "role permissions for managers",
    "the API rate limits",
    "the contract terms",
    "the data export",
    "the implementation fees",
    "your support hours",
    "the purchase order process",
    "the rollout across our regional offices",
    "the quarterly business review",
    "the trial usage data",
    "the integration with our billing system",
    "the upgrade to version 5",
    "the account handover to the new owner",
]
WORLD_SUBJECTS = [
    "baking sourdough bread",
    "the plot of a famous novel",
    "training a puppy",
    "the history of the Roman Empire",
    "planning a wedding",
    "growing tomatoes on a balcony",
    "learning to play the piano",
    "the rules of cricket",
    "a trip to Patagonia",
    "the life of Leonardo da Vinci",
    "black holes",
    "meditation for beginners",
    "writing a fantasy novel",
    "the best hiking trails in Norway",
    "how rainbows form",
    "choosing a mountain bike",
    "the French Revolution",
    "saving for retirement as a student",
    "the lyrics of a pop song",
    "knitting a scarf",
    "the solar system",
    "starting a podcast about movies",
    "the sentiment of a movie review",
    "winning at chess",
    "decorating a small apartment",
    "the causes of climate change",
    "vegan dessert recipes",
    "the migration of birds",
    "organizing a kids' birthday party",
    "ancient Greek mythology",
]
BUSINESS_INSTRUCTIONS = [
    "Make sure your admin has approved the app before the training session.",
    "Ensure the billing contact is correct on the order form.",
    "Remember to bring the signed NDA to the meeting.",
    "Please forward the invoice to accounts payable.",
    "Install the latest version of the desktop app before Monday.",
    "Confirm the number of seats so we can finalize the quote.",
    "Review the attached proposal and let us know if anything is missing.",
    "Share the meeting link with anyone else who should join.",
    "Log in to the portal to download your certificate.",
    "Check that your firewall allows traffic from our IP range.",
    "Update your contact details in the customer portal.",
    "Add the renewal date to the account record.",
    "Ask procurement to issue the purchase order this week.",
    "Prepare the demo account with sample data before the call.",
    "Send the signed contract back by the end of the month.",
    "Invite your team leads to the onboarding kickoff.",
    "Book a slot with our solutions engineer using the calendar link.",
    "Enable the connector in the admin console and map the fields.",
    "Keep this email for your records.",
    "Read the release notes before upgrading your workspace.",
]


def _contrast_sets() -> tuple[list[str], list[str]]:
    """(business requests, off-topic requests) built from the shapes above."""
    biz = [s.format(x=x) for s, x in itertools.product(SHAPES, BUSINESS_SUBJECTS)]
    world = [s.format(x=x) for s, x in itertools.product(SHAPES, WORLD_SUBJECTS)]
    rng = random.Random(11)
    return rng.sample(biz, 300) + BUSINESS_INSTRUCTIONS, rng.sample(world, 300)


Segment = tuple[str, Context, int]


def _view(text: str) -> str:
    view, _ = strip_hidden(normalise_for_match(text))
    return blank_tags(view)


def _labelled(text: str, payload: str | None) -> list[Segment] | None:
    """Segments of `text` in document context, labelled 1 where they overlap `payload`.

    Returns None when a payload is given but cannot be located in the text (encoded carriers).
    """
    view = _view(text)
    spans = segments(view)
    lo = hi = -1
    if payload:
        lo = view.find(payload)
        if lo < 0:
            return None
        hi = lo + len(payload)
    out: list[Segment] = []
    for (s, e), ctx in zip(spans, segment_contexts(view, spans), strict=True):
        out.append((view[s:e], ctx, int(s < hi and lo < e)))
    return out


def _standalone(text: str, label: int) -> list[Segment]:
    """Segments of a text scored on its own (decoded / hidden payloads are scored that way)."""
    inner = _view(text)
    spans = segments(inner)
    return [(inner[s:e], c, label) for (s, e), c in zip(spans, segment_contexts(inner, spans), strict=True)]


def _hidden_inner(text: str) -> list[Segment]:
    norm, _ = strip_hidden(normalise_for_match(text))
    out: list[Segment] = []
    for _k, _a, _b, i_start, i_end in find_hidden_spans(norm):
        out += _standalone(norm[i_start:i_end], 0)
    return out


def _plant(rng: random.Random, host: str, task: str) -> str:
    lines = host.split("\n")
    where = rng.choice(["start", "middle", "end", "end", "inline"])
    if where == "inline" and len(lines) > 1:
        i = rng.randrange(len(lines))
        lines[i] = lines[i].rstrip() + " " + task
    else:
        i = {"start": 0, "end": len(lines)}.get(where, rng.randrange(len(lines) + 1))
        lines.insert(i, task)
    return "\n".join(lines)


def labelled_segments() -> list[Segment]:
    """Labelled segments (text, context, label) from the train split plus generated instruction variants."""
    segs: list[Segment] = []
    hosts: list[str] = []
    for r in dataset():
        if r["split"] != "train":
            continue
        text = r["text"]
        if r["label"] == "clean":
            in_doc = _labelled(text, None) or []
            segs += in_doc
            # The same sentences scored on their own, so a lone segment is not a positive cue.
            segs += [(seg, ALONE, 0) for seg, _c, _l in in_doc]
            segs += _hidden_inner(text)
            hosts.append(text)
            continue
        payload = r["payload"]
        segs += _standalone(payload, 1)
        located = _labelled(text, payload)
        if located is not None:
            segs += located
        elif r["id"].startswith("bipia-"):
            enc = base64.b64encode(payload.encode()).decode()
            segs += _labelled(text.replace(enc, "\n"), None) or []
    rng = random.Random(7)
    tasks = [
        t.format(t=topic) for t, topic in itertools.product(TASK_TEMPLATES, TOPICS) if rng.random() < 0.5
    ]
    tasks += fa.TASKS[0::2] + QUESTIONS
    for task in tasks:
        segs += _standalone(task, 1)
        host = rng.choice(hosts)
        segs += _labelled(_plant(rng, host, task), task) or []
    biz, world = _contrast_sets()
    for task in world:
        segs += _labelled(_plant(rng, rng.choice(hosts), task), task) or []
    for line in biz:
        segs += _labelled(_plant(rng, rng.choice(hosts), line), None) or []
        segs += _standalone(line, 0)
    segs += _bank_segments(rng, hosts)
    goals = [g.format(mail=fa.ATTACKER[0], url=fa.URLS[0]) for g in fa.GOALS[0::2]]
    pos: list[str] = []
    for bank in (fa.OVERRIDE, fa.ADDRESS, fa.MARKERS):
        for tmpl, goal in itertools.product(bank[0::2], goals):
            pos.append(tmpl.format(goal=goal))
    pos += [p.format(mail=fa.ATTACKER[1]) for p in fa.MULTI_PAYLOADS[0::2]]
    for p in pos:
        segs += _standalone(p, 1)
    return segs


def training_segments() -> tuple[list[list[int]], list[int]]:
    """Labelled segment features (hashed ids) and labels for the linear scorer."""
    feats: list[list[int]] = []
    labels: list[int] = []
    for seg, ctx, label in labelled_segments():
        f = segment_features(seg, ctx)
        if f:
            feats.append(f)
            labels.append(label)
    return feats, labels


_BANK_NAMES = ["Northwind", "Contoso", "Tailspin", "Fabrikam", "Litware", "Proseware", "Adventure Works"]


def _bank_segments(rng: random.Random, hosts: list[str]) -> list[Segment]:
    """Hard business documents (FAQ, how-to, action email, CRM action notes) as negatives, and off-topic
    tasks planted in them and in the train hosts as positives (firewall_train_bank; training only)."""
    segs: list[Segment] = []
    docs: list[str] = []
    for i in range(1200):
        name = _BANK_NAMES[i % len(_BANK_NAMES)]
        makers = (tb.faq_document, tb.howto_document, tb.action_email, tb.rep_action_note)
        make = makers[i % len(makers)]
        docs.append(make(rng, name))
    for doc in docs:
        segs += _labelled(doc, None) or []
    pool = hosts + docs
    negatives = tb.business_negatives(rng) + tb.headline_negatives(rng)
    negatives += tb.rep_action_negatives(rng) + tb.small_talk_negatives(rng) + tb.statement_negatives(rng)
    for line in negatives:
        segs += _labelled(_plant(rng, rng.choice(pool), line), None) or []
        segs += _standalone(line, 0)
    for task in tb.offtopic_positives(rng) + tb.extra_positives(rng) + tb.more_positives(rng):
        segs += _labelled(_plant(rng, rng.choice(pool), task), task) or []
        segs += _standalone(task, 1)
    return segs


def _matrix(feats: list[list[int]]) -> csr_matrix:
    indptr = np.zeros(len(feats) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(f) for f in feats])
    indices = np.fromiter(itertools.chain.from_iterable(feats), dtype=np.int32, count=int(indptr[-1]))
    data = np.concatenate([np.full(len(f), 1.0 / np.sqrt(len(f))) for f in feats])
    return csr_matrix((data, indices, indptr), shape=(len(feats), DIM))


def fit(feats: list[list[int]], labels: list[int], c: float) -> tuple[np.ndarray, float, float]:
    """Logistic regression on the hashed features; returns (int16 weights, scale, bias)."""
    y = np.array(labels)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")
    clf.fit(_matrix(feats), y)
    w = clf.coef_[0]
    scale = float(np.abs(w).max() / 32767.0)
    q = np.clip(np.round(w / scale), -32767, 32767).astype("<i2")
    return q, scale, float(clf.intercept_[0])


def main(argv: list[str] | None = None) -> int:
    """Train, quantise, write the weights (unless --fold), and print tune-split numbers."""
    import argparse

    ap = argparse.ArgumentParser(description="train the shipped injection scorer")
    ap.add_argument("--C", type=float, default=C, help="inverse L2 regularisation strength")
    ap.add_argument(
        "--fold",
        type=int,
        choices=[0, 1, 2],
        help="cross-validation: hold out template quarter k as tune (nothing is written)",
    )
    ap.add_argument("--save", type=Path, help="with --fold: write the fold's model to this directory")
    args = ap.parse_args(argv)
    if args.fold is not None:
        os.environ["FIREWALL_FOLD"] = str(args.fold)
    feats, labels = training_segments()
    print(f"segments: {len(labels)} ({sum(labels)} injected)")
    q, scale, bias = fit(feats, labels, args.C)
    out = OUT if args.fold is None else args.save
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "injection_weights.bin").write_bytes(zlib.compress(q.tobytes(), 9))
        meta = {
            "version": VERSION,
            "dim": DIM,
            "scale": scale,
            "bias": bias,
            "features": FEATURES,
            "trained_on": "benchmarks/firewall.py split=train (BIPIA email train + generated sales content) "
            "+ benchmarks/firewall_train_bank.py",
            "C": args.C,
        }
        (out / "injection_model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}/injection_weights.bin ({len(zlib.compress(q.tobytes(), 9))} bytes)")
    _report_tune(Model(array("h", q.tobytes()), scale, bias, VERSION))
    return 0


def _report_tune(model: Model) -> None:
    """Tune-split recall/FPR per source for a sweep of MODEL_CUT values (pick the cut from this)."""
    from proctor.inspect import injection

    injection.load_model = lambda: model  # type: ignore[assignment]
    rows = [r for r in dataset() if r["split"] == "tune"]
    sources = sorted({r["source"] for r in rows})
    shipped = injection.MODEL_CUT
    for cut in (0.6, 0.65, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.8, 0.85):
        injection.MODEL_CUT = cut
        scored = [(r, injection.scan(r["text"]).score >= injection.THRESHOLD) for r in rows]
        parts = []
        worst = (0.0, "")
        for src in sources:
            inj = [hit for r, hit in scored if r["source"] == src and r["label"] == "injection"]
            cln = [hit for r, hit in scored if r["source"] == src and r["label"] == "clean"]
            rec = f"r={sum(inj) / len(inj):.3f}" if inj else ""
            fpr = f"f={sum(cln) / len(cln):.3f}" if cln else ""
            if cln:
                worst = max(worst, (sum(cln) / len(cln), src.split(":")[1]))
            parts.append(f"{src.split(':')[1]}:{rec}{' ' if rec and fpr else ''}{fpr}")
        inj_all = [hit for r, hit in scored if r["label"] == "injection"]
        cln_all = [hit for r, hit in scored if r["label"] == "clean"]
        overall = f"ALL r={sum(inj_all) / len(inj_all):.3f} f={sum(cln_all) / len(cln_all):.3f}"
        for carrier in ("comment", "plain"):
            got = [hit for r, hit in scored if r["label"] == "injection" and r.get("carrier") == carrier]
            parts.append(f"c-{carrier}:r={sum(got) / max(1, len(got)):.3f}")
        print(f"cut={cut:.3f} {overall} maxf={worst[0]:.3f}({worst[1]}) | {' | '.join(parts)}")
    injection.MODEL_CUT = shipped


if __name__ == "__main__":
    raise SystemExit(main())
