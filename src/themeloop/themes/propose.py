"""Themes for every question of a responses table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from themeloop.compute import Backend
from themeloop.errors import ThemesError
from themeloop.progress import Progress, no_progress
from themeloop.themes import checks
from themeloop.themes import labels as theme_labels
from themeloop.themes.hierarchy import Parent
from themeloop.themes.model import (
    UNASSIGNED,
    QuestionThemes,
    Quote,
    SeedCode,
    Theme,
    ThemesResult,
)
from themeloop.themes.multilabel import (
    Segmented,
    answer_themes,
    members_of,
    resize_themes,
    segment_answers,
)
from themeloop.themes.proposer import N_QUOTES, ThemeProposer
from themeloop.themes.stability import theme_stability

SECONDARY_SIMILARITY = 0.5  # on the sample, 0.4-0.6 all raise MASI alpha; 0.5 is between
STABILITY_RUNS = 10
ONE_THREAD_MAX = 5_000
STABILITY_MAX_ANSWERS = 2_000

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
    multi_label: bool = True,
    secondary_similarity: float = SECONDARY_SIMILARITY,
    stability_runs: int = STABILITY_RUNS,
    stability_max_answers: int = STABILITY_MAX_ANSWERS,
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
    multi_label : cluster the answers' segments (:mod:`themeloop.segments`),
        so an answer carries every theme its segments carry; otherwise each
        answer is one unit with one theme.
    secondary_similarity : an answer's themes after its primary one need a
        segment at this cosine to the theme's centroid or more.
    stability_runs : resampled refits that score each theme's stability
        (:mod:`themeloop.themes.stability`); 0: none.
    stability_max_answers : questions with more substantive answers skip
        stability (with a note): each refit costs about one proposal.
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
    units = _units(texts[todo].tolist(), multi_label, progress)
    vectors = embedder.encode(units.texts, progress=progress)
    dim = vectors.shape[1] if vectors.size else 1
    row_answer = {int(r): i for i, r in enumerate(np.flatnonzero(todo.to_numpy()))}
    result = ThemesResult(seed=seed, model=dict(embedder.model_info), questions={})
    for q in wanted:
        in_q = (responses["question"].astype(str) == q).to_numpy()
        rows = np.flatnonzero(in_q & substantive.to_numpy())
        answers = np.array([row_answer[int(r)] for r in rows], dtype=np.int64)
        unit_idx = units.of(answers)
        local = Segmented([units.texts[i] for i in unit_idx],
                          np.searchsorted(answers, units.owner[unit_idx]))
        codes = list(seed_codes.get(q, ()))
        fit = _Fit(
            units=local, embeddings=vectors[unit_idx] if len(unit_idx) else np.zeros((0, dim)),
            response_ids=responses["response_id"].iloc[rows].astype(str).tolist(), codes=codes,
            seed_vecs=embedder.encode([c.text for c in codes]) if codes else None,
            params={**params, "backend": backend, "label_encoder": embedder.encode},
            min_secondary=secondary_similarity,
        )
        with theme_labels.shared_parses():  # labelled up to three times: parse once
            proposer, carried, best_scores, best_segment = fit(seed, progress)
            stability, note = _stability(fit, proposer, carried, seed, stability_runs,
                                         stability_max_answers)
            result.questions[q] = _question_result(
                responses, q, in_q, rows, proposer, carried, best_scores, best_segment,
                stability, note, params,
                n_segments=len(local.texts) if multi_label else None,
                runs=stability_runs if stability and stability[0] is not None else 0,
                encoder=embedder.encode,
            )
    extra = {"multi_label": multi_label, "secondary_similarity": secondary_similarity,
             "stability_runs": stability_runs,
             "stability_max_answers": stability_max_answers}
    result.run_id = _run_id(responses, wanted, seed, result.model, {**params, **extra}, seed_codes)
    return result


def _units(texts: list[str], multi_label: bool, progress: Progress) -> Segmented:
    """What is clustered: the answers' segments, or the answers themselves."""
    if not multi_label:
        return segment_answers(texts, [[t] for t in texts])
    from themeloop.segments import split_many

    parts = split_many(texts, progress=progress)
    return segment_answers(texts, [[p.text for p in ps] for ps in parts])


class _Fitted(NamedTuple):
    proposer: ThemeProposer
    carried: list[list[tuple[int, float]]]  # per answer: (theme index, score), primary first
    best_scores: list[float | None]  # per answer: best segment cosine to its nearest centroid
    best_segment: dict[tuple[int, int], str]  # (answer, theme index) -> its closest segment


@dataclass
class _Fit:
    """One question's units, ready to be proposed themes for (again, on a sample)."""

    units: Segmented
    embeddings: np.ndarray
    response_ids: list[str]
    codes: list[SeedCode]
    seed_vecs: np.ndarray | None
    params: dict
    min_secondary: float = -1.0

    @property
    def n_answers(self) -> int:
        return len(self.response_ids)

    def __call__(
        self, seed: int, progress: Progress = no_progress, answers: np.ndarray | None = None
    ) -> _Fitted:
        """Fit on every answer (or on ``answers``); per answer, its themes best first."""
        from threadpoolctl import threadpool_limits

        idx = np.arange(len(self.units.texts)) if answers is None else self.units.of(answers)
        owner = self.units.owner[idx]
        # On a few thousand points BLAS/OpenMP threads cost more than they save: on the
        # sample (75 segments) a fit took 9x as long with them on a busy 2-core machine,
        # with the same result.
        with threadpool_limits(1 if len(idx) <= ONE_THREAD_MAX else None):
            proposer = ThemeProposer(random_state=seed, **self.params).fit(
                [self.units.texts[i] for i in idx], self.embeddings[idx],
                [self.response_ids[a] for a in owner], seed_codes=self.codes,
                seed_embeddings=self.seed_vecs, progress=progress,
                n_answers=len(np.unique(owner)),
            )
        lengths = np.array([len(self.units.texts[i]) for i in idx], dtype=float)
        carried = answer_themes(owner, proposer.labels_, proposer.scores_, self.n_answers,
                                self.min_secondary, lengths)
        return _Fitted(
            proposer, carried, _best_scores(owner, np.asarray(proposer.scores_), self.n_answers),
            _best_segments(owner, proposer.labels_, proposer.scores_,
                           [self.units.texts[i] for i in idx]),
        )


def _stability(
    fit: _Fit, proposer: ThemeProposer, carried: list[list[tuple[int, float]]], seed: int,
    runs: int, max_answers: int,
) -> tuple[list[float | None], str]:
    n_themes = len(proposer.themes_)
    if runs == 0 or n_themes == 0:
        return [None] * n_themes, ""
    if fit.n_answers > max_answers:
        return [None] * n_themes, (
            f"theme stability not computed: {fit.n_answers:,} answers is more than "
            f"stability_max_answers ({max_answers:,}); each of the {runs} refits would cost "
            "about as much as this proposal (raise it in [themes] to compute it)"
        )

    def refit(sample: np.ndarray, s: int) -> list[set[int]]:
        again = fit(s, answers=sample)
        return members_of(again.carried, len(again.proposer.themes_))

    return theme_stability(members_of(carried, n_themes), fit.n_answers, refit, runs=runs,
                           random_state=seed), ""


def _question_result(
    responses: pd.DataFrame, q: str, in_q: np.ndarray, rows: np.ndarray,
    proposer: ThemeProposer, carried: list[list[tuple[int, float]]], best_scores: list[float | None],
    best_segment: dict[tuple[int, int], str], stability: list[float | None], note: str,
    params: dict, *, n_segments: int | None, runs: int, encoder=None,
) -> QuestionThemes:
    all_rows = np.flatnonzero(in_q)
    ids = responses["response_id"].astype(str).to_numpy()
    n_sub = len(rows)
    ids_q = responses["response_id"].iloc[rows].astype(str).tolist()
    texts_q = responses["text"].fillna("").astype(str).iloc[rows].tolist()
    quotes = _quotes(carried, best_segment, ids_q, texts_q, len(proposer.themes_))
    themes = [replace(t, stability=s, quotes=qs)
              for t, s, qs in zip(proposer.themes_, stability, quotes)]
    if n_segments is not None:
        themes = _relabel(themes, carried, texts_q, proposer, encoder)
    renamed = {old.id: new.id for old, new in zip(proposer.themes_, themes) if old.id != new.id}
    tid = [t.id for t in themes]  # before resizing, which orders them by size
    themes, _ = resize_themes(themes, carried, n_sub)
    nearest = best_scores
    answer_of = {int(r): a for a, r in enumerate(rows)}
    theme_ids: list[str] = []
    scores: list[float | None] = []
    secondary: list[list[tuple[str, float]]] = []
    for r in all_rows:
        a = answer_of.get(int(r))
        pairs = carried[a] if a is not None else []
        if pairs:
            theme_ids.append(tid[pairs[0][0]])
            scores.append(pairs[0][1])
        else:
            theme_ids.append(UNASSIGNED)
            scores.append(nearest[a] if a is not None else None)
        secondary.append([(tid[v], score) for v, score in pairs[1:]])
    non_sub = [ids[r] for r in all_rows if int(r) not in answer_of]
    notes = "; ".join(n for n in (proposer.note_, note) if n)
    texts_all = responses["text"].fillna("").astype(str).to_numpy()
    no_answer = _no_answer_theme(
        [(ids[r], texts_all[r]) for r in all_rows if int(r) not in answer_of], len(all_rows))
    found = [replace(c, themes=[renamed.get(t, t) for t in c.themes]) for c in proposer.checks_]
    found += checks.reserved_checks(0, len(non_sub), n_sub)
    parents = _final_parents(proposer.parents_, renamed, themes, carried, tid)
    return QuestionThemes(
        question=q, strategy=proposer.strategy_, n_responses=len(all_rows),
        n_substantive=n_sub, non_substantive=non_sub, themes=themes,
        response_ids=[ids[r] for r in all_rows], theme_ids=theme_ids, scores=scores,
        note=notes, params=params, secondary=secondary, n_segments=n_segments,
        stability_runs=runs, checks=found, other=proposer.other_, no_answer=no_answer,
        parents=parents, notes=[*proposer.notes_, *([note] if note else [])],
        max_themes=proposer.max_themes_,
    )


def _final_parents(parents: Sequence[Parent], renamed: dict[str, str], themes: list[Theme],
                   carried: list[list[tuple[int, float]]], tid: list[str]) -> list[Parent]:
    """The proposer's parents over the final themes: children by their new ids, largest
    first, and a parent's size the answers that carry at least one of its children."""
    size = {t.id: t.size for t in themes}
    out = []
    for p in parents:
        children = sorted((renamed.get(c, c) for c in p.children), key=lambda c: -size.get(c, 0))
        held = set(children)
        n = sum(any(tid[v] in held for v, _ in pairs) for pairs in carried)
        out.append(replace(p, children=children, size=n))
    return out


def _best_segments(owner: np.ndarray, labels: np.ndarray, scores: np.ndarray,
                   texts: list[str]) -> dict[tuple[int, int], str]:
    """(answer, theme index) -> the text of the answer's segment closest to the theme."""
    best: dict[tuple[int, int], tuple[float, str]] = {}
    for a, v, s, text in zip(owner.tolist(), labels.tolist(), scores.tolist(), texts):
        if v >= 0 and ((a, v) not in best or s > best[(a, v)][0]):
            best[(a, v)] = (s, text)
    return {key: text for key, (_, text) in best.items()}


def _quotes(carried: list[list[tuple[int, float]]], best_segment: dict[tuple[int, int], str],
            response_ids: list[str], texts: list[str], n_themes: int) -> list[list[Quote]]:
    """Per theme, up to N_QUOTES answers that carry it, best score first, each by the
    segment that fits the theme, or by the whole answer when another answer was
    already quoted with the same segment (distinct texts only)."""
    ranked: list[list[tuple[float, int]]] = [[] for _ in range(n_themes)]
    for a, pairs in enumerate(carried):
        for v, score in pairs:
            ranked[v].append((-score, a))
    out = []
    for v, entries in enumerate(ranked):
        quotes: list[Quote] = []
        seen: set[str] = set()
        for _, a in sorted(entries):
            text = next((t for t in (best_segment[(a, v)], texts[a].strip())
                         if t.lower() not in seen), None)
            if text is None:
                continue
            seen.add(text.lower())
            quotes.append(Quote(response_ids[a], text))
            if len(quotes) == N_QUOTES:
                break
        out.append(quotes)
    return out


def _best_scores(owner: np.ndarray, scores: np.ndarray, n_answers: int) -> list[float | None]:
    """Per answer, the best cosine of one of its segments to its (nearest) theme centroid."""
    best = np.full(n_answers, -np.inf)
    ok = ~np.isnan(scores)
    np.maximum.at(best, owner[ok], scores[ok].astype(np.float64))
    return [None if not np.isfinite(b) else round(float(b), 6) for b in best]


def _relabel(themes: list[Theme], carried: list[list[tuple[int, float]]], texts: list[str],
             proposer: ThemeProposer, encoder) -> list[Theme]:
    """Labels and descriptions from the answers that carry each theme (multi-label).

    The proposer labelled its clusters of segments; a segment's answer carries
    a theme only when the segment is close enough (``secondary_similarity``), so
    the label is taken again from the whole answers that carry the theme, so
    that every label word occurs in them and no two themes share a label.
    A relabelled theme takes a new id from its new label, so that an id never
    names a label the theme no longer has. Seeded themes keep their codes'
    labels and ids.
    """
    from themeloop.themes.keywords import slugify

    free = {v for v, t in enumerate(themes) if not t.seeded}
    docs = [(a, v) for a, pairs in enumerate(carried) for v, _ in pairs if v in free]
    if not docs:
        return themes
    named = theme_labels.label_themes(
        [texts[a] for a, _ in docs], np.array([v for _, v in docs]),
        {v: proposer.centroids_[v] for v in free},
        {v: [q.text for q in themes[v].quotes] for v in free},
        encoder=encoder, random_state=proposer.random_state,
        avoid={t.label.lower() for t in themes if t.seeded})
    taken = set(checks.RESERVED_IDS) | {t.id for v, t in enumerate(themes) if v not in named}
    taken |= {p.id for p in proposer.parents_}
    return [replace(t, id=slugify(named[v].label, taken, f"theme_{v + 1}"),
                    label=named[v].label, description=named[v].description)
            if v in named else t for v, t in enumerate(themes)]


def _no_answer_theme(answers: list[tuple[str, str]], n: int) -> Theme | None:
    """"No answer given": the non-substantive answers, kept out of the clustering."""
    if not answers:
        return None
    seen: dict[str, Quote] = {}
    for rid, text in answers:
        seen.setdefault(text.strip().lower(), Quote(rid, text))
    return Theme(id=checks.NO_ANSWER_ID, label=checks.NO_ANSWER_LABEL, keywords=[],
                 size=len(answers), share=round(len(answers) / n, 4) if n else 0.0,
                 seeded=False, quotes=list(seen.values())[:5],
                 description="Empty or non-substantive answers (\"n/a\", \"don't know\").")


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
