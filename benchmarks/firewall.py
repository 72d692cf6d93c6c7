"""Benchmark for the tool firewall's injection detector (`proctor.inspect.injection`).

Builds the labelled set (BIPIA email from ../shared/data plus generated sales content), splits it
deterministically into train / tune / test, and reports recall, false-positive rate and throughput on
the held-out test split, per source.

    .venv/bin/python benchmarks/firewall.py [--json] [--split test] [--write-data]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from firewall_attacks import inject, inject_task
from firewall_corpus import CLEAN_KINDS, HARD_KINDS, Ctx

ROOT = Path(__file__).resolve().parent.parent
BIPIA = ROOT.parent / "shared" / "data" / "bipia_email.jsonl"
SALES_FILE = Path(__file__).resolve().parent / "data" / "firewall_sales.jsonl"
N_CLEAN = 3000
N_INJECTED = 1500
N_HARD = 1500
N_TASK = 750
TASKS_PER_BIPIA_HOST = 4
SEED = 20261124


def _split_of(i: int) -> str:
    r = i % 10
    return "test" if r < 3 else "tune" if r < 5 else "train"


def sales_rows() -> list[dict[str, str]]:
    """Generated sales content: clean documents and injected variants (deterministic)."""
    rows: list[dict[str, str]] = []
    kinds = sorted(CLEAN_KINDS)
    for i in range(N_CLEAN + N_INJECTED):
        rng = random.Random(SEED * 7919 + i)
        split = _split_of(i)
        kind = kinds[i % len(kinds)] if i < N_CLEAN else kinds[(i // 10) % len(kinds)]
        text = CLEAN_KINDS[kind](Ctx(rng, split))
        row = {"id": f"sales-{i}", "source": f"sales:{kind}", "split": split, "label": "clean", "text": text}
        if i >= N_CLEAN:
            row.update(inject(rng, text, kind, split))
            row["label"] = "injection"
        rows.append(row)
    return rows


def hard_rows() -> list[dict[str, str]]:
    """Hard clean material (questions, tips, support instructions, FAQs, CRM action items) and
    off-topic assistant tasks planted in business documents (deterministic)."""
    rows: list[dict[str, str]] = []
    kinds = sorted(HARD_KINDS)
    hosts = [*kinds, "reply", "newsletter"]
    for i in range(N_HARD + N_TASK):
        rng = random.Random(SEED * 104729 + i)
        split = _split_of(i)
        if i < N_HARD:
            kind = kinds[(i // 10) % len(kinds)]
            text = HARD_KINDS[kind](Ctx(rng, split))
            rows.append(
                {"id": f"hard-{i}", "source": f"hard:{kind}", "split": split, "label": "clean", "text": text}
            )
            continue
        kind = hosts[(i // 10) % len(hosts)]
        make = HARD_KINDS.get(kind) or CLEAN_KINDS[kind]
        row = {"id": f"task-{i}", "source": "task:sales", "split": split, "label": "injection"}
        row.update(inject_task(rng, make(Ctx(rng, split)), split))
        rows.append(row)
    return rows


def bipia_task_rows(bipia: list[dict[str, str]]) -> list[dict[str, str]]:
    """Off-topic assistant tasks planted in BIPIA's benign host emails, split as the hosts are."""
    rows: list[dict[str, str]] = []
    for r in bipia:
        if r["label"] != "clean":
            continue
        for k in range(TASKS_PER_BIPIA_HOST):
            rng = random.Random(f"{r['id']}:{k}")
            row = {"id": f"{r['id']}-task{k}", "source": "task:bipia-host", "split": r["split"]}
            row.update(inject_task(rng, r["text"], r["split"]))
            row["label"] = "injection"
            rows.append(row)
    return rows


def bipia_rows() -> list[dict[str, str]]:
    """BIPIA email rows (MIT); BIPIA's own test split is held out, its train split feeds train/tune."""
    if not BIPIA.exists():
        print(f"note: {BIPIA} not found; skipping the BIPIA source", file=sys.stderr)
        return []
    rows: list[dict[str, str]] = []
    raw = [json.loads(line) for line in BIPIA.read_text(encoding="utf-8").splitlines()]
    # Tune on attack categories the scorer never trained on, as the test split does.
    cats = sorted({str(r.get("attack_category", "")) for r in raw if r["split"] == "train"} - {""})
    tune_cats = set(cats[1::4])
    for r in raw:
        if r["split"] == "test":
            split = "test"
        elif r["label"] == "benign":
            split = "tune" if int(r["email_idx"]) % 4 == 0 else "train"
        else:
            split = "tune" if r.get("attack_category") in tune_cats else "train"
        label = "clean" if r["label"] == "benign" else "injection"
        payload = str(r.get("attack", ""))
        if payload and str(r.get("attack_name", "")).endswith("-b64"):
            import base64

            payload = base64.b64decode(payload).decode("utf-8", "replace")
        carrier = "base64" if str(r.get("attack_name", "")).endswith("-b64") else "plain"
        rows.append(
            {
                "id": f"bipia-{r['id']}",
                "source": "bipia:email",
                "split": split,
                "label": label,
                "text": r["text"],
                "payload": payload if label == "injection" else "",
                "carrier": carrier,
            }
        )
    return rows


def dataset() -> list[dict[str, str]]:
    """The whole labelled set."""
    bipia = bipia_rows()
    return bipia + sales_rows() + hard_rows() + bipia_task_rows(bipia)


def evaluate(rows: list[dict[str, str]], threshold: float | None = None) -> dict[str, object]:
    """Recall / FPR per source and overall, plus throughput, for `rows`."""
    from proctor.inspect.injection import THRESHOLD, scan

    thr = THRESHOLD if threshold is None else threshold
    scan("warm-up: load the model")
    stats: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0, "tn": 0})
    by_carrier: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0})
    start = time.perf_counter()
    scores = [scan(r["text"]).score for r in rows]
    elapsed = time.perf_counter() - start
    misses: list[dict[str, object]] = []
    for r, s in zip(rows, scores, strict=True):
        hit = s >= thr
        for key in (r["source"], "ALL"):
            st = stats[key]
            if r["label"] == "injection":
                st["tp" if hit else "fn"] += 1
            else:
                st["fp" if hit else "tn"] += 1
        if r["label"] == "injection":
            by_carrier[r.get("carrier", "plain")]["tp" if hit else "fn"] += 1
        if (r["label"] == "injection") != hit:
            misses.append({"id": r["id"], "label": r["label"], "score": round(s, 3), "text": r["text"][:300]})
    table = {
        src: {
            "injected": st["tp"] + st["fn"],
            "clean": st["fp"] + st["tn"],
            "recall": st["tp"] / max(1, st["tp"] + st["fn"]) if st["tp"] + st["fn"] else None,
            "fpr": st["fp"] / max(1, st["fp"] + st["tn"]) if st["fp"] + st["tn"] else None,
        }
        for src, st in sorted(stats.items())
    }
    carriers = {c: v["tp"] / max(1, v["tp"] + v["fn"]) for c, v in sorted(by_carrier.items())}
    chars = sum(len(r["text"]) for r in rows)
    return {
        "threshold": thr,
        "n": len(rows),
        "per_source": table,
        "recall_by_carrier": carriers,
        "texts_per_s": len(rows) / elapsed if elapsed else None,
        "mean_chars": chars / max(1, len(rows)),
        "misses": misses,
    }


def _fmt(v: object) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--split", default="test", choices=["train", "tune", "test"])
    ap.add_argument("--show-misses", type=int, default=0, help="print this many misclassified texts")
    ap.add_argument(
        "--write-data", action="store_true", help=f"write the generated sales set to {SALES_FILE}"
    )
    args = ap.parse_args(argv)
    if args.write_data:
        SALES_FILE.parent.mkdir(parents=True, exist_ok=True)
        with SALES_FILE.open("w", encoding="utf-8") as fh:
            for r in sales_rows():
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    rows = [r for r in dataset() if r["split"] == args.split]
    report = evaluate(rows)
    if args.json:
        report = dict(report)
        report["misses"] = report["misses"][: args.show_misses]  # type: ignore[index]
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(f"split={args.split}  threshold={report['threshold']}  n={report['n']}")
    print(f"{'source':<22}{'injected':>9}{'clean':>7}{'recall':>9}{'FPR':>8}")
    for src, row in report["per_source"].items():  # type: ignore[attr-defined]
        print(f"{src:<22}{row['injected']:>9}{row['clean']:>7}{_fmt(row['recall']):>9}{_fmt(row['fpr']):>8}")
    print("recall by carrier: " + ", ".join(f"{c}={v:.3f}" for c, v in report["recall_by_carrier"].items()))  # type: ignore[attr-defined]
    print(f"throughput: {report['texts_per_s']:.0f} texts/s (mean {report['mean_chars']:.0f} chars, 1 core)")
    for m in report["misses"][: args.show_misses]:  # type: ignore[index]
        print("MISS", json.dumps(m, ensure_ascii=False)[:400])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
