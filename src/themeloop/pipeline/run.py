"""``themeloop run``: the registered stages in order, then one manifest for the whole run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from themeloop.audit.project import check_project_ledger, project_ledger
from themeloop.config import Project
from themeloop.errors import CodingTableError, PipelineError
from themeloop.outputs import remove_stale_outputs
from themeloop.pipeline.artifacts import CODING_TABLE, RUN_MANIFEST, Artifact
from themeloop.pipeline.context import RunContext
from themeloop.pipeline.registry import select
from themeloop.pipeline.stage import Stage
from themeloop.progress import Progress, no_progress


@dataclass
class RunResult:
    """What a run wrote (artifact key -> file), how long each stage took, and what it noticed."""

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
    from_stage: str | None = None,
    only: str | None = None,
    backend: str | None = None,
    scheduler: str | None = None,
) -> RunResult:
    """Run the loop on ``project`` and write ``<out>/manifest.json``.

    Parameters
    ----------
    project : the project (``themeloop.config.find_project``).
    out : output folder (default: the project's ``out/``).
    progress : progress callback for long stages (embedding).
    on_stage : called as ``on_stage(name, index, total)`` before each stage.
    from_stage : run this stage and those after it, on what an earlier run wrote.
    only : run this one stage, on what an earlier run wrote.
    backend, scheduler : where the heavy work runs, over ``[compute]`` (``"local"`` or
        ``"dask"``; ``"local:N"`` or a scheduler address).

    Raises
    ------
    PipelineError
        When a stage needs a file that neither this run nor an earlier one wrote.
    ThemeloopError
        From the first stage that fails; later stages do not run, and every
        file already written is complete (each is written atomically).
    """
    stages = select(from_stage, only)
    ctx = RunContext.for_project(project, out, progress)
    ctx.compute_backend, ctx.scheduler = backend, scheduler
    remove_stale_outputs(project, ctx.out_dir)  # what a killed run left half-written
    if any(stage.name == "ledger" for stage in stages):
        check_project_ledger(project)  # a tampered ledger stops the run before any work
    seconds: dict[str, float] = {}
    try:
        for index, stage in enumerate(stages):
            check_requirements(stage, ctx)
            if on_stage is not None:
                on_stage(stage.name, index, len(stages))
            start = time.perf_counter()
            result = stage.run(ctx)
            ctx.outputs.update(result.outputs)
            ctx.notes.extend(result.notes)
            seconds[stage.name] = round(time.perf_counter() - start, 3)
    finally:
        ctx.close()  # a LocalCluster the run started stops with it
    command = "run"
    if from_stage is not None:
        command = f"run --from {from_stage}"
    elif only is not None:
        command = f"run --only {only}"
    manifest = write_run_manifest(ctx, command)
    return RunResult(ctx.out_dir, manifest, dict(ctx.outputs), seconds, ctx.notes)


def check_requirements(stage: Stage, ctx: RunContext) -> None:
    """Raise when a file ``stage`` needs was not written, in this run or an earlier one."""
    for artifact in stage.requires:
        if artifact.key in ctx.outputs or ctx.path(artifact).is_file():
            continue
        if artifact is CODING_TABLE:
            raise CodingTableError.missing(ctx.path(artifact))
        raise missing_requirement(stage, artifact, ctx.path(artifact))


def missing_requirement(stage: Stage, artifact: Artifact, path: Path) -> PipelineError:
    return PipelineError(f"{path}: stage '{stage.name}' needs it and stage '{artifact.stage}' "
                         f"writes it; run 'themeloop run --from {artifact.stage}'")


def write_run_manifest(ctx: RunContext, command: str = "run") -> Path:
    """One manifest over the whole run: inputs, config, seeds, model, every output and the ledger's head."""
    from themeloop.audit.manifest import write_stage_manifest

    project = ctx.project
    inputs = {"survey": project.survey_path, "config": project.root / "themeloop.toml"}
    codebook = ctx.codebook
    if codebook is not None:
        inputs["codebook"] = project.codebook_path
    if ctx.has_coding:
        inputs["coding_table"] = ctx.coding_path
    seed = project.config.seed
    return write_stage_manifest(
        ctx.path(RUN_MANIFEST), command,
        inputs=inputs,
        outputs=sorted(set(ctx.outputs.values())),
        config=project.config.model_dump(mode="json"),
        seeds={"themes": seed, "bootstrap": seed, "crosstab_monte_carlo": seed},
        codebook_version=codebook.version if codebook is not None else None,
        model=ctx.model_info,
        relative_to=project.root,
        ledger=project_ledger(project),  # the head after this run's appends
    )
