"""push_first's ordering logic against a small fake of Label Studio's task API (no server).

The fake hands out growing task ids and lists tasks as ``/api/tasks`` does;
the invariants are those the real server needs for its sequential queue: the
chosen answers are the lowest-numbered untouched tasks, in the chosen order,
nothing a coder touched moves, nothing is lost or duplicated, and a second
push with the same choice changes nothing. ``test_studio_queue.py`` checks the
same against a real Label Studio.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from themeloop.studio.front import SEQUENTIAL, push_first


class _Reply:
    status_code = 200

    def __init__(self, body):
        self._body = body
        self.headers: dict = {}

    def json(self):
        return self._body


class FakeStudio:
    """Tasks with growing ids; ``calls`` records every import and delete."""

    def __init__(self, sampling: str = SEQUENTIAL):
        self.tasks: dict[int, dict] = {}
        self.next_id = 1
        self.calls: list[tuple] = []
        self.project = SimpleNamespace(id=7, sampling=sampling)
        self.projects = SimpleNamespace(import_tasks=self._import, update=self._update)
        self.actions = SimpleNamespace(create=self._action)
        self._client_wrapper = SimpleNamespace(httpx_client=SimpleNamespace(request=self._list))

    def add(self, key: str, *, touched: bool = False, predictions=()) -> int:
        tid = self.next_id
        self.next_id += 1
        self.tasks[tid] = {"data": {"response_id": key, "text": f"text of {key}"},
                           "predictions": [dict(p) for p in predictions],
                           "annotations": 1 if touched else 0}
        return tid

    def _import(self, project_id, request, return_task_ids=False):
        assert project_id == self.project.id
        self.calls.append(("import", [t["data"]["response_id"] for t in request]))
        for task in request:
            self.add(task["data"]["response_id"], predictions=task.get("predictions", ()))

    def _action(self, id, project, selected_items):
        assert id == "delete_tasks" and project == self.project.id
        ids = selected_items["included"]
        assert all(not self.tasks[i]["annotations"] for i in ids), "deleted a touched task"
        self.calls.append(("delete", list(ids)))
        for i in ids:
            del self.tasks[i]

    def _update(self, project_id, sampling):
        self.calls.append(("sampling", sampling))
        self.project.sampling = sampling

    def _list(self, path, method, params):
        assert path == "api/tasks" and method == "GET"
        ordered = sorted(self.tasks)
        page, size = params["page"], params["page_size"]
        chunk = ordered[(page - 1) * size: page * size]
        tasks = [{"id": i, "data": self.tasks[i]["data"],
                  "total_annotations": self.tasks[i]["annotations"], "cancelled_annotations": 0,
                  "draft_exists": False,
                  "predictions": [{**p, "id": 99, "task": i} for p in self.tasks[i]["predictions"]]}
                 for i in chunk]
        return _Reply({"tasks": tasks, "total": len(ordered)})

    # what a coder's sequential queue sees
    def untouched_order(self) -> list[str]:
        return [self.tasks[i]["data"]["response_id"] for i in sorted(self.tasks)
                if not self.tasks[i]["annotations"]]

    def keys(self) -> list[str]:
        return [t["data"]["response_id"] for t in self.tasks.values()]


def _prediction(key: str, version: str = "m1") -> list[dict]:
    return [{"model_version": version, "score": 0.4,
             "result": [{"from_name": "codes", "to_name": "text", "type": "choices",
                         "value": {"choices": [f"code-{key}"]}}]}]


def _tasks(keys):
    return [{"data": {"response_id": k, "text": f"text of {k}"}} for k in keys]


def test_chosen_answers_come_first_and_the_rest_keep_their_order():
    ls = FakeStudio()
    for k in "abcdef":
        ls.add(k, touched=(k == "b"), predictions=_prediction(k, "themes-1"))
    chosen = ["e", "x", "c"]  # x has no task yet
    stats = push_first(ls, ls.project, _tasks(chosen), {k: _prediction(k) for k in chosen})
    assert ls.untouched_order() == ["e", "x", "c", "a", "d", "f"]
    assert sorted(ls.keys()) == sorted("abcdefx")
    assert stats.imported == 1 and stats.touched == [] and stats.predictions_set == 3
    by_key = {t["data"]["response_id"]: t for t in ls.tasks.values()}
    assert by_key["e"]["predictions"] == _prediction("e")           # the model's, replacing
    assert by_key["a"]["predictions"] == _prediction("a", "themes-1")  # kept as it was
    assert 2 in ls.tasks and ls.tasks[2]["data"]["response_id"] == "b"  # touched: never moved


def test_a_second_push_with_the_same_choice_changes_nothing():
    ls = FakeStudio()
    for k in "abcd":
        ls.add(k)
    preds = {k: _prediction(k) for k in "dc"}
    push_first(ls, ls.project, _tasks("dc"), preds)
    before = dict(ls.tasks)
    ls.calls.clear()
    stats = push_first(ls, ls.project, _tasks("dc"), preds)
    assert ls.calls == [] and ls.tasks == before
    assert stats.kept == 2 and stats.moved == stats.imported == stats.deleted == 0


def test_new_predictions_for_the_same_answers_are_sent():
    ls = FakeStudio()
    for k in "abc":
        ls.add(k)
    push_first(ls, ls.project, _tasks("c"), {"c": _prediction("c", "m1")})
    push_first(ls, ls.project, _tasks("c"), {"c": _prediction("c", "m2")})
    first = min(ls.tasks)
    assert ls.tasks[first]["data"]["response_id"] == "c"
    assert ls.tasks[first]["predictions"][0]["model_version"] == "m2"
    assert sorted(ls.keys()) == ["a", "b", "c"]


def test_a_started_answer_keeps_its_place_and_is_reported():
    ls = FakeStudio()
    ls.add("a")
    ls.add("b", touched=True)
    stats = push_first(ls, ls.project, _tasks("ba"), {k: _prediction(k) for k in "ab"})
    assert stats.touched == ["b"]
    assert ls.untouched_order() == ["a"] and sorted(ls.keys()) == ["a", "b"]


def test_duplicates_left_by_an_interrupted_push_are_removed():
    ls = FakeStudio()
    for k in "abca":  # 'a' twice, as a push killed between import and delete leaves it
        ls.add(k)
    push_first(ls, ls.project, _tasks("c"), {"c": _prediction("c")})
    assert ls.untouched_order() == ["c", "a", "b"]


def test_sampling_is_switched_to_sequential():
    ls = FakeStudio(sampling="Uniform sampling")
    ls.add("a")
    stats = push_first(ls, ls.project, _tasks("a"), {"a": _prediction("a")})
    assert stats.sampling_was == "Uniform sampling" and ls.project.sampling == SEQUENTIAL
    assert ("sampling", SEQUENTIAL) in ls.calls


@pytest.mark.parametrize("seed", range(25))
def test_invariants_on_random_projects(seed):
    rng = random.Random(seed)
    ls = FakeStudio()
    pool = [f"r{i}" for i in range(12)]
    for k in rng.sample(pool, rng.randint(0, 10)):
        ls.add(k, touched=rng.random() < 0.3)
    for k in rng.sample(pool, 2):  # some duplicates
        ls.add(k)
    touched = {t["data"]["response_id"] for t in ls.tasks.values() if t["annotations"]}
    touched_ids = {i for i, t in ls.tasks.items() if t["annotations"]}
    before = set(ls.keys())
    chosen = rng.sample(pool, rng.randint(1, 6))
    preds = {k: _prediction(k) for k in chosen}
    push_first(ls, ls.project, _tasks(chosen), preds, batch_size=rng.randint(1, 4))
    free = [k for k in chosen if k not in touched]
    untouched = ls.untouched_order()
    assert untouched[:len(free)] == free                       # chosen first, in order
    assert set(ls.keys()) == before | set(chosen)              # nothing lost
    assert len(untouched) == len(set(untouched))               # no duplicate untouched task
    assert touched_ids <= set(ls.tasks)                        # touched tasks never deleted
    ls.calls.clear()
    push_first(ls, ls.project, _tasks(chosen), preds)
    assert [c for c in ls.calls if c[0] != "sampling"] == []  # idempotent
