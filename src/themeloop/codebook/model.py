"""The codebook as typed records: :class:`Code`, :class:`QuestionCodes`, :class:`Codebook`.

The models only describe the shape of ``codebook.yaml`` (unknown keys are
refused). Whether the content is consistent (unique slugs, known parents, no
cycles...) is :func:`themeloop.codebook.check.check_codebook`'s job, so a
codebook with mistakes can still be loaded and reported on in full.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from themeloop.errors import CodebookError, did_you_mean

SLUG = re.compile(r"^[a-z0-9_]+$")


def _none_to(default: Any) -> Any:
    """A before-validator turning YAML's empty value (``key:``) into ``default``."""

    def convert(value: Any) -> Any:
        return default if value is None else value

    return convert


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Record):
    """One code of a question.

    ``id`` is the stable slug stored in coding tables; ``label`` is what coders
    read. ``replaces`` lists ids of an earlier version that this code renames
    or merges, which is how codings are migrated between versions.
    """

    id: str
    label: str
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = Field(default_factory=list)
    parent: str | None = None
    replaces: list[str] = Field(default_factory=list)

    @field_validator("id", "label", "description", "include", "exclude", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        # YAML reads `id: 2020` as an int and `description:` as None.
        if value is None:
            return ""
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("examples", "replaces", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, (str, int)) else value

    @field_validator("examples", "replaces")
    @classmethod
    def _strings(cls, value: list[Any]) -> list[str]:
        return [str(v) for v in value]

    @field_validator("parent", mode="before")
    @classmethod
    def _parent(cls, value: Any) -> Any:
        if value == "":
            return None
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class QuestionCodes(_Record):
    """The codes of one question, in the order coders see them."""

    codes: list[Code] = Field(default_factory=list)

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        return _none_to([])(value)


class Codebook(_Record):
    """A versioned codebook: per question, a list of codes.

    Examples
    --------
    >>> cb = Codebook(version="1.0", questions={"q": {"codes": [
    ...     {"id": "cost", "label": "Cost", "description": "Money."}]}})
    >>> cb.code_ids("q")
    ['cost']
    >>> cb.label("q", "cost")
    'Cost'
    """

    version: str = "1"
    questions: dict[str, QuestionCodes] = Field(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if value is None:
            return "1"
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value

    @field_validator("questions", mode="before")
    @classmethod
    def _questions(cls, value: Any) -> Any:
        return _none_to({})(value)

    @property
    def question_ids(self) -> list[str]:
        """Question ids in file order."""
        return list(self.questions)

    @property
    def n_codes(self) -> int:
        """Number of codes over all questions."""
        return sum(len(q.codes) for q in self.questions.values())

    def codes(self, qid: str) -> list[Code]:
        """The codes of question ``qid``.

        Raises
        ------
        CodebookError
            If the codebook has no question ``qid``.
        """
        if qid not in self.questions:
            known = ", ".join(self.questions) or "none"
            raise CodebookError(
                f"the codebook (version {self.version}) has no question '{qid}'"
                f"{did_you_mean(qid, self.questions)}; its questions are: {known}"
            )
        return list(self.questions[qid].codes)

    def code_ids(self, qid: str) -> list[str]:
        """The code ids of question ``qid``, in codebook order."""
        return [c.id for c in self.codes(qid)]

    def get(self, qid: str, code_id: str) -> Code:
        """The code ``code_id`` of question ``qid``.

        Raises
        ------
        CodebookError
            If the question or the code is unknown (with a did-you-mean).
        """
        codes = self.codes(qid)
        for code in codes:
            if code.id == code_id:
                return code
        ids = [c.id for c in codes]
        raise CodebookError(
            f"question '{qid}' has no code '{code_id}' in codebook version {self.version}"
            f"{did_you_mean(code_id, ids)}"
        )

    def label(self, qid: str, code_id: str) -> str:
        """The human label of a code (for tables, reports and value labels)."""
        return self.get(qid, code_id).label

    def children(self, qid: str, code_id: str | None) -> list[Code]:
        """Codes whose parent is ``code_id`` (``None``: the top-level codes)."""
        return [c for c in self.codes(qid) if c.parent == code_id]
