"""The REFI-QDA codebook exchange file (.qdc): write one, read one into a Codebook.

The layout is the project export's ``<CodeBook>``: one non-codable folder per
question, named by its id and described by its prompt, holding that
question's codes as the ``parent`` fields nest them. Reading another tool's
.qdc, top-level folders named like the project's questions hold those
questions' codes; any other code goes to ``question`` (or the project's only
question).
"""

from __future__ import annotations

import re
from pathlib import Path

import themeloop
from themeloop._io import write_bytes_atomic
from themeloop.codebook.model import Codebook
from themeloop.errors import QdpxError
from themeloop.qdpx.codemap import map_codes
from themeloop.qdpx.codes import add_codes, read_code_tree
from themeloop.qdpx.xmlsafe import CODEBOOK_NS, local, parse_xml, schema_errors

MAX_QDC_BYTES = 64 * 1024 * 1024
_VERSION = re.compile(r"codebook version (\S+)")


def qdc_bytes(codebook: Codebook, project: str, *, prompts: dict[str, str] | None = None) -> bytes:
    """The .qdc of ``codebook``; GUIDs as in the project's .qdpx (uuid5 of project, question, id).

    Raises
    ------
    QdpxError
        If the result does not validate against Codebook.xsd (a bug).
    """
    from lxml import etree

    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS},
                         origin=f"themeloop {themeloop.__version__}; codebook version "
                         f"{codebook.version}")
    add_codes(root, codebook, project, prompts=prompts, ns=CODEBOOK_NS)
    errors = schema_errors(root, "codebook")
    if errors:
        raise QdpxError(f"the .qdc does not validate against Codebook.xsd: {errors[0]}")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_qdc(codebook: Codebook, path: str | Path, project: str, *,
              prompts: dict[str, str] | None = None) -> Path:
    """Write ``codebook`` as a .qdc at ``path`` (atomically)."""
    return write_bytes_atomic(path, qdc_bytes(codebook, project, prompts=prompts))


def read_qdc(path: str | Path, *, questions: list[str] | None = None, question: str | None = None,
             reference: Codebook | None = None) -> tuple[Codebook, list[str]]:
    """Read a .qdc into a :class:`Codebook`, with notes on what was changed or skipped.

    Parameters
    ----------
    path : the .qdc file.
    questions : the project's question ids (folders with these names are questions).
    question : where codes outside such a folder go; default: the only question in
        ``questions``, else ``all``.
    reference : a codebook whose labels give ids to codes without a themeloop id.

    Raises
    ------
    QdpxError
        For a missing, huge, malformed or DTD-bearing file, or a code without a GUID or name.
    """
    path = Path(path)
    if not path.is_file():
        raise QdpxError(f"{path}: no such file; give the .qdc codebook to import")
    if path.stat().st_size > MAX_QDC_BYTES:
        raise QdpxError(f"{path}: larger than {MAX_QDC_BYTES // (1024 * 1024)} MiB; not a codebook")
    root = parse_xml(path.read_bytes(), str(path))
    if local(root) != "CodeBook":
        raise QdpxError(f"{path} line {root.sourceline}: the root element is <{local(root)}>, not "
                        "<CodeBook>; is this a REFI-QDA codebook (.qdc)?")
    notes: list[str] = []
    if not schema_errors(root, "codebook") == []:
        first = schema_errors(root, "codebook")[0]
        notes.append(f"{path.name} does not validate against Codebook.xsd ({first}); read anyway")
    codes_el = next((c for c in root if local(c) == "Codes"), None)
    if codes_el is None:
        raise QdpxError(f"{path} line {root.sourceline}: <CodeBook> has no <Codes>")
    tree = read_code_tree(codes_el, str(path), notes)
    for child in root:
        if local(child) not in ("Codes", "Sets", ""):
            notes.append(f"skipped unknown <{local(child)}> in <CodeBook>")
    origin = root.get("origin", "")
    match = _VERSION.search(origin)
    version = match.group(1) if match else (reference.version if reference is not None else "1")
    known = list(questions or [])
    target = question or (known[0] if len(known) == 1 else "all")
    mapped = map_codes(tree, questions=known, target_questions=[target],
                       themeloop_file=origin.startswith("themeloop"), reference=reference,
                       version=version)
    return mapped.codebook, [*notes, *mapped.notes]
