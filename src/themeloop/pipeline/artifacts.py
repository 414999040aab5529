"""Every file a stage writes or reads, defined once, with the stage that writes it.

No other module of ``themeloop`` types an output file name: a stage asks its
:class:`Artifact` for the path (``THEMES_JSON.path(out_dir)``), and a reader
asks the same object, so the writer and every reader cannot drift apart.

An artifact lives in the run's output folder (``where="out"``: ``--out`` or
the project's ``out/``) or in the project's annotations folder
(``where="annotations"``). A few are families, one file per value of a
parameter (``crosstab_<attribute>.csv``, ``coded.<format>``): their ``name``
holds one ``{}`` placeholder, filled by :meth:`Artifact.name_for`.

Examples
--------
>>> from pathlib import Path
>>> AGREED.path(Path("out")).as_posix()
'out/agreed.csv'
>>> CROSSTAB_CSV.name_for("org_type")
'crosstab_org_type.csv'
>>> CROSSTAB_CSV.key_for("org_type")
'crosstab.csv[org_type]'
>>> by_key("agreement.json").stage
'agreement'
>>> CROSSTAB_CSV.pattern
'crosstab_<attribute>.csv'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Where = Literal["out", "annotations"]


@dataclass(frozen=True)
class Artifact:
    """One file (or one family of files) that a stage writes.

    Attributes
    ----------
    key : stable identifier, used as the key of a run's outputs.
    name : the file name; ``{}`` in it marks a family (see :meth:`name_for`).
    stage : the stage that writes it.
    where : ``"out"`` (the run's output folder) or ``"annotations"``.
    what : one line for ``themeloop stages`` and the docs.
    part : for a family, what fills the placeholder (``"attribute"``, ``"format"``).
    """

    key: str
    name: str
    stage: str
    where: Where
    what: str
    part: str = ""

    @property
    def pattern(self) -> str:
        """The name as a person reads it: ``crosstab_<attribute>.csv``, ``annotations/ledger.jsonl``."""
        name = self.name.replace("{}", f"<{self.part}>")
        return name if self.where == "out" else f"annotations/{name}"

    @property
    def is_family(self) -> bool:
        """True when the name holds a placeholder (one file per attribute or format)."""
        return "{}" in self.name

    def name_for(self, part: str | None = None) -> str:
        """The file name, with ``part`` filled in for a family."""
        if self.is_family:
            if part is None:
                raise ValueError(f"artifact {self.key} is a family; name the part")
            return self.name.format(part)
        return self.name

    def key_for(self, part: str | None = None) -> str:
        """The key of one member of a family (``key[part]``), or :attr:`key`."""
        return f"{self.key}[{part}]" if self.is_family and part is not None else self.key

    def path(self, folder: Path, part: str | None = None) -> Path:
        """Where the file is inside ``folder`` (the run's output or annotations folder)."""
        return Path(folder) / self.name_for(part)


def _out(key: str, name: str, stage: str, what: str, part: str = "") -> Artifact:
    return Artifact(key, name, stage, "out", what, part)


# survey: the long responses table, materialised once per run for later stages.
RESPONSES = _out("responses.parquet", "responses.parquet", "load",
                 "the long responses table (one row per respondent and question)")

# privacy: what was found (offsets, never the text) and the pseudonymised survey
PRIVACY_FINDINGS = _out("privacy_findings.csv", "privacy_findings.csv", "privacy",
                        "personal data found: response_id, start, end, entity, score, recogniser")
PSEUDONYMISED = _out("survey_pseudonymised.csv", "survey_pseudonymised.csv", "privacy",
                     "the survey with its answers pseudonymised ('themeloop privacy redact')")

# themes
THEMES_JSON = _out("themes.json", "themes.json", "themes", "proposed themes per question")
ASSIGNMENTS = _out("assignments.csv", "assignments.csv", "themes",
                   "each answer's proposed theme and score")
DRAFT_CODEBOOK = _out("codebook.yaml", "codebook.yaml", "themes",
                      "a draft codebook, one code per theme")
THEMES_MANIFEST = _out("themes.manifest.json", "themes.manifest.json", "themes",
                       "the themes stage's manifest")

# annotations: the coders' coding table (written by 'themeloop pull').
CODING_TABLE = Artifact("coding_table.csv", "coding_table.csv", "annotations", "annotations",
                        "the coders' coding table, as pulled from Label Studio")
PULL_MANIFEST = Artifact("pull.manifest.json", "pull.manifest.json", "annotations",
                         "annotations", "the last pull's manifest")
RAW_DIR = "raw"  # folder of Label Studio snapshots under annotations/ (see studio/pull.py)

# agreement
AGREEMENT_JSON = _out("agreement.json", "agreement.json", "agreement",
                      "inter-coder agreement (DESIGN.md's schema)")
AGREEMENT_NOTES = _out("agreement_notes.json", "agreement_notes.json", "agreement",
                       "plain-language readings and warnings")
AGREEMENT_MODEL = _out("agreement_model.json", "agreement_model.json", "autocode",
                       "the model's agreement with each coder, beside coder with coder "
                       "(the agreement stage writes it from the themes when autocode is off)")
DISAGREEMENTS = _out("disagreements.csv", "disagreements.csv", "agreement",
                     "every unit where coders differ")
AGREEMENT_MANIFEST = _out("agreement.manifest.json", "agreement.manifest.json", "agreement",
                          "the agreement stage's manifest")

# adjudicate
AGREED = _out("agreed.csv", "agreed.csv", "adjudicate", "the agreed coding table")
DECISIONS = _out("adjudication_decisions.csv", "adjudication_decisions.csv", "adjudicate",
                 "every adjudication decision with its inputs")
UNDECIDED = _out("undecided.csv", "undecided.csv", "adjudicate", "what is still undecided")
ADJUDICATE_MANIFEST = _out("adjudicate.manifest.json", "adjudicate.manifest.json",
                           "adjudicate", "the adjudicate stage's manifest")

# autocode: the model codes what no person coded, judged against each coder
MODEL_CODING = _out("model_coding.csv", "model_coding.csv", "autocode",
                    "the model's codes for the answers no person coded (a coding table)")
MODEL_CROSSFIT = _out("model_crossfit.csv", "model_crossfit.csv", "autocode",
                      "out-of-fold model codes of every human-coded answer")
REVIEW = _out("review.csv", "review.csv", "autocode",
              "model-coded answers to review: a score near its threshold, or no code")
MODEL_BIAS = _out("model_bias.json", "model_bias.json", "autocode",
                  "model-minus-human coding rates across respondent groups, with tests")
AUTOCODE_MANIFEST = _out("autocode.manifest.json", "autocode.manifest.json", "autocode",
                         "the autocode stage's manifest")
AUTOCODE_MODELS = "autocode"  # folder of fitted models under the project's models/ (git-ignored)

# merge
CODED = _out("coded", "coded.{}", "merge", "the coded dataset, one file per export format",
             "format")
MERGE_REPORT = _out("merge_report.json", "merge_report.json", "merge",
                    "column counts, renames and per-question summary")
MERGE_MANIFEST = _out("merge.manifest.json", "merge.manifest.json", "merge",
                      "the merge stage's manifest")

# crosstab: one family per attribute
CROSSTAB_CSV = _out("crosstab.csv", "crosstab_{}.csv", "crosstab",
                    "codes by an attribute, with disclosure control", "attribute")
CROSSTAB_XLSX = _out("crosstab.xlsx", "crosstab_{}.xlsx", "crosstab",
                     "the same crosstab as a workbook", "attribute")
CROSSTAB_INTERNAL = _out("crosstab_internal.csv", "crosstab_{}__INTERNAL_unsuppressed.csv",
                         "crosstab", "raw counts, never to publish", "attribute")
CROSSTAB_MANIFEST = _out("crosstab.manifest.json", "crosstab_{}.manifest.json", "crosstab",
                         "the crosstab stage's manifest, per attribute", "attribute")

# qdpx: the coded project for other qualitative-analysis tools (REFI-QDA)
QDPX = _out("project.qdpx", "project.qdpx", "qdpx",
            "the coded project as REFI-QDA, for NVivo, ATLAS.ti, MAXQDA and QualCoder")
QDC = _out("codebook.qdc", "codebook.qdc", "codebook",
           "the codebook as REFI-QDA (written by 'themeloop codebook export --qdc')")

# ledger: the audit ledger (annotations folder)
LEDGER = Artifact("ledger.jsonl", "ledger.jsonl", "ledger", "annotations",
                  "the append-only, hash-chained audit ledger")

# report
REPORT_HTML = _out("report.html", "report.html", "report", "the self-contained HTML report")
REPORT_MANIFEST = _out("report.manifest.json", "report.manifest.json", "report",
                       "the report's manifest")

# the whole run
# A folder's own manifest: the whole run's, and a fitted model folder's (autocode/store.py).
MANIFEST_NAME = "manifest.json"
RUN_MANIFEST = _out(MANIFEST_NAME, MANIFEST_NAME, "run", "the manifest of the whole run")

ALL: tuple[Artifact, ...] = (
    RESPONSES, PRIVACY_FINDINGS, PSEUDONYMISED, THEMES_JSON, ASSIGNMENTS, DRAFT_CODEBOOK, THEMES_MANIFEST, CODING_TABLE,
    PULL_MANIFEST, AGREEMENT_JSON, AGREEMENT_NOTES, AGREEMENT_MODEL, DISAGREEMENTS,
    AGREEMENT_MANIFEST, AGREED, DECISIONS, UNDECIDED, ADJUDICATE_MANIFEST, MODEL_CODING,
    MODEL_CROSSFIT, REVIEW, MODEL_BIAS, AUTOCODE_MANIFEST, CODED, MERGE_REPORT,
    MERGE_MANIFEST, CROSSTAB_CSV, CROSSTAB_XLSX, CROSSTAB_INTERNAL, CROSSTAB_MANIFEST, QDPX, QDC, LEDGER,
    REPORT_HTML, REPORT_MANIFEST, RUN_MANIFEST,
)


def by_key(key: str) -> Artifact:
    """The artifact whose key is ``key``.

    Raises
    ------
    KeyError
        When no artifact has that key.
    """
    for artifact in ALL:
        if artifact.key == key:
            return artifact
    raise KeyError(key)


def produced_by(stage: str) -> tuple[Artifact, ...]:
    """The artifacts that ``stage`` writes, in definition order."""
    return tuple(a for a in ALL if a.stage == stage)
