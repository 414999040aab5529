"""push --next and push --review against a real Label Studio: coders get the chosen answers first.

Each coder asks the server for their next task (``GET /api/projects/<id>/next``,
what the labelling stream calls) with their own API token, read from the test
server's database (the template made their accounts; Label Studio gives each
user a legacy token, and only the admin's is kept on disk by themeloop).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pandas as pd
import pytest

from themeloop.autocode.queue import next_answers
from themeloop.config import find_project
from themeloop.pipeline.context import RunContext
from themeloop.studio.front import list_tasks
from themeloop.studio.push import push
from themeloop.studio.push_queue import push_next, push_review
from themeloop.studio.sync import list_task_index

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import CODERS, REPO  # noqa: E402

pytest_plugins = ["studio_fixture"]
pytestmark = pytest.mark.studio

SAMPLE_TABLE = REPO / "annotations" / "innovation-survey" / "coding_table.csv"
CODED = [f"ORG{i:02d}:barriers" for i in range(1, 15)]


def _with_codes(root: Path) -> Path:
    table = pd.read_csv(SAMPLE_TABLE, dtype=str, keep_default_na=False)
    (root / "annotations").mkdir(exist_ok=True)
    table[table["response_id"].isin(CODED)].to_csv(root / "annotations" / "coding_table.csv",
                                                   index=False)
    return root


class Coder:
    """One coder talking to the server with their own token."""

    def __init__(self, server, email: str):
        with sqlite3.connect(f"file:{server.data_dir / 'label_studio.sqlite3'}?mode=ro",
                             uri=True) as db:
            (token,) = db.execute("SELECT key FROM authtoken_token WHERE user_id = ?",
                                  (server.coders[email],)).fetchone()
        self.url, self.email = server.url, email
        self.headers = {"Authorization": f"Token {token}"}

    def next(self, project_id: int) -> dict:
        reply = httpx.get(f"{self.url}/api/projects/{project_id}/next", headers=self.headers,
                          timeout=120)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def code(self, task: dict, codes: list[str]) -> None:
        reply = httpx.post(f"{self.url}/api/tasks/{task['id']}/annotations/", headers=self.headers,
                           timeout=120, json={"lead_time": 3.0, "result": [
                               {"from_name": "codes", "to_name": "text", "type": "choices",
                                "value": {"choices": codes}}]})
        assert reply.status_code == 201, reply.text


def _untouched_order(client, project_id: int) -> list[str]:
    index, duplicates = list_task_index(client, project_id)
    assert duplicates == []
    return [k for k, s in sorted(index.items(), key=lambda kv: kv[1].id) if not s.annotated]


def test_push_next_gives_coders_the_chosen_answers_first(shared_studio_server,
                                                         shared_studio_project, cli):
    server, root = shared_studio_server, _with_codes(shared_studio_project)
    project = find_project(root)
    plain = push(project, question="barriers").questions[0]
    assert plain.stats.imported == 40  # every substantive answer, in survey order
    client = server.client()
    client.projects.update(plain.project_id, sampling="Uniform sampling")
    result = push_next(project, 4, question="barriers")
    q = result.questions[0]
    chosen, pid = q.response_ids, q.project_id
    shown = next_answers(RunContext.for_project(project), n=4, question="barriers").table
    assert chosen == list(shown["response_id"])  # what 'themeloop autocode next' prints
    assert len(chosen) == 4 and not set(chosen) & set(CODED) and pid == plain.project_id
    assert q.stats.imported == 0 and q.stats.predictions_set == 4
    assert q.stats.sampling_was == "Uniform sampling"
    assert str(client.projects.get(pid).sampling).endswith("Sequential sampling")
    assert _untouched_order(client, pid)[:4] == chosen

    amira, ben = Coder(server, CODERS[0]), Coder(server, CODERS[1])
    first = amira.next(pid)
    assert first["data"]["response_id"] == chosen[0] and "Sequence queue" in first["queue"]
    (prediction,) = first["predictions"]
    assert prediction["model_version"] == q.model_version
    assert q.model_version.startswith("autocode-") and 0 <= prediction["score"] <= 1
    (item,) = prediction["result"]
    scores = item["meta"]["scores"]
    codebook_codes = project.codebook_path.read_text(encoding="utf-8")
    assert all(f"id: {code}" in codebook_codes for code in scores)
    assert len(scores) == 10  # every code of the question, scored
    given = item["value"]["choices"]
    assert ";".join(given) == shown["codes"].iloc[0]
    assert [scores[c] for c in given] == [float(v) for v in shown["scores"].iloc[0].split(";")
                                          if v]
    if given:
        assert item["score"] == min(scores[c] for c in given)

    amira.code(first, ["funding"])
    assert amira.next(pid)["data"]["response_id"] == chosen[1]
    # a task another coder started comes first (breadth first), then the chosen order
    assert ben.next(pid)["data"]["response_id"] == chosen[0]
    ben.code(first, ["funding"])
    second = ben.next(pid)
    assert second["data"]["response_id"] == chosen[1]
    ben.code(second, [])
    assert ben.next(pid)["data"]["response_id"] == chosen[2]

    # again, nothing pulled: the same choice, nothing duplicated, started answers stay put
    again = cli("push", "--next", "4", "-q", "barriers", "--project", root)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == (
        f"barriers: 4 answer(s) to code next are first in the coders' queue of project {pid} "
        f"at {server.url} (model {q.model_version}); 0 new task(s), 0 task(s) reordered, "
        "2 already in place")
    assert "2 chosen answer(s) already have annotations or drafts" in again.output
    index, duplicates = list_task_index(client, pid)
    assert len(index) == 40 and duplicates == []
    assert _untouched_order(client, pid)[:2] == chosen[2:]


def test_push_review_sends_review_csv_or_computes_it(shared_studio_server, shared_studio_project):
    from themeloop.autocode.queue import review_answers

    server, root = shared_studio_server, _with_codes(shared_studio_project)
    project = find_project(root)
    computed = push_review(project, question="barriers")
    assert computed.source == "computed"
    assert computed.notes[0].startswith("no review.csv in ")
    expected = review_answers(RunContext.for_project(project), question="barriers").table
    q = computed.questions[0]
    assert q.created and q.response_ids == list(expected["response_id"])
    client = server.client()
    assert _untouched_order(client, q.project_id) == q.response_ids  # only those were sent

    out = root / "out"
    out.mkdir()
    rows = [("ORG30:barriers", "barriers", "uncertain", "funding;culture", "0.910000;0.520000"),
            ("ORG20:barriers", "barriers", "no_code", "", ""),
            ("ORG15:barriers", "barriers", "uncertain", "regulation", "0.480000")]
    pd.DataFrame(rows, columns=["response_id", "question", "reason", "codes", "scores"]).to_csv(
        out / "review.csv", index=False)
    (out / "agreement_model.json").write_text(json.dumps({"model_id": "autocoder-0123456789ab",
                                                          "questions": {}}), encoding="utf-8")
    from_file = push_review(project, question="barriers")
    assert from_file.source == "review.csv"
    r = from_file.questions[0]
    assert r.response_ids == [row[0] for row in rows] and not r.created
    assert _untouched_order(client, r.project_id)[:3] == r.response_ids
    coder = Coder(server, CODERS[0])
    task = coder.next(r.project_id)
    assert task["data"]["response_id"] == "ORG30:barriers"
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "autocoder-0123456789ab"
    (item,) = prediction["result"]
    assert item["value"]["choices"] == ["funding", "culture"] and item["score"] == 0.52
    assert item["meta"]["scores"] == {"funding": 0.91, "culture": 0.52}
    by_key = {t.key: t for t in list_tasks(client, r.project_id)}
    no_code = by_key["ORG20:barriers"].predictions
    assert [p["result"][0]["value"]["choices"] for p in no_code] == [[]]
