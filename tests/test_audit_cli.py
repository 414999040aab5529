"""themeloop audit verify | explain: output, exact errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from themeloop.audit.ledger import Ledger

RID = "ORG01:barriers"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "org_id"\n\n'
        '[[questions]]\nid = "barriers"\ncolumn = "barriers"\n', encoding="utf-8")
    ledger = Ledger(tmp_path / "annotations" / "ledger.jsonl")
    common = {"response_id": RID, "question": "barriers", "codebook_version": "1.0",
              "manifest_id": "m1"}
    ledger.append([
        {**common, "code": "funding", "action": "suggested", "actor": "run-abc",
         "source": "model", "timestamp": "2026-03-01T09:00:00Z", "detail": {"score": 0.8123}},
        {**common, "code": "funding", "action": "added", "actor": "a@x.org", "source": "human",
         "timestamp": "2026-03-02T10:00:00Z"},
        {**common, "code": "time", "action": "added", "actor": "b@x.org", "source": "human",
         "timestamp": "2026-03-02T11:00:00Z"},
        {**common, "code": "time", "action": "decided", "actor": "majority",
         "source": "adjudication", "timestamp": "2026-03-03T00:00:00Z",
         "detail": {"decision": "excluded", "votes": ["b@x.org"],
                    "coders": ["a@x.org", "b@x.org"]}},
        {**common, "response_id": "ORG02:barriers", "code": "skills", "action": "suggested",
         "actor": "run-abc", "source": "model", "timestamp": "2026-03-01T09:00:00Z"},
    ])
    return tmp_path


def test_verify_ok_from_the_project(cli, project: Path):
    result = cli("audit", "verify", "-p", project)
    ledger = Ledger(project / "annotations" / "ledger.jsonl")
    assert result.exit_code == 0, result.output
    assert result.output == f"{ledger.path}: OK, 5 events, head {ledger.head()[:16]}\n"


def test_verify_names_the_first_bad_event(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows[1], rows[2] = rows[2], rows[1]
    path.write_text("".join(rows), encoding="utf-8")
    result = cli("audit", "verify", "--ledger", path)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path} line 2 (seq 3): seq 3 where 2 was expected: "
                             f"event(s) 2 were deleted or moved\n")
    as_json = cli("audit", "verify", "--ledger", path, "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.output)["line"] == 2


def test_verify_against_a_recorded_head(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    head = Ledger(path).head()
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:3]),
                    encoding="utf-8")
    assert cli("audit", "verify", "--ledger", path).exit_code == 0
    result = cli("audit", "verify", "--ledger", path, "--head", head)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path} line 4 (seq 4): the recorded head {head[:16]}")


def test_a_missing_ledger_is_a_users_mistake(cli, tmp_path: Path):
    result = cli("audit", "verify", "--ledger", tmp_path / "nope.jsonl")
    assert result.exit_code == 2
    assert result.output == (f"Error: {tmp_path / 'nope.jsonl'}: no such ledger; stages write it "
                             f"as they record codes (themeloop pull, themeloop run), or pass "
                             f"--ledger FILE\n")


def test_explain_prints_the_story(cli, project: Path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # a wide terminal: cells are not wrapped
    result = cli("audit", "explain", RID, "-p", project)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"{RID}: 4 events in {project / 'annotations' / 'ledger.jsonl'}")
    for text in ("2026-03-01 09:00", "suggested", "run-abc", "score 0.81", "a@x.org",
                 "excluded; coders a@x.org, b@x.org; votes b@x.org"):
        assert text in out, text
    assert out.index("suggested") < out.index("added") < out.index("decided")
    assert "model (run-abc): funding\n" in out
    assert "a@x.org: funding\nb@x.org: time\ndecided: (no code)\n" in out
    assert "codebook version(s): 1.0\n" in out


def test_explain_json(cli, project: Path):
    result = cli("audit", "explain", RID, "-p", project, "--json")
    assert result.exit_code == 0, result.output
    story = json.loads(result.output)
    assert [e["action"] for e in story["events"]] == ["suggested", "added", "added", "decided"]
    assert story["current"]["coders"] == {"a@x.org": ["funding"], "b@x.org": ["time"]}
    assert story["question"] == "barriers"


def test_explain_an_unknown_answer_suggests_one(cli, project: Path):
    result = cli("audit", "explain", "ORG01:barrier", "-p", project)
    assert result.exit_code == 2
    path = project / "annotations" / "ledger.jsonl"
    assert result.output == (f"Error: response id 'ORG01:barrier' is not in {path} "
                             f"(did you mean 'ORG01:barriers'?)\n")
