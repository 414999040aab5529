"""CLI contracts: help text everywhere, fast start-up, --version."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import themeloop

HEAVY = ["pandas", "numpy", "torch", "bertopic", "sentence_transformers", "label_studio_sdk",
         "scipy", "sklearn", "spacy", "pyreadstat", "statsmodels", "jinja2", "pydantic"]


def _all_commands():
    from typer.main import get_command

    from themeloop.cli.app import app

    root = get_command(app)
    stack = [((), root)]
    while stack:
        path, cmd = stack.pop()
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            stack.append(((*path, name), sub))


def test_every_command_has_help_text():
    missing = [" ".join(path) for path, cmd in _all_commands() if path and not (cmd.help or "").strip()]
    assert missing == []


def test_every_command_answers_help(cli):
    for path, _ in _all_commands():
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_help_imports_nothing_heavy():
    """`themeloop --help` must start fast: heavy libraries load inside commands only."""
    code = ("import sys; from themeloop.cli.app import app; "
            "import json; print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert [m for m in HEAVY if m in loaded] == []


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"themeloop {themeloop.__version__}\n"


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def _project(tmp_path):
    (tmp_path / "survey.csv").write_text("id,b\nA1,Lack of funding\nA2,No staff time\n")
    (tmp_path / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "id"\n\n[[questions]]\nid = "b"\ncolumn = "b"\n')
    (tmp_path / "codes.csv").write_text("response_id,question,coder,code\nA1:b,b,x,cost\n")
    (tmp_path / "a_file.txt").write_text("not a folder\n")
    (tmp_path / "a_dir").mkdir()
    return tmp_path


OUT_FILE = "--out {p}/a_file.txt: is a file, not a folder; give a folder (it is created if missing)"


@pytest.mark.parametrize("args, message", [
    (("run", "-p", "{p}", "--out", "{p}/a_file.txt"), OUT_FILE),
    (("merge", "-p", "{p}", "--out", "{p}/a_file.txt"), OUT_FILE),
    (("crosstab", "-p", "{p}", "--by", "b", "--out", "{p}/a_file.txt"), OUT_FILE),
    (("report", "-p", "{p}", "--out", "{p}/a_file.txt"), OUT_FILE),
    (("adjudicate", "--codes", "{p}/codes.csv", "--out", "{p}/a_file.txt"), OUT_FILE),
    (("themes", "{p}/survey.csv", "--id-column", "id", "--text-column", "b", "--out",
      "{p}/a_file.txt"), OUT_FILE),
    (("agreement", "{p}/codes.csv", "--json", "{p}/a_dir"),
     "--json {p}/a_dir: is a folder, not a file; give a file name such as "
     "{p}/a_dir/agreement.json"),
    (("agreement", "{p}/codes.csv", "--json", "{p}/x.json", "--csv", "{p}/a_dir"),
     "--csv {p}/a_dir: is a folder, not a file; give a file name such as {p}/a_dir/agreement.csv"),
    (("agreement", "{p}/codes.csv", "--disagreements", "{p}/a_file.txt/d.csv"),
     "--disagreements {p}/a_file.txt/d.csv: {p}/a_file.txt is a file, so no folder can be made "
     "there; give another path"),
    (("adjudicate", "--codes", "{p}/codes.csv", "--out", "{p}/a_dir"),
     None),  # a folder is fine: the check passes and adjudication runs
    (("adjudicate", "--codes", "{p}/codes.csv", "--out", "{p}/a_dir.csv/"), None),
    (("init", "{p}/survey.csv", "--out", "{p}/a_dir"),
     "--out {p}/a_dir: is a folder, not a file; give a file name such as "
     "{p}/a_dir/themeloop.toml"),
    (("export", "qdpx", "-p", "{p}", "--out", "{p}/a_dir"),
     "--out {p}/a_dir: is a folder, not a file; give a file name such as {p}/a_dir/project.qdpx"),
    (("import", "qdpx", "{p}/codes.csv", "--out", "{p}/a_dir"),
     "--out {p}/a_dir: is a folder, not a file; give a file name such as "
     "{p}/a_dir/coding_table.csv"),
    (("import", "qdpx", "{p}/codes.csv", "--codebook-out", "{p}/a_dir"),
     "--codebook-out {p}/a_dir: is a folder, not a file; give a file name such as "
     "{p}/a_dir/codebook.yaml"),
    (("codebook", "export", "--qdc", "-p", "{p}", "--out", "{p}/a_dir"),
     "--out {p}/a_dir: is a folder, not a file; give a file name such as {p}/a_dir/codebook.qdc"),
    (("codebook", "import", "{p}/codes.csv", "-p", "{p}", "--out", "{p}/a_dir"),
     "--out {p}/a_dir: is a folder, not a file; give a file name such as "
     "{p}/a_dir/codebook.yaml"),
], ids=["run", "merge", "crosstab", "report", "adjudicate", "themes-adhoc", "agreement-json",
        "agreement-csv", "agreement-disagreements", "adjudicate-dir-ok", "adjudicate-csv-ok",
        "init", "export-qdpx", "import-qdpx", "import-qdpx-codebook", "codebook-export",
        "codebook-import"])
def test_output_paths_are_checked_before_any_work(cli, tmp_path, args, message):
    p = _project(tmp_path)
    before = sorted(x.name for x in p.rglob("*"))
    result = cli(*[a.format(p=p) for a in args])
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: {message.format(p=p)}\n"
    assert sorted(x.name for x in p.rglob("*")) == before  # nothing written, not even a folder


def test_output_path_under_read_only_folder(cli, tmp_path):
    import os

    p = _project(tmp_path)
    locked = p / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # running as root: permissions do not bind
            return
        result = cli("agreement", p / "codes.csv", "--json", locked / "new" / "a.json")
        assert result.exit_code == 2
        assert result.stderr == (f"Error: --json {locked}/new/a.json: cannot write in {locked} "
                                 "(permission denied); give another path\n")
    finally:
        locked.chmod(0o700)


def test_run_removes_stale_temporaries_of_a_killed_run_first(cli, tmp_path):
    import os
    import time

    p = _project(tmp_path)
    stale = [p / "out" / ".coded.csv.k1ll3d_x.tmp", p / "annotations" / ".coding_table.csv.abcdefgh.tmp",
             p / ".codebook.yaml.zzzzzzzz.tmp"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half")
        os.utime(path, (time.time() - 30, time.time() - 30))
    result = cli("run", "-p", p)  # stops at load (no coding table), after the sweep
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "no coding table" in result.stderr
    assert [path.exists() for path in stale] == [False, False, False]
