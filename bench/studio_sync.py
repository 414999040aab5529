"""Benchmark: push 10,000 tasks with predictions and pull 10,000 annotations (targets <= 30 s each).

Runs a real Label Studio (from ``.venv-ls``) on a free loopback port, on a copy
of a migrated data dir when one is available (``--template``, default the test
cache ``~/.cache/themeloop-tests/ls-*``), else on a new one (a cold start
migrates for 25 s to minutes). Answers are banking77 texts (``--data``).

Measured:
  push_s    themeloop.studio.push_tasks: list the (empty) project, import N tasks
            with one prediction each, in batches
  repush_s  the same call again: lists N tasks, imports nothing (idempotence cost)
  pull_s    export_snapshot + coding rows + coding-table CSV for N annotations
            (N/2 tasks coded by 2 coders), as ``themeloop pull`` does; split into
            pull_export_s (Label Studio's export, server-bound) and pull_table_s

Both are dominated by the server's own work (Label Studio validates and stores
each prediction; its export serialises each annotation), so they scale with the
CPU the server gets: load_average_1m is recorded beside the timings.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from themeloop.codebook import label_config, load_codebook
from themeloop.studio.pull import coding_rows, table_csv
from themeloop.studio.push import choices_result
from themeloop.studio.server import (
    StudioPaths,
    admin_token,
    find_label_studio,
    start_server,
    stop_server,
)
from themeloop.studio.sync import export_snapshot, push_tasks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _template(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    found = sorted((Path.home() / ".cache" / "themeloop-tests").glob("ls-*-t*"))
    return next((p for p in found if (p / "coders.json").is_file()), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--data", default="/work/shared/data/banking77/train.csv")
    parser.add_argument("--template", default=None)
    args = parser.parse_args()

    texts = pd.read_csv(args.data)["text"].astype(str).tolist()
    codebook = load_codebook(REPO / "examples" / "innovation-survey" / "codebook.yaml")
    codes = codebook.code_ids("barriers")
    config = label_config(codebook, "barriers")
    rng = random.Random(42)

    work = Path(tempfile.mkdtemp(prefix="themeloop-bench-"))
    data_dir = work / "studio"
    template = _template(args.template)
    if template:
        shutil.copytree(template, data_dir)
    paths = StudioPaths(data_dir)
    t0 = time.perf_counter()
    status = start_server(paths, _free_port(), executable=find_label_studio(REPO), timeout=1200)
    start_s = time.perf_counter() - t0
    try:
        from label_studio_sdk import LabelStudio

        client = LabelStudio(base_url=status.url, api_key=admin_token(paths), timeout=600)
        n = args.n
        tasks = [{"data": {"response_id": f"R{i:05d}:barriers", "question": "barriers",
                           "text": texts[i % len(texts)]}} for i in range(n)]
        predictions = {t["data"]["response_id"]: [{
            "model_version": "bench-run", "score": round(rng.random(), 3),
            "result": choices_result([rng.choice(codes)])}] for t in tasks}

        project = client.projects.create(title="bench push", label_config=config,
                                          maximum_annotations=2)
        t0 = time.perf_counter()
        stats = push_tasks(client, project.id, tasks, predictions, batch_size=args.batch_size)
        push_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = push_tasks(client, project.id, tasks, predictions, batch_size=args.batch_size)
        repush_s = time.perf_counter() - t0
        assert stats.imported == n and again.imported == 0 and again.predictions_refreshed == 0

        me = client.users.whoami().id
        coders = [me, int(client.users.create(username="b@bench.org", email="b@bench.org").id)]
        coded = client.projects.create(title="bench pull", label_config=config,
                                        maximum_annotations=2)
        for start in range(0, n // 2, args.batch_size):
            client.projects.import_tasks(coded.id, request=[
                {"data": t["data"], "annotations": [
                    {"completed_by": c, "lead_time": 3.0,
                     "result": choices_result(rng.sample(codes, 2))} for c in coders]}
                for t in tasks[start:min(start + args.batch_size, n // 2)]])
        t0 = time.perf_counter()
        raw = export_snapshot(client, coded.id)
        export_s = time.perf_counter() - t0
        export = json.loads(raw)
        rows = coding_rows(export, "barriers", set(codes), codebook.version)
        (work / "coding_table.csv").write_text(table_csv(rows), encoding="utf-8")
        pull_s = time.perf_counter() - t0
        n_annotations = sum(len(t["annotations"]) for t in export)
    finally:
        stop_server(paths)
        shutil.rmtree(work, ignore_errors=True)

    result = {
        "bench": "studio_sync", "n_tasks": n, "batch_size": args.batch_size,
        "server_start_s": round(start_s, 2), "push_s": round(push_s, 2),
        "repush_s": round(repush_s, 2), "pull_s": round(pull_s, 2),
        "pull_export_s": round(export_s, 2), "pull_table_s": round(pull_s - export_s, 2),
        "load_average_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
        "n_annotations": n_annotations, "coding_rows": len(rows),
        "push_target_s": 30, "pull_target_s": 30,
        "ok": push_s <= 30 and pull_s <= 30,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
