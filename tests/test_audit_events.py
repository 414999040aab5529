"""Ledger events from the other stages' tables, and where an answer stands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from themeloop.audit.explain import current_codes, explain_response
from themeloop.audit.ledger import (
    Ledger,
    as_of_timestamp,
    events_from_adjudication,
    events_from_assignments,
    events_from_coding_diff,
    events_from_migration,
    record_coding_diff,
)
from themeloop.errors import AuditError

RUN_TIME = "2026-03-01T09:00:00Z"


def assignments() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": ["ORG01:barriers", "ORG02:barriers", "ORG03:practice"],
        "question": ["barriers", "barriers", "practice"],
        "theme_id": ["funding", "unassigned", "open_innovation"],
        "score": [0.812345678, 0.1, 0.5],
    })


def coding(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["response_id", "question", "coder", "code", "timestamp",
                                       "status"])


OLD = coding([
    ("ORG01:barriers", "barriers", "a@x.org", "funding", "2026-03-02T10:00:00Z", "submitted"),
    ("ORG01:barriers", "barriers", "a@x.org", "time", "2026-03-02T10:00:00Z", "submitted"),
    ("ORG02:barriers", "barriers", "b@x.org", "", "2026-03-02T11:00:00Z", "submitted"),
])
NEW = coding([
    ("ORG01:barriers", "barriers", "a@x.org", "funding", "2026-03-04T08:00:00+01:00", "submitted"),
    ("ORG02:barriers", "barriers", "b@x.org", "skills", "2026-03-04T12:00:00Z", "submitted"),
    ("ORG03:barriers", "barriers", "b@x.org", "funding", "2026-03-04T12:00:00Z", "skipped"),
])


def test_model_suggestions_skip_unassigned_and_round_scores():
    events = events_from_assignments(assignments(), "run-abc", "m1", "1.0", timestamp=RUN_TIME)
    assert [(e["response_id"], e["code"], e["detail"]) for e in events] == [
        ("ORG01:barriers", "funding", {"score": 0.812346}),
        ("ORG03:practice", "open_innovation", {"score": 0.5}),
    ]
    assert {(e["action"], e["actor"], e["source"], e["timestamp"], e["manifest_id"],
             e["codebook_version"]) for e in events} == {
        ("suggested", "run-abc", "model", RUN_TIME, "m1", "1.0")}
    with_unassigned = events_from_assignments(assignments(), "run-abc", "m1", "1.0",
                                              timestamp=RUN_TIME, include_unassigned=True)
    assert len(with_unassigned) == 3


def test_a_rerun_from_the_same_inputs_appends_nothing(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    first = ledger.append(events_from_assignments(assignments(), "run-abc", "m1", "1.0",
                                                  timestamp=RUN_TIME))
    again = ledger.append(events_from_assignments(assignments(), "run-abc", "m1", "1.0",
                                                  timestamp=RUN_TIME))
    assert len(first) == 2 and again == []


def test_coding_diff_records_codes_added_and_removed():
    events = events_from_coding_diff(OLD, NEW, "m2", "1.0", timestamp="2026-03-05T00:00:00Z")
    assert [(e["action"], e["response_id"], e["actor"], e["code"], e["timestamp"])
            for e in events] == [
        # b's empty row ("read, no code") is no code; b's skipped annotation does not count
        ("added", "ORG02:barriers", "b@x.org", "skills", "2026-03-04T12:00:00Z"),
        # removed at a's latest time on that answer in the new table (07:00 UTC)
        ("removed", "ORG01:barriers", "a@x.org", "time", "2026-03-04T07:00:00Z"),
    ]
    assert {(e["source"], e["manifest_id"], e["codebook_version"]) for e in events} == {
        ("human", "m2", "1.0")}


def test_first_pull_adds_everything_and_record_is_idempotent(tmp_path: Path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    added = record_coding_diff(ledger, None, OLD, "m1", "1.0")
    assert [(e["actor"], e["code"], e["timestamp"]) for e in added] == [
        ("a@x.org", "funding", "2026-03-02T10:00:00Z"), ("a@x.org", "time", "2026-03-02T10:00:00Z")]
    assert record_coding_diff(ledger, None, OLD, "m1", "1.0") == []
    assert record_coding_diff(ledger, OLD, OLD, "m1", "1.0") == []


def test_coding_diff_keeps_row_source_version_and_annotation_details():
    new = OLD.assign(source="model", codebook_version="0.9", annotation_id=[7, 7, 8],
                     memo=["", "unsure", None], unclear=["False", "True", "False"])
    events = events_from_coding_diff(None, new, "m1", "1.0", timestamp=RUN_TIME)
    assert [(e["source"], e["codebook_version"], e["detail"]) for e in events] == [
        ("model", "0.9", {"annotation_id": 7}),
        ("model", "0.9", {"annotation_id": 7, "memo": "unsure", "unclear": True}),
    ]


def test_coding_diff_names_a_missing_column():
    with pytest.raises(AuditError) as info:
        events_from_coding_diff(None, OLD.drop(columns="coder"), "m1", "1.0")
    assert str(info.value) == ("the new coding table has no column 'coder'; it has code, "
                               "question, response_id, status, timestamp")


def test_adjudication_decisions_carry_rule_or_adjudicator_and_votes():
    decisions = pd.DataFrame({
        "response_id": ["ORG01:barriers", "ORG01:barriers"],
        "code": ["time", "funding"],
        "rule": ["majority", "majority"],
        "adjudicator": [None, "lead@x.org"],
        "votes": ['{"a@x.org": 1, "b@x.org": 0}', '{"a@x.org": 1, "b@x.org": 1}'],
        "decision": ["absent", "present"],
    })
    events = events_from_adjudication(decisions, "m4", "1.0", timestamp="2026-03-06T00:00:00Z")
    assert [(e["actor"], e["question"], e["code"], e["detail"]) for e in events] == [
        ("majority", "barriers", "time",
         {"votes": {"a@x.org": 1, "b@x.org": 0}, "decision": "absent"}),
        ("lead@x.org", "barriers", "funding",
         {"votes": {"a@x.org": 1, "b@x.org": 1}, "decision": "present", "rule": "majority"}),
    ]
    assert {(e["action"], e["source"]) for e in events} == {("decided", "adjudication")}


def test_adjudication_decisions_from_themeloop_adjudicate():
    from themeloop.adjudicate import adjudicate

    table = pd.DataFrame({
        "response_id": ["A:q", "A:q", "A:q", "B:q", "B:q"],
        "question": ["q"] * 5,
        "coder": ["a@x.org", "b@x.org", "b@x.org", "a@x.org", "b@x.org"],
        "code": ["funding", "funding", "time", "skills", ""],
    })
    result = adjudicate(table, "majority")
    events = events_from_adjudication(result.decisions, "m", "1.0", timestamp=RUN_TIME)
    by_code = {(e["response_id"], e["code"]): e for e in events}
    assert by_code[("A:q", "funding")]["actor"] == "majority"
    assert by_code[("A:q", "funding")]["detail"] == {
        "decision": "included", "votes": ["a@x.org", "b@x.org"], "coders": ["a@x.org", "b@x.org"]}
    assert by_code[("B:q", None)]["detail"]["decision"] == "undecided"  # "no code": a tie
    story = current_codes([e for e in events if e["response_id"] == "B:q"])
    assert story["decided"] == [] and story["undecided"] == ["(no code)", "skills"]


def test_an_adjudicators_rule_names_the_adjudicator():
    decisions = pd.DataFrame({"response_id": ["A:q"], "question": ["q"], "code": ["time"],
                              "decision": ["excluded"], "rule": ["adjudicator:lead@x.org"],
                              "votes": ["b@x.org"], "coders": ["a@x.org;b@x.org"]})
    [event] = events_from_adjudication(decisions, "m", "1.0", timestamp=RUN_TIME)
    assert event["actor"] == "lead@x.org"
    assert event["detail"] == {"decision": "excluded", "votes": ["b@x.org"],
                               "coders": ["a@x.org", "b@x.org"], "rule": "adjudicator:lead@x.org"}


def test_adjudication_needs_someone_who_decided():
    with pytest.raises(AuditError, match="decisions row 0: no 'adjudicator' or 'rule'"):
        events_from_adjudication(pd.DataFrame({"response_id": ["A:q"], "code": ["x"]}),
                                 "m", "1.0", timestamp=RUN_TIME)
    [event] = events_from_adjudication(pd.DataFrame({"response_id": ["A:q"], "code": ["x"]}),
                                       "m", "1.0", timestamp=RUN_TIME, rule="unanimous")
    assert event["actor"] == "unanimous"


def test_migration_events_name_the_old_code():
    events = events_from_migration(
        [{"response_id": "ORG01:barriers", "old_code": "funding", "new_code": "money",
          "coder": "a@x.org", "from_version": "1.0"},
         {"response_id": "ORG02:barriers", "old_code": "misc", "new_code": None}],
        "m5", "2.0", timestamp="2026-03-07T00:00:00Z",
    )
    assert [(e["code"], e["question"], e["detail"]) for e in events] == [
        ("money", "barriers", {"from_code": "funding", "coder": "a@x.org", "from_version": "1.0"}),
        (None, "barriers", {"from_code": "misc"}),
    ]
    assert {(e["action"], e["actor"], e["codebook_version"]) for e in events} == {
        ("migrated", "codebook-migration", "2.0")}


def test_migration_events_from_the_codebook_stage():
    from themeloop.codebook.versions import MigrationEvent

    moved = [MigrationEvent("ORG01:barriers", "barriers", "a@x.org", "funding", "money")]
    [event] = events_from_migration(moved, "m", "2.0", timestamp=RUN_TIME)
    assert (event["code"], event["detail"]) == ("money", {"from_code": "funding", "coder": "a@x.org"})


def _full_story(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(events_from_assignments(assignments(), "run-abc", "m1", "1.0",
                                          timestamp=RUN_TIME))
    record_coding_diff(ledger, None, OLD, "m2", "1.0")
    record_coding_diff(ledger, OLD, NEW, "m3", "1.0", timestamp="2026-03-05T00:00:00Z")
    ledger.append(events_from_adjudication(
        pd.DataFrame({"response_id": ["ORG01:barriers"] * 2, "code": ["funding", "time"],
                      "rule": ["majority"] * 2, "decision": ["present", "absent"]}),
        "m4", "1.0", timestamp="2026-03-06T00:00:00Z"))
    ledger.append(events_from_migration(
        [{"response_id": "ORG01:barriers", "old_code": "funding", "new_code": "money"}],
        "m5", "2.0", timestamp="2026-03-07T00:00:00Z"))
    return ledger


def test_explain_tells_the_whole_story(tmp_path: Path):
    story = explain_response(_full_story(tmp_path), "ORG01:barriers")
    assert story["question"] == "barriers"
    assert [(e["action"], e["code"], e["actor"]) for e in story["events"]] == [
        ("suggested", "funding", "run-abc"),
        ("added", "funding", "a@x.org"),
        ("added", "time", "a@x.org"),
        ("removed", "time", "a@x.org"),
        ("decided", "funding", "majority"),
        ("decided", "time", "majority"),
        ("migrated", "money", "codebook-migration"),
    ]
    assert story["current"] == {
        "model": {"run": "run-abc", "codes": ["funding"]},
        "assigned": None,
        "coders": {"a@x.org": ["money"]},
        "decided": ["money"],
        "undecided": [],
        "codebook_versions": ["1.0", "2.0"],
    }


def test_current_codes_of_no_events():
    assert current_codes([]) == {"model": None, "assigned": None, "coders": {}, "decided": None,
                                 "undecided": [], "codebook_versions": []}


def test_a_runs_timestamp_comes_from_its_inputs():
    assert as_of_timestamp(OLD, NEW) == "2026-03-04T12:00:00Z"
    assert as_of_timestamp(OLD.drop(columns="timestamp")) == "1970-01-01T00:00:00Z"
    assert as_of_timestamp(None, default=RUN_TIME) == RUN_TIME
