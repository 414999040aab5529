"""Reading and validating coding tables: exact one-line errors naming file, column and row."""

from __future__ import annotations

import pandas as pd
import pytest

from themeloop.coding import assignments_to_coding, read_coding_table, validate_coding_table
from themeloop.errors import CodingTableError

GOOD = "response_id,question,coder,code\nr1:q,q,a@x.org,cost\nr1:q,q,b@x.org,\n"


def _write(tmp_path, text: str, name: str = "codes.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_a_good_table_with_empty_codes(tmp_path):
    table = read_coding_table(_write(tmp_path, GOOD))
    assert table.columns[:4].tolist() == ["response_id", "question", "coder", "code"]
    assert table["code"].tolist() == ["cost", ""]


def test_missing_question_column_means_all(tmp_path):
    table = read_coding_table(_write(tmp_path, "response_id,coder,code\nr1,a,x\n"))
    assert table["question"].tolist() == ["all"]


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"response_id": ["r1"], "question": ["q"], "coder": ["a"],
                          "code": [None]})
    path = tmp_path / "codes.parquet"
    frame.to_parquet(path)
    assert read_coding_table(path)["code"].tolist() == [""]


@pytest.mark.parametrize(("text", "message"), [
    ("response_id,question,coder\nr1,q,a\n",
     ("{path}: missing required column 'code'; a coding table needs response_id, question, "
      "coder, code")),
    ("response_id,question,coders,code\nr1,q,a,x\n",
     ("{path}: missing required column 'coder' (did you mean 'coders'?); a coding table needs "
      "response_id, question, coder, code")),
    ("response_id,question,coder,code\nr1,q,a,x\nr2,q,,x\n",
     "{path}: row 3: column 'coder' is empty; every row needs a coder"),
    ("response_id,question,coder,code,source\nr1,q,a,x,humna\n",
     ("{path}: row 2: column 'source' has 'humna' (did you mean 'human'?); allowed: human, "
      "model, adjudication or empty")),
    ("response_id,question,coder,code,status\nr1,q,a,x,done\n",
     "{path}: row 2: column 'status' has 'done'; allowed: submitted, skipped, cancelled or empty"),
])
def test_errors_name_file_column_and_row(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(CodingTableError) as err:
        read_coding_table(path)
    assert str(err.value) == message.format(path=path)


def test_missing_file_and_bad_format(tmp_path):
    with pytest.raises(CodingTableError, match="no such coding table"):
        read_coding_table(tmp_path / "nope.csv")
    with pytest.raises(CodingTableError, match="unsupported coding-table format '.xlsx'"):
        read_coding_table(_write(tmp_path, "x", "codes.xlsx"))


def test_validate_in_memory_counts_rows_from_one():
    frame = pd.DataFrame({"response_id": ["r1", ""], "question": "q", "coder": "a", "code": "x"})
    with pytest.raises(CodingTableError, match="^coding table: row 2: column 'response_id'"):
        validate_coding_table(frame)


def test_assignments_to_coding():
    a = pd.DataFrame({"response_id": ["r1:q", "r2:q", "r3:q", "r3:q"], "question": "q",
                      "theme_id": ["cost", "unassigned", "staff", "unassigned"],
                      "score": [0.9, 0.0, 0.5, 0.0]})
    table = assignments_to_coding(a, coder="bertopic")
    assert table[["response_id", "coder", "code", "source"]].values.tolist() == [
        ["r1:q", "bertopic", "cost", "model"], ["r2:q", "bertopic", "", "model"],
        ["r3:q", "bertopic", "staff", "model"]]
    with pytest.raises(CodingTableError, match="missing column 'theme_id'"):
        assignments_to_coding(a.drop(columns="theme_id"))


VARIANTS = ("response_id,question,coder,code\nA:q,q,a,Funding\nA:q,q,b,funding\n"
            "B:q,q,a,Staff  leave\nB:q,q,b,staff leave\nC:q,q,a,risk\nC:q,q,b,risk\n"
            "D:p,p,a,Funding\nD:p,p,b,risk\n")


def test_codes_differing_only_in_case_or_spacing_warn_per_question(tmp_path):
    import warnings

    from themeloop.errors import CodeVariantWarning

    path = _write(tmp_path, VARIANTS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_coding_table(path)
    assert [str(w.message) for w in caught if w.category is CodeVariantWarning] == [
        f"{path}: question 'q': codes 'Funding' (row 2) and 'funding' (row 3) differ only in case "
        "or spacing and count as different codes; write each code one way",
        f"{path}: question 'q': codes 'Staff  leave' (row 4) and 'staff leave' (row 5) differ only "
        "in case or spacing and count as different codes; write each code one way",
    ]
    assert table["code"].tolist()[:2] == ["Funding", "funding"]  # kept as written


def test_agreement_strict_stops_on_code_variants(cli, tmp_path):
    path = _write(tmp_path, VARIANTS)
    result = cli("agreement", path, "--bootstrap", "0", "--strict")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: question 'q': codes 'Funding' (row 2) and 'funding' (row 3) differ only "
        "in case or spacing and count as different codes; write each code one way\n")
    assert cli("agreement", path, "--bootstrap", "0").exit_code == 0
