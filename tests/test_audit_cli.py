"""themeloop audit verify | explain: output, exact errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from themeloop.audit.ledger import Ledger
from themeloop.audit.project import project_ledger
from themeloop.config import find_project

RID = "ORG01:barriers"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "themeloop.toml").write_text(
        '[survey]\npath = "survey.csv"\nid = "org_id"\n\n'
        '[[questions]]\nid = "barriers"\ncolumn = "barriers"\n', encoding="utf-8")
    ledger = project_ledger(find_project(tmp_path))  # signed with .themeloop/ledger.key
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
    assert result.output == f"{ledger.path}: OK, 5 events, head {ledger.head()[:16]}, signed\n"


def test_verify_names_the_first_bad_event(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows[1], rows[2] = rows[2], rows[1]
    path.write_text("".join(rows), encoding="utf-8")
    result = cli("audit", "verify", "--ledger", path, "-p", project)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path} line 2 (seq 3): seq 3 where 2 was expected: "
                             f"event(s) 2 were deleted or moved\n")
    as_json = cli("audit", "verify", "--ledger", path, "-p", project, "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.output)["line"] == 2


def test_report_refuses_a_tampered_ledger_and_writes_nothing(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rows[1], rows[2] = rows[2], rows[1]
    path.write_text("".join(rows), encoding="utf-8")
    result = cli("report", "-p", project)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path} line 2 (seq 3): seq 3 where 2 was expected: "
                             f"event(s) 2 were deleted or moved; refusing to report from a ledger "
                             f"that fails verification: restore it from a backup, then check it "
                             f"with 'themeloop audit verify'\n")
    assert not (project / "out" / "report.html").exists()


def test_head_means_the_chain_ends_exactly_there(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head, third = Ledger(path).head(), json.loads(rows[2])["hash"]
    assert cli("audit", "verify", "-p", project, "--head", head).exit_code == 0
    assert cli("audit", "verify", "-p", project, "--head", head[:16]).exit_code == 0
    # An older head is in the chain, but the chain does not end there: events came after it.
    later = cli("audit", "verify", "-p", project, "--head", third)
    assert later.exit_code == 2
    assert later.output == (f"Error: {path} line 4 (seq 4): the chain goes on past the given "
                            f"head {third[:16]}: 2 event(s) were appended after it\n")
    path.write_text("".join(rows[:3]), encoding="utf-8")  # cut the last two off
    assert cli("audit", "verify", "-p", project, "--head", third).exit_code == 0
    cut = cli("audit", "verify", "-p", project, "--head", head)
    assert cut.exit_code == 2
    assert cut.output == (f"Error: {path} line 4 (seq 4): the given head {head[:16]} is not in "
                          f"the chain: events were removed from the end or the chain was "
                          f"rewritten\n")
    short = cli("audit", "verify", "-p", project, "--head", "abc")
    assert short.exit_code == 2
    assert short.output == ("Error: --head 'abc' is not a head hash: give 16 to 64 hex "
                            "characters, as 'themeloop audit verify' prints them\n")


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


# --------------------------------------------------------------------------- the signed ledger


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _forge(path: Path, mac: str | None) -> str:
    """Append a copy of the last event with new content and a recomputed chain, as a forger would."""
    from themeloop.audit.ledger import event_hash, event_id

    last = json.loads(_rows(path)[-1])
    forged = {k: v for k, v in last.items() if k != "mac"}
    forged.update(code="forged", seq=last["seq"] + 1, prev_hash=last["hash"])
    forged["event_id"] = event_id(forged)
    forged["hash"] = event_hash(forged)
    if mac is not None:
        forged["mac"] = mac
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(forged) + "\n")
    return forged["hash"]


@pytest.mark.parametrize(("mac", "problem"), [
    (None, "no mac: the event was not written with the ledger key (it was forged, or the ledger "
           "predates signed ledgers: see 'themeloop audit sign')"),
    ("0" * 64, "mac does not match: the event was written or rewritten without the ledger key "
               "(forged), or the key is not this ledger's"),
], ids=["no-mac", "made-up-mac"])
def test_a_forged_append_with_a_recomputed_hash_fails(cli, project: Path, mac, problem):
    path = project / "annotations" / "ledger.jsonl"
    forged_head = _forge(path, mac)
    plain = [json.dumps({k: v for k, v in json.loads(r).items() if k != "mac"}) + "\n"
             for r in _rows(path)]
    unsigned = path.with_name("unsigned.jsonl")
    unsigned.write_text("".join(plain), encoding="utf-8")
    assert Ledger(unsigned).verify(expect_head=forged_head).ok  # the hash chain alone passes it
    result = cli("audit", "verify", "-p", project)  # the mac does not
    assert result.exit_code == 2
    assert result.output == f"Error: {path} line 6 (seq 6): {problem}\n"
    # The forger's own head does not help either.
    assert cli("audit", "verify", "-p", project, "--head", forged_head).exit_code == 2


def _record_head(project: Path) -> Path:
    """A run manifest recording the ledger's head, as `themeloop run` writes it."""
    from themeloop.audit.manifest import build_manifest, with_ledger, write_manifest

    ledger = project_ledger(find_project(project))
    manifest = with_ledger(build_manifest("run", inputs={}, outputs=[]), ledger,
                           relative_to=project)
    assert manifest["ledger"] == {"path": "annotations/ledger.jsonl", "events": 5,
                                  "head": ledger.head(), "keyed": True}
    return write_manifest(project / "out" / "manifest.json", manifest)


@pytest.mark.parametrize("keep", [3, 0], ids=["truncated", "emptied"])
def test_truncation_below_the_recorded_head_fails(cli, project: Path, keep: int):
    path = project / "annotations" / "ledger.jsonl"
    head = Ledger(path).head()
    manifest = _record_head(project)
    ok = cli("audit", "verify", "-p", project)
    assert ok.output == (f"{path}: OK, 5 events, head {head[:16]}, signed; matches 1 recorded "
                         f"head(s), the newest at event 5 in {manifest}\n")
    path.write_text("".join(_rows(path)[:keep]), encoding="utf-8")
    result = cli("audit", "verify", "-p", project)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path} line {keep + 1} (seq {keep + 1}): the ledger ends "
                             f"after {keep} events, but {manifest} recorded 5 (head {head[:16]}): "
                             f"events were cut off its end or the file was emptied\n")


def test_a_deleted_ledger_with_a_recorded_head_fails(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    head = Ledger(path).head()
    manifest = _record_head(project)
    path.unlink()
    result = cli("audit", "verify", "-p", project)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path} line 1 (seq 1): the ledger ends after 0 events, but "
                             f"{manifest} recorded 5 (head {head[:16]}): events were cut off its "
                             f"end or the file was emptied\n")


def test_a_rewritten_chain_fails_against_the_recorded_head(cli, project: Path):
    from themeloop.audit.ledger import Ledger as Plain

    path = project / "annotations" / "ledger.jsonl"
    manifest = _record_head(project)
    events = [{k: v for k, v in e.items() if k not in ("seq", "event_id", "prev_hash", "hash",
                                                       "mac")} for e in Plain(path).events()]
    events[1]["code"] = "rewritten"
    path.unlink()
    key = (project / ".themeloop" / "ledger.key").read_text()
    Plain(path, bytes.fromhex(key)).append(events)  # even with the key: the head moved
    result = cli("audit", "verify", "-p", project)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {path} line 5 (seq 5): hash ")
    assert result.output.endswith(f"that {manifest} recorded after event 5: the ledger was "
                                  f"rewritten\n")


def test_a_missing_key_is_an_error_never_a_pass(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    key = project / ".themeloop" / "ledger.key"
    key.unlink()
    result = cli("audit", "verify", "-p", project)
    assert result.exit_code == 2
    assert result.output == (f"Error: {key}: the ledger key is missing, but {path} is signed; "
                             f"restore the key from a backup (without it the ledger can be "
                             f"neither checked nor appended to)\n")
    assert not key.exists()  # verify never makes a new key
    # Stripping every mac as well does not turn it into an old, unsigned ledger once a
    # manifest recorded that it was signed.
    manifest = project / "out" / "manifest.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"ledger": {"path": "annotations/ledger.jsonl", "events": 5,
                                               "head": Ledger(path).head(), "keyed": True}}))
    path.write_text("".join(json.dumps({k: v for k, v in json.loads(r).items() if k != "mac"})
                            + "\n" for r in _rows(path)), encoding="utf-8")
    stripped = cli("audit", "verify", "-p", project)
    assert stripped.exit_code == 2
    assert stripped.output == (f"Error: {key}: the ledger key is missing, but {manifest} "
                               f"recorded a signed ledger; restore the key from a backup "
                               f"(without it the ledger can be neither checked nor appended "
                               f"to)\n")
    # And appending (as run and pull do) refuses in the same words.
    from themeloop.errors import AuditError

    with pytest.raises(AuditError, match="the ledger key is missing"):
        project_ledger(find_project(project))


def test_a_ledger_file_outside_a_project_needs_its_key(cli, project: Path, tmp_path_factory):
    path = project / "annotations" / "ledger.jsonl"
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    copy = elsewhere / "ledger.jsonl"
    copy.write_bytes(path.read_bytes())
    no_key = cli("audit", "verify", "--ledger", copy)
    assert no_key.exit_code == 2
    assert no_key.output == (f"Error: {copy} line 1 (seq 1): the event is signed (it has a mac) "
                             f"but no ledger key was given: pass the project's "
                             f".themeloop/ledger.key (--key FILE)\n")
    key = project / ".themeloop" / "ledger.key"
    with_key = cli("audit", "verify", "--ledger", copy, "--key", key)
    assert with_key.exit_code == 0, with_key.output
    assert with_key.output.startswith(f"{copy}: OK, 5 events, head ")


def test_the_key_file_is_private_and_made_once(project: Path):
    import stat

    key = project / ".themeloop" / "ledger.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    before = key.read_bytes()
    project_ledger(find_project(project))
    assert key.read_bytes() == before
    key.chmod(0o644)  # loosened by hand: made private again on use
    project_ledger(find_project(project))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_an_old_unsigned_ledger_is_refused_until_signed(cli, project: Path):
    path = project / "annotations" / "ledger.jsonl"
    (project / ".themeloop" / "ledger.key").unlink()
    old = [json.dumps({k: v for k, v in json.loads(r).items() if k != "mac"}) + "\n"
           for r in _rows(path)]
    path.write_text("".join(old), encoding="utf-8")  # as themeloop wrote it before signing
    refused = cli("audit", "verify", "-p", project)
    assert refused.exit_code == 2
    assert refused.output == (f"Error: {path} was written before themeloop signed its ledgers "
                              f"(its events have no mac); if you trust its history, sign it "
                              f"with 'themeloop audit sign', or move it aside to start a new "
                              f"ledger\n")
    head = Ledger(path).head()
    signed = cli("audit", "sign", "-p", project)
    assert signed.exit_code == 0, signed.output
    key = project / ".themeloop" / "ledger.key"
    assert signed.output == f"{path}: signed 5 events with the key in {key}\n"
    verified = cli("audit", "verify", "-p", project, "--head", head)  # hashes unchanged
    assert verified.exit_code == 0, verified.output
    again = cli("audit", "sign", "-p", project)
    assert again.exit_code == 2
    assert again.output == (f"Error: {path} line 1 is signed already; only a ledger written "
                            f"before themeloop signed its ledgers can be signed\n")


def test_appending_refuses_a_truncated_ledger(project: Path):
    """What run, pull and push do: the append checks the recorded heads first."""
    from themeloop.errors import AuditError

    path = project / "annotations" / "ledger.jsonl"
    head = Ledger(path).head()
    manifest = _record_head(project)
    path.write_text("".join(_rows(path)[:2]), encoding="utf-8")
    event = {"response_id": "ORG03:barriers", "question": "barriers", "code": "time",
             "action": "added", "actor": "a@x.org", "source": "human",
             "timestamp": "2026-03-05T10:00:00Z"}
    with pytest.raises(AuditError) as refused:
        project_ledger(find_project(project)).append([event])
    assert str(refused.value) == (
        f"{path} line 3 (seq 3): the ledger ends after 2 events, but {manifest} recorded 5 "
        f"(head {head[:16]}): events were cut off its end or the file was emptied; refusing to "
        f"append to a ledger that fails verification: restore it from a backup, then check it "
        f"with 'themeloop audit verify'")
    assert len(_rows(path)) == 2


def test_manifest_adds_the_head_of_a_run_written_elsewhere(cli, project: Path):
    """`run --out DIR` writes its manifest outside out/: verify checks it when named."""
    path = project / "annotations" / "ledger.jsonl"
    recorded = _record_head(project)
    elsewhere = project / "elsewhere" / "manifest.json"
    elsewhere.parent.mkdir()
    recorded.replace(elsewhere)
    path.write_text("".join(_rows(path)[:4]), encoding="utf-8")
    assert cli("audit", "verify", "-p", project).exit_code == 0  # no manifest it knows of
    named = cli("audit", "verify", "-p", project, "--manifest", elsewhere)
    assert named.exit_code == 2
    assert named.output.startswith(f"Error: {path} line 5 (seq 5): the ledger ends after 4 "
                                   f"events, but {elsewhere} recorded 5 ")
