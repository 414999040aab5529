"""The one CSV writer: every CSV themeloop writes keeps its rows and text, and runs no formula.

Hypothesis writes random Unicode (bare ``\\r``, ``\\n``, ``\\r\\n``, NUL, U+2028,
quotes, delimiters, formula prefixes and their full-width forms) through the
writer and through each CSV writer of the loop, and reads it back with
:func:`themeloop.safe_csv.read_csv`: same rows, same ids, same text. CSV holds
every character except lone surrogates, which no decoded file contains.
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themeloop.safe_csv import (
    TRIGGERS,
    csv_text,
    formula_like,
    looks_neutralised,
    neutralise,
    read_csv,
    unneutralise,
    write_csv,
)

HARD = ["\r", "\n", "\r\n", "\x00", "\u2028", "\u2029", "\x85", '"', "'", ",", "\t", " ", "=", "+",
        "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66", "\ufeff", "1", ".", "e", "x",
        "ü"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.lists(st.sampled_from(HARD), max_size=8).map("".join),
    st.sampled_from(['=HYPERLINK("http://d","z")', '@SUM(1+1)*cmd|" /C calc"!A0', "-3", "+1.5e3",
                     "-3 apples", "'=x", "''-y", "Funding.\rStaff leave.", "charity\rX", "x\r=2"]),
)
NAME = TEXT.filter(lambda n: n != "" and not n.startswith("Unnamed"))
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse(text: str) -> list[list[str]]:
    """The rows any RFC 4180 reader sees (Python's csv module, newline='')."""
    return list(csv.reader(io.StringIO(text, newline="")))


@st.composite
def frames(draw):
    names = draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
    n = draw(st.integers(0, 5))
    data = {name: [draw(TEXT) for _ in range(n)] for name in names}
    frame = pd.DataFrame(data, columns=names, dtype=object)
    if draw(st.booleans()):
        frame["count"] = pd.array([draw(st.one_of(st.none(), st.integers(-5, 5))) for _ in range(n)],
                                  dtype="Int64")
    return frame


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        out[column] = ["" if pd.isna(v) else str(v) for v in out[column]]
    return out.astype(object)


@SLOW
@given(frames(), st.booleans())
def test_any_text_reads_back_with_the_same_rows_and_cells(frame, raw):
    text = csv_text(frame, raw=raw)
    rows = _parse(text)
    assert len(rows) == len(frame) + 1  # a bare \r (or anything else) never adds a row
    back = read_csv(io.StringIO(text), raw=True if raw else None)
    want = _as_text(frame)
    assert list(back.columns) == [str(c) for c in frame.columns]
    assert back.shape == frame.shape
    assert back.astype(object).values.tolist() == want.values.tolist()


@SLOW
@given(frames())
def test_neutralised_csv_has_no_formula_cell_and_keeps_numbers(frame):
    rows = _parse(csv_text(frame))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if formula_like(c)]
    if "count" in frame.columns:  # a numeric column stays numeric: -3 is written -3
        j = list(frame.columns).index("count")
        assert [r[j] for r in rows[1:]] == ["" if pd.isna(v) else str(v) for v in frame["count"]]


@SLOW
@given(frames())
def test_auto_read_of_a_raw_file_is_exact_unless_ambiguous(frame):
    back = read_csv(io.StringIO(csv_text(frame, raw=True)))
    want = _as_text(frame)
    if back.values.tolist() != want.values.tolist() or list(back.columns) != list(want.columns):
        # the one documented ambiguity: no raw formula cell, but some '<trigger> cell
        assert looks_neutralised(want)
        cells = [*map(str, frame.columns), *want.values.ravel().tolist()]
        assert any(c.startswith("'") and formula_like(c.lstrip("'")) for c in cells)


@given(st.text(max_size=12))
def test_neutralise_is_reversible_and_safe(text):
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert not formula_like(safe)
    if not formula_like(text.lstrip("'")):
        assert safe == text


@pytest.mark.parametrize("prefix", TRIGGERS)
def test_every_trigger_is_neutralised(prefix):
    assert neutralise(prefix + "cmd") == "'" + prefix + "cmd"


@pytest.mark.parametrize("number", ["-3", "+1", "-1.5", "-.5", "+1.5e3", "-2E-4", "-inf", "nan"])
def test_a_plain_number_is_left_alone_even_in_a_text_column(number):
    assert neutralise(number) == number
    assert csv_text(pd.DataFrame({"t": [number]}, dtype=object)) == f"t\n{number}\n"


@pytest.mark.parametrize("text", ["-3 apples", "-3+4", "- 3", "-0x1", "\uff0d3", "-١"])
def test_text_that_only_starts_like_a_number_is_neutralised(text):
    assert neutralise(text) == "'" + text


def test_bare_carriage_return_is_quoted():
    text = csv_text(pd.DataFrame({"id": ["1", "2"], "t": ["Funding.\rStaff leave.", "=2"]}))
    assert text == 'id,t\n1,"Funding.\rStaff leave."\n2,\'=2\n'
    assert pd.read_csv(io.StringIO(text), dtype=str).shape == (2, 2)


def test_a_lone_empty_field_is_not_a_blank_line():
    frame = pd.DataFrame({"t": ["", "a", ""]}, dtype=object)
    assert csv_text(frame) == 't\n""\na\n""\n'
    assert read_csv(io.StringIO(csv_text(frame)))["t"].tolist() == ["", "a", ""]


def test_write_csv_is_atomic_utf8_without_bom(tmp_path):
    path = write_csv(pd.DataFrame({"t": ["é"]}), tmp_path / "a.csv")
    assert path.read_bytes() == "t\né\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


# --- every CSV writer of the loop --------------------------------------------------------

RESPONSE = st.tuples(TEXT.filter(lambda t: t.strip() == t and t != "" and ":" not in t),
                     st.sampled_from(["q1", "@q"]))


@SLOW
@given(st.lists(RESPONSE, min_size=1, max_size=5, unique=True), st.lists(TEXT, min_size=5, max_size=5))
def test_adjudication_outputs_read_back_with_the_same_ids(tmp_path_factory, units, memos):
    from themeloop.adjudicate import adjudicate, write_adjudication
    from themeloop.coding import read_coding_table, validate_coding_table

    rows = []
    for (rid, qid), memo in zip(units, memos):
        for coder, code in (("a@x", "=c"), ("b@x", "=c" if len(memo) % 2 else "d")):
            rows.append({"response_id": f"{rid}:{qid}", "question": qid, "coder": coder,
                         "code": code, "memo": memo})
    table = validate_coding_table(pd.DataFrame(rows))
    result = adjudicate(table, "majority")
    folder = tmp_path_factory.mktemp("adj")
    write_adjudication(result, folder)
    agreed = read_coding_table(folder / "agreed.csv")
    assert agreed["response_id"].tolist() == result.agreed["response_id"].tolist()
    assert _as_text(agreed[["code"]]).values.tolist() == _as_text(result.agreed[["code"]]).values.tolist()
    for name, frame in (("adjudication_decisions.csv", result.decisions),
                        ("undecided.csv", result.undecided)):
        back = read_csv(folder / name)
        assert back.values.tolist() == _as_text(frame).values.tolist(), name
        rows = _parse((folder / name).read_text("utf-8"))
        assert not [cell for row in rows for cell in row if formula_like(cell)], name


@SLOW
@given(st.lists(RESPONSE, min_size=1, max_size=5, unique=True), st.lists(TEXT, min_size=5, max_size=5))
def test_disagreements_read_back_with_answers_and_memos(tmp_path_factory, units, texts):
    from themeloop.agreement.disagreements import disagreements
    from themeloop.agreement.project import run_agreement
    from themeloop.coding import validate_coding_table

    rows, responses = [], []
    for (rid, qid), text in zip(units, texts):
        responses.append({"response_id": f"{rid}:{qid}", "question": qid, "text": text})
        rows += [{"response_id": f"{rid}:{qid}", "question": qid, "coder": "a@x", "code": "x",
                  "memo": text},
                 {"response_id": f"{rid}:{qid}", "question": qid, "coder": "b@x", "code": "y",
                  "memo": "=" + text}]
    table = validate_coding_table(pd.DataFrame(rows))
    path = tmp_path_factory.mktemp("agr") / "disagreements.csv"
    run_agreement(table, table_path=path, settings={"level": "nominal", "bootstrap": 0, "seed": 1,
                                                     "min_units": 1, "min_prevalence": 0.0},
                  disagreements_out=path, responses=pd.DataFrame(responses))
    want = disagreements(table, pd.DataFrame(responses))
    assert len(_parse(path.read_text("utf-8"))) == len(want) + 1 == len(units) + 1
    assert read_csv(path).values.tolist() == _as_text(want).values.tolist()


@SLOW
@given(st.lists(RESPONSE, min_size=1, max_size=6, unique=True), st.booleans())
def test_assignments_csv_reads_back_with_the_same_ids(units, raw):
    from themeloop.themes.io import assignments_csv

    by_question: dict[str, list[str]] = {}
    for rid, qid in units:
        by_question.setdefault(qid, []).append(f"{rid}:{qid}")
    result = SimpleNamespace(questions={
        qid: SimpleNamespace(response_ids=ids, theme_ids=["-1", "=t"] * len(ids),
                             scores=[None, -0.5] * len(ids)) for qid, ids in by_question.items()})
    text = assignments_csv(result, raw=raw)
    back = read_csv(io.StringIO(text), dtype={"theme_id": str}, raw=True if raw else None)
    assert back["response_id"].tolist() == [r for ids in by_question.values() for r in ids]
    assert set(back["theme_id"]) <= {"-1", "=t"}


@SLOW
@given(st.lists(st.tuples(RESPONSE, TEXT), min_size=1, max_size=5))
def test_pulled_coding_table_reads_back_exactly(rows):
    from themeloop.coding import read_coding_table
    from themeloop.studio.pull import COLUMNS, table_csv

    records = [{"response_id": f"{rid}:{qid}", "question": qid, "coder": "=a@x", "code": "@c",
                "source": "human", "memo": memo, "annotation_id": str(i), "lead_time": -1.5,
                "status": "submitted", "unclear": False, "in_codebook": True}
               for i, ((rid, qid), memo) in enumerate(rows)]
    text = table_csv(records)
    assert len(_parse(text)) == len(records) + 1
    back = read_csv(io.StringIO(text))
    assert list(back.columns) == COLUMNS
    want = pd.DataFrame(records, columns=COLUMNS)
    want["_aid"] = want["annotation_id"].astype(int)
    want = want.sort_values(["question", "response_id", "coder", "_aid"], kind="stable")
    assert back["memo"].tolist() == want["memo"].tolist()
    assert back["response_id"].tolist() == want["response_id"].tolist()
    assert set(back["lead_time"]) == {"-1.5"}
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "coding_table.csv"
        path.write_text(text, encoding="utf-8")
        assert read_coding_table(path)["coder"].tolist() == ["=a@x"] * len(records)


def test_crosstab_group_names_with_carriage_returns_keep_their_columns(tmp_path):
    from themeloop.codebook import Codebook
    from themeloop.merge import build_merged
    from themeloop.merge.crosstab import crosstab
    from themeloop.merge.project import write_crosstab
    from themeloop.survey import Question, load_survey

    path = tmp_path / "s.csv"
    groups = ["charity\rX", "=cmd()", "\uff20g", "b"]
    write_csv(pd.DataFrame({"id": list("1234"), "g": groups, "t": ["money", "time", "x", "y"]}),
              path, raw=True)
    survey = load_survey(path, id_column="id", questions=[Question("q", "t")], attributes=["g"])
    agreed = pd.DataFrame({"response_id": [f"{i}:q" for i in "1234"], "question": "q", "coder": "x",
                           "code": ["c", "", "c", ""]})
    merged = build_merged(survey, agreed, Codebook(questions={"q": {"codes": [{"id": "c", "label": "=C"}]}}))
    result = crosstab(merged, "g", suppress_below=0)
    paths = write_crosstab(result, tmp_path / "out")
    for key, frame in (("csv", result.published()), ("internal", result.internal)):
        rows = _parse(paths[key].read_text(encoding="utf-8"))
        assert len(rows) == len(frame) + 1 == 3
        back = read_csv(paths[key])
        assert list(back.columns) == list(frame.columns)
        assert {f"{g}: n" for g in groups} <= set(back.columns)
        assert back["label"].tolist() == ["respondents coded", "=C"]
        assert not [c for row in rows for c in row if formula_like(c)]
    raw = write_crosstab(result, tmp_path / "raw", raw=True)
    assert "=cmd(): n" in _parse(raw["csv"].read_text(encoding="utf-8"))[0]


def test_ascii_ids_are_written_exactly_as_before():
    frame = pd.DataFrame({"response_id": ["ORG01:barriers"], "n": [1.5], "ok": [True]})
    assert csv_text(frame) == frame.to_csv(index=False, lineterminator="\n")


@pytest.mark.parametrize("module", ["themeloop.safe_csv", "themeloop.merge.xlsx",
                                    "themeloop.merge.exports"])
def test_doctests(module):
    import doctest
    import importlib

    failures, _ = doctest.testmod(importlib.import_module(module))
    assert failures == 0


@SLOW
@given(st.lists(st.tuples(RESPONSE, TEXT), min_size=1, max_size=5))
def test_a_second_pull_rewrites_kept_rows_byte_for_byte(tmp_path_factory, rows):
    """pull re-reads the rows it keeps: no apostrophe may pile up, no id may change."""
    from themeloop.studio.pull import _old_rows, table_csv

    records = [{"response_id": f"{rid}:q", "question": "q", "coder": "@a", "code": "=c",
                "memo": memo, "annotation_id": str(i), "status": "submitted"}
               for i, ((rid, _), memo) in enumerate(rows)]
    text = table_csv(records)
    path = tmp_path_factory.mktemp("pull") / "coding_table.csv"
    path.write_text(text, encoding="utf-8")
    assert table_csv(_old_rows(path, {"q"})) == text


def test_assignments_csv_bytes_match_the_csv_module_for_plain_ids():
    import csv as csv_module

    from themeloop.themes.io import ASSIGNMENT_COLUMNS, assignments_csv

    result = SimpleNamespace(questions={"q": SimpleNamespace(
        response_ids=["R1:q", "R2:q", 'R "3", x:q'], theme_ids=["t1", "-1", "t2"],
        scores=[0.5, None, 0.25])})
    buffer = io.StringIO()
    writer = csv_module.writer(buffer, lineterminator="\n")
    writer.writerow(ASSIGNMENT_COLUMNS)
    writer.writerows([["R1:q", "q", "t1", "1", "0.500000"], ["R2:q", "q", "-1", "1", ""],
                      ['R "3", x:q', "q", "t2", "1", "0.250000"]])
    assert assignments_csv(result) == buffer.getvalue()
