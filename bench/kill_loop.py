"""Does `themeloop run` survive kill -9? (target: no .tmp files left, a ledger that verifies)

Copies the sample project to a temporary folder, then N times starts
`themeloop run` in a fresh process group and SIGKILLs the group at a random
moment between --min and --max seconds (seeded, so a rerun kills at the same
moments). Then it runs `themeloop run` once more to completion, and checks:

- no `.*.tmp` file (an atomic write cut short) anywhere under the copy:
  project, out/, annotations/, .themeloop/;
- `themeloop audit verify` passes on the project's ledger (signed, and
  matching the head the final run's manifest recorded).

The final, uninterrupted run's wall time is the baseline measured in the same
run. Prints one line per kill and one JSON object as the last line.

    python bench/kill_loop.py [--kills 30] [--seed 11] [--min 1] [--max 8] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("themeloop")


def copy_sample(dest: Path) -> Path:
    shutil.copytree(REPO / "examples" / "innovation-survey", dest / "examples" / "innovation-survey",
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(REPO / "annotations" / "innovation-survey",
                    dest / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw", "*.manifest.json"))
    return dest / "examples" / "innovation-survey"


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false"}


def kill_once(project: Path, after: float) -> dict[str, object]:
    """Start a run, SIGKILL its process group ``after`` seconds in; say whether it was still running."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(EXE), "run", "--project", str(project)], env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.wait(timeout=after)
        return {"after_s": round(after, 2), "killed": False, "rc": proc.returncode,
                "ran_s": round(time.perf_counter() - start, 2)}
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return {"after_s": round(after, 2), "killed": True, "rc": proc.returncode}


def tmp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*.tmp"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--min", type=float, default=1.0, dest="low")
    parser.add_argument("--max", type=float, default=8.0, dest="high")
    parser.add_argument("--keep", action="store_true", help="Keep the copy; print where it is.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="themeloop-kill-"))
    try:
        project = copy_sample(tmp)
        kills = []
        for i in range(args.kills):
            outcome = kill_once(project, rng.uniform(args.low, args.high))
            kills.append(outcome)
            print(f"kill {i + 1}/{args.kills}: {json.dumps(outcome)}", flush=True)
        left_by_kills = tmp_files(tmp)
        start = time.perf_counter()
        final = subprocess.run([str(EXE), "run", "--project", str(project)], env=_env(),
                               capture_output=True, text=True)
        final_s = time.perf_counter() - start
        verify = subprocess.run([str(EXE), "audit", "verify", "--project", str(project), "--json"],
                                env=_env(), capture_output=True, text=True)
        try:
            verified = json.loads(verify.stdout)
        except ValueError:
            verified = {"ok": False, "problem": (verify.stdout + verify.stderr).strip()[-500:]}
        left = tmp_files(tmp)
        result = {
            "bench": "kill_loop",
            "kills": args.kills,
            "seed": args.seed,
            "window_s": [args.low, args.high],
            "killed_while_running": sum(1 for k in kills if k["killed"]),
            "finished_before_the_kill": sum(1 for k in kills if not k["killed"]),
            "tmp_files_after_kills": left_by_kills,
            "final_run_rc": final.returncode,
            "final_run_error": final.stderr.strip().splitlines()[-1:] if final.returncode else [],
            "final_run_s": round(final_s, 2),
            "tmp_files_after_final_run": left,
            "verify_rc": verify.returncode,
            "ledger_ok": bool(verified.get("ok")),
            "ledger_events": verified.get("n_events"),
            "ledger_signed": verified.get("signed"),
            "ledger_anchors": len(verified.get("anchors") or []),
            "ledger_problem": verified.get("problem"),
            "ok": final.returncode == 0 and verify.returncode == 0 and not left,
        }
        if args.keep:
            result["kept"] = str(tmp)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
