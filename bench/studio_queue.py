"""Benchmark: what putting 50 chosen answers first in a project of N tasks costs (push --next).

Runs a real Label Studio (from ``.venv-ls``) on a free loopback port, on a copy
of the migrated test template (``~/.cache/themeloop-tests/ls-*``) when there is
one. The project holds N untouched tasks (banking77 texts, ``--data``) with one
prediction each, as a plain ``themeloop push`` with suggestions leaves it.

Measured (same run):
  push_s     baseline: themeloop.studio.push_tasks importing the N tasks (plain push)
  first_s    themeloop.studio.front.push_first with 50 chosen answers taken from the
             end of the queue (the worst case: every untouched task moves behind them)
  again_s    the same call again: lists N tasks and changes nothing (idempotence cost)
  other_s    a different choice of 50 (every untouched task moves again)
  next_ok    the admin's next task (GET /api/projects/<id>/next) is the first chosen
             answer, and the first 50 untouched tasks by id are the chosen ones in order

The timings are dominated by the server (it stores each task and prediction),
so they scale with the CPU it gets: load_average_1m is recorded beside them.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from themeloop.codebook import label_config, load_codebook  # noqa: E402
from themeloop.studio.front import list_tasks, push_first  # noqa: E402
from themeloop.studio.server import (  # noqa: E402
    StudioPaths,
    admin_token,
    find_label_studio,
    start_server,
    stop_server,
)
from themeloop.studio.sync import push_tasks  # noqa: E402
from themeloop.studio.tasks import choices_result  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from studio_sync import _free_port, _template  # noqa: E402


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t0, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--chosen", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--data", default="/work/shared/data/banking77/train.csv")
    args = parser.parse_args()

    texts = pd.read_csv(args.data)["text"].astype(str).tolist()
    codebook = load_codebook(REPO / "examples" / "innovation-survey" / "codebook.yaml")
    codes = codebook.code_ids("barriers")
    rng = random.Random(42)
    work = Path(tempfile.mkdtemp(prefix="themeloop-bench-"))
    data_dir = work / "studio"
    template = _template(None)
    if template:
        shutil.copytree(template, data_dir)
    paths = StudioPaths(data_dir)
    status = start_server(paths, _free_port(), executable=find_label_studio(REPO), timeout=1200)
    try:
        import httpx
        from label_studio_sdk import LabelStudio

        token = admin_token(paths)
        client = LabelStudio(base_url=status.url, api_key=token, timeout=600)
        n = args.n
        tasks = [{"data": {"response_id": f"R{i:05d}:barriers", "question": "barriers",
                           "text": texts[i % len(texts)]}} for i in range(n)]
        themes = {t["data"]["response_id"]: [{"model_version": "themes-run", "score": 0.5,
                                              "result": choices_result([rng.choice(codes)])}]
                  for t in tasks}
        project = client.projects.create(title="bench queue",
                                          label_config=label_config(codebook, "barriers"),
                                          maximum_annotations=2)
        _, push_s = _timed(lambda: push_tasks(client, project.id, tasks, themes,
                                              batch_size=args.batch_size))

        def model(keys, version):
            return {k: [{"model_version": version, "score": 0.1,
                         "result": choices_result(rng.sample(codes, 2))}] for k in keys}

        chosen = [t["data"]["response_id"] for t in tasks[-args.chosen:]][::-1]
        chosen_tasks = [t for t in tasks if t["data"]["response_id"] in set(chosen)]
        by_key = {t["data"]["response_id"]: t for t in chosen_tasks}
        ordered = [by_key[k] for k in chosen]
        preds = model(chosen, "model-1")
        first, first_s = _timed(lambda: push_first(client, project, ordered, preds,
                                                   batch_size=args.batch_size))
        again, again_s = _timed(lambda: push_first(client, project, ordered, preds,
                                                   batch_size=args.batch_size))
        order = [t.key for t in list_tasks(client, project.id) if not t.touched]
        reply = httpx.get(f"{status.url}/api/projects/{project.id}/next",
                          headers={"Authorization": f"Token {token}"}, timeout=120).json()
        next_ok = (order[:len(chosen)] == chosen and reply["data"]["response_id"] == chosen[0]
                   and len(order) == n)
        others = [t["data"]["response_id"] for t in tasks[:args.chosen]]
        other_tasks = [{"data": dict(t["data"])} for t in tasks[:args.chosen]]
        other, other_s = _timed(lambda: push_first(client, project, other_tasks,
                                                   model(others, "model-2"),
                                                   batch_size=args.batch_size))
        order = [t.key for t in list_tasks(client, project.id) if not t.touched]
        next_ok = next_ok and order[:len(others)] == others and len(order) == n
    finally:
        stop_server(paths)
        shutil.rmtree(work, ignore_errors=True)

    print(json.dumps({
        "bench": "studio_queue", "n_tasks": n, "n_chosen": args.chosen,
        "batch_size": args.batch_size, "push_s": push_s, "first_s": first_s,
        "first": first.as_dict(), "again_s": again_s, "again": again.as_dict(),
        "other_s": other_s, "other_moved": other.moved, "next_ok": next_ok,
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
