"""Merge with the model's codes: ``<question>__coded_by`` and the codes the model fills in."""

from __future__ import annotations

import pandas as pd
import pytest
from _model_fixtures import MODEL_ID, make_model_project
from test_merge import CODEBOOK, _tiny

from themeloop.errors import MergeError
from themeloop.merge import build_merged
from themeloop.merge.coded_by import contested_units


def _model(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"response_id": [r for r, _ in rows], "question": "q", "coder": MODEL_ID,
                         "code": [c for _, c in rows], "source": "model", "score": 0.8,
                         "threshold": 0.5, "model_id": MODEL_ID})


def test_model_fills_only_answers_no_human_coded(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2", "3", "4", "5"],
                              "q_text": ["money", "time and money", "no idea at all here", "N/A",
                                         "waiting"]})
    agreed = pd.DataFrame({"response_id": ["1:q", "2:q"], "question": "q", "coder": "consensus",
                           "code": ["cost", "time"], "source": "adjudication"})
    # the model disagrees on 1 (a human coded it: the human wins), codes 3 with nothing,
    # codes 4 although it is "N/A" (not substantive: ignored) and 5 with two codes
    model = _model([("1:q", "time"), ("3:q", ""), ("4:q", "cost"), ("5:q", "cost"),
                    ("5:q", "time")])
    data = build_merged(survey, agreed, CODEBOOK, model=model)
    frame = data.frame
    assert frame["q__coded_by"].astype(str).tolist() == [
        "adjudicated", "adjudicated", "model", "none", "model"]
    assert frame["q__cost"].tolist() == [1, 0, 0, pd.NA, 1]
    assert frame["q__time"].tolist() == [0, 1, 0, pd.NA, 1]
    assert frame["q__n_codes"].tolist() == [1, 1, 0, pd.NA, 2]
    assert list(frame.columns[-5:]) == ["q__cost", "q__time", "q__n_codes", "q__nonsubstantive",
                                        "q__coded_by"]
    summary = data.summary["q"]
    assert summary["coded"] == 2 and summary["model_coded"] == 2 and summary["not_coded"] == 0
    assert summary["coded_by"] == {"none": 1, "human": 0, "adjudicated": 2, "model": 2}
    assert data.value_labels["q__coded_by"] == {0: "none", 1: "human", 2: "adjudicated",
                                                3: "model"}


def test_without_model_codes_coded_by_is_human_or_none(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2", "3"], "q_text": ["money", "wait", ""]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "amira",
                           "code": ["cost"]})
    frame = build_merged(survey, agreed, CODEBOOK).frame
    assert frame["q__coded_by"].astype(str).tolist() == ["human", "none", "none"]
    assert frame["q__cost"].tolist() == [1, pd.NA, pd.NA]


def test_decisions_tell_human_from_adjudicated():
    decisions = pd.DataFrame({
        "response_id": ["a:q", "a:q", "b:q", "c:q", "d:q"],
        "code": ["x", "y", "x", "", "x"],
        "decision": ["included", "included", "included", "included", "excluded"],
        "rule": ["majority", "majority", "adjudicator:ana@x.org", "majority", "majority"],
        "votes": ["p;q", "q;p", "p", "p;q", "p"],
        "coders": ["p;q", "p;q", "p;q", "p;q", "p;q;r"],
    })
    agreed, disputed = contested_units(decisions)
    assert agreed == {"a:q", "c:q"}  # the same codes from every coder
    assert disputed == {"b:q", "d:q"}  # an adjudicator decided; a code some coders applied


def test_the_model_table_is_checked_like_the_agreed_one(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2"], "q_text": ["money", "time"]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "c", "code": ["cost"]})
    with pytest.raises(MergeError) as err:
        build_merged(survey, agreed, CODEBOOK, model=_model([("9:q", "cost")]),
                     model_source="model_coding.csv")
    assert str(err.value).startswith("model_coding.csv row 2: response_id '9:q' is not in the survey")
    with pytest.raises(MergeError) as err:
        build_merged(survey, agreed, CODEBOOK, model=_model([("2:q", "price")]),
                     model_source="model_coding.csv")
    assert str(err.value).startswith(
        "model_coding.csv row 2: code 'price' of question 'q' is not in the codebook")


def test_project_merge_reads_the_runs_model_codes_and_decisions(tmp_path):
    from themeloop.config import find_project
    from themeloop.merge.project import merge_project
    from themeloop.pipeline.context import RunContext

    root = make_model_project(tmp_path / "p")
    ctx = RunContext.for_project(find_project(root))
    run = merge_project(ctx, formats=["csv"])
    frame = run.dataset.frame.set_index("org_id")
    who = frame["barriers__coded_by"].astype(str)
    assert who["O10"] == who["O13"] == "model"
    assert who["O14"] == who["O05"] == "none"  # "don't know", "N/A"
    assert who["O01"] == "human"  # both coders applied funding; the model's 'risk' loses
    assert frame.loc["O01", "barriers__risk"] == 0 and frame.loc["O01", "barriers__funding"] == 1
    assert who["O02"] == "none"  # a tie on 'staff': undecided, out of the agreed table
    assert frame.loc["O12", ["barriers__funding", "barriers__risk", "barriers__staff"]].tolist() \
        == [1, 1, 0]
    practice = frame["practice__coded_by"].astype(str)
    assert practice["O13"] == "model" and frame.loc["O13", "practice__n_codes"] == 0
    assert run.report["questions"]["barriers"]["model_coded"] == 4
    from themeloop.audit.manifest import read_manifest

    inputs = read_manifest(run.manifest)["inputs"]
    assert inputs["model_coding"]["path"] == "out/model_coding.csv"
    assert inputs["decisions"]["path"] == "out/adjudication_decisions.csv"
    # model codes switched off: the same answers are simply not coded
    plain = merge_project(RunContext.for_project(find_project(root)), formats=["csv"],
                          model=False).dataset.frame.set_index("org_id")
    assert plain.loc["O10", "barriers__coded_by"] == "none"
    assert pd.isna(plain.loc["O10", "barriers__funding"])
    assert plain.loc["O01", "barriers__coded_by"] == "human"


def test_crosstab_counts_model_coded_answers(tmp_path):
    from themeloop.config import find_project
    from themeloop.merge.crosstab import MODEL_CODED
    from themeloop.merge.project import crosstab_project
    from themeloop.pipeline.context import RunContext

    root = make_model_project(tmp_path / "p")
    ctx = RunContext.for_project(find_project(root))
    result = crosstab_project(ctx, "org_type", question="barriers", suppress_below=0).result
    table = result.internal.set_index("code")
    # O10-O13 are local authorities (O07-O12) and an independent agency (O13)
    assert table.loc[MODEL_CODED, "local authority: n"] == 3
    assert table.loc[MODEL_CODED, "independent agency: n"] == 1
    assert table.loc[MODEL_CODED, "all: n"] == 4
    # 14 answers: 2 not substantive, 2 undecided (O02, O06: a tie between the two coders)
    assert table.loc["(base)", "all: n"] == 10
    # funding: the coders' O01, O03, O07, O08, O09 and the model's O10 and O12
    assert table.loc["funding", "all: n"] == 7
    assert table.loc["funding", "local authority: n"] == 5


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "sav", "dta"])
def test_every_format_carries_coded_by(tmp_path, fmt):
    import pyreadstat

    from themeloop.merge.exports import export_all, read_parquet_labels
    from themeloop.safe_csv import read_csv

    survey = _tiny(tmp_path, {"id": ["1", "2", "3", "4"], "q_text": ["money", "time", "wait", ""]})
    agreed = pd.DataFrame({"response_id": ["1:q", "2:q"], "question": "q", "coder": "consensus",
                           "code": ["cost", "time"], "source": ["human", "adjudication"]})
    data = build_merged(survey, agreed, CODEBOOK, model=_model([("3:q", "cost")]))
    words = ["human", "adjudicated", "model", "none"]
    assert data.frame["q__coded_by"].astype(str).tolist() == words
    path = export_all(data, tmp_path / "out", [fmt])[fmt]
    labels = {0: "none", 1: "human", 2: "adjudicated", 3: "model"}
    if fmt in ("sav", "dta"):
        back, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
        assert back["q__coded_by"].astype(int).tolist() == [1, 2, 3, 0]
        assert meta.variable_value_labels["q__coded_by"] == labels
        assert meta.column_names_to_labels["q__coded_by"] == (
            "q: coded by (human, adjudicated, model, none)")
        assert back["q__cost"].tolist()[:3] == [1, 0, 1]
    elif fmt == "parquet":
        back = pd.read_parquet(path)
        assert isinstance(back["q__coded_by"].dtype, pd.CategoricalDtype)
        assert list(back["q__coded_by"].cat.categories) == ["none", "human", "adjudicated",
                                                            "model"]
        assert back["q__coded_by"].astype(str).tolist() == words
        assert read_parquet_labels(path)["value_labels"]["q__coded_by"] == {
            str(k): v for k, v in labels.items()}
    elif fmt == "csv":
        assert read_csv(path)["q__coded_by"].tolist() == words
    else:
        sheet = pd.read_excel(path, sheet_name="data", dtype=str)
        assert sheet["q__coded_by"].tolist() == words
        variables = pd.read_excel(path, sheet_name="variables", dtype=str).set_index("column")
        assert variables.loc["q__coded_by", "role"] == "coded_by"
        assert variables.loc["q__coded_by", "value_labels"] == (
            "0=none; 1=human; 2=adjudicated; 3=model")


def test_a_run_from_merge_carries_the_model_codes_through_every_consumer(tmp_path):
    """merge, crosstab, qdpx, ledger and report of one run all read model_coding.csv."""
    import json
    import zipfile

    from themeloop.config import find_project
    from themeloop.pipeline.run import run_project
    from themeloop.safe_csv import read_csv

    root = make_model_project(tmp_path / "p")
    (root / "annotations" / "ledger.jsonl").unlink()  # the fixture's is unsigned
    with open(root / "themeloop.toml", "a", encoding="utf-8") as toml:
        toml.write('by = ["org_type"]\n')  # under [crosstab], the file's last section
    result = run_project(find_project(root), from_stage="merge")
    coded = read_csv(result.outputs["coded[csv]"]).set_index("org_id")
    assert coded.loc["O10", "barriers__coded_by"] == "model"
    assert coded.loc["O10", "barriers__funding"] == "1"
    crosstab = read_csv(result.outputs["crosstab.csv[org_type]"])
    assert "(model-coded)" in set(crosstab["code"])
    qde = zipfile.ZipFile(result.outputs["project.qdpx"]).read("project.qde").decode()
    assert f'id="model:{MODEL_ID}"' in qde
    ledger = [json.loads(line) for line in (root / "annotations" / "ledger.jsonl").open()]
    assert sum(e["action"] == "assigned" for e in ledger) == 9  # model rows but O01's
    html = result.outputs["report.html"].read_text(encoding="utf-8")
    assert html.count("<h3>The model's codes</h3>") == 2
    merge_report = json.loads(result.outputs["merge_report.json"].read_text(encoding="utf-8"))
    # none: O05 and O14 (not substantive), O02 and O06 (undecided); model: O10-O13
    assert merge_report["questions"]["barriers"]["coded_by"] == {
        "none": 4, "human": 6, "adjudicated": 0, "model": 4}
