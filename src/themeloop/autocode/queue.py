"""Project mode: which uncoded answers people should code next, and which model codes need a look.

For each question with codes, :func:`fit_question` trains an
:class:`~themeloop.autocode.AutoCoder` on the project's human codes (the pulled
coding table, ``annotations/coding_table.csv``), zero-shot from the codebook
where nobody coded the question yet, and scores every substantive answer no
human coded. :func:`next_answers` picks the ones to code next (uncertainty plus
diversity; a diverse cold start without codes) and :func:`review_answers`
applies the review rule of the ``autocode`` stage (a code's score within the
review band of its threshold, or no code at all).

Nothing here writes a file: the CLI prints the result or writes ``--out``, and
``themeloop push --next`` / ``--review`` send it to Label Studio.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.errors import AutocodeError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.autocode.estimator import AutoCoder
    from themeloop.embed import Embedder
    from themeloop.pipeline.context import RunContext

COLD_START = "cold_start"
NEXT_COLUMNS = ["rank", "response_id", "question", "why", "uncertainty", "codes", "scores"]
REVIEW_COLUMNS = ["response_id", "question", "reason", "codes", "scores"]


@dataclass
class QuestionFit:
    """One question's model and its scores for the answers no human coded.

    ``ids``, ``texts`` and ``x`` are those uncoded substantive answers, in
    survey order; ``proba`` / ``given`` the model's scores and codes for them
    (human-only codes are scored but never given).
    """

    question: str
    mode: str                      # "supervised" | "zero_shot"
    model: AutoCoder
    model_id: str
    codes: list[str]
    n_coded: int
    ids: list[str]
    texts: list[str]
    x: np.ndarray
    proba: np.ndarray
    given: np.ndarray
    human_only: list[str] = field(default_factory=list)

    def scored(self, i: int) -> tuple[list[str], list[float]]:
        """Answer ``i``'s given codes and their scores."""
        hits = np.flatnonzero(self.given[i])
        return [self.codes[k] for k in hits], [round(float(self.proba[i, k]), 6) for k in hits]


@dataclass
class QueueResult:
    """What :func:`next_answers` or :func:`review_answers` found, per question."""

    table: pd.DataFrame
    fits: dict[str, QuestionFit]
    notes: list[str] = field(default_factory=list)
    source: str = "computed"       # review: "review.csv" when read from the last run


def project_embedder(ctx: RunContext) -> Embedder:
    """The packaged (or configured) embedding model with the project's cache (models/cache)."""
    from themeloop.embed import Embedder

    settings = ctx.project.config.themes
    root = ctx.project.root
    return Embedder(model_path=(root / settings.model_path) if settings.model_path else None,
                    precision=settings.precision, runtime=settings.runtime,
                    cache_dir=ctx.project.models_dir / "cache")


def review_band(ctx: RunContext) -> float:
    """``[autocode] review_band``, the band the autocode stage routes to review."""
    return float(ctx.project.config.autocode.review_band)


def _seed(ctx: RunContext) -> int:
    return int(ctx.project.config.autocode.seed or ctx.project.config.seed)


def questions_with_codes(ctx: RunContext, question: str | None = None) -> list[str]:
    """The questions to work on: ``question``, or every question whose codebook lists codes."""
    codebook = ctx.codebook
    path = ctx.project.codebook_path
    if codebook is None:
        raise AutocodeError(f"{path}: no codebook; write one ('themeloop themes' drafts one) "
                            "so the model knows the codes")
    if question is not None:
        ctx.project.config.question(question)  # ConfigError with did-you-mean
        if not codebook.code_ids(question):
            raise AutocodeError(f"{path}: question '{question}' has no codes; add codes to "
                                "the codebook first")
        return [question]
    ids = [q.id for q in ctx.project.config.questions]
    found = [q for q in ids if q in codebook.questions and codebook.code_ids(q)]
    if not found:
        raise AutocodeError(f"{path}: no question has codes; add codes to the codebook first")
    return found


def _human_rows(ctx: RunContext, qid: str, codes: Sequence[str]) -> pd.DataFrame | None:
    """The rows of ``qid`` that the autocode stage learns from (None: nobody coded it).

    These are the run's agreed codes where there is an ``agreed.csv``, and every
    coder's codes for the answers not yet adjudicated
    (:func:`~themeloop.autocode.project.training_rows`), so the model that picks
    the next answers is the one ``themeloop run`` would fit.
    """
    if not ctx.has_coding:
        return None
    from themeloop.autocode.project import training_rows
    from themeloop.coding import judged_rows

    table = ctx.coding
    rows = judged_rows(table[table["question"] == qid], ("human", "adjudication"))
    known = set(codes)
    for position, code in zip(rows.index, rows["code"]):
        if code and code not in known:
            raise AutocodeError(
                f"{ctx.coding_path}: row {int(position) + 2}: code '{code}' is not a code of "
                f"question '{qid}' in {ctx.project.codebook_path}"
                f"{did_you_mean(code, list(known))}; add it to the codebook or fix the coding "
                "table (then pull again)")
    train, _ = training_rows(ctx)
    rows = judged_rows(train[train["question"] == qid], ("human", "adjudication"))
    return None if rows.empty else rows


def _human_only(ctx: RunContext, qid: str, codes: Sequence[str]) -> list[str]:
    """Codes the last run marked human-only (agreement_model.json), never pre-ticked."""
    from themeloop.pipeline.artifacts import AGREEMENT_MODEL

    path = ctx.path(AGREEMENT_MODEL)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        listed = data["questions"][qid]["human_only"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [str(c) for c in listed if c in codes] if isinstance(listed, list) else []


def fit_question(ctx: RunContext, qid: str, embedder: Embedder) -> QuestionFit:
    """Fit ``qid``'s model on its human codes (zero-shot without) and score its uncoded answers."""
    from themeloop.autocode.estimator import AutoCoder
    from themeloop.autocode.labels import targets
    from themeloop.autocode.prototypes import build_prototypes
    from themeloop.autocode.store import model_manifest

    codes = ctx.codebook.codes(qid) if ctx.codebook is not None else []
    code_ids = [c.id for c in codes]
    responses = ctx.responses
    rows = responses[(responses["question"] == qid) & responses["substantive"]]
    ids = [str(r) for r in rows["response_id"]]
    texts = [str(t) for t in rows["text"]]
    human = _human_rows(ctx, qid, code_ids)
    coded = set(human["response_id"]) if human is not None else set()
    x = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    prototypes = build_prototypes(codes, embedder.encode, dict(zip(ids, texts)))
    human_only = _human_only(ctx, qid, code_ids)
    model = AutoCoder(random_state=_seed(ctx), human_only=tuple(human_only),
                      min_positives=ctx.project.config.autocode.min_positives)
    t = targets(human, ids, code_ids) if human is not None else None
    if t is not None and len(t.index):
        model.fit(x[t.index], t.y, codes=code_ids, prototypes=prototypes,
                  texts=[texts[i] for i in t.index])
    elif len(x):
        model.fit(x, None, codes=code_ids, prototypes=prototypes)
    else:
        raise AutocodeError(f"question '{qid}' has no substantive answers in "
                            f"{ctx.project.survey_path}; nothing to code")
    mode = "supervised" if "supervised" in model.modes_ else "zero_shot"
    info = {"question": qid, "codebook_version": ctx.codebook.version if ctx.codebook else None,
            "kind": mode}
    model_id = model_manifest(model, info=info)["model_id"]
    rest = [i for i, rid in enumerate(ids) if rid not in coded]
    xr = x[rest] if rest else np.zeros((0, x.shape[1]), dtype=np.float32)
    tr = [texts[i] for i in rest]
    proba = model.predict_proba(xr, tr) if rest else np.zeros((0, len(code_ids)))
    given = model.decide(proba, xr) if rest else np.zeros((0, len(code_ids)), dtype=bool)
    return QuestionFit(qid, mode, model, model_id, code_ids, len(coded),
                       [ids[i] for i in rest], tr, xr, proba, given, human_only)


def _reason(fit: QuestionFit, i: int) -> str:
    """Why answer ``i`` was chosen: the code whose score sits closest to its threshold."""
    gap = np.abs(fit.proba[i] - fit.model.thresholds_)
    k = int(np.argmin(gap))
    side = "just above" if fit.proba[i, k] >= fit.model.thresholds_[k] else "just below"
    return (f"uncertain: '{fit.codes[k]}' scores {fit.proba[i, k]:.2f}, {side} its threshold "
            f"{fit.model.thresholds_[k]:.2f} ({fit.mode} model on {fit.n_coded} coded answers)")


def next_answers(ctx: RunContext, *, n: int = 50, question: str | None = None,
                 embedder: Embedder | None = None) -> QueueResult:
    """The ``n`` uncoded substantive answers per question that people should code next.

    With human codes the choice is uncertainty plus diversity
    (:func:`themeloop.autocode.active.select_next`); for a question nobody
    coded yet it is a diverse cold start. The table's columns are
    :data:`NEXT_COLUMNS` (ranked within each question, most useful first);
    ``codes`` / ``scores`` are the model's suggestion for each answer.

    Raises
    ------
    AutocodeError
        For ``n`` below 1, a project without codes, or when every answer is coded.
    """
    import pandas as pd

    from themeloop.autocode.active import select_next, uncertainty

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise AutocodeError(f"--n must be 1 or more; got {n}")
    qids = questions_with_codes(ctx, question)
    embedder = embedder or project_embedder(ctx)
    records: list[dict[str, Any]] = []
    fits: dict[str, QuestionFit] = {}
    notes: list[str] = []
    for qid in qids:
        fit = fit_question(ctx, qid, embedder)
        fits[qid] = fit
        if not fit.ids:
            notes.append(f"{qid}: every substantive answer is coded already; nothing to choose")
            continue
        cold = fit.n_coded == 0
        picked = select_next(fit.x, n, seed=_seed(ctx)) if cold else select_next(
            fit.x, n, proba=fit.proba, thresholds=fit.model.thresholds_, seed=_seed(ctx))
        u = uncertainty(fit.proba[picked], fit.model.thresholds_)
        for rank, (i, ui) in enumerate(zip(picked, u), start=1):
            codes, scores = fit.scored(int(i))
            why = (f"cold start: represents one group of similar answers (nobody coded "
                   f"'{qid}' yet)" if cold else _reason(fit, int(i)))
            records.append({"rank": rank, "response_id": fit.ids[i], "question": qid, "why": why,
                            "uncertainty": round(float(ui), 6), "codes": ";".join(codes),
                            "scores": ";".join(f"{s:.6f}" for s in scores)})
    if not records:
        raise AutocodeError(f"{ctx.coding_path}: every substantive answer of "
                            f"{', '.join(qids)} is coded already; nothing to choose")
    return QueueResult(pd.DataFrame(records, columns=NEXT_COLUMNS), fits, notes)


def review_answers(ctx: RunContext, *, question: str | None = None, band: float | None = None,
                   embedder: Embedder | None = None) -> QueueResult:
    """The model-coded answers that need a person's look, computed as the stage does.

    An answer no human coded goes to review when one of its codes' scores is
    within ``band`` (default :func:`review_band`) of the code's threshold
    (``reason="uncertain"``; human-only codes, never applied, do not count),
    or when the model gives it no code (``reason="no_code"``). Rows follow :data:`REVIEW_COLUMNS`, most
    uncertain first within each question.
    """
    import pandas as pd

    from themeloop.autocode.active import uncertainty

    band = review_band(ctx) if band is None else band
    qids = questions_with_codes(ctx, question)
    embedder = embedder or project_embedder(ctx)
    records: list[dict[str, Any]] = []
    fits: dict[str, QuestionFit] = {}
    for qid in qids:
        fit = fit_question(ctx, qid, embedder)
        fits[qid] = fit
        if not fit.ids:
            continue
        # as the stage: a human-only code is never applied, so its score cannot need a look
        auto = np.array([c not in fit.human_only for c in fit.codes])
        near = (np.abs(fit.proba - fit.model.thresholds_) < band) & auto
        flagged = near.any(axis=1) | ~fit.given.any(axis=1)
        u = uncertainty(fit.proba, fit.model.thresholds_)
        for i in sorted(np.flatnonzero(flagged), key=lambda j: (-u[j], j)):
            codes, scores = fit.scored(int(i))
            records.append({"response_id": fit.ids[i], "question": qid,
                            "reason": "uncertain" if codes else "no_code",
                            "codes": ";".join(codes),
                            "scores": ";".join(f"{s:.6f}" for s in scores)})
    return QueueResult(pd.DataFrame(records, columns=REVIEW_COLUMNS), fits)


def read_review(ctx: RunContext, question: str | None = None) -> pd.DataFrame | None:
    """The last run's ``review.csv`` (rows of ``question`` or of all), or None when there is none.

    Raises
    ------
    AutocodeError
        When the file lacks a column of :data:`REVIEW_COLUMNS`.
    """
    from themeloop.pipeline.artifacts import REVIEW
    from themeloop.safe_csv import read_csv

    path = ctx.path(REVIEW)
    if not path.is_file():
        return None
    table = read_csv(path)
    missing = [c for c in REVIEW_COLUMNS if c not in table.columns]
    if missing:
        raise AutocodeError(f"{path}: missing column(s) {', '.join(missing)}; run "
                            "'themeloop run' again to rewrite it")
    if question is not None:
        table = table[table["question"] == question]
    return table.reset_index(drop=True)


def split_scores(codes: str, scores: str) -> list[tuple[str, float | None]]:
    """``"a;b"`` and ``"0.7;0.4"`` (review.csv cells) as ``[("a", 0.7), ("b", 0.4)]``."""
    names = [c for c in str(codes).split(";") if c]
    values: list[float | None] = []
    for s in str(scores).split(";") if str(scores) else []:
        try:
            value = float(s)
        except ValueError:
            value = math.nan
        values.append(None if math.isnan(value) else value)
    values += [None] * (len(names) - len(values))
    return list(zip(names, values[:len(names)]))
