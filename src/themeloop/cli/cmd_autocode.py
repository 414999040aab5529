"""themeloop autocode fit | predict | evaluate: the autocoder on one file (ad hoc mode)."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import (
    BACKEND_OPTION,
    ENCODING_OPTION,
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
                                      "human-only ([autocode] human_only_alpha)."),
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
    file: Path = FILE_ARGUMENT, id_column: str = ID_OPTION, text_column: str = TEXT_OPTION,
    n: int = typer.Option(50, "--n", min=1, help="How many answers to choose."),
    model_dir: Path | None = typer.Option(None, "--model-dir", help="A fitted model: choose by "
                                          "uncertainty and diversity (default: diverse cold start)."),
    coding: Path | None = typer.Option(None, "--coding", help="Answers already coded (left out)."),
    out: Path = typer.Option(..., "--out", "-o", help="NEXT.csv: rank, response_id, "
                             "uncertainty, text."),
    cache_dir: Path | None = CACHE_OPTION, encoding: str | None = ENCODING_OPTION,
    sheet: str | None = SHEET_OPTION,
) -> None:
    """Choose the uncoded answers people should code next."""
    from themeloop._io import write_with
    from themeloop.autocode.run import load_answers, make_embedder, next_adhoc
    from themeloop.outputs import check_output_file

    check_output_file(out, "--out", "next.csv")
    answers = load_answers(file, id_column=id_column, text_column=text_column,
                           encoding=encoding, sheet=sheet)
    table = next_adhoc(answers, n=n, embedder=make_embedder(cache_dir), model_dir=model_dir,
                       coding=coding)
    write_with(out, lambda p: table.to_csv(p, index=False))
    how = "uncertainty and diversity" if model_dir is not None else "diverse cold start"
    typer.echo(f"Chose {len(table)} answers to code next ({how}); wrote {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(autocode_app, name="autocode")
