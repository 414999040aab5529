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
