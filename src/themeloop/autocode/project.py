"""Project mode: what the autocoder learns from, per question of a run.

For each question the autocoder sees the substantive answers (pseudonymised
where ``[privacy]`` is on, as every later stage sees them), the codebook's
codes (or, without a codebook, the codes the coding table uses), the human
coders' rows (what the model is judged against) and the training rows: the
agreed table of the adjudicate stage where the run has one, plus every
coder's codes for answers it left undecided; else every coder's codes (and
any adjudication rows) of the coding table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from themeloop.autocode.labels import Targets, targets
from themeloop.coding import judged_rows
from themeloop.pipeline.artifacts import AGREED

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.codebook.model import Code
    from themeloop.pipeline.context import RunContext


@dataclass
class QuestionData:
    """One question's answers, codes and labels.

    ``ids`` / ``texts`` are the substantive answers; ``targets.index``
    points into them (the human-coded ones); ``human`` holds the coders' rows
    of those answers only, so model and coders are compared on the same units.
    """

    question: str
    ids: list[str]
    texts: list[str]
    codes: list[Code]
    human: pd.DataFrame
    targets: Targets
    codebook_version: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def code_ids(self) -> list[str]:
        return [c.id for c in self.codes]

    @property
    def coded(self) -> np.ndarray:
        """Boolean per answer: did a person code it (or adjudicate it)?"""
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[self.targets.index] = True
        return mask


def training_rows(ctx: RunContext) -> tuple[pd.DataFrame, str]:
    """The rows the model learns from, and where they come from (for the manifest)."""
    import pandas as pd

    coding = ctx.coding
    agreed_path = ctx.outputs.get(AGREED.key, ctx.path(AGREED))
    if not agreed_path.is_file():
        return coding, "coding_table"
    agreed = ctx.table(agreed_path).assign(source="adjudication")
    settled = set(zip(agreed["response_id"], agreed["question"]))
    humans = judged_rows(coding, ("human",))
    open_rows = humans[[k not in settled for k in zip(humans["response_id"], humans["question"])]]
    return pd.concat([agreed, open_rows], ignore_index=True), "agreed"


def _codes(ctx: RunContext, qid: str, rows: pd.DataFrame) -> list[Code]:
    from themeloop.autocode.prototypes import plain_codes

    codebook = ctx.codebook
    if codebook is not None and qid in codebook.question_ids:
        return list(codebook.codes(qid))
    return plain_codes(sorted(c for c in set(rows["code"]) if c))


def question_data(ctx: RunContext) -> tuple[list[QuestionData], list[str]]:
    """Per question of the project (in config order), what the autocoder needs; and notes.

    A question with no codes (none in the codebook, none in the coding table)
    or no substantive answer is left out, with a note.
    """
    responses = ctx.responses
    coding = ctx.coding
    train, _ = training_rows(ctx)
    version = ctx.codebook.version if ctx.codebook is not None else None
    out: list[QuestionData] = []
    skipped: list[str] = []
    for q in ctx.project.config.questions:
        r = responses[(responses["question"] == q.id) & responses["substantive"]]
        ids = [str(v) for v in r["response_id"]]
        texts = [str(v) for v in r["text"]]
        q_train = train[train["question"] == q.id]
        codes = _codes(ctx, q.id, q_train)
        if not codes or not ids:
            skipped.append(f"autocode: question '{q.id}' has "
                           f"{'no substantive answer' if codes else 'no codes'}; not coded")
            continue
        known = {c.id for c in codes} | {""}
        notes = []
        unknown = sorted(set(q_train["code"]) - known)
        if unknown:
            notes.append(f"{q.id}: codes not in the codebook are not learned: {', '.join(unknown)}")
            q_train = q_train[q_train["code"].isin(known)]
        t = targets(q_train, ids, [c.id for c in codes])
        coded_ids = {ids[i] for i in t.index}
        human = judged_rows(coding[coding["question"] == q.id], ("human",))
        human = human[human["response_id"].isin(coded_ids) & human["code"].isin(known)]
        out.append(QuestionData(q.id, ids, texts, codes, human.reset_index(drop=True), t,
                                version, notes))
    return out, skipped
