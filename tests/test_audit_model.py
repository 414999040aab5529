"""The ledger records every model assignment; ``audit explain`` shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _model_fixtures import MODEL_ID, MODEL_ROWS, make_model_project

from themeloop.audit.events import events_from_model_coding
from themeloop.config import find_project
from themeloop.pipeline.context import RunContext


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_model_project(tmp_path / "p")
    (root / "annotations" / "ledger.jsonl").unlink()  # the fixture's is unsigned: start afresh
    return root


def test_model_events_carry_model_score_and_threshold():
    table = pd.DataFrame({"response_id": ["r1:q", "r1:q", "r2:q"], "question": "q",
                          "coder": MODEL_ID, "code": ["cost", "time", ""],
                          "score": [0.91, "0.4", None], "threshold": [0.5, 0.45, None],
                          "model_id": MODEL_ID, "codebook_version": ["3", "3", ""]})
    events = events_from_model_coding(table, "m-1", "2", timestamp="2026-01-02T03:04:05Z",
                                      model_version="themeloop 1.0")
    assert [(e["response_id"], e["code"], e["action"], e["actor"], e["source"],
             e["codebook_version"]) for e in events] == [
        ("r1:q", "cost", "assigned", MODEL_ID, "model", "3"),
        ("r1:q", "time", "assigned", MODEL_ID, "model", "3"),
        ("r2:q", None, "assigned", MODEL_ID, "model", "2")]
    assert events[0]["detail"] == {"model_id": MODEL_ID, "model_version": "themeloop 1.0",
                                   "score": 0.91, "threshold": 0.5}
    assert events[1]["detail"]["score"] == 0.4
    assert events[2]["detail"] == {"model_id": MODEL_ID, "model_version": "themeloop 1.0"}
    assert {e["manifest_id"] for e in events} == {"m-1"}


def test_ledger_stage_records_each_assignment_once(project: Path):
    from themeloop.audit.stage import ledger_project

    appended = ledger_project(RunContext.for_project(find_project(project)))
    model = [e for e in appended if e["action"] == "assigned"]
    # every row of model_coding.csv but O01's: a human coded O01, so the human wins
    expected = sorted((rid, code or None, score, threshold)
                      for rid, code, score, threshold in MODEL_ROWS if rid != "O01:barriers")
    assert sorted((e["response_id"], e["code"], e["detail"].get("score"),
                   e["detail"].get("threshold")) for e in model) == expected
    assert {e["actor"] for e in model} == {MODEL_ID}
    assert {e["manifest_id"] for e in model} == {"feedc0de00000001"}
    assert {e["detail"]["model_version"] for e in model} == {"themeloop 0.13.0"}
    again = ledger_project(RunContext.for_project(find_project(project)))
    assert [e for e in again if e["action"] == "assigned"] == []


def test_without_model_codes_nothing_is_assigned(project: Path):
    from themeloop.audit.stage import ledger_project

    (project / "out" / "model_coding.csv").unlink()
    appended = ledger_project(RunContext.for_project(find_project(project)))
    assert appended and not [e for e in appended if e["action"] == "assigned"]


def test_explain_shows_model_assignments(cli, project: Path, monkeypatch):
    from themeloop.audit.stage import ledger_project

    monkeypatch.setenv("COLUMNS", "200")
    ledger_project(RunContext.for_project(find_project(project)))
    result = cli("audit", "explain", "O12:barriers", "-p", project)
    assert result.exit_code == 0, result.output
    assert ("assigned by autocoder-0123456789ab, themeloop 0.13.0: funding (score 0.64 >= "
            "threshold 0.42), risk (score 0.55 >= threshold 0.50)\n") in result.output
    assert "score 0.64 vs threshold 0.42" in result.output
    story = json.loads(cli("audit", "explain", "O12:barriers", "-p", project, "--json").output)
    assert story["current"]["assigned"] == {
        "model_id": MODEL_ID, "model_version": "themeloop 0.13.0",
        "codes": [{"code": "funding", "score": 0.64, "threshold": 0.42},
                  {"code": "risk", "score": 0.55, "threshold": 0.5}]}
    nothing = json.loads(cli("audit", "explain", "O13:practice", "-p", project, "--json").output)
    assert nothing["current"]["assigned"]["codes"] == []
    shown = cli("audit", "explain", "O13:practice", "-p", project).output
    assert "assigned by autocoder-0123456789ab, themeloop 0.13.0: (no code)\n" in shown
