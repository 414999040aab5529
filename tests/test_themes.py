"""Theme proposal on the real sample survey with the real packaged model."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from themeloop.errors import ThemesError
from themeloop.themes import UNASSIGNED, SeedCode, ThemeProposer, propose_themes, quality
from themeloop.themes.cluster import choose_strategy
from themeloop.themes.keywords import SURVEY_FILLER

STOP = {"the", "and", "to", "of", "we", "our", "is", "it", "a", "in", "for", "that"}


def test_each_sample_question_gets_3_to_12_themes(sample_result, responses):
    assert set(sample_result.questions) == {"barriers", "practice", "radical"}
    for qid, q in sample_result.questions.items():
        assert q.strategy == "small"
        assert 3 <= len(q.themes) <= 12, qid
        assert q.n_unassigned <= 0.10 * q.n_substantive, qid
        rows = responses[responses["question"] == qid]
        assert q.response_ids == rows["response_id"].tolist()
        assert q.non_substantive == rows.loc[~rows["substantive"], "response_id"].tolist()


def test_every_answer_has_a_theme_or_unassigned_and_a_score(sample_result):
    for q in sample_result.questions.values():
        ids = {t.id for t in q.themes}
        non_sub = set(q.non_substantive)
        for rid, tid, score in zip(q.response_ids, q.theme_ids, q.scores):
            assert tid in ids or tid == UNASSIGNED
            if rid in non_sub:
                assert tid == UNASSIGNED and score is None
            else:
                assert score is not None and -1.0 <= score <= 1.0
        # Multi-label: every assigned answer has one primary theme, and may carry more.
        assert sum(t.n_primary for t in q.themes) + q.n_unassigned == q.n_substantive
        carried = {t.id: 0 for t in q.themes}
        for tid, extra in zip(q.theme_ids, q.secondary):
            for t in ([tid] if tid != UNASSIGNED else []) + [x for x, _ in extra]:
                carried[t] += 1
        assert carried == {t.id: t.size for t in q.themes}
        for t in q.themes:
            assert t.share == round(t.size / q.n_substantive, 4) and t.n_primary <= t.size


def test_themes_are_readable(sample_result):
    for q in sample_result.questions.values():
        for theme in q.themes:
            assert theme.label and theme.keywords
            assert not set(theme.keywords) & (STOP | SURVEY_FILLER)
            assert 1 <= len(theme.quotes) <= 5
            if theme.size >= 3:
                assert len(theme.quotes) >= 3
            members = {r for r, t, extra in zip(q.response_ids, q.theme_ids, q.secondary)
                       if t == theme.id or theme.id in {x for x, _ in extra}}
            assert {quote.response_id for quote in theme.quotes} <= members
            assert theme.id.replace("_", "").isalnum() and theme.id == theme.id.lower()
        assert len({t.id for t in q.themes}) == len(q.themes)


def test_fewer_than_8_answers_proposes_nothing(embedder, responses):
    few = responses[responses["question"] == "barriers"].head(7).copy()
    few["substantive"] = True
    result = propose_themes(few, embedder, seed=1)
    q = result.questions["barriers"]
    assert q.strategy == "none" and q.themes == []
    assert q.theme_ids == [UNASSIGNED] * 7 and q.n_unassigned == 7
    assert "only 7 substantive answers" in q.note


def test_no_outliers_and_no_themes_do_not_crash():
    emb = np.eye(4, dtype=np.float32)[[0, 0, 1, 1]]
    labels, scores = quality.reassign(emb, np.array([0, 0, 1, 1]), min_similarity=0.3)
    assert labels.tolist() == [0, 0, 1, 1] and np.allclose(scores, 1.0)
    labels, scores = quality.reassign(emb, np.array([-1, -1, -1, -1]), min_similarity=0.3)
    assert labels.tolist() == [-1] * 4 and np.isnan(scores).all()


def test_merge_joins_near_identical_themes_and_caps_the_count():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16))
    emb = np.repeat(base, 4, axis=0) + rng.normal(scale=0.01, size=(12, 16))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    labels = np.array([0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])  # themes 0 and 1 are the same
    merged = quality.merge_similar(emb, labels, threshold=0.9, max_themes=None)
    assert len(set(merged)) == 3 and merged[0] == merged[2]
    capped = quality.merge_similar(emb, labels, threshold=0.9, max_themes=2)
    assert len(set(capped)) == 2


def test_strategy_follows_the_number_of_answers():
    assert [choose_strategy(n) for n in (0, 7, 8, 150, 151, 50_000, 50_001)] == [
        "none", "none", "small", "small", "mid", "mid", "large"]


def test_bad_parameter_is_refused(embedder):
    with pytest.raises(ThemesError, match="The 'merge_similarity' parameter of ThemeProposer must "
                                          r"be float in \[0.0, 1.0\]; got 1.5 instead"):
        ThemeProposer(merge_similarity=1.5).fit([], np.zeros((0, 3)), [])


def test_unknown_question_is_refused(embedder, responses):
    with pytest.raises(ThemesError, match="unknown question 'barrier' \\(did you mean 'barriers'"):
        propose_themes(responses, embedder, questions=["barrier"])


def test_deductive_seeds_give_seeded_themes(embedder, responses, sample_dir):
    from themeloop.themes.io import read_seed_codes

    seeds = read_seed_codes(sample_dir / "codebook.yaml")
    result = propose_themes(responses, embedder, seed=42, seed_codes=seeds, questions=["barriers"])
    q = result.questions["barriers"]
    seeded = [t for t in q.themes if t.seeded]
    assert seeded, "no answer was close enough to any seed code"
    seed_ids = {c.id for c in seeds["barriers"]}
    assert {t.id for t in seeded} <= seed_ids
    for theme in seeded:
        assert theme.label == next(c.label for c in seeds["barriers"] if c.id == theme.id)
    assert all(not t.seeded for t in q.themes if t.id not in seed_ids)


def test_seed_close_to_answers_takes_them(embedder):
    texts = [f"We have no money for it, funding was cut again ({i})." for i in range(6)] + [
        f"Our staff are too busy with casework to try anything new ({i})." for i in range(6)]
    emb = embedder.encode(texts)
    seed = [SeedCode("funding", "Lack of funding", "No budget, funding cuts, no money")]
    proposer = ThemeProposer(random_state=0, seed_threshold=0.4).fit(
        texts, emb, [str(i) for i in range(12)], seed_codes=seed,
        seed_embeddings=embedder.encode([seed[0].text]))
    assert proposer.theme_ids_[:6] == ["funding"] * 6
    assert "funding" not in proposer.theme_ids_[6:]


# --- outputs and CLI -------------------------------------------------------------------------


def _project_copy(sample_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "proj"
    shutil.copytree(sample_dir, target, ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    return target


def test_cli_project_mode_writes_all_outputs(cli, sample_dir, tmp_path, theme_cache):
    project = _project_copy(sample_dir, tmp_path)
    result = cli("themes", "--project", project, "--question", "barriers", "--cache-dir",
                 theme_cache)
    assert result.exit_code == 0, result.output
    out = project / "out"
    themes = json.loads((out / "themes.json").read_text(encoding="utf-8"))
    assert list(themes["questions"]) == ["barriers"] and themes["seed"] == 42
    assert themes["model"] == {"id": "sentence-transformers/all-MiniLM-L6-v2",
                               "precision": themes["model"]["precision"],
                               "runtime": themes["model"]["runtime"]}
    assert themes["model"]["runtime"] in {"onnxruntime", "sentence-transformers"}
    with open(out / "assignments.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["response_id", "question", "theme_id", "primary", "score"]
    # One row per (answer, theme); each of the 41 answers has exactly one primary row.
    assert sorted(r["response_id"] for r in rows if r["primary"] == "1") == sorted(
        {r["response_id"] for r in rows}) and len({r["response_id"] for r in rows}) == 41
    assert len(rows) > 41
    from themeloop.codebook import load_codebook

    draft = load_codebook(out / "codebook.yaml")
    assert draft.version == "0.1-draft"
    # One code per theme, then the reserved themes that hold answers (one "n/a" here).
    assert [c.id for c in draft.questions["barriers"].codes] == [
        t["id"] for t in themes["questions"]["barriers"]["themes"]] + ["no_answer"]
    assert all(c.examples for c in draft.questions["barriers"].codes)
    manifest = json.loads((out / "themes.manifest.json").read_text(encoding="utf-8"))
    assert manifest["seeds"] == {"seed": 42} and len(manifest["model"]["checksum"]) == 64
    assert set(manifest["outputs"]) == {"out/themes.json", "out/assignments.csv",
                                        "out/codebook.yaml"}
    assert "barriers" in result.stdout and "small" in result.stdout


def test_cli_ad_hoc_mode(cli, responses, tmp_path, theme_cache):
    rows = responses[responses["question"] == "practice"]
    data = pd.DataFrame({"id": rows["respondent_id"], "answer": rows["text"]})
    data.to_csv(tmp_path / "answers.csv", index=False)
    result = cli("themes", tmp_path / "answers.csv", "--id-column", "id", "--text-column",
                 "answer", "--out", tmp_path / "o", "--cache-dir", theme_cache, "--max-themes", "4")
    assert result.exit_code == 0, result.output
    themes = json.loads((tmp_path / "o" / "themes.json").read_text(encoding="utf-8"))
    q = themes["questions"]["answer"]
    assert 1 <= len(q["themes"]) <= 4 and q["n_responses"] == 41


def test_cli_few_answers_is_not_an_error(cli, tmp_path, theme_cache):
    pd.DataFrame({"id": [1, 2, 3], "t": ["Money.", "Time to think.", "Staff."]}).to_csv(
        tmp_path / "few.csv", index=False)
    result = cli("themes", tmp_path / "few.csv", "--id-column", "id", "--text-column", "t",
                 "--out", tmp_path / "o", "--cache-dir", theme_cache)
    assert result.exit_code == 0, result.output
    assert "only 3 substantive answers (fewer than 8): no themes proposed" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["{csv}", "--id-column", "id"],
     "Error: ad hoc mode ({csv}) needs --id-column and --text-column\n"),
    (["{csv}", "--id-column", "id", "--text-column", "answr"],
     ("Error: {csv}: no question 'answr' column 'answr' (did you mean 'answer'?); "
      "columns are: id, answer\n")),
    (["--project", "{proj}", "--question", "barrier"],
     ("Error: unknown question 'barrier' (did you mean 'barriers'?); "
      "questions are: barriers, practice, radical\n")),
])
def test_cli_errors_are_one_line_with_exit_2(cli, sample_dir, tmp_path, theme_cache, args,
                                            message):
    csv_path = tmp_path / "a.csv"
    pd.DataFrame({"id": [1], "answer": ["x"]}).to_csv(csv_path, index=False)
    proj = _project_copy(sample_dir, tmp_path)
    fill = {"csv": str(csv_path), "proj": str(proj)}
    result = cli("themes", *[a.format(**fill) for a in args], "--cache-dir", theme_cache)
    assert result.exit_code == 2
    assert result.stderr == message.format(**fill)


def test_same_input_and_seed_give_identical_outputs_in_two_processes(
    sample_dir, tmp_path, theme_cache, sample_result,
):
    """This test process and a fresh one write byte-identical themes for the same seed."""
    from themeloop.themes.run import run_themes

    project = _project_copy(sample_dir, tmp_path)
    cmd = [sys.executable, "-m", "themeloop", "themes", "--project", str(project), "--out",
           str(tmp_path / "run1"), "--cache-dir", str(theme_cache), "--seed", "7"]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run_themes(project, out=tmp_path / "run2", cache_dir=theme_cache, seed=7)
    _, err = child.communicate(timeout=600)
    assert child.returncode == 0, err.decode()
    for name in ("themes.json", "assignments.csv", "codebook.yaml"):
        first = (tmp_path / "run1" / name).read_bytes()
        assert first == (tmp_path / "run2" / name).read_bytes(), name
    assert json.loads((tmp_path / "run1" / "themes.json").read_text())["seed"] == 7


@pytest.mark.parametrize("texts, n_themes", [
    (["Money."] * 10, 1),
    (["Money."] * 5 + ["Staff shortages."] * 5, 2),
])
def test_identical_answers_do_not_break_clustering(embedder, texts, n_themes):
    proposer = ThemeProposer(random_state=0).fit(
        texts, embedder.encode(texts), [str(i) for i in range(len(texts))])
    assert len(proposer.themes_) == n_themes
    assert UNASSIGNED not in proposer.theme_ids_


def test_predict_on_the_real_sample_gives_back_fits_assignments(embedder, responses):
    """On the sample's answers ``predict`` reproduces fit's themes (see test_themes_predict.py)."""
    for q in ("barriers", "practice", "radical"):
        rows = responses[(responses["question"] == q) & responses["substantive"]]
        texts = rows["text"].tolist()
        vectors = embedder.encode(texts)
        proposer = ThemeProposer(random_state=42).fit(texts, vectors, rows["response_id"].tolist())
        same = proposer.predict(vectors) == proposer.labels_
        assert proposer.strategy_ == "small"
        assert same.all(), (q, int((~same).sum()), len(same))
