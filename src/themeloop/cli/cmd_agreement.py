"""themeloop agreement: inter-coder agreement of a coding table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from themeloop.cli._common import PROJECT_OPTION, RAW_OPTION, STRICT_OPTION, console, load_project

ORDER = 60


def agreement(
    codes: Path = typer.Argument(
        None, help="Coding table (CSV or Parquet). Default: the project's "
        "annotations/coding_table.csv, with results in its out/ folder."),
    question: str = typer.Option(None, "--question", "-q", help="Only this question."),
    json_out: Path = typer.Option(None, "--json", help="Write agreement JSON (DESIGN.md) here; "
                                  "notes and model-vs-human files go beside it."),
    csv_out: Path = typer.Option(None, "--csv", help="Write every coefficient as a flat CSV."),
    level: str = typer.Option(None, "--level",
                              help="nominal|ordinal|interval|ratio, for single-label data."),
    bootstrap: int = typer.Option(None, "--bootstrap", help="Resamples for alpha's 95% CI (0: off)."),
    seed: int = typer.Option(None, "--seed", min=0, help="Seed for the bootstrap."),
    disagreements_out: Path = typer.Option(
        None, "--disagreements", help="Write units where coders differ (text, codes, memos) as CSV."),
    assignments: Path = typer.Option(
        None, "--assignments", help="assignments.csv from 'themeloop themes': also compare the "
        "model's themes with each coder."),
    project: Path = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
    raw: bool = RAW_OPTION,
) -> None:
    """Agreement per question and code: kappas, Krippendorff's alpha, AC1, with readings."""
    from themeloop.agreement.project import agreement_settings, run_agreement
    from themeloop.coding import read_coding_table
    from themeloop.errors import CodingTableError
    from themeloop.outputs import check_output_file
    from themeloop.safe_csv import resolve_raw

    proj = load_project(project) if codes is None or project is not None else None
    table_path = codes if codes is not None else proj.coding_table_path
    if json_out is None and codes is None:
        json_out = proj.out_dir / "agreement.json"
    for option, path, example in (("--json", json_out, "agreement.json"),
                                  ("--csv", csv_out, "agreement.csv"),
                                  ("--disagreements", disagreements_out, "disagreements.csv")):
        if path is not None:
            check_output_file(path, option, example)
    if codes is None and not table_path.is_file():
        raise CodingTableError(f"{table_path}: no coding table yet; run 'themeloop pull' or pass CODES")
    table = read_coding_table(table_path)
    if assignments is not None:
        table = _with_assignments(table, assignments)
    responses = None
    if disagreements_out is not None and proj is not None:
        from themeloop.survey import load_project_survey

        responses = load_project_survey(proj).responses()
    run = run_agreement(
        table, table_path=table_path, settings=agreement_settings(proj, level, bootstrap, seed),
        json_out=json_out, csv_out=csv_out, disagreements_out=disagreements_out,
        responses=responses, question=question, root=proj.root if proj is not None else None,
        raw=resolve_raw(True if raw else None, proj),
    )
    _print(run.report, run.model, run.paths)


def _with_assignments(table: Any, path: Path) -> Any:
    import pandas as pd

    from themeloop.coding import assignments_to_coding, validate_coding_table
    from themeloop.errors import CodingTableError
    from themeloop.safe_csv import read_csv

    if not path.is_file():
        raise CodingTableError(f"{path}: no such assignments file")
    model = assignments_to_coding(read_csv(path, dtype={"theme_id": str}))
    return validate_coding_table(pd.concat([table, model], ignore_index=True))


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _print(report: Any, model: dict | None, written: list[Path]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.width = max(out.width, 120)
    for qid, block in report.result["questions"].items():
        notes = report.notes["questions"][qid]
        overall = block["overall"]
        out.print(f"[bold]{escape(qid)}[/bold]: {block['n_units']} units coded by two or more "
                  f"of {len(block['coders'])} coders ({escape(', '.join(block['coders']))})")
        table = Table("code", "n", "prev.", "% agree", "Cohen", "Fleiss", "alpha", "95% CI",
                      "AC1", "BP", "reading", box=None, pad_edge=False)
        for code, s in block["per_code"].items():
            ci = s["alpha_ci95"]
            table.add_row(escape(code), str(s["n_units"]), f"{s['prevalence']:.0%}",
                          _fmt(s["percent_agreement"]), _fmt(s["cohen_kappa"]),
                          _fmt(s["fleiss_kappa"]), _fmt(s["krippendorff_alpha"]),
                          f"{ci[0]:.2f}-{ci[1]:.2f}" if ci else "-", _fmt(s["gwet_ac1"]),
                          _fmt(s["brennan_prediger"]), notes["per_code"][code]["reading"])
        out.print(table)
        for key, value in overall.items():
            if value is None and key not in ("percent_agreement", "krippendorff_alpha_masi"):
                continue
            reading = notes["reading"].get(key)
            out.print(f"  {key}: {_fmt(value)}" + (f" ({reading})" if reading else ""))
        if notes["cohen_kappa"] is not None:
            out.print(f"  cohen_kappa (categories): {_fmt(notes['cohen_kappa'])}")
        for warning in notes["warnings"]:
            out.print(f"  [yellow]warning[/yellow]: {escape(warning)}")
    for qid, reason in report.notes["skipped"].items():
        out.print(f"[yellow]skipped[/yellow] {escape(qid)}: {escape(reason)}")
    out.print("Reading (Krippendorff): alpha >= .800 reliable; .667-.800 tentative; "
              "below .667 unreliable.")
    if model is not None:
        for qid, q in model["questions"].items():
            s = q["summary"]
            out.print(f"model vs human, {escape(qid)}: MASI alpha model-human "
                      f"{_fmt(s['model_human']['krippendorff_alpha_masi'])} vs human-human "
                      f"{_fmt(s['human_human']['krippendorff_alpha_masi'])}")
    for path in written:
        out.print(escape(f"wrote {path}"))


def register(app: typer.Typer) -> None:
    app.command("agreement")(agreement)
