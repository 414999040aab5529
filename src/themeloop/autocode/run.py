"""The autocode commands on one file (ad hoc mode): fit, predict, evaluate."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from themeloop.autocode.estimator import AutoCoder
from themeloop.autocode.labels import Targets, codes_hash, targets
from themeloop.autocode.prototypes import Prototypes, build_prototypes, plain_codes
from themeloop.errors import AutocodeError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.codebook.model import Code
    from themeloop.compute import Backend
    from themeloop.embed import Embedder

PathLike = str | os.PathLike[str]


@dataclass
class Answers:
    """One text column: ids (the id column's values), texts, and which are substantive."""

    path: Path
    question: str
    ids: list[str]
    texts: list[str]
    substantive: np.ndarray


@dataclass
class Inputs:
    """Everything fit and evaluate need, checked."""

    answers: Answers
    codes: list[Code]
    codebook_version: str | None
    question: str
    coding: pd.DataFrame | None = None
    targets: Targets | None = None
    notes: list[str] = field(default_factory=list)


def load_answers(path: PathLike, *, id_column: str | None, text_column: str | None,
                 encoding: str | None = None, sheet: str | None = None) -> Answers:
    """Read ``path``'s text column; refuse a file with no answers."""
    from themeloop.survey.adhoc import load_adhoc_survey

    survey = load_adhoc_survey(path, id_column=id_column,
                               text_columns=[text_column] if text_column else None,
                               encoding=encoding, sheet=sheet)
    responses = survey.responses()
    if not responses["substantive"].any():
        raise AutocodeError(f"{path}: no answers to code in column '{text_column}' (the file "
                            "is empty or every answer is blank); give a file with answers")
    return Answers(Path(path), survey.questions[0].id, [str(v) for v in responses["respondent_id"]],
                   [str(v) for v in responses["text"]], responses["substantive"].to_numpy(bool))


def _codebook_codes(path: PathLike, question: str | None) -> tuple[list[Code], str, str]:
    from themeloop.codebook.io import load_codebook

    codebook = load_codebook(path)
    qids = codebook.question_ids
    if question is None:
        if len(qids) != 1:
            raise AutocodeError(f"{path}: the codebook has {len(qids)} questions "
                                f"({', '.join(qids) or 'none'}); choose one with --question")
        question = qids[0]
    codes = codebook.codes(question)
    if not codes:
        raise AutocodeError(f"{path}: question '{question}' has no codes; add codes to the codebook")
    return codes, codebook.version, question


def _coding_rows(path: PathLike, question: str | None, explicit: bool
                 ) -> tuple[pd.DataFrame, str]:
    """The coding table's rows of ``question``; a table of one question serves any
    question not named on the command line (its ``question`` may be "all")."""
    from themeloop.coding import read_coding_table

    table = read_coding_table(Path(path))
    if table.empty:
        raise AutocodeError(f"{path}: the coding table has no rows; code some answers first")
    questions = sorted(set(table["question"]))
    if question is not None and question in questions:
        return table[table["question"] == question].reset_index(drop=True), question
    if len(questions) == 1 and not explicit:
        return table.assign(question=question or questions[0]), question or questions[0]
    if question is None:
        raise AutocodeError(f"{path}: the coding table has questions {', '.join(questions)}; "
                            "choose one with --question")
    raise AutocodeError(f"{path}: no rows for question '{question}'"
                        f"{did_you_mean(question, questions)}; its questions are: "
                        f"{', '.join(questions)}")


def load_inputs(answers: Answers, *, codebook: PathLike | None, coding: PathLike | None,
                question: str | None) -> Inputs:
    """Codes from the codebook (or the coding table), labels from the coding table; all checked."""
    if codebook is None and coding is None:
        raise AutocodeError("autocode needs --codebook (zero-shot), --coding (supervised) or both")
    codes: list[Code] = []
    version: str | None = None
    qid = question
    if codebook is not None:
        codes, version, qid = _codebook_codes(codebook, question)
    if coding is None:
        return Inputs(answers, codes, version, qid or answers.question)
    rows, table_q = _coding_rows(coding, question if question is not None else qid,
                                 explicit=question is not None)
    qid = qid or table_q
    used = [c for c in dict.fromkeys(rows["code"]) if c]
    if codebook is not None:
        known = [c.id for c in codes]
        for code in used:
            if code not in known:
                row = int(rows.index[rows["code"] == code][0]) + 2
                raise AutocodeError(
                    f"{coding}: row {row}: code '{code}' is not a code of question '{qid}' in "
                    f"{codebook}{did_you_mean(code, known)}; add it to the codebook or fix the "
                    "coding table")
    else:
        codes = plain_codes(sorted(used))
        if not codes:
            raise AutocodeError(f"{coding}: the coding table applies no code; code some "
                                "answers first")
    notes: list[str] = []
    ids = set(answers.ids)
    coded_ids = sorted(set(rows["response_id"]))
    matched = [r for r in coded_ids if r in ids]
    if not matched:
        raise AutocodeError(
            f"{coding}: none of its {len(coded_ids)} response ids is a value of the id column "
            f"in {answers.path} (first: '{coded_ids[0]}'); in ad hoc mode response_id is the id "
            "column's value")
    if len(matched) < len(coded_ids):
        notes.append(f"{len(coded_ids) - len(matched)} response ids of {coding} match no "
                     f"answer in {answers.path} and are ignored")
    t = targets(rows, answers.ids, [c.id for c in codes])
    if len(t.index) == 0:
        raise AutocodeError(f"{coding}: no human or adjudicated judgement matches an answer")
    classes = np.unique(t.y >= 0.5, axis=0)
    if len(classes) < 2:
        given = [codes[k].id for k in np.flatnonzero(classes[0])]
        which = ", ".join(given) if given else "no code"
        raise AutocodeError(
            f"{coding}: all {len(t.index)} coded answers have the same codes ({which}): one "
            "class only; fitting needs answers with and without a code, so code more answers")
    return Inputs(answers, codes, version, qid, rows, t, notes)


def make_embedder(cache_dir: PathLike | None, backend: Backend | None = None) -> Embedder:
    """The packaged model with the ad hoc embedding cache, encoding on ``backend``."""
    from themeloop.embed import Embedder
    from themeloop.themes.run import default_adhoc_cache

    return Embedder(cache_dir=Path(cache_dir) if cache_dir else default_adhoc_cache(),
                    backend=backend)


def _prototypes(inputs: Inputs, embedder: Embedder) -> Prototypes:
    answers = dict(zip(inputs.answers.ids, inputs.answers.texts))
    return build_prototypes(inputs.codes, embedder.encode, answers)


@dataclass
class FitResult:
    model: AutoCoder
    manifest: dict[str, Any]
    notes: list[str]


def read_human_only(path: PathLike, codes: list[str]) -> list[str]:
    """The human-only codes of an ``evaluate`` JSON (agreement_model.json), checked."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        listed = data["human_only"]
    except FileNotFoundError:
        raise AutocodeError(f"{path}: no such file; write it with 'themeloop autocode "
                            "evaluate ... --json'") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise AutocodeError(f"{path}: not the JSON of 'themeloop autocode evaluate' (no "
                            "'human_only' list)") from None
    unknown = [c for c in listed if c not in codes]
    if unknown:
        raise AutocodeError(f"{path}: human-only code '{unknown[0]}' is not a code of this "
                            "model; evaluate again with the same codebook and coding")
    return [str(c) for c in listed]


def fit_adhoc(answers: Answers, inputs: Inputs, *, model_dir: PathLike, seed: int = 42,
              embedder: Embedder, params: dict[str, Any] | None = None,
              human_only: list[str] | None = None) -> FitResult:
    """Fit zero-shot (no coding) or supervised, and save under ``model_dir``.

    ``human_only`` codes are scored but never applied (see ``evaluate``).
    """
    from themeloop.autocode.store import save_model

    x = embedder.encode(answers.texts)
    prototypes = _prototypes(inputs, embedder)
    model = AutoCoder(random_state=seed, human_only=tuple(human_only or ()), **(params or {}))
    code_ids = [c.id for c in inputs.codes]
    if inputs.targets is None:
        keep = np.flatnonzero(answers.substantive)
        model.fit(x[keep], None, codes=code_ids, prototypes=prototypes)
        trained = None
    else:
        t = inputs.targets
        model.fit(x[t.index], t.y, codes=code_ids, prototypes=prototypes,
                  texts=[answers.texts[i] for i in t.index])
        trained = codes_hash(answers.ids, t, code_ids)
    info = {"question": inputs.question, "codebook_version": inputs.codebook_version,
            "training_codes_sha256": trained, "embedding": embedder.model_info,
            "kind": "zero_shot" if trained is None else "supervised"}
    manifest = save_model(model, model_dir, info=info)
    return FitResult(model, manifest, inputs.notes)


def predict_adhoc(answers: Answers, *, model_dir: PathLike, embedder: Embedder,
                  backend: Backend | None = None,
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """PREDICTIONS (a coding table) and SCORES (wide) for every answer of the file.

    The predictions run blockwise on ``backend`` (default: this process).
    """
    import pandas as pd

    from themeloop.autocode.blockwise import predict_blockwise
    from themeloop.autocode.evaluate import model_rows
    from themeloop.autocode.store import load_model

    model, manifest = load_model(model_dir)
    info = embedder.model_info
    if manifest["embedding"]["id"] != info["id"]:
        raise AutocodeError(f"{model_dir}: the model was fitted on embeddings of "
                            f"'{manifest['embedding']['id']}', not '{info['id']}'; refit it")
    keep = np.flatnonzero(answers.substantive)
    k = len(model.codes_)
    proba = np.zeros((len(answers.ids), k))
    given = np.zeros((len(answers.ids), k), dtype=bool)
    if len(keep):
        x = embedder.encode([answers.texts[i] for i in keep])
        texts = [answers.texts[i] for i in keep]
        proba[keep], given[keep] = predict_blockwise(model, x, texts, backend=backend)
    rows = model_rows(answers.ids, given, proba, model.codes_, question=manifest["question"],
                      coder=manifest["model_id"])
    rows.loc[rows["code"] == "", "score"] = np.nan
    from themeloop.autocode.active import needs_review

    review = needs_review(proba, given, model.thresholds_)
    review_of = dict(zip(answers.ids, review))
    rows["needs_review"] = rows["response_id"].map(review_of).astype(bool)
    rows["codebook_version"] = manifest.get("codebook_version") or ""
    scores = pd.DataFrame(np.round(proba, 6), columns=model.codes_)
    scores.insert(0, "response_id", answers.ids)
    return rows, scores, manifest


def evaluate_adhoc(answers: Answers, inputs: Inputs, *, embedder: Embedder, folds: int = 5,
                   seed: int = 42, bootstrap: int = 1000, alpha_floor: float = 0.667,
                   params: dict[str, Any] | None = None) -> dict[str, Any]:
    """agreement_model.json for one file: cross-fitted supervised, and zero-shot beside it."""
    from themeloop.autocode.evaluate import evaluate_model, f1_scores

    if inputs.targets is None or inputs.coding is None:
        raise AutocodeError("evaluate needs --coding: human codes to compare the model with")
    x = embedder.encode(answers.texts)
    prototypes = _prototypes(inputs, embedder)
    code_ids = [c.id for c in inputs.codes]
    result = evaluate_model(
        lambda: AutoCoder(random_state=seed, **(params or {})), x, answers.texts, answers.ids,
        inputs.coding, inputs.targets, codes=code_ids, prototypes=prototypes,
        question=inputs.question, folds=folds, seed=seed, bootstrap=bootstrap,
        alpha_floor=alpha_floor)
    zero = AutoCoder(random_state=seed, **(params or {})).fit(
        x[np.flatnonzero(answers.substantive)], None, codes=code_ids, prototypes=prototypes)
    t = inputs.targets
    scores = f1_scores(zero.predict(x[t.index]), t.y >= 0.5)
    result["zero_shot"] = {k: (None if scores[k] is None else round(scores[k], 6))
                           for k in ("sample_f1", "micro_f1", "macro_f1")}
    result["notes"] = inputs.notes
    result["embedding"] = embedder.model_info
    return result


def write_json(path: PathLike, data: dict[str, Any]) -> Path:
    from themeloop._io import write_text_atomic

    return write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=_plain) + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def next_adhoc(answers: Answers, *, n: int, embedder: Embedder, model_dir: PathLike | None = None,
               coding: PathLike | None = None) -> pd.DataFrame:
    """The ``n`` uncoded substantive answers to code next (ranked), as a table.

    Answers in ``coding`` count as coded. With ``model_dir`` the choice is
    uncertainty plus diversity; without, a diverse cold start.
    """
    import pandas as pd

    from themeloop.autocode.active import select_next, uncertainty

    coded: set[str] = set()
    if coding is not None:
        from themeloop.coding import read_coding_table

        coded = set(read_coding_table(Path(coding))["response_id"])
    rest = [i for i in np.flatnonzero(answers.substantive) if answers.ids[i] not in coded]
    if not rest:
        raise AutocodeError(f"{answers.path}: every substantive answer is coded already; "
                            "nothing to choose")
    texts = [answers.texts[i] for i in rest]
    x = embedder.encode(texts)
    proba = thresholds = None
    if model_dir is not None:
        from themeloop.autocode.store import load_model

        model, _ = load_model(model_dir)
        proba, thresholds = model.predict_proba(x, texts), model.thresholds_
    picked = select_next(x, n, proba=proba, thresholds=thresholds)
    score = (uncertainty(proba[picked], thresholds) if proba is not None and thresholds is not None
             else np.full(len(picked), np.nan))
    return pd.DataFrame({"rank": np.arange(1, len(picked) + 1),
                         "response_id": [answers.ids[rest[i]] for i in picked],
                         "uncertainty": np.round(score, 6),
                         "text": [texts[i] for i in picked]})
