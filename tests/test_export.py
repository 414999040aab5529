"""Exports: every format reads back to what was written, labels included; no formula survives.

What each format can hold (the oracles below, and docs/exports.md):

* CSV and Parquet hold any text exactly (CSV after :func:`themeloop.safe_csv.read_csv`
  undoes the formula neutralisation).
* XLSX cannot hold the control characters XML 1.0 forbids (``\\x00``-``\\x08``,
  ``\\x0b``, ``\\x0c``, ``\\x0e``-``\\x1f``): they are removed (:func:`xlsx_text`).
* SPSS and Stata store C strings: NUL is removed (:func:`stat_text`) instead of
  cutting the text at it; SPSS also drops trailing blanks (it pads strings).
* No format is given lone surrogates: text decoded from a file never holds one.
"""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themeloop.codebook import Codebook
from themeloop.merge import build_merged, export_all, neutralise, unneutralise
from themeloop.merge.core import MergedDataset
from themeloop.merge.exports import fitted_label, read_parquet_labels, stat_rename_map, stat_text
from themeloop.merge.names import stat_names
from themeloop.merge.xlsx import xlsx_text
from themeloop.safe_csv import read_csv, write_csv
from themeloop.survey import Question, load_survey

HYPERLINK = '=HYPERLINK("http://x","y")'
CODEBOOK = Codebook(version="1", questions={
    "why": {"codes": [{"id": "cost", "label": "Cost of it all"}, {"id": "time", "label": "Time"},
                      {"id": "a_rather_long_code_identifier", "label": "Long one"}]},
    "how": {"codes": [{"id": "online", "label": "Online"}]},
})
QUESTIONS = [Question("why", "why text", "Why did you do it? " * 6), Question("how", "how_text", "")]

# The characters that broke or could break an export: line ends (a bare \r above all), NUL,
# Unicode line separators, quotes, delimiters, formula triggers and their full-width forms.
HARD = ["\r", "\n", "\r\n", "\x00", "\u2028", "\u2029", "\x85", "\x0b", "\x1f", '"', "'", ",",
        ";", "\t", "=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe62", "\ufeff",
        " ", "1", "e", "é", "✓"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.lists(st.sampled_from(HARD), max_size=8).map("".join),
    st.sampled_from([HYPERLINK, "+1 more", "-", "- cost", "-5", "@home", "'=x", "\tlead", "a\r\nb",
                     "N/A", "don't know", "", " padded ", "ünïcødé ✓", "007", "#N/A", "#REF!",
                     "=", "1e5", "TRUE", "Funding.\rStaff leave.", "x\r=2", "-3", "\uff1dcmd"]),
)
ID = st.one_of(
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=5),
    st.lists(st.sampled_from(HARD + ["ORG41", "x"]), min_size=1, max_size=5).map("".join),
    st.sampled_from(["@ORG41", "=2", "-ORG", "+1", "\uff20ORG", "007", "-5"]),
).filter(lambda i: i.strip() == i and i != "" and ":" not in i)


@st.composite
def surveys(draw):
    ids = draw(st.lists(ID, min_size=1, max_size=7, unique=True))
    ids = [i for i in ids if i != "R0"]
    rows = {
        "id": ["R0", *ids],
        "why text": ["Because of money", *[draw(TEXT) for _ in ids]],
        "how_text": ["Online mostly", *[draw(TEXT) for _ in ids]],
        "group": ["a", *[draw(st.one_of(st.sampled_from(["a", "b", "=c", ""]), TEXT)) for _ in ids]],
    }
    codings = []
    for rid in rows["id"]:
        for qid, codes in (("why", ["cost", "time", "a_rather_long_code_identifier"]), ("how", ["online"])):
            if draw(st.booleans()):
                chosen = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
                # who coded it: every value of coded_by goes through every format
                source = draw(st.sampled_from(["human", "adjudication", "model"]))
                codings += [(f"{rid}:{qid}", qid, c, source) for c in chosen or [""]]
    return rows, codings


def _dataset(folder: Path, rows, codings) -> MergedDataset:
    path = folder / "survey.csv"
    write_csv(pd.DataFrame(rows), path, raw=True)
    survey = load_survey(path, id_column="id", questions=QUESTIONS, attributes=["group"])
    table = pd.DataFrame([c if len(c) == 4 else (*c, "human") for c in codings],
                         columns=["response_id", "question", "code", "source"])
    by_model = table["source"] == "model"
    agreed = table[~by_model].assign(coder="x")
    model = table[by_model].assign(coder="autocoder-0123456789ab", score=0.9, threshold=0.5)
    return build_merged(survey, agreed, CODEBOOK, model=model)


def _text(value) -> str:
    return "" if pd.isna(value) else str(int(value)) if isinstance(value, (int, float)) else str(value)


def _check_csv(dataset: MergedDataset, path: Path) -> None:
    back = read_csv(path)
    frame = dataset.frame
    assert list(back.columns) == list(frame.columns)
    assert len(back) == len(frame)
    for column in dataset.original_columns:
        assert list(back[column]) == list(frame[column]), column
    for column in frame.columns[len(dataset.original_columns):]:
        assert list(back[column]) == [_text(v) for v in frame[column]], column


def _check_xlsx(dataset: MergedDataset, path: Path) -> None:
    import openpyxl

    back = pd.read_excel(path, sheet_name="data", dtype=object, keep_default_na=False)
    frame = dataset.frame
    assert list(back.columns) == list(frame.columns)
    for column in dataset.original_columns:
        assert [str(v) for v in back[column]] == [xlsx_text(v) for v in frame[column]], column
    for column in frame.columns[len(dataset.original_columns):]:
        assert [_text(v) for v in back[column]] == [_text(v) for v in frame[column]], column
    book = openpyxl.load_workbook(path)
    assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    for row in book["data"].iter_rows(min_row=2):  # formula-like text: Excel's quote prefix
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.quotePrefix == (neutralise(cell.value) != cell.value
                                            and not cell.value.startswith("'")), cell.value
    variables = pd.read_excel(path, sheet_name="variables", dtype=str, keep_default_na=False)
    assert list(variables["column"]) == list(frame.columns)
    codebook = pd.read_excel(path, sheet_name="codebook", dtype=str)
    assert list(codebook["column"]) == [c.column for c in dataset.code_columns]


def _check_stat(dataset: MergedDataset, path: Path, fmt: str) -> None:
    import pyreadstat

    back, meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(str(path))
    names = stat_names(dataset.frame.columns, labelled=dataset.value_labels)
    frame = dataset.frame
    assert list(back.columns) == [names[c] for c in frame.columns]
    for column in dataset.original_columns:
        got = [str(v) for v in back[names[column]]]
        want = [stat_text(v) for v in frame[column]]
        if fmt == "sav":  # SPSS pads strings with blanks: trailing spaces do not survive
            got, want = [v.rstrip(" ") for v in got], [v.rstrip(" ") for v in want]
        assert got == want, column
    coded_by = set(dataset.coded_by_columns.values())
    for column in frame.columns[len(dataset.original_columns):]:
        got = back[names[column]]
        if column in coded_by:  # a labelled integer: its value labels give back the words
            got = got.map(meta.variable_value_labels[names[column]])
        assert [_text(v) for v in got] == [_text(v) for v in frame[column]], column
    for column in coded_by:
        assert meta.variable_value_labels[names[column]] == {
            0: "none", 1: "human", 2: "adjudicated", 3: "model"}
        assert pd.api.types.is_numeric_dtype(back[names[column]])
    labels = meta.column_names_to_labels
    for column, label in dataset.variable_labels.items():
        assert labels[names[column]] == fitted_label(label, fmt), column
    for c in dataset.code_columns:
        assert meta.variable_value_labels[names[c.column]] == {0: "not mentioned", 1: "mentioned"}
    for column in dataset.flag_columns.values():
        assert meta.variable_value_labels[names[column]] == {0: "substantive answer",
                                                             1: "no substantive answer"}


def _check_parquet(dataset: MergedDataset, path: Path) -> None:
    pd.testing.assert_frame_equal(pd.read_parquet(path), dataset.frame)
    labels = read_parquet_labels(path)
    assert labels["variable_labels"] == dataset.variable_labels
    assert labels["value_labels"]["why__cost"] == {"0": "not mentioned", "1": "mentioned"}
    for column in dataset.coded_by_columns.values():
        assert labels["value_labels"][column] == {"0": "none", "1": "human", "2": "adjudicated",
                                                  "3": "model"}
        assert list(pd.read_parquet(path)[column].cat.categories) == [
            "none", "human", "adjudicated", "model"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surveys())
def test_every_export_round_trips(survey):
    rows, codings = survey
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset = _dataset(folder, rows, codings)
        assert list(dataset.frame["id"]) == rows["id"]
        paths = export_all(dataset, folder / "out")
        _check_csv(dataset, paths["csv"])
        _check_xlsx(dataset, paths["xlsx"])
        _check_stat(dataset, paths["sav"], "sav")
        _check_stat(dataset, paths["dta"], "dta")
        _check_parquet(dataset, paths["parquet"])


@given(st.text(max_size=12))
def test_neutralise_is_reversible_and_safe(text):
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert not safe.startswith(("=", "+", "@", "\t", "\r")) or safe == text.lstrip("'") == text
    if safe.startswith("-"):
        float(safe)  # only plain numbers keep a leading minus


def test_formula_is_neutralised_in_csv_and_xlsx(tmp_path):
    import openpyxl

    rows = {"id": ["1", "2"], "why text": [HYPERLINK, "fine words"], "how_text": ["@SUM(A1)", "-2"],
            "group": ["a", "b"]}
    dataset = _dataset(tmp_path, rows, [("1:why", "why", "cost")])
    paths = export_all(dataset, tmp_path / "out", ["csv", "xlsx"])
    raw = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    assert raw["why text"].tolist() == ["'" + HYPERLINK, "fine words"]
    assert raw["how_text"].tolist() == ["'@SUM(A1)", "-2"]
    assert "'=HYPERLINK" in paths["csv"].read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(paths["xlsx"])["data"]
    cell = sheet.cell(row=2, column=2)
    assert cell.value == HYPERLINK and cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row=2, column=3).quotePrefix and not sheet.cell(row=3, column=3).quotePrefix
    assert not sheet.cell(row=3, column=2).quotePrefix  # plain text: no prefix


def test_raw_csv_export_keeps_text_as_it_is(tmp_path):
    rows = {"id": ["@1", "2"], "why text": [HYPERLINK, "fine"], "how_text": ["-x", "-2"],
            "group": ["a", "b"]}
    dataset = _dataset(tmp_path, rows, [("@1:why", "why", "cost")])
    paths = export_all(dataset, tmp_path / "out", ["csv"], raw=True)
    back = pd.read_csv(paths["csv"], dtype=str, keep_default_na=False)
    assert back["id"].tolist() == ["@1", "2"] and back["why text"].tolist() == [HYPERLINK, "fine"]
    assert read_csv(paths["csv"])["how_text"].tolist() == ["-x", "-2"]


def test_survey_value_and_variable_labels_survive_spss_and_stata(tmp_path):
    import pyreadstat

    source = tmp_path / "survey.sav"
    frame = pd.DataFrame({"id": ["1", "2", "3"], "region": [1.0, 2.0, 1.0],
                          "why": ["money", "time", "N/A"]})
    pyreadstat.write_sav(frame, str(source), column_labels=["Respondent", "Region", "Why?"],
                         variable_value_labels={"region": {1: "North", 2: "South"}})
    survey = load_survey(source, id_column="id", questions=[Question("why", "why")])
    assert survey.data.value_labels == {"region": {1.0: "North", 2.0: "South"}}
    agreed = pd.DataFrame({"response_id": ["1:why", "2:why"], "question": "why", "coder": "x",
                           "code": ["cost", "time"]})
    codebook = Codebook(version="1", questions={"why": {"codes": [
        {"id": "cost", "label": "Cost"}, {"id": "time", "label": "Time"}]}})
    dataset = build_merged(survey, agreed, codebook)
    paths = export_all(dataset, tmp_path / "out", ["sav", "dta"])
    for fmt, read in (("sav", pyreadstat.read_sav), ("dta", pyreadstat.read_dta)):
        back, meta = read(str(paths[fmt]))
        assert [int(v) for v in back["region"]] == [1, 2, 1]
        assert meta.variable_value_labels["region"] == {1: "North", 2: "South"}
        assert meta.column_names_to_labels["region"] == "Region"
        assert meta.column_names_to_labels["why__cost"] == "why: Cost"
        assert [_text(v) for v in back["why__time"]] == ["0", "1", ""]
        assert [int(v) for v in back["why__nonsubstantive"]] == [0, 0, 1]


def test_long_and_odd_names_are_renamed_for_spss_and_stata(tmp_path):
    rows = {"id": ["1"], "why text": ["money"], "how_text": ["online"], "group": ["a"]}
    dataset = _dataset(tmp_path, rows, [("1:why", "why", "a_rather_long_code_identifier")])
    assert dataset.renames == {"why__a_rather_long_code_identifier": "why__a_rather_long_code_iden"}
    assert stat_rename_map(dataset) == {"why text": "why_text"}


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_stata_label_limit(tmp_path, fmt):
    rows = {"id": ["1"], "why text": ["money"], "how_text": ["online"], "group": ["a"]}
    dataset = _dataset(tmp_path, rows, [])
    label = dataset.variable_labels["why text"]
    assert len(label.encode()) > 80
    want = label.rstrip()[:80].rstrip() if fmt == "dta" else label.rstrip()
    assert fitted_label(label, fmt) == want


def test_exports_are_byte_identical_on_rerun(tmp_path):
    import time

    from themeloop._io import sha256_file

    rows = {"id": ["1", "2"], "why text": ["money", "N/A"], "how_text": ["online", "x y"],
            "group": ["a", "b"]}
    dataset = _dataset(tmp_path, rows, [("1:why", "why", "cost")])
    first = {k: sha256_file(p) for k, p in export_all(dataset, tmp_path / "a").items()}
    time.sleep(1.1)  # the clock moves on: SAV stores seconds, XLSX zip entries two-second steps
    time.sleep(1.0)
    second = {k: sha256_file(p) for k, p in export_all(dataset, tmp_path / "b").items()}
    assert first == second


def test_spss_and_stata_headers_carry_no_clock(tmp_path):
    import zipfile

    rows = {"id": ["1"], "why text": ["money"], "how_text": ["online"], "group": ["a"]}
    paths = export_all(_dataset(tmp_path, rows, []), tmp_path / "out", ["sav", "dta", "xlsx"])
    assert paths["sav"].read_bytes()[92:109] == b"01 Jan 0000:00:00"
    assert b"<timestamp>\x1101 Jan 2000 00:00</timestamp>" in paths["dta"].read_bytes()[:512]
    with zipfile.ZipFile(paths["xlsx"]) as book:
        assert {i.date_time for i in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in book.read("docProps/core.xml")


def test_error_like_text_stays_text_in_xlsx(tmp_path):
    import openpyxl

    rows = {"id": ["1", "2"], "why text": ["#N/A", "=1+1"], "how_text": ["#REF!", "ok then"],
            "group": ["a", "b"]}
    path = export_all(_dataset(tmp_path, rows, []), tmp_path / "out", ["xlsx"])["xlsx"]
    sheet = openpyxl.load_workbook(path)["data"]
    cells = [sheet.cell(row=2, column=2), sheet.cell(row=3, column=2), sheet.cell(row=2, column=3)]
    assert [(c.value, c.data_type) for c in cells] == [("#N/A", "s"), ("=1+1", "s"), ("#REF!", "s")]
