"""How long does `themeloop run` take on the bundled survey, cold? (target: ≤ 20 s wall)

Copies the sample project to a temporary folder (no embedding cache, no ledger,
no outputs) and runs `themeloop run` there in a fresh process: that is the cold
run, process start-up and every import included. Then runs it again in another
fresh process on the same copy (embedding cache warm, outputs present) as the
baseline measured in the same run. Prints each stage's seconds (from the run's
own timings) and one JSON object as the last line.

    python bench/run_demo.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_sample(dest: Path) -> Path:
    shutil.copytree(REPO / "examples" / "innovation-survey", dest / "examples" / "innovation-survey",
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(REPO / "annotations" / "innovation-survey",
                    dest / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw"))
    return dest / "examples" / "innovation-survey"


def run_once(project: Path) -> tuple[float, dict[str, float]]:
    exe = Path(sys.executable).with_name("themeloop")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    done = subprocess.run([str(exe), "run", "--project", str(project)], capture_output=True,
                          text=True, env=env, check=True)
    wall = time.perf_counter() - start
    line = next(l for l in done.stdout.splitlines() if l.startswith("stages: "))
    stages = {name: float(sec) for name, sec in re.findall(r"(\w+) ([\d.]+)s", line)}
    return wall, stages


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_sample(Path(tmp))
        cold_wall, cold = run_once(project)
        warm_wall, warm = run_once(project)
    result = {
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
    print(json.dumps(result))


if __name__ == "__main__":
    main()
