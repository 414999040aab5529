"""AutoCoder: the joint logistic regression, thresholds, zero-shot rule, supervised fit,
human-only codes, save/load and refit reproducibility, cross-fitted evaluation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from themeloop.autocode import AutoCoder, load_model, save_model
from themeloop.autocode.evaluate import bootstrap_f1, cross_fit, evaluate_model, f1_scores
from themeloop.autocode.labels import codes_hash, targets
from themeloop.autocode.linear import fit_linear
from themeloop.autocode.prototypes import Prototypes, code_texts, similarity
from themeloop.autocode.thresholds import f1_thresholds
from themeloop.codebook.model import Code
from themeloop.errors import AutocodeError


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _world(n: int = 300, seed: int = 0):
    """Answers near one or two of three code directions, some near none."""
    rng = np.random.default_rng(seed)
    d = 16
    axes = np.eye(d)[:3]
    y = np.zeros((n, 3), dtype=bool)
    x = rng.normal(scale=0.12, size=(n, d))
    for i in range(n):
        kind = i % 5
        if kind < 3:
            y[i, kind] = True
        elif kind == 3:
            y[i, [0, 1]] = True
        x[i] += y[i] @ axes * 1.0
    x = _unit(x)
    protos = Prototypes(axes.astype(np.float32), np.arange(3), np.zeros((0, d), np.float32),
                        np.zeros(0, np.int64))
    texts = [" ".join(["cost money"] * int(y[i, 0]) + ["staff time"] * int(y[i, 1]) + ["risk fear"] * int(y[i, 2])
                      + [f"w{i % 7}"]) for i in range(n)]
    return x, y, protos, texts


def test_joint_fit_matches_scikit_learn_per_code():
    from sklearn.linear_model import LogisticRegression

    x, y, _, _ = _world(200)
    model = fit_linear(x, y.astype(float), c=2.0, tol=1e-8, max_iter=2000)
    for k in range(3):
        ref = LogisticRegression(C=2.0, class_weight="balanced", tol=1e-10, max_iter=5000)
        ref.fit(x, y[:, k])
        np.testing.assert_allclose(model.coef[:, k], ref.coef_[0], atol=2e-3)
        np.testing.assert_allclose(model.intercept[k], ref.intercept_[0], atol=2e-3)


def test_f1_thresholds_pick_the_best_cut():
    scores = np.array([[0.9], [0.8], [0.35], [0.3], [0.1]])
    truth = np.array([[1], [1], [1], [0], [0]], dtype=bool)
    t, f1 = f1_thresholds(scores, truth)
    assert 0.3 < t[0] <= 0.35 and f1[0] == pytest.approx(1.0)


def test_code_texts_use_every_field_and_resolve_response_ids():
    code = Code(id="cost", label="Cost", description="Money.", include="fees",
                exclude="time", examples=["R1", "too dear"])
    pos, neg = code_texts(code, {"R1": "the price is high"})
    assert pos == ["Cost: Money.", "fees", "the price is high", "too dear"] and neg == ["time"]


def test_exclude_note_lowers_the_score():
    protos = Prototypes(np.array([[1.0, 0.0]], np.float32), np.array([0]),
                        np.array([[0.0, 1.0]], np.float32), np.array([0]))
    x = _unit(np.array([[1.0, 0.2], [0.6, 0.8]]))
    s = similarity(x, protos, 1)
    assert s[0, 0] == pytest.approx(x[0, 0], abs=1e-6)
    assert s[1, 0] == pytest.approx(0.6 - (0.8 - 0.6), abs=1e-6)


def test_zero_shot_gives_ties_together_and_none_when_nothing_fits():
    x, y, protos, _ = _world(300)
    model = AutoCoder().fit(x, None, codes=["a", "b", "c"], prototypes=protos)
    assert (model.predict(x) == y).mean() > 0.85
    e = np.eye(16)
    probe = _unit(np.stack([e[0] + e[1], e[0] + 0.2 * e[1], e[2], e[5] + e[9]]))
    assert model.predict(probe).tolist() == [
        [True, True, False],    # fits a and b equally well: both given
        [True, False, False],   # b is far behind a: not given
        [False, False, True],
        [False, False, False],  # orthogonal to every code: "none fits" is an outcome
    ]
    assert model.modes_ == ["zero_shot"] * 3


def test_supervised_learns_and_falls_back_for_rare_codes():
    x, y, protos, texts = _world(300)
    labels = y.astype(float)
    labels[:, 2] = 0.0
    labels[[2, 7, 12], 2] = 1.0  # 3 positives < min_positives: zero-shot for "c"
    model = AutoCoder(random_state=1, min_positives=8).fit(
        x, labels, codes=["a", "b", "c"], prototypes=protos, texts=texts)
    assert model.modes_ == ["supervised", "supervised", "zero_shot"]
    pred = model.predict(x, texts)
    assert f1_scores(pred[:, :2], y[:, :2])["micro_f1"] > 0.95
    assert np.isnan(model.cv_f1_[2]) and model.cv_f1_[:2].min() > 0.9


def test_human_only_code_is_never_applied():
    x, y, protos, texts = _world(200)
    model = AutoCoder(human_only=("b",)).fit(x, y.astype(float), codes=["a", "b", "c"],
                                             prototypes=protos, texts=texts)
    proba = model.predict_proba(x, texts)
    assert proba[y[:, 1], 1].mean() > 0.5               # scored, would fit...
    assert not model.predict(x, texts)[:, 1].any()      # ...but never applied
    zs = AutoCoder(human_only=("b",)).fit(x, None, codes=["a", "b", "c"], prototypes=protos)
    assert not zs.predict(x)[:, 1].any()


def test_bad_parameters_and_unfitted_use_raise():
    x, _, protos, _ = _world(50)
    with pytest.raises(AutocodeError, match="The 'cv' parameter of AutoCoder must be int >= 2"):
        AutoCoder(cv=1).fit(x, None, codes=["a", "b", "c"], prototypes=protos)
    with pytest.raises(AutocodeError, match="not fitted yet"):
        AutoCoder().predict(x)
    with pytest.raises(AutocodeError, match="human_only names unknown codes: z"):
        AutoCoder(human_only=("z",)).fit(x, None, codes=["a", "b", "c"], prototypes=protos)


def test_save_load_round_trip_and_refit_gives_the_same_model(tmp_path):
    x, y, protos, texts = _world(200)
    info = {"question": "q", "codebook_version": "1", "training_codes_sha256": "abc",
            "embedding": {"id": "fake"}, "kind": "supervised"}
    first = AutoCoder(random_state=3).fit(x, y.astype(float), codes=list("abc"),
                                          prototypes=protos, texts=texts)
    m1 = save_model(first, tmp_path / "m1", info=info)
    second = AutoCoder(random_state=3).fit(x, y.astype(float), codes=list("abc"),
                                           prototypes=protos, texts=texts)
    m2 = save_model(second, tmp_path / "m2", info=info)
    assert m1 == m2 and m1["model_id"].startswith("autocode-")
    loaded, manifest = load_model(tmp_path / "m1")
    assert manifest == json.loads((tmp_path / "m1" / "manifest.json").read_text())
    np.testing.assert_array_equal(loaded.predict_proba(x, texts), first.predict_proba(x, texts))
    np.testing.assert_array_equal(loaded.predict(x, texts), first.predict(x, texts))
    assert [c["threshold"] for c in manifest["codes"]] == [round(float(t), 6)
                                                           for t in first.thresholds_]
    other = AutoCoder(random_state=4).fit(x, y.astype(float), codes=list("abc"),
                                          prototypes=protos, texts=texts)
    assert save_model(other, tmp_path / "m3", info=info)["model_id"] != m1["model_id"]


def test_a_changed_array_is_refused(tmp_path):
    x, _, protos, _ = _world(60)
    save_model(AutoCoder().fit(x, None, codes=list("abc"), prototypes=protos), tmp_path,
               info={"embedding": {"id": "fake"}})
    with np.load(tmp_path / "arrays.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["thresholds"] = arrays["thresholds"] + 0.1
    np.savez(tmp_path / "arrays.npz", **arrays)
    with pytest.raises(AutocodeError, match="array 'thresholds' does not match the manifest"):
        load_model(tmp_path)


def _coding(ids, y, coders=("ann", "bob"), flip=0.0, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for c, coder in enumerate(coders):
        for i, rid in enumerate(ids):
            codes = [k for k in "abc" if y[i, "abc".index(k)] != (rng.random() < flip and c == 1)]
            rows += [(rid, "q", coder, k, "human") for k in codes] or [(rid, "q", coder, "", "human")]
    return pd.DataFrame(rows, columns=["response_id", "question", "coder", "code", "source"])


def test_targets_share_of_coders_and_adjudication_wins():
    rows = pd.DataFrame([("r1", "q", "ann", "a", "human"), ("r1", "q", "bob", "", "human"),
                         ("r2", "q", "ann", "b", "human"), ("r2", "q", "bob", "b", "human"),
                         ("r2", "q", "lead", "c", "adjudication")],
                        columns=["response_id", "question", "coder", "code", "source"])
    t = targets(rows, ["r0", "r1", "r2"], ["a", "b", "c"])
    assert t.index.tolist() == [1, 2]
    np.testing.assert_allclose(t.y, [[0.5, 0, 0], [0, 0, 1]])
    assert t.agreed.tolist() == [False, True] and t.coders == ("ann", "bob")
    assert codes_hash(["r0", "r1", "r2"], t, list("abc")) == codes_hash(["r0", "r1", "r2"], t, list("abc"))


def test_cross_fit_is_out_of_fold_and_evaluation_marks_human_only():
    x, y, protos, texts = _world(200)
    ids = [f"r{i}" for i in range(200)]
    human = _coding(ids, y, flip=0.03)
    t = targets(human, ids, list("abc"))
    proba, given = cross_fit(AutoCoder, x[t.index], t.y, codes=list("abc"), prototypes=protos,
                             texts=[texts[i] for i in t.index], folds=4)
    assert proba.shape == (200, 3) and f1_scores(given, y)["micro_f1"] > 0.9
    result = evaluate_model(AutoCoder, x, texts, ids, human, t, codes=list("abc"),
                            prototypes=protos, question="q", folds=4, bootstrap=200,
                            alpha_floor=0.99)
    assert result["n_coded"] == 200
    low, high = result["ci95"]["sample_f1"]
    assert low <= result["sample_f1"] <= high
    mh = result["agreement"]["summary"]["model_human"]["krippendorff_alpha_masi"]
    hh = result["agreement"]["summary"]["human_human"]["krippendorff_alpha_masi"]
    assert mh > 0.8 and hh > 0.8
    alphas = {c: v["model_human_alpha"] for c, v in result["per_code"].items()}
    assert result["human_only"] == [c for c, a in alphas.items() if a is None or a < 0.99]
    assert all("< floor 0.99" in result["per_code"][c]["reason"] for c in result["human_only"])


def test_bootstrap_interval_brackets_the_point_estimate():
    rng = np.random.default_rng(0)
    truth = rng.random((300, 4)) < 0.3
    pred = truth ^ (rng.random((300, 4)) < 0.1)
    point = f1_scores(pred, truth)
    ci = bootstrap_f1(pred, truth, n_boot=500)
    for key in ("sample_f1", "micro_f1", "macro_f1"):
        assert ci[key][0] <= point[key] <= ci[key][1]


def test_needs_review_flags_no_code_and_the_uncertain_band():
    from themeloop.autocode.active import needs_review

    proba = np.array([[0.9, 0.1], [0.55, 0.1], [0.2, 0.1]])
    given = proba >= 0.5
    assert needs_review(proba, given, np.array([0.5, 0.5])).tolist() == [False, True, True]


def test_select_next_is_diverse_at_cold_start_and_uncertain_later():
    from themeloop.autocode.active import select_next

    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(5, 16)))
    x = _unit(np.repeat(centres, 40, axis=0) + rng.normal(scale=0.05, size=(200, 16)))
    cold = select_next(x, 5)
    assert sorted(set(cold // 40)) == [0, 1, 2, 3, 4]         # one per cluster
    proba = np.full((200, 1), 0.95)
    proba[[7, 77, 150], 0] = 0.5                                # at the threshold
    picked = select_next(x, 3, proba=proba, thresholds=np.array([0.5]), pool_factor=1)
    assert sorted(picked.tolist()) == [7, 77, 150]
    with pytest.raises(AutocodeError, match="--n must be 1 or more; got 0"):
        select_next(x, 0)


def test_cold_start_keeps_the_proportions_of_the_kinds_of_answers():
    from themeloop.autocode.active import select_next

    rng = np.random.default_rng(1)
    centres = _unit(rng.normal(size=(3, 16)))
    sizes = [140, 40, 20]
    x = _unit(np.repeat(centres, sizes, axis=0) + rng.normal(scale=0.05, size=(200, 16)))
    kind = np.repeat([0, 1, 2], sizes)
    picked = select_next(x, 30)
    assert len(set(picked.tolist())) == 30
    # 3 strata of 10 picks each would under-sample the big kind (10/10/10); 70% of 30 is 21
    assert np.bincount(kind[picked], minlength=3).tolist() == [21, 6, 3]


def test_cross_fit_leaves_out_examples_that_quote_held_out_answers():
    from themeloop.autocode.prototypes import build_prototypes

    # Code "a" is described only by two quoted answers; each is the other's only
    # evidence once it is held out, so its own text must not score it.
    x, y, _, _ = _world(40)
    ids = [f"r{i}" for i in range(40)]
    table = dict(zip(ids, [f"t{i}" for i in range(40)]))
    vec = {f"t{i}": x[i] for i in range(40)}
    vec.update({"A": _unit(np.eye(16)[5]), "B": _unit(np.eye(16)[1]), "C": _unit(np.eye(16)[2])})
    codes = [Code(id="a", label="A", examples=["r0", "r5"]), Code(id="b", label="B"),
             Code(id="c", label="C")]
    protos = build_prototypes(codes, lambda texts: np.stack([vec[t] for t in texts]), table)
    assert protos.positive_id == ("", "r0", "r5", "", "")
    fewer = protos.without(["r5", "r9"])
    assert fewer.positive_id == ("", "r0", "", "") and len(fewer.positive) == 4
    np.testing.assert_array_equal(fewer.positive_code, [0, 0, 1, 2])
    assert protos.without(["r9"]) is protos
    seen = []

    class Spy(AutoCoder):
        def fit(self, x, y=None, *, codes, prototypes, texts=None):
            seen.append(prototypes.positive_id)
            return super().fit(x, y, codes=codes, prototypes=prototypes, texts=texts)

    cross_fit(lambda: Spy(min_positives=100), x, y.astype(float), codes=list("abc"),
              prototypes=protos, folds=40, ids=ids)
    # One answer per fold: the fold holding r0 out lacks it, likewise r5, the rest keep both.
    assert sorted(seen) == sorted([("", "r0", "", ""), ("", "r5", "", "")]
                                  + [protos.positive_id] * 38)


def test_offset_is_a_fixed_prior_the_fit_corrects():
    x, y, _, _ = _world(150)
    plain = fit_linear(x, y.astype(float), c=2.0, tol=1e-9, max_iter=3000)
    # A constant offset per code is absorbed by the unpenalised intercept, nothing else moves.
    shifted = fit_linear(x, y.astype(float), c=2.0, tol=1e-9, max_iter=3000,
                         offset=np.tile([1.5, -2.0, 0.5], (150, 1)))
    np.testing.assert_allclose(shifted.coef, plain.coef, atol=1e-3)
    np.testing.assert_allclose(shifted.intercept, plain.intercept - [1.5, -2.0, 0.5], atol=1e-3)


def test_few_positives_learn_on_the_zero_shot_prior_with_threshold_one_half():
    x, y, protos, texts = _world(300)
    keep = np.flatnonzero(~y[:, 2] | np.isin(np.arange(300), [2, 7, 12]))
    labels = y[keep].astype(float)  # code c: 3 positives, supervised on the prior, no CV cut
    kept = [texts[i] for i in keep]
    model = AutoCoder(random_state=1).fit(x[keep], labels, codes=["a", "b", "c"],
                                          prototypes=protos, texts=kept)
    assert model.modes_ == ["supervised"] * 3 and model.n_positive_[2] == 3
    assert model.thresholds_[2] == 0.5 and model.thresholds_[0] != 0.5
    # Code c is found on all 300 answers (60 of them c) from 3 positives and its prior.
    assert f1_scores(model.predict(x, texts)[:, 2:], y[:, 2:])["micro_f1"] > 0.9
    plain = AutoCoder(random_state=1, prior_weight=0.0).fit(
        x[keep], labels, codes=["a", "b", "c"], prototypes=protos, texts=kept)
    assert not np.allclose(plain.predict_proba(x, texts), model.predict_proba(x, texts))


def test_every_answer_gets_a_code_when_none_is_rare_in_training(tmp_path):
    x, y, protos, texts = _world(300)
    coded = y.any(axis=1)                      # the "none" answers are left out of training
    model = AutoCoder().fit(x[coded], y[coded].astype(float), codes=list("abc"),
                            prototypes=protos, texts=[t for t, c in zip(texts, coded) if c])
    assert model.force_one_
    e = np.eye(16)
    probe = _unit(np.stack([e[5] + e[9], e[6] + 0.3 * e[1]]))
    got = model.predict(probe, ["w1", "w2"])
    assert got.sum(axis=1).tolist() == [1, 1] and got[1, 1]
    # The best code human-only: left for people, not replaced by the second best.
    hidden = AutoCoder(human_only=("b",)).fit(x[coded], y[coded].astype(float), codes=list("abc"),
                                             prototypes=protos,
                                             texts=[t for t, c in zip(texts, coded) if c])
    assert not hidden.predict(probe, ["w1", "w2"])[1].any()
    save_model(model, tmp_path, info={"embedding": {"id": "fake"}})
    assert load_model(tmp_path)[0].predict(probe, ["w1", "w2"]).tolist() == got.tolist()
    # With "none" common in training (every fifth answer) nothing is forced.
    free = AutoCoder().fit(x, y.astype(float), codes=list("abc"), prototypes=protos, texts=texts)
    assert not free.force_one_ and not free.predict(probe[:1], ["w1"]).any()


def test_rarity_weights_steer_uncertainty_to_rare_codes():
    from themeloop.autocode.active import rarity_weights, select_next, uncertainty

    w = rarity_weights(np.array([99.0, 3.0, 0.0]))
    np.testing.assert_allclose(w, [0.1, 0.5, 1.0])
    proba = np.array([[0.5, 0.9, 0.1], [0.9, 0.55, 0.1]])   # answer 0 at common code's cut
    t = np.full(3, 0.5)
    assert uncertainty(proba, t).argmax() == 0
    assert uncertainty(proba, t, w).argmax() == 1            # weighted: the rare code's answer
    x = _unit(np.random.default_rng(0).normal(size=(2, 8)))
    assert select_next(x, 1, proba=proba, thresholds=t, weights=w, pool_factor=1).tolist() == [1]


def test_a_model_saved_before_the_prior_loads_without_it(tmp_path):
    x, y, protos, texts = _world(120)
    old = AutoCoder(prior_weight=0.0, none_rate=0.0, threshold_positives=1).fit(
        x, y.astype(float), codes=list("abc"), prototypes=protos, texts=texts)
    save_model(old, tmp_path, info={"embedding": {"id": "fake"}})
    path = tmp_path / "manifest.json"
    manifest = json.loads(path.read_text())
    for name in ("prior_weight", "none_rate", "threshold_positives"):
        del manifest["params"][name]
    path.write_text(json.dumps(manifest))
    loaded, _ = load_model(tmp_path)
    assert loaded.prior_weight == 0.0
    np.testing.assert_array_equal(loaded.predict_proba(x, texts), old.predict_proba(x, texts))
