"""Hypothesis invariants of the agreement coefficients, and MASI alpha against nltk."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from themeloop.agreement import compute_agreement
from themeloop.agreement.masi import set_alpha

CODES = ["a", "b", "c"]
FAST = settings(max_examples=25, deadline=None)


@st.composite
def coding_tables(draw, identical: bool = False) -> pd.DataFrame:
    n_units = draw(st.integers(2, 12))
    n_coders = draw(st.integers(2, 4))
    rows = []
    for u in range(n_units):
        shared = draw(st.sets(st.sampled_from(CODES)))
        for c in range(n_coders):
            if not identical and u > 0 and draw(st.booleans()) and draw(st.booleans()):
                continue  # this coder did not code this unit (unit 0 is always fully coded)
            codes = shared if identical else draw(st.sets(st.sampled_from(CODES)))
            for code in sorted(codes) or [""]:
                rows.append((f"r{u}:q", "q", f"coder{c}", code))
    return pd.DataFrame(rows, columns=["response_id", "question", "coder", "code"])


def _alphas(result: dict) -> list[float | None]:
    block = result["questions"]["q"]
    return [block["overall"]["krippendorff_alpha_masi"], block["overall"]["mean_krippendorff_alpha"],
            *[v["krippendorff_alpha"] for v in block["per_code"].values()]]


@FAST
@given(coding_tables(identical=True))
def test_identical_coders_give_one(table):
    block = compute_agreement(table, bootstrap=0)["questions"]["q"]
    assert block["overall"]["percent_agreement"] == 1.0
    assert all(a in (1.0, None) for a in _alphas({"questions": {"q": block}}))
    for stats in block["per_code"].values():
        assert stats["percent_agreement"] == 1.0
        assert stats["krippendorff_alpha"] in (1.0, None)


@FAST
@given(coding_tables(), st.randoms(use_true_random=False))
def test_permuting_coders_and_units_changes_nothing(table, rnd):
    before = compute_agreement(table, bootstrap=25)
    names = sorted(table["coder"].unique())
    shuffled = names[:]
    rnd.shuffle(shuffled)
    permuted = table.assign(coder=table["coder"].map(dict(zip(names, shuffled))))
    permuted = permuted.sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    after = compute_agreement(permuted, bootstrap=25)
    # The per-coder diagnostics are about coder identity: they move with the names.
    rename = dict(zip(names, shuffled))
    for qid in before["questions"]:
        was = before["questions"][qid].pop("diagnostics")["consensus"]
        now = after["questions"][qid].pop("diagnostics")["consensus"]
        assert _close({rename[c]: v for c, v in was.items()}, now)
    assert _close(after, before)


def _close(first, second) -> bool:
    if isinstance(first, dict):
        assert first.keys() == second.keys()
        return all(_close(first[k], second[k]) for k in first)
    if isinstance(first, list):
        assert len(first) == len(second)
        return all(_close(a, b) for a, b in zip(first, second))
    if isinstance(first, float) and isinstance(second, float):
        assert first == pytest.approx(second, abs=1e-6)
        return True
    assert first == second
    return True


@FAST
@given(coding_tables())
def test_a_coder_who_coded_nothing_changes_nothing(table):
    before = compute_agreement(table, bootstrap=25)
    idle = pd.DataFrame({"response_id": table["response_id"].unique(), "question": "q",
                         "coder": "zz-idle", "code": "", "status": "skipped"})
    after = compute_agreement(pd.concat([table.assign(status="submitted"), idle]), bootstrap=25)
    assert after == before


def test_masi_alpha_matches_nltk():
    from nltk.metrics import agreement as nltk_agreement
    from nltk.metrics.distance import masi_distance

    for trial in range(10):
        rnd = random.Random(trial)
        rows = []
        for u in range(rnd.randint(3, 40)):
            for c in range(rnd.randint(1, 4)):
                rows.append((u, f"c{c}", frozenset(rnd.sample("abcdef", rnd.randint(1, 4)))))
        task = nltk_agreement.AnnotationTask(
            data=[(c, f"u{u:03d}", s) for u, c, s in rows], distance=masi_distance)
        distinct = sorted({s for _, _, s in rows}, key=sorted)
        index = {s: i for i, s in enumerate(distinct)}
        sets = np.array([[ch in s for ch in "abcdef"] for s in distinct])
        rows.sort(key=lambda r: r[0])
        unit = np.array([u for u, _, _ in rows])
        ours = set_alpha(unit, np.array([index[s] for _, _, s in rows]), sets)
        assert ours == pytest.approx(task.alpha(), abs=1e-12)


def test_masi_alpha_through_the_table_matches_nltk():
    from nltk.metrics import agreement as nltk_agreement
    from nltk.metrics.distance import masi_distance

    rnd = random.Random(7)
    rows = []
    for u in range(30):
        for c in range(3):
            for code in rnd.sample("abcd", rnd.randint(1, 3)):
                rows.append((f"u{u}", "q", f"c{c}", code))
    table = pd.DataFrame(rows, columns=["response_id", "question", "coder", "code"])
    sets = table.groupby(["coder", "response_id"])["code"].agg(frozenset)
    task = nltk_agreement.AnnotationTask(
        data=[(c, u, s) for (c, u), s in sets.items()], distance=masi_distance)
    ours = compute_agreement(table, bootstrap=0)["questions"]["q"]["overall"]
    assert ours["krippendorff_alpha_masi"] == pytest.approx(task.alpha(), abs=1e-6)
