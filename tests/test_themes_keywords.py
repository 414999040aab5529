"""Keywords: our c-TF-IDF step gives what BERTopic itself gives, without importing BERTopic."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from themeloop.themes.keywords import (
    _class_tfidf,
    analyse,
    ctfidf_keywords,
    make_label,
)


def bertopic_keywords(lemma_docs, labels, top_n):
    """The oracle: BERTopic.fit_transform with pass-through models and the labels as y."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    kept = [i for i, d in enumerate(lemma_docs) if d.strip()]
    # BERTopic deletes every character but letters, digits and spaces before
    # counting, which would glue "seed_funding" into "seedfunding"; a "0"
    # survives and never occurs in a lemma.
    docs = [lemma_docs[i].replace("_", "0") for i in kept]
    y = np.asarray(labels)[kept]
    model = BERTopic(
        embedding_model=None, umap_model=BaseDimensionalityReduction(), hdbscan_model=BaseCluster(),
        vectorizer_model=CountVectorizer(tokenizer=str.split, token_pattern=None,
                                         lowercase=False),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True), top_n_words=top_n,
    )
    fitted, _ = model.fit_transform(docs, embeddings=np.zeros((len(docs), 1)), y=y)
    theirs = dict(zip(y.tolist(), fitted))
    return {t: {w.replace("0", "_") for w, s in model.get_topic(theirs[t]) if w and s > 0}
            for t in set(y.tolist())}


@pytest.fixture(scope="module")
def sample_lemmas(sample_dir):
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    responses = load_project_survey(find_project(sample_dir)).responses()
    texts = responses.loc[responses["substantive"], "text"].tolist()
    return analyse(texts).docs


@pytest.mark.parametrize("k", [3, 5, 9])
def test_keywords_are_bertopics_own(sample_lemmas, k):
    labels = np.arange(len(sample_lemmas)) % k
    top_n = 10
    ours = ctfidf_keywords(sample_lemmas, labels, top_n=top_n)
    oracle = bertopic_keywords(sample_lemmas, labels, 3 * top_n)
    for topic, words in ours.items():
        # Same candidate words (ours then puts the widely used ones first, and
        # shows the phrase "seed_funding" as "seed funding").
        shown_as_tokens = {w.replace(" ", "_") for w in words}
        assert shown_as_tokens <= oracle[topic]
        assert len(words) == min(top_n, len(oracle[topic]))


def test_analyse_keeps_lemmas_noun_phrases_and_nouns():
    lemmas = analyse(["High staff turnover is hard.", "We need seed funding for new ideas."])
    first, second = (set(d.split()) for d in lemmas.docs)
    assert {"high", "staff", "turnover", "high_staff", "staff_turnover"} <= first
    assert {"seed", "funding", "idea", "seed_funding"} <= second
    assert "need" not in second and "new" not in second  # survey filler
    assert {"turnover", "funding", "idea"} <= lemmas.nouns and "high" not in lemmas.nouns


def test_labels_name_things_first():
    words = ["high", "turnover", "approach", "ambitious"]
    assert make_label(words, nouns=frozenset({"turnover", "approach"})) == "Turnover and approach"
    assert make_label(["seed", "budget", "seed funding"], nouns=frozenset({"funding", "budget"})) \
        == "Seed funding and budget"
    assert make_label(["high", "ambitious"], nouns=frozenset()) == "High and ambitious"


def test_unassigned_and_empty_documents_are_left_out():
    docs = ["fund budget", "fund grant", "", "staff training", "staff recruit", "noise"]
    out = ctfidf_keywords(docs, np.array([0, 0, 0, 1, 1, -1]), top_n=3)
    assert set(out) == {0, 1}
    assert set(out[0]) == {"fund", "budget", "grant"}
    assert set(out[1]) == {"staff", "training", "recruit"}  # "noise" (unassigned) is not counted


def test_importing_the_keywords_step_leaves_bertopic_and_torch_out():
    code = ("import sys, numpy as np; from themeloop.themes.keywords import ctfidf_keywords;"
            "ctfidf_keywords(['a b', 'c d'], np.array([0, 1]));"
            "print(sorted(m for m in ('bertopic', 'torch', 'umap', 'sentence_transformers')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_class_tfidf_is_bertopics_class():
    from bertopic.vectorizers._ctfidf import ClassTfidfTransformer

    _class_tfidf.cache_clear()
    assert _class_tfidf() is ClassTfidfTransformer  # bertopic imported: its own class
