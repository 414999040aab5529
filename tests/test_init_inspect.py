"""`themeloop init` guesses columns; `themeloop inspect` summarises the sample."""

from __future__ import annotations

import json
import shutil

import pytest

from themeloop.config import read_config


def test_inspect_sample_json(cli, sample_dir):
    result = cli("inspect", "--project", sample_dir, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 41 and summary["respondents"] == 41
    assert list(summary["questions"]) == ["barriers", "practice", "radical"]
    for q in summary["questions"].values():
        assert q["answers"] + q["non_substantive"] == 41
        assert q["median_words"] > 4
    assert sum(q["duplicates"] for q in summary["questions"].values()) == 1
    assert summary["attributes"]["org_type"] == {
        "local authority": 19, "independent fostering agency": 9, "charity": 7,
        "voluntary adoption agency": 6}


def test_inspect_sample_table(cli, sample_dir):
    result = cli("inspect", "--project", sample_dir)
    assert result.exit_code == 0
    assert "41 rows, 41 respondents" in result.stdout
    for qid in ("barriers", "practice", "radical"):
        assert qid in result.stdout


def test_init_guesses_sample_columns(cli, sample_dir, tmp_path):
    shutil.copy(sample_dir / "survey.csv", tmp_path / "survey.csv")
    result = cli("init", tmp_path / "survey.csv")
    assert result.exit_code == 0, result.output
    config = read_config(tmp_path / "themeloop.toml")
    assert config.survey.id == "org_id"
    assert [q.column for q in config.questions] == ["barriers_text", "practice_text", "radical_text"]
    assert [q.id for q in config.questions] == ["barriers_text", "practice_text", "radical_text"]
    assert config.survey.attributes[:1] == ["org_type"]
    assert {"innovation_level", "encourage_radical"} <= set(config.survey.attributes)
    assert "id column:  org_id" in result.stdout
    # The project it wrote works as it is.
    again = cli("inspect", "--project", tmp_path, "--json")
    assert json.loads(again.stdout)["respondents"] == 41


def test_init_refuses_to_overwrite(cli, tmp_path):
    (tmp_path / "s.csv").write_text("id,text\n1,some long answer here\n2,another longer answer there\n")
    assert cli("init", tmp_path / "s.csv").exit_code == 0
    result = cli("init", tmp_path / "s.csv")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'themeloop.toml'}: already exists; use --force to overwrite it\n")
    assert cli("init", tmp_path / "s.csv", "--force").exit_code == 0


@pytest.mark.parametrize("suffix", [".xlsx", ".sav", ".dta", ".parquet"])
def test_init_and_inspect_every_format(cli, sample_dir, tmp_path, suffix):
    import pandas as pd
    import pyreadstat

    frame = pd.read_csv(sample_dir / "survey.csv", dtype=str, keep_default_na=False)
    path = tmp_path / f"survey{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    elif suffix == ".dta":  # Stata names hold at most 32 characters
        frame.columns = [c.replace("challenge_adolescent_", "challenge_adol_") for c in frame.columns]
        pyreadstat.write_dta(frame, str(path))
    else:
        (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(path))
    assert cli("init", path).exit_code == 0
    summary = json.loads(cli("inspect", "--project", tmp_path, "--json").stdout)
    assert summary["respondents"] == 41
    assert len(summary["questions"]) == 3


def test_inspect_ad_hoc_matches_the_project_summary(cli, sample_dir):
    project = json.loads(cli("inspect", "--project", sample_dir, "--json").stdout)
    result = cli("inspect", sample_dir / "survey.csv", "--id-column", "org_id",
                 "--text-column", "barriers_text", "--text-column", "radical_text",
                 "--attribute", "org_type", "--json")
    assert result.exit_code == 0, result.output
    adhoc = json.loads(result.stdout)
    assert list(adhoc["questions"]) == ["barriers_text", "radical_text"]
    for qid, column in (("barriers", "barriers_text"), ("radical", "radical_text")):
        expected = {**project["questions"][qid], "prompt": ""}
        assert adhoc["questions"][column] == expected
    assert adhoc["attributes"] == {"org_type": project["attributes"]["org_type"]}
    assert (adhoc["rows"], adhoc["respondents"]) == (41, 41)


def test_inspect_ad_hoc_encoding(cli, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_bytes("id,answer,org\nA,Café budget,la\nB,N/A,charity\n".encode("utf-16-le"))
    result = cli("inspect", path, "--id-column", "id", "--text-column", "answer", "--json")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: has many NUL bytes, so it is probably UTF-16 or UTF-32 without a "
        "byte-order mark; pass --encoding utf-16-le (or set survey.encoding), or save it as UTF-8\n")
    result = cli("inspect", path, "--id-column", "id", "--text-column", "answer",
                 "--attribute", "org", "--encoding", "utf-16-le", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["questions"]["answer"]["answers"] == 1
    assert summary["questions"]["answer"]["non_substantive"] == 1
    assert summary["attributes"] == {"org": {"la": 1, "charity": 1}}


@pytest.mark.parametrize("args, message", [
    (("inspect", "{f}", "--id-column", "id"),
     "ad hoc mode ({f}) needs --id-column and --text-column"),
    (("inspect", "-p", "{d}", "--encoding", "utf-16"),
     "--encoding works only with a FILE (ad hoc mode); a project takes these from themeloop.toml"),
    (("inspect", "-p", "{d}", "--id-column", "id", "--text-column", "b"),
     "--id-column, --text-column work only with a FILE (ad hoc mode); a project takes these "
     "from themeloop.toml"),
    (("themes", "-p", "{d}", "--encoding", "utf-16"),
     "--encoding works only with a FILE (ad hoc mode); a project takes these from themeloop.toml"),
    (("themes", "{f}", "--id-column", "id", "--text-column", "b", "--encoding", "utf-9"),
     "{f}: unknown encoding 'utf-9'; use e.g. utf-8, cp1252, latin-1 or utf-16"),
    (("inspect", "{f}", "--id-column", "id", "--text-column", "c"),
     "{f}: no question 'c' column 'c'; columns are: id, b"),
])
def test_ad_hoc_option_errors(cli, tmp_path, args, message):
    (tmp_path / "s.csv").write_text("id,b\nA,x y\n")
    (tmp_path / "themeloop.toml").write_text(
        '[survey]\npath = "s.csv"\nid = "id"\n\n[[questions]]\nid = "b"\ncolumn = "b"\n')
    fill = {"f": tmp_path / "s.csv", "d": tmp_path}
    result = cli(*[a.format(**fill) for a in args])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message.format(**fill)}\n"


def test_init_with_encoding_writes_it_for_later_commands(cli, tmp_path):
    path = tmp_path / "survey.csv"
    rows = [f"R{i},{'Funding cuts and staff shortages mean less time' if i % 2 else 'No'} {i}"
            for i in range(12)]
    path.write_bytes(("id,answer\n" + "\n".join(rows) + "\n").encode("utf-16-be"))
    result = cli("init", path, "--encoding", "utf-16-be")
    assert result.exit_code == 0, result.output
    assert read_config(tmp_path / "themeloop.toml").survey.encoding == "utf-16-be"
    summary = json.loads(cli("inspect", "-p", tmp_path, "--json").stdout)
    assert summary["rows"] == 12
