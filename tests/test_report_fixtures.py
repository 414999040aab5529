"""A small coding project for the report tests, built in code.

``make_project(tmp_path)`` writes a 14-respondent survey with two questions,
a codebook, two coders' table, the agreed table, adjudication decisions,
agreement JSONs, themes.json, a ledger and a manifest: every input the report
reads. One answer is an XSS probe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

XSS = "<script>alert(1)</script>"
CODERS = ("amira@example.org", "ben@example.org")

TOML = """\
seed = 7

[survey]
path = "survey.csv"
id = "org_id"
attributes = ["org_type"]

[[questions]]
id = "barriers"
column = "barriers_text"
prompt = "What are the main barriers to innovation?"

[[questions]]
id = "practice"
column = "practice_text"
prompt = "Describe one new practice & why it <matters>."

[crosstab]
suppress_below = 5
"""

CODEBOOK = {
    "version": "1.1",
    "questions": {
        "barriers": {"codes": [
            {"id": "funding", "label": "Lack of funding", "description": "Money, budgets, grants.",
             "include": "cuts", "exclude": "staff pay", "examples": ["O01:barriers"]},
            {"id": "staff", "label": "Staff & skills <shortage>",
             "description": "Recruiting and keeping people."},
            {"id": "risk", "label": "Fear of risk", "description": "Risk aversion."},
        ]},
        "practice": {"codes": [
            {"id": "remote", "label": "Remote delivery", "description": "Online services."},
            {"id": "family", "label": "Family work", "description": "Family group conferencing."},
        ]},
    },
}

BARRIERS = [
    "No budget to test new ideas.", "Funding cuts and staff turnover.",
    XSS + " funding is short", "We cannot recruit social workers.", "N/A",
    "Budgets are tight; fear of failure.", "Risk aversion and no money.",
    "Money, money, money.", "Recruiting qualified staff on our budget.",
    "Grant funding ended.",
    "Fear of the local paper.", "Too little money for pilots.", "Staff leave within a year.",
    "don't know",
]
PRACTICE = [
    "Online sessions on Discord.", "Family group conferencing.", "Virtual panels.", "",
    "Video calls with families.", "Family meetings at the front door.", "Zoom support groups.",
    "Family group conferences for teenagers.", "Remote check-ins.", "see above",
    "Online training.", "Family network meetings.", "Virtual foster carer evenings.",
    "Family time online.",
]
TYPES = ["charity"] * 6 + ["local authority"] * 6 + ["independent agency"] * 2


def survey_frame() -> pd.DataFrame:
    ids = [f"O{i:02d}" for i in range(1, 15)]
    return pd.DataFrame({"org_id": ids, "org_type": TYPES, "barriers_text": BARRIERS,
                         "practice_text": PRACTICE})


def _codes_for(qid: str, text: str) -> list[str]:
    t = text.lower()
    if qid == "barriers":
        rules = {"funding": ("budget", "fund", "money", "grant"),
                 "staff": ("staff", "recruit"), "risk": ("risk", "fear")}
    else:
        rules = {"remote": ("online", "virtual", "video", "zoom", "remote", "discord"),
                 "family": ("family",)}
    return [c for c, words in rules.items() if any(w in t for w in words)]


def coding_table() -> pd.DataFrame:
    """Two coders; Ben misses 'risk' on O06 and adds 'staff' on O02 vs Amira lacking it."""
    frame = survey_frame()
    rows = []
    for qid, column in (("barriers", "barriers_text"), ("practice", "practice_text")):
        for oid, text in zip(frame["org_id"], frame[column]):
            rid = f"{oid}:{qid}"
            base = _codes_for(qid, text)
            for k, coder in enumerate(CODERS):
                codes = list(base)
                if k == 1 and rid == "O06:barriers":
                    codes.remove("risk")
                if k == 0 and rid == "O02:barriers":
                    codes.remove("staff")
                ts = f"2024-03-0{k + 1}T10:{len(rows) % 60:02d}:00Z"
                for code in codes or [""]:
                    rows.append({"response_id": rid, "question": qid, "coder": coder,
                                 "code": code, "source": "human", "timestamp": ts,
                                 "codebook_version": "1.1",
                                 "memo": "<b>unsure</b> about risk" if rid == "O06:barriers"
                                 and k == 1 else ""})
    return pd.DataFrame(rows)


def agreed_table() -> pd.DataFrame:
    table = coding_table()
    first = table[table["coder"] == CODERS[0]].copy()
    first = first[first["response_id"] != "O06:barriers"]
    extra = [{"response_id": "O06:barriers", "question": "barriers", "code": c}
             for c in ("funding", "risk")]
    first = pd.concat([first, pd.DataFrame(extra)], ignore_index=True)
    first["coder"] = "consensus"
    first["source"] = "adjudication"
    return first[["response_id", "question", "coder", "code", "source"]].reset_index(drop=True)


def decisions() -> pd.DataFrame:
    """``themeloop.adjudicate``'s decisions: one row per (answer, code), contested or not."""
    both = ";".join(CODERS)
    return pd.DataFrame([
        {"response_id": "O01:barriers", "question": "barriers", "code": "funding",
         "decision": "included", "rule": "majority", "votes": both, "coders": both},
        {"response_id": "O02:barriers", "question": "barriers", "code": "staff",
         "decision": "undecided", "rule": "majority", "votes": CODERS[1], "coders": both},
        {"response_id": "O06:barriers", "question": "barriers", "code": "risk",
         "decision": "included", "rule": f"adjudicator:{CODERS[0]}", "votes": CODERS[0],
         "coders": both},
    ])


def undecided() -> pd.DataFrame:
    both = ";".join(CODERS)
    return pd.DataFrame([{"response_id": "O02:barriers", "question": "barriers",
                          "code": "staff", "votes": CODERS[1], "coders": both,
                          "reason": "tie under majority"}])


def _per_code(alpha: float | None, n: int = 14, prevalence: float = 0.4) -> dict:
    return {"n_units": n, "prevalence": prevalence, "percent_agreement": 0.93,
            "cohen_kappa": alpha, "fleiss_kappa": alpha, "krippendorff_alpha": alpha,
            "gwet_ac1": 0.88, "brennan_prediger": 0.86,
            "alpha_ci95": [None, None] if alpha is None else [alpha - 0.25, min(1.0, alpha + 0.1)]}


def agreement() -> dict:
    return {"questions": {
        "barriers": {"n_units": 14, "coders": list(CODERS),
                     "overall": {"percent_agreement": 0.86, "krippendorff_alpha_masi": 0.81,
                                 "mean_krippendorff_alpha": 0.84,
                                 "krippendorff_alpha_nominal": None, "fleiss_kappa": None},
                     "per_code": {"funding": _per_code(1.0), "staff": _per_code(0.78),
                                  "risk": _per_code(0.62, prevalence=0.2)}},
        "practice": {"n_units": 14, "coders": list(CODERS),
                     "overall": {"percent_agreement": 1.0, "krippendorff_alpha_masi": 1.0,
                                 "mean_krippendorff_alpha": 1.0,
                                 "krippendorff_alpha_nominal": None, "fleiss_kappa": None},
                     "per_code": {"remote": _per_code(1.0), "family": _per_code(None)}},
    }}


def agreement_model() -> dict:
    """agreement_model.json as ``themeloop.agreement.model_vs_human`` writes it."""
    out: dict = {"questions": {}}
    for qid, block in agreement()["questions"].items():
        human = {"coders": list(CODERS), **{k: v for k, v in block.items() if k != "coders"}}
        models = []
        for coder, shift in zip(CODERS, (0.1, 0.2)):
            pair = json.loads(json.dumps(human))
            pair["coders"] = ["model:run-abc", coder]
            for stats in pair["per_code"].values():
                if stats["krippendorff_alpha"] is not None:
                    stats["krippendorff_alpha"] = round(stats["krippendorff_alpha"] - shift, 3)
            pair["per_code"]["theme_7"] = dict(next(iter(pair["per_code"].values())))
            models.append(pair)
        summary = {"percent_agreement": 0.8, "krippendorff_alpha_masi": 0.66,
                   "mean_krippendorff_alpha": 0.6, "n_pairs": 2}
        out["questions"][qid] = {
            "model_coders": ["model:run-abc"], "human_coders": list(CODERS),
            "human_pairs": [human], "model_pairs": models,
            "summary": {"human_human": {**{k: block["overall"][k] for k in (
                "percent_agreement", "krippendorff_alpha_masi", "mean_krippendorff_alpha")},
                "n_pairs": 1}, "model_human": summary}}
    return out


def agreement_notes() -> dict:
    """agreement_notes.json as ``themeloop agreement`` writes it (its own thresholds)."""
    rare = "code 'risk': prevalence 20.0% is extreme (kappa paradox)"
    few = "only 14 units were coded by two or more coders (< 30); treat every coefficient " \
          "as a rough guide"
    return {"questions": {
        "barriers": {"reading": {}, "warnings": [few, rare], "per_code": {
            "funding": {"reading": "reliable", "warnings": []},
            "staff": {"reading": "tentative", "warnings": []},
            "risk": {"reading": "unreliable", "warnings": [rare]}}},
    }, "skipped": {}}


def themes() -> dict:
    return {"run_id": "run-abc", "seed": 7, "model": {"id": "all-MiniLM-L6-v2",
                                                      "precision": "bf16"},
            "questions": {"barriers": {
                "strategy": "small-kmeans", "n_responses": 14, "n_substantive": 12,
                "non_substantive": ["O05:barriers", "O14:barriers"], "n_unassigned": 1,
                "themes": [
                    {"id": "budget", "label": "Budget <and> money", "keywords": ["budget", "money"],
                     "size": 6, "share": 0.5, "seeded": False,
                     "quotes": [{"response_id": "O03:barriers", "text": BARRIERS[2]}]},
                    {"id": "people", "label": "People", "keywords": ["staff", "recruit"],
                     "size": 5, "share": 0.42, "seeded": True, "quotes": []},
                ]}}}


def ledger_events() -> list[dict]:
    events = []
    for row in agreed_table().itertuples():
        if not row.code:
            continue
        events.append({"response_id": row.response_id, "question": row.question,
                       "code": row.code, "action": "suggested", "actor": "run-abc",
                       "source": "model", "timestamp": "2024-02-28T09:00:00Z",
                       "codebook_version": "1.1", "manifest_id": "m-themes", "detail": {
                           "score": 0.71}})
    for row in coding_table().itertuples():
        if row.code:
            events.append({"response_id": row.response_id, "question": row.question,
                           "code": row.code, "action": "added", "actor": row.coder,
                           "source": "human", "timestamp": row.timestamp,
                           "codebook_version": "1.1", "manifest_id": "m-pull", "detail": None})
    events.append({"response_id": "O06:barriers", "question": "barriers", "code": "risk",
                   "action": "decided", "actor": "adjudicator", "source": "adjudication",
                   "timestamp": "2024-03-05T12:00:00Z", "codebook_version": "1.1",
                   "manifest_id": "m-adj", "detail": {"decision": "applied", "votes": "1 of 2"}})
    return events


def manifest() -> dict:
    return {"command": "run", "manifest_id": "0123456789abcdef", "seeds": {"themes": 7},
            "codebook_version": "1.1", "versions": {"python": "3.11.2", "themeloop": "0.1.0"},
            "inputs": {}, "outputs": {}, "config": {}, "model": None}


def make_project(root: Path) -> Path:
    """Write the whole project under ``root`` and return ``root``."""
    import yaml

    from themeloop.audit.ledger import Ledger

    root.mkdir(parents=True, exist_ok=True)
    (root / "themeloop.toml").write_text(TOML, encoding="utf-8")
    survey_frame().to_csv(root / "survey.csv", index=False)
    (root / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK, sort_keys=False), "utf-8")
    ann = root / "annotations"
    ann.mkdir()
    coding_table().to_csv(ann / "coding_table.csv", index=False)
    Ledger(ann / "ledger.jsonl").append(ledger_events())
    out = root / "out"
    out.mkdir()
    agreed_table().to_csv(out / "agreed.csv", index=False)
    decisions().to_csv(out / "adjudication_decisions.csv", index=False)
    undecided().to_csv(out / "undecided.csv", index=False)
    for name, data in (("agreement.json", agreement()), ("agreement_model.json",
                       agreement_model()), ("agreement_notes.json", agreement_notes()),
                       ("themes.json", themes()), ("merge.manifest.json", manifest())):
        (out / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return root


def test_fixture_is_consistent(tmp_path):
    root = make_project(tmp_path / "p")
    assert (root / "annotations" / "ledger.jsonl").is_file()
    assert set(agreed_table()["coder"]) == {"consensus"}
