"""Studio pieces that need no server: coding rows, predictions, tasks, secrets, the port check."""

from __future__ import annotations

import json
import os
import socket
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

from themeloop.cli.app import app
from themeloop.codebook import load_codebook
from themeloop.config import find_project
from themeloop.errors import StudioError
from themeloop.studio.config_sync import _moved_result, code_mapping
from themeloop.studio.pull import COLUMNS, coding_rows, table_csv
from themeloop.studio.push import build_tasks, load_predictions
from themeloop.studio.server import StudioPaths, admin_token, port_in_use, server_env

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import write_project


def _ann(aid, email, codes=(), memo=None, unclear=False, cancelled=False, lead=1.5):
    result = [{"from_name": "codes", "to_name": "text", "type": "choices",
               "value": {"choices": list(codes)}}] if codes else []
    if memo:
        result.append({"from_name": "memo", "to_name": "text", "type": "textarea",
                       "value": {"text": [memo]}})
    if unclear:
        result.append({"from_name": "flags", "to_name": "text", "type": "choices",
                       "value": {"choices": ["unclear"]}})
    return {"id": aid, "completed_by": {"id": 7, "email": email}, "result": result,
            "was_cancelled": cancelled, "updated_at": "2026-01-02T03:04:05.000006Z",
            "lead_time": lead}


def test_coding_rows_one_row_per_code_and_statuses():
    export = [
        {"data": {"response_id": "A:q"}, "annotations": [
            _ann(1, "a@x.org", ["funding", "time"], memo="both", unclear=True),
            _ann(2, "b@x.org", []),
            _ann(3, "c@x.org", [], cancelled=True),
            _ann(4, "d@x.org", ["funding"], cancelled=True),
            _ann(5, "e@x.org", ["bogus"]),
        ]},
        {"data": {"response_id": "B:q"}, "annotations": []},
        {"data": {"text": "no id"}, "annotations": [_ann(9, "a@x.org", ["funding"])]},
    ]
    rows = coding_rows(export, "q", {"funding", "time"}, "1.0")
    got = [(r["coder"], r["code"], r["status"], r["unclear"], r["in_codebook"]) for r in rows]
    assert got == [
        ("a@x.org", "funding", "submitted", True, True),
        ("a@x.org", "time", "submitted", True, True),
        ("b@x.org", "", "submitted", False, True),
        ("c@x.org", "", "skipped", False, True),
        ("d@x.org", "", "cancelled", False, True),
        ("e@x.org", "bogus", "submitted", False, False),
    ]
    assert rows[0]["memo"] == "both" and rows[0]["annotation_id"] == "1"
    assert rows[0]["timestamp"] == "2026-01-02T03:04:05.000006Z"
    assert {r["source"] for r in rows} == {"human"}


def test_table_csv_is_stable_under_row_order():
    rows = coding_rows([{"data": {"response_id": f"R{i}:q"},
                         "annotations": [_ann(10 - i, "a@x.org", ["c"])]} for i in range(5)],
                       "q", {"c"}, "1")
    text = table_csv(rows)
    assert text == table_csv(list(reversed(rows)))
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert table_csv([]).strip() == ",".join(COLUMNS)


def test_code_mapping_from_replaces_and_diff(tmp_path):
    from themeloop.codebook import Codebook

    old = Codebook(version="1", questions={"q": {"codes": [
        {"id": "cost", "label": "Cost"}, {"id": "staff", "label": "Staff"},
        {"id": "time", "label": "Time"}]}})
    new = Codebook(version="2", questions={"q": {"codes": [
        {"id": "money", "label": "Money", "replaces": ["cost"]},
        {"id": "time", "label": "Time"}]}})
    ids = {"cost", "staff", "time"}
    assert code_mapping(old, new, "q", ids) == {"cost": "money", "staff": None, "time": "time"}
    assert code_mapping(None, new, "q", ids) == {"cost": "money", "staff": None, "time": "time"}


def test_moved_result_merges_without_duplicates():
    result = [{"from_name": "codes", "type": "choices", "value": {"choices": ["a", "b", "c"]}},
              {"from_name": "memo", "type": "textarea", "value": {"text": ["m"]}}]
    new, moved = _moved_result(result, {"a": "c", "b": "d"}, "codes")
    assert new[0]["value"]["choices"] == ["c", "d"]
    assert moved == [("a", "c"), ("b", "d")]
    assert new[1] == result[1]


@pytest.fixture
def project(tmp_path):
    return find_project(write_project(tmp_path / "p", 1))


def test_build_tasks_only_substantive_and_blind_by_default(project):
    from themeloop.survey import load_project_survey

    survey = load_project_survey(project)
    tasks = build_tasks(survey, "barriers")
    responses = survey.responses()
    wanted = responses[(responses.question == "barriers") & responses.substantive]
    assert [t["data"]["response_id"] for t in tasks] == list(wanted.response_id)
    assert set(tasks[0]["data"]) == {"response_id", "question", "text"}
    with_attr = build_tasks(survey, "barriers", ["org_type"])
    assert "org_type" in with_attr[0]["data"]


def test_load_predictions_keeps_codebook_codes_only(project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "themes.json").write_text(json.dumps({"run_id": "run-7"}))
    pd.DataFrame({
        "response_id": ["ORG01:barriers", "ORG02:barriers", "ORG03:barriers", "ORG01:practice"],
        "question": ["barriers", "barriers", "barriers", "practice"],
        "theme_id": ["funding", "unassigned", "not_a_code", "funding"],
        "score": [0.8, 0.1, 0.9, 0.7],
    }).to_csv(out / "assignments.csv", index=False)
    codebook = load_codebook(project.codebook_path)
    predictions, run_id = load_predictions(out, "barriers", codebook.code_ids("barriers"))
    assert run_id == "run-7"
    assert list(predictions) == ["ORG01:barriers"]
    [p] = predictions["ORG01:barriers"]
    assert p["model_version"] == "run-7" and p["score"] == 0.8
    assert p["result"][0]["value"]["choices"] == ["funding"]
    assert load_predictions(tmp_path / "nothing", "barriers", ["funding"]) is None


def test_secrets_are_0600_and_not_in_argv(tmp_path):
    paths = StudioPaths(tmp_path / "studio")
    env = server_env(paths)
    for path in (paths.token, paths.password):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert env["LABEL_STUDIO_USER_TOKEN"] == admin_token(paths)
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_SENTRY_DSN"] == "" and env["LABEL_STUDIO_FRONTEND_SENTRY_DSN"] == ""
    assert not {"HOST", "PORT", "USERNAME", "PASSWORD"} & set(env)
    assert server_env(paths)["LABEL_STUDIO_USER_TOKEN"] == env["LABEL_STUDIO_USER_TOKEN"]


def test_admin_token_without_server_says_what_to_do(tmp_path):
    with pytest.raises(StudioError, match="start it with 'themeloop studio up'"):
        admin_token(StudioPaths(tmp_path / "none"))


runner = CliRunner()


def test_up_refuses_a_busy_port_before_starting(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
        root = write_project(tmp_path / "p", port)
        result = runner.invoke(app, ["studio", "up", "-p", str(root)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"Error: port {port} on 127.0.0.1 is in use; "
                                     "choose another with --port or stop what uses it")
    assert not (root / ".themeloop" / "studio" / "server.json").exists()


def test_remote_without_token_env(tmp_path, monkeypatch):
    monkeypatch.delenv("TL_TEST_TOKEN", raising=False)
    root = write_project(tmp_path / "p", 1, extra_studio='url = "http://127.0.0.1:9"\n'
                                                         'token_env = "TL_TEST_TOKEN"\n')
    result = runner.invoke(app, ["pull", "-p", str(root)])
    assert result.exit_code == 2
    assert "set the environment variable TL_TEST_TOKEN" in result.output
    assert not (root / "annotations").exists()


def test_status_when_not_running(tmp_path):
    root = write_project(tmp_path / "p", 1)
    result = runner.invoke(app, ["studio", "status", "--json", "-p", str(root)])
    assert result.exit_code == 0
    assert json.loads(result.output)["running"] is False


def test_bound_port_is_read_from_the_log(tmp_path):
    from themeloop.studio.server import _bound_port

    log = tmp_path / "server.log"
    log.write_bytes(b"old run\nStarting development server at http://127.0.0.1:8000/\n")
    start = log.stat().st_size
    assert _bound_port(log, start) is None
    with open(log, "ab") as fh:
        fh.write(b"Initializing database..\nStarting development server at http://127.0.0.1:8766/\n")
    assert _bound_port(log, start) == 8766


def test_pulled_table_reads_as_a_coding_table(tmp_path):
    from themeloop.coding import read_coding_table

    export = [{"data": {"response_id": "A:q"}, "annotations": [
        _ann(1, "a@x.org", ["funding"], memo="m, with comma", unclear=True),
        _ann(2, "b@x.org", [], cancelled=True), _ann(3, "c@x.org", ["bogus"])]}]
    path = tmp_path / "coding_table.csv"
    path.write_text(table_csv(coding_rows(export, "q", {"funding"}, "1.0")), encoding="utf-8")
    table = read_coding_table(path)
    assert list(table["code"]) == ["funding", "", "bogus"]
    assert list(table["status"]) == ["submitted", "skipped", "submitted"]
    assert table.loc[0, "memo"] == "m, with comma"


def test_make_private_tightens_every_folder_and_file_but_not_links(tmp_path):
    from themeloop.studio.server import make_private

    root = tmp_path / "studio"
    (root / "media" / "export").mkdir(parents=True, mode=0o755)
    root.chmod(0o755)
    db = root / "label_studio.sqlite3"
    db.write_text("db")
    db.chmod(0o644)
    export = root / "media" / "export" / "project-1.json"
    export.write_text("[]")
    export.chmod(0o664)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (root / "link").symlink_to(outside)
    changed = make_private(root)
    assert sorted(str(p.relative_to(tmp_path)) for p in changed) == [
        "studio", "studio/label_studio.sqlite3", "studio/media", "studio/media/export",
        "studio/media/export/project-1.json"]
    for path in (root, root / "media", root / "media" / "export"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in (db, export):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a link is not followed
    assert make_private(root) == []  # private already: nothing to say


def test_the_server_saves_its_files_privately(tmp_path):
    """Django chmods saved files to FILE_UPLOAD_PERMISSIONS; the server's sitecustomize sets it."""
    from themeloop.studio.server import SERVER_UMASK

    env = server_env(StudioPaths(tmp_path / "studio"))
    site = os.path.join(env["PYTHONPATH"], "sitecustomize.py")
    assert os.listdir(env["PYTHONPATH"]) == ["sitecustomize.py"]  # nothing else to shadow
    text = open(site, encoding="utf-8").read()
    assert "global_settings.FILE_UPLOAD_PERMISSIONS = 0o600" in text
    assert "global_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700" in text
    assert stat.S_IMODE(os.stat(site).st_mode) == 0o600
    assert SERVER_UMASK == 0o077
