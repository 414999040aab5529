"""Survey readers: encodings, sheets, value labels, the responses table."""

from __future__ import annotations

import warnings

import pandas as pd
import pyreadstat
import pytest

from themeloop.errors import SurveyError
from themeloop.survey import EncodingFallbackWarning, Question, is_substantive, load_survey

Q = [Question("barriers", "barriers")]


def test_cp1252_fallback_warns_and_names_encoding(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("id,barriers\nA,Café budget – cuts\n".encode("cp1252"))
    with pytest.warns(EncodingFallbackWarning, match=r"not valid UTF-8; read as cp1252"):
        survey = load_survey(path, id_column="id", questions=Q)
    assert survey.frame["barriers"][0] == "Café budget – cuts"
    assert survey.data.encoding == "cp1252"


def test_utf8_reads_without_warning(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,barriers\nA,Café 😀\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survey = load_survey(path, id_column="id", questions=Q)
    assert survey.frame["barriers"][0] == "Café 😀"


def test_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,barriers\n007,a b\n010,c d\n")
    assert load_survey(path, id_column="id", questions=Q).ids == ["007", "010"]


def test_xlsx_sheet_choice(tmp_path):
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="cover", index=False)
        pd.DataFrame({"id": ["a", "b"], "barriers": ["t u", "v w"]}).to_excel(
            writer, sheet_name="data", index=False)
    survey = load_survey(path, id_column="id", questions=Q, sheet="data")
    assert survey.ids == ["a", "b"]
    with pytest.raises(SurveyError, match=r"no sheet 'dat' \(did you mean 'data'\?\); sheets are: cover, data"):
        load_survey(path, id_column="id", questions=Q, sheet="dat")


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_value_labels_become_categories_and_variable_labels_kept(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "org": [1.0, 2.0, 1.0],
                          "barriers": ["no money", "no staff", "risk"]})
    path = tmp_path / f"s{suffix}"
    write = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
    write(frame, str(path), column_labels=["Respondent", "Organisation type", "Main barriers"],
          variable_value_labels={"org": {1.0: "local authority", 2.0: "charity"}})
    survey = load_survey(path, id_column="id", questions=Q, attributes=["org"])
    assert isinstance(survey.frame["org"].dtype, pd.CategoricalDtype)
    assert list(survey.frame["org"]) == ["local authority", "charity", "local authority"]
    assert survey.data.variable_labels["barriers"] == "Main barriers"
    assert survey.data.value_labels["org"] == {1.0: "local authority", 2.0: "charity"}


def test_parquet(tmp_path):
    path = tmp_path / "s.parquet"
    pd.DataFrame({"id": ["a", "b"], "barriers": ["t u", None]}).to_parquet(path)
    responses = load_survey(path, id_column="id", questions=Q).responses()
    assert list(responses["text"]) == ["t u", ""]
    assert list(responses["substantive"]) == [True, False]


@pytest.mark.parametrize("text", ["", "   ", "N/A", "n/a", "NA", "none", "None.", "nothing",
                                  "-", "don't know", "Don’t know", "no comment", "See above",
                                  "as above", "...", "???"])
def test_non_substantive(text):
    assert not is_substantive(text)


@pytest.mark.parametrize("text", ["No money", "Nothing works without funding", "Risk", "N/A funding gap"])
def test_substantive(text):
    assert is_substantive(text)


def test_responses_table_flags_and_duplicates(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,barriers,practice\n"
                    "1,Lack of funding,Remote delivery\n"
                    "2,  lack OF   funding ,N/A\n"
                    "3,N/A,see above\n"
                    "4,Risk aversion,Remote  delivery\n")
    survey = load_survey(path, id_column="id",
                         questions=[Question("barriers", "barriers"), Question("practice", "practice")])
    r = survey.responses()
    assert len(r) == 8 and r["response_id"].is_unique
    assert list(r["response_id"][:4]) == ["1:barriers", "2:barriers", "3:barriers", "4:barriers"]
    assert list(r["substantive"]) == [True, True, False, True, True, False, False, True]
    assert list(r["duplicate_of"]) == ["", "1:barriers", "", "", "", "", "", "1:practice"]
    assert r.loc[1, "text"] == "  lack OF   funding "  # kept exactly as answered
