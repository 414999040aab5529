"""A writer SIGKILLed mid-append leaves a ledger that verifies, with every event whole."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

import pytest

from themeloop.audit.ledger import Ledger

BATCH = 2000

# The writer appends batches forever. With STALL_AT >= 0 its os.write returns
# short writes of 4 KiB (legal for write(2)) and, in its second batch, stops
# after chunk STALL_AT and says "stalled": the parent kills it there, so the
# file surely ends in a torn line. Otherwise it writes at full speed and is
# killed at a random moment.
WRITER = textwrap.dedent(
    """
    import os, sys, time
    from themeloop.audit.ledger import Ledger

    path, run, stall_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if stall_at >= 0:
        real_write, calls, batches = os.write, [0], [0]

        def short_write(fd, data):
            if batches[0] >= 1:
                calls[0] += 1
                if calls[0] > stall_at:
                    print("stalled", flush=True)
                    time.sleep(60)
            return real_write(fd, bytes(data[:4096]))

        os.write = short_write
    ledger = Ledger(path)
    batch = 0
    while True:
        ledger.append([
            {"response_id": f"R{run}-{batch}-{i}:q", "question": "q", "code": f"c{i % 7}",
             "action": "suggested", "actor": f"run-{run}", "source": "model",
             "timestamp": "2026-03-01T10:00:00Z", "codebook_version": "1", "manifest_id": "m",
             "detail": {"run": run, "batch": batch, "i": i, "pad": "x" * 200}}
            for i in range(BATCH_SIZE)
        ])
        if stall_at >= 0:
            batches[0] += 1
        if batch == 0:
            print("ready", flush=True)
        batch += 1
    """
).replace("BATCH_SIZE", str(BATCH))


def _run_and_kill(script: Path, ledger: Path, run: int, rng: random.Random) -> None:
    stall_at = rng.randrange(1, 120) if run % 2 else -1
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ledger), str(run), str(stall_at)],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        if stall_at >= 0:
            assert proc.stdout.readline().strip() == "stalled"
        else:
            time.sleep(rng.uniform(0.0, 0.5))
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


def _check_whole(events: list[dict]) -> dict[tuple[int, int], list[int]]:
    """Every event's content is intact; return the event numbers present per batch."""
    present: dict[tuple[int, int], list[int]] = defaultdict(list)
    for e in events:
        d = e["detail"]
        assert e["response_id"] == f"R{d['run']}-{d['batch']}-{d['i']}:q"
        assert e["code"] == f"c{d['i'] % 7}" and d["pad"] == "x" * 200
        present[(d["run"], d["batch"])].append(d["i"])
    return present


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_mid_write_leaves_a_valid_ledger(tmp_path: Path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    path = tmp_path / "ledger.jsonl"
    rng = random.Random(20260301)
    torn_seen = 0
    for run in range(6):
        _run_and_kill(script, path, run, rng)
        result = Ledger(path).verify()
        assert result.ok, result.message
        torn_seen += result.torn_tail
        if run % 2:  # killed while stalled inside os.write
            assert result.torn_tail
        present = _check_whole(Ledger(path).events())
        for numbers in present.values():
            # one batch is one write: what survived of it is a prefix, each event whole
            assert numbers == list(range(len(numbers)))
    assert torn_seen >= 3
    # The next writer drops the torn tail and carries on the chain.
    before = Ledger(path).verify().n_events
    added = Ledger(path).append([{
        "response_id": "after:q", "question": "q", "code": "c", "action": "added",
        "actor": "a@x.org", "source": "human", "timestamp": "2026-03-02T00:00:00Z",
    }])
    assert added[0]["seq"] == before + 1
    result = Ledger(path).verify()
    assert result.ok and not result.torn_tail and result.n_events == before + 1
