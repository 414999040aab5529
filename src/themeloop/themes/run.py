"""``themeloop themes`` as one library call: a project, or one CSV ad hoc."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.compute import Backend
from themeloop.config import ProjectConfig, ThemesSection
from themeloop.pipeline.artifacts import by_key
from themeloop.progress import Progress, no_progress
from themeloop.themes.model import ThemesResult

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.pipeline.context import RunContext


@dataclass
class ThemesRun:
    """What a themes run produced and where it wrote it."""

    result: ThemesResult
    paths: dict[str, Path]
    notes: list[str] = field(default_factory=list)


def default_adhoc_cache() -> Path:
    """Embedding cache for runs outside a project (``$XDG_CACHE_HOME/themeloop/embeddings``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "themeloop" / "embeddings"


def run_themes(
    project: str | os.PathLike[str] | None = None,
    *,
    survey_file: str | os.PathLike[str] | None = None,
    id_column: str | None = None,
    text_column: str | None = None,
    out: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    questions: list[str] | None = None,
    max_themes: int | None = None,
    seeds_file: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Progress = no_progress,
    encoding: str | None = None,
    sheet: str | None = None,
    raw: bool | None = None,
    backend: Backend | None = None,
    compute_backend: str | None = None,
    scheduler: str | None = None,
) -> ThemesRun:
    """Propose themes and write themes.json, assignments.csv, a draft codebook and a manifest.

    With ``survey_file`` the run is ad hoc (``id_column`` and ``text_column``
    required, ``encoding`` and ``sheet`` optional, defaults for everything
    else); otherwise the project at or above
    ``project`` supplies the survey, questions, seed and ``[themes]`` settings,
    and explicit arguments override them. ``raw`` (default: ``[export] raw``)
    writes assignments.csv without formula neutralisation. ``backend`` runs the embedding
    batches and the nearest-centroid assignment (default: the one ``[compute]``,
    ``compute_backend`` and ``scheduler`` name; ad hoc: this process unless they name one).

    Raises
    ------
    ThemeloopError
        (a subclass) for a bad project, survey, codebook or argument.
    """
    from themeloop.outputs import check_output_dir

    if survey_file is None:
        from themeloop.config import find_project
        from themeloop.pipeline.context import RunContext

        ctx = RunContext.for_project(find_project(Path(project) if project is not None else None),
                                     Path(out) if out is not None else None, progress)
        ctx.compute_backend, ctx.scheduler = compute_backend, scheduler
        check_output_dir(ctx.out_dir, "--out" if out else "paths.out")
        try:
            return themes_project(ctx, seed=seed, questions=questions, max_themes=max_themes,
                                  seeds_file=seeds_file, cache_dir=cache_dir, raw=raw,
                                  backend=backend)
        finally:
            ctx.close()
    from themeloop.compute import backend_for, close_backend
    from themeloop.survey.adhoc import load_adhoc_survey

    survey = load_adhoc_survey(survey_file, id_column=id_column,
                               text_columns=[text_column] if text_column else None,
                               encoding=encoding, sheet=sheet)
    out_dir = Path(out) if out else Path(".")
    check_output_dir(out_dir, "--out" if out else "paths.out")
    owned = None
    if backend is None:
        backend = owned = backend_for(backend=compute_backend, scheduler=scheduler)
    try:
        return _propose(
            survey.responses(), settings=ThemesSection(), adhoc=True,
            base_seed=ProjectConfig.model_fields["seed"].default,
            root=out_dir, out_dir=out_dir, relative_to=out_dir,
            cache=Path(cache_dir) if cache_dir else default_adhoc_cache(),
            inputs={"survey": survey.path}, seed=seed, questions=questions,
            max_themes=max_themes, seeds_file=seeds_file, progress=progress, raw=bool(raw),
            backend=backend,
        )
    finally:
        close_backend(owned)


def themes_project(
    ctx: RunContext,
    *,
    seed: int | None = None,
    questions: list[str] | None = None,
    max_themes: int | None = None,
    seeds_file: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    raw: bool | None = None,
    backend: Backend | None = None,
) -> ThemesRun:
    """Propose themes for the run's project and write them into the run's folder.

    The project supplies the survey, questions, seed and ``[themes]`` settings
    (``seeds``: a codebook whose codes seed deductive themes); arguments
    override them. The work runs on ``backend`` (default: ``ctx.backend``). The result is kept in ``ctx.themes`` and its files in
    ``ctx.outputs``.
    """
    from themeloop.safe_csv import resolve_raw

    proj = ctx.project
    settings = proj.config.themes
    if seeds_file is None and settings.seeds:
        seeds_file = proj.root / settings.seeds
    run = _propose(
        ctx.responses, settings=settings, base_seed=proj.config.seed, root=proj.root,
        out_dir=ctx.out_dir, relative_to=proj.root,
        cache=Path(cache_dir) if cache_dir else proj.models_dir / "cache",
        inputs={"survey": proj.survey_path}, seed=seed, questions=questions,
        max_themes=max_themes, seeds_file=seeds_file, progress=ctx.progress,
        raw=resolve_raw(raw, proj), backend=backend if backend is not None else ctx.backend,
    )
    for key, path in run.paths.items():
        ctx.record(by_key(key), path)
    ctx.themes = run.result
    ctx.model_info = dict(run.result.model)
    return run


def _propose(
    responses: pd.DataFrame, *, settings: ThemesSection, base_seed: int, root: Path,
    adhoc: bool = False,
    out_dir: Path, relative_to: Path, cache: Path, inputs: dict[str, Path], seed: int | None,
    questions: list[str] | None, max_themes: int | None,
    seeds_file: str | os.PathLike[str] | None, progress: Progress,
    raw: bool = False, backend: Backend | None = None,
) -> ThemesRun:
    from themeloop.embed import Embedder
    from themeloop.themes.io import read_seed_codes, write_themes
    from themeloop.themes.propose import propose_themes

    # Ad hoc runs pass no clustering parameters, so the proposer's own apply
    # (and a run id stays what it always was for the same file).
    params = _params(None if adhoc else settings, max_themes)
    seed_codes = {}
    if seeds_file is not None:
        seed_codes = read_seed_codes(seeds_file)
        inputs["seeds"] = Path(seeds_file)
    embedder = Embedder(
        model_path=(root / settings.model_path) if settings.model_path else None,
        precision=settings.precision, runtime=settings.runtime, cache_dir=cache,
        backend=backend,
    )
    seed = base_seed if seed is None else seed
    result = propose_themes(
        responses, embedder, seed=seed, questions=questions, seed_codes=seed_codes,
        progress=progress, backend=backend, **params,
    )
    # Recorded relative to the project, so a manifest does not depend on where it lives.
    seeds_shown = os.path.relpath(seeds_file, root) if seeds_file is not None else ""
    config = {**params, "questions": list(result.questions), "seeds_file": seeds_shown}
    paths = write_themes(result, out_dir, inputs=inputs, config=config, relative_to=relative_to,
                         raw=raw)
    notes = [f"{q}: {r.note}" for q, r in result.questions.items() if r.note]
    return ThemesRun(result, paths, notes)


def _params(settings: ThemesSection | None, max_themes: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if settings is not None:
        params.update(multi_label=settings.multi_label, stability_runs=settings.stability_runs,
                      stability_max_answers=settings.stability_max_answers)
        params.update(
            min_theme_size=settings.min_theme_size,
            merge_similarity=settings.merge_similarity, min_similarity=settings.min_similarity,
            seed_threshold=settings.seed_threshold,
        )
        if settings.max_themes is not None:  # unset: the proposer's size-aware default
            params["max_themes"] = settings.max_themes
    if max_themes is not None:
        params["max_themes"] = max_themes
    return params
