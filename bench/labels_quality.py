"""Theme labels on human groupings: the noun-phrase labels against the old keyword labels.

The themes here are the humans' own groups, so only the labelling differs:
- BANKING77 test (Casanueva et al. 2020, CC BY 4.0; 77 intents, names such as
  "card_arrival"), GoogleNews-T and AgNews (3,000 sampled each) and Tweet (all
  2,472) from SCCL's short-text sets (research use; pre-processed, lower-cased
  texts without stopwords), and the bundled sample survey (coder amira's first
  code per answer, with the codebook's labels).
- ``name_cosine`` (sets with named groups only): cosine between a label's
  embedding and the human name's ("Card arrival", "Lack of funding").
- ``name_top1``: share of labels whose nearest human name is their own group's.
- ``own_centroid_top1``: share of labels whose embedding is closest to their
  own group's centroid (a label that says what its group is, not another's).
- ``coverage``: mean share of a group's answers that contain every label word.
- ``words_in_text``: share of labels whose every word occurs in the group's answers.
- ``distinct``: share of labels that no other group has.
- ``words``: mean words per label.

Each configuration is one weighting of the label score (embedding, c-TF-IDF,
coverage); "old" is the previous keyword label (``keywords.make_label``).
Prints one JSON object as the last line.

    python bench/labels_quality.py --data-dir /work/shared/data
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"new": (0.8, 0.1, 0.1), "w_0.6_0.2_0.2": (0.6, 0.2, 0.2),
           "w_0.4_0.3_0.3": (0.4, 0.3, 0.3), "no_embedding": (0.0, 0.5, 0.5)}


def load_sets(data_dir: Path, n: int, seed: int) -> dict[str, tuple[list[str], list[str], bool]]:
    """name -> (texts, group per text, whether groups carry human names)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    sets = {}
    bank = pd.read_csv(data_dir / "banking77" / "test.csv")
    sets["banking77"] = (bank["text"].astype(str).tolist(),
                         [c.replace("_", " ") for c in bank["category"]], True)
    for name, file in (("googlenews_t", "googlenews_t.tsv"), ("agnews", "agnews_8000.tsv"),
                       ("tweet", "tweet.tsv")):
        df = pd.read_csv(data_dir / "short_text_clusters" / file, sep="\t", header=None,
                         names=["label", "text"], dtype=str, quoting=3).dropna()
        if len(df) > n and name != "tweet":
            df = df.iloc[np.sort(rng.choice(len(df), size=n, replace=False))]
        sets[name] = (df["text"].tolist(), df["label"].tolist(), False)
    sets["sample_survey"] = survey_set()
    return sets


def survey_set() -> tuple[list[str], list[str], bool]:
    import pandas as pd
    import yaml

    project = ROOT / "examples" / "innovation-survey"
    survey = pd.read_csv(project / "survey.csv", dtype=str)
    book = yaml.safe_load((project / "codebook.yaml").read_text(encoding="utf-8"))
    names = {(q, c["id"]): c["label"] for q, v in book["questions"].items() for c in v["codes"]}
    coding = pd.read_csv(ROOT / "annotations" / "innovation-survey" / "coding_table.csv", dtype=str)
    coding = coding[coding["coder"].str.startswith("amira")].dropna(subset=["code"])
    first = coding.drop_duplicates("response_id")
    columns = {"barriers": "barriers_text", "practice": "practice_text", "radical": "radical_text"}
    texts, groups = [], []
    by_id = survey.set_index("org_id")
    for rid, q, code in zip(first["response_id"], first["question"], first["code"]):
        org = rid.split(":")[0]
        text = by_id.loc[org, columns[q]] if org in by_id.index else None
        if isinstance(text, str) and text.strip() and code != "other":
            texts.append(text)
            groups.append(names.get((q, code), code))
    return texts, groups, True


def old_labels(texts: list[str], labels: np.ndarray) -> dict[int, str]:
    from themeloop.themes import keywords

    lemmas = keywords.analyse(texts)
    words = keywords.ctfidf_keywords(lemmas.docs, labels)
    return {v: keywords.make_label(keywords.tidy_keywords(w), nouns=lemmas.nouns)
            for v, w in words.items()}


def score(labels_of: dict[int, str], texts: list[str], labels: np.ndarray, centroids: np.ndarray,
          names: list[str] | None, encode) -> dict[str, float]:
    values = sorted(labels_of)
    emb = encode([labels_of[v] for v in values])
    own = float(np.mean((emb @ centroids[values].T).argmax(axis=1) == np.arange(len(values))))
    lower = [t.lower() for t in texts]
    cover, inside = [], []
    for v in values:
        words = [w for w in re.findall(r"[\w'-]+", labels_of[v].lower()) if w != "and"]
        members = [lower[i] for i in np.flatnonzero(labels == v)]
        tokens = [set(re.findall(r"[\w'-]+", m)) for m in members]
        cover.append(np.mean([all(w in t for w in words) for t in tokens]))
        inside.append(all(any(w in t for t in tokens) for w in words))
    out = {"own_centroid_top1": round(own, 3), "coverage": round(float(np.mean(cover)), 3),
           "words_in_text": round(float(np.mean(inside)), 3),
           "distinct": round(len({labels_of[v].lower() for v in values}) / len(values), 3),
           "words": round(float(np.mean([len(labels_of[v].split()) for v in values])), 2)}
    if names is not None:
        name_emb = encode([names[v] for v in values])
        sims = emb @ name_emb.T
        out["name_cosine"] = round(float(np.mean(np.diag(sims))), 3)
        out["name_top1"] = round(float(np.mean(sims.argmax(axis=1) == np.arange(len(values)))), 3)
    return out


def run_set(texts, groups, named, embedder, seed) -> dict:
    from themeloop.themes import labels as labels_mod

    names = sorted(set(groups))
    labels = np.array([names.index(g) for g in groups])
    emb = embedder.encode(texts)
    cents = np.stack([emb[labels == v].mean(axis=0) for v in range(len(names))])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    quotes = {}
    for v in range(len(names)):
        members = np.flatnonzero(labels == v)
        order = members[np.argsort(-(emb[members] @ cents[v]), kind="stable")]
        quotes[v] = [texts[i] for i in order[:5]]
    out: dict = {"n": len(texts), "groups": len(names)}
    t0 = time.perf_counter()
    old = old_labels(texts, labels)
    out["old"] = score(old, texts, labels, cents, names if named else None, embedder.encode)
    out["old"]["seconds"] = round(time.perf_counter() - t0, 1)
    examples = {"old": [old[v] for v in range(min(5, len(names)))]}
    for config, weights in CONFIGS.items():
        labels_mod.W_EMBED, labels_mod.W_CTFIDF, labels_mod.W_COVER = weights
        encoder = embedder.encode if weights[0] > 0 else None
        t0 = time.perf_counter()
        got = labels_mod.label_themes(texts, labels, dict(enumerate(cents)), quotes,
                                      encoder=encoder, random_state=seed)
        elapsed = time.perf_counter() - t0
        new = {v: got[v].label for v in got}
        out[config] = score(new, texts, labels, cents, names if named else None, embedder.encode)
        out[config]["seconds"] = round(elapsed, 1)
        examples[config] = [new[v] for v in range(min(5, len(names)))]
    out["human_names"] = names[:5] if named else None
    out["examples"] = examples
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/themeloop_bench_cache"))
    parser.add_argument("--sets", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from themeloop.embed import Embedder
    from themeloop.themes import labels as labels_mod

    memo: dict[str, list] = {}
    parse = labels_mod.noun_phrases

    def cached(texts, **kw):  # parse each text once across configurations
        todo = [t for t in dict.fromkeys(texts) if t not in memo]
        memo.update(zip(todo, parse(todo, **kw)))
        return [memo[t] for t in texts]

    labels_mod.noun_phrases = cached
    embedder = Embedder(cache_dir=args.cache_dir)
    sets = load_sets(args.data_dir, args.n, args.seed)
    wanted = [s for s in args.sets.split(",") if s] or list(sets)
    t0 = time.perf_counter()
    results = {name: run_set(*sets[name], embedder, args.seed) for name in wanted}
    mean = {}
    for config in ["old", *CONFIGS]:
        keys = results[wanted[0]][config].keys()
        mean[config] = {k: round(float(np.mean([results[s][config][k] for s in wanted
                                                if k in results[s][config]])), 3)
                        for k in keys if k != "seconds"}
    print(json.dumps({"bench": "labels_quality", "sets": results, "mean": mean,
                      "seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
