"""Autocoder on the bundled survey: cross-fitted model-vs-human MASI alpha per question.

For each question of examples/innovation-survey, beside the two coders'
human-human alpha: the zero-shot model (codebook only) and the supervised
model, cross-fitted (every coded answer predicted by a model that did not
see it), trained on the adjudicated codes where they exist, else on both
coders' codes. Today's theme assignments reach 0.11 / 0.30 / 0.35 (issue 13).
Prints one JSON object last.

    PYTHONPATH=src:bench python bench/autocode_survey.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TODAY = {"barriers": 0.11, "practice": 0.30, "radical": 0.35}


def main(folds: int = 5) -> dict:
    import pandas as pd
    from _autocode_data import cache_dir

    from themeloop.agreement import model_vs_human
    from themeloop.autocode import AutoCoder, build_prototypes
    from themeloop.autocode.evaluate import evaluate_model, model_rows
    from themeloop.autocode.labels import targets
    from themeloop.codebook.io import load_codebook
    from themeloop.coding import read_coding_table
    from themeloop.config import find_project
    from themeloop.embed import Embedder
    from themeloop.survey import load_project_survey

    t0 = time.time()
    proj = find_project(ROOT / "examples" / "innovation-survey")
    responses = load_project_survey(proj).responses()
    codebook = load_codebook(proj.codebook_path)
    coding = read_coding_table(proj.coding_table_path)
    embedder = Embedder(cache_dir=cache_dir())
    out: dict = {"survey": "examples/innovation-survey", "folds": folds, "questions": {}}
    for qid in codebook.question_ids:
        r = responses[(responses["question"] == qid) & responses["substantive"]]
        ids, texts = r["response_id"].tolist(), r["text"].tolist()
        x = embedder.encode(texts)
        codes = codebook.codes(qid)
        code_ids = [c.id for c in codes]
        protos = build_prototypes(codes, embedder.encode, dict(zip(ids, texts)))
        human = coding[coding["question"] == qid]
        t = targets(human, ids, code_ids)
        zs = AutoCoder().fit(x, None, codes=code_ids, prototypes=protos)
        coded = t.index
        zrows = model_rows([ids[i] for i in coded], zs.predict(x[coded]), zs.predict_proba(x[coded]),
                           code_ids, question=qid, coder="zero_shot")
        table = pd.concat([human, zrows.drop(columns="score")], ignore_index=True)
        zs_alpha = model_vs_human(table, bootstrap=0)["questions"][qid]["summary"]
        sup = evaluate_model(AutoCoder, x, texts, ids, human, t, codes=code_ids, prototypes=protos,
                             question=qid, folds=folds, bootstrap=200)
        summary = sup["agreement"]["summary"]
        out["questions"][qid] = {
            "n_coded": len(coded), "n_codes": len(code_ids),
            "human_human_masi_alpha": summary["human_human"]["krippendorff_alpha_masi"],
            "today_model_human_masi_alpha": TODAY.get(qid),
            "zero_shot_model_human_masi_alpha": zs_alpha["model_human"]["krippendorff_alpha_masi"],
            "supervised_model_human_masi_alpha": summary["model_human"]["krippendorff_alpha_masi"],
            "supervised_sample_f1": sup["sample_f1"],
            "supervised_codes": int(sum(m == "supervised" for m in AutoCoder().fit(
                x[coded], t.y, codes=code_ids, prototypes=protos,
                texts=[texts[i] for i in coded]).modes_)),
            "human_only": sup["human_only"],
        }
        print(json.dumps({qid: out["questions"][qid]}), file=sys.stderr, flush=True)
    best = {q: max(v["zero_shot_model_human_masi_alpha"] or -1,
                   v["supervised_model_human_masi_alpha"] or -1)
            for q, v in out["questions"].items()}
    out["doubles_today_everywhere"] = all(best[q] >= 2 * TODAY[q] for q in TODAY if q in best)
    out["seconds"] = round(time.time() - t0, 1)
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
