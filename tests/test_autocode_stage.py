"""The autocode stage on a small project (a fake embedder, so it runs in seconds), and its
bias check on planted biases. The stage on the bundled survey is in test_run.py."""

from __future__ import annotations

import hashlib
import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from themeloop.autocode.bias import difference_p, exact_p, holm, question_bias
from themeloop.config import find_project
from themeloop.embed import Embedder
from themeloop.pipeline.context import RunContext

CODERS = ("a@x.org", "b@x.org")
N_ANSWERS, N_CODED = 60, 40


class HashWords:
    """A fake embedding model: words hashed into 64 dimensions (a bag of words)."""

    model_id, precision = "fake-words", "fp32"

    def encode(self, texts):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(":", " ").split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        out += 1e-3
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def write_project(root: Path, *, enabled: bool = True) -> Path:
    """60 answers; the first 40 coded by two coders. 'money' is plain in the text and
    both coders agree on it; 'noise' is applied by each coder at random."""
    rng = np.random.default_rng(7)
    fillers = ["staff", "time", "rules", "culture", "leaders", "data", "partners", "space"]
    rows, coding = [], []
    for i in range(N_ANSWERS):
        money = i % 3 == 0
        words = list(rng.choice(fillers, size=4))
        text = " ".join((["money", "budget", "money"] if money else []) + words)
        if i == N_ANSWERS - 1:
            text = "N/A"  # not substantive: never coded by the model
        rows.append({"id": f"R{i:02d}", "grp": "north" if i % 2 else "south", "q_text": text})
        if i < N_CODED:
            for coder in CODERS:
                codes = (["money"] if money else []) + (["noise"] if rng.random() < 0.4 else [])
                for code in codes or [""]:
                    coding.append({"response_id": f"R{i:02d}:q", "question": "q", "coder": coder,
                                   "code": code, "source": "human"})
    pd.DataFrame(rows).to_csv(root / "survey.csv", index=False)
    (root / "annotations").mkdir()
    pd.DataFrame(coding).to_csv(root / "annotations" / "coding_table.csv", index=False)
    (root / "codebook.yaml").write_text(
        "version: '1.0'\nquestions:\n  q:\n    codes:\n"
        "      - {id: money, label: Money, description: money and budget}\n"
        "      - {id: noise, label: Noise, description: anything at all}\n", encoding="utf-8")
    (root / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "id"\nattributes = ["grp"]\n\n'
        '[[questions]]\nid = "q"\ncolumn = "q_text"\n\n'
        f'[autocode]\nenabled = {"true" if enabled else "false"}\n\n'
        '[agreement]\nbootstrap = 50\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    from themeloop.autocode.stage import autocode_project

    root = write_project(tmp_path_factory.mktemp("autocode"))
    ctx = RunContext.for_project(find_project(root))
    run = autocode_project(ctx, embedder=Embedder(HashWords()))
    return root, ctx, run


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_a_human_only_code_is_never_applied(coded):
    root, _, run = coded
    result = run.results["q"]
    entry = run.agreement["questions"]["q"]
    assert entry["human_only"] == ["noise"]
    noise = entry["model_human"]["per_code"]["noise"]
    assert noise["human_only"] and noise["reason"].startswith("model-vs-human alpha ")
    assert noise["alpha"] < 0.667
    # The model would have applied it: its score reaches its threshold on uncoded answers.
    k = result.model.codes_.index("noise")
    assert (result.proba[:, k] >= result.model.thresholds_[k]).any()
    applied = read(root / "out" / "model_coding.csv")
    assert "noise" not in set(applied["code"]) and "money" in set(applied["code"])
    # The saved model refuses it too (its manifest carries the rule).
    from themeloop.autocode.store import load_model

    model, manifest = load_model(root / "models" / "autocode" / "q")
    assert model.human_only == ("noise",)
    assert {c["code"]: c["human_only"] for c in manifest["codes"]} == {"money": False,
                                                                      "noise": True}


def test_the_model_codes_exactly_the_answers_no_person_coded(coded):
    root, _, run = coded
    applied = read(root / "out" / "model_coding.csv")
    expected = {f"R{i:02d}:q" for i in range(N_CODED, N_ANSWERS - 1)}  # R59 is "N/A"
    assert set(applied["response_id"]) == expected
    assert set(applied["coder"]) == {run.model_id} and run.model_id.startswith("autocoder-")
    assert set(applied["source"]) == {"model"} and set(applied["codebook_version"]) == {"1.0"}
    assert set(applied["model_id"]) == {json.loads(
        (root / "models" / "autocode" / "q" / "manifest.json").read_text())["model_id"]}
    # 'money' is in the text: the model gives it to exactly those answers.
    money = set(applied.loc[applied["code"] == "money", "response_id"])
    assert money == {f"R{i:02d}:q" for i in range(N_CODED, N_ANSWERS - 1) if i % 3 == 0}
    given = applied[applied["code"] != ""]
    assert (given["score"].astype(float) >= given["threshold"].astype(float)).all()
    assert (applied.loc[applied["code"] == "", ["score", "threshold"]] == "").all().all()


def test_every_human_coded_answer_has_an_out_of_fold_code(coded):
    root, _, _ = coded
    cf = read(root / "out" / "model_crossfit.csv")
    assert list(cf.columns) == ["response_id", "question", "code", "human", "model", "score"]
    assert len(cf) == N_CODED * 2
    assert set(cf["response_id"]) == {f"R{i:02d}:q" for i in range(N_CODED)}
    money = cf[cf["code"] == "money"]
    # Both coders agree on money: the training label is theirs.
    assert (money["human"] == np.where([int(r[1:3]) % 3 == 0 for r in money["response_id"]],
                                       "1", "0")).all()


def test_agreement_model_json_judges_the_model_like_a_coder(coded):
    root, _, run = coded
    data = json.loads((root / "out" / "agreement_model.json").read_text())
    assert data == run.agreement
    assert data["floor"] == 0.667 and data["model_id"] == run.model_id
    q = data["questions"]["q"]
    assert (q["mode"], q["n_coded"], q["n_model_coded"]) == ("supervised", N_CODED, 19)
    mh = q["model_human"]
    assert set(mh["by_coder"]) == set(CODERS)
    assert mh["per_code"]["money"]["alpha"] >= 0.667 and not mh["per_code"]["money"]["human_only"]
    assert mh["per_code"]["money"]["n_pos"] == len([i for i in range(N_CODED) if i % 3 == 0])
    lo, hi = mh["masi_alpha_ci95"]
    assert lo <= mh["masi_alpha"] <= hi
    lo, hi = mh["sample_f1_ci95"]
    assert lo <= mh["sample_f1"] <= hi
    assert [p["n"] for p in q["learning_curve"]] == [0, 10, 20, 30, 40]
    last = q["learning_curve"][-1]
    assert (last["masi_alpha"], last["sample_f1"]) == (pytest.approx(mh["masi_alpha"], abs=1e-5),
                                                       mh["sample_f1"])
    # The same MASI alpha as themeloop.agreement gives from the cross-fitted file.
    from themeloop.agreement import model_vs_human

    cf = read(root / "out" / "model_crossfit.csv")
    rows = cf[cf["model"] == "1"]
    none = sorted(set(cf["response_id"]) - set(rows["response_id"]))
    model = pd.DataFrame({"response_id": [*rows["response_id"], *none], "question": "q",
                          "coder": "m", "code": [*rows["code"], *[""] * len(none)],
                          "source": "model"})
    human = read(root / "annotations" / "coding_table.csv")
    again = model_vs_human(pd.concat([human, model]), bootstrap=0)["questions"]["q"]
    assert again["summary"]["model_human"]["krippendorff_alpha_masi"] == pytest.approx(
        mh["masi_alpha"], abs=1e-6)


def test_review_routes_uncertain_and_uncoded_answers(coded):
    root, _, run = coded
    review = read(root / "out" / "review.csv")
    applied = read(root / "out" / "model_coding.csv")
    assert list(review.columns) == ["response_id", "question", "reason", "codes", "scores"]
    none = set(applied.loc[applied["code"] == "", "response_id"])
    assert set(review.loc[review["reason"] == "no_code", "response_id"]) == none
    result = run.results["q"]
    money = result.model.codes_.index("money")
    near = np.abs(result.proba[:, money] - result.model.thresholds_[money]) < 0.15
    uncertain = {rid for rid, n in zip(result.uncoded_ids, near) if n} - none
    assert set(review.loc[review["reason"] == "uncertain", "response_id"]) == uncertain
    assert run.agreement["questions"]["q"]["n_review"] == len(review)


def test_the_bias_check_runs_on_the_project_attributes(coded):
    root, _, _ = coded
    bias = json.loads((root / "out" / "model_bias.json").read_text())
    tests = bias["questions"]["q"]["tests"]
    assert {(t["attribute"], t["group"]) for t in tests} == {("grp", "north"), ("grp", "south")}
    assert sum(t["n"] for t in tests if t["code"] == "money") == N_CODED


def test_the_manifest_records_seed_settings_and_models(coded):
    root, _, run = coded
    manifest = json.loads((root / "out" / "autocode.manifest.json").read_text())
    assert manifest["command"] == "autocode" and manifest["seeds"] == {"autocode": 42}
    assert manifest["config"]["model_id"] == run.model_id
    assert manifest["config"]["training"] == "coding_table"
    assert set(manifest["outputs"]) == {f"out/{n}" for n in (
        "model_coding.csv", "model_crossfit.csv", "agreement_model.json", "review.csv",
        "model_bias.json")}


def test_a_second_run_writes_the_same_bytes(coded, tmp_path):
    from themeloop.autocode.stage import autocode_project

    root, _, _ = coded
    again = write_project(tmp_path)
    autocode_project(RunContext.for_project(find_project(again)), embedder=Embedder(HashWords()))
    for name in ("model_coding.csv", "model_crossfit.csv", "agreement_model.json", "review.csv",
                 "model_bias.json", "autocode.manifest.json"):
        assert (again / "out" / name).read_bytes() == (root / "out" / name).read_bytes(), name


def test_autocode_off_removes_what_an_earlier_run_left(tmp_path):
    from themeloop.autocode.stage import AutocodeStage

    root = write_project(tmp_path, enabled=False)
    (root / "out").mkdir()
    (root / "out" / "model_coding.csv").write_text("stale\n")
    result = AutocodeStage().run(RunContext.for_project(find_project(root)))
    assert result.outputs == {} and not (root / "out" / "model_coding.csv").exists()
    assert result.notes == ["autocode is off ([autocode] enabled = false); removed 1 files of "
                            "an earlier run"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("folds", "1", "bad value for 'autocode.folds': 1 is out of range; allowed: 2 or more"),
    ("review_band", "1.5",
     "bad value for 'autocode.review_band': 1.5 is out of range; allowed: 0 to 1"),
    ("human_only_alpha", "0.5",
     "unknown key 'autocode.human_only_alpha'"),
])
def test_bad_autocode_settings_are_refused(tmp_path, key, value, message):
    from themeloop.errors import ConfigError

    root = write_project(tmp_path)
    path = root / "themeloop.toml"
    path.write_text(path.read_text().replace("[autocode]\n", f"[autocode]\n{key} = {value}\n"))
    with pytest.raises(ConfigError) as err:
        find_project(root)
    assert str(err.value).startswith(f"{path}: {message}")


# ---------------------------------------------------------------- bias check


def planted(n: int = 60, *, bias: float = 1.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coders give 'x' to half the answers; the model agrees, except that in group
    'north' it misses a share ``bias`` of the codes (an under-coded group)."""
    rng = np.random.default_rng(seed)
    ids = [f"r{i}" for i in range(n)]
    group = np.where(np.arange(n) % 3 == 0, "north", np.where(np.arange(n) % 3 == 1, "south",
                                                                "east"))
    human = (rng.random(n) < 0.5).astype(int)
    model = human.copy()
    north = (group == "north") & (human == 1)
    model[north & (rng.random(n) < bias)] = 0
    crossfit = pd.DataFrame({"response_id": ids, "code": "x", "human": human, "model": model})
    return crossfit, pd.DataFrame({"region": group}, index=ids)


def test_a_planted_under_coding_is_caught():
    crossfit, groups = planted()
    result = question_bias(crossfit, groups, question="q")
    flagged = [(t["group"], t["direction"]) for t in result["tests"] if t["direction"]]
    assert flagged == [("north", "under")]
    north = next(t for t in result["tests"] if t["group"] == "north")
    assert north["model_rate"] == 0.0 and north["human_rate"] > 0.3 and north["p_holm"] < 0.05
    assert result["warnings"] == [
        f"q: the model under-codes 'x' for region = north (model 0.00 against coders "
        f"{north['human_rate']:.2f}, n = 20, Holm p = {north['p_holm']:.3g})"]


def test_an_unbiased_model_raises_no_warning():
    crossfit, groups = planted(bias=0.0)
    crossfit.loc[::7, "model"] = 1 - crossfit.loc[::7, "model"]  # errors, but everywhere alike
    result = question_bias(crossfit, groups, question="q")
    assert result["warnings"] == [] and len(result["tests"]) == 3


def test_large_groups_use_welch_and_catch_an_over_coding():
    crossfit, groups = planted(n=600, bias=0.0, seed=3)
    south = (groups["region"] == "south").to_numpy() & (crossfit["human"] == 0).to_numpy()
    crossfit.loc[south & (np.arange(600) % 2 == 0), "model"] = 1
    result = question_bias(crossfit, groups, question="q")
    assert [(t["group"], t["direction"]) for t in result["tests"] if t["direction"]] == [
        ("south", "over")]


def test_exact_p_is_the_full_permutation_distribution():
    error = np.array([1, 1, 0, 0, -1, 0, 1, 0, 0])
    group = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)

    def gap(mask):
        return abs(error[mask].mean() - error[~mask].mean())

    observed = gap(group)
    draws = []
    for chosen in combinations(range(len(error)), int(group.sum())):
        mask = np.zeros(len(error), dtype=bool)
        mask[list(chosen)] = True
        draws.append(gap(mask) >= observed - 1e-12)
    assert exact_p(error, group) == pytest.approx(np.mean(draws), abs=1e-12)
    assert exact_p(error, ~group) == pytest.approx(np.mean(draws), abs=1e-12)
    assert difference_p(np.zeros(9, dtype=int), group) == 1.0


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.001, 0.2, 0.03, 0.04, 0.5, 0.012]
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist(), abs=1e-6)


def test_a_question_nobody_coded_is_coded_zero_shot(tmp_path):
    from themeloop.autocode.stage import autocode_project

    root = write_project(tmp_path)
    survey = pd.read_csv(root / "survey.csv")
    survey["p_text"] = ["money and budget" if i % 2 else "staff and rules" for i in
                        range(len(survey))]
    survey.to_csv(root / "survey.csv", index=False)
    config = root / "themeloop.toml"
    config.write_text(config.read_text().replace(
        "[autocode]", '[[questions]]\nid = "p"\ncolumn = "p_text"\n\n[autocode]'))
    book = root / "codebook.yaml"
    book.write_text(book.read_text() + "  p:\n    codes:\n"
                    "      - {id: cash, label: Money, description: money and budget}\n"
                    "      - {id: people, label: Staff, description: staff and rules}\n")
    run = autocode_project(RunContext.for_project(find_project(root)),
                           embedder=Embedder(HashWords()))
    p = run.agreement["questions"]["p"]
    assert (p["mode"], p["n_coded"], p["n_model_coded"]) == ("zero_shot", 0, N_ANSWERS)
    assert p["model_human"] is None and p["human_only"] == [] and p["learning_curve"] == []
    applied = read(root / "out" / "model_coding.csv")
    applied = applied[applied["question"] == "p"]
    cash = set(applied.loc[applied["code"] == "cash", "response_id"])
    assert cash == {f"R{i:02d}:p" for i in range(N_ANSWERS) if i % 2}
    assert "p" not in run.bias["questions"]  # nothing coded by people: nothing to compare


def test_the_pairwise_blocks_name_the_model_by_its_id(coded):
    _, _, run = coded
    q = run.agreement["questions"]["q"]
    assert q["model_coders"] == [run.model_id]
    assert [p["coders"] for p in q["model_pairs"]] == [[run.model_id, c] for c in CODERS]
    assert q["summary"]["model_human"]["krippendorff_alpha_masi"] == q["model_human"]["masi_alpha"]


def test_the_agreed_table_is_the_training_label_where_the_run_has_one(tmp_path):
    from themeloop.autocode.project import question_data

    root = write_project(tmp_path)
    (root / "out").mkdir()
    # The adjudicate stage settled R01 (the coders gave no code; the decision is money)
    # and R03 (the coders gave money; the decision is no code); the rest stays open.
    pd.DataFrame({"response_id": ["R01:q", "R03:q"], "question": "q", "coder": "consensus",
                  "code": ["money", ""], "source": "adjudication",
                  "codebook_version": "1.0"}).to_csv(root / "out" / "agreed.csv", index=False)
    (data,), notes = question_data(RunContext.for_project(find_project(root)))
    assert notes == []
    t = data.targets
    label = {data.ids[i]: dict(zip(data.code_ids, t.y[row])) for row, i in enumerate(t.index)}
    assert label["R01:q"] == {"money": 1.0, "noise": 0.0}
    assert label["R03:q"] == {"money": 0.0, "noise": 0.0}
    assert label["R06:q"]["money"] == 1.0  # open: both coders' codes
    assert t.agreed.sum() == 2 and len(t.index) == N_CODED
    # The model is still judged against the coders themselves, not the decision.
    assert set(data.human["coder"]) == set(CODERS)
