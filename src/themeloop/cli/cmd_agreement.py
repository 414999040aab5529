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
    coefficients: str = typer.Option(
        None, "--coefficients", help="Which chance-corrected coefficients, comma-separated: "
        "pa,cohen,scott,fleiss,conger,ac1,ac2,bp,alpha,bangdiwala (default: all)."),
    weights: str = typer.Option(
        None, "--weights", help="identity|quadratic|linear|ordinal|radical|ratio|circular|bipolar, "
        "or a CSV file of a q x q matrix (single-label questions and --ratings-table)."),
    ratings_table: Path = typer.Option(
        None, "--ratings-table", help="A units x categories CSV of coder counts (as irrCAC's "
        ".dist functions take), instead of a coding table."),
    complete_cases: bool = typer.Option(
        None, "--complete-cases/--all-units", help="Only units coded by every coder (the old "
        "rule) instead of Gwet's missing-data formulas (every unit with two or more ratings)."),
    population: int = typer.Option(
        None, "--population", help="Answers in the whole population: finite-population "
        "correction of the standard errors."),
    project: Path = PROJECT_OPTION,
    strict: bool = STRICT_OPTION,
    raw: bool = RAW_OPTION,
) -> None:
    """Agreement per question and code: the kappa family, alpha, AC1/AC2, SEs and readings."""
    from themeloop.agreement.project import agreement_settings, run_agreement
    from themeloop.agreement.stage import agreement_project, with_assignments
    from themeloop.outputs import check_output_file
    from themeloop.pipeline.artifacts import AGREEMENT_JSON, DISAGREEMENTS
    from themeloop.safe_csv import resolve_raw

    options = {"coefficients": coefficients, "weights": weights,
               "complete_cases": complete_cases, "population": population}
    if ratings_table is not None:
        _ratings_table(ratings_table, json_out, project, options)
        return
    proj = load_project(project) if codes is None or project is not None else None
    if json_out is None and proj is not None and codes is None:
        json_out = AGREEMENT_JSON.path(proj.out_dir)
    for option, path, example in (("--json", json_out, AGREEMENT_JSON.name),
                                  ("--csv", csv_out, "agreement.csv"),
                                  ("--disagreements", disagreements_out, DISAGREEMENTS.name)):
        if path is not None:
            check_output_file(path, option, example)
    raw_csv = resolve_raw(True if raw else None, proj)
    if proj is not None:
        from themeloop.pipeline.context import RunContext

        run = agreement_project(
            RunContext.for_project(proj), codes=codes, assignments=assignments,
            json_out=json_out, csv_out=csv_out, disagreements_out=disagreements_out,
            question=question, level=level, bootstrap=bootstrap, seed=seed, raw=raw_csv,
            **options,
        )
    else:  # ad hoc: a coding table, no project
        from themeloop.coding import read_coding_table

        table = read_coding_table(codes)
        if assignments is not None:
            table = with_assignments(table, assignments)
        run = run_agreement(
            table, table_path=codes,
            settings=agreement_settings(None, level, bootstrap, seed, **options),
            json_out=json_out, csv_out=csv_out, disagreements_out=disagreements_out,
            question=question, raw=raw_csv,
        )
    _print(run.report, run.model, run.paths)


def _ratings_table(path: Path, json_out: Path | None, project: Path | None,
                   options: dict[str, Any]) -> None:
    from themeloop._io import write_text_atomic
    from themeloop.agreement.family import FamilySettings, load_weights, parse_coefficients
    from themeloop.agreement.project import _dump, agreement_settings
    from themeloop.agreement.ratings_table import ratings_table_agreement

    settings = agreement_settings(load_project(project) if project is not None else None,
                                  **options)
    family = FamilySettings(coefficients=parse_coefficients(settings["coefficients"]),
                            weights=load_weights(settings["weights"]),
                            complete_cases=bool(settings["complete_cases"]),
                            population=settings["population"])
    result = ratings_table_agreement(path, family)
    out = console()
    out.width = max(out.width, 120)
    block = result["questions"]["all"]
    out.print(f"{block['n_units']} units with two or more ratings in {path}")
    _print_family(block["coefficients"])
    if json_out is not None:
        out.print(f"wrote {write_text_atomic(json_out, _dump(result))}")


def _print_family(family: dict[str, Any] | None, title: str = "") -> None:
    """Question-level coefficients with SE, 95% CI, p and the Landis-Koch band."""
    from rich.markup import escape
    from rich.table import Table

    if not family:
        return
    out = console()
    out.width = max(out.width, 140)
    table = Table("coefficient", "estimate", "pa", "pe", "SE", "95% CI", "p",
                  "Landis-Koch band (p); at 95%", box=None, pad_edge=False, title=title or None)
    for name, e in family.items():
        if not isinstance(e, dict) or "estimate" not in e:
            continue
        ci = e["ci95"]
        lk = (e.get("benchmarks") or {}).get("landis_koch")
        band = f"{lk['band']} ({lk['p']:.2f}); {lk['band_95']}" if lk else "-"
        table.add_row(name, _fmt(e["estimate"]), _fmt(e["pa"]), _fmt(e["pe"]), _fmt(e["se"]),
                      f"{ci[0]:.3f} to {ci[1]:.3f}" if ci else "-",
                      "-" if e["p_value"] is None else f"{e['p_value']:.2g}", escape(band))
    out.print(f"  coefficients ({family['weights']} weights, missing ratings: "
              f"{'complete cases' if family['missing'] == 'complete_cases' else 'Gwet'}):")
    out.print(table)


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
        _print_family(block.get("coefficients"))
        for warning in notes["warnings"]:
            out.print(f"  [yellow]warning[/yellow]: {escape(warning)}")
        for finding in notes.get("deviations", []):
            out.print(f"  [magenta]coder[/magenta]: {escape(finding)}")
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
