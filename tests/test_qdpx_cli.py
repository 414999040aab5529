"""CLI contracts of export qdpx, codebook export --qdc and codebook import."""

from __future__ import annotations

import zipfile

from _qdpx_fixtures import DATA

from themeloop.codebook import load_codebook


def test_export_qdpx_writes_and_summarises(cli, sample_dir, tmp_path):
    out = tmp_path / "p.qdpx"
    result = cli("export", "qdpx", "--layer", "coders", "--out", out, "--project", sample_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"Wrote {out}: layers coders; 123 answers, 41 cases, 3 users, "
                             "29 codes, 439 codings, 33 memos\n")
    assert zipfile.ZipFile(out).namelist()[0] == "project.qde"


def test_export_qdpx_refuses_an_unknown_layer(cli, sample_dir, tmp_path):
    result = cli("export", "qdpx", "--layer", "coder", "--out", tmp_path / "p.qdpx",
                 "--project", sample_dir)
    assert result.exit_code == 2
    assert result.stderr == ("Error: unknown layer 'coder' (did you mean 'coders'?); use one of "
                             "agreed, coders, model, all\n")


def test_codebook_export_needs_a_format(cli, sample_dir):
    result = cli("codebook", "export", "--project", sample_dir)
    assert result.exit_code == 2
    assert result.stderr == "Error: choose the format to export: --qdc (REFI-QDA codebook exchange)\n"


def test_qdc_export_then_import_gives_the_same_codebook(cli, sample_dir, tmp_path):
    qdc = tmp_path / "codebook.qdc"
    result = cli("codebook", "export", "--qdc", "--out", qdc, "--project", sample_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {qdc}\n"
    target = tmp_path / "codebook.yaml"
    result = cli("codebook", "import", qdc, "--out", target, "--project", sample_dir)
    assert result.exit_code == 0, result.output
    assert load_codebook(target) == load_codebook(sample_dir / "codebook.yaml")
    again = cli("codebook", "import", qdc, "--out", target, "--project", sample_dir)
    assert again.exit_code == 2
    assert again.stderr == (f"Error: {target}: already exists; pass --force to replace it, or "
                            "--out another file\n")
    assert cli("codebook", "import", qdc, "--out", target, "--force").exit_code == 0


def test_a_foreign_qdc_lands_in_the_question_given(cli, tmp_path):
    target = tmp_path / "codebook.yaml"
    result = cli("codebook", "import", DATA / "annex_a1.qdc", "--out", target,
                 "--question", "politics")
    assert result.exit_code == 0, result.output
    assert "Note: 2 non-codable folder code(s) became ordinary codes" in result.stderr
    codes = load_codebook(target).codes("politics")
    assert [(c.id, c.parent) for c in codes] == [
        ("topics", None), ("economy", "topics"), ("health_care", "topics"), ("values", None),
        ("conservatives", None), ("liberals", None)]
    assert codes[1].description == "Anything about jobs or taxes or business"
