"""The model judged like a coder: one question's entry of ``agreement_model.json``.

The cross-fitted model codes of the human-coded answers are one more coder
in a coding table with ``source = model``; :func:`themeloop.agreement.model_vs_human`
then gives every model-human pair the same block as human-human pairs get
(per-code Krippendorff alpha, Cohen's kappa, Gwet's AC1, MASI alpha). This
module condenses those blocks into the contract's shape, adds precision,
recall and F1 against the training labels, bootstrap intervals, and the
human-only rule: a code whose model-vs-human alpha (mean over the coders) is
below the floor, or cannot be computed, is never applied automatically.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.autocode.evaluate import bootstrap_f1, f1_scores

if TYPE_CHECKING:
    import pandas as pd


def _r(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return _r(float(np.mean(kept))) if kept else None


def _pair_code(pairs: list[dict[str, Any]], code: str, key: str) -> float | None:
    return _mean([(p["per_code"].get(code) or {}).get(key) for p in pairs])


def _pair_ci(pairs: list[dict[str, Any]], code: str) -> list[float] | None:
    found = [(p["per_code"].get(code) or {}).get("alpha_ci95") for p in pairs]
    cis: list[list[float]] = [c for c in found if c is not None and None not in c]
    if not cis:
        return None
    return [round(float(np.mean([c[0] for c in cis])), 6),
            round(float(np.mean([c[1] for c in cis])), 6)]


def coder_presence(human: pd.DataFrame, ids: Sequence[str], codes: Sequence[str]
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per coder: the positions (into ``ids``) they coded, and their (n, k) code matrix."""
    position = {rid: i for i, rid in enumerate(ids)}
    code_pos = {c: k for k, c in enumerate(codes)}
    out = {}
    for coder, rows in human.groupby("coder", sort=True):
        units = sorted({position[r] for r in rows["response_id"] if r in position})
        row_of = {u: j for j, u in enumerate(units)}
        y = np.zeros((len(units), len(codes)), dtype=bool)
        for rid, code in zip(rows["response_id"], rows["code"]):
            if rid in position and code in code_pos:
                y[row_of[position[rid]], code_pos[code]] = True
        out[str(coder)] = (np.asarray(units, dtype=np.int64), y)
    return out


def pair_ratings(table: pd.DataFrame, question: str, model: str, coders: Sequence[str]) -> list:
    """The ratings of each (model, coder) pair, for MASI alpha and its bootstrap."""
    from themeloop.agreement.ratings import build_ratings

    return [build_ratings(table[table["coder"].isin((model, c))], question) for c in coders]


def masi_mean(ratings: list) -> float | None:
    """MASI alpha of each pair, averaged (pairs where it is undefined are left out)."""
    from themeloop.agreement.masi import set_alpha

    values = []
    for r in ratings:
        set_of, sets = r.code_sets()
        values.append(set_alpha(r.unit, set_of, sets))
    return _mean(values)


def masi_interval(ratings: list, ids: Sequence[str], *, n_boot: int, seed: int
                  ) -> list[float] | None:
    """95% percentile interval of the mean MASI alpha, resampling answers (the same draw
    for every pair); a drawn answer counts as many times as it is drawn."""
    from themeloop.agreement.masi import set_alpha

    if n_boot <= 0 or len(ids) < 2:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    prepared = []
    for r in ratings:
        set_of, sets = r.code_sets()
        order = np.argsort(r.unit, kind="stable")
        unit, set_of = r.unit[order], set_of[order]
        lookup = {rid: u for u, rid in enumerate(r.units)}
        where = np.array([lookup.get(rid, -1) for rid in ids])
        count = np.bincount(unit, minlength=len(r.units))
        start = np.r_[0, np.cumsum(count)[:-1]]
        prepared.append((where, count, start, set_of, sets))
    values = []
    for draw in draws:
        alphas = []
        for where, count, start, set_of, sets in prepared:
            units = where[draw]
            units = np.sort(units[units >= 0])
            lengths = count[units]
            if lengths.sum() == 0:
                continue
            offsets = np.repeat(start[units] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
            idx = offsets + np.arange(int(lengths.sum()))
            alphas.append(set_alpha(np.repeat(np.arange(len(units)), lengths), set_of[idx], sets))
        mean = _mean(alphas)
        if mean is not None:
            values.append(mean)
    if not values:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return [round(float(low), 6), round(float(high), 6)]


def judge_question(
    *, question: str, ids: Sequence[str], human: pd.DataFrame, model_rows: pd.DataFrame,
    given: np.ndarray, truth: np.ndarray, codes: Sequence[str], thresholds: np.ndarray,
    floor: float, bootstrap: int, seed: int, model_coder: str,
) -> dict[str, Any]:
    """``human_human``, ``model_human`` and ``human_only`` of one question.

    ``ids`` are the human-coded answers, ``given`` / ``truth`` their
    cross-fitted model codes and training labels (both (n, k) boolean),
    ``model_rows`` the model's coding table of them (coder ``model_coder``).
    """
    import pandas as pd

    from themeloop.agreement import model_vs_human

    cols = ["response_id", "question", "coder", "code", "source"]
    table = pd.concat([human.assign(source="human")[cols], model_rows[cols]], ignore_index=True)
    mv = model_vs_human(table, bootstrap=bootstrap, seed=seed, question=question)
    entry = mv["questions"][question]
    hp, mp = entry["human_pairs"], entry["model_pairs"]
    scores = f1_scores(given, truth)
    alphas = {c: _pair_code(mp, c, "krippendorff_alpha") for c in codes}
    per_code: dict[str, Any] = {}
    for k, code in enumerate(codes):
        alpha = alphas[code]
        human_only = alpha is None or alpha < floor
        reason = None
        if alpha is None:
            reason = "model-vs-human alpha cannot be computed (the code is too rare to judge)"
        elif human_only:
            reason = f"model-vs-human alpha {alpha:.3f} is below the floor {floor}"
        per_code[code] = {
            "alpha": alpha, "kappa": _pair_code(mp, code, "cohen_kappa"),
            "ac1": _pair_code(mp, code, "gwet_ac1"),
            "precision": _r(scores["precision"][k]), "recall": _r(scores["recall"][k]),
            "f1": _r(scores["f1"][k]), "alpha_ci95": _pair_ci(mp, code),
            "n_pos": int(truth[:, k].sum()), "threshold": _r(float(thresholds[k])),
            "human_only": human_only, "reason": reason,
        }
    coders = [str(c) for c in entry["human_coders"]]
    ratings = pair_ratings(table, question, model_coder, coders)
    by_coder = {}
    presence = coder_presence(human, ids, codes)
    for pair in mp:
        coder = pair["coders"][1]
        units, y = presence.get(coder, (np.zeros(0, np.int64), np.zeros((0, len(codes)), bool)))
        by_coder[coder] = {"masi_alpha": pair["overall"]["krippendorff_alpha_masi"],
                           "sample_f1": _r(f1_scores(given[units], y)["sample_f1"])}
    ci = bootstrap_f1(given, truth, n_boot=bootstrap, seed=seed)
    return {
        "human_human": {
            "masi_alpha": entry["summary"]["human_human"]["krippendorff_alpha_masi"],
            "per_code": {c: {"alpha": _pair_code(hp, c, "krippendorff_alpha"),
                             "kappa": _pair_code(hp, c, "cohen_kappa"),
                             "ac1": _pair_code(hp, c, "gwet_ac1")} for c in codes},
        },
        "model_human": {
            "masi_alpha": entry["summary"]["model_human"]["krippendorff_alpha_masi"],
            "masi_alpha_ci95": masi_interval(ratings, list(ids), n_boot=bootstrap, seed=seed),
            "sample_f1": _r(scores["sample_f1"]), "sample_f1_ci95": ci["sample_f1"],
            "micro_f1": _r(scores["micro_f1"]), "macro_f1": _r(scores["macro_f1"]),
            "by_coder": by_coder, "per_code": per_code,
        },
        "human_only": [c for c in codes if per_code[c]["human_only"]],
        "pairs": entry,
    }
