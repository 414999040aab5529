"""``themeloop run``: load → themes → annotations → agreement → adjudicate → merge →
crosstab → ledger → report, then one manifest for the whole run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from themeloop.audit.manifest import MANIFEST_NAME, build_manifest, with_ledger, write_manifest
from themeloop.audit.project import project_ledger
from themeloop.config import Project
from themeloop.outputs import remove_stale_outputs
from themeloop.pipeline import stages
from themeloop.pipeline.stages import RunState
from themeloop.progress import Progress, no_progress

STAGES: tuple[tuple[str, Callable[[RunState], None]], ...] = (
    ("load", stages.load),
    ("themes", stages.themes),
    ("annotations", stages.annotations),
    ("agreement", stages.agreement),
    ("adjudicate", stages.adjudicate),
    ("merge", stages.merge),
    ("crosstab", stages.crosstab),
    ("ledger", stages.ledger),
    ("report", stages.report),
)


@dataclass
class RunResult:
    """What a run wrote, how long each stage took, and what it noticed."""

    out_dir: Path
    manifest: Path
    outputs: dict[str, Path]
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_project(
    project: Project,
    *,
    out: str | Path | None = None,
    progress: Progress = no_progress,
    on_stage: Callable[[str, int, int], None] | None = None,
) -> RunResult:
    """Run the whole loop on ``project`` and write ``<out>/manifest.json``.

    Parameters
    ----------
    project : the project (``themeloop.config.find_project``).
    out : output folder (default: the project's ``out/``).
    progress : progress callback for long stages (embedding).
    on_stage : called as ``on_stage(name, index, total)`` before each stage.

    Raises
    ------
    ThemeloopError
        From the first stage that fails; later stages do not run, and every
        file already written is complete (each is written atomically).
    """
    out_dir = Path(out) if out is not None else project.out_dir
    remove_stale_outputs(project, out_dir)  # what a killed run left half-written
    state = RunState(project=project, out_dir=out_dir, progress=progress)
    seconds: dict[str, float] = {}
    for index, (name, stage) in enumerate(STAGES):
        if on_stage is not None:
            on_stage(name, index, len(STAGES))
        start = time.perf_counter()
        stage(state)
        seconds[name] = round(time.perf_counter() - start, 3)
    manifest = write_manifest(out_dir / MANIFEST_NAME, with_ledger(
        _manifest(state), project_ledger(project), relative_to=project.root))
    return RunResult(out_dir, manifest, dict(state.outputs), seconds, state.notes)


def _manifest(state: RunState) -> dict[str, Any]:
    project = state.project
    inputs = {"survey": project.survey_path, "config": project.root / "themeloop.toml"}
    if state.codebook is not None:
        inputs["codebook"] = project.codebook_path
    if state.coding_path is not None:
        inputs["coding_table"] = state.coding_path
    seed = project.config.seed
    return build_manifest(
        "run",
        inputs=inputs,
        outputs=sorted(set(state.outputs.values())),
        config=project.config.model_dump(mode="json"),
        seeds={"themes": seed, "bootstrap": seed, "crosstab_monte_carlo": seed},
        codebook_version=getattr(state.codebook, "version", None),
        model=state.model_info,
        relative_to=project.root,
    )
