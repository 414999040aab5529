"""The audit ledger: hash chain, tamper detection, idempotence, torn lines, explain."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themeloop.audit.ledger import GENESIS, Ledger, event_hash, event_id
from themeloop.errors import AuditError


def event(i: int, **changes) -> dict:
    base = {
        "response_id": f"ORG{i % 41 + 1:02d}:barriers", "question": "barriers",
        "code": f"code{i % 5}", "action": "suggested", "actor": "run-1", "source": "model",
        "timestamp": "2026-03-01T10:00:00Z", "codebook_version": "1.0", "manifest_id": "m1",
        "detail": {"i": i},
    }
    return {**base, **changes}


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append([event(i) for i in range(10)])
    return ledger


def lines(ledger: Ledger) -> list[str]:
    return ledger.path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(ledger: Ledger, new_lines: list[str]) -> None:
    ledger.path.write_text("".join(new_lines), encoding="utf-8")


# --------------------------------------------------------------------------- the chain


def test_append_numbers_and_chains_events(ledger: Ledger):
    events = ledger.events()
    assert [e["seq"] for e in events] == list(range(1, 11))
    assert events[0]["prev_hash"] == GENESIS
    for before, after in itertools.pairwise(events):
        assert after["prev_hash"] == before["hash"]
    assert all(event_hash(e) == e["hash"] for e in events)
    result = ledger.verify()
    assert result.ok and result.n_events == 10 and result.head == events[-1]["hash"]
    assert ledger.head() == events[-1]["hash"]
    assert result.message.endswith(f"OK, 10 events, head {events[-1]['hash'][:16]}, not signed "
                                   "(no ledger key)")


def test_every_line_is_one_complete_json_object(ledger: Ledger):
    for raw in lines(ledger):
        assert raw.endswith("\n") and raw.count("\n") == 1
        assert set(json.loads(raw)) >= {"response_id", "question", "code", "action", "actor",
                                        "source", "timestamp", "codebook_version", "manifest_id",
                                        "detail", "seq", "event_id", "prev_hash", "hash"}


def test_empty_or_missing_ledger(tmp_path: Path):
    ledger = Ledger(tmp_path / "none.jsonl")
    assert ledger.events() == []
    assert ledger.head() == GENESIS
    assert ledger.verify().ok and ledger.verify().n_events == 0
    assert ledger.append([]) == []
    assert not ledger.path.exists()


# --------------------------------------------------------------------------- tampering


def _edit(ledger: Ledger) -> None:
    rows = lines(ledger)
    record = json.loads(rows[4])
    record["code"] = "forged"
    rows[4] = json.dumps(record) + "\n"
    write(ledger, rows)


def _edit_and_rehash(ledger: Ledger) -> None:
    rows = lines(ledger)
    record = json.loads(rows[4])
    record["actor"] = "someone-else"
    record["hash"] = event_hash(record)
    rows[4] = json.dumps(record) + "\n"
    write(ledger, rows)


def _edit_and_forge_id(ledger: Ledger) -> None:
    rows = lines(ledger)
    record = json.loads(rows[4])
    record["actor"] = "someone-else"
    record["event_id"] = event_id(record)
    record["hash"] = event_hash(record)
    rows[4] = json.dumps(record) + "\n"
    write(ledger, rows)


def _delete(ledger: Ledger) -> None:
    rows = lines(ledger)
    del rows[4]
    write(ledger, rows)


def _reorder(ledger: Ledger) -> None:
    rows = lines(ledger)
    rows[4], rows[5] = rows[5], rows[4]
    write(ledger, rows)


def _duplicate(ledger: Ledger) -> None:
    rows = lines(ledger)
    rows.insert(5, rows[4])
    write(ledger, rows)


def _garble(ledger: Ledger) -> None:
    rows = lines(ledger)
    rows[4] = rows[4][:40] + "\n"
    write(ledger, rows)


@pytest.mark.parametrize(
    ("tamper", "line", "seq", "problem"),
    [
        (_edit, 5, 5, "hash does not match the event's content: the event was edited after it was written"),
        (_edit_and_rehash, 5, 5, "event_id does not match the event's content: the event was edited"),
        (_edit_and_forge_id, 6, 6, "prev_hash does not match the hash of the event before it: an earlier event was deleted, edited or moved"),
        (_delete, 5, 6, "seq 6 where 5 was expected: event(s) 5 were deleted or moved"),
        (_reorder, 5, 6, "seq 6 where 5 was expected: event(s) 5 were deleted or moved"),
        (_duplicate, 6, 5, "seq 5 where 6 was expected: events were reordered or duplicated"),
        (_garble, 5, None, "not valid JSON (the line was edited or corrupted)"),
    ],
    ids=["edit", "edit-and-rehash", "edit-and-forge-id", "delete", "reorder", "duplicate", "garble"],
)
def test_tampering_is_detected_at_the_first_bad_event(ledger, tamper, line, seq, problem):
    tamper(ledger)
    result = ledger.verify()
    assert not result.ok
    assert (result.line, result.seq, result.problem) == (line, seq, problem)
    assert result.n_events == line - 1
    where = f"line {line} (seq {seq})" if seq is not None else f"line {line}"
    assert result.message == f"{ledger.path} {where}: {problem}"


def test_deleting_the_whole_tail_is_caught_against_a_recorded_head(ledger: Ledger):
    head = ledger.head()
    write(ledger, lines(ledger)[:7])
    assert ledger.verify().ok  # a shorter chain is still a chain...
    result = ledger.verify(expect_head=head)  # ...but not the one recorded
    assert not result.ok and result.line == 8
    assert "removed from the end" in result.problem


def test_appending_refuses_to_build_on_garbage(ledger: Ledger):
    write(ledger, [*lines(ledger), "not json at all\n"])
    with pytest.raises(AuditError, match=r"line 11: not valid JSON \(the line was edited or "
                                         r"corrupted\); refusing to append to a ledger that fails "
                                         r"verification: restore it from a backup"):
        Ledger(ledger.path).append([event(99)])


# --------------------------------------------------------------------------- idempotence


def test_reappending_the_same_events_adds_nothing(ledger: Ledger):
    before = ledger.path.read_bytes()
    assert ledger.append([event(i) for i in range(10)]) == []
    assert Ledger(ledger.path).append([event(i) for i in range(10)]) == []  # fresh reader too
    assert ledger.path.read_bytes() == before


def test_only_new_events_are_appended_and_duplicates_in_a_batch_collapse(ledger: Ledger):
    added = ledger.append([event(3), event(10), event(10), event(11)])
    assert [(e["seq"], e["detail"]["i"]) for e in added] == [(11, 10), (12, 11)]
    assert ledger.verify().ok


def test_event_id_ignores_position_but_not_content(tmp_path: Path):
    a, b = Ledger(tmp_path / "a.jsonl"), Ledger(tmp_path / "b.jsonl")
    a.append([event(1), event(2)])
    b.append([event(2), event(1)])
    ids_a = {e["event_id"] for e in a.events()}
    assert ids_a == {e["event_id"] for e in b.events()}
    assert len(ids_a | {a.append([event(1, timestamp="2026-03-02T00:00:00Z")])[0]["event_id"]}) == 3


def test_a_second_writer_sees_the_first_writers_events(tmp_path: Path):
    one, two = Ledger(tmp_path / "l.jsonl"), Ledger(tmp_path / "l.jsonl")
    one.append([event(1)])
    two.append([event(2)])
    assert [e["seq"] for e in one.append([event(3), event(2)])] == [3]
    assert one.verify().ok and len(two.events()) == 3


# --------------------------------------------------------------------------- torn lines


def test_a_torn_last_line_is_ignored_then_replaced(ledger: Ledger):
    whole = lines(ledger)
    partial = json.dumps(event(50))[:57]  # a writer killed mid-line: no newline
    write(ledger, [*whole, partial])
    result = ledger.verify()
    assert result.ok and result.torn_tail and result.n_events == 10
    assert "torn final line" in result.message
    assert len(Ledger(ledger.path).events()) == 10
    added = Ledger(ledger.path).append([event(10)])
    assert [e["seq"] for e in added] == [11]
    assert ledger.path.read_text(encoding="utf-8").endswith("\n")
    assert partial not in ledger.path.read_text(encoding="utf-8")
    result = ledger.verify()
    assert result.ok and not result.torn_tail and result.n_events == 11


# --------------------------------------------------------------------------- event checks


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": ""}, "event 1: 'actor' is missing or empty"),
        ({"response_id": None}, "event 1: 'response_id' is missing or empty"),
        ({"timestamp": None}, "event 1: 'timestamp' is missing or empty"),
        ({"action": "sugested"}, ("event 1: action 'sugested' is not one of suggested, assigned, "
                                 "added, removed, decided, migrated, redacted, kept (did you mean 'suggested'?)")),
        ({"timestamp": "yesterday"}, "timestamp 'yesterday' is not ISO 8601; use e.g. 2026-03-01T10:15:00Z"),
        ({"coder": "a@x.org"}, ("event 1: unknown field 'coder' (did you mean 'code'?); "
                               "put extra information in 'detail'")),
        ({"detail": "votes"}, "event 1: 'detail' must be a mapping, got str"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(tmp_path: Path, changes, message):
    ledger = Ledger(tmp_path / "l.jsonl")
    with pytest.raises(AuditError) as info:
        ledger.append([event(0), event(1, **changes)])
    assert str(info.value) == message
    assert ledger.events() == []


def test_values_are_made_plain_and_times_utc(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.jsonl")
    [e] = ledger.append([event(
        0, timestamp=pd.Timestamp("2026-03-01 11:30:00+01:00"), code=np.str_("funding"),
        detail={"score": np.float64(0.5), "n": np.int64(3), "missing": float("nan"),
                "votes": {"a": np.bool_(True)}, "when": pd.NaT},
    )])
    assert e["timestamp"] == "2026-03-01T10:30:00Z"
    assert e["code"] == "funding"
    assert e["detail"] == {"score": 0.5, "n": 3, "missing": None, "votes": {"a": True}, "when": None}
    assert ledger.append([event(0, timestamp="2026-03-01T10:30:00+00:00", code="funding",
                                detail=e["detail"])]) == []  # same event, other spelling
    assert ledger.verify().ok


# --------------------------------------------------------------------------- explain


def test_explain_is_chronological_and_about_one_answer(tmp_path: Path):
    ledger = Ledger(tmp_path / "l.jsonl")
    rid = "ORG01:barriers"
    ledger.append([
        event(0, response_id=rid, action="added", actor="b@x.org", source="human",
              timestamp="2026-03-03T09:00:00.250000Z"),
        event(1, response_id=rid, timestamp="2026-03-01T00:00:00Z"),
        event(2, response_id="ORG02:barriers"),
        event(3, response_id=rid, action="added", actor="a@x.org", source="human",
              timestamp="2026-03-03T09:00:00Z"),
    ])
    story = ledger.explain(rid)
    assert [e["detail"]["i"] for e in story] == [1, 3, 0]


def test_explain_unknown_response_suggests_the_nearest(ledger: Ledger):
    with pytest.raises(AuditError) as info:
        ledger.explain("ORG01:barrier")
    assert str(info.value) == (f"response id 'ORG01:barrier' is not in {ledger.path} "
                               f"(did you mean 'ORG01:barriers'?)")
    with pytest.raises(AuditError, match=r"\(ids look like 'ORG01:barriers'\)$"):
        ledger.explain("zzz")
    with pytest.raises(AuditError, match="has no events"):
        Ledger(ledger.path.with_name("empty.jsonl")).explain("ORG01:barriers")


# --------------------------------------------------------------------------- speed


@pytest.mark.slow
def test_a_100k_batch_appends_once_and_verifies(tmp_path: Path):
    # Its speed is measured in bench/ledger_scale.py, beside plain JSON lines; here only
    # what must hold at that size.
    ledger = Ledger(tmp_path / "l.jsonl")
    events = [event(i) for i in range(100_000)]
    assert len(ledger.append(events)) == 100_000
    assert ledger.append(events[:1000]) == []
    result = ledger.verify()
    assert result.ok and result.n_events == 100_000


# --------------------------------------------------------------------------- any content


_json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20) | \
    st.floats(allow_nan=False, allow_infinity=False)
_tricky_keys = st.sampled_from(["manifest_id", "question", "source", "seq", "event_id",
                                ',"source":', 'a"b', "hash"]) | st.text(max_size=8)
_details = st.dictionaries(_tricky_keys, st.recursive(
    _json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky_keys, inner, max_size=3),
    max_leaves=8), max_size=4)
_texts = st.text(max_size=20) | st.sampled_from([',"source":"x"', ',"question":', '\\', '"'])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(detail=_details, code=_texts, question=_texts, source=_texts)
def test_any_event_content_chains_and_verifies(tmp_path_factory, detail, code, question, source):
    ledger = Ledger(tmp_path_factory.mktemp("any") / "l.jsonl")
    written = ledger.append([event(0, detail=detail, code=code, question=question, source=source),
                             event(1, detail=detail)])
    for record in written:
        assert event_hash(record) == record["hash"]
        assert event_id(record) == record["event_id"]
    assert ledger.verify().ok
    assert ledger.events() == written


def test_concurrent_writers_serialise_through_the_lock(tmp_path: Path):
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "l.jsonl"

    def writer(w: int) -> int:
        ledger = Ledger(path)  # its own descriptor, so flock really excludes
        return sum(len(ledger.append([event(1000 * w + 50 * b + i) for i in range(50)]))
                   for b in range(10))

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(writer, range(4))) == 2000
    result = Ledger(path).verify()
    assert result.ok and result.n_events == 2000
