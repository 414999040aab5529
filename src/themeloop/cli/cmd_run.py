"""themeloop run: the whole loop on a project."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    PROJECT_OPTION,
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
) -> None:
    """Run the whole loop: themes, annotations, agreement, adjudication, merge, crosstabs, report."""
    import sys

    from themeloop.outputs import check_output_dir
    from themeloop.pipeline import run_project

    proj = load_project(project)
    check_output_dir(out if out is not None else proj.out_dir, "--out" if out else "paths.out")
    err = console()
    err.stderr = True

    def on_stage(name: str, index: int, total: int) -> None:
        if sys.stderr.isatty():
            err.print(f"[{index + 1}/{total}] {name}")

    with progress_bar() as progress:
        result = run_project(proj, out=out, progress=progress, on_stage=on_stage)
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo("stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    typer.echo(f"Outputs in {result.out_dir}:")
    for name in sorted({p.name for p in result.outputs.values()}):
        typer.echo(f"  {name}")
    typer.echo(f"Manifest: {result.manifest}")
    if "report" in result.outputs:
        typer.echo(f"Report: {result.outputs['report']}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
