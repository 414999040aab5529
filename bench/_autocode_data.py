"""Loaders for the autocode benches: nlupp and GoEmotions as texts + label matrices."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("THEMELOOP_BENCH_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
if not DATA.is_dir():
    DATA = Path("/work/shared/data")


def cache_dir() -> Path:
    """The embedding cache the benches share (the ad hoc default)."""
    from themeloop.themes.run import default_adhoc_cache

    return Path(os.environ.get("THEMELOOP_BENCH_CACHE", default_adhoc_cache()))


def load_nlupp() -> tuple[list[str], np.ndarray, list[str], dict[str, str], np.ndarray]:
    """All folds of both domains: texts, Y (n, 62), intent ids, descriptions, fold index."""
    onto = json.loads((DATA / "nlupp" / "ontology.json").read_text(encoding="utf-8"))["intents"]
    intents = sorted(onto)
    pos = {k: i for i, k in enumerate(intents)}
    texts, rows, folds = [], [], []
    for domain in ("banking", "hotels"):
        for k in range(20):
            items = json.loads((DATA / "nlupp" / domain / f"fold{k}.json").read_text(encoding="utf-8"))
            for item in items:
                texts.append(item["text"])
                rows.append([pos[i] for i in item.get("intents", [])])
                folds.append(k)
    y = np.zeros((len(texts), len(intents)), dtype=bool)
    for r, idx in enumerate(rows):
        y[r, idx] = True
    return texts, y, intents, {k: v["description"] for k, v in onto.items()}, np.asarray(folds)


def load_goemotions(split: str) -> tuple[list[str], np.ndarray, list[str]]:
    """One split: texts, Y (n, 28), label names."""
    labels = (DATA / "goemotions" / "labels.txt").read_text(encoding="utf-8").split()
    texts, y = [], []
    for line in (DATA / "goemotions" / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        row = np.zeros(len(labels), dtype=bool)
        row[[int(i) for i in ids.split(",")]] = True
        texts.append(text)
        y.append(row)
    return texts, np.asarray(y), labels


def embed(texts: list[str], chunk: int = 2000) -> np.ndarray:
    """Embed through themeloop's Embedder and its cache, in chunks so a stop loses little."""
    from themeloop.embed import Embedder

    embedder = Embedder(cache_dir=cache_dir())
    parts = [embedder.encode(texts[i:i + chunk]) for i in range(0, len(texts), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)


if __name__ == "__main__":  # pre-warm the cache
    import sys
    import time

    t = time.time()
    texts, *_ = load_nlupp()
    embed(texts)
    print("nlupp", len(texts), round(time.time() - t, 1), file=sys.stderr, flush=True)
    for split in ("dev", "test", "train"):
        texts, *_ = load_goemotions(split)
        for i in range(0, len(texts), 4000):
            embed(texts[i:i + 4000])
            print(split, i, round(time.time() - t, 1), file=sys.stderr, flush=True)
