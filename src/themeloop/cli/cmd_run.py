"""themeloop run: the whole loop on a project."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, console, load_project, progress_bar

ORDER = 5


def run(
    project: Path = PROJECT_OPTION,
    out: Path = typer.Option(None, "--out", help="Output folder (default: the project's out/)."),
) -> None:
    """Run the whole loop: themes, annotations, agreement, adjudication, merge, crosstabs, report."""
    import sys

    from themeloop.pipeline import run_project

    proj = load_project(project)
    err = console()
    err.stderr = True

    def on_stage(name: str, index: int, total: int) -> None:
        if sys.stderr.isatty():
            err.print(f"[{index + 1}/{total}] {name}")

    with progress_bar() as progress:
        result = run_project(proj, out=out, progress=progress, on_stage=on_stage)
    out_console = console()
    for note in result.notes:
        out_console.print(f"note: {note}", markup=False)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items())
    out_console.print(f"stages: {timing}", markup=False)
    out_console.print(f"Outputs in {result.out_dir}:", markup=False)
    for path in sorted({p.name for p in result.outputs.values()}):
        out_console.print(f"  {path}", markup=False)
    out_console.print(f"Manifest: {result.manifest}", markup=False)
    report = result.outputs.get("report")
    if report is not None:
        out_console.print(f"Report: {report}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
