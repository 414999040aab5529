"""Clustering strategies fit to the number of answers.

* ``none``  (< 8 answers): too few to cluster; nothing is proposed.
* ``small`` (up to ~150): KMeans on the embeddings, k chosen by silhouette.
  No UMAP (it needs more points than this and costs a numba compile).
* ``mid``   (up to ~50,000): UMAP to 5 dimensions, then KMeans with k chosen
  by silhouette (in the UMAP space) over a geometric grid of k from 3 to n / 10.
  It replaced UMAP + HDBSCAN (kept as :func:`cluster_mid_hdbscan`), which it
  beat across the shared labelled sets; see ``bench/RESULTS.md``, "Theme
  count and clustering" (issue 14).
* ``large`` (beyond): ``mid`` on a seeded random sample; the rest joins the
  nearest theme centroid in bounded-size chunks.

Every function takes L2-normalised embeddings and returns integer labels,
``-1`` meaning "no cluster".
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from themeloop.compute import ASSIGN_BLOCK, Backend, LocalBackend

MIN_ANSWERS = 8
SMALL_MAX = 150
LARGE_MIN = 50_000


def choose_strategy(n: int, *, small_max: int = SMALL_MAX, large_min: int = LARGE_MIN) -> str:
    """Name the strategy for ``n`` substantive answers.

    Examples
    --------
    >>> [choose_strategy(n) for n in (5, 41, 3000, 100_000)]
    ['none', 'small', 'mid', 'large']
    """
    if n < MIN_ANSWERS:
        return "none"
    if n <= small_max:
        return "small"
    if n <= large_min:
        return "mid"
    return "large"


SHORT_QUESTION_CAP = 12
ANSWERS_PER_THEME = 25


def default_max_themes(n: int, *, small_max: int = SMALL_MAX) -> int:
    """The size-aware default cap on themes for ``n`` answers.

    A short survey question (up to ``small_max`` answers) gets at most 12, a
    number a researcher can review in one sitting; beyond that the cap grows
    with the data (one theme per 25 answers), so on a large set k is chosen by
    the clustering, not by the cap.

    Examples
    --------
    >>> [default_max_themes(n) for n in (41, 150, 300, 3000, 100_000)]
    [12, 12, 12, 120, 4000]
    """
    if n <= small_max:
        return SHORT_QUESTION_CAP
    return max(SHORT_QUESTION_CAP, n // ANSWERS_PER_THEME)


def cluster_small(
    embeddings: np.ndarray, *, random_state: int, max_clusters: int = 12, n_components: int = 5
) -> np.ndarray:
    """KMeans with k in 3..min(max_clusters, n // 3) picked by silhouette.

    Both run on a PCA projection to ``n_components`` dimensions: in the full
    embedding space silhouette keeps rising with k on short answers, so it
    would always pick the largest k.
    """
    return _small_search(embeddings, random_state, max_clusters, n_components)[1]


def small_preferred_k(
    embeddings: np.ndarray, *, random_state: int, n_components: int = 5
) -> int:
    """The k in 3..n // 3 that :func:`cluster_small` would pick with no cap at all.

    Used to tell the user when the cap on themes, not the data, set the count.
    """
    return _small_search(embeddings, random_state, len(embeddings), n_components)[0]


def _small_search(
    embeddings: np.ndarray, random_state: int, max_clusters: int, n_components: int
) -> tuple[int, np.ndarray]:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score

    n = len(embeddings)
    reduced = PCA(n_components=min(n_components, n - 1), random_state=random_state).fit_transform(
        embeddings
    )
    k_max = max(2, min(max_clusters, n // 3))
    k_min = min(3, k_max)
    best_k, best_labels, best_score = 1, np.zeros(n, dtype=int), -np.inf
    for k in range(k_min, k_max + 1):
        with warnings.catch_warnings():
            # Many identical answers leave fewer distinct points than k: fine, skip that k.
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(
                reduced
            )
        if len(set(labels)) < 2:
            continue
        score = silhouette_score(reduced, labels)
        if score > best_score + 1e-9:
            best_k, best_labels, best_score = k, labels, score
    return best_k, best_labels.astype(int)


def min_cluster_size_for(n: int) -> int:
    """HDBSCAN's ``min_cluster_size`` for n answers: grows like sqrt(n).

    Examples
    --------
    >>> [min_cluster_size_for(n) for n in (200, 3000, 20000)]
    [5, 14, 35]
    """
    return max(5, round(math.sqrt(n) / 4))


# From this many answers UMAP would switch from exact neighbours to NNDescent.
EXACT_KNN_FROM = 4096


def exact_knn(
    embeddings: np.ndarray, k: int, *, budget: int = 1 << 23
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of each row by cosine (itself first): (indices, distances).

    Rows must be L2-normalised. Similarities are computed in blocks of at most
    ``budget`` cells, so memory stays bounded (about 130 MB of temporaries by
    default: the block, its negation and argpartition's int64 indices).
    """
    n = len(embeddings)
    k = min(k, n)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    step = max(1, budget // max(n, 1))
    for start in range(0, n, step):
        sims = embeddings[start:start + step] @ embeddings.T
        rows = np.arange(sims.shape[0])
        sims[rows, rows + start] = np.inf  # each row is its own nearest neighbour
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-top, axis=1, kind="stable")
        indices[start:start + step] = np.take_along_axis(part, order, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        top[:, 0] = 1.0
        distances[start:start + step] = np.clip(1.0 - top, 0.0, 2.0)
    return indices, distances


def umap_reduce(
    embeddings: np.ndarray, *, random_state: int, n_neighbors: int = 15, n_components: int = 5,
) -> np.ndarray:
    """UMAP (cosine, ``min_dist`` 0) to ``n_components`` dimensions, seeded.

    From 4,096 answers on, UMAP gets exact cosine neighbours computed here
    instead of building its own approximate (NNDescent) graph: on 10,000
    BANKING77 queries that took 18 s instead of 48 s in a fresh process (most
    of NNDescent's cost is numba compiling it) and scored NMI 0.776 instead of
    0.765 against the human intents. Below that, UMAP's own path is already exact.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Tensorflow not installed")
        from umap import UMAP

    n = len(embeddings)
    k = min(n_neighbors, n - 1)
    knn = exact_knn(embeddings, k) if n >= EXACT_KNN_FROM else (None, None, None)
    reducer = UMAP(
        n_neighbors=k, n_components=n_components, min_dist=0.0,
        metric="cosine", random_state=random_state, low_memory=True, precomputed_knn=knn,
    )
    with warnings.catch_warnings():
        # "n_jobs overridden to 1 by setting random_state": single-threaded is the
        # price of reproducible themes, and the user did nothing wrong. Without a
        # search index UMAP cannot transform new data, which is never asked of it.
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        return np.asarray(reducer.fit_transform(embeddings))


K_MIN = 3
K_MAX = 500
SWEEP_FULL_MAX = 5000
K_GRID = 24
SILHOUETTE_SAMPLE = 4000


def k_grid(n: int, *, k_min: int = K_MIN, points: int = K_GRID) -> list[int]:
    """The k tried for ``n`` answers: geometric from ``k_min`` to n / 10, at most 500.

    At most 500 because no one reviews a longer codebook, and because the top of
    the grid is where KMeans costs most (the large strategy's 10,000-answer sample).

    Geometric, because telling 40 themes from 41 matters less than 4 from 5.
    k starts at 3: silhouette favours the coarsest split (on AgNews' four news
    sections it scores two clusters highest), and two themes is no thematic analysis.

    Examples
    --------
    >>> k_grid(3000)[:5], k_grid(3000)[-1]
    ([3, 4, 5, 7, 8], 300)
    >>> k_grid(40)
    [3, 4]
    """
    k_max = max(k_min, min(K_MAX, n // 10))
    return sorted({round(float(k)) for k in np.geomspace(k_min, k_max, points)})


def silhouette_kmeans(
    reduced: np.ndarray, ks: list[int], *, random_state: int, sample: int = SILHOUETTE_SAMPLE,
    n_init: int = 3,
) -> dict[int, tuple[float, np.ndarray]]:
    """KMeans (``n_init`` seeded starts) at each k in ``ks`` on ``reduced``: {k: (silhouette, labels)}.

    Silhouette is computed on a seeded sample of at most ``sample`` rows (it
    costs n squared). A k that leaves fewer than two distinct clusters is left out.
    """
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score

    n = len(reduced)
    out: dict[int, tuple[float, np.ndarray]] = {}
    for k in ks:
        if k >= n:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit_predict(
                reduced
            )
        if len(set(labels.tolist())) < 2:
            continue
        score = silhouette_score(reduced, labels, sample_size=min(sample, n),
                                 random_state=random_state)
        out[k] = (float(score), labels.astype(int))
    return out


def cluster_mid(
    embeddings: np.ndarray, *, random_state: int, max_clusters: int | None = None,
) -> tuple[np.ndarray, int]:
    """UMAP, then KMeans with k picked by silhouette: (labels, the k the data prefer).

    k is the best-scoring one on :func:`k_grid` that is at most
    ``max_clusters``; the second value is the best k with no cap, so a caller
    can tell the user when the cap, not the data, set the count. Every answer
    gets a label (KMeans has no outliers; the similarity floor applied later
    decides which stay unassigned).
    """
    reduced = umap_reduce(embeddings, random_state=random_state)
    ks = k_grid(len(embeddings))
    if max_clusters is not None and max_clusters < ks[0]:
        ks = [max_clusters] if max_clusters >= 2 else []
    if not ks:
        return np.zeros(len(embeddings), dtype=int), 1
    # Above 5,000 answers (the large strategy's 10,000 sample) the sweep takes one
    # KMeans start per k, so 100,000 answers stay within the 10-minute budget, and
    # only the chosen k is refitted with three.
    starts = 3 if len(embeddings) <= SWEEP_FULL_MAX else 1
    scored = silhouette_kmeans(reduced, ks, random_state=random_state, n_init=starts)
    if not scored:
        return np.zeros(len(embeddings), dtype=int), 1
    preferred = max(scored, key=lambda k: (scored[k][0], -k))
    allowed = [k for k in scored if max_clusters is None or k <= max_clusters] or [min(scored)]
    chosen = max(allowed, key=lambda k: (scored[k][0], -k))
    if starts == 3:
        return scored[chosen][1], preferred
    from sklearn.cluster import KMeans

    labels = KMeans(n_clusters=chosen, n_init=3, random_state=random_state).fit_predict(reduced)
    return labels.astype(int), preferred


def cluster_mid_hdbscan(
    embeddings: np.ndarray, *, random_state: int, min_cluster_size: int | None = None,
) -> np.ndarray:
    """UMAP, then HDBSCAN (the mid strategy up to issue 14); ``-1`` marks outliers.

    Kept for comparison (``bench/themes_methods.py``): ``min_cluster_size``
    grows like sqrt(n), ``min_samples`` is a third of it.
    """
    import hdbscan

    size = min_cluster_size or min_cluster_size_for(len(embeddings))
    reduced = umap_reduce(embeddings, random_state=random_state)
    clusterer = hdbscan.HDBSCAN(
        min_cluster_size=size, min_samples=max(1, size // 3), metric="euclidean",
        cluster_selection_method="eom", core_dist_n_jobs=1,
    )
    return clusterer.fit_predict(reduced).astype(int)


def sample_indices(n: int, size: int, random_state: int) -> np.ndarray:
    """A seeded random sample of ``size`` row indices (sorted)."""
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def centroids_of(embeddings: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label values, L2-normalised mean vector per label), labels < 0 left out."""
    values = np.array(sorted({int(x) for x in labels if x >= 0}), dtype=int)
    if len(values) == 0:
        return values, np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    cents = np.stack([embeddings[labels == v].mean(axis=0) for v in values])
    norms = np.linalg.norm(cents, axis=1, keepdims=True)
    return values, (cents / np.where(norms == 0, 1, norms)).astype(np.float32)


def nearest_centroid(
    embeddings: np.ndarray, centroids: np.ndarray, *, chunk: int = ASSIGN_BLOCK,
    backend: Backend | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest centroid, its cosine) per row, in bounded chunks.

    The work runs on ``backend`` (default: this process).
    """
    return (backend or LocalBackend()).assign(embeddings, centroids, block=chunk)


def cluster_large(
    embeddings: np.ndarray, *, random_state: int, sample_size: int = 20_000,
    max_clusters: int | None = None, backend: Backend | None = None,
) -> tuple[np.ndarray, int]:
    """``cluster_mid`` on a seeded sample; other rows take the nearest sample centroid.

    Rows outside the sample are all given a label here; the similarity floor
    applied later decides which of them stay unassigned. Returns (labels, the
    k the sample's data prefer), as :func:`cluster_mid`.
    """
    n = len(embeddings)
    idx = sample_indices(n, sample_size, random_state)
    sample_labels, preferred = cluster_mid(
        embeddings[idx], random_state=random_state, max_clusters=max_clusters
    )
    labels = np.full(n, -1, dtype=int)
    labels[idx] = sample_labels
    values, cents = centroids_of(embeddings[idx], sample_labels)
    rest = np.setdiff1d(np.arange(n), idx)
    if len(values) and len(rest):
        nearest, _ = nearest_centroid(embeddings[rest], cents, backend=backend)
        labels[rest] = values[nearest]
    return labels, preferred
