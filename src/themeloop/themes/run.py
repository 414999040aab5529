"""``themeloop themes`` as one library call: a project, or one CSV ad hoc."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from themeloop.progress import Progress, no_progress
from themeloop.themes.model import ThemesResult


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
) -> ThemesRun:
    """Propose themes and write themes.json, assignments.csv, a draft codebook and a manifest.

    With ``survey_file`` the run is ad hoc (``id_column`` and ``text_column``
    required, ``encoding`` and ``sheet`` optional, defaults for everything
    else); otherwise the project at or above
    ``project`` supplies the survey, questions, seed and ``[themes]`` settings,
    and explicit arguments override them. ``raw`` (default: ``[export] raw``)
    writes assignments.csv without formula neutralisation.

    Raises
    ------
    ThemeloopError
        (a subclass) for a bad project, survey, codebook or argument.
    """
    from themeloop.embed import Embedder
    from themeloop.outputs import check_output_dir
    from themeloop.themes.io import read_seed_codes, write_themes
    from themeloop.themes.propose import propose_themes

    if survey_file is not None:
        from themeloop.survey.adhoc import load_adhoc_survey

        survey = load_adhoc_survey(survey_file, id_column=id_column,
                                   text_columns=[text_column] if text_column else None,
                                   encoding=encoding, sheet=sheet)
        root, settings, base_seed, proj = Path(out or "."), None, 42, None
        out_dir = Path(out) if out else Path(".")
        cache = Path(cache_dir) if cache_dir else default_adhoc_cache()
        inputs = {"survey": survey.path}
    else:
        from themeloop.config import find_project
        from themeloop.survey import load_project_survey

        proj = find_project(project)
        survey = load_project_survey(proj)
        root, settings, base_seed = proj.root, proj.config.themes, proj.config.seed
        out_dir = Path(out) if out else proj.out_dir
        cache = Path(cache_dir) if cache_dir else proj.models_dir / "cache"
        inputs = {"survey": survey.path}
        if seeds_file is None and settings.seeds:
            seeds_file = root / settings.seeds
    check_output_dir(out_dir, "--out" if out else "paths.out")
    params = _params(settings, max_themes)
    seed_codes = {}
    if seeds_file is not None:
        seed_codes = read_seed_codes(seeds_file)
        inputs["seeds"] = Path(seeds_file)
    embedder = Embedder(
        model_path=(root / settings.model_path) if settings and settings.model_path else None,
        precision=settings.precision if settings else "auto",
        runtime=settings.runtime if settings else "auto",
        cache_dir=cache,
    )
    seed = base_seed if seed is None else seed
    result = propose_themes(
        survey.responses(), embedder, seed=seed, questions=questions, seed_codes=seed_codes,
        progress=progress, **params,
    )
    # Recorded relative to the project, so a manifest does not depend on where it lives.
    seeds_shown = os.path.relpath(seeds_file, root) if seeds_file is not None else ""
    config = {**params, "questions": list(result.questions), "seeds_file": seeds_shown}
    from themeloop.safe_csv import resolve_raw

    paths = write_themes(result, out_dir, inputs=inputs, config=config,
                         relative_to=root if survey_file is None else out_dir,
                         raw=resolve_raw(raw, proj))
    notes = [f"{q}: {r.note}" for q, r in result.questions.items() if r.note]
    return ThemesRun(result, paths, notes)


def _params(settings, max_themes: int | None) -> dict:
    params: dict = {}
    if settings is not None:
        params.update(
            max_themes=settings.max_themes, min_theme_size=settings.min_theme_size,
            merge_similarity=settings.merge_similarity, min_similarity=settings.min_similarity,
            seed_threshold=settings.seed_threshold,
        )
    if max_themes is not None:
        params["max_themes"] = max_themes
    return params
