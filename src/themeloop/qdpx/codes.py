"""Codes in REFI-QDA: the codebook as nested ``<Code>`` elements, and back.

Shared by the project export (``<CodeBook>`` in project.qde) and the codebook
exchange file (.qdc). Each question is a non-codable folder code named by its
id; its codes nest under it as the codebook's ``parent`` fields say.

A REFI-QDA code has a name, a description and children, nothing more. The
codebook's other fields travel in the description as labelled paragraphs at
its end, which every tool shows and keeps (``Include: ...``, ``Exclude: ...``,
``Examples:`` one per line, ``Replaces: ...`` and ``themeloop id: ...``), so a
code renamed in NVivo still maps back to its id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from themeloop.codebook.model import Code, Codebook
from themeloop.errors import QdpxError
from themeloop.qdpx.guids import code_guid, make_guid, normalise_guid
from themeloop.qdpx.xmlsafe import local, xml_text

if TYPE_CHECKING:
    from lxml import etree

ID_LABEL = "themeloop id: "
EXTRA_LABEL = "themeloop extra: "
_LABELS = ("Include: ", "Exclude: ", "Replaces: ", ID_LABEL, EXTRA_LABEL)
EXAMPLES_LABEL = "Examples:"


@dataclass(frozen=True)
class ExtraCode:
    """A code a layer applies that codebook.yaml lacks (a proposed theme, a stray code)."""

    question: str
    id: str
    label: str
    description: str
    why: str  # e.g. "proposed theme, not in codebook.yaml"


def describe(code: Code, extra: str = "") -> str:
    """The ``<Description>`` text of ``code``: its description, then labelled fields."""
    paragraphs = [code.description] if code.description else []
    if code.include:
        paragraphs.append(f"Include: {code.include}")
    if code.exclude:
        paragraphs.append(f"Exclude: {code.exclude}")
    if code.examples:
        paragraphs.append("\n".join([EXAMPLES_LABEL, *(f"- {e}" for e in code.examples)]))
    if code.replaces:
        paragraphs.append(f"Replaces: {', '.join(code.replaces)}")
    if extra:
        paragraphs.append(f"{EXTRA_LABEL}{extra}")
    paragraphs.append(f"{ID_LABEL}{code.id}")
    return "\n\n".join(paragraphs)


@dataclass
class ParsedDescription:
    description: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    id: str | None = None
    extra: str | None = None


def parse_description(text: str) -> ParsedDescription:
    """Undo :func:`describe`: labelled paragraphs at the end become fields.

    Examples
    --------
    >>> p = parse_description("Money.\\n\\nInclude: grants\\n\\nthemeloop id: funding")
    >>> (p.description, p.include, p.id)
    ('Money.', 'grants', 'funding')
    >>> parse_description("Plain text from another tool.").description
    'Plain text from another tool.'
    """
    out = ParsedDescription()
    paragraphs = text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n")
    while paragraphs:
        last = paragraphs[-1]
        if last.startswith(ID_LABEL) and out.id is None:
            out.id = last[len(ID_LABEL):].strip()
        elif last.startswith(EXTRA_LABEL) and out.extra is None:
            out.extra = last[len(EXTRA_LABEL):].strip()
        elif last.startswith("Replaces: ") and not out.replaces:
            out.replaces = [r.strip() for r in last[len("Replaces: "):].split(",") if r.strip()]
        elif last.startswith(EXAMPLES_LABEL + "\n") and not out.examples:
            out.examples = [line[2:] for line in last.split("\n")[1:] if line.startswith("- ")]
        elif last.startswith("Exclude: ") and not out.exclude:
            out.exclude = last[len("Exclude: "):]
        elif last.startswith("Include: ") and not out.include:
            out.include = last[len("Include: "):]
        else:
            break
        paragraphs.pop()
    out.description = "\n\n".join(paragraphs)
    return out


def add_codes(
    parent: etree._Element,
    codebook: Codebook | None,
    project: str,
    *,
    prompts: dict[str, str] | None = None,
    extra: Sequence[ExtraCode] = (),
    questions: list[str] | None = None,
    ns: str,
) -> dict[tuple[str, str], str]:
    """Append ``<Codes>`` to ``parent``: one folder per question, its codes nested inside.

    Returns the GUID of every ``(question, code id)`` written.
    """
    from lxml import etree

    prompts = prompts or {}
    order = list(codebook.question_ids) if codebook is not None else []
    for q in [*(questions or []), *(e.question for e in extra)]:
        if q not in order:
            order.append(q)
    codes_el = etree.SubElement(parent, f"{{{ns}}}Codes")
    guids: dict[tuple[str, str], str] = {}
    for qid in order:
        folder = _code_element(codes_el, ns, make_guid(project, "question", qid), qid, codable=False,
                               description=prompts.get(qid, ""))
        codes = list(codebook.questions[qid].codes) if codebook and qid in codebook.questions else []
        known = {c.id for c in codes}
        _nest(folder, ns, project, qid, codes, None, guids, set())
        for e in extra:
            if e.question == qid and e.id not in known:
                known.add(e.id)
                code = Code(id=e.id, label=e.label or e.id, description=e.description)
                guid = code_guid(project, qid, e.id)
                guids[(qid, e.id)] = guid
                _code_element(folder, ns, guid, code.label, codable=True,
                              description=describe(code, e.why))
    if not len(codes_el):
        # The schema needs at least one code; an empty codebook still exports.
        _code_element(codes_el, ns, make_guid(project, "question", ""), "(no codes)", codable=False)
    return guids


def _nest(
    parent: etree._Element, ns: str, project: str, qid: str, codes: list[Code],
    parent_id: str | None, guids: dict[tuple[str, str], str], seen: set[str],
) -> None:
    for code in codes:
        if code.parent != parent_id or code.id in seen:
            continue
        seen.add(code.id)
        guid = code_guid(project, qid, code.id)
        guids[(qid, code.id)] = guid
        element = _code_element(parent, ns, guid, code.label or code.id, codable=True,
                                description=describe(code))
        _nest(element, ns, project, qid, codes, code.id, guids, seen)
    if parent_id is None:
        # Codes whose parent is missing (a codebook read with strict=False) sit at the top.
        for code in codes:
            if code.id not in seen:
                seen.add(code.id)
                guid = code_guid(project, qid, code.id)
                guids[(qid, code.id)] = guid
                _code_element(parent, ns, guid, code.label or code.id, codable=True,
                              description=describe(code))


def _code_element(
    parent: etree._Element, ns: str, guid: str, name: str, *, codable: bool, description: str = ""
) -> etree._Element:
    from lxml import etree

    element = etree.SubElement(parent, f"{{{ns}}}Code", guid=guid, name=xml_text(name),
                               isCodable="true" if codable else "false")
    if description:
        etree.SubElement(element, f"{{{ns}}}Description").text = xml_text(description)
    return element


# ---------------------------------------------------------------- reading


@dataclass
class CodeNode:
    """One ``<Code>`` as read: the tree of another tool's codebook, before ids are chosen."""

    guid: str
    name: str
    codable: bool
    description: ParsedDescription
    parent: CodeNode | None = None
    children: list[CodeNode] = field(default_factory=list)
    line: int | None = None


def read_code_tree(codes_el: etree._Element, where: str, notes: list[str]) -> list[CodeNode]:
    """The top-level codes under ``<Codes>``, children nested; GUIDs normalised.

    Raises
    ------
    QdpxError
        For a ``<Code>`` without a GUID or name (naming its line).
    """
    top: list[CodeNode] = []
    skipped: dict[str, int] = {}

    def walk(element: etree._Element, parent: CodeNode | None) -> None:
        guid = normalise_guid(element.get("guid"))
        if guid is None:
            raise QdpxError(f"{where} line {element.sourceline}: <Code> has no valid guid "
                            f"(got {element.get('guid')!r})")
        name = element.get("name")
        if name is None or not name.strip():
            raise QdpxError(f"{where} line {element.sourceline}: <Code> {guid} has no name")
        text = ""
        for child in element:
            if local(child) == "Description":
                text = child.text or ""
        node = CodeNode(guid, name.strip(), element.get("isCodable", "true").lower() != "false",
                        parse_description(text), parent, line=element.sourceline)
        (parent.children if parent else top).append(node)
        for child in element:
            name_ = local(child)
            if name_ == "Code":
                walk(child, node)
            elif name_ not in ("Description", "NoteRef", ""):
                skipped[name_] = skipped.get(name_, 0) + 1

    for child in codes_el:
        if local(child) == "Code":
            walk(child, None)
        elif local(child):
            skipped[local(child)] = skipped.get(local(child), 0) + 1
    for name, n in sorted(skipped.items()):
        notes.append(f"skipped {n} unknown <{name}> element(s) in the codebook")
    return top


def iter_nodes(nodes: list[CodeNode]) -> Iterator[CodeNode]:
    """Every node, depth first, parents before children."""
    for node in nodes:
        yield node
        yield from iter_nodes(node.children)
