"""How fast is the audit ledger? (target: 100,000 events appended in a few seconds)

Appends N events in one batch to a fresh ledger (normalise, event ids, hash
chain, one os.write, fsync under flock), appends the same N again (the
idempotent no-op a rerun performs), verifies the chain and explains one answer.
The baseline, measured in the same run, writes the same events as plain JSON
lines with no ids, hashes, lock or fsync: the ratio says what the audit
guarantees cost. Prints one JSON object as its last line.

    python bench/ledger_scale.py [--events 100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from themeloop.audit.ledger import Ledger


def make_events(n: int) -> list[dict]:
    return [
        {"response_id": f"R{i // 3:06d}:q{i % 3}", "question": f"q{i % 3}", "code": f"code{i % 20}",
         "action": "suggested", "actor": "run-bench", "source": "model",
         "timestamp": "2026-03-01T10:00:00Z", "codebook_version": "1.0", "manifest_id": "m",
         "detail": {"score": round((i % 997) / 997, 6)}}
        for i in range(n)
    ]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    events = make_events(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.jsonl"
        baseline, _ = timed(lambda: plain.write_text(
            "".join(json.dumps(e) + "\n" for e in events), encoding="utf-8"))
        ledger = Ledger(Path(tmp) / "ledger.jsonl")
        append_s, written = timed(lambda: ledger.append(events))
        reappend_s, again = timed(lambda: Ledger(ledger.path).append(events))
        verify_s, result = timed(ledger.verify)
        explain_s, story = timed(lambda: ledger.explain("R000001:q1"))
        size = ledger.path.stat().st_size
    print(json.dumps({
        "bench": "ledger_scale", "events": args.events,
        "append_s": round(append_s, 3), "reappend_noop_s": round(reappend_s, 3),
        "verify_s": round(verify_s, 3), "explain_s": round(explain_s, 3),
        "baseline_plain_jsonl_s": round(baseline, 3),
        "append_vs_baseline": round(append_s / baseline, 2) if baseline else None,
        "appended": len(written), "reappended": len(again), "verified": result.ok,
        "explained_events": len(story), "bytes": size,
    }))


if __name__ == "__main__":
    main()
