"""No row is ever dropped, reordered or duplicated, whatever the text holds.

Random unicode answers (newlines, quotes, commas, emoji, formula prefixes) are
written as CSV, XLSX and SPSS .sav by ordinary tools, read back by
themeloop.survey, and must come back with every row and id intact.
"""

from __future__ import annotations

import pandas as pd
import pyreadstat
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from themeloop.survey import Question, load_survey

# Text a survey tool could export: any printable unicode (emoji included),
# plus newlines, quotes, commas and formula prefixes. XML (XLSX) cannot hold
# control characters, so those are left out.
answer_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
answers = st.one_of(
    st.text(answer_chars | st.sampled_from(["\n", '"', ",", "'", "😀", "é", ";"]), max_size=80),
    st.builds(lambda p, t: p + t, st.sampled_from(["=", "+", "@", "-", "=HYPERLINK("]),
              st.text(answer_chars, max_size=30)),
    st.sampled_from(["N/A", "nan", "NULL", "", "  ", "None", "1,000", "0012"]),
)
ids = st.lists(
    st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=8),
    min_size=1, max_size=25, unique_by=str.casefold,
)

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def surveys(draw):
    row_ids = draw(ids)
    texts = draw(st.lists(answers, min_size=len(row_ids), max_size=len(row_ids)))
    # A column of nothing but numbers is refused as "not text" (tested elsewhere).
    assume(not all(_number(t) for t in texts if t.strip()))
    return pd.DataFrame({"id": row_ids, "answer": texts})


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load(path):
    return load_survey(path, id_column="id", questions=[Question("q", "answer")])


def check(survey, frame, *, rstrip=False):
    assert survey.ids == list(frame["id"])
    got = list(survey.frame["answer"].fillna(""))
    want = list(frame["answer"])
    if rstrip:  # SPSS pads strings to a fixed width, so trailing spaces are not data
        got, want = [g.rstrip() for g in got], [w.rstrip() for w in want]
    assert got == want
    responses = survey.responses()
    assert list(responses["response_id"]) == [f"{i}:q" for i in frame["id"]]
    assert responses["response_id"].is_unique


@SETTINGS
@given(frame=surveys())
def test_csv_round_trip(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("csv") / "s.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    check(load(path), frame)


@SETTINGS
@given(frame=surveys())
def test_csv_with_bom_round_trip(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("bom") / "s.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    survey = load(path)
    assert survey.data.encoding == "utf-8-sig"
    check(survey, frame)


@SETTINGS
@given(frame=surveys())
def test_xlsx_round_trip(tmp_path_factory, frame):
    import openpyxl

    path = tmp_path_factory.mktemp("xlsx") / "s.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "answer"])
    for row in frame.itertuples(index=False):
        sheet.append([row.id, row.answer])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # text cells, as a survey tool exports them: never formulas
    book.save(path)
    check(load(path), frame)


@SETTINGS
@given(frame=surveys())
def test_sav_round_trip(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("sav") / "s.sav"
    pyreadstat.write_sav(frame, str(path))
    check(load(path), frame, rstrip=True)
