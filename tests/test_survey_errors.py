"""Every bad survey input gives one exact line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

TOML = """
[survey]
path = "{path}"
id = "{id}"

[[questions]]
id = "barriers"
column = "{column}"
"""


def project(tmp_path: Path, survey: str, content: bytes | None, id_col="id", column="barriers") -> Path:
    if content is not None:
        (tmp_path / survey).write_bytes(content)
    (tmp_path / "themeloop.toml").write_text(TOML.format(path=survey, id=id_col, column=column))
    return tmp_path


GOOD = b"id,org,barriers\nA1,la,Lack of funding\nA2,charity,No staff time\n"


@pytest.mark.parametrize(
    "survey, content, id_col, column, message",
    [
        ("survey.csv", None, "id", "barriers",
         "{dir}/survey.csv: file not found; check the path or survey.path in themeloop.toml"),
        ("survey.txt", GOOD, "id", "barriers",
         "{dir}/survey.txt: unsupported file type '.txt'; use one of .csv, .xlsx, .sav, .dta, .parquet"),
        ("survey.csv", b"", "id", "barriers", "{dir}/survey.csv: file is empty"),
        ("survey.csv", b"id,org,barriers\n", "id", "barriers",
         "{dir}/survey.csv: file has no data rows; a survey needs a header row and answers"),
        ("survey.csv", GOOD, "ID_", "barriers",
         "{dir}/survey.csv: no id column 'ID_' (did you mean 'id'?); columns are: id, org, barriers"),
        ("survey.csv", GOOD, "id", "barrier",
         "{dir}/survey.csv: no question 'barriers' column 'barrier' (did you mean 'barriers'?); "
         "columns are: id, org, barriers"),
        ("survey.csv", b"id,barriers\nA1,x y\nA2,y z\nA1,z w\nA2,w v\nA3,v u\n", "id", "barriers",
         "{dir}/survey.csv: column 'id' has duplicate ids: 'A1' (rows 2 and 4), 'A2' (rows 3 and 5); "
         "ids must be unique"),
        ("survey.csv", b"id,barriers\nA1,x y\n ,y z\n", "id", "barriers",
         "{dir}/survey.csv: column 'id' has an empty id at row 3; every respondent needs a unique id"),
        ("survey.csv", b"id,barriers\nA1,1\nA2,2.5\nA3,\n", "id", "barriers",
         "{dir}/survey.csv: question column 'barriers' holds only numbers, not text; "
         "choose a free-text column"),
    ],
    ids=["missing", "extension", "empty", "header-only", "unknown-id", "unknown-question",
         "duplicate-ids", "empty-id", "not-text"],
)
def test_bad_survey_input(cli, tmp_path, survey, content, id_col, column, message):
    folder = project(tmp_path, survey, content, id_col, column)
    result = cli("inspect", "--project", folder)
    assert result.exit_code == 2
    assert result.stderr == "Error: " + message.format(dir=folder.resolve()) + "\n"
    assert result.stdout == ""


def test_numeric_question_column_in_parquet(cli, tmp_path):
    import pandas as pd

    pd.DataFrame({"id": ["a", "b"], "barriers": [1.0, 2.0]}).to_parquet(tmp_path / "s.parquet")
    folder = project(tmp_path, "s.parquet", None)
    result = cli("inspect", "--project", folder)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {folder.resolve()}/s.parquet: question column 'barriers' holds numbers (float64), "
        "not text; choose a free-text column\n"
    )


def test_unknown_config_key_suggests_nearest(cli, tmp_path):
    project(tmp_path, "survey.csv", GOOD)
    toml = tmp_path / "themeloop.toml"
    toml.write_text(toml.read_text().replace('id = "id"', 'id = "id"\natributes = ["org"]'))
    result = cli("inspect", "--project", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {toml.resolve()}: unknown key 'survey.atributes' (did you mean 'attributes'?)\n"
    )


def test_missing_project(cli, tmp_path):
    result = cli("inspect", "--project", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'nope'}: no such project folder or file; "
        "pass the folder holding themeloop.toml\n"
    )


def test_debug_shows_traceback(tmp_path):
    import subprocess
    import sys

    folder = project(tmp_path, "survey.csv", None)
    plain = subprocess.run([sys.executable, "-m", "themeloop", "inspect", "-p", folder],
                           capture_output=True, text=True)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    debug = subprocess.run([sys.executable, "-m", "themeloop", "--debug", "inspect", "-p", folder],
                           capture_output=True, text=True)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "SurveyError" in debug.stderr


@pytest.mark.parametrize("section, line, message", [
    ("themes", "max_themes = 0", "'themes.max_themes': 0 is out of range; allowed: 1 or more"),
    ("themes", "merge_similarity = -3",
     "'themes.merge_similarity': -3 is out of range; allowed: 0 to 1"),
    ("themes", "min_similarity = 1.5",
     "'themes.min_similarity': 1.5 is out of range; allowed: -1 to 1"),
    ("studio", "port = 70000", "'studio.port': 70000 is out of range; allowed: 1 to 65535"),
    ("studio", "coders = 0",
     "'studio.coders': 0 is out of range; allowed: 1 or more (or a list of e-mails)"),
    ("agreement", "min_prevalence = 0.9",
     "'agreement.min_prevalence': 0.9 is out of range; allowed: 0 to 0.5"),
    ("adjudication", "min_coders = 0",
     "'adjudication.min_coders': 0 is out of range; allowed: 1 or more"),
    ("crosstab", "suppress_below = -1",
     "'crosstab.suppress_below': -1 is out of range; allowed: 0 or more"),
    ("themes", 'max_themes = "many"', "'themes.max_themes': Input should be a valid integer, "
     "unable to parse string as an integer (got 'many')"),
])
def test_config_range_checked_when_loading(cli, tmp_path, section, line, message):
    project(tmp_path, "survey.csv", GOOD)
    toml = tmp_path / "themeloop.toml"
    toml.write_text(toml.read_text() + f"\n[{section}]\n{line}\n")
    result = cli("inspect", "--project", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {toml.resolve()}: bad value for {message}\n"


def test_config_range_error_keeps_did_you_mean(cli, tmp_path):
    project(tmp_path, "survey.csv", GOOD)
    toml = tmp_path / "themeloop.toml"
    toml.write_text(toml.read_text() + "\n[themes]\nmax_theme = 0\n")
    result = cli("inspect", "--project", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {toml.resolve()}: unknown key 'themes.max_theme' "
                             "(did you mean 'max_themes'?)\n")


def test_duplicated_header_exits_2_naming_both_columns(cli, tmp_path):
    folder = project(tmp_path, "survey.csv", b"id,barriers,org,barriers\nA1,x y,la,z w\n")
    result = cli("inspect", "--project", folder)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {folder.resolve()}/survey.csv: columns 2 and 4 are both "
                             "named 'barriers'; rename one so that every column has its own name\n")


def test_control_bytes_are_escaped_in_errors(cli, tmp_path):
    folder = project(tmp_path, "survey.csv", b"id,bar\x00riers\x1b[31m\nA1,x y\n", column="barriers")
    result = cli("inspect", "--project", folder)
    assert result.exit_code == 2
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr
    assert result.stderr == (
        f"Error: {folder.resolve()}/survey.csv: no question 'barriers' column 'barriers' (did you "
        "mean 'bar\\x00riers\\x1b[31m'?); columns are: id, bar\\x00riers\\x1b[31m\n")


def test_utf16_survey_is_read_by_its_bom(cli, tmp_path):
    folder = project(tmp_path, "survey.csv", GOOD.decode().encode("utf-16"))
    result = cli("inspect", "--project", folder, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"respondents": 2' in result.stdout


def _xlsx(path, rows, merge=()):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    for row in rows:
        book.active.append(row)
    for cells in merge:
        book.active.merge_cells(cells)
    book.save(path)


def test_formula_id_exits_2(cli, tmp_path):
    folder = project(tmp_path, "survey.xlsx", None)
    _xlsx(folder / "survey.xlsx", [["id", "barriers"], ["A1", "x y"], ["=A2&\"b\"", "z w"]])
    result = cli("inspect", "--project", folder)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {folder.resolve()}/survey.xlsx: sheet 'Sheet1': id column 'id' holds formulas "
        "(A3); ids must be typed values: copy the column and paste it as values\n")


def test_strict_turns_xlsx_warnings_into_errors(cli, tmp_path):
    folder = project(tmp_path, "survey.xlsx", None)
    _xlsx(folder / "survey.xlsx", [["id", "barriers"], ["A1", "x y"], ["A2", ""], ["A3", "z"]],
          merge=["B2:B3"])
    assert cli("inspect", "--project", folder).exit_code == 0
    result = cli("inspect", "--project", folder, "--strict")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {folder.resolve()}/survey.xlsx: sheet 'Sheet1': merged cells B2:B3 are read as "
        "one value in the top-left cell and blanks in the others; unmerge them and fill every "
        "cell\n")


def test_cli_prints_input_warnings_as_one_escaped_line(tmp_path):
    import subprocess
    import sys

    folder = project(tmp_path, "survey.xlsx", None)
    _xlsx(folder / "survey.xlsx", [["id", "barriers"], ["A1", "x y"], ["A2", ""], ["A3", "z"]],
          merge=["B2:B3"])
    done = subprocess.run([sys.executable, "-m", "themeloop", "inspect", "-p", folder],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"Warning: {folder.resolve()}/survey.xlsx: sheet 'Sheet1': merged cells B2:B3 are read "
        "as one value in the top-left cell and blanks in the others; unmerge them and fill "
        "every cell\n")
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "s\x1b[2J.csv").write_bytes("id,barriers\nA1,Café cuts\n".encode("cp1252"))
    (odd / "themeloop.toml").write_text(TOML.format(path="s\\u001b[2J.csv", id="id",
                                                    column="barriers"))
    done = subprocess.run([sys.executable, "-m", "themeloop", "inspect", "-p", odd],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr
    assert done.stderr == (f"Warning: {odd.resolve()}/s\\x1b[2J.csv: not valid UTF-8; read as "
                           "cp1252 (Windows-1252). Set survey.encoding in themeloop.toml (ad hoc: "
                           "--encoding) if that is wrong.\n")
