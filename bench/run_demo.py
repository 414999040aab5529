"""How long does `themeloop run` take on the bundled survey, cold? (target: ≤ 20 s wall)

Copies the sample project to a temporary folder (no embedding cache, no ledger,
no outputs) and runs `themeloop run` there in a fresh process: that is the cold
run, process start-up and every import included. Then runs it again in another
fresh process on the same copy (embedding cache warm, outputs present) as the
baseline measured in the same run.

With ``--against REV`` (default ``HEAD~1``; ``none`` to skip) the same cold run
is timed for the code of git revision REV, checked out into a temporary
worktree and run with the same interpreter, alternating with this tree's
``src/`` for ``--repeat`` rounds, so the two are measured under the same load.
The ratio is the median of this tree's cold runs over the median of REV's
(below 1: faster). Prints each stage's seconds (from the run's own timings) and
one JSON object as the last line.

    python bench/run_demo.py [--against REV] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_sample(dest: Path, *, cache: bool = False) -> Path:
    """The sample project and its annotations under ``dest``, without outputs, models or ledger.

    ``cache`` also copies the embedding cache, so a bench embeds each text once across runs.
    """
    shutil.copytree(REPO / "examples" / "innovation-survey", dest / "examples" / "innovation-survey",
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(REPO / "annotations" / "innovation-survey",
                    dest / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw"))
    warm = REPO / "examples" / "innovation-survey" / "models" / "cache"
    if cache and warm.is_dir():
        shutil.copytree(warm, dest / "examples" / "innovation-survey" / "models" / "cache")
    return dest / "examples" / "innovation-survey"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(project: Path, src: Path = REPO / "src",
             cpu: list[float] | None = None) -> tuple[float, dict[str, float]]:
    """One ``themeloop run`` in a fresh process, importing themeloop from ``src``.

    Appends the process's CPU seconds (user + system) to ``cpu`` when given:
    on a busy machine they move much less than wall time.
    """
    exe = Path(sys.executable).with_name("themeloop")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(src)}
    start, start_cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([str(exe), "run", "--project", str(project)], capture_output=True,
                          text=True, env=env, check=True)
    wall = time.perf_counter() - start
    if cpu is not None:
        cpu.append(_children_cpu() - start_cpu)
    line = next(x for x in done.stdout.splitlines() if x.startswith("stages: "))
    stages = {name: float(sec) for name, sec in re.findall(r"(\w+) ([\d.]+)s", line)}
    return wall, stages


def cold_run(src: Path, cpu: list[float]) -> tuple[float, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        return run_once(copy_sample(Path(tmp)), src, cpu)


def against(rev: str, repeat: int) -> dict[str, object]:
    """Cold runs of this tree and of ``rev``, alternating; medians and their ratio."""
    import statistics

    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev],
                            capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "rev"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
                       capture_output=True, check=True)
        try:
            ours: list[float] = []
            theirs: list[float] = []
            ours_cpu: list[float] = []
            theirs_cpu: list[float] = []
            for _ in range(repeat):
                theirs.append(cold_run(tree / "src", theirs_cpu)[0])
                ours.append(cold_run(REPO / "src", ours_cpu)[0])
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           capture_output=True, check=False)
    mine, base = statistics.median(ours), statistics.median(theirs)
    return {"against": rev, "against_commit": commit, "repeat": repeat,
            "cold_wall_s_runs": [round(x, 2) for x in ours],
            "against_cold_wall_s_runs": [round(x, 2) for x in theirs],
            "cold_vs_against_ratio": round(mine / base, 3),
            "cold_cpu_s_runs": [round(x, 2) for x in ours_cpu],
            "against_cold_cpu_s_runs": [round(x, 2) for x in theirs_cpu],
            "cold_cpu_vs_against_ratio": round(statistics.median(ours_cpu)
                                               / statistics.median(theirs_cpu), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD~1",
                        help="git revision to compare a cold run with ('none': skip)")
    parser.add_argument("--repeat", type=int, default=1, help="cold runs of each, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_sample(Path(tmp))
        cold_wall, cold = run_once(project)
        warm_wall, warm = run_once(project)
    result: dict[str, object] = {
        "bench": "run_demo",
        "cold_wall_s": round(cold_wall, 2),
        "cold_stages_s": cold,
        "cold_startup_and_imports_s": round(cold_wall - sum(cold.values()), 2),
        "warm_cache_wall_s": round(warm_wall, 2),
        "warm_cache_stages_s": warm,
        "cold_vs_warm_ratio": round(cold_wall / warm_wall, 2),
        "target_s": 20,
        "within_target": cold_wall <= 20,
        "load_average": os.getloadavg()[0],
    }
    if args.against != "none":
        result.update(against(args.against, args.repeat))
        result["load_average"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
