"""The consumers of the model's codes at scale: ledger events and merge of 100,000 answers.

For N model-coded answers (one row each in ``model_coding.csv``, 20 codes) it times

- building the ``assigned`` events column by column (``events_from_model_coding``),
  beside the row-by-row builder the themes' suggestions use (``events_from_assignments``)
  on the same rows, as the baseline;
- appending them to a fresh signed ledger in one batch, and the rerun's filter
  (the ledger stage keys what is recorded, so a second run appends nothing);
- explaining one answer;
- merging the survey with the model's table (``coded_by`` and the code columns),
  beside the same merge with no model table.

Timings are wall times on a shared, loaded 2-core machine: read them as upper bounds.
Prints one JSON object as its last line.

    python bench/ledger_model_events.py [--answers 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from themeloop.audit.events import events_from_assignments, events_from_model_coding
from themeloop.audit.ledger import Ledger
from themeloop.merge import build_merged
from themeloop.survey import Question, Survey, SurveyData

MODEL = "autocoder-0123456789ab"


CPU: dict[str, float] = {}  # process CPU seconds per step: less at the mercy of the load


def timed(fn, name: str = ""):
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    if name:
        CPU[name] = round(time.process_time() - cpu, 3)
    return round(time.perf_counter() - start, 3), value


def tables(n: int, seed: int = 0) -> tuple[Survey, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"R{i:06d}" for i in range(n)]
    frame = pd.DataFrame({"id": ids, "t": ["an answer long enough to be substantive"] * n})
    survey = Survey(SurveyData(Path("s.csv"), frame), "id", [Question("q", "t")])
    k = rng.integers(0, 3, n)  # 0, 1 or 2 codes per answer (0: one row with no code)
    rows = np.repeat(np.arange(n), np.maximum(k, 1))
    codes = np.where(np.repeat(k, np.maximum(k, 1)) == 0, "",
                     np.char.add("c", rng.integers(0, 20, len(rows)).astype(str)))
    model = pd.DataFrame({
        "response_id": [f"{ids[i]}:q" for i in rows], "question": "q", "coder": MODEL,
        "code": codes, "source": "model", "codebook_version": "1",
        "score": np.round(rng.random(len(rows)), 6), "threshold": 0.5, "model_id": MODEL})
    human = pd.DataFrame({"response_id": [f"{ids[i]}:q" for i in range(0, n, 100)],
                          "question": "q", "coder": "consensus", "code": "c1",
                          "source": "adjudication"})
    return survey, model, human


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=100_000)
    args = parser.parse_args()
    survey, model, human = tables(args.answers)
    when = "2026-03-01T10:00:00Z"
    build_s, events = timed(lambda: events_from_model_coding(
        model, "m", "1", timestamp=when, model_version="themeloop 0.1"), "events_build")
    as_themes = model.rename(columns={"code": "theme_id"})
    baseline_s, _ = timed(lambda: events_from_assignments(as_themes, MODEL, "m", "1",
                                                          timestamp=when), "baseline_row_builder")
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "ledger.jsonl", key=b"k" * 32)
        append_s, written = timed(lambda: ledger.append(events), "ledger_append")

        def rerun():
            seen = {(e["response_id"], e["question"], e["code"], e["action"], e["actor"])
                    for e in ledger.events()}
            fresh = events_from_model_coding(model, "m", "1", timestamp="2026-03-02T00:00:00Z",
                                             model_version="themeloop 0.1")
            return ledger.append([e for e in fresh if (e["response_id"], e["question"],
                                                       e["code"], e["action"],
                                                       e["actor"]) not in seen])

        rerun_s, again = timed(rerun, "rerun")
        explain_s, story = timed(lambda: ledger.explain("R000123:q"), "explain")
    merge_s, merged = timed(lambda: build_merged(survey, human, model=model), "merge_with_model")
    plain_s, _ = timed(lambda: build_merged(survey, human), "merge_without_model")
    who = merged.summary["q"]["coded_by"]
    result = {
        "answers": args.answers, "model_rows": len(model), "events": len(written),
        "events_build_s": build_s, "baseline_row_builder_s": baseline_s,
        "ledger_append_s": append_s, "rerun_appended": len(again), "rerun_s": rerun_s,
        "explain_s": explain_s, "explain_events": len(story),
        "merge_with_model_s": merge_s, "merge_without_model_s": plain_s, "coded_by": who,
        "cpu_s": CPU,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
