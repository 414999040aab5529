"""A .qdpx from any REFI-QDA tool -> a coding table (one coder per User) and a codebook.

Every selection is accounted for in the :class:`ImportReport`: whole-answer,
partial, overlapping, spanning several answers, out of range or unmapped. A
selection that covers part of an answer codes that answer (the coding table is
per answer); one that cannot be placed is counted and listed, never dropped
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.codebook.model import Codebook
from themeloop.qdpx.archive import MAX_BYTES, open_qdpx
from themeloop.qdpx.codemap import CodeMap, map_codes
from themeloop.qdpx.mapping import SourceUnits, Span, UnitResolver, covers
from themeloop.qdpx.reader import CodingRec, ProjectRec, SelectionRec, SourceRec, read_project
from themeloop.qdpx.users import User
from themeloop.qdpx.variables import xsd_datetime
from themeloop.qdpx.xmlsafe import PROJECT_NS, namespace, parse_xml, schema_errors

if TYPE_CHECKING:
    import pandas as pd

TABLE_COLUMNS = ["response_id", "question", "coder", "code", "source", "timestamp", "memo"]
_RULES = {"name": "named by response id", "text": "matched by text",
          "paragraphs": "holding answers as paragraphs", "source": "each its own unit",
          "unmapped": "unmapped"}
_SHOWN = 10  # unmapped selections listed one by one in the notes


@dataclass
class ImportReport:
    """Counts of everything read, and notes on what was skipped or odd."""

    sources: int = 0
    sources_by: dict[str, int] = field(default_factory=dict)  # mapping rule -> sources
    selections: int = 0
    whole: int = 0
    partial: int = 0
    overlapping: int = 0
    spanning: int = 0
    out_of_range: int = 0
    unmapped: int = 0
    uncoded: int = 0  # selections with no coding: "read, applied no code"
    codings: int = 0
    unknown_codes: int = 0
    cross_question: int = 0
    repeated: int = 0  # codings that repeat a coder's code on the same answer
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as short lines for a terminal."""
        rules = ", ".join(f"{self.sources_by[rule]} {words}" for rule, words in _RULES.items()
                          if self.sources_by.get(rule))
        return [
            f"sources: {self.sources} text sources ({rules or 'none'})",
            f"selections: {self.selections} ({self.whole} whole answer, {self.partial} partial, "
            f"{self.overlapping} overlapping, {self.spanning} spanning several answers, "
            f"{self.out_of_range} out of range, {self.unmapped} unmapped, "
            f"{self.uncoded} without codes)",
            f"codings: {self.codings} ({self.unknown_codes} naming unknown codes, "
            f"{self.repeated} repeating a code on the same answer, {self.cross_question} "
            "with a code of another question)",
        ]


@dataclass(frozen=True)
class QdpxImport:
    """What :func:`read_qdpx` found."""

    table: pd.DataFrame
    codebook: Codebook
    report: ImportReport
    project_name: str = ""
    origin: str = ""


def read_qdpx(
    path: str | Path,
    *,
    responses: pd.DataFrame | None = None,
    reference: Codebook | None = None,
    question: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> QdpxImport:
    """Read a .qdpx into a coding table and a codebook.

    Parameters
    ----------
    path : the .qdpx (a zip holding project.qde and Sources/).
    responses : the project's responses table; with it, sources map to answers
        by name or by text, and sources that map to none are reported unmapped.
    reference : the project's codebook: codes without a themeloop id take the id
        of its code with the same label.
    question : the question of units and codes a file does not place.
    max_bytes : the most bytes decompressed from the zip, all members together.

    Raises
    ------
    QdpxError
        One line naming the file and the element or line: not a zip, a member
        outside the archive, a zip bomb, a DTD, malformed XML, a missing GUID.
    """
    import pandas as pd

    from themeloop.coding import validate_coding_table

    path = Path(path)
    archive = open_qdpx(path, max_bytes=max_bytes)
    try:
        member = archive.project_member()
        where = f"{path}: {member}"
        root = parse_xml(archive.read(member), where)
        record = read_project(root, archive, where)
    finally:
        archive.close()
    report = ImportReport()
    if namespace(root) != PROJECT_NS:
        report.notes.append(f"namespace is '{namespace(root)}', not '{PROJECT_NS}'; read anyway")
    else:
        errors = schema_errors(root, "project")
        if errors:
            report.notes.append(f"{member} does not validate against Project.xsd ({len(errors)} "
                                f"problem(s); first: {errors[0]}); read anyway")
    report.notes.extend(record.remarks)
    for what, n in sorted(record.skipped.items()):
        report.notes.append(f"skipped {n} unknown or unsupported {what}")

    resolver = UnitResolver(responses, question)
    resolver.prepare([source.name for source in record.sources])
    placed = [(source, resolver.resolve(source.name, source.guid, source.text))
              for source in record.sources]
    report.sources = len(placed)
    for _, units in placed:
        report.sources_by[units.method] = report.sources_by.get(units.method, 0) + 1
    unit_questions = list(dict.fromkeys(s.question for _, u in placed for s in u.spans))
    known = list(dict.fromkeys([*resolver.questions.values(), *unit_questions]))
    if reference is not None:
        known = list(dict.fromkeys([*known, *reference.question_ids]))
    version = record.codebook_version or (reference.version if reference is not None else "1")
    codes = map_codes(record.codes, questions=known,
                      target_questions=unit_questions or [question or "all"],
                      themeloop_file=record.themeloop, reference=reference, version=version)
    report.notes.extend(codes.notes)

    rows: list[dict[str, str]] = []
    for source, units in placed:
        _source_rows(source, units, record, codes, report, rows)
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table = _tidy(table, report)
    table = validate_coding_table(table, source=str(path))
    return QdpxImport(table=table, codebook=codes.codebook, report=report,
                      project_name=record.name, origin=record.origin)


def _tidy(table: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Collapse repeated codes; drop an empty-code row where the coder applied a code."""
    key = ["response_id", "question", "coder", "source", "code"]
    before = len(table)
    table = table.drop_duplicates(key)
    report.repeated += before - len(table)
    coded = table[table["code"] != ""].groupby(["response_id", "question", "coder", "source"]).size()
    has_code = table.set_index(["response_id", "question", "coder", "source"]).index.isin(coded.index)
    table = table[(table["code"] != "") | ~has_code]
    return table.reset_index(drop=True)


def _source_rows(source: SourceRec, units: SourceUnits, record: ProjectRec, codes: CodeMap,
                 report: ImportReport, rows: list[dict[str, str]]) -> None:
    text = source.text
    if units.method == "unmapped":
        n = len(source.selections) + len(source.codings)
        report.selections += len(source.selections)
        report.unmapped += n
        if n:
            report.notes.append(f"source '{source.name or source.guid}' (line {source.line}): "
                                f"{n} selection(s)/coding(s) unmapped: {units.reason}")
        return
    ranges: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
    for selection in source.selections:
        report.selections += 1
        hits = _place(selection, units, text, report, source)
        if not hits:
            continue
        user = selection.user or source.user or record.default_user
        ranges.setdefault((hits[0].response_id, user), []).append((selection.start, selection.end))
        memo = _memo(selection.notes, record, report)
        for span in hits:
            if not selection.codings:
                report.uncoded += 1
                _row(rows, span, record.users, user, "", selection.when, memo)
            for coding in selection.codings:
                _coding_row(rows, span, coding, user, memo, record, codes, report,
                            selection.when)
    for coding in source.codings:  # coded as a whole source: every answer in it
        for span in units.spans:
            _coding_row(rows, span, coding, source.user or record.default_user, "", record,
                        codes, report)
    for spans in ranges.values():
        report.overlapping += _n_overlapping(spans)


def _place(selection: SelectionRec, units: SourceUnits, text: str | None,
           report: ImportReport, source: SourceRec) -> list[Span]:
    start, end = selection.start, selection.end
    if units.single:
        span = units.spans[0]
        if text is None:
            report.whole += 1  # nothing to check against: the source is the answer
        elif start < 0 or end > len(text) or start > end:
            report.out_of_range += 1
            report.notes.append(f"selection at line {selection.line} in '{source.name}' runs "
                                f"[{start}, {end}) outside its {len(text)} characters; it still "
                                "codes that answer")
        elif covers(start, end, text, 0, len(text)):
            report.whole += 1
        else:
            report.partial += 1
        return [span]
    assert text is not None
    hits = [s for s in units.spans if start < s.end and end > s.start]
    if not hits:
        report.unmapped += 1
        if report.unmapped <= _SHOWN:
            report.notes.append(f"selection at line {selection.line} in '{source.name}' "
                                f"[{start}, {end}) is in no answer's text; unmapped")
        return []
    if len(hits) > 1:
        report.spanning += 1
    elif covers(start, end, text, hits[0].start, hits[0].end):
        report.whole += 1
    else:
        report.partial += 1
    return hits


def _coding_row(rows: list[dict[str, str]], span: Span, coding: CodingRec, fallback: str | None,
                memo: str, record: ProjectRec, codes: CodeMap, report: ImportReport,
                when: str | None = None) -> None:
    report.codings += 1
    code_id, other = codes.code_id(coding.code, span.question)
    if code_id is None:
        report.unknown_codes += 1
        report.notes.append(f"a coding on '{span.response_id}' names code {coding.code}, which "
                            "the codebook does not have; not imported")
        return
    report.cross_question += int(other)
    own = _memo(coding.notes, record, report)
    _row(rows, span, record.users, coding.user or fallback, code_id, coding.when or when,
         "\n\n".join(m for m in (own, memo) if m) if own else memo)


def _row(rows: list[dict[str, str]], span: Span, users: dict[str, User], user: str | None,
         code: str, when: str | None, memo: str) -> None:
    who = users.get(user) if user else None
    if who is None:
        who = User(user or "unknown", "human")
    rows.append({"response_id": span.response_id, "question": span.question, "coder": who.coder,
                 "code": code, "source": who.source, "timestamp": xsd_datetime(when or "") or "",
                 "memo": memo})


def _memo(note_guids: list[str], record: ProjectRec, report: ImportReport) -> str:
    texts = []
    for guid in note_guids:
        if guid in record.notes:
            texts.append(record.notes[guid])
        else:
            report.notes.append(f"a NoteRef names note {guid}, which the file does not have")
    return "\n\n".join(t for t in texts if t)


def _n_overlapping(spans: list[tuple[int, int]]) -> int:
    """How many of one coder's selections in one answer overlap another of them."""
    overlapping: set[int] = set()
    reach_end, reach_i = -1, -1  # the selection reaching furthest right so far
    for i, (start, end) in sorted(enumerate(spans), key=lambda item: item[1]):
        if start < reach_end:
            overlapping.update((i, reach_i))
        if end > reach_end:
            reach_end, reach_i = end, i
    return len(overlapping)
