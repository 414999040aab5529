"""Build ``walkthrough.ipynb`` from the cells below and store it WITH its outputs.

Run from anywhere, with the analysis venv::

    .venv/bin/python notebooks/make_walkthrough.py          # build, execute, write
    .venv/bin/python notebooks/make_walkthrough.py --no-run # build only (no outputs)

The notebook is executed by nbclient in ``notebooks/`` with the ``python3``
kernel (jupyter_client runs it with this interpreter), so edit the cells
here, not in Jupyter, and rerun this script: the stored notebook then always
matches its source. The notebook writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
TARGET = HERE / "walkthrough.ipynb"
TIMEOUT_S = 600  # per cell

CELLS: list[tuple[str, str]] = [
    ("md", """\
# themeloop walkthrough: the whole loop on a small survey

This notebook takes the bundled sample survey (`examples/innovation-survey`: 41 children's
services organisations answering three open questions) through every step of a qualitative
coding project, using themeloop's Python API:

1. **load** the survey and look at the answers;
2. **propose themes** with a sentence-embedding model, seeded by the codebook;
3. **check the codebook** the coders used;
4. read the **coding table**: two coders' codes, plus a lead researcher's rulings;
5. measure **inter-coder agreement** (percent agreement, Cohen's kappa, Krippendorff's alpha)
   and list the disagreements; compare the model's suggestions with the coders;
6. **adjudicate**: one agreed code set per answer;
7. **merge** the agreed codes back into the survey as 0/1 columns, and **crosstab** them by type
   of organisation;
8. do all of it **in one call** (`run_project`), with the audit ledger and the HTML report.

The survey is invented (modelled on a real national survey, see the project's README), so the
numbers illustrate the method, not children's services. Nothing is written into the
repository: the notebook works on a copy of the project in a temporary folder. Every model
runs offline on the CPU."""),
    ("code", """\
import os

# Nothing may reach a model hub; the embedding model ships as a Python package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import display

pd.set_option("display.max_colwidth", 70)
pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 140)
warnings.filterwarnings("ignore", message="IProgress not found")  # no widgets needed here


def short(text, n=80):
    \"\"\"An answer cut to n characters, for tables.\"\"\"
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# The sample project and its coding table, copied into a scratch folder. Its themeloop.toml
# finds the coding table at ../../annotations/innovation-survey, so keep that layout.
REPO = next(p for p in (Path.cwd(), *Path.cwd().parents)
            if (p / "examples" / "innovation-survey" / "themeloop.toml").is_file())
WORK = Path(tempfile.mkdtemp(prefix="themeloop-walkthrough-"))
leave_out = shutil.ignore_patterns("out", "cache", "fitted", ".themeloop", "ledger.jsonl", "raw",
                                   "__pycache__")
for part in ("examples/innovation-survey", "annotations/innovation-survey"):
    shutil.copytree(REPO / part, WORK / part, ignore=leave_out)
print("Working copy:", ", ".join(sorted(p.relative_to(WORK).as_posix() for p in WORK.glob("*/*"))))"""),
    ("md", """\
## 1. The survey

A themeloop *project* is a folder with a `themeloop.toml` that names the survey file, the
respondent id column, the open questions and the respondent attributes to break results down
by. `find_project` reads it; `load_project_survey` reads and validates the survey."""),
    ("code", """\
from themeloop.config import find_project
from themeloop.survey import load_project_survey
from themeloop.survey.summary import summarise

project = find_project(WORK / "examples" / "innovation-survey")
survey = load_project_survey(project)
summary = summarise(survey)
print(f"{summary['respondents']} respondents, {len(summary['questions'])} open questions")
pd.DataFrame(summary["questions"]).T[["prompt", "answers", "non_substantive", "median_words"]]"""),
    ("code", """\
pd.Series(summary["attributes"]["org_type"], name="organisations").rename_axis("org_type").to_frame()"""),
    ("md", """\
Analysis works on the *long* responses table: one row per respondent and question, with a
`response_id` of the form `<respondent>:<question>`. Answers such as "N/A" or "don't know" are
flagged as not substantive, so they are neither themed nor counted as "did not mention"."""),
    ("code", """\
responses = survey.responses()
print(f"{len(responses)} answers; not substantive:")
responses.loc[~responses["substantive"], ["response_id", "text"]]"""),
    ("md", """\
## 2. Proposed themes

`propose_themes` embeds every substantive answer with a small sentence-embedding model
(all-MiniLM-L6-v2), clusters similar answers and names each cluster by its most distinctive
words (c-TF-IDF). The project's codebook *seeds* it: answers close to a code's label and
description join that code's theme (`seeded` = True), and the rest form new, inductive themes
the codebook may be missing. The embeddings are cached in the project's `models/cache`, so a
rerun does not encode the answers again. Everything is seeded, so a rerun gives the same
themes.

Themes are suggestions for the researcher, not results: read the quotes, rename, merge or drop
them, and turn the useful ones into codes."""),
    ("code", """\
from themeloop.embed import Embedder
from themeloop.themes import propose_themes
from themeloop.themes.io import read_seed_codes

embedder = Embedder(cache_dir=project.models_dir / "cache")
seed_codes = read_seed_codes(project.codebook_path)  # {question: [SeedCode(id, label, description)]}
themes = propose_themes(responses, embedder, seed=project.config.seed, seed_codes=seed_codes)
print(f"model: {themes.model['id']}")
pd.DataFrame([
    {"question": qid, "answers themed": q.n_substantive - q.n_unassigned,
     "themes": len(q.themes), "seeded": sum(t.seeded for t in q.themes)}
    for qid, q in themes.questions.items()
]).set_index("question")"""),
    ("code", """\
theme_table = pd.DataFrame([
    {"question": qid, "theme": t.label, "seeded": t.seeded, "size": t.size,
     "keywords": ", ".join(t.keywords[:4]), "a quote": short(t.quotes[0].text, 70) if t.quotes else ""}
    for qid, q in themes.questions.items() for t in q.themes
])
theme_table"""),
    ("md", """\
## 3. The codebook

The coders worked with a hand-written, deductive codebook (`codebook.yaml`): per question, codes
with an id, a label and a description (and optionally include/exclude rules, examples and a
parent code). `check_codebook` lists problems such as duplicate ids, a code whose parent does
not exist, or a question the survey does not have; an empty list means it is clean."""),
    ("code", """\
from themeloop.codebook import check_codebook, load_codebook

codebook = load_codebook(project.codebook_path)
problems = check_codebook(codebook, questions=[q.id for q in survey.questions])
print(f"codebook version {codebook.version}: "
      + ", ".join(f"{qid} {len(codebook.code_ids(qid))} codes" for qid in codebook.questions))
print("problems:", [p.message for p in problems] or "none")
pd.DataFrame([{"code": c.id, "label": c.label, "description": short(c.description, 70)}
              for c in codebook.codes("barriers")])"""),
    ("md", """\
## 4. The coding table

Two coders coded every answer independently (in Label Studio; here the exported table is
bundled). The coding table is long: one row per code applied, and one row with an empty code
when a coder read an answer and applied none. A lead researcher then ruled on the answers
where the coders differed; her rows have `source = "adjudication"`."""),
    ("code", """\
from themeloop.coding import read_coding_table

table = read_coding_table(project.annotations_dir / "coding_table.csv")
display(table.groupby(["coder", "source"]).agg(rows=("code", "size"), answers=("response_id", "nunique")))
table[["response_id", "coder", "code", "source", "memo"]].head(6)"""),
    ("md", """\
## 5. Inter-coder agreement

Agreement is measured per question and, for each code, on whether the coders applied it
(yes/no) to each answer:

* **Percent agreement**: the share of answers where both coders made the same call. Easy to
  read, but it ignores agreement by chance: two coders who never apply a rare code agree on
  almost every answer without reading any of them.
* **Cohen's kappa** (two coders) corrects for chance: `(observed − expected) / (1 − expected)`,
  where *expected* is the agreement two coders with these code frequencies would reach by
  guessing. 1 is perfect agreement, 0 is no better than chance.
* **Krippendorff's alpha** is the same idea for any number of coders, with missing codings
  allowed. Krippendorff's reading: alpha ≥ .800 *reliable*; .667 to .800 *tentative
  conclusions only*; below .667 *unreliable*. Each alpha has a 95% interval from 200 bootstrap
  resamples of the answers: with 41 answers the intervals are wide, and worth reading.
* Across all codes of a question, **alpha (MASI)** compares each answer's whole code set, with
  partial credit when the sets overlap.

`agreement_report` returns `.result` (the `agreement.json` of the design document) and `.notes`
(plain-language readings and warnings)."""),
    ("code", """\
from themeloop.agreement import agreement_report

report = agreement_report(table, bootstrap=200, seed=project.config.seed)
pd.DataFrame([
    {"question": qid, "answers": b["n_units"], "coders": len(b["coders"]),
     "percent agreement": b["overall"]["percent_agreement"],
     "alpha (MASI, code sets)": b["overall"]["krippendorff_alpha_masi"],
     "mean alpha over codes": b["overall"]["mean_krippendorff_alpha"]}
    for qid, b in report.result["questions"].items()
]).set_index("question").round(3)"""),
    ("code", """\
def per_code(qid):
    \"\"\"One row per code: how often it was used, agreement, and its reading.\"\"\"
    block = report.result["questions"][qid]["per_code"]
    readings = report.notes["questions"][qid]["per_code"]
    return pd.DataFrame([
        {"code": code, "prevalence": s["prevalence"], "percent agreement": s["percent_agreement"],
         "Cohen's kappa": s["cohen_kappa"], "alpha": s["krippendorff_alpha"],
         "alpha 95% CI": "–".join(f"{v:.2f}" for v in s["alpha_ci95"]) if s["alpha_ci95"] else "",
         "Gwet's AC1": s["gwet_ac1"], "reading": readings[code]["reading"]}
        for code, s in block.items()
    ]).set_index("code").round(3)


per_code("practice")"""),
    ("md", """\
### The kappa paradox in small samples

Kappa and alpha fall sharply when a code is rare. If a code fits only one or two of 41
answers, chance agreement on "not this code" is already close to 100%, so a single
disagreement pulls kappa down even though the coders agree on almost every answer. Gwet's AC1
corrects for chance differently and stays high. With a small survey: report percent agreement
and AC1 beside kappa/alpha for rare codes, read the confidence interval, and look at the
answers behind the disagreement before deciding that the code is unreliable. The notes flag
every such code:"""),
    ("code", """\
rows = [(qid, code, s) for qid, b in report.result["questions"].items() for code, s in b["per_code"].items()]
qid, code, s = max(rows, key=lambda r: r[2]["percent_agreement"] - (r[2]["cohen_kappa"] or 0))
print(f"{qid}/{code}: used on {s['prevalence']:.1%} of answers; the coders agree on "
      f"{s['percent_agreement']:.1%} of answers, yet kappa = {s['cohen_kappa']:.2f} "
      f"(alpha {s['krippendorff_alpha']:.2f}, 95% CI {s['alpha_ci95'][0]:.2f} to {s['alpha_ci95'][1]:.2f}); "
      f"Gwet's AC1 = {s['gwet_ac1']:.2f}.\\n")
for qid, notes in report.notes["questions"].items():
    for warning in notes["warnings"]:
        print(f"{qid}: {warning}")"""),
    ("md", """\
### Where the coders differ

`disagreements` lists every answer whose two code sets differ, with the disputed codes and
each coder's memo: the agenda for the adjudication meeting, and often the best way to sharpen
a code's definition."""),
    ("code", """\
from themeloop.agreement import disagreements

dis = disagreements(table, responses)
print(f"{len(dis)} of {table['response_id'].nunique()} answers have different code sets")
empty_memos = [c for c in dis.columns if c.endswith(" memo") and not dis[c].any()]
(dis.assign(text=dis["text"].map(lambda t: short(t, 60)))
    .drop(columns=["question", *empty_memos])
    .rename(columns=lambda c: c.replace("@example.org", ""))
    .head(6))"""),
    ("md", """\
### The model against the coders

How close were the proposed themes to what the coders did? `assignments_to_coding` turns the
model's theme per answer into coding-table rows (coder `model`), and `model_vs_human` scores
the model against each coder beside the coders against each other. Only *seeded* themes share
their ids with codebook codes, so every answer the model put in an inductive theme counts as a
disagreement: a low model-human alpha here says "the model's themes are not the codebook",
not "the model is wrong". (No bootstrap here: it is a quick comparison.)"""),
    ("code", """\
from themeloop.agreement import assignments_to_coding, model_vs_human

assignments = pd.DataFrame([
    {"response_id": rid, "question": qid, "theme_id": tid}
    for qid, q in themes.questions.items() for rid, tid in zip(q.response_ids, q.theme_ids)
])
with_model = pd.concat([table, assignments_to_coding(assignments)], ignore_index=True)
versus = model_vs_human(with_model, bootstrap=0)
pd.DataFrame({
    qid: {"coder vs coder: mean alpha": v["summary"]["human_human"]["mean_krippendorff_alpha"],
          "model vs coder: mean alpha": v["summary"]["model_human"]["mean_krippendorff_alpha"],
          "coder vs coder: % agreement": v["summary"]["human_human"]["percent_agreement"],
          "model vs coder: % agreement": v["summary"]["model_human"]["percent_agreement"]}
    for qid, v in versus["questions"].items()
}).T.round(3)"""),
    ("md", """\
## 6. Adjudication

`adjudicate` turns several coders' codes into one agreed code set per answer. The project's
rule is `adjudicator:chloe.reid@example.org`: where the two coders agree their codes stand
(`unanimous`); where they differ, the lead researcher's ruling decides. Every decision keeps
its rule and who voted for it, and nothing is resolved silently: an answer with an open
decision stays out of the agreed table and is listed in `undecided`."""),
    ("code", """\
from themeloop.adjudicate import adjudicate

result = adjudicate(table, project.config.adjudication.rule)
print(f"rule {result.rule}: {len(result.agreed)} agreed codes on "
      f"{result.agreed['response_id'].nunique()} answers; {len(result.undecided)} undecided")
result.decisions.groupby(["rule", "decision"]).size().rename("decisions").to_frame()"""),
    ("code", """\
ruled = result.decisions[result.decisions["rule"].str.startswith("adjudicator")]
print("The lead researcher's rulings (an empty code means 'no code at all'):")
ruled[["response_id", "code", "decision", "votes"]].replace({"": "—"}).head(6)"""),
    ("md", """\
## 7. Merge back and crosstab

`themeloop.merge` puts the agreed codes back into the survey: the original rows and columns,
then per question one 0/1 column per code (`barriers__funding`: 1 mentioned, 0 not mentioned,
missing when there was no substantive answer), a code count, a non-substantive flag and who
coded the answer (`barriers__coded_by`: human, adjudicated, model or none). The
frame has one row per respondent, in the survey's order, ready for any statistics package."""),
    ("code", """\
import themeloop

merged = themeloop.merge(survey, result.agreed, codebook)
print(f"{merged.shape[0]} rows × {merged.shape[1]} columns "
      f"({len(survey.frame.columns)} original + {merged.shape[1] - len(survey.frame.columns)} from the codes)")
barrier_columns = [c for c in merged.columns if c.startswith("barriers__")]
merged[["org_id", "org_type", *barrier_columns[:5], "barriers__n_codes"]].head()"""),
    ("md", """\
A **crosstab** shows, for each code, how many respondents in each group mentioned it and what
share of the group that is. The base of a percentage is the group's respondents whose answer
was coded (non-substantive answers are left out, not counted as "no"). The last columns give
the overall share with a Wilson 95% interval and a test of independence (an exact test here,
because the groups are small): a small p-value says the share differs between types of
organisation more than chance would explain. With groups of 6 to 19 organisations, only large
differences can show up, and many tests side by side will produce some small p-values by
chance.

The *published* table applies disclosure control: counts under 5 are shown as `<5` (and a
second cell where needed, so the hidden one cannot be worked out from the total); the raw
counts stay in `.internal`. Below, each cell reads *count (percentage of the group)*, the
`(base)` row gives each group's base, and `p` is the test's p-value."""),
    ("code", """\
from themeloop.merge import build_merged
from themeloop.merge.crosstab import crosstab

dataset = build_merged(survey, result.agreed, codebook)
table_by_type = crosstab(dataset, "org_type", question="barriers",
                         suppress_below=project.config.crosstab.suppress_below)
raw = table_by_type.internal.set_index("code")
la_base, la_funding = raw.loc["(base)", "local authority: n"], raw.loc["funding", "local authority: n"]
print(f"{la_funding} of {la_base} local authorities ({raw.loc['funding', 'local authority: %']:.0f}%) "
      f"named funding as a barrier, against {raw.loc['funding', 'all: %']:.0f}% of all "
      f"organisations (p = {raw.loc['funding', 'p_value']:.3f}).")
published = table_by_type.published().set_index("code")


def cell(n, pct):
    \"\"\"'13 (68%)', or the count alone for a base or a suppressed cell.\"\"\"
    return str(n) if pd.isna(pct) else f"{n} ({pct:.0f}%)"


groups = [*table_by_type.groups, "all"]
pd.DataFrame({g: [cell(n, p) for n, p in zip(published[f"{g}: n"], published[f"{g}: %"])]
              for g in groups}, index=published.index).assign(
    p=published["p_value"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"))"""),
    ("md", """\
## 8. The whole job in one call

`run_project` runs every step above on a project and writes the results, each with a manifest
of input and output checksums (so a rerun can be checked byte for byte), plus one manifest for
the run: themes, agreement (coders, and the model against the coders), adjudication, the merged
dataset in CSV, Parquet, Excel, SPSS and Stata formats, crosstabs, the audit ledger and the HTML
report. The embeddings cached in step 2 are reused."""),
    ("code", """\
from themeloop.pipeline import run_project

run = run_project(project, out=WORK / "out")
print(f"{len(run.outputs)} files written to out/, e.g. "
      + ", ".join(sorted(p.name for p in run.outputs.values())[:8]) + ", …")
for note in run.notes:
    print("note:", note)
pd.Series(run.seconds, name="seconds").to_frame().T"""),
    ("md", """\
### The audit ledger

Every model suggestion, human code and adjudication decision is appended to a hash-chained
ledger (`annotations/<project>/ledger.jsonl`; here in the scratch copy), each event signed with
the project's key (`.themeloop/ledger.key`). `verify` checks that no event was changed, forged
or removed, and `explain` tells the history of one answer's codes: what the model suggested,
what each coder applied, and what was decided."""),
    ("code", """\
from themeloop.audit.project import project_ledger

ledger = project_ledger(project)  # with the project's key and the heads its manifests recorded
events = pd.DataFrame(ledger.events())
print(f"{len(events)} events; chain intact: {ledger.verify().ok}")
display(events.groupby(["action", "source"]).size().rename("events").to_frame())
answer = dis["response_id"].iloc[0]
print(f"History of {answer}: {short(responses.set_index('response_id').loc[answer, 'text'], 100)}")
history = pd.DataFrame(ledger.explain(answer))
history["decision"] = [(d or {}).get("decision", "") for d in history["detail"]]
history["code"] = history["code"].fillna("").replace({"": "(no code)"})
history[["timestamp", "actor", "source", "action", "code", "decision"]]"""),
    ("md", """\
### The report

The last stage writes one self-contained HTML page (`report.html`, no internet needed to open
it): themes with quotes, the codebook, agreement with its readings and warnings, the
crosstabs and the provenance of every number. `write_report` rebuilds it from the files of a
run, for instance broken down by another attribute:"""),
    ("code", """\
from themeloop.report import write_report

by_level = WORK / "out-by-innovation-level"
shutil.copytree(run.out_dir, by_level)
page = write_report(project, by_level, by="innovation_level")
for path, by in ((run.outputs["report.html"], "org_type"), (page, "innovation_level")):
    print(f"{path.relative_to(WORK).as_posix()}: {path.stat().st_size / 1024:.0f} KiB, by {by}")"""),
    ("md", """\
That is the loop: propose themes, code, measure agreement, adjudicate, merge, tabulate, and
keep an audit trail. On your own survey, `themeloop init` creates the project and the same
steps run from the command line (`themeloop run`) or, as here, from Python.

Clean up the scratch folder when done:"""),
    ("code", """\
shutil.rmtree(WORK)
print("scratch folder removed")"""),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs."""
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: regenerating gives small diffs
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    """Run every cell in ``notebooks/`` with the python3 kernel; return seconds taken."""
    from nbclient import NotebookClient

    start = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="write the notebook without outputs")
    parser.add_argument("--out", type=Path, default=TARGET, help=f"where to write (default {TARGET})")
    args = parser.parse_args(argv)
    nb = build()
    if not args.no_run:
        seconds = execute(nb)
        print(f"executed in {seconds:.0f} s", file=sys.stderr)
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    nbformat.write(nb, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
