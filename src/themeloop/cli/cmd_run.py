"""themeloop run: the whole loop on a project (or part of it); themeloop stages: the loop's stages."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    BACKEND_OPTION,
    PROJECT_OPTION,
    SCHEDULER_OPTION,
    STRICT_OPTION,
    console,
    load_project,
    progress_bar,
)

ORDER = 5


def run(
    project: Path = PROJECT_OPTION,
    out: Path = typer.Option(None, "--out", help="Output folder (default: the project's out/)."),
    strict: bool = STRICT_OPTION,
    from_stage: str = typer.Option(
        None, "--from", metavar="STAGE",
        help="Rerun from this stage on, using what an earlier run wrote ('themeloop stages')."),
    only: str = typer.Option(
        None, "--only", metavar="STAGE",
        help="Rerun only this stage, using what an earlier run wrote ('themeloop stages')."),
    backend: str | None = BACKEND_OPTION,
    scheduler: str | None = SCHEDULER_OPTION,
) -> None:
    """Run the whole loop: themes, annotations, agreement, adjudication, merge, crosstabs, report."""
    import sys

    from themeloop.outputs import check_output_dir
    from themeloop.pipeline.artifacts import REPORT_HTML
    from themeloop.pipeline.run import run_project

    proj = load_project(project)
    check_output_dir(out if out is not None else proj.out_dir, "--out" if out else "paths.out")
    err = console()
    err.stderr = True

    def on_stage(name: str, index: int, total: int) -> None:
        if sys.stderr.isatty():
            err.print(f"[{index + 1}/{total}] {name}")

    with progress_bar() as progress:
        result = run_project(proj, out=out, progress=progress, on_stage=on_stage,
                             from_stage=from_stage, only=only, backend=backend,
                             scheduler=scheduler)
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo("stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    typer.echo(f"Outputs in {result.out_dir}:")
    for name in sorted({p.name for p in result.outputs.values()}):
        typer.echo(f"  {name}")
    typer.echo(f"Manifest: {result.manifest}")
    if REPORT_HTML.key in result.outputs:
        typer.echo(f"Report: {result.outputs[REPORT_HTML.key]}")


def stages() -> None:
    """List the stages of 'themeloop run' in order, with the files each needs and writes."""
    from themeloop.pipeline.registry import STAGES

    for index, stage in enumerate(STAGES, 1):
        typer.echo(f"{index}. {stage.name}: {type(stage).__doc__ or ''}".rstrip())
        needs = ", ".join(a.pattern for a in stage.requires) or "-"
        writes = ", ".join(a.pattern for a in stage.produces) or "-"
        typer.echo(f"   needs: {needs}")
        typer.echo(f"   writes: {writes}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("stages")(stages)
