"""Consistency checks of a codebook, reported all at once.

:func:`check_codebook` never raises on a bad codebook: it returns every
:class:`Problem` so ``themeloop codebook check`` can list them together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from themeloop.codebook.model import SLUG, Code, Codebook
from themeloop.coding.variants import joined, variant_groups, variant_key

Severity = Literal["error", "warning"]

# Problems that make ids unusable: load_codebook(strict=True) refuses them.
BLOCKING = frozenset({"duplicate_id", "bad_slug", "unknown_parent", "parent_cycle",
                      "replaces_existing", "split"})
# Codes told apart only by case or spacing: warnings, errors under --strict.
VARIANTS = frozenset({"variant_id", "duplicate_label"})


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`check_codebook`.

    ``kind`` is a stable tag (``unknown_key``, ``duplicate_id``, ``bad_slug``,
    ``unknown_parent``, ``parent_cycle``, ``no_description``,
    ``replaces_existing``, ``split``, ``no_label``, ``duplicate_label``,
    ``no_codes``, ``unknown_question``, ``uncoded_question``, ``foreign_example``,
    ``unquoted_version``, ``unknown_key``, ``bad_value``, ``variant_id``).
    """

    severity: Severity
    kind: str
    message: str
    question: str | None = None
    code: str | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def check_codebook(
    codebook: Codebook | str | Path, *, questions: Iterable[str] | None = None,
    strict: bool = False,
) -> list[Problem]:
    """Every problem of a codebook, errors and warnings, in file order.

    Parameters
    ----------
    codebook
        A :class:`Codebook`, or the path of a ``codebook.yaml`` (then unknown
        keys and badly typed values are reported too).
    questions
        The project's question ids, if known: codebook questions outside them
        are errors, project questions without codes are warnings.
    strict
        Codes whose ids or labels differ only in case or spacing are errors,
        not warnings.

    Returns
    -------
    list[Problem]
        Empty when the codebook is clean.

    Raises
    ------
    CodebookError
        Only if ``codebook`` is a path that cannot be read as YAML at all.
    """
    if not isinstance(codebook, Codebook):
        from themeloop.codebook.io import _read_yaml, shape_errors

        data = _read_yaml(Path(codebook))
        errors = shape_errors(data, codebook)
        if errors:
            return [Problem("error", _kind(e), e) for e in errors]
        source, codebook = codebook, Codebook.model_validate(data)
        problems = _check_raw_version(data, source)
    else:
        problems = []
    for qid, q in codebook.questions.items():
        problems.extend(_check_question(qid, q.codes))
        problems.extend(_check_examples(qid, q.codes, set(codebook.questions)))
    if questions is not None:
        problems.extend(_check_against_project(codebook, list(questions)))
    if strict:
        problems = [Problem("error", p.kind, p.message, p.question, p.code)
                    if p.kind in VARIANTS else p for p in problems]
    return problems


def _check_raw_version(data: dict, source: object) -> list[Problem]:
    raw = data.get("version")
    if isinstance(raw, float):
        return [Problem("warning", "unquoted_version",
                        f"{source}: version {raw!r} was read as a number (1.10 would become "
                        f"1.1); quote it: version: \"{raw}\"")]
    return []


def _check_examples(qid: str, codes: list[Code], questions: set[str]) -> list[Problem]:
    """Flag examples that are response ids of another question (``ORG01:other``)."""
    out = []
    for code in codes:
        for example in code.examples:
            head, sep, tail = example.rpartition(":")
            if sep and head and " " not in example and tail in questions and tail != qid:
                out.append(Problem("warning", "foreign_example",
                                   f"{_where(qid, code.id)}: example '{example}' is an answer "
                                   f"to question '{tail}'", qid, code.id))
    return out


def _kind(message: str) -> str:
    return "unknown_key" if "unknown key" in message else "bad_value"


def _where(qid: str, code_id: str) -> str:
    return f"question '{qid}', code '{code_id}'"


def _check_question(qid: str, codes: list[Code]) -> list[Problem]:
    if not codes:
        return [Problem("warning", "no_codes", f"question '{qid}' has no codes", qid)]
    problems: list[Problem] = []
    ids = [c.id for c in codes]
    id_set = set(ids)
    counts = Counter(ids)
    for code in codes:
        problems.extend(_check_code(qid, code, id_set))
    for cid, n in counts.items():
        if n > 1:
            problems.append(Problem("error", "duplicate_id",
                                    f"{_where(qid, cid)}: id used by {n} codes; ids must be unique "
                                    "within a question", qid, cid))
    for group in variant_groups(ids):
        problems.append(Problem("warning", "variant_id", _variant_ids(qid, group), qid, group[0]))
    labels = Counter(variant_key(c.label) for c in codes if c.label.strip())
    for code in codes:
        if labels.get(variant_key(code.label), 0) > 1:
            problems.append(Problem("warning", "duplicate_label",
                                    f"{_where(qid, code.id)}: label '{code.label}' is shared with "
                                    "another code; coders cannot tell them apart", qid, code.id))
    problems.extend(_check_cycles(qid, codes, id_set))
    problems.extend(_check_splits(qid, codes))
    return problems


def _variant_ids(qid: str, group: list[str]) -> str:
    return (f"question '{qid}': codes {joined([repr(c) for c in group])} differ only in case "
            "or spacing; merge them or rename one")


def variant_messages(codebook: Codebook) -> list[str]:
    """One line per group of codes whose ids or labels differ only in case or spacing."""
    out = []
    for qid, q in codebook.questions.items():
        out += [_variant_ids(qid, group) for group in variant_groups(c.id for c in q.codes)]
        by_label: dict[str, list[Code]] = {}
        for code in q.codes:
            if code.label.strip():
                by_label.setdefault(variant_key(code.label), []).append(code)
        for same in (g for g in by_label.values() if len(g) > 1):
            out.append(f"question '{qid}': codes {joined([repr(c.id) for c in same])} have the "
                       f"labels {joined([repr(c.label) for c in same])}, the same up to case and "
                       "spacing; coders cannot tell them apart")
    return out


def _check_code(qid: str, code: Code, id_set: set[str]) -> list[Problem]:
    where = _where(qid, code.id)
    out: list[Problem] = []
    if not SLUG.match(code.id):
        out.append(Problem("error", "bad_slug",
                           f"{where}: id is not a slug; use only a-z, 0-9 and '_' "
                           f"(e.g. '{slugify(code.id)}')", qid, code.id))
    if not code.label.strip():
        out.append(Problem("warning", "no_label", f"{where}: no label; coders will see the id",
                           qid, code.id))
    if not code.description.strip():
        out.append(Problem("error", "no_description",
                           f"{where}: no description; say what the code means so coders apply "
                           "it the same way", qid, code.id))
    if code.parent is not None and code.parent not in id_set:
        from themeloop.errors import did_you_mean

        out.append(Problem("error", "unknown_parent",
                           f"{where}: parent '{code.parent}' is not a code of this question"
                           f"{did_you_mean(code.parent, id_set)}", qid, code.id))
    for old in code.replaces:
        if old in id_set:
            out.append(Problem("error", "replaces_existing",
                               f"{where}: replaces '{old}', which is still a code in this "
                               "version; remove one of them", qid, code.id))
        elif not SLUG.match(old):
            out.append(Problem("error", "bad_slug",
                               f"{where}: replaced id '{old}' is not a slug", qid, code.id))
    return out


def _check_cycles(qid: str, codes: list[Code], id_set: set[str]) -> list[Problem]:
    parent = {c.id: c.parent for c in codes if c.parent in id_set}
    reported: set[str] = set()
    out: list[Problem] = []
    for start in parent:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node not in seen:
            seen.append(node)
            node = parent.get(node)
        if node is None or node in reported:
            continue
        cycle = seen[seen.index(node):]
        reported.update(cycle)
        path = " -> ".join([*cycle, cycle[0]])
        out.append(Problem("error", "parent_cycle",
                           f"{_where(qid, cycle[0])}: parents form a cycle ({path})", qid, cycle[0]))
    return out


def _check_splits(qid: str, codes: list[Code]) -> list[Problem]:
    takers: dict[str, list[str]] = {}
    for code in codes:
        for old in code.replaces:
            takers.setdefault(old, []).append(code.id)
    return [
        Problem("error", "split",
                f"question '{qid}': old code '{old}' is replaced by {len(new)} codes "
                f"({', '.join(new)}); a split cannot be migrated automatically, keep 'replaces: "
                f"[{old}]' on one of them and recode the rest", qid, new[0])
        for old, new in takers.items() if len(set(new)) > 1
    ]


def _check_against_project(codebook: Codebook, questions: list[str]) -> list[Problem]:
    from themeloop.errors import did_you_mean

    out = [
        Problem("error", "unknown_question",
                f"question '{qid}' is not a question of the project{did_you_mean(qid, questions)}; "
                f"project questions are: {', '.join(questions)}", qid)
        for qid in codebook.questions if qid not in questions
    ]
    out += [
        Problem("warning", "uncoded_question", f"project question '{qid}' has no codes in the "
                "codebook", qid)
        for qid in questions if qid not in codebook.questions
    ]
    return out


def slugify(text: str) -> str:
    """A valid code id from free text.

    >>> slugify("Lack of Funding!")
    'lack_of_funding'
    """
    out = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text.lower())
    return "_".join(part for part in out.split("_") if part) or "code"
