"""How fast does ``themeloop --help`` answer? (target: under 1 s)

Times N runs of ``themeloop --help`` in fresh processes, beside two baselines
measured in the same run: a bare interpreter (``python -c pass``) and an
interpreter importing pandas (what the CLI would cost if it imported its heavy
libraries at start-up). Prints one JSON object as its last line.

    python bench/cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("themeloop")
    timed([str(exe), "--help"], 1)  # warm the page cache
    help_s = timed([str(exe), "--help"], args.runs)
    bare = timed([sys.executable, "-c", "pass"], args.runs)
    pandas = timed([sys.executable, "-c", "import pandas"], args.runs)
    result = {
        "bench": "cli_startup",
        "runs": args.runs,
        "help_median_s": round(statistics.median(help_s), 3),
        "help_max_s": round(max(help_s), 3),
        "python_bare_median_s": round(statistics.median(bare), 3),
        "python_import_pandas_median_s": round(statistics.median(pandas), 3),
        "help_vs_bare_ratio": round(statistics.median(help_s) / statistics.median(bare), 2),
        "help_under_1s": max(help_s) < 1.0,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
