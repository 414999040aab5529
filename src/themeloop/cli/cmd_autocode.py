"""themeloop autocode fit | predict | evaluate: the autocoder on one file (ad hoc mode)."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    BACKEND_OPTION,
    ENCODING_OPTION,
    PROJECT_OPTION,
    SCHEDULER_OPTION,
    SHEET_OPTION,
)

ORDER = 45

autocode_app = typer.Typer(help="Code answers automatically: zero-shot from a codebook, or "
                           "learned from human codes.", no_args_is_help=True,
                           rich_markup_mode=None)

FILE_ARGUMENT = typer.Argument(..., help="The survey file (CSV, XLSX, SAV, DTA, Parquet).",
                               metavar="FILE")
ID_OPTION = typer.Option(..., "--id-column", help="The id column; a coding table's response_id "
                         "is its value.")
TEXT_OPTION = typer.Option(..., "--text-column", help="The free-text column to code.")
CODEBOOK_OPTION = typer.Option(None, "--codebook", help="codebook.yaml: the codes, with "
                               "descriptions, include/exclude notes and examples.")
QUESTION_OPTION = typer.Option(None, "--question", "-q", help="The codebook question "
                               "(default: its only one).")
CODING_OPTION = typer.Option(None, "--coding", help="A coding table of human (or adjudicated) "
                             "codes of some answers.")
MODEL_DIR_OPTION = typer.Option(..., "--model-dir", help="Folder of the fitted model.")
SEED_OPTION = typer.Option(42, "--seed", min=0, help="Random seed (cross-validation folds).")
CACHE_OPTION = typer.Option(None, "--cache-dir", help="Embedding cache folder (default: "
                            "~/.cache/themeloop/embeddings).")


@autocode_app.command("fit")
def fit(
    file: Path = FILE_ARGUMENT, id_column: str = ID_OPTION, text_column: str = TEXT_OPTION,
    codebook: Path | None = CODEBOOK_OPTION, question: str | None = QUESTION_OPTION,
    coding: Path | None = CODING_OPTION, model_dir: Path = MODEL_DIR_OPTION,
    seed: int = SEED_OPTION, cache_dir: Path | None = CACHE_OPTION,
    human_only_from: Path | None = typer.Option(
        None, "--human-only-from", help="agreement_model.json of 'autocode evaluate': its "
        "human-only codes are scored but never applied."),
    encoding: str | None = ENCODING_OPTION, sheet: str | None = SHEET_OPTION,
) -> None:
    """Fit a model: zero-shot with --codebook alone, supervised with --coding."""
    from themeloop.autocode.run import (
        fit_adhoc,
        load_answers,
        load_inputs,
        make_embedder,
        read_human_only,
    )
    from themeloop.outputs import check_output_dir

    check_output_dir(model_dir, "--model-dir")
    answers = load_answers(file, id_column=id_column, text_column=text_column,
                           encoding=encoding, sheet=sheet)
    inputs = load_inputs(answers, codebook=codebook, coding=coding, question=question)
    human_only = None
    if human_only_from is not None:
        human_only = read_human_only(human_only_from, [c.id for c in inputs.codes])
    result = fit_adhoc(answers, inputs, model_dir=model_dir, seed=seed,
                       embedder=make_embedder(cache_dir), human_only=human_only)
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    m = result.manifest
    modes = [c["mode"] for c in m["codes"]]
    held = [c["code"] for c in m["codes"] if c["human_only"]]
    typer.echo(f"Fitted {m['model_id']} ({m['kind']}) on {m['n_train']} answers: "
               f"{modes.count('supervised')} supervised and {modes.count('zero_shot')} "
               f"zero-shot codes; human-only: {', '.join(held) or 'none'}; wrote {model_dir}")


@autocode_app.command("predict")
def predict(
    file: Path = FILE_ARGUMENT, id_column: str = ID_OPTION, text_column: str = TEXT_OPTION,
    model_dir: Path = MODEL_DIR_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="PREDICTIONS.csv: a coding table "
                             "(coder = the model id, source = model, with a score)."),
    scores: Path | None = typer.Option(None, "--scores", help="SCORES.csv: response_id and "
                                       "one probability column per code."),
    cache_dir: Path | None = CACHE_OPTION, encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION, backend: str | None = BACKEND_OPTION,
    scheduler: str | None = SCHEDULER_OPTION,
) -> None:
    """Code every answer of FILE with a fitted model."""
    from themeloop._io import write_with
    from themeloop.autocode.run import load_answers, make_embedder, predict_adhoc
    from themeloop.compute import backend_for, close_backend
    from themeloop.outputs import check_output_file

    check_output_file(out, "--out", "predictions.csv")
    if scores is not None:
        check_output_file(scores, "--scores", "scores.csv")
    answers = load_answers(file, id_column=id_column, text_column=text_column,
                           encoding=encoding, sheet=sheet)
    runner = backend_for(backend=backend, scheduler=scheduler)
    try:
        rows, wide, manifest = predict_adhoc(answers, model_dir=model_dir,
                                             embedder=make_embedder(cache_dir, runner),
                                             backend=runner)
    finally:
        close_backend(runner)
    write_with(out, lambda p: rows.to_csv(p, index=False, float_format="%.6f"))
    if scores is not None:
        write_with(scores, lambda p: wide.to_csv(p, index=False, float_format="%.6f"))
    coded = rows.loc[rows["code"] != "", "response_id"].nunique()
    typer.echo(f"Coded {len(answers.ids)} answers with {manifest['model_id']}: {coded} got one "
               f"or more codes, {len(answers.ids) - coded} none; wrote {out}"
               + (f" and {scores}" if scores is not None else ""))


@autocode_app.command("evaluate")
def evaluate(
    file: Path = FILE_ARGUMENT, id_column: str = ID_OPTION, text_column: str = TEXT_OPTION,
    codebook: Path | None = CODEBOOK_OPTION, question: str | None = QUESTION_OPTION,
    coding: Path = typer.Option(..., "--coding", help="The human codes to compare with."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-fitting folds."),
    json_out: Path = typer.Option(..., "--json", help="agreement_model.json to write."),
    seed: int = SEED_OPTION,
    bootstrap: int = typer.Option(1000, "--bootstrap", min=0, help="Resamples for the CIs."),
    alpha_floor: float = typer.Option(0.667, "--alpha-floor", min=-1.0, max=1.0,
                                      help="Codes whose model-vs-human alpha is below this are "
                                      "human-only ([autocode] floor)."),
    cache_dir: Path | None = CACHE_OPTION, encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION,
) -> None:
    """Cross-fitted model-vs-human agreement, per code, with human-only codes marked."""
    from themeloop.autocode.run import (
        evaluate_adhoc,
        load_answers,
        load_inputs,
        make_embedder,
        write_json,
    )
    from themeloop.outputs import check_output_file
    from themeloop.pipeline.artifacts import AGREEMENT_MODEL

    check_output_file(json_out, "--json", AGREEMENT_MODEL.name)
    answers = load_answers(file, id_column=id_column, text_column=text_column,
                           encoding=encoding, sheet=sheet)
    inputs = load_inputs(answers, codebook=codebook, coding=coding, question=question)
    result = evaluate_adhoc(answers, inputs, embedder=make_embedder(cache_dir), folds=folds,
                            seed=seed, bootstrap=bootstrap, alpha_floor=alpha_floor)
    write_json(json_out, result)
    for note in result["notes"]:
        typer.echo(f"Note: {note}", err=True)
    summary = (result.get("agreement") or {}).get("summary", {})
    mh = (summary.get("model_human") or {}).get("krippendorff_alpha_masi")
    hh = (summary.get("human_human") or {}).get("krippendorff_alpha_masi")
    typer.echo(f"{result['question']}: {result['n_coded']} coded answers, sample-F1 "
               f"{result['sample_f1']}, MASI alpha model-human {mh}, human-human {hh}; "
               f"human-only codes: {', '.join(result['human_only']) or 'none'}; wrote {json_out}")


@autocode_app.command("next")
def next_batch(
    file: Path | None = typer.Argument(None, help="Ad hoc: the survey file. Leave it out inside "
                                       "a project (themeloop.toml).", metavar="[FILE]"),
    id_column: str | None = typer.Option(None, "--id-column", help="Ad hoc: the id column."),
    text_column: str | None = typer.Option(None, "--text-column",
                                           help="Ad hoc: the free-text column."),
    n: int = typer.Option(50, "--n", help="How many answers to choose (per question in a "
                          "project)."),
    question: str | None = typer.Option(None, "--question", "-q", help="Project mode: only "
                                        "this question (default: every question with codes)."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="Ad hoc: a fitted model: "
                                          "choose by uncertainty and diversity (default: "
                                          "diverse cold start)."),
    coding: Path | None = typer.Option(None, "--coding", help="Ad hoc: answers already coded "
                                       "(left out)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="NEXT.csv to write (required ad "
                                    "hoc; optional in a project, which writes nothing else)."),
    project: Path | None = PROJECT_OPTION,
    cache_dir: Path | None = CACHE_OPTION, encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION,
) -> None:
    """Choose the uncoded answers people should code next.

    Inside a project: fit per question on the pulled human codes (zero-shot where
    there are none) and print response_id, question and why; a diverse cold start
    where nobody coded yet.
    """
    from themeloop._io import write_with
    from themeloop.errors import ConfigError
    from themeloop.outputs import check_output_file

    if out is not None:
        check_output_file(out, "--out", "next.csv")
    if file is None:
        adhoc = (("--id-column", id_column), ("--text-column", text_column),
                 ("--model-dir", model_dir), ("--coding", coding), ("--cache-dir", cache_dir),
                 ("--encoding", encoding), ("--sheet", sheet))
        given = [name for name, value in adhoc if value is not None]
        if given:
            raise ConfigError(f"{given[0]} is for ad hoc mode (with FILE); inside a project the "
                              "survey, the codes and the model come from the project, so "
                              "leave it out")
        _next_project(project, n, question, out)
        return
    if id_column is None or text_column is None or out is None:
        need = [name for name, value in (("--id-column", id_column),
                                         ("--text-column", text_column), ("--out", out))
                if value is None]
        raise ConfigError(f"ad hoc 'autocode next FILE' needs {', '.join(need)}; or leave FILE "
                          "out inside a project folder")
    from themeloop.autocode.run import load_answers, make_embedder, next_adhoc

    answers = load_answers(file, id_column=id_column, text_column=text_column,
                           encoding=encoding, sheet=sheet)
    table = next_adhoc(answers, n=n, embedder=make_embedder(cache_dir), model_dir=model_dir,
                       coding=coding)
    write_with(out, lambda p: table.to_csv(p, index=False))
    how = "uncertainty and diversity" if model_dir is not None else "diverse cold start"
    typer.echo(f"Chose {len(table)} answers to code next ({how}); wrote {out}")


def _next_project(project: Path | None, n: int, question: str | None, out: Path | None) -> None:
    from rich.markup import escape
    from rich.table import Table

    from themeloop.autocode.queue import next_answers
    from themeloop.cli._common import console, load_project
    from themeloop.pipeline.context import RunContext
    from themeloop.safe_csv import write_csv

    ctx = RunContext.for_project(load_project(project))
    result = next_answers(ctx, n=n, question=question)
    for note in result.notes:
        typer.echo(f"Note: {note}", err=True)
    table = Table("response_id", "question", "why", box=None, pad_edge=False)
    for row in result.table.itertuples():
        table.add_row(escape(str(row.response_id)), escape(str(row.question)), escape(row.why))
    con = console()
    con.width = max(con.width or 0, 140)
    con.print(table)
    modes = ", ".join(f"{q}: {'cold start' if f.n_coded == 0 else f.mode} on {f.n_coded} coded"
                      for q, f in result.fits.items())
    tail = ""
    if out is not None:
        write_csv(result.table, out)
        tail = f"; wrote {out}"
    typer.echo(f"Chose {len(result.table)} answers to code next ({modes}){tail}")


def register(app: typer.Typer) -> None:
    app.add_typer(autocode_app, name="autocode")
