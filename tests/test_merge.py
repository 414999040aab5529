"""Merge: the merged dataset's invariants, its errors and its column names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import themeloop
from themeloop.codebook import Codebook
from themeloop.errors import MergeError
from themeloop.merge import build_merged, load_project_codebook, merge
from themeloop.merge.names import is_valid_name, repair_name, stat_names, unique_name
from themeloop.survey import Question, load_survey

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "innovation-survey"
TABLE = REPO / "annotations" / "innovation-survey" / "coding_table.csv"
CODER = "amira.khan@example.org"


@pytest.fixture(scope="module")
def sample():
    from themeloop.coding import read_coding_table
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    project = find_project(SAMPLE)
    survey = load_project_survey(project)
    table = read_coding_table(TABLE)
    agreed = table[table["coder"] == CODER].reset_index(drop=True)
    return survey, agreed, load_project_codebook(project.codebook_path)


def _tiny(tmp_path: Path, rows: dict[str, list[str]], qcol: str = "q_text"):
    path = tmp_path / "survey.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return load_survey(path, id_column="id", questions=[Question("q", qcol, "Why?")])


CODEBOOK = Codebook(version="2", questions={"q": {"codes": [
    {"id": "cost", "label": "Cost"}, {"id": "time", "label": "Time"}]}})


def test_sample_merge_keeps_rows_ids_and_columns(sample):
    survey, agreed, codebook = sample
    merged = merge(survey, agreed, codebook)
    assert len(merged) == len(survey.frame) == 41
    assert list(merged["org_id"]) == list(survey.frame["org_id"])
    original = list(survey.frame.columns)
    assert list(merged.columns[: len(original)]) == original
    pd.testing.assert_frame_equal(merged[original], survey.frame)
    n_codes = sum(len(codebook.code_ids(q.id)) for q in survey.questions)
    assert merged.shape[1] == len(original) + n_codes + 3 * len(survey.questions)


def test_sample_code_columns_match_the_table(sample):
    survey, agreed, codebook = sample
    merged = merge(survey, agreed, codebook).set_index("org_id")
    applied = agreed[agreed["code"] != ""]
    for row in applied.itertuples():
        respondent = row.response_id.rsplit(":", 1)[0]
        column = f"{row.question}__{row.code}"
        if column in merged.columns:  # long names are shortened, checked below
            assert merged.at[respondent, column] == 1
    per = applied.groupby("response_id").size()
    for rid, n in per.items():
        respondent, qid = rid.rsplit(":", 1)
        assert merged.at[respondent, f"{qid}__n_codes"] == n
    assert merged["barriers__funding"].sum() == (applied["code"] == "funding").where(
        applied["question"] == "barriers", False).sum()


def test_nonsubstantive_answers_are_missing_and_flagged(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2", "3", "4"], "q_text": ["Too dear", "N/A", "", "Slow"]})
    agreed = pd.DataFrame({"response_id": ["1:q", "1:q", "4:q"], "question": "q", "coder": "c",
                           "code": ["cost", "time", ""]})
    merged = merge(survey, agreed, CODEBOOK)
    assert merged["q__cost"].tolist() == [1, pd.NA, pd.NA, 0]
    assert merged["q__time"].tolist() == [1, pd.NA, pd.NA, 0]
    assert merged["q__n_codes"].tolist() == [2, pd.NA, pd.NA, 0]
    assert merged["q__nonsubstantive"].tolist() == [0, 1, 1, 0]
    assert str(merged["q__cost"].dtype) == "Int8"


def test_uncoded_substantive_answer_is_missing_not_zero(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2"], "q_text": ["Too dear", "Slow"]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "c", "code": ["cost"]})
    dataset = build_merged(survey, agreed, CODEBOOK)
    assert dataset.frame["q__cost"].tolist() == [1, pd.NA]
    assert dataset.frame["q__nonsubstantive"].tolist() == [0, 0]
    assert dataset.summary["q"]["not_coded"] == 1


def test_a_coder_beats_the_nonsubstantive_heuristic(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1"], "q_text": ["no"]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "c", "code": ["cost"]})
    dataset = build_merged(survey, agreed, CODEBOOK)
    assert dataset.frame["q__cost"].tolist() == [1]
    assert dataset.frame["q__nonsubstantive"].tolist() == [0]
    assert dataset.summary["q"]["coded_despite_nonsubstantive"] == ["1:q"]


def test_unknown_response_id_stops_naming_it_and_the_file(tmp_path):
    survey = _tiny(tmp_path, {"id": ["ORG01", "ABC"], "q_text": ["a b", "c d"]})
    agreed = pd.DataFrame({"response_id": ["ORG01:q", "ORG99:q"], "question": "q", "coder": "c",
                           "code": ["cost", "time"]})
    with pytest.raises(MergeError) as err:
        merge(survey, agreed, CODEBOOK, source="agreed.csv")
    assert str(err.value) == (
        "agreed.csv row 3: response_id 'ORG99:q' is not in the survey survey.csv: no respondent "
        "'ORG99' (did you mean 'ORG01'?); fix the id or the survey file"
    )


def test_unknown_code_stops_unless_allowed(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2"], "q_text": ["a b", "c d"]})
    agreed = pd.DataFrame({"response_id": ["1:q", "2:q"], "question": "q", "coder": "c",
                           "code": ["cost", "tme"]})
    with pytest.raises(MergeError) as err:
        merge(survey, agreed, CODEBOOK, source="agreed.csv")
    assert str(err.value) == (
        "agreed.csv row 3: code 'tme' of question 'q' is not in the codebook (version 2) "
        "(did you mean 'time'?); add it to the codebook, migrate the table or pass --allow-unknown-codes"
    )
    merged = merge(survey, agreed, CODEBOOK, allow_unknown_codes=True)
    assert list(merged.columns[-6:]) == ["q__cost", "q__time", "q__tme", "q__n_codes",
                                         "q__nonsubstantive", "q__coded_by"]
    assert merged["q__tme"].tolist() == [0, 1]


def test_without_codebook_columns_come_from_the_table(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1", "2"], "q_text": ["a b", "c d"]})
    agreed = pd.DataFrame({"response_id": ["1:q", "2:q"], "question": "q", "coder": "c",
                           "code": ["zeta", "alpha"]})
    assert list(merge(survey, agreed).columns[2:4]) == ["q__alpha", "q__zeta"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"response_id": ["1:q"], "question": ["other"], "code": ["cost"]},
         "agreed.csv row 2: question 'other' is not a question of the survey; questions are: q"),
        ({"response_id": ["1:x"], "question": ["q"], "code": ["cost"]},
         ("agreed.csv row 2: response_id '1:x' does not end in ':q' (its question column); "
          "response ids are '<respondent id>:<question id>'")),
    ],
)
def test_bad_question_ids(tmp_path, rows, message):
    survey = _tiny(tmp_path, {"id": ["1"], "q_text": ["a b"]})
    with pytest.raises(MergeError) as err:
        merge(survey, pd.DataFrame({**rows, "coder": ["c"]}), CODEBOOK, source="agreed.csv")
    assert str(err.value) == message


def test_two_coders_need_adjudication_or_a_choice(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1"], "q_text": ["a b"]})
    agreed = pd.DataFrame({"response_id": ["1:q", "1:q"], "question": "q", "coder": ["a", "b"],
                           "code": ["cost", "time"]})
    with pytest.raises(MergeError, match=r"has codes from 2 coders \(a, b\); merge needs one"):
        merge(survey, agreed, CODEBOOK, source="agreed.csv")
    assert merge(survey, agreed, CODEBOOK, coder="b")["q__time"].tolist() == [1]
    with pytest.raises(MergeError, match="no coder 'x'"):
        merge(survey, agreed, CODEBOOK, coder="x")


def test_skipped_tasks_are_not_codings(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1"], "q_text": ["a b"]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "c", "code": ["cost"],
                           "status": ["skipped"]})
    assert merge(survey, agreed, CODEBOOK)["q__cost"].tolist() == [pd.NA]


def test_clash_with_an_existing_column_is_renamed_and_reported(tmp_path):
    survey = _tiny(tmp_path, {"id": ["1"], "q_text": ["a b"], "Q__COST": ["x"]})
    agreed = pd.DataFrame({"response_id": ["1:q"], "question": "q", "coder": "c", "code": ["cost"]})
    dataset = build_merged(survey, agreed, CODEBOOK)
    assert dataset.renames == {"q__cost": "q__cost_2"}
    assert dataset.frame["q__cost_2"].tolist() == [1]
    assert dataset.frame["Q__COST"].tolist() == ["x"]


def test_labels(sample):
    survey, agreed, codebook = sample
    dataset = build_merged(survey, agreed, codebook)
    assert dataset.variable_labels["barriers__funding"] == "barriers: Lack of funding"
    assert dataset.variable_labels["barriers_text"] == survey.question("barriers").prompt
    assert dataset.value_labels["barriers__funding"] == {0: "not mentioned", 1: "mentioned"}
    assert all(is_valid_name(c.column, 28) for c in dataset.code_columns)


def test_package_level_merge_is_the_function(sample):
    survey, agreed, codebook = sample
    expected = merge(survey, agreed, codebook)
    pd.testing.assert_frame_equal(themeloop.merge(survey, agreed, codebook), expected)
    import themeloop.merge as package

    pd.testing.assert_frame_equal(package(survey, agreed, codebook), expected)


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "valid"),
    [("barriers__funding", True), ("x" * 32, True), ("x" * 33, False), ("_x", False), ("1x", False),
     ("a b", False), ("a.b", False), ("é", False), ("ALL", False), ("in", False), ("str12", False),
     ("with", False)],
)
def test_is_valid_name(name, valid):
    assert is_valid_name(name) is valid


def test_names_are_deterministic_unique_and_valid():
    columns = ["id", "ID", "org type", "org_type", "1st", "in", "x" * 40, "x" * 41, "é"]
    first = stat_names(columns)
    assert first == stat_names(columns)
    assert len({v.lower() for v in first.values()}) == len(columns)
    assert all(is_valid_name(v) for v in first.values())
    assert first["id"] == "id" and first["org_type"] == "org_type"
    assert first["ID"] == "ID_2" and first["org type"] == "org_type_2"


def test_labelled_names_leave_room_for_the_label_set_name():
    names = stat_names(["y" * 30], labelled=["y" * 30])
    assert names["y" * 30] == "y" * 28
    assert repair_name("a" * 50, 28) == "a" * 28
    taken = {"a" * 28}
    assert unique_name("a" * 50, taken, 28) == "a" * 26 + "_2"


# --- CLI --------------------------------------------------------------------------------------

@pytest.fixture
def project_copy(tmp_path):
    import shutil

    folder = tmp_path / "proj"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("out", ".themeloop"))
    text = (folder / "themeloop.toml").read_text()
    (folder / "themeloop.toml").write_text(text.replace('annotations = "../../annotations/innovation-survey"',
                                                        'annotations = "annotations"'))
    table = pd.read_csv(TABLE, dtype=str, keep_default_na=False)
    (folder / "out").mkdir()
    table[table["coder"] == CODER].to_csv(folder / "out" / "agreed.csv", index=False)
    return folder


def test_cli_merge_writes_every_export_and_a_manifest(cli, project_copy):
    result = cli("merge", "-p", project_copy, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 41
    out = project_copy / "out"
    for name in ["coded.csv", "coded.xlsx", "coded.sav", "coded.dta", "coded.parquet",
                 "merge_report.json", "merge.manifest.json"]:
        assert (out / name).is_file(), name
    manifest = json.loads((out / "merge.manifest.json").read_text())
    assert set(manifest["outputs"]) >= {"out/coded.csv", "out/coded.sav"}
    assert manifest["inputs"]["codes"]["path"] == "out/agreed.csv"


def test_cli_merge_rerun_is_byte_identical(cli, project_copy):
    import time

    assert cli("merge", "-p", project_copy).exit_code == 0
    first = (project_copy / "out" / "merge.manifest.json").read_bytes()
    time.sleep(2.1)  # SAV headers and XLSX zip entries would record a new time
    assert cli("merge", "-p", project_copy).exit_code == 0
    assert (project_copy / "out" / "merge.manifest.json").read_bytes() == first


def test_cli_merge_unknown_code_exit_2(cli, project_copy):
    agreed = project_copy / "out" / "agreed.csv"
    table = pd.read_csv(agreed, dtype=str, keep_default_na=False)
    table.loc[0, "code"] = "fundng"
    table.to_csv(agreed, index=False)
    result = cli("merge", "-p", project_copy)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: agreed.csv row 2: code 'fundng' of question 'barriers' is not in the codebook "
        "(version 1.0) (did you mean 'funding'?); add it to the codebook, migrate the table or "
        "pass --allow-unknown-codes\n"
    )
    assert cli("merge", "-p", project_copy, "--allow-unknown-codes", "--format", "csv").exit_code == 0
    merged = pd.read_csv(project_copy / "out" / "coded.csv", dtype=str, keep_default_na=False)
    assert merged["barriers__fundng"].tolist()[0] == "1"


def test_cli_merge_unknown_id_exit_2(cli, project_copy):
    agreed = project_copy / "out" / "agreed.csv"
    table = pd.read_csv(agreed, dtype=str, keep_default_na=False)
    table.loc[3, "response_id"] = "ORG99:barriers"
    table.to_csv(agreed, index=False)
    result = cli("merge", "-p", project_copy)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: agreed.csv row 5: response_id 'ORG99:barriers' is not in the survey survey.csv: "
        "no respondent 'ORG99'"
    )


def test_cli_merge_without_agreed_table(cli, project_copy):
    (project_copy / "out" / "agreed.csv").unlink()
    result = cli("merge", "-p", project_copy)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {project_copy / 'out' / 'agreed.csv'}: no agreed coding table; run "
        "'themeloop adjudicate' first or pass --codes FILE\n"
    )


def test_cli_merge_unknown_format(cli, project_copy):
    result = cli("merge", "-p", project_copy, "--format", "csv,sas")
    assert result.exit_code == 2
    assert result.stderr == "Error: unknown export format 'sas'; formats are: csv, xlsx, sav, dta, parquet\n"


def test_merge_of_5000_respondents_by_30_codes_keeps_every_row_and_code():
    """Its speed is measured in bench/merge_scale.py; here what must hold at this size."""
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame({"id": [f"R{i}" for i in range(n)], "t": ["some answer"] * n})
    from themeloop.survey import Survey, SurveyData

    survey = Survey(SurveyData(Path("s.csv"), frame), "id", [Question("q", "t")])
    codes = rng.integers(0, 30, 3 * n)
    agreed = pd.DataFrame({"response_id": [f"R{i % n}:q" for i in range(3 * n)], "question": "q",
                           "coder": "c", "code": [f"c{k}" for k in codes]})
    merged = merge(survey, agreed)
    flags = merged.filter(regex=r"^q__c\d+$")
    assert len(merged) == n and merged["id"].tolist() == frame["id"].tolist()
    assert flags.shape[1] == 30
    # Each respondent's flags are exactly its distinct codes: nothing lost or doubled.
    assert int(flags.astype(int).to_numpy().sum()) == len(set(zip(agreed["response_id"], codes)))


@pytest.mark.parametrize("text", ["N/A" + "!" * 40, "n / a", "  see   above  ", "x" * 30, "a" * 26,
                                  "Ｎ／Ａ", "don't know " + "." * 50, None, ""])
def test_fast_substantive_check_agrees_with_the_survey_rule(text):
    from themeloop.merge.core import _substantive
    from themeloop.survey import is_substantive

    assert _substantive(pd.Series([text], dtype=object)).tolist() == [is_substantive(text or "")]


def test_fast_substantive_check_agrees_on_random_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from themeloop.merge.core import _substantive
    from themeloop.survey import is_substantive

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(max_size=60), max_size=5))
    def check(texts):
        assert _substantive(pd.Series(texts, dtype=object)).tolist() == [is_substantive(t) for t in texts]

    check()
