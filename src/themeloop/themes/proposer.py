"""The :class:`ThemeProposer` estimator: themes for the answers to one question."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from themeloop.compute import Backend, LocalBackend
from themeloop.errors import ThemesError
from themeloop.progress import Progress, no_progress
from themeloop.themes import checks, cluster, hierarchy, keywords, quality
from themeloop.themes import labels as theme_labels
from themeloop.themes.model import UNASSIGNED, Quote, SeedCode, Theme

N_QUOTES = 5
JOIN_SIMILARITY = 0.3  # cosine an unclustered answer needs to join a theme (the floor before issue 14)

_CONSTRAINTS = {
    "max_themes": (int, 1, None), "min_theme_size": (int, 1, None),
    "merge_similarity": (float, 0.0, 1.0), "min_similarity": (float, -1.0, 1.0),
    "seed_threshold": (float, -1.0, 1.0), "sample_size": (int, 100, None),
    "keyword_docs": (int, 100, None),
}


class ThemeProposer:
    """Propose themes for one question's substantive answers.

    Parameters
    ----------
    random_state : seed passed to KMeans, UMAP and sampling.
    max_themes : most themes proposed (seeded ones included); ``"auto"`` (the
        default): 12 for a short question (up to ``small_max`` answers), one per
        25 answers beyond (:func:`~themeloop.themes.cluster.default_max_themes`);
        ``None``: no cap. When the cap, not the data, sets the count, the
        closest themes are merged down to it and ``notes_`` says so.
    min_theme_size : smallest theme kept; ``None``: 5% of n for a short
        question, else 0.1% of n (at least 2).
    merge_similarity : themes whose centroid cosine exceeds this are merged.
    min_similarity : an answer joins a theme only if its cosine to the theme's
        centroid is at least this, or at least the theme's own outlier fence
        when that is lower (a broad theme; see
        :func:`~themeloop.themes.quality.theme_floors`); otherwise it is
        "unassigned".
    seed_threshold : cosine to a seed code at which an answer takes that code.
    small_max, large_min : answer counts where the strategy changes.
    sample_size : answers the ``large`` strategy fits on.
    keyword_docs : at most this many answers are lemmatised for keywords.
    backend : where nearest-centroid assignment runs (default: a
        :class:`~themeloop.compute.LocalBackend`); it does not change the result.
    label_encoder : embeds candidate label phrases (e.g. ``Embedder.encode``);
        without one, labels are ranked by c-TF-IDF and coverage only
        (:mod:`themeloop.themes.labels`).

    Attributes
    ----------
    strategy_ : "none", "small", "mid" or "large".
    max_themes_ : the cap that applied (``None``: none).
    n_found_ : themes the clustering found before the cap (0 when none ran).
    labels_ : index into ``themes_`` per answer, -1 for unassigned.
    theme_ids_ : theme id per answer, or "unassigned".
    scores_ : cosine to the answer's theme centroid (nearest centroid if
        unassigned; NaN when no theme exists).
    themes_ : list of :class:`~themeloop.themes.model.Theme`, largest first.
    floors_ : per theme (order of ``themes_``), the cosine to its centroid an
        answer needs to join it (float32; at most ``min_similarity``).
    centroids_ : L2-normalised mean embedding of each theme's answers, one row
        per theme in the order of ``themes_`` (float32, ``(len(themes_), dim)``).
    note_ : a sentence for the user when something notable happened.
    checks_ : the theme-set rules that fired (:class:`~themeloop.themes.checks.Check`).
    other_ : the "Other" theme of the answers no theme took, or None.
    parents_ : parent themes above ~20 themes (:mod:`~themeloop.themes.hierarchy`), else [].
    notes_ : sentences for the user about notable things (a binding cap, too
        few answers); ``note_`` is them joined into one string.

    Examples
    --------
    Two tight groups of answers in four dimensions; new answers are then
    assigned to the fitted themes with :meth:`predict`:

    >>> rng = np.random.default_rng(0)
    >>> centres = np.eye(8, dtype=np.float32)[:2]
    >>> x = centres[np.repeat([0, 1], 10)] + rng.normal(scale=0.05, size=(20, 8))
    >>> x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    >>> texts = ["money is short"] * 10 + ["staff leave"] * 10
    >>> proposer = ThemeProposer(random_state=0).fit(texts, x, [str(i) for i in range(20)])
    >>> proposer.centroids_.shape
    (2, 8)
    >>> bool((proposer.predict(x) == proposer.labels_).all())
    True
    >>> proposer.predict(np.eye(8, dtype=np.float32)[[5]]).tolist()
    [-1]
    """

    themes_: list[Theme]
    labels_: np.ndarray
    scores_: np.ndarray

    def __init__(
        self, *, random_state: int = 42, max_themes: int | str | None = "auto",
        min_theme_size: int | None = None, merge_similarity: float = 0.9,
        min_similarity: float = 0.2, seed_threshold: float = 0.5,
        small_max: int = cluster.SMALL_MAX, large_min: int = cluster.LARGE_MIN,
        sample_size: int = 10_000, keyword_docs: int = 10_000, backend: Backend | None = None,
        label_encoder: theme_labels.PhraseEncoder | None = None,
    ) -> None:
        self.random_state = random_state
        self.max_themes = max_themes
        self.min_theme_size = min_theme_size
        self.merge_similarity = merge_similarity
        self.min_similarity = min_similarity
        self.seed_threshold = seed_threshold
        self.small_max = small_max
        self.large_min = large_min
        self.sample_size = sample_size
        self.keyword_docs = keyword_docs
        self.backend = backend
        self.label_encoder = label_encoder

    def _check_params(self) -> None:
        for name, (kind, low, high) in _CONSTRAINTS.items():
            value = getattr(self, name)
            if value is None and name in ("max_themes", "min_theme_size"):
                continue
            if name == "max_themes" and value == "auto":
                continue
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            ok = ok and (kind is float or float(value).is_integer())
            ok = ok and value >= low and (high is None or value <= high)
            if not ok:
                bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
                extra = ", 'auto' or None" if name == "max_themes" else ""
                raise ThemesError(
                    f"The '{name}' parameter of ThemeProposer must be {kind.__name__} {bound}"
                    f"{extra}; got {value!r} instead"
                )

    def fit(
        self, texts: Sequence[str], embeddings: np.ndarray, response_ids: Sequence[str],
        *, seed_codes: Sequence[SeedCode] = (), seed_embeddings: np.ndarray | None = None,
        progress: Progress = no_progress, n_answers: int | None = None,
    ) -> ThemeProposer:
        """Cluster the answers and describe each theme.

        ``n_answers``: when the texts are segments of fewer answers, how many
        answers they come from; the strategy and the default smallest theme
        follow it.
        """
        self._check_params()
        texts = [str(t).strip() for t in texts]
        n = len(texts)
        if embeddings.shape[0] != n or len(response_ids) != n:
            raise ThemesError(
                f"got {n} texts, {embeddings.shape[0]} embeddings and {len(response_ids)} "
                "response ids; they must be the same length"
            )
        seed_codes = list(seed_codes)
        labels, n_seeds = self._seeded_labels(embeddings, seed_codes, seed_embeddings)
        rest = np.flatnonzero(labels < 0)
        answers = n if n_answers is None else min(n, n_answers)  # segments: count answers
        self.strategy_ = cluster.choose_strategy(
            min(len(rest), answers), small_max=self.small_max, large_min=self.large_min
        )
        self.notes_: list[str] = []
        self.max_themes_: int | None = None
        if self.max_themes == "auto":
            self.max_themes_ = cluster.default_max_themes(answers, small_max=self.small_max)
        elif self.max_themes is not None:
            self.max_themes_ = int(self.max_themes)
        self.n_found_ = 0
        if self.strategy_ == "none" and n_seeds == 0:
            self.notes_.append(
                f"only {answers} substantive answers (fewer than {cluster.MIN_ANSWERS}): "
                "no themes proposed, every answer is unassigned"
            )
        if self.strategy_ != "none":
            cap = None if self.max_themes_ is None else max(1, self.max_themes_ - n_seeds)
            inductive = self._capped(embeddings[rest], cap)
            labels[rest[inductive >= 0]] = inductive[inductive >= 0] + len(seed_codes)
        self.note_ = "; ".join(self.notes_)
        min_size = self.min_theme_size or self._default_min_size(answers)
        labels = quality.drop_small(labels, min_size)
        floor, backend = self.min_similarity, self._backend()
        floors = quality.theme_floors(embeddings, labels, min_similarity=floor)
        # An answer no cluster took must be closer (JOIN_SIMILARITY) to join a theme
        # than a clustered member must be to stay in one.
        join = max(floor, JOIN_SIMILARITY)
        labels, scores = quality.reassign(embeddings, labels, min_similarity=floor,
                                          backend=backend, floors=floors, join_similarity=join)
        labels = quality.drop_small(labels, min_size)
        labels, scores = quality.reassign(embeddings, labels, min_similarity=floor,
                                          backend=backend, floors=floors, join_similarity=join)
        self._finish(texts, embeddings, list(response_ids), labels, scores, seed_codes, progress)
        # Floors of the final themes (after the checks' merges), in the order of themes_.
        final = quality.theme_floors(embeddings, self.labels_, min_similarity=floor)
        self.floors_ = np.array([final.get(i, floor) for i in range(len(self.themes_))],
                                dtype=np.float32)
        return self

    def _finish(
        self, texts: list[str], embeddings: np.ndarray, response_ids: list[str],
        labels: np.ndarray, scores: np.ndarray, seeds: list[SeedCode], progress: Progress,
    ) -> None:
        """The theme-set checks (:mod:`~themeloop.themes.checks`), labels and the hierarchy."""
        floor, backend, found = self.min_similarity, self._backend(), []
        labels, check = checks.enforce_min_size(labels, len(texts))
        if check is not None:
            found.append(check)
            labels, scores = quality.reassign(embeddings, labels, min_similarity=floor,
                                              backend=backend)
        self._describe(texts, embeddings, response_ids, labels, scores, seeds, progress)
        merges = self._duplicates()
        if merges:
            found += checks.merge_checks(merges, [t.id for t in self.themes_],
                                         [t.label for t in self.themes_])
            labels = checks.apply_merges(self.labels_, list(range(len(self.themes_))), merges)
            labels, scores = quality.reassign(embeddings, labels, min_similarity=floor,
                                              backend=backend)
            # Back to _describe's values: a seed's index, else len(seeds) + position.
            seed_index = {s.id: j for j, s in enumerate(seeds)}
            value_of = [seed_index[t.id] if t.seeded else len(seeds) + i
                        for i, t in enumerate(self.themes_)]
            labels = np.array([value_of[v] if v >= 0 else -1 for v in labels], dtype=int)
            self._describe(texts, embeddings, response_ids, labels, scores, seeds, progress)
        self.other_ = _other_theme(texts, response_ids, self.labels_, self.scores_)
        found += checks.reserved_checks(self.other_.size if self.other_ else 0, 0, len(texts))
        self.parents_ = hierarchy.propose_parents(
            self.centroids_, self.themes_, texts, self.labels_,
            encoder=self.label_encoder, random_state=self.random_state)
        if self.parents_:
            self.themes_ = hierarchy.with_parents(self.themes_, self.parents_)
            found.append(hierarchy.parent_check(self.parents_, len(self.themes_)))
        self.checks_ = found

    def _duplicates(self) -> list[tuple[int, int, str, float]]:
        """Pairs of proposed (not seeded) themes that the checks merge."""
        free = [i for i, t in enumerate(self.themes_) if not t.seeded]
        if len(free) < 2:
            return []
        members = [set(np.flatnonzero(self.labels_ == i).tolist()) for i in free]
        vectors = None
        if self.label_encoder is not None:
            vectors = checks.label_vectors([self.themes_[i].label for i in free],
                                           [self.themes_[i].description for i in free],
                                           self.label_encoder)
        return [(free[k], free[g], rule, value)
                for k, g, rule, value in checks.merge_pairs(vectors, members)]

    def _backend(self) -> Backend:
        return self.backend if self.backend is not None else LocalBackend()

    def assign(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``themes_`` or -1, cosine to the nearest theme centroid) per row.

        Each row takes its nearest centroid in ``centroids_``; a row whose
        cosine to it is below that theme's floor (``floors_``) is unassigned (-1). The
        cosine is NaN when there are no themes. Runs blockwise on ``backend``,
        so it can run wherever the embeddings are.
        """
        if not hasattr(self, "centroids_"):
            raise ThemesError("this ThemeProposer is not fitted yet; call fit before predict")
        embeddings = np.asarray(embeddings, dtype=np.float32)
        dim = self.centroids_.shape[1]
        if embeddings.ndim != 2 or (len(embeddings) and len(self.centroids_)
                                    and embeddings.shape[1] != dim):
            raise ThemesError(
                f"embeddings must be a 2-D array with {dim} columns; got shape {embeddings.shape}"
            )
        best, sims = self._backend().assign(embeddings, self.centroids_)
        if len(self.floors_) == 0:
            return np.full(len(embeddings), -1, dtype=int), sims
        labels = np.where(sims >= self.floors_[best], best, -1).astype(int)
        return labels, sims

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """Index into ``themes_`` per row (-1: unassigned), by nearest theme centroid.

        On the answers it was fitted on this gives back ``labels_`` exactly
        when every assigned answer's nearest centroid is its own theme's and
        above ``min_similarity``; see ``tests/test_themes_predict.py`` for when
        that holds.
        """
        return self.assign(embeddings)[0]

    def _seeded_labels(
        self, embeddings: np.ndarray, seeds: list[SeedCode], seed_embeddings: np.ndarray | None
    ) -> tuple[np.ndarray, int]:
        labels = np.full(len(embeddings), -1, dtype=int)
        if not seeds:
            return labels, 0
        if seed_embeddings is None or len(seed_embeddings) != len(seeds):
            raise ThemesError("seed codes need one embedding each (pass seed_embeddings)")
        if len(embeddings):
            sims = embeddings @ seed_embeddings.T
            best = sims.argmax(axis=1)
            hit = sims.max(axis=1) >= self.seed_threshold
            labels[hit] = best[hit]
        return labels, len({int(v) for v in labels if v >= 0})

    def _capped(self, embeddings: np.ndarray, cap: int | None) -> np.ndarray:
        """Cluster with at most ``cap`` themes, merge near-duplicates, say when the cap bound."""
        seed = self.random_state
        if self.strategy_ == "small":
            labels = cluster.cluster_small(
                embeddings, random_state=seed, max_clusters=cap or len(embeddings)
            )
            found = len({int(v) for v in labels if v >= 0})
            if cap is not None and found >= cap:
                # The search stopped at the cap: ask what the data prefer without it.
                found = max(found, cluster.small_preferred_k(embeddings, random_state=seed))
        elif self.strategy_ == "mid":
            labels, found = cluster.cluster_mid(embeddings, random_state=seed, max_clusters=cap)
        else:
            labels, found = cluster.cluster_large(
                embeddings, random_state=seed, sample_size=self.sample_size, max_clusters=cap,
                backend=self._backend(),
            )
        self.n_found_ = found
        if cap is not None and found > cap:
            seeded = (self.max_themes_ or cap) - cap
            room = f" {seeded} seeded themes left room for {cap} proposed ones, and" if seeded else ""
            self.notes_.append(
                f"the cap of {self.max_themes_} themes (max_themes) bound:{room} the answers "
                f"suggested {found}; raise max_themes (--max-themes) to see them"
            )
        return quality.merge_similar(
            embeddings, labels, threshold=self.merge_similarity, max_themes=cap
        )

    def _default_min_size(self, n: int) -> int:
        if n <= self.small_max:
            return max(2, round(n / 20))
        # KMeans sets the count; this only drops slivers: at least 0.1% of the answers.
        return max(2, math.ceil(n / 1000))

    def _describe(
        self, texts: list[str], embeddings: np.ndarray, response_ids: list[str],
        labels: np.ndarray, scores: np.ndarray, seeds: list[SeedCode], progress: Progress,
    ) -> None:
        values = [int(v) for v in np.unique(labels[labels >= 0])]
        sizes = {v: int((labels == v).sum()) for v in values}
        values.sort(key=lambda v: (-sizes[v], v))
        words, _ = self._keywords(texts, labels, progress)
        cents = dict(zip(*cluster.centroids_of(embeddings, labels)))
        n = len(texts)
        taken: set[str] = {s.id for s in seeds} | set(checks.RESERVED_IDS)
        quotes = {v: _quotes(texts, response_ids, embeddings, np.flatnonzero(labels == v), cents[v])
                  for v in values}
        named = theme_labels.label_themes(
            texts, labels, cents, {v: [q.text for q in quotes[v]] for v in values},
            encoder=self.label_encoder, random_state=self.random_state,
            order=[v for v in values if v >= len(seeds)], avoid={s.label for s in seeds},
        )
        themes: list[Theme] = []
        for v in values:
            kw = keywords.tidy_keywords(words.get(v, []))
            if v < len(seeds):
                code = seeds[v]
                tid, label, seeded = code.id, code.label, True
                description = _description(kw, quotes[v], code)
            else:
                label, description = named[v].label, named[v].description
                kw = _merge_keywords(named[v].keyphrases, kw)
                tid = keywords.slugify(label, taken, f"theme_{len(themes) + 1}")
                seeded = False
            themes.append(Theme(
                id=tid, label=label, keywords=kw, size=sizes[v],
                share=round(sizes[v] / n, 4) if n else 0.0, seeded=seeded, quotes=quotes[v],
                description=description,
            ))
        position = {v: i for i, v in enumerate(values)}
        self.labels_ = np.array([position.get(int(v), -1) for v in labels], dtype=int)
        dim = embeddings.shape[1] if embeddings.ndim == 2 else 0
        self.centroids_ = (
            np.stack([cents[v] for v in values]).astype(np.float32)
            if values else np.zeros((0, dim), dtype=np.float32)
        )
        self.theme_ids_ = [themes[i].id if i >= 0 else UNASSIGNED for i in self.labels_]
        self._order = values  # theme values in the order of themes_ (for floors_)
        self.scores_ = scores
        self.themes_ = themes

    def _keywords(
        self, texts: list[str], labels: np.ndarray, progress: Progress
    ) -> tuple[dict[int, list[str]], frozenset[str]]:
        use = np.flatnonzero(labels >= 0)
        if len(use) == 0:
            return {}, frozenset()
        if len(use) > self.keyword_docs:
            rng = np.random.default_rng(self.random_state)
            use = np.sort(rng.choice(use, size=self.keyword_docs, replace=False))
        lemmas = keywords.analyse([texts[i] for i in use], progress=progress)
        return keywords.ctfidf_keywords(lemmas.docs, labels[use]), lemmas.nouns


def _quotes(
    texts: list[str], response_ids: list[str], embeddings: np.ndarray, members: np.ndarray,
    centroid: np.ndarray,
) -> list[Quote]:
    sims = embeddings[members] @ centroid
    order = members[np.lexsort((members, -sims))]
    quotes: list[Quote] = []
    seen: set[str] = set()
    quoted: set[str] = set()  # fitted on segments, an answer may have several members
    for i in order:
        key = texts[i].lower()
        if key in seen or response_ids[i] in quoted:
            continue
        seen.add(key)
        quoted.add(response_ids[i])
        quotes.append(Quote(response_ids[i], texts[i]))
        if len(quotes) == N_QUOTES:
            break
    return quotes


def _other_theme(
    texts: list[str], response_ids: list[str], labels: np.ndarray, scores: np.ndarray,
) -> Theme | None:
    """"Other": the answers no theme took, those nearest a theme first."""
    rest = np.flatnonzero(labels < 0)
    if len(rest) == 0:
        return None
    near = np.nan_to_num(np.asarray(scores, dtype=np.float64)[rest], nan=-2.0)
    order = rest[np.lexsort((rest, -near))]
    quotes = [Quote(response_ids[i], texts[i]) for i in order[:N_QUOTES]]
    return Theme(id=checks.OTHER_ID, label=checks.OTHER_LABEL, keywords=[], size=len(rest),
                 share=round(len(rest) / len(texts), 4), seeded=False, quotes=quotes,
                 description="Answers that fit none of the proposed themes.")


def _merge_keywords(phrases: list[str], words: list[str], limit: int = 8) -> list[str]:
    """Keyphrases first, then c-TF-IDF keywords that none of them already holds."""
    held = {w for p in phrases for w in p.lower().split()}
    out = list(phrases) + [w for w in words if not set(w.split()) <= held]
    return list(dict.fromkeys(out))[:limit]


def _description(kw: list[str], quotes: list[Quote], seed: SeedCode | None) -> str:
    if seed is not None and seed.description:
        return seed.description
    parts = []
    if kw:
        parts.append("Answers about " + ", ".join(kw[:5]) + ".")
    if quotes:
        quote = quotes[0].text
        if len(quote) > 200:
            quote = quote[:197].rsplit(" ", 1)[0] + "..."
        parts.append(f'For example: "{quote}"')
    return " ".join(parts)

