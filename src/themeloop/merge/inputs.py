"""Reading merge's inputs: the agreed coding table and the codebook.

Both go through the other stages' readers (``themeloop.coding`` and
``themeloop.codebook``) so that a table or codebook is validated the same way
everywhere; merge adds only its own checks (one coder, known ids, known codes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from themeloop.errors import MergeError

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("response_id", "question", "coder", "code")


class CodeLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def description(self) -> str: ...


class CodebookLike(Protocol):
    """What merge needs from a codebook (``themeloop.codebook.Codebook`` fits)."""

    @property
    def version(self) -> str: ...

    @property
    def question_ids(self) -> list[str]: ...

    def codes(self, qid: str) -> Sequence[CodeLike]: ...


def require_agreed_table(path: Path) -> None:
    """Raise :class:`MergeError` when the agreed table at ``path`` does not exist."""
    if not path.is_file():
        raise MergeError(
            f"{path}: no agreed coding table; run 'themeloop adjudicate' first or pass --codes FILE"
        )


def read_agreed_table(path: str | Path) -> pd.DataFrame:
    """Read a coding table (CSV or Parquet) through ``themeloop.coding``'s validated reader.

    Raises
    ------
    MergeError
        When the file does not exist.
    CodingTableError
        When it is not a valid coding table.
    """
    path = Path(path)
    require_agreed_table(path)
    from themeloop.coding import read_coding_table

    return read_coding_table(path)


def load_project_codebook(path: str | Path) -> CodebookLike | None:
    """The project's codebook, or ``None`` when the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return None
    from themeloop.codebook import load_codebook

    return load_codebook(path)


def codebook_codes(codebook: CodebookLike | None, qid: str) -> list[CodeLike]:
    """The codes of ``qid`` in codebook order; none when the codebook lacks the question."""
    if codebook is None or qid not in codebook.question_ids:
        return []
    return list(codebook.codes(qid))
