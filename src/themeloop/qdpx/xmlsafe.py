"""XML in and out, safely: no DTDs, no entities, no network, valid characters only.

Reading uses lxml with entity resolution, DTD loading and the network switched
off and ``huge_tree`` left off, and then refuses any document that declares a
DTD at all, so neither external entities (XXE) nor entity expansion (billion
laughs) can reach the importer. Writing replaces the few characters XML 1.0
cannot carry, so an odd control character in a memo never breaks an export.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from themeloop.errors import QdpxError

if TYPE_CHECKING:
    from lxml import etree

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMAS = {"project": "Project.xsd", "codebook": "Codebook.xsd"}

# Characters XML 1.0 forbids (C0 controls except tab, LF, CR; lone surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` with characters XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse ``data`` (bytes, any BOM) and return the root element.

    Raises
    ------
    QdpxError
        ``<where> line N: <parser message>`` for malformed XML, and a refusal
        for any document with a DTD (entity declarations, external entities).
    """
    from lxml import etree

    if _declares_dtd(data):
        raise _dtd_refused(where)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        message = str(exc.msg).split(", line ")[0].strip()
        raise QdpxError(f"{where} line {line}: not well-formed XML: {message}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise _dtd_refused(where)
    return root


_PROLOG_DTD = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE", re.DOTALL)


def _declares_dtd(data: bytes) -> bool:
    """A DOCTYPE in the prolog, found before any parser sees the entities it declares."""
    return _PROLOG_DTD.match(data[:65536]) is not None


def _dtd_refused(where: str) -> QdpxError:
    return QdpxError(
        f"{where}: declares a DTD (<!DOCTYPE ...>); REFI-QDA files have none and entity "
        "declarations are refused (external entities, entity expansion)"
    )


@cache
def _schema(kind: str) -> etree.XMLSchema:
    from lxml import etree

    text = resources.files("themeloop.qdpx").joinpath("schema", SCHEMAS[kind]).read_bytes()
    return etree.XMLSchema(etree.fromstring(text))


def schema_errors(root: etree._Element, kind: str = "project") -> list[str]:
    """Every way ``root`` breaks ``Project.xsd`` (``kind="project"``) or ``Codebook.xsd``.

    Each message is ``line N: <schema message>``; an empty list means valid.
    """
    schema = _schema(kind)
    if schema.validate(root):
        return []
    return [f"line {err.line}: {err.message}" for err in schema.error_log]


def local(element: etree._Element) -> str:
    """An element's name without its namespace (tools disagree on namespace versions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace(element: etree._Element) -> str:
    """An element's namespace URI, or ``""``."""
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""
