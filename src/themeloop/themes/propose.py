"""Themes for every question of a responses table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from themeloop.compute import Backend
from themeloop.errors import ThemesError
from themeloop.progress import Progress, no_progress
from themeloop.themes.model import UNASSIGNED, QuestionThemes, SeedCode, ThemesResult
from themeloop.themes.proposer import ThemeProposer

REQUIRED_COLUMNS = ("response_id", "question", "text", "substantive")


def propose_themes(
    responses: pd.DataFrame,
    embedder,
    *,
    seed: int = 42,
    questions: Sequence[str] | None = None,
    seed_codes: Mapping[str, Sequence[SeedCode]] | None = None,
    progress: Progress = no_progress,
    backend: Backend | None = None,
    **params,
) -> ThemesResult:
    """Propose themes for each question of a long responses table.

    Parameters
    ----------
    responses : the long table (``Survey.responses()``): ``response_id``,
        ``question``, ``text``, ``substantive``.
    embedder : a :class:`themeloop.embed.Embedder` (or anything with
        ``encode(texts, progress=...)`` and ``model_info``).
    seed : random seed for every random step.
    questions : question ids to do (default: all, in table order).
    seed_codes : deductive seed codes per question id.
    progress : progress callback.
    backend : where nearest-centroid assignment runs (default: this process);
        the embedder carries its own. Not part of the result or its run id.
    **params : passed to :class:`~themeloop.themes.proposer.ThemeProposer`
        (``max_themes``, ``min_theme_size``, ``merge_similarity``, ...).

    Returns
    -------
    ThemesResult

    Raises
    ------
    ThemesError
        If a column is missing or a question id is unknown.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in responses.columns]
    if missing:
        raise ThemesError(
            f"responses table lacks column(s) {', '.join(missing)}; "
            f"it needs {', '.join(REQUIRED_COLUMNS)}"
        )
    known = list(dict.fromkeys(responses["question"].astype(str)))
    wanted = list(questions) if questions else known
    for q in wanted:
        if q not in known:
            from themeloop.errors import did_you_mean

            raise ThemesError(
                f"unknown question '{q}'{did_you_mean(q, known)}; questions are: {', '.join(known)}"
            )
    seed_codes = seed_codes or {}
    substantive = responses["substantive"].astype(bool)
    texts = responses["text"].fillna("").astype(str)
    todo = responses["question"].astype(str).isin(wanted) & substantive
    vectors = embedder.encode(texts[todo].tolist(), progress=progress)
    row_vectors = dict(zip(np.flatnonzero(todo.to_numpy()), vectors))
    result = ThemesResult(seed=seed, model=dict(embedder.model_info), questions={})
    for q in wanted:
        in_q = (responses["question"].astype(str) == q).to_numpy()
        rows = np.flatnonzero(in_q & substantive.to_numpy())
        codes = list(seed_codes.get(q, ()))
        seed_vecs = embedder.encode([c.text for c in codes]) if codes else None
        dim = vectors.shape[1] if vectors.size else 1
        emb = np.stack([row_vectors[i] for i in rows]) if len(rows) else np.zeros((0, dim))
        proposer = ThemeProposer(random_state=seed, backend=backend, **params).fit(
            texts.iloc[rows].tolist(), emb, responses["response_id"].iloc[rows].astype(str).tolist(),
            seed_codes=codes, seed_embeddings=seed_vecs, progress=progress,
        )
        result.questions[q] = _question_result(responses, q, in_q, rows, proposer, params)
    result.run_id = _run_id(responses, wanted, seed, result.model, params, seed_codes)
    return result


def _question_result(
    responses: pd.DataFrame, q: str, in_q: np.ndarray, rows: np.ndarray,
    proposer: ThemeProposer, params: dict,
) -> QuestionThemes:
    all_rows = np.flatnonzero(in_q)
    ids = responses["response_id"].astype(str).to_numpy()
    by_row = {
        int(r): (tid, float(s)) for r, tid, s in zip(rows, proposer.theme_ids_, proposer.scores_)
    }
    theme_ids, scores = [], []
    for r in all_rows:
        tid, score = by_row.get(int(r), (UNASSIGNED, None))
        theme_ids.append(tid)
        scores.append(None if score is None or np.isnan(score) else round(score, 6))
    non_sub = [ids[r] for r in all_rows if int(r) not in by_row]
    return QuestionThemes(
        question=q, strategy=proposer.strategy_, n_responses=len(all_rows),
        n_substantive=len(rows), non_substantive=non_sub, themes=proposer.themes_,
        response_ids=[ids[r] for r in all_rows], theme_ids=theme_ids, scores=scores,
        note=proposer.note_, params=params, notes=list(proposer.notes_),
        max_themes=proposer.max_themes_,
    )


def _run_id(
    responses: pd.DataFrame, questions: list[str], seed: int, model: dict, params: dict,
    seed_codes: Mapping[str, Sequence[SeedCode]],
) -> str:
    """A content hash of everything that decides the result (no clock time)."""
    digest = hashlib.sha256()
    cols = responses[list(REQUIRED_COLUMNS)].astype(str)
    digest.update(pd.util.hash_pandas_object(cols, index=False).to_numpy().tobytes())
    meta = {
        "questions": questions, "seed": seed, "model": model, "params": params,
        "seeds": {q: [vars(c) for c in cs] for q, cs in sorted(seed_codes.items())},
    }
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]
