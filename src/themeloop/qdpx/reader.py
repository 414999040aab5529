"""Read project.qde into plain records: users, code tree, notes and text sources.

Nothing here decides what a selection means; :mod:`themeloop.qdpx.importer`
does. Unknown elements are counted and named in notes, never fatal; a missing
required attribute or a non-integer position is a one-line error naming the
element and its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from themeloop.errors import QdpxError
from themeloop.qdpx.archive import QdpxArchive
from themeloop.qdpx.codes import CodeNode, read_code_tree
from themeloop.qdpx.guids import normalise_guid
from themeloop.qdpx.users import User, user_from_xml
from themeloop.qdpx.xmlsafe import local

if TYPE_CHECKING:
    from lxml import etree

_VERSION = re.compile(r"codebook version (\S+)")
_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")


@dataclass
class CodingRec:
    code: str  # code GUID
    user: str | None
    when: str | None
    notes: list[str]


@dataclass
class SelectionRec:
    start: int
    end: int
    user: str | None
    when: str | None
    codings: list[CodingRec]
    notes: list[str]
    line: int | None


@dataclass
class SourceRec:
    guid: str
    name: str
    text: str | None
    user: str | None
    selections: list[SelectionRec]
    codings: list[CodingRec]  # codings of the whole source
    line: int | None


@dataclass
class ProjectRec:
    """What project.qde says, as records."""

    name: str
    origin: str
    default_user: str | None
    users: dict[str, User]
    codes: list[CodeNode]
    notes: dict[str, str]
    sources: list[SourceRec]
    skipped: dict[str, int] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)

    @property
    def themeloop(self) -> bool:
        return self.origin.startswith("themeloop")

    @property
    def codebook_version(self) -> str | None:
        match = _VERSION.search(self.origin)
        return match.group(1) if match else None


class _Reader:
    def __init__(self, archive: QdpxArchive, where: str) -> None:
        self.archive = archive
        self.where = where
        self.skipped: dict[str, int] = {}
        self.remarks: list[str] = []
        self.unreadable = 0

    def fail(self, element: etree._Element, problem: str) -> QdpxError:
        return QdpxError(f"{self.where} line {element.sourceline}: <{local(element)}> {problem}")

    def skip(self, element: etree._Element, parent: str) -> None:
        key = f"<{local(element)}> in <{parent}>"
        self.skipped[key] = self.skipped.get(key, 0) + 1

    def guid(self, element: etree._Element, attribute: str = "guid", *, required: bool = True
             ) -> str | None:
        raw = element.get(attribute)
        value = normalise_guid(raw)
        if value is None and (required or raw is not None):
            if not required and raw is not None:
                self.remarks.append(f"line {element.sourceline}: <{local(element)}> has "
                                    f"{attribute}={raw!r}, not a GUID; ignored")
                return None
            raise self.fail(element, f"has no valid {attribute} (got {raw!r})")
        return value

    def position(self, element: etree._Element, attribute: str) -> int:
        raw = element.get(attribute)
        try:
            return int(str(raw).strip())
        except ValueError:
            raise self.fail(element, f"has {attribute}={raw!r}, not an integer") from None

    def text_of(self, element: etree._Element) -> str | None:
        """A text source's (or note's) text: inline PlainTextContent or its plainTextPath file."""
        for child in element:
            if local(child) == "PlainTextContent":
                return child.text or ""
        path = element.get("plainTextPath")
        if not path:
            return None
        return self.read_source_file(path, element)

    def read_source_file(self, path: str, element: etree._Element) -> str | None:
        scheme, _, rest = path.partition("://")
        if not rest:
            scheme, rest = "internal", path
        if scheme.lower() != "internal":
            self.unreadable += 1
            return None
        name = rest.lstrip("/")
        member = self.archive.find(f"sources/{name}") or self.archive.find(name)
        if member is None:
            raise self.fail(element, f"names plainTextPath '{path}', which is not in the "
                            "archive's Sources/ folder")
        raw = self.archive.read(member)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a BOM marks the encoding; it is no character of the text
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QdpxError(f"{self.archive.path}: {member} is not UTF-8 text ({exc.reason} at "
                            f"byte {exc.start}); REFI-QDA text sources are UTF-8") from None


def read_project(root: etree._Element, archive: QdpxArchive, where: str) -> ProjectRec:
    """Walk ``<Project>`` into a :class:`ProjectRec`."""
    reader = _Reader(archive, where)
    if local(root) != "Project":
        raise QdpxError(f"{where} line {root.sourceline}: the root element is <{local(root)}>, "
                        "not <Project>; is this a REFI-QDA project?")
    users: dict[str, User] = {}
    codes: list[CodeNode] = []
    notes: dict[str, str] = {}
    sources: list[SourceRec] = []
    for child in root:
        kind = local(child)
        if kind == "Users":
            for user in child:
                if local(user) == "User":
                    guid = reader.guid(user)
                    users[guid] = user_from_xml(guid, user.get("name"), user.get("id"))
                elif local(user):
                    reader.skip(user, "Users")
        elif kind == "CodeBook":
            for codes_el in child:
                if local(codes_el) == "Codes":
                    codes = read_code_tree(codes_el, where, reader.remarks)
                elif local(codes_el):
                    reader.skip(codes_el, "CodeBook")
        elif kind == "Notes":
            for note in child:
                if local(note) == "Note":
                    notes[reader.guid(note)] = reader.text_of(note) or ""
                elif local(note):
                    reader.skip(note, "Notes")
        elif kind == "Sources":
            for source in child:
                if local(source) == "TextSource":
                    sources.append(_text_source(reader, source))
                elif local(source):
                    reader.skip(source, "Sources")
        elif kind in ("Variables", "Cases", "Sets", "Links", "Graphs", "Description", "NoteRef"):
            continue  # understood, not needed: the survey holds respondents and attributes
        elif kind:
            reader.skip(child, "Project")
    _distinct_coders(users, reader.remarks)
    if reader.unreadable:
        reader.remarks.append(f"{reader.unreadable} source(s) refer to files outside the archive "
                              "(relative:// or absolute://); mapped by name only, offsets unchecked")
    return ProjectRec(
        name=root.get("name", ""), origin=root.get("origin", ""),
        default_user=normalise_guid(root.get("creatingUserGUID")), users=users, codes=codes,
        notes=notes, sources=sources, skipped=reader.skipped, remarks=reader.remarks,
    )


def _distinct_coders(users: dict[str, User], remarks: list[str]) -> None:
    """One coder per User: two Users with one name get their GUID's start appended."""
    by_coder: dict[tuple[str, str], list[str]] = {}
    for guid, user in users.items():
        by_coder.setdefault((user.coder, user.source), []).append(guid)
    for (coder, source), guids in by_coder.items():
        if len(guids) > 1:
            for guid in guids:
                users[guid] = User(f"{coder} ({guid[:8]})", source)
            remarks.append(f"{len(guids)} users are named '{coder}'; told apart by their GUIDs "
                           f"as '{coder} ({guids[0][:8]})' ...")


def _text_source(reader: _Reader, element: etree._Element) -> SourceRec:
    guid = reader.guid(element)
    selections: list[SelectionRec] = []
    codings: list[CodingRec] = []
    for child in element:
        kind = local(child)
        if kind == "PlainTextSelection":
            selections.append(_selection(reader, child))
        elif kind == "Coding":
            codings.append(_coding(reader, child))
        elif kind not in ("Description", "PlainTextContent", "NoteRef", "VariableValue", ""):
            reader.skip(child, "TextSource")
    return SourceRec(
        guid=guid, name=element.get("name") or "", text=reader.text_of(element),
        user=reader.guid(element, "creatingUser", required=False), selections=selections,
        codings=codings, line=element.sourceline,
    )


def _selection(reader: _Reader, element: etree._Element) -> SelectionRec:
    reader.guid(element)
    codings: list[CodingRec] = []
    notes: list[str] = []
    for child in element:
        kind = local(child)
        if kind == "Coding":
            codings.append(_coding(reader, child))
        elif kind == "NoteRef":
            target = reader.guid(child, "targetGUID", required=False)
            if target:
                notes.append(target)
        elif kind not in ("Description", ""):
            reader.skip(child, "PlainTextSelection")
    return SelectionRec(
        start=reader.position(element, "startPosition"),
        end=reader.position(element, "endPosition"),
        user=reader.guid(element, "creatingUser", required=False),
        when=element.get("creationDateTime"), codings=codings, notes=notes,
        line=element.sourceline,
    )


def _coding(reader: _Reader, element: etree._Element) -> CodingRec:
    code: str | None = None
    notes: list[str] = []
    for child in element:
        kind = local(child)
        if kind == "CodeRef":
            code = reader.guid(child, "targetGUID")
        elif kind == "NoteRef":
            target = reader.guid(child, "targetGUID", required=False)
            if target:
                notes.append(target)
        elif kind:
            reader.skip(child, "Coding")
    if code is None:
        raise reader.fail(element, "has no <CodeRef>; every coding names its code")
    return CodingRec(code=code, user=reader.guid(element, "creatingUser", required=False),
                     when=element.get("creationDateTime"), notes=notes)
