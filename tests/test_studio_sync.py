"""Push and pull against a real Label Studio: round trip, idempotence, kill -9, migration, errors."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from themeloop.cli.app import app
from themeloop.codebook import load_codebook
from themeloop.config import find_project
from themeloop.studio.projects import Registry, ensure_project
from themeloop.studio.pull import pull
from themeloop.studio.push import build_tasks, choices_result, push, question_config
from themeloop.studio.server import StudioPaths, stop_server
from themeloop.studio.sync import list_task_index
from themeloop.survey import load_project_survey

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import REPO

pytest_plugins = ["studio_fixture"]

pytestmark = pytest.mark.studio


@pytest.fixture
def server(shared_studio_server):
    """The module's Label Studio (one start for all tests that do not stop it)."""
    return shared_studio_server


@pytest.fixture
def root(shared_studio_project):
    """A fresh project folder, with its own projects, on the module's server."""
    return shared_studio_project

SAMPLE_TABLE = REPO / "annotations" / "innovation-survey" / "coding_table.csv"
ADMIN = "admin@themeloop.local"
COMPARED = ["response_id", "question", "coder", "code", "memo", "status", "unclear", "lead_time"]
runner = CliRunner()


def _sample(question: str) -> pd.DataFrame:
    table = pd.read_csv(SAMPLE_TABLE, dtype=str, keep_default_na=False)
    return table[table["question"] == question]


def _annotations(rows: pd.DataFrame, coders: dict[str, int]) -> dict[str, list[dict]]:
    """The sample coding table as Label Studio annotations, by response id."""
    out: dict[str, list[dict]] = {}
    for (rid, coder, _), group in rows.groupby(["response_id", "coder", "annotation_id"],
                                               sort=False):
        first = group.iloc[0]
        codes = [c for c in group["code"] if c]
        result = choices_result(codes) if codes else []
        if first["memo"]:
            result.append({"from_name": "memo", "to_name": "text", "type": "textarea",
                           "value": {"text": [first["memo"]]}})
        if first["unclear"] == "True":
            result.append({"from_name": "flags", "to_name": "text", "type": "choices",
                           "value": {"choices": ["unclear"]}})
        status = first.get("status") or "submitted"
        if status == "cancelled":  # ticked a code, then skipped: the tick is not a coding
            result = choices_result(["funding"])
        out.setdefault(rid, []).append({
            "completed_by": coders[coder], "result": [] if status == "skipped" else result,
            "was_cancelled": status != "submitted",
            "lead_time": float(first["lead_time"]) if first["lead_time"] else None})
    return out


def _coder_ids(client, emails: set[str]) -> dict[str, int]:
    """User ids of these coders on the server, creating the accounts that are missing."""
    ids = {u.email: int(u.id) for u in client.users.list()}
    for email in sorted(emails - set(ids)):
        ids[email] = int(client.users.create(username=email, email=email).id)
    return ids


def _coded_project(root: Path, server, question: str = "barriers"):
    """Create the question's project as push would, with tasks carrying the sample's codings.

    Adds the admin as a third coder who skipped one answer and cancelled another.
    Returns ``(project, client, expected coding rows)``.
    """
    project = find_project(root)
    client = server.client()
    codebook = load_codebook(project.codebook_path)
    registry = Registry.load(StudioPaths.for_project(project).projects)
    ls_project, _ = ensure_project(client, registry, server.url, question,
                                   label_config=question_config(project, codebook, question),
                                   maximum_annotations=2)
    tasks = build_tasks(load_project_survey(project), question)
    sample = _sample(question)  # its coders also coded "N/A" answers, which are no tasks
    sample = sample[sample["response_id"].isin({t["data"]["response_id"] for t in tasks})]
    annotations = _annotations(sample, _coder_ids(client, set(sample["coder"])))
    # the memo belongs to the annotation: pull repeats it on each of its code rows
    sample = sample.assign(memo=sample.groupby(["response_id", "coder", "annotation_id"])
                           ["memo"].transform("max"))
    admin = client.users.whoami().id
    first, second = tasks[0]["data"]["response_id"], tasks[1]["data"]["response_id"]
    annotations.setdefault(first, []).append(
        {"completed_by": admin, "result": [], "was_cancelled": True, "lead_time": 1.0})
    annotations.setdefault(second, []).append(
        {"completed_by": admin, "result": choices_result(["funding"]), "was_cancelled": True,
         "lead_time": 2.0})
    client.projects.import_tasks(ls_project.id, request=[
        {**t, "annotations": annotations.get(t["data"]["response_id"], [])} for t in tasks])
    extra = pd.DataFrame([
        {"response_id": first, "question": question, "coder": ADMIN, "code": "", "memo": "",
         "status": "skipped", "unclear": "False", "lead_time": "1.0"},
        {"response_id": second, "question": question, "coder": ADMIN, "code": "", "memo": "",
         "status": "cancelled", "unclear": "False", "lead_time": "2.0"}])
    return project, client, pd.concat([sample[COMPARED], extra], ignore_index=True)


def _norm(table: pd.DataFrame) -> list[tuple]:
    table = table[COMPARED].astype(str).copy()
    table["lead_time"] = table["lead_time"].map(lambda v: f"{float(v):.3f}" if v else "")
    return sorted(map(tuple, table.itertuples(index=False)))


def test_two_coder_round_trip_and_nothing_new(server, root):
    project, _, expected = _coded_project(root, server)
    # push sees every answer already there: nothing imported, annotations untouched
    result = push(project, question="barriers", predictions=False)
    assert (result.questions[0].stats.imported, result.questions[0].stats.existing) == \
        (0, len(build_tasks(load_project_survey(project), "barriers")))

    first = pull(project)
    table = pd.read_csv(first.table_path, dtype=str, keep_default_na=False)
    assert _norm(table) == _norm(expected)
    assert set(table["source"]) == {"human"} and set(table["codebook_version"]) == {"1.0"}
    assert set(table["coder"]) == {*expected["coder"]}
    assert (table["in_codebook"] == "True").all()
    [raw] = first.raw
    assert raw.parent == project.annotations_dir / "raw"
    assert stat.S_IMODE(raw.stat().st_mode) == 0o444
    assert json.loads(raw.read_bytes())[0]["annotations"][0]["completed_by"]["email"]

    ledger = project.annotations_dir / "ledger.jsonl"
    if ledger.exists():  # the audit ledger records each human code pulled, once
        coded = table[(table["code"] != "") & (table["status"] == "submitted")]
        assert first.ledger_events == len(coded)
        assert {json.loads(line)["action"] for line in ledger.read_text().splitlines()} == \
            {"added"}

    before = first.table_path.stat().st_mtime_ns
    cli = runner.invoke(app, ["pull", "-p", str(root)])
    assert cli.exit_code == 0, cli.output
    assert cli.output.startswith("nothing new")
    assert list((project.annotations_dir / "raw").iterdir()) == [raw]
    assert first.table_path.stat().st_mtime_ns == before
    if ledger.exists():
        assert len(ledger.read_text().splitlines()) == first.ledger_events


def test_unknown_codes_are_flagged_not_dropped(server, root):
    project, client, _ = _coded_project(root, server)
    pid = Registry.load(StudioPaths.for_project(project).projects).entry(
        server.url, "barriers")["id"]
    index, _ = list_task_index(client, pid)
    client.annotations.create(index["ORG03:barriers"].id, result=choices_result(["not_a_code"]),
                              completed_by=server.coders["ben.osei@example.org"])
    with pytest.warns(UserWarning, match="not_a_code"):
        result = pull(project)
    assert result.unknown_codes == {"barriers": ["not_a_code"]}
    table = pd.read_csv(result.table_path, dtype=str, keep_default_na=False)
    flagged = table[table["in_codebook"] == "False"]
    assert list(flagged["code"]) == ["not_a_code"]


def _write_themes(project, run_id: str, rids: list[str]) -> None:
    project.out_dir.mkdir(parents=True, exist_ok=True)
    (project.out_dir / "themes.json").write_text(json.dumps({"run_id": run_id}))
    pd.DataFrame({"response_id": rids, "question": "barriers", "theme_id": "funding",
                  "score": 0.5}).to_csv(project.out_dir / "assignments.csv", index=False)


def test_repush_is_idempotent_and_refreshes_only_unannotated(server, root):
    project = find_project(root)
    rids = [t["data"]["response_id"]
            for t in build_tasks(load_project_survey(project), "barriers")]
    _write_themes(project, "run-1", rids)
    first = push(project, question="barriers").questions[0]
    assert (first.stats.imported, first.model_version) == (len(rids), "run-1")
    again = push(project, question="barriers").questions[0]
    assert (again.stats.imported, again.stats.existing, again.stats.predictions_refreshed) == \
        (0, len(rids), 0)

    client = server.client()
    index, _ = list_task_index(client, first.project_id)
    client.annotations.create(index[rids[0]].id, result=choices_result(["funding"]),
                              completed_by=server.coders["amira.khan@example.org"])
    survey = pd.read_csv(root / "survey.csv", dtype=str, keep_default_na=False)
    added = pd.concat([survey.iloc[[0]], survey.iloc[[0]]], ignore_index=True)
    added["org_id"] = ["ORG98", "ORG99"]
    added["barriers_text"] = ["Money is short and grants are brief.", "N/A"]
    pd.concat([survey, added]).to_csv(root / "survey.csv", index=False)
    _write_themes(project, "run-2", rids + ["ORG98:barriers"])
    third = push(project, question="barriers").questions[0]
    assert third.stats.imported == 1  # ORG99's "N/A" is not substantive
    assert third.stats.predictions_refreshed == len(rids) - 1
    assert third.stats.predictions_kept_annotated == 1

    index, duplicates = list_task_index(client, first.project_id)
    assert duplicates == [] and set(index) == {*rids, "ORG98:barriers"}
    assert index[rids[0]].model_versions == {"run-1"}
    assert {s.model_versions for r, s in index.items() if r != rids[0]} == {frozenset({"run-2"})}
    assert all(s.predictions == 1 for s in index.values())


KILL_SCRIPT = textwrap.dedent("""\
    import sys, time
    from themeloop.config import find_project
    from themeloop.studio.push import push

    def after_batch(task, done, total):
        if done:
            print("batch", done, flush=True)
            time.sleep(60)

    push(find_project(sys.argv[1]), question="barriers", predictions=False, batch_size=5,
         progress=after_batch)
    """)


def test_kill_9_during_push_then_repush_gives_one_task_per_answer(server, root):
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().split() == ["batch", "5"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    project = find_project(root)
    pid = Registry.load(StudioPaths.for_project(project).projects).entry(
        server.url, "barriers")["id"]
    client = server.client()
    assert len(list_task_index(client, pid)[0]) == 5
    result = runner.invoke(app, ["push", "-q", "barriers", "--no-predictions", "--batch-size", "7",
                                 "-p", str(root)])
    assert result.exit_code == 0, result.output
    rids = [t["data"]["response_id"] for t in build_tasks(load_project_survey(project), "barriers")]
    index, duplicates = list_task_index(client, pid)
    assert duplicates == [] and sorted(index) == sorted(rids)


def _edit_codebook(project, version: str, edit) -> None:
    data = yaml.safe_load(project.codebook_path.read_text(encoding="utf-8"))
    data["version"] = version
    edit(data["questions"]["barriers"]["codes"])
    project.codebook_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_codebook_change_migrates_codings_and_refuses_unmapped_removal(server, root):
    project, client, expected = _coded_project(root, server)
    push(project, question="barriers", predictions=False)
    # rename the least used code: fewer annotations to update, the same path
    counts = expected[expected["code"] != ""]["code"].value_counts()
    renamed = {counts.index[-1]: "renamed_code"}
    n_moved = int(counts[list(renamed)].sum())

    def rename(codes):
        for code in codes:
            if code["id"] in renamed:
                code["id"], code["replaces"] = renamed[code["id"]], [code["id"]]

    _edit_codebook(project, "1.1", rename)
    result = push(project, question="barriers", predictions=False).questions[0]
    assert result.config.updated and result.config.removed == sorted(renamed)
    assert len(result.config.migrated) == n_moved
    table = pd.read_csv(pull(project).table_path, dtype=str, keep_default_na=False)
    assert not set(renamed) & set(table["code"])
    for old, new in renamed.items():
        assert int((table["code"] == new).sum()) == counts[old]
    assert set(table["codebook_version"]) == {"1.1"}
    ledger = project.annotations_dir / "ledger.jsonl"
    if ledger.exists():
        actions = [json.loads(line)["action"] for line in ledger.read_text().splitlines()]
        assert actions.count("migrated") == n_moved

    # removing a code in use without saying where its codings go is refused
    _edit_codebook(project, "1.2", lambda codes: codes.remove(
        next(c for c in codes if c["id"] == "funding")))
    cli = runner.invoke(app, ["push", "-q", "barriers", "-p", str(root)])
    assert cli.exit_code == 2
    line = cli.output.strip()
    assert line.startswith("Error: codebook 1.2 and the Label Studio project for question "
                           "'barriers' are out of step: ") and "\n" not in line
    assert "it removes code(s) that coders used: funding (" in line
    assert 'value="funding"' in client.projects.get(result.project_id).label_config


def test_deleted_project_wrong_token_unreachable(studio_server, studio_project, monkeypatch):
    project = find_project(studio_project)
    pid = push(project, question="barriers", predictions=False).questions[0].project_id
    studio_server.client().projects.delete(pid)
    deleted = (f"Error: project for question 'barriers' (id {pid}) was deleted in Label Studio; "
               "run 'themeloop push --question barriers --recreate' to make a new one")
    for args in (["push"], ["pull"]):
        result = runner.invoke(app, [*args, "-p", str(studio_project)])
        assert result.exit_code == 2
        assert result.output.startswith(deleted), result.output
    assert not (project.annotations_dir / "coding_table.csv").exists()
    recreated = runner.invoke(app, ["push", "-q", "barriers", "--recreate", "--no-predictions",
                                    "-p", str(studio_project)])
    assert recreated.exit_code == 0, recreated.output
    assert "created" in recreated.output

    remote = studio_project.parent / "remote"
    from studio_fixture import write_project

    write_project(remote, 1, extra_studio=f'url = "{studio_server.url}"\n'
                                          'token_env = "TL_BAD_TOKEN"\n')
    monkeypatch.setenv("TL_BAD_TOKEN", "0" * 40)
    result = runner.invoke(app, ["pull", "-p", str(remote)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Error: Label Studio at {studio_server.url} refused the API token in the environment "
        "variable TL_BAD_TOKEN (HTTP 401); check the token")

    stop_server(StudioPaths.for_project(project))
    result = runner.invoke(app, ["push", "-p", str(studio_project)])
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith(f"Error: Label Studio at {studio_server.url} is unreachable (")
    assert line.endswith("; start it with 'themeloop studio up'") and "\n" not in line
