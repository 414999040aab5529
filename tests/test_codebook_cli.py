"""CLI contract of `themeloop codebook check|show|diff`: exact output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themeloop.cli.app import app
from themeloop.codebook import Codebook, save_codebook


def code(cid: str, **kw) -> dict:
    return {"id": cid, "label": cid.title(), "description": f"About {cid}.", **kw}


V1 = Codebook(version="1.0", questions={
    "barriers": {"codes": [code("funding"), code("grants", parent="funding"), code("staff"),
                           code("time")]},
    "practice": {"codes": [code("remote")]},
})
V2 = Codebook(version="2.0", questions={
    "barriers": {"codes": [code("money", replaces=["funding", "grants"]),
                           code("workforce", replaces=["staff"]), code("demand")]},
    "practice": {"codes": [code("remote", label="Remote delivery")]},
})


def run(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "survey.csv").write_text("id,b,p\n1,x,y\n", encoding="utf-8")
    (tmp_path / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "id"\n\n'
        '[[questions]]\nid = "barriers"\ncolumn = "b"\n\n'
        '[[questions]]\nid = "practice"\ncolumn = "p"\n\n'
        '[paths]\ncodebook = "codes/cb.yaml"\n', encoding="utf-8")
    save_codebook(V1, tmp_path / "codes" / "cb.yaml")
    return tmp_path


def test_check_ok_on_project_codebook(project):
    assert run("codebook", "check", "-p", project) == (
        0, "OK: 5 codes in 2 questions (version 1.0)\n", "")


def test_check_lists_problems_and_exits_2(tmp_path):
    path = tmp_path / "cb.yaml"
    save_codebook(Codebook(version="3", questions={"q": {"codes": [
        code("a", description=""), code("a"), code("b", label="A")]}}), path)
    rc, out, err = run("codebook", "check", path)
    assert rc == 2 and err == ""
    assert out.splitlines() == [
        ("error: question 'q', code 'a': no description; say what the code means so coders apply "
        "it the same way"),
        "error: question 'q', code 'a': id used by 2 codes; ids must be unique within a question",
        ("warning: question 'q', code 'a': label 'A' is shared with another code; coders cannot "
        "tell them apart"),
        ("warning: question 'q', code 'a': label 'A' is shared with another code; coders cannot "
        "tell them apart"),
        ("warning: question 'q', code 'b': label 'A' is shared with another code; coders cannot "
        "tell them apart"),
    ]


def test_check_warnings_only_still_ok(tmp_path):
    path = tmp_path / "cb.yaml"
    save_codebook(Codebook(version="1", questions={"q": {"codes": [code("a", label="")]}}), path)
    assert run("codebook", "check", path) == (
        0, ("warning: question 'q', code 'a': no label; coders will see the id\n"
           "OK: 1 code in 1 question (version 1)\n"), "")


def test_check_unknown_key(tmp_path):
    path = tmp_path / "cb.yaml"
    path.write_text("version: 1\nquestions:\n  q:\n    codes:\n      - id: a\n        label: A\n"
                    "        descripton: x\n", encoding="utf-8")
    assert run("codebook", "check", path) == (
        2, (f"error: {path}: unknown key 'questions.q.codes[0].descripton' "
           "(did you mean 'description'?)\n"), "")


def test_check_against_project_questions(project):
    cb = Codebook(version="1", questions={"barrier": {"codes": [code("a")]}})
    save_codebook(cb, project / "codes" / "cb.yaml")
    rc, out, _ = run("codebook", "check", "--project", project)
    assert rc == 2
    assert out.splitlines() == [
        ("error: question 'barrier' is not a question of the project (did you mean 'barriers'?); "
        "project questions are: barriers, practice"),
        "warning: project question 'barriers' has no codes in the codebook",
        "warning: project question 'practice' has no codes in the codebook",
    ]


def test_check_missing_file_is_an_error(tmp_path):
    missing = tmp_path / "none.yaml"
    assert run("codebook", "check", missing) == (
        2, "", (f"Error: {missing}: no such codebook; write one (themeloop themes drafts one) "
               "or pass its path\n"))


def test_check_without_project_or_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run("codebook", "check")
    assert rc == 2 and out == ""
    assert err.startswith("Error: no themeloop.toml in ")


def test_show_tree(project):
    rc, out, err = run("codebook", "show", "-p", project)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "codebook version 1.0"
    assert "└── practice (1 code)" in lines
    assert "├── barriers (4 codes)" in lines
    funding = next(i for i, line in enumerate(lines) if "funding  Funding" in line)
    grants = next(i for i, line in enumerate(lines) if "grants  Grants" in line)
    assert grants > funding
    assert lines[grants].index("grants") > lines[funding].index("funding")  # nested deeper


def test_show_one_question(project):
    rc, out, _ = run("codebook", "show", project / "codes" / "cb.yaml", "--question", "practice")
    assert rc == 0
    assert "barriers" not in out and "remote  Remote" in out


def test_show_unknown_question(project):
    assert run("codebook", "show", "-p", project, "-q", "practise") == (
        2, "", ("Error: the codebook (version 1.0) has no question 'practise' (did you mean "
               "'practice'?); its questions are: barriers, practice\n"))


def test_diff(tmp_path):
    old, new = save_codebook(V1, tmp_path / "v1.yaml"), save_codebook(V2, tmp_path / "v2.yaml")
    assert run("codebook", "diff", old, new) == (0, (
        "codebook 1.0 -> 2.0\n"
        "added    barriers: demand\n"
        "removed  barriers: time\n"
        "renamed  barriers: staff -> workforce\n"
        "merged   barriers: funding + grants -> money\n"
        "changed  practice: remote (label)\n"
    ), "")
    rc, out, _ = run("codebook", "diff", old, new, "--json")
    assert rc == 0
    assert json.loads(out)["mapping"] == {
        "barriers": {"funding": "money", "grants": "money", "staff": "workforce", "time": None},
        "practice": {"remote": "remote"},
    }


def test_diff_same_file(tmp_path):
    old = save_codebook(V1, tmp_path / "v1.yaml")
    assert run("codebook", "diff", old, old) == (0, "codebook 1.0 -> 1.0\nno changes\n", "")


def test_every_codebook_command_has_help():
    for name in ("check", "show", "diff"):
        rc, out, _ = run("codebook", name, "--help")
        assert rc == 0 and "Usage: " in out
        assert out.split("\n\n")[1].strip()  # a help sentence


def test_sample_project_codebook_checks(sample_dir):
    rc, out, _ = run("codebook", "check", "-p", sample_dir)
    assert rc == 0 and out.startswith("OK: ") and out.endswith("in 3 questions (version 1.0)\n")


def test_check_strict_makes_case_and_spacing_variants_errors(tmp_path):
    path = tmp_path / "cb.yaml"
    save_codebook(Codebook(version="1", questions={"q": {"codes": [
        code("staff_leave", label="Staff  leave"), code("staff__leave", label="staff leave"),
        code("funding")]}}), path)
    lines = [
        "question 'q': codes 'staff_leave' and 'staff__leave' differ only in case or spacing; "
        "merge them or rename one",
        "question 'q', code 'staff_leave': label 'Staff  leave' is shared with another code; "
        "coders cannot tell them apart",
        "question 'q', code 'staff__leave': label 'staff leave' is shared with another code; "
        "coders cannot tell them apart",
    ]
    rc, out, err = run("codebook", "check", path)
    assert rc == 0 and out.splitlines() == [*(f"warning: {x}" for x in lines),
                                            "OK: 3 codes in 1 question (version 1)"]
    rc, out, err = run("codebook", "check", path, "--strict")
    assert rc == 2 and out.splitlines() == [f"error: {x}" for x in lines]


def test_loading_a_codebook_warns_about_variants(tmp_path):
    import warnings

    from themeloop.codebook import load_codebook
    from themeloop.errors import CodeVariantWarning

    path = tmp_path / "cb.yaml"
    save_codebook(Codebook(version="1", questions={"q": {"codes": [
        code("funding", label="Funding"), code("money", label="funding ")]}}), path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_codebook(path)
    assert [str(w.message) for w in caught if w.category is CodeVariantWarning] == [
        f"{path}: question 'q': codes 'funding' and 'money' have the labels 'Funding' and "
        "'funding ', the same up to case and spacing; coders cannot tell them apart"]
