"""Adjudication through Label Studio: disputed units out, the adjudicator's decisions back in.

The round trip runs against a real server (marked ``studio``); the rest needs none.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from themeloop.agreement import compute_agreement
from themeloop.cli.app import app
from themeloop.codebook import load_codebook
from themeloop.coding import read_coding_table
from themeloop.config import find_project
from themeloop.studio.adjudication import (
    adjudication_config,
    coders_summary,
    disputed_units,
    registry_key,
)
from themeloop.studio.projects import Registry, ensure_project
from themeloop.studio.pull import pull
from themeloop.studio.push import build_tasks, choices_result, question_config
from themeloop.studio.server import StudioPaths
from themeloop.studio.sync import export_snapshot
from themeloop.survey import load_project_survey

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import CODERS, EXAMPLE, free_port, write_project

pytest_plugins = ["studio_fixture"]

A, B = CODERS
ADJUDICATOR = "chloe.reid@example.org"
runner = CliRunner()


def _table(rows: list[tuple[str, str, str]], question: str = "barriers") -> pd.DataFrame:
    return pd.DataFrame([{"response_id": r, "question": question, "coder": c, "code": k,
                          "source": "human", "status": "submitted"} for r, c, k in rows])


# --------------------------------------------------------------------------- no server


def test_disputed_units_by_rule_and_all_disagreements():
    third = "c@example.org"
    table = _table([("u1", A, "funding"), ("u1", B, "funding"),            # unanimous
                    ("u2", A, "funding"), ("u2", B, "regulation"),         # tie both ways
                    ("u3", A, "funding"), ("u3", B, "funding"), ("u3", third, ""),  # 2 of 3
                    ("u4", A, ""), ("u4", B, "")])                          # both: no code
    assert list(disputed_units(table, "majority")["response_id"]) == ["u2"]
    assert list(disputed_units(table, "unanimous")["response_id"]) == ["u2", "u3"]
    everywhere = disputed_units(table, "majority", all_disagreements=True)
    assert list(everywhere["response_id"]) == ["u2", "u3"]
    # an adjudicator who decided nothing yet: the other coders must be unanimous
    assert list(disputed_units(table, f"adjudicator:{ADJUDICATOR}")["response_id"]) == \
        ["u2", "u3"]
    decided = pd.concat([table, _table([("u2", ADJUDICATOR, "funding")])
                         .assign(source="adjudication")])
    assert list(disputed_units(decided, f"adjudicator:{ADJUDICATOR}")["response_id"]) == ["u3"]


def test_config_shows_the_coders_and_summary_reads_well():
    project = find_project(EXAMPLE)
    codebook = load_codebook(project.codebook_path)
    config = adjudication_config(question_config(project, codebook, "barriers"))
    view = ET.fromstring(config)
    names = [el.get("name") for el in view if el.tag in ("Text", "Choices", "TextArea")]
    assert names[names.index("text") + 1] == "coders"
    assert view.find("Text[@name='coders']").get("value") == "$coders_summary"
    summary = coders_summary({A: {"codes": ["funding"], "memo": "money\nmostly", "unclear": True},
                              B: {"codes": [], "memo": "", "unclear": False}},
                             codebook, "barriers")
    assert summary.splitlines() == [
        (f'{A}: {codebook.label("barriers", "funding")} [funding]; memo: "money / mostly" '
         "(flagged unclear)"),
        f"{B}: no code"]


def _offline_project(tmp_path: Path, rows) -> Path:
    root = write_project(tmp_path / "project", free_port())
    (root / "annotations").mkdir()
    _table(rows).to_csv(root / "annotations" / "coding_table.csv", index=False)
    return root


def test_nothing_to_adjudicate_is_not_an_error(tmp_path):
    root = _offline_project(tmp_path, [("ORG01:barriers", A, "funding"),
                                       ("ORG01:barriers", B, "funding")])
    result = runner.invoke(app, ["adjudicate", "--push", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "no disagreements to adjudicate (rule majority)\n"


def test_push_errors_are_one_line_exit_2(tmp_path):
    root = _offline_project(tmp_path, [("ORG01:barriers", A, "funding"),
                                       ("ORG01:barriers", B, "regulation")])
    state = root / ".themeloop" / "studio"
    state.mkdir(parents=True)
    (state / "admin.token").write_text("0" * 40)
    (state / "admin.token").chmod(0o600)
    result = runner.invoke(app, ["adjudicate", "--push", "-p", str(root)])
    assert result.exit_code == 2
    port = find_project(root).config.studio.port
    assert re.fullmatch(rf"Error: Label Studio at http://127\.0\.0\.1:{port} is unreachable "
                        r"\(.+\); start it with 'themeloop studio up'\n", result.stderr)

    result = runner.invoke(app, ["adjudicate", "--all-disagreements", "-p", str(root)])
    assert (result.exit_code, result.stderr) == \
        (2, "Error: --all-disagreements only works with --push\n")

    (root / "codebook.yaml").unlink()
    result = runner.invoke(app, ["adjudicate", "--push", "-p", str(root)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "codebook.yaml" in result.stderr


# --------------------------------------------------------------------------- real server


def _user_ids(client, emails) -> dict[str, int]:
    ids = {u.email: int(u.id) for u in client.users.list()}
    for email in sorted(set(emails) - set(ids)):
        ids[email] = int(client.users.create(username=email, email=email).id)
    return ids


def _two_coders(rids: list[str], codes: list[str]) -> dict[str, dict[str, list[str]]]:
    """Deterministic codings: B differs from A on some answers, in several ways."""
    out = {}
    for i, rid in enumerate(rids):
        a = [codes[i % len(codes)]]
        if i % 4 == 0:
            b = [codes[(i + 1) % len(codes)]]            # another code
        elif i % 4 == 1 and i % 8 != 1:
            b = [*a, codes[(i + 2) % len(codes)]]        # one more code
        elif i == 2:
            b = []                                       # no code at all
        else:
            b = list(a)
        out[rid] = {A: a, B: b}
    return out


def _sets(frame: pd.DataFrame) -> dict[str, frozenset]:
    return {rid: frozenset(g["code"]) - {""} for rid, g in frame.groupby("response_id")}


@pytest.mark.studio
def test_adjudication_round_trip(shared_studio_server, shared_studio_project, tmp_path):
    server, root = shared_studio_server, shared_studio_project
    project = find_project(root)
    client = server.client()
    codebook = load_codebook(project.codebook_path)
    users = _user_ids(client, [A, B, ADJUDICATOR])

    # the coding project, with two coders' annotations (as push would have made it)
    registry = Registry.load(StudioPaths.for_project(project).projects)
    coding, _ = ensure_project(client, registry, server.url, "barriers",
                               label_config=question_config(project, codebook, "barriers"),
                               maximum_annotations=2)
    tasks = build_tasks(load_project_survey(project), "barriers")
    rids = [t["data"]["response_id"] for t in tasks]
    codings = _two_coders(rids, codebook.code_ids("barriers"))
    memo = {"from_name": "memo", "to_name": "text", "type": "textarea",
            "value": {"text": ["mostly money"]}}
    client.projects.import_tasks(coding.id, request=[
        {**t, "annotations": [
            {"completed_by": users[coder],
             "result": choices_result(codes) + ([memo] if coder == A and i == 0 else [])
             if codes else []}
            for coder, codes in codings[t["data"]["response_id"]].items()]}
        for i, t in enumerate(tasks)])
    pull(project)
    table_path = project.annotations_dir / "coding_table.csv"
    disputed = sorted(r for r, c in codings.items() if set(c[A]) != set(c[B]))
    assert 5 <= len(disputed) < len(rids)
    agreement = json.dumps(compute_agreement(read_coding_table(table_path), bootstrap=0))

    # push the disputes: exactly the disputed units, one prediction per coder
    result = runner.invoke(app, ["adjudicate", "--push", "--rule", "majority", "-p", str(root)])
    assert result.exit_code == 0, result.output
    entry = Registry.load(StudioPaths.for_project(project).projects).entry(
        server.url, registry_key("barriers"))
    pid = int(entry["id"])
    url = f"{server.url}/projects/{pid}/data"
    assert f"barriers: {len(disputed)} disputed unit(s) sent for adjudication " \
           f"({len(disputed)} new, 0 already there) to {url}" in result.stdout
    ls_project = client.projects.get(pid)
    assert ls_project.title == "themeloop: barriers (adjudication)"
    assert ls_project.maximum_annotations == 1
    assert "$coders_summary" in ls_project.label_config
    exported = json.loads(export_snapshot(client, pid))
    assert sorted(t["data"]["response_id"] for t in exported) == disputed
    for task in exported:
        rid = task["data"]["response_id"]
        got = {p["model_version"]: [c for item in p["result"] for c in item["value"]["choices"]]
               for p in task["predictions"]}
        assert got == codings[rid], rid
        assert [line.split(":")[0] for line in task["data"]["coders_summary"].splitlines()] == \
            [A, B]
    assert 'memo: "mostly money"' in next(t["data"]["coders_summary"] for t in exported
                                          if t["data"]["response_id"] == rids[0])

    again = runner.invoke(app, ["adjudicate", "--push", "-p", str(root), "--rule", "majority"])
    assert again.exit_code == 0, again.output
    assert f"({len(disputed)} new" not in again.stdout
    assert f"(0 new, {len(disputed)} already there)" in again.stdout
    exported = json.loads(export_snapshot(client, pid))
    assert len(exported) == len(disputed)
    assert sum(len(t["predictions"]) for t in exported) == 2 * len(disputed)

    # the adjudicator decides each disputed unit in Label Studio
    decided: dict[str, list[str]] = {}
    for j, task in enumerate(sorted(exported, key=lambda t: t["data"]["response_id"])):
        rid = task["data"]["response_id"]
        a, b = codings[rid][A], codings[rid][B]
        decided[rid] = [a, sorted({*a, *b}), []][j % 3]
        client.annotations.create(task["id"], completed_by=users[ADJUDICATOR],
                                  result=choices_result(decided[rid]) if decided[rid] else [])
    pulled = pull(project)
    assert any(p.name.startswith("barriers.adjudication-") for p in pulled.raw)
    table = read_coding_table(table_path)
    theirs = table[table["source"] == "adjudication"]
    assert set(theirs["coder"]) == {ADJUDICATOR}
    assert set(theirs["status"]) == {"submitted"}
    assert (theirs["timestamp"] != "").all()
    assert _sets(theirs) == {r: frozenset(c) for r, c in decided.items()}
    assert json.dumps(compute_agreement(table, bootstrap=0)) == agreement

    # the majority rule leaves them unused (and says so); the adjudicator rule folds them in
    out = tmp_path / "out"
    majority = runner.invoke(app, ["adjudicate", "--rule", "majority", "-p", str(root),
                                   "--out", str(out)])
    assert majority.exit_code == 0, majority.output
    assert f"Note: {ADJUDICATOR} decided {len(disputed)} unit(s)" in majority.stderr
    result = runner.invoke(app, ["adjudicate", "--rule", f"adjudicator:{ADJUDICATOR}",
                                 "-p", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Note:" not in result.stderr
    assert len(pd.read_csv(out / "undecided.csv")) == 0
    agreed = pd.read_csv(out / "agreed.csv", dtype=str, keep_default_na=False)
    expected = {r: frozenset(decided[r] if r in decided else c[A]) for r, c in codings.items()}
    assert _sets(agreed) == expected

    # nothing new since: pull writes nothing
    assert not pull(project).changed

    client.projects.delete(pid)
    gone = runner.invoke(app, ["pull", "-p", str(root)])
    assert (gone.exit_code, gone.stderr) == (2, (
        f"Error: adjudication project for question 'barriers' (id {pid}) was deleted in Label "
        "Studio; run 'themeloop adjudicate --push --question barriers --recreate' to make a new "
        "one (decisions pulled before are in annotations/raw)\n"))
