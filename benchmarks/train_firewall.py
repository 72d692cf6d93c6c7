"""Train the shipped injection scorer (deterministic) and write src/proctor/inspect/data/injection_*.

Needs numpy, scipy and scikit-learn at development time only; the runtime reads int8 weights with
the standard library. Trains on the `train` split only, then reports document-level recall/FPR on
the `tune` split for a few thresholds (the held-out `test` split is never looked at here).

    .venv/bin/python benchmarks/train_firewall.py
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import sys
import zlib
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))

import firewall_attacks as fa
from firewall import dataset
from proctor.inspect.injection_model import DIM, blank_tags, segment_features, segments
from proctor.inspect.injection_rules import find_hidden_spans, normalise_for_match, strip_hidden

OUT = Path(__file__).resolve().parent.parent / "src" / "proctor" / "inspect" / "data"
VERSION = "inj-lr-1"

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


def _dup(rows: list[str], k: int) -> list[str]:
    return rows * k


def training_segments() -> tuple[list[list[int]], list[int]]:
    """Segment features and labels from the train split plus generated instruction variants."""
    pos: list[str] = []
    neg: list[str] = []
    for r in dataset():
        if r["split"] != "train":
            continue
        text = r["text"]
        if r["label"] == "injection":
            pos.append(r["payload"])
            if not r["id"].startswith("bipia-"):
                continue
            enc = base64.b64encode(r["payload"].encode()).decode()
            text = text.replace(r["payload"], "\n").replace(enc, "\n")
        neg.append(text)
    rng = random.Random(7)
    for tmpl, topic in itertools.product(TASK_TEMPLATES, TOPICS):
        if rng.random() < 0.5:
            pos.append(tmpl.format(t=topic))
    goals = [g.format(mail=fa.ATTACKER[0], url=fa.URLS[0]) for g in fa.GOALS[0::2]]
    for bank in (fa.OVERRIDE, fa.ADDRESS, fa.MARKERS):
        for tmpl, goal in itertools.product(bank[0::2], goals):
            pos.append(tmpl.format(goal=goal))
    pos += [p.format(mail=fa.ATTACKER[1]) for p in fa.MULTI_PAYLOADS[0::2]] + fa.TASKS[0::2] + QUESTIONS
    feats: list[list[int]] = []
    labels: list[int] = []
    for label, docs in ((1, pos), (0, neg)):
        for doc in docs:
            for seg in _doc_segments(doc):
                f = segment_features(seg)
                if f:
                    feats.append(f)
                    labels.append(label)
    return feats, labels


def _doc_segments(text: str) -> list[str]:
    view, _ = strip_hidden(normalise_for_match(text))
    out = [view[s:e] for s, e in segments(blank_tags(view))]
    for _k, _a, _b, i_start, i_end in find_hidden_spans(view):
        inner = blank_tags(view[i_start:i_end])
        out += [inner[s:e] for s, e in segments(inner)]
    return out


def _matrix(feats: list[list[int]]) -> csr_matrix:
    indptr = np.zeros(len(feats) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(f) for f in feats])
    indices = np.fromiter(itertools.chain.from_iterable(feats), dtype=np.int32, count=int(indptr[-1]))
    data = np.concatenate([np.full(len(f), 1.0 / np.sqrt(len(f))) for f in feats])
    return csr_matrix((data, indices, indptr), shape=(len(feats), DIM))


def main() -> int:
    """Train, quantise, write the weights, and print tune-split numbers."""
    feats, labels = training_segments()
    y = np.array(labels)
    print(f"segments: {len(y)} ({int(y.sum())} injected)")
    clf = LogisticRegression(C=8.0, class_weight="balanced", max_iter=2000, solver="liblinear")
    clf.fit(_matrix(feats), y)
    w = clf.coef_[0]
    scale = float(np.abs(w).max() / 32767.0)
    q = np.clip(np.round(w / scale), -32767, 32767).astype("<i2")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "injection_weights.bin").write_bytes(zlib.compress(q.tobytes(), 9))
    meta = {
        "version": VERSION,
        "dim": DIM,
        "scale": scale,
        "bias": float(clf.intercept_[0]),
        "features": "word uni/bi-grams + char 3-5-grams per token, first/last token, length bucket",
        "trained_on": "benchmarks/firewall.py split=train (BIPIA email train + generated sales content)",
    }
    (OUT / "injection_model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}/injection_weights.bin ({len(zlib.compress(q.tobytes(), 9))} bytes)")
    _report_tune()
    return 0


def _report_tune() -> None:
    from proctor.inspect import injection_model
    from proctor.inspect.injection import scan

    injection_model.load_model.cache_clear()
    rows = [r for r in dataset() if r["split"] == "tune"]
    scored = [(r, scan(r["text"]).score) for r in rows]
    for thr in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        for src in sorted({r["source"] for r in rows}):
            inj = [s for r, s in scored if r["source"] == src and r["label"] == "injection"]
            cln = [s for r, s in scored if r["source"] == src and r["label"] == "clean"]
            rec = sum(s >= thr for s in inj) / max(1, len(inj))
            fpr = sum(s >= thr for s in cln) / max(1, len(cln))
            print(f"thr={thr:.2f} {src:<22} recall={rec:.3f} (n={len(inj)}) fpr={fpr:.3f} (n={len(cln)})")


if __name__ == "__main__":
    raise SystemExit(main())
