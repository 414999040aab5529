"""The autocode stage of ``themeloop run``: learn from the coders, code what they did not.

Per question (see :mod:`themeloop.autocode.question`): every human-coded
answer gets an out-of-fold model code (cross-fitting), the model is judged
against each coder on the coefficients coders are judged on, codes below the
floor become human-only, a model fitted on all the coded answers is saved
under ``models/autocode/<question>/`` and codes every substantive answer no
person coded. Files (:mod:`themeloop.pipeline.artifacts`): ``model_coding.csv``,
``model_crossfit.csv``, ``agreement_model.json``, ``review.csv``,
``model_bias.json`` and ``autocode.manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from themeloop.pipeline.artifacts import (
    AGREED,
    AGREEMENT_MODEL,
    AUTOCODE_MANIFEST,
    AUTOCODE_MODELS,
    CODING_TABLE,
    MODEL_BIAS,
    MODEL_CODING,
    MODEL_CROSSFIT,
    REVIEW,
)
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.autocode.project import QuestionData
    from themeloop.autocode.question import QuestionResult, Settings
    from themeloop.embed import Embedder
    from themeloop.pipeline.context import RunContext

PRODUCES = (MODEL_CODING, MODEL_CROSSFIT, AGREEMENT_MODEL, REVIEW, MODEL_BIAS, AUTOCODE_MANIFEST)
CODING_COLUMNS = ["response_id", "question", "coder", "code", "source", "codebook_version",
                  "score", "threshold", "model_id"]


@dataclass
class AutocodeRun:
    """What the stage decided per question, and the files it wrote (manifest last)."""

    model_id: str
    results: dict[str, QuestionResult]
    agreement: dict[str, Any]
    bias: dict[str, Any]
    paths: list[Path]
    notes: list[str]


def settings_for(ctx: RunContext) -> Settings:
    from themeloop.autocode.question import Settings

    cfg, project = ctx.project.config.autocode, ctx.project.config
    return Settings(floor=cfg.floor, review_band=cfg.review_band,
                    seed=project.seed if cfg.seed is None else cfg.seed, folds=cfg.folds,
                    min_positives=cfg.min_positives, bootstrap=project.agreement.bootstrap)


def project_embedder(ctx: RunContext) -> Embedder:
    """The packaged model (or ``[themes] model_path``) with the project's embedding cache."""
    from themeloop.embed import Embedder

    themes, root = ctx.project.config.themes, ctx.project.root
    return Embedder(model_path=(root / themes.model_path) if themes.model_path else None,
                    precision=themes.precision, runtime=themes.runtime,
                    cache_dir=ctx.project.models_dir / "cache")


def _run_id(model_ids: dict[str, str]) -> str:
    text = "\n".join(f"{q}\t{m}" for q, m in sorted(model_ids.items()))
    return "autocoder-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def coding_rows(r: QuestionResult, q: QuestionData, coder: str, model_id: str) -> pd.DataFrame:
    """``model_coding.csv``'s rows of one question (human-only codes are never among them)."""
    import numpy as np
    import pandas as pd

    records = []
    codes, thresholds = r.model.codes_, r.model.thresholds_
    for i, rid in enumerate(r.uncoded_ids):
        hits = np.flatnonzero(r.given[i])
        if len(hits) == 0:
            records.append((rid, r.question, coder, "", "model", q.codebook_version or "", "", ""))
        for k in hits:
            records.append((rid, r.question, coder, codes[k], "model", q.codebook_version or "",
                            f"{r.proba[i, k]:.6f}", f"{thresholds[k]:.6f}"))
    frame = pd.DataFrame(records, columns=CODING_COLUMNS[:-1])
    return frame.assign(model_id=model_id)[CODING_COLUMNS]


def _named(pairs: dict[str, Any], run_id: str) -> dict[str, Any]:
    """``model_vs_human``'s blocks with the model named by the run's model id."""
    from themeloop.autocode.question import JUDGE_CODER

    def name(coder: str) -> str:
        return run_id if coder == JUDGE_CODER else coder

    out = {key: pairs[key] for key in ("human_coders", "human_pairs", "summary")}
    out["model_coders"] = [name(c) for c in pairs["model_coders"]]
    out["model_pairs"] = [{**p, "coders": [name(c) for c in p["coders"]]}
                          for p in pairs["model_pairs"]]
    return out


def _entry(r: QuestionResult, model_id: str, n_review: int, run_id: str) -> dict[str, Any]:
    judged = r.judged or {}
    entry: dict[str, Any] = {
        "mode": r.mode, "model_id": model_id, "n_coded": len(r.coded_ids),
        "n_model_coded": len(r.uncoded_ids), "n_review": n_review,
        "human_human": judged.get("human_human"), "model_human": judged.get("model_human"),
        "human_only": judged.get("human_only", []), "learning_curve": r.curve,
    }
    if judged:
        for k, mode in zip(r.model.codes_, r.model.modes_):
            entry["model_human"]["per_code"][k]["model_mode"] = mode
        # The pairwise blocks as model_vs_human writes them (the report reads these).
        entry.update(_named(judged["pairs"], run_id))
    return entry


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _bias(ctx: RunContext, crossfit: pd.DataFrame, questions: list[str]) -> dict[str, Any]:
    from themeloop.autocode.bias import METHOD, question_bias, respondent_groups

    attributes = list(ctx.project.config.survey.attributes)
    out: dict[str, Any] = {"method": METHOD, "attributes": attributes, "questions": {}}
    if not attributes or crossfit.empty:
        return out
    survey = ctx.survey
    groups = respondent_groups(ctx.responses, survey.frame, survey.ids, attributes)
    for qid in questions:
        rows = crossfit[crossfit["question"] == qid]
        if len(rows):
            out["questions"][qid] = question_bias(rows, groups, question=qid)
    return out


def autocode_project(ctx: RunContext, *, embedder: Embedder | None = None) -> AutocodeRun:
    """Train, judge and code every question of the run's project; write the stage's files.

    ``embedder`` defaults to the project's (:func:`project_embedder`).

    Raises
    ------
    CodingTableError
        When the project has no coding table.
    """
    import pandas as pd

    from themeloop._io import write_text_atomic
    from themeloop.autocode.labels import codes_hash
    from themeloop.autocode.project import question_data, training_rows
    from themeloop.autocode.question import code_question, review_rows
    from themeloop.autocode.store import save_model
    from themeloop.safe_csv import resolve_raw, write_csv

    s = settings_for(ctx)
    embedder = embedder if embedder is not None else project_embedder(ctx)
    data, notes = question_data(ctx)
    _, source = training_rows(ctx)
    results: dict[str, QuestionResult] = {}
    model_ids: dict[str, str] = {}
    for q in data:
        notes += q.notes
        r = code_question(q, embedder, s)
        info = {"question": q.question, "codebook_version": q.codebook_version,
                "training_codes_sha256": codes_hash(q.ids, q.targets, q.code_ids)
                if len(q.targets.index) else None,
                "training": source, "embedding": embedder.model_info, "kind": r.mode}
        folder = ctx.project.models_dir / AUTOCODE_MODELS / q.question
        model_ids[q.question] = save_model(r.model, folder, info=info)["model_id"]
        results[q.question] = r
    run_id = _run_id(model_ids)
    by_q = {q.question: q for q in data}
    coding = [coding_rows(r, by_q[qid], run_id, model_ids[qid]) for qid, r in results.items()]
    review = [review_rows(r, s.review_band) for r in results.values()]
    crossfit = [r.crossfit for r in results.values()]
    entries = {qid: _entry(r, model_ids[qid], len(rv), run_id)
               for (qid, r), rv in zip(results.items(), review)}
    agreement: dict[str, Any] = {"floor": s.floor, "model_id": run_id, "questions": entries}
    bias_frame = pd.concat(crossfit, ignore_index=True) if crossfit else pd.DataFrame(
        columns=["response_id", "question", "code", "human", "model", "score"])
    bias = _bias(ctx, bias_frame, list(results))
    raw = resolve_raw(None, ctx.project)
    paths = [
        write_csv(_concat(coding, CODING_COLUMNS), ctx.path(MODEL_CODING), raw=raw),
        write_csv(bias_frame, ctx.path(MODEL_CROSSFIT), raw=raw),
        write_text_atomic(ctx.path(AGREEMENT_MODEL), _dump(agreement)),
        write_csv(_concat(review, ["response_id", "question", "reason", "codes", "scores"]),
                  ctx.path(REVIEW), raw=raw),
        write_text_atomic(ctx.path(MODEL_BIAS), _dump(bias)),
    ]
    paths.append(_manifest(ctx, paths, s, source, model_ids, run_id, embedder))
    ctx.record_written(paths, PRODUCES)
    if ctx.model_info is None:
        ctx.model_info = dict(embedder.model_info)
    notes += [_summary(qid, e) for qid, e in entries.items()]
    notes += [w for q in bias["questions"].values() for w in q["warnings"]]
    return AutocodeRun(run_id, results, agreement, bias, paths, notes)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True)[columns] if kept else pd.DataFrame(columns=columns)


def _summary(qid: str, e: dict[str, Any]) -> str:
    mh, hh = e["model_human"] or {}, e["human_human"] or {}
    alpha = mh.get("masi_alpha")
    judged = (f"model-vs-coder MASI alpha {alpha:.2f}" if alpha is not None
              else "not judged (no human codes)")
    if hh.get("masi_alpha") is not None:
        judged += f" (coder-vs-coder {hh['masi_alpha']:.2f})"
    return (f"autocode {qid}: {e['mode'].replace('_', '-')} on {e['n_coded']} coded answers, "
            f"{judged}; {len(e['human_only'])} human-only codes; {e['n_model_coded']} answers "
            f"coded by the model, {e['n_review']} to review")


def _manifest(ctx: RunContext, outputs: list[Path], s: Settings, source: str,
              model_ids: dict[str, str], run_id: str, embedder: Embedder) -> Path:
    from dataclasses import asdict

    from themeloop.audit.manifest import write_stage_manifest

    project = ctx.project
    inputs: dict[str, Path] = {"coding_table": ctx.coding_path}
    if ctx.codebook is not None:
        inputs["codebook"] = project.codebook_path
    if source == "agreed":
        inputs["agreed"] = ctx.outputs.get(AGREED.key, ctx.path(AGREED))
    return write_stage_manifest(
        ctx.path(AUTOCODE_MANIFEST), "autocode", inputs=inputs, outputs=outputs,
        config={**asdict(s), "training": source, "model_id": run_id, "models": model_ids},
        seeds={"autocode": s.seed}, model=embedder.model_info,
        codebook_version=ctx.codebook.version if ctx.codebook is not None else None,
        relative_to=project.root,
    )


def remove_outputs(ctx: RunContext) -> list[Path]:
    """Delete what an earlier autocode run left in the run's folder (autocode is off now).

    ``agreement_model.json`` stays: with autocode off, the agreement stage writes it.
    """
    removed = []
    for artifact in PRODUCES:
        path = ctx.path(artifact)
        if artifact is not AGREEMENT_MODEL and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


class AutocodeStage:
    """Learn from the coders' codes, judge the model against each coder, code the rest."""

    name = "autocode"
    requires = (CODING_TABLE,)
    produces = PRODUCES

    def run(self, ctx: RunContext) -> StageResult:
        if not ctx.project.config.autocode.enabled:
            removed = remove_outputs(ctx)
            note = "autocode is off ([autocode] enabled = false)"
            return StageResult({}, [note + (f"; removed {len(removed)} files of an earlier "
                                            "run" if removed else "")])
        before = dict(ctx.outputs)
        run = autocode_project(ctx)
        return StageResult.since(ctx, before, run.notes)
