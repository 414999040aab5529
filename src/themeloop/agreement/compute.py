"""Agreement of a coding table: the JSON of DESIGN.md, plus notes for the reader."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.agreement import cac
from themeloop.agreement import coefficients as co
from themeloop.agreement.diagnostics import deviations, diagnostics, judgement_times
from themeloop.agreement.family import (
    FamilySettings,
    category_family,
    code_family,
    load_weights,
    parse_coefficients,
)
from themeloop.agreement.masi import set_alpha
from themeloop.agreement.notes import question_notes
from themeloop.agreement.ratings import Ratings, build_ratings
from themeloop.coding import judged_rows, validate_coding_table
from themeloop.errors import AgreementError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

NONE_CATEGORY = ""


@dataclass(frozen=True)
class AgreementReport:
    """``result`` is agreement.json (DESIGN.md's keys, then the new ones); ``notes`` is for people."""

    result: dict[str, Any]
    notes: dict[str, Any] = field(default_factory=dict)


def compute_agreement(
    table: pd.DataFrame,
    level: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    question: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Agreement coefficients per question and code, as DESIGN.md's agreement JSON.

    Parameters
    ----------
    table : a coding table (see :func:`themeloop.coding.read_coding_table`).
        Only human judgements count: rows with ``source`` model or
        adjudication, and rows whose ``status`` is skipped or cancelled, are
        left out.
    level : Krippendorff's metric for single-label data: nominal, ordinal,
        interval or ratio (the codes must then be numbers).
    bootstrap : resamples of units for each code's 95% alpha interval; 0 turns it off.
    seed : seeds the bootstrap.
    question : only this question (default: every question).
    **options : the other ``[agreement]`` settings (``coefficients``,
        ``weights``, ``complete_cases``, ``population``, ``drift_batches``, ...).

    Every default is the project config's (``themeloop.config.AgreementSection``).

    Raises
    ------
    AgreementError
        If arguments are invalid or no question has two coders on a unit.
    """
    return agreement_report(table, level=level, bootstrap=bootstrap, seed=seed,
                            question=question, **options).result


def defaults() -> dict[str, Any]:
    """The ``[agreement]`` defaults and the project seed, read from the pydantic config."""
    from themeloop.config import AgreementSection, ProjectConfig

    return {**AgreementSection().model_dump(), "seed": ProjectConfig.model_fields["seed"].default}


def agreement_report(
    table: pd.DataFrame,
    *,
    level: str | None = None,
    bootstrap: int | None = None,
    seed: int | None = None,
    question: str | None = None,
    min_units: int | None = None,
    min_prevalence: float | None = None,
    coefficients: str | list[str] | tuple[str, ...] | None = None,
    weights: str | np.ndarray | None = None,
    complete_cases: bool | None = None,
    population: int | None = None,
    drift_batches: int | None = None,
    sources: tuple[str, ...] = ("human",),
) -> AgreementReport:
    """Like :func:`compute_agreement`, also returning warnings and plain-language readings.

    ``None`` means the config's default for every setting.
    """
    given = {"level": level, "bootstrap": bootstrap, "seed": seed, "min_units": min_units,
             "min_prevalence": min_prevalence, "coefficients": coefficients, "weights": weights,
             "complete_cases": complete_cases, "population": population,
             "drift_batches": drift_batches}
    cfg = {**defaults(), **{k: v for k, v in given.items() if v is not None}}
    level, bootstrap, seed = cfg["level"], cfg["bootstrap"], cfg["seed"]
    _check_arguments(level, bootstrap, seed)
    family = FamilySettings(coefficients=parse_coefficients(cfg["coefficients"]),
                            weights=load_weights(cfg["weights"]),
                            complete_cases=bool(cfg["complete_cases"]),
                            population=cfg["population"])
    table = validate_coding_table(table)
    rows = judged_rows(table, sources)
    questions = sorted(rows["question"].unique())
    if question is not None:
        if question not in questions:
            known = sorted(table["question"].unique())
            raise AgreementError(
                f"question '{question}' has no coded units{did_you_mean(question, known)}; "
                f"questions in the table: {', '.join(known) or 'none'}"
            )
        questions = [question]
    result: dict[str, Any] = {"questions": {}}
    notes: dict[str, Any] = {"settings": {"level": level, "bootstrap": bootstrap, "seed": seed,
                                          "coefficients": list(family.coefficients),
                                          "weights": family.weights_name,
                                          "complete_cases": family.complete_cases,
                                          "population": family.population},
                             "questions": {}, "skipped": {}}
    for qid in questions:
        part = rows[rows["question"] == qid]
        ratings = build_ratings(part, qid)
        reason = _unusable(ratings)
        if reason:
            notes["skipped"][qid] = reason
            continue
        block, extra = question_agreement(ratings, level=level, bootstrap=bootstrap, seed=seed,
                                          family=family)
        block["diagnostics"] = diagnostics(ratings, judgement_times(part, ratings),
                                           int(cfg["drift_batches"]))
        extra["deviations"] = deviations(block["diagnostics"])
        result["questions"][qid] = block
        notes["questions"][qid] = question_notes(block, extra, level, cfg["min_units"],
                                                 cfg["min_prevalence"])
    if not result["questions"]:
        why = "; ".join(f"{q}: {r}" for q, r in notes["skipped"].items()) or "the table is empty"
        raise AgreementError(f"no agreement to compute: {why}")
    return AgreementReport(result, notes)


def _check_arguments(level: str, bootstrap: int, seed: int) -> None:
    if level not in co.LEVELS:
        raise AgreementError(
            f"level must be one of {', '.join(co.LEVELS)}; got '{level}'"
            f"{did_you_mean(level, co.LEVELS)}"
        )
    if not isinstance(bootstrap, int) or bootstrap < 0:
        raise AgreementError(f"bootstrap must be a whole number >= 0; got {bootstrap!r}")
    if not isinstance(seed, int | np.integer):
        raise AgreementError(f"seed must be a whole number; got {seed!r}")


def _unusable(ratings: Ratings) -> str | None:
    if len(ratings.coders) < 2:
        who = ratings.coders[0] if ratings.coders else "nobody"
        return f"only one coder ({who}); agreement needs two or more"
    if not np.any(ratings.n_per_unit >= 2):
        return "no unit was coded by two or more coders"
    return None


def question_agreement(
    ratings: Ratings, *, level: str, bootstrap: int, seed: int,
    family: FamilySettings | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The DESIGN.md block of one question, and extra figures for the notes.

    With ``family``, the block also carries the full coefficient family
    (``coefficients``, per question when single-label and per code).
    """
    n = ratings.n_per_unit
    pairable = n >= 2
    counts = ratings.code_counts()
    index = ratings.by_coder()
    complete = bool(family is not None and family.complete_cases)
    by_coder = index if len(ratings.coders) == 2 else None
    per_code = {
        code: _per_code(ratings, c, n, counts[:, c], by_coder, bootstrap, seed, complete)
        for c, code in enumerate(ratings.codes)
    }
    if family is not None:
        for c, code in enumerate(ratings.codes):
            per_code[code]["coefficients"] = code_family(index, ratings.presence[:, c], family)
    set_of, sets = ratings.code_sets()
    single = bool(counts.size == 0 or ratings.presence.sum(axis=1).max() <= 1)
    alphas = [v["krippendorff_alpha"] for v in per_code.values()
              if v["krippendorff_alpha"] is not None]
    overall: dict[str, Any] = {
        "percent_agreement": _round(_set_percent_agreement(ratings.unit, set_of, n)),
        "krippendorff_alpha_masi": _round(set_alpha(ratings.unit, set_of, sets)),
        "mean_krippendorff_alpha": _round(float(np.mean(alphas)) if alphas else None),
        f"krippendorff_alpha_{level}": None,
        "fleiss_kappa": None,
    }
    extra: dict[str, Any] = {"single_label": single, "fleiss_units": None, "cohen_kappa": None,
                             "complete_cases": complete,
                             "all_coders_units": int((n == len(ratings.coders)).sum())}
    if single:
        overall.update(_single_label(ratings, level, extra, complete))
    block: dict[str, Any] = {
        "n_units": int(pairable.sum()),
        "coders": list(ratings.coders),
        "overall": overall,
        "per_code": per_code,
    }
    if family is not None:
        block["coefficients"] = (category_family(ratings, _categories(ratings), family)
                                 if single and ratings.codes else None)
    extra["fleiss_units_per_code"] = int((n == n.max()).sum())
    return block, extra


def _per_code(ratings: Ratings, c: int, n: np.ndarray, k: np.ndarray,
              by_coder: np.ndarray | None, bootstrap: int, seed: int,
              complete: bool) -> dict[str, Any]:
    pairable = n >= 2
    table = np.stack([n - k, k], axis=1)
    cohen = None
    if by_coder is not None:
        both = (by_coder >= 0).all(axis=1)
        first, second = by_coder[both, 0], by_coder[both, 1]
        cohen = co.cohen_kappa(ratings.presence[first, c].astype(int),
                               ratings.presence[second, c].astype(int))
    alpha = co.krippendorff_alpha(table)
    ci = None
    if alpha is not None and bootstrap > 0:
        rng = np.random.default_rng(
            [seed, zlib.crc32(ratings.question.encode()), zlib.crc32(ratings.codes[c].encode())]
        )
        ci = co.bootstrap_binary_alpha(n, k, bootstrap, rng)
    # The same formulas as coefficients.py's, on the table's distinct (n, k) patterns: fast.
    est = cac.estimates(q=2, weights=np.eye(2), counts=table,
                        coefficients=("percent_agreement", "fleiss_kappa", "gwet_ac1",
                                      "brennan_prediger"))
    return {
        "n_units": int(pairable.sum()),
        "prevalence": _round(float(k[pairable].sum() / n[pairable].sum())),
        "percent_agreement": _round(est["percent_agreement"].value),
        "cohen_kappa": _round(cohen),
        "fleiss_kappa": _round(co.fleiss_kappa(table) if complete
                               else est["fleiss_kappa"].value),
        "krippendorff_alpha": _round(alpha),
        "gwet_ac1": _round(est["gwet_ac1"].value),
        "brennan_prediger": _round(est["brennan_prediger"].value),
        "alpha_ci95": None if ci is None else [_round(ci[0]), _round(ci[1])],
    }


def _fleiss(counts: np.ndarray, complete: bool) -> float | None:
    """Fleiss' kappa: Gwet's missing-data formula, or (``complete``) the units rated by most."""
    if complete:
        return co.fleiss_kappa(counts)
    return cac.fleiss_kappa(counts, np.eye(counts.shape[1])).value


def _categories(ratings: Ratings) -> np.ndarray:
    """Each judgement's code index in a single-label question, ``-1`` for no code."""
    has = ratings.presence.any(axis=1)
    return np.where(has, ratings.presence.argmax(axis=1) if ratings.codes else 0, -1)


def _set_percent_agreement(unit: np.ndarray, set_of: np.ndarray, n: np.ndarray) -> float | None:
    """Share of coder pairs with exactly the same code set, averaged over pairable units."""
    n_sets = int(set_of.max()) + 1 if len(set_of) else 1
    keys, m = np.unique(unit * n_sets + set_of, return_counts=True)
    cell_unit = keys // n_sets
    same = np.bincount(cell_unit, weights=m * (m - 1.0), minlength=len(n))
    pairable = n >= 2
    if not pairable.any():
        return None
    return float(np.mean(same[pairable] / (n[pairable] * (n[pairable] - 1.0))))


def _single_label(ratings: Ratings, level: str, extra: dict[str, Any],
                  complete: bool = False) -> dict[str, Any]:
    """Alpha at ``level`` and Fleiss' kappa over the categories (one code per coder and unit)."""
    category = _categories(ratings)
    n_cat = len(ratings.codes)
    if level == "nominal":
        # "read and applied no code" is a category of its own at the nominal level
        values = np.where(category < 0, n_cat, category)
        counts = _value_counts(ratings.unit, values, len(ratings.units), n_cat + 1)
        alpha = co.krippendorff_alpha(counts, "nominal")
    else:
        domain = _numeric_codes(ratings)
        order = np.argsort(domain, kind="stable")  # ordinal distances follow the numeric order
        rank = np.empty_like(order)
        rank[order] = np.arange(n_cat)
        keep = category >= 0
        counts = _value_counts(ratings.unit[keep], rank[category[keep]], len(ratings.units), n_cat)
        alpha = co.krippendorff_alpha(counts, level, domain[order])  # type: ignore[arg-type]
        values = np.where(category < 0, n_cat, category)
    full = _value_counts(ratings.unit, values, len(ratings.units), n_cat + 1)
    n = full.sum(axis=1)
    extra["fleiss_units"] = int((n == n.max()).sum())
    if len(ratings.coders) == 2:
        both = (ratings.by_coder() >= 0).all(axis=1)
        index = ratings.by_coder()[both]
        extra["cohen_kappa"] = _round(co.cohen_kappa(values[index[:, 0]], values[index[:, 1]]))
    return {f"krippendorff_alpha_{level}": _round(alpha),
            "fleiss_kappa": _round(_fleiss(full, complete))}


def _value_counts(unit: np.ndarray, value: np.ndarray, n_units: int, n_values: int) -> np.ndarray:
    counts = np.zeros((n_units, n_values), dtype=np.int64)
    np.add.at(counts, (unit, value), 1)
    return counts


def _numeric_codes(ratings: Ratings) -> np.ndarray:
    values = []
    for code in ratings.codes:
        try:
            values.append(float(code))
        except ValueError:
            raise AgreementError(
                f"question '{ratings.question}': code '{code}' is not a number; ordinal, "
                "interval and ratio levels need numeric codes (use --level nominal)"
            ) from None
    return np.asarray(values)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)
