"""Choose questions and code ids for another tool's code tree.

A top-level folder (``isCodable="false"``) named like a question (in any case) holds that
question's codes, as themeloop writes them. Any other top-level code belongs
to every question the import found answers of (a tool that never heard of
questions has one flat or nested codebook). A code's id is, in order: the
``themeloop id:`` line of its description, the id of the reference codebook's
code with the same label, or a slug of its name made unique in its question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from themeloop.codebook.check import slugify
from themeloop.codebook.model import Code, Codebook, QuestionCodes
from themeloop.qdpx.codes import CodeNode


@dataclass
class CodeMap:
    """Where every code GUID landed: per question, its id; and the codebook they make."""

    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # guid -> {question: code id}
    codebook: Codebook = field(default_factory=Codebook)
    notes: list[str] = field(default_factory=list)
    used: dict[str, set[str]] = field(default_factory=dict)  # ids taken, per question

    def code_id(self, guid: str, question: str) -> tuple[str | None, bool]:
        """The id of ``guid`` for ``question`` and whether it came from another question."""
        per_question = self.ids.get(guid)
        if not per_question:
            return None, False
        if question in per_question:
            return per_question[question], False
        return next(iter(per_question.values())), True


def map_codes(
    tree: list[CodeNode],
    *,
    questions: list[str],
    target_questions: list[str],
    themeloop_file: bool = False,
    reference: Codebook | None = None,
    version: str = "1",
) -> CodeMap:
    """Assign each node of ``tree`` to questions and ids, and build the codebook.

    Parameters
    ----------
    tree : top-level codes as read.
    questions : question ids a top-level folder may be named after.
    target_questions : the questions of shared (non-folder) codes; ``["all"]`` if empty.
    themeloop_file : every top-level folder is a question (themeloop wrote the file).
    reference : a codebook whose labels give ids to codes without a ``themeloop id``.
    version : the version of the codebook built.
    """
    result = CodeMap()
    per_question: dict[str, list[Code]] = {}
    shared: list[CodeNode] = []
    n_folders = 0
    by_name = {q.casefold(): q for q in questions}
    for node in tree:
        qid = node.name if themeloop_file else by_name.get(node.name.casefold())
        if not node.codable and qid:
            per_question.setdefault(qid, [])
            for child in node.children:
                n_folders += _place(child, qid, None, per_question[qid], result, reference)
        else:
            shared.append(node)
    targets = target_questions or ["all"]
    for qid in targets if shared else []:
        codes = per_question.setdefault(qid, [])
        for node in shared:
            n_folders += _place(node, qid, None, codes, result, reference)
    if n_folders:
        result.notes.append(
            f"{n_folders} non-codable folder code(s) became ordinary codes (codebook.yaml has no "
            "folders); their children keep them as parent")
    result.codebook = Codebook(
        version=version,
        questions={q: QuestionCodes(codes=codes) for q, codes in per_question.items()},
    )
    return result


def _place(
    node: CodeNode, qid: str, parent_id: str | None, codes: list[Code], result: CodeMap,
    reference: Codebook | None,
) -> int:
    """Add ``node`` and its subtree to ``codes``; returns how many folders it held."""
    used = result.used.setdefault(qid, set())
    code_id = _choose_id(node, qid, reference, used)
    used.add(code_id)
    result.ids.setdefault(node.guid, {})[qid] = code_id
    d = node.description
    if d.extra is None:
        codes.append(Code(
            id=code_id, label=node.name, description=d.description, include=d.include,
            exclude=d.exclude, examples=list(d.examples), parent=parent_id,
            replaces=list(d.replaces),
        ))
    folders = 0 if node.codable else 1
    for child in node.children:
        folders += _place(child, qid, code_id, codes, result, reference)
    return folders


def _choose_id(node: CodeNode, qid: str, reference: Codebook | None, used: set[str]) -> str:
    if node.description.id:
        base = node.description.id
    else:
        base = ""
        if reference is not None and qid in reference.questions:
            wanted = node.name.casefold()
            for code in reference.questions[qid].codes:
                if wanted in (code.label.casefold(), code.id.casefold()):
                    base = code.id
                    break
        base = base or slugify(node.name)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    return candidate
