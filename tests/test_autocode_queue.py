"""``themeloop autocode next`` in a project, the review rule, and the bad inputs of next / push --next.

The project is the sample survey (two questions) with the human codes of 14
'barriers' answers and none of 'practice': 'barriers' is supervised, 'practice'
a cold start. The real packaged model embeds the answers once per module.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import REPO, write_project  # noqa: E402

SAMPLE_TABLE = REPO / "annotations" / "innovation-survey" / "coding_table.csv"
CODED = [f"ORG{i:02d}:barriers" for i in range(1, 15)]


def _coded_table() -> pd.DataFrame:
    table = pd.read_csv(SAMPLE_TABLE, dtype=str, keep_default_na=False)
    return table[table["response_id"].isin(CODED)]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """The project with its embedding cache warmed (copied by :func:`root`)."""
    root = write_project(tmp_path_factory.mktemp("queue") / "project", 8765)
    (root / "annotations").mkdir()
    _coded_table().to_csv(root / "annotations" / "coding_table.csv", index=False)
    from themeloop.autocode.queue import next_answers
    from themeloop.config import find_project
    from themeloop.pipeline.context import RunContext

    next_answers(RunContext.for_project(find_project(root)), n=3)
    return root


@pytest.fixture
def root(base, tmp_path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(base, target)
    return target


def _ctx(root: Path):
    from themeloop.config import find_project
    from themeloop.pipeline.context import RunContext

    return RunContext.for_project(find_project(root))


def _error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_next_picks_uncoded_substantive_answers_per_question(root):
    from themeloop.autocode.queue import NEXT_COLUMNS, next_answers

    ctx = _ctx(root)
    result = next_answers(ctx, n=5)
    table = result.table
    assert list(table.columns) == NEXT_COLUMNS
    assert table.groupby("question").size().to_dict() == {"barriers": 5, "practice": 5}
    responses = ctx.responses.set_index("response_id")
    assert responses.loc[table["response_id"], "substantive"].all()
    assert not set(table["response_id"]) & set(CODED)
    assert table["response_id"].is_unique
    for _, group in table.groupby("question"):
        assert group["rank"].tolist() == [1, 2, 3, 4, 5]
    barriers, practice = result.fits["barriers"], result.fits["practice"]
    assert barriers.mode == "supervised" and barriers.n_coded == 14
    assert practice.n_coded == 0 and practice.mode == "zero_shot"
    assert table[table["question"] == "practice"]["why"].str.startswith("cold start").all()
    assert table[table["question"] == "barriers"]["why"].str.startswith("uncertain: ").all()
    # every substantive barriers answer nobody coded is a candidate, and only those
    substantive = ctx.responses[(ctx.responses["question"] == "barriers")
                                & ctx.responses["substantive"]]["response_id"]
    assert sorted(barriers.ids) == sorted(set(substantive) - set(CODED))


def test_next_is_uncertain_first_and_the_suggestions_are_the_models(root):
    from themeloop.autocode.active import uncertainty
    from themeloop.autocode.queue import next_answers

    result = next_answers(_ctx(root), n=4, question="barriers")
    fit = result.fits["barriers"]
    u = uncertainty(fit.proba, fit.model.thresholds_)
    picked = [fit.ids.index(r) for r in result.table["response_id"]]
    np.testing.assert_allclose(result.table["uncertainty"], np.round(u[picked], 6))
    assert list(result.table["uncertainty"]) == sorted(result.table["uncertainty"], reverse=True)
    # drawn from the most uncertain answers (a pool of 5 x n), one per cluster
    pool = set(np.argsort(-u, kind="stable")[:20].tolist())
    assert set(picked) <= pool
    for rid, codes in zip(result.table["response_id"], result.table["codes"]):
        i = fit.ids.index(rid)
        assert codes == ";".join(c for c, g in zip(fit.codes, fit.given[i]) if g)


def test_next_learns_what_the_stage_learns_agreed_codes_where_there_are_any(root):
    from themeloop.autocode.project import training_rows
    from themeloop.autocode.queue import next_answers

    # An earlier run's agreed.csv settles three of the coded answers with one code each;
    # the model that picks the next answers must learn those, not the coders' rows.
    settled = CODED[:3]
    agreed = pd.DataFrame({"response_id": settled, "question": "barriers",
                           "coder": "consensus", "code": "political_cycle",
                           "source": "adjudication", "codebook_version": "1.0"})
    out = root / "out"
    out.mkdir(exist_ok=True)
    agreed.to_csv(out / "agreed.csv", index=False)
    ctx = _ctx(root)
    assert training_rows(ctx)[1] == "agreed"
    fit = next_answers(ctx, n=2, question="barriers").fits["barriers"]
    assert fit.n_coded == 14  # still every coded answer, each once
    k = fit.codes.index("political_cycle")
    # The coders gave political_cycle to one answer (ORG08, both of them); the agreed
    # table gives it to three more, and takes funding from those three.
    assert fit.model.n_positive_[k] == 1 + len(settled)
    coders_funding = _coded_table().query("code == 'funding'")["response_id"].nunique()
    assert fit.model.n_positive_[fit.codes.index("funding")] == coders_funding - len(settled)


def test_next_is_reproducible(root):
    from themeloop.autocode.queue import next_answers

    first = next_answers(_ctx(root), n=4).table
    second = next_answers(_ctx(root), n=4).table
    pd.testing.assert_frame_equal(first, second)


def test_review_rule(root):
    from themeloop.autocode.active import needs_review
    from themeloop.autocode.queue import REVIEW_COLUMNS, review_answers

    result = review_answers(_ctx(root), question="barriers", band=0.15)
    fit = result.fits["barriers"]
    assert fit.human_only == []  # then the stage's rule is active.needs_review's
    flagged = needs_review(fit.proba, fit.given, fit.model.thresholds_, band=0.15)
    assert list(result.table.columns) == REVIEW_COLUMNS
    assert sorted(result.table["response_id"]) == sorted(np.asarray(fit.ids)[flagged].tolist())
    for row in result.table.itertuples():
        i = fit.ids.index(row.response_id)
        assert (row.reason == "no_code") == (not fit.given[i].any())
        near = np.abs(fit.proba[i] - fit.model.thresholds_) < 0.15
        assert row.reason == "no_code" or near.any()


def test_human_only_codes_of_the_last_run_are_never_suggested(root):
    import json

    from themeloop.autocode.queue import next_answers, review_answers

    out = root / "out"
    out.mkdir()
    (out / "agreement_model.json").write_text(json.dumps(
        {"questions": {"barriers": {"human_only": ["funding"]}}}), encoding="utf-8")
    result = next_answers(_ctx(root), n=6, question="barriers")
    fit = result.fits["barriers"]
    assert fit.human_only == ["funding"]
    assert not fit.given[:, fit.codes.index("funding")].any()
    assert "funding" not in ";".join(result.table["codes"]).split(";")
    # and a human-only code near its threshold sends nothing to review
    review = review_answers(_ctx(root), question="barriers", band=0.15).table
    others = np.array([c != "funding" for c in fit.codes])
    near = (np.abs(fit.proba - fit.model.thresholds_) < 0.15) & others
    expected = near.any(axis=1) | ~fit.given.any(axis=1)
    assert sorted(review["response_id"]) == sorted(np.asarray(fit.ids)[expected].tolist())


def test_cli_prints_the_table_and_writes_only_out(cli, root, tmp_path):
    out = tmp_path / "next.csv"
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = cli("autocode", "next", "--n", "2", "--project", root, "--out", out)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["response_id", "question", "why"]
    assert lines[-1] == (f"Chose 4 answers to code next (barriers: supervised on 14 coded, "
                         f"practice: cold start on 0 coded); wrote {out}")
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(table) == 4 and all(r in result.output for r in table["response_id"])
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


@pytest.mark.parametrize(("args", "message"), [
    (["--n", "0"], "Error: --n must be 1 or more; got 0"),
    (["--coding", "x.csv"], "Error: --coding is for ad hoc mode (with FILE); inside a project "
     "the survey, the codes and the model come from the project, so leave it out"),
    (["--sheet", "One"], "Error: --sheet is for ad hoc mode (with FILE); inside a project "
     "the survey, the codes and the model come from the project, so leave it out"),
    (["--question", "barrier"], "Error: unknown question 'barrier' (did you mean 'barriers'?); "
     "questions are: barriers, practice"),
])
def test_cli_bad_arguments(cli, root, args, message):
    assert _error(cli("autocode", "next", "--project", root, *args)) == message


def test_cli_adhoc_needs_its_columns(cli, tmp_path):
    assert _error(cli("autocode", "next", tmp_path / "s.csv", "--id-column", "id")) == (
        "Error: ad hoc 'autocode next FILE' needs --text-column, --out; or leave FILE out "
        "inside a project folder")


def test_cli_no_codebook(cli, root):
    (root / "codebook.yaml").unlink()
    assert _error(cli("autocode", "next", "--project", root)) == (
        f"Error: {root / 'codebook.yaml'}: no codebook; write one ('themeloop themes' drafts "
        "one) so the model knows the codes")


def test_cli_no_codes(cli, root):
    (root / "codebook.yaml").write_text('version: "1"\nquestions:\n  barriers:\n    codes: []\n',
                                        encoding="utf-8")
    assert _error(cli("autocode", "next", "--project", root)) == (
        f"Error: {root / 'codebook.yaml'}: no question has codes; add codes to the codebook first")
    assert _error(cli("autocode", "next", "--project", root, "-q", "barriers")) == (
        f"Error: {root / 'codebook.yaml'}: question 'barriers' has no codes; add codes to the "
        "codebook first")


def test_cli_no_survey(cli, root):
    (root / "survey.csv").unlink()
    assert _error(cli("autocode", "next", "--project", root)) == (
        f"Error: {root / 'survey.csv'}: file not found; check the path or survey.path in "
        "themeloop.toml")


def test_cli_unknown_code_in_the_coding_table(cli, root):
    table = _coded_table()
    table.iloc[2, table.columns.get_loc("code")] = "fundng"
    table.to_csv(root / "annotations" / "coding_table.csv", index=False)
    assert _error(cli("autocode", "next", "--project", root)) == (
        f"Error: {root / 'annotations' / 'coding_table.csv'}: row 4: code 'fundng' is not a "
        f"code of question 'barriers' in {root / 'codebook.yaml'} (did you mean 'funding'?); "
        "add it to the codebook or fix the coding table (then pull again)")


def test_cli_everything_coded(cli, root):
    table = pd.read_csv(SAMPLE_TABLE, dtype=str, keep_default_na=False)
    table[table["question"] == "barriers"].to_csv(root / "annotations" / "coding_table.csv",
                                                  index=False)
    assert _error(cli("autocode", "next", "--project", root, "-q", "barriers")) == (
        f"Error: {root / 'annotations' / 'coding_table.csv'}: every substantive answer of "
        "barriers is coded already; nothing to choose")


@pytest.mark.parametrize(("args", "message"), [
    (["--next", "0"], "Error: --next must be 1 or more; got 0"),
    (["--next", "-3"], "Error: --next must be 1 or more; got -3"),
    (["--next", "5", "--review"], "Error: --next and --review do not go together; give one of them"),
    (["--next", "5", "--no-predictions"], "Error: --no-predictions does not go with --next: it "
     "sends the model's codes as pre-annotations; leave it out"),
    (["--review", "--no-predictions"], "Error: --no-predictions does not go with --review: it "
     "sends the model's codes as pre-annotations; leave it out"),
])
def test_push_next_bad_arguments(cli, tmp_path, args, message):
    assert _error(cli("push", *args, "--project", tmp_path)) == message


def test_push_next_without_codes_touches_no_server(cli, root):
    """The choice fails before any connection: no server runs on this project's port."""
    (root / "codebook.yaml").unlink()
    assert _error(cli("push", "--next", "3", "--project", root)) == (
        f"Error: {root / 'codebook.yaml'}: no codebook; write one ('themeloop themes' drafts "
        "one) so the model knows the codes")
