"""Codebook versions: what changed between two, and moving codings across.

A new version says how its codes relate to the old ones through ``replaces``:
a code that replaces one old id renames it, a code that replaces several (or
keeps its id and replaces others) merges them. Ids present in both versions
map to themselves; an old id that is neither kept nor replaced is removed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from themeloop.codebook.model import Codebook
from themeloop.errors import CodebookError, CodingTableError

if TYPE_CHECKING:
    import pandas as pd


class CodeRef(NamedTuple):
    question: str
    code: str


class Rename(NamedTuple):
    question: str
    old: str
    new: str


class Merge(NamedTuple):
    question: str
    new: str
    olds: tuple[str, ...]


class Change(NamedTuple):
    question: str
    code: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CodebookDiff:
    """The difference between two codebook versions.

    ``mapping`` sends every old ``(question, code)`` to its new code id, or to
    ``None`` when the code was removed without a successor.
    """

    old_version: str
    new_version: str
    added: list[CodeRef] = field(default_factory=list)
    removed: list[CodeRef] = field(default_factory=list)
    renamed: list[Rename] = field(default_factory=list)
    merged: list[Merge] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    mapping: dict[tuple[str, str], str | None] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when no code was added, removed, renamed, merged or edited."""
        return not (self.added or self.removed or self.renamed or self.merged or self.changed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (mapping as ``{question: {old: new}}``)."""
        mapping: dict[str, dict[str, str | None]] = {}
        for (qid, old), new in self.mapping.items():
            mapping.setdefault(qid, {})[old] = new
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "added": [r._asdict() for r in self.added],
            "removed": [r._asdict() for r in self.removed],
            "renamed": [r._asdict() for r in self.renamed],
            "merged": [{**m._asdict(), "olds": list(m.olds)} for m in self.merged],
            "changed": [{**c._asdict(), "fields": list(c.fields)} for c in self.changed],
            "mapping": mapping,
        }


_EDITABLE = ("label", "description", "include", "exclude", "examples", "parent")


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """Compare two codebook versions.

    Examples
    --------
    >>> a = Codebook(version="1", questions={"q": {"codes": [
    ...     {"id": "cost", "label": "Cost"}, {"id": "staff", "label": "Staff"}]}})
    >>> b = Codebook(version="2", questions={"q": {"codes": [
    ...     {"id": "money", "label": "Money", "replaces": ["cost"]}]}})
    >>> d = diff_codebooks(a, b)
    >>> d.renamed, d.removed
    ([Rename(question='q', old='cost', new='money')], [CodeRef(question='q', code='staff')])
    >>> d.mapping
    {('q', 'cost'): 'money', ('q', 'staff'): None}
    """
    diff = CodebookDiff(old.version, new.version)
    for qid in [*old.questions, *(q for q in new.questions if q not in old.questions)]:
        old_codes = {c.id: c for c in old.questions[qid].codes} if qid in old.questions else {}
        new_codes = {c.id: c for c in new.questions[qid].codes} if qid in new.questions else {}
        _diff_question(diff, qid, old_codes, new_codes)
    return diff


def _diff_question(diff: CodebookDiff, qid: str, old_codes: dict, new_codes: dict) -> None:
    taken: set[str] = set()
    for cid, code in new_codes.items():
        sources = [cid] if cid in old_codes else []
        sources += [o for o in code.replaces if o in old_codes and o not in new_codes]
        taken.update(sources)
        for source in sources:
            diff.mapping[(qid, source)] = cid
        if not sources:
            diff.added.append(CodeRef(qid, cid))
        elif len(sources) > 1:
            diff.merged.append(Merge(qid, cid, tuple(sources)))
        elif sources[0] != cid:
            diff.renamed.append(Rename(qid, sources[0], cid))
        else:
            edited = tuple(f for f in _EDITABLE if getattr(code, f) != getattr(old_codes[cid], f))
            if edited:
                diff.changed.append(Change(qid, cid, edited))
    for cid in old_codes:
        if cid not in taken:
            diff.removed.append(CodeRef(qid, cid))
            diff.mapping[(qid, cid)] = None


@dataclass(frozen=True)
class MigrationEvent:
    """One coding row moved to a new code (``new_code`` None: dropped)."""

    response_id: str
    question: str
    coder: str
    old_code: str
    new_code: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Migration(NamedTuple):
    """What :func:`migrate_codings` returns: the new table and what moved."""

    table: pd.DataFrame
    events: list[MigrationEvent]


_KEY = ["response_id", "question", "coder"]


def migrate_codings(
    table: pd.DataFrame,
    diff: CodebookDiff | Mapping[tuple[str, str], str | None],
    *,
    drop_removed: bool = False,
) -> Migration:
    """Rewrite a coding table's ``code`` column from an old codebook version to a new one.

    Parameters
    ----------
    table
        A coding table (``response_id, question, coder, code`` and any optional columns).
    diff
        A :class:`CodebookDiff`, or a mapping ``{(question, old_code): new_code or None}``.
        Codes the mapping does not name are left as they are.
    drop_removed
        Drop rows whose code was removed without a successor instead of refusing.
        A coder left with no code on an answer keeps one row with an empty code.

    Returns
    -------
    Migration
        ``(table, events)``: the migrated table (rows in the original order;
        when a merge gives one coder the same code twice on one answer the
        first row is kept) and one :class:`MigrationEvent` per changed row.
        With a diff, a ``codebook_version`` column is set to the new version.

    Raises
    ------
    CodingTableError
        If a required column is missing.
    CodebookError
        If removed codes are still in use and ``drop_removed`` is false; the
        message lists each with its row count.
    """
    missing = [c for c in (*_KEY, "code") if c not in table.columns]
    if missing:
        raise CodingTableError(f"coding table: missing column(s) {', '.join(missing)}; "
                               "a coding table needs response_id, question, coder, code")
    mapping = diff.mapping if isinstance(diff, CodebookDiff) else dict(diff)
    out = table.reset_index(drop=True).copy()
    keys = list(zip(out["question"].astype(str), out["code"].map(_code_text)))
    targets = [mapping.get(k, k[1]) if k[1] else k[1] for k in keys]
    dropped = [i for i, t in enumerate(targets) if t is None]
    if dropped and not drop_removed:
        raise CodebookError(_removed_message(keys, dropped, diff))

    events = [
        MigrationEvent(str(out.at[i, "response_id"]), key[0], str(out.at[i, "coder"]), key[1], new)
        for i, (key, new) in enumerate(zip(keys, targets)) if new != key[1]
    ]
    changed = [i for i, (key, new) in enumerate(zip(keys, targets)) if new is not None and new != key[1]]
    if changed:
        out["code"] = out["code"].astype(object)
        out.loc[changed, "code"] = [targets[i] for i in changed]
    out = _drop_rows(out, dropped)
    out = out[~out.duplicated(subset=[*_KEY, "code"], keep="first") | out["code"].map(_code_text).eq("")]
    if isinstance(diff, CodebookDiff) and "codebook_version" in out.columns:
        out["codebook_version"] = diff.new_version
    return Migration(out.reset_index(drop=True), events)


def _code_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _drop_rows(out: pd.DataFrame, dropped: list[int]) -> pd.DataFrame:
    """Drop ``dropped`` rows, keeping an empty-code row where a coder would lose the answer."""
    if not dropped:
        return out
    kept = out.drop(index=dropped)
    have = set(map(tuple, kept[_KEY].astype(str).itertuples(index=False)))
    placeholders: list[int] = []
    for i in dropped:
        key = tuple(out.loc[i, _KEY].astype(str))
        if key not in have:
            have.add(key)
            placeholders.append(i)
    if placeholders:
        out.loc[placeholders, "code"] = ""
    return out.drop(index=[i for i in dropped if i not in set(placeholders)])


def _removed_message(keys: list[tuple[str, str]], dropped: list[int], diff: Any) -> str:
    from collections import Counter

    counts = Counter(keys[i] for i in dropped)
    listed = ", ".join(f"{q}/{c} ({n} row{'s' if n != 1 else ''})" for (q, c), n in sorted(counts.items()))
    versions = (f" ({diff.old_version} -> {diff.new_version})"
                if isinstance(diff, CodebookDiff) else "")
    return (f"the new codebook{versions} removes codes still used in the coding table: {listed}; "
            "add them to a code's 'replaces' list, or drop those codings with --drop-removed")
