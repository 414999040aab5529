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


@pytest.mark.parametrize("codec, bom, used", [
    ("utf-16-le", b"\xff\xfe", "utf-16-le"), ("utf-16-be", b"\xfe\xff", "utf-16-be"),
    ("utf-32-le", b"\xff\xfe\x00\x00", "utf-32-le"), ("utf-32-be", b"\x00\x00\xfe\xff", "utf-32-be"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
])
def test_unicode_byte_order_marks_decide_the_encoding(tmp_path, codec, bom, used):
    path = tmp_path / "s.csv"
    path.write_bytes(bom + "id,barriers\nA,Café – 😀\nB,x y\n".encode(codec))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survey = load_survey(path, id_column="id", questions=Q)
    assert survey.ids == ["A", "B"]
    assert survey.frame["barriers"].tolist() == ["Café – 😀", "x y"]
    assert survey.data.encoding == used


def test_explicit_encoding_reads_utf16_without_bom(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("id,barriers\nA,Café\n".encode("utf-16-be"))
    survey = load_survey(path, id_column="id", questions=Q, encoding="utf-16-be")
    assert survey.frame["barriers"].tolist() == ["Café"]


@pytest.mark.parametrize("content, encoding, message", [
    ("id,barriers\nA,Café\n".encode("utf-16-le"), None,
     "{p}: has many NUL bytes, so it is probably UTF-16 or UTF-32 without a byte-order mark; "
     "pass --encoding utf-16-le (or set survey.encoding), or save it as UTF-8"),
    ("id,barriers\nA,Café\n".encode("utf-16-be"), None,
     "{p}: has many NUL bytes, so it is probably UTF-16 or UTF-32 without a byte-order mark; "
     "pass --encoding utf-16-be (or set survey.encoding), or save it as UTF-8"),
    (b"id,barriers\nA,x\n", "utf-9", "{p}: unknown encoding 'utf-9'; use e.g. utf-8, cp1252, "
     "latin-1 or utf-16"),
    ("id,barriers\nA,Café\n".encode("cp1252"), "utf-8",
     "{p}: not valid utf-8 at byte 17; check the encoding (--encoding or survey.encoding)"),
    (b"\xff\xfeid\x00,\x00\x00\xd8", None, "{p}: starts with a UTF-16-LE byte-order mark but is "
     "not valid utf-16-le at byte 8; save it again as UTF-8"),
])
def test_encoding_errors(tmp_path, content, encoding, message):
    path = tmp_path / "s.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyError) as info:
        load_survey(path, id_column="id", questions=Q, encoding=encoding)
    assert str(info.value) == message.format(p=path)


def test_duplicated_csv_header_is_an_error_naming_both_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,barriers,org,barriers\nA,x y,la,z w\n", encoding="utf-8")
    with pytest.raises(SurveyError) as info:
        load_survey(path, id_column="id", questions=Q)
    assert str(info.value) == (f"{path}: columns 2 and 4 are both named 'barriers'; rename one "
                               "so that every column has its own name")


def _sheet(path, rows, merge=None):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(row)
    for cells in merge or []:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def test_duplicated_xlsx_header_is_an_error_naming_both_columns(tmp_path):
    path = _sheet(tmp_path / "s.xlsx", [["id", "barriers", "org", "barriers"], ["A", "x", "la", "y"]])
    with pytest.raises(SurveyError) as info:
        load_survey(path, id_column="id", questions=Q)
    assert str(info.value) == (f"{path}: sheet 'Sheet1': columns B and D are both named "
                               "'barriers'; rename one so that every column has its own name")


def test_xlsx_merged_and_uncalculated_cells_warn_naming_the_cells(tmp_path):
    from themeloop.errors import SpreadsheetCellWarning

    path = _sheet(tmp_path / "s.xlsx", [
        ["id", "barriers", "org"], ["A", "Funding cuts", "la"], ["B", "", "la"], ["C", "", "x"],
        ["D", "Staff", "=C2"], ["E", "Risk", "=UPPER(C3)"]], merge=["B3:B5", "A8:B8"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        survey = load_survey(path, id_column="id", questions=Q, attributes=["org"])
    messages = [str(w.message) for w in caught if issubclass(w.category, SpreadsheetCellWarning)]
    assert messages == [
        f"{path}: sheet 'Sheet1': merged cells B3:B5, A8:B8 are read as one value in the top-left "
        "cell and blanks in the others; unmerge them and fill every cell",
        f"{path}: sheet 'Sheet1': formula cells C5, C6 have no saved value and are read as "
        "blanks; open the file in Excel or LibreOffice and save it, or paste the values",
    ]
    assert survey.frame["org"].tolist() == ["la", "la", "x", "", ""]


def test_xlsx_without_merges_or_formulas_reads_silently(tmp_path):
    path = _sheet(tmp_path / "s.xlsx", [["id", "barriers"], ["A", "x y"], ["B", "z w"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survey = load_survey(path, id_column="id", questions=Q)
    assert survey.ids == ["A", "B"]


def test_formula_id_cell_is_an_error(tmp_path):
    path = _sheet(tmp_path / "s.xlsx", [["id", "barriers"], ["A", "x y"], ['="B"&1', "z w"]])
    with pytest.raises(SurveyError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_survey(path, id_column="id", questions=Q)
    assert str(info.value) == (f"{path}: sheet 'Sheet1': id column 'id' holds formulas (A3); ids "
                               "must be typed values: copy the column and paste it as values")
