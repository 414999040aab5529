"""Write a .qdpx: ``project.qde`` (validated against Project.xsd) and ``Sources/``.

Layout: one TextSource per answer, named by its ``response_id`` and stored as
``Sources/<guid>.txt`` (UTF-8, LF line endings). Each coder's codes on an
answer are one PlainTextSelection over the whole answer, made by that coder's
User, holding one Coding per code. Respondents are Cases (with the survey's
attributes as typed Variables) that refer to their answers; each question is a
Set of its answers. Memos are Notes referred to from the selection or coding.
docs/qdpx.md says why.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import themeloop
from themeloop._io import write_with
from themeloop.codebook.model import Codebook
from themeloop.errors import QdpxError
from themeloop.qdpx.codes import ExtraCode, add_codes
from themeloop.qdpx.guids import make_guid
from themeloop.qdpx.users import User
from themeloop.qdpx.variables import infer_type, typed_value, value_text, xsd_datetime
from themeloop.qdpx.xmlsafe import PROJECT_NS, schema_errors, xml_text

if TYPE_CHECKING:
    import pandas as pd

LAYERS = ("agreed", "coders", "model")
LAYER_CHOICES = (*LAYERS, "all")
SOURCES_DIR = "Sources"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same project gives the same bytes
_SKIPPED = ("skipped", "cancelled")
_DEFAULT_SOURCE = {"agreed": "adjudication", "coders": "human", "model": "model"}


@dataclass(frozen=True)
class ExportInput:
    """Everything a .qdpx holds, already loaded.

    Parameters
    ----------
    name : the project's name; it seeds every GUID, so keep it stable.
    responses : the long responses table (``response_id, respondent_id, question, text``).
    layers : coding tables by layer (``agreed``, ``coders``, ``model``).
    codebook : the codebook; codes a layer uses that it lacks are added as extras.
    prompts : question id -> question text.
    attributes : one row per respondent: ``respondent_id`` and attribute columns.
    extra_labels : ``(question, code)`` -> ``(label, description)`` for extra codes
        (the labels of proposed themes).
    """

    name: str
    responses: pd.DataFrame
    layers: dict[str, pd.DataFrame]
    codebook: Codebook | None = None
    prompts: dict[str, str] = field(default_factory=dict)
    attributes: pd.DataFrame | None = None
    extra_labels: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportSummary:
    """What a .qdpx holds, for the CLI and the run's notes."""

    path: Path
    layers: tuple[str, ...]
    n_users: int
    n_codes: int
    n_sources: int
    n_selections: int
    n_codings: int
    n_cases: int
    n_notes: int
    notes: tuple[str, ...] = ()


def write_qdpx(data: ExportInput, path: str | Path) -> ExportSummary:
    """Write ``data`` as a .qdpx at ``path`` (atomically) and return what it holds.

    Raises
    ------
    QdpxError
        If the project.qde built does not validate against Project.xsd (a bug).
    """
    root, sources, summary = build_project(data)
    errors = schema_errors(root, "project")
    if errors:
        raise QdpxError(f"project.qde does not validate against Project.xsd: {errors[0]}")
    from lxml import etree

    qde = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "project.qde", qde)
            for name, content in sources:
                _add(zf, name, content)

    path = write_with(path, write)
    return ExportSummary(path=path, **summary)


def _add(zf: zipfile.ZipFile, name: str, content: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, content)


def lf(text: str) -> str:
    """``text`` with CRLF and CR line endings as LF, so every tool counts the same characters."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def coding_rows(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The layers' judgements in one table, each with a ``source``; skipped rows left out."""
    import pandas as pd

    frames = []
    for layer, frame in layers.items():
        frame = frame.copy()
        if "status" in frame.columns:
            frame = frame[~frame["status"].isin(_SKIPPED)]
        source = frame["source"] if "source" in frame.columns else pd.Series("", index=frame.index)
        frame["source"] = source.fillna("").replace("", _DEFAULT_SOURCE.get(layer, "human"))
        for column in ("timestamp", "memo"):
            frame[column] = frame[column].fillna("").astype(str) if column in frame.columns else ""
        frame["layer"] = layer
        frames.append(frame[["response_id", "question", "coder", "code", "source", "timestamp",
                             "memo", "layer"]])
    if not frames:
        return pd.DataFrame(columns=["response_id", "question", "coder", "code", "source",
                                     "timestamp", "memo", "layer"])
    rows = pd.concat(frames, ignore_index=True)
    return rows.drop_duplicates(["response_id", "question", "coder", "source", "code"])


def build_project(data: ExportInput) -> tuple[Any, list[tuple[str, bytes]], dict[str, Any]]:
    """The ``<Project>`` element, the source files and the summary counts.

    Children come in the schema's order: Users, CodeBook, Variables, Cases,
    Sources, Notes, Sets, Description.
    """
    from lxml import etree

    ns, name, responses = PROJECT_NS, data.name, data.responses
    rows, notes = _known_rows(coding_rows(data.layers), responses)
    root = _project_element(data)
    users = _add_users(root, name, rows)
    book = etree.SubElement(root, f"{{{ns}}}CodeBook")
    code_guids = add_codes(book, data.codebook, name, prompts=data.prompts,
                           extra=_extra_codes(rows, data),
                           questions=list(dict.fromkeys(responses["question"])), ns=ns)
    by_unit = _by_unit(rows)
    texts = dict(zip(responses["response_id"], responses["text"]))
    exported = [rid for rid in responses["response_id"] if rid in by_unit or str(texts[rid]).strip()]
    source_guid = {rid: make_guid(name, "source", rid) for rid in exported}
    _add_cases(root, ns, data, responses, exported, source_guid)
    files, note_els, counts = _add_sources(root, data, exported, texts, by_unit, code_guids,
                                           source_guid)
    if note_els:
        etree.SubElement(root, f"{{{ns}}}Notes").extend(note_els)
    question_of = dict(zip(responses["response_id"], responses["question"]))
    _add_sets(root, ns, name, data, exported, source_guid, question_of)
    layers = tuple(layer for layer in LAYERS if layer in data.layers)
    etree.SubElement(root, f"{{{ns}}}Description").text = xml_text(
        f"Survey answers and codes exported by themeloop from project '{name}'. Layers: "
        f"{', '.join(layers) or 'none'}. One source per answer, named by its response id; "
        "one selection per coder and answer.")
    summary = {
        "layers": layers, "n_users": len(users), "n_codes": len(code_guids),
        "n_sources": len(exported), "n_selections": counts["selections"],
        "n_codings": counts["codings"], "n_cases": _n_cases(responses, exported),
        "n_notes": len(note_els), "notes": tuple(notes),
    }
    return root, files, summary


def _known_rows(rows: pd.DataFrame, responses: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows of answers the survey has; a note counts the others (they have no text to code)."""
    known = rows["response_id"].isin(set(responses["response_id"]))
    if known.all():
        return rows, []
    stray = rows[~known]
    return rows[known], [f"{len(stray)} coding row(s) name answers the survey does not have "
                         f"(e.g. '{stray['response_id'].iloc[0]}'); they are not in the .qdpx"]


def _project_element(data: ExportInput) -> Any:
    from lxml import etree

    ns, xsi = PROJECT_NS, "http://www.w3.org/2001/XMLSchema-instance"
    version = data.codebook.version if data.codebook is not None else ""
    origin = f"themeloop {themeloop.__version__}" + (f"; codebook version {version}" if version else "")
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns, "xsi": xsi},
                         name=xml_text(data.name), origin=origin)
    root.set(f"{{{xsi}}}schemaLocation",
             f"{ns} http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd")
    return root


def _add_users(root: Any, name: str, rows: pd.DataFrame) -> list[User]:
    from lxml import etree

    users = sorted({User(c, s) for c, s in zip(rows["coder"], rows["source"])}, key=lambda u: u.order)
    if users:
        users_el = etree.SubElement(root, f"{{{PROJECT_NS}}}Users")
        for user in users:
            etree.SubElement(users_el, f"{{{PROJECT_NS}}}User", guid=user.guid(name),
                             name=xml_text(user.name), id=xml_text(user.id))
    return users


_Groups = dict[tuple[str, str], list[tuple[str, str, str]]]  # (coder, source) -> (code, time, memo)


def _by_unit(rows: pd.DataFrame) -> dict[str, _Groups]:
    """Rows grouped by answer, then by (coder, source).

    Plain dicts, not a pandas groupby per answer: 10,000 answers take seconds, not minutes.
    """
    by_unit: dict[str, _Groups] = {}
    for rid, coder, src, code, stamp, memo in zip(rows["response_id"], rows["coder"], rows["source"],
                                                  rows["code"], rows["timestamp"], rows["memo"]):
        by_unit.setdefault(rid, {}).setdefault((coder, src), []).append((code, stamp, memo))
    return by_unit


def _add_sources(
    root: Any, data: ExportInput, exported: list[str], texts: dict[str, Any],
    by_unit: dict[str, _Groups], code_guids: dict[tuple[str, str], str],
    source_guid: dict[str, str],
) -> tuple[list[tuple[str, bytes]], list[Any], dict[str, int]]:
    """One TextSource per answer, its text as ``Sources/<guid>.txt``, its selections inside."""
    from lxml import etree

    ns = PROJECT_NS
    sources_el = etree.SubElement(root, f"{{{ns}}}Sources")
    files: list[tuple[str, bytes]] = []
    note_els: list[Any] = []
    counts = {"selections": 0, "codings": 0}
    question_of = dict(zip(data.responses["response_id"], data.responses["question"]))
    for rid in exported:
        text = lf(str(texts[rid]))
        guid = source_guid[rid]
        source = etree.SubElement(sources_el, f"{{{ns}}}TextSource", guid=guid, name=xml_text(rid),
                                  plainTextPath=f"internal://{guid}.txt")
        qid = question_of[rid]
        prompt = data.prompts.get(qid, "")
        etree.SubElement(source, f"{{{ns}}}Description").text = xml_text(
            f"Answer to {qid}" + (f": {prompt}" if prompt else ""))
        files.append((f"{SOURCES_DIR}/{guid}.txt", text.encode("utf-8", errors="replace")))
        if by_unit.get(rid):
            _add_selections(source, ns, data.name, rid, qid, len(text), by_unit[rid], code_guids,
                            note_els, counts)
    return files, note_els, counts


def _extra_codes(rows: pd.DataFrame, data: ExportInput) -> list[ExtraCode]:
    extra: list[ExtraCode] = []
    seen: set[tuple[str, str]] = set()
    cb = data.codebook
    for qid, code, layer in zip(rows["question"], rows["code"], rows["layer"]):
        if not code or (qid, code) in seen:
            continue
        seen.add((qid, code))
        if cb is not None and qid in cb.questions and code in cb.code_ids(qid):
            continue
        label, description = data.extra_labels.get((qid, code), (code, ""))
        why = ("proposed theme, not in codebook.yaml" if layer == "model"
               else "applied by coders, not in codebook.yaml")
        extra.append(ExtraCode(qid, code, label, description, why))
    return extra


def _add_selections(
    source: Any, ns: str, name: str, rid: str, qid: str, length: int,
    groups: _Groups,
    code_guids: dict[tuple[str, str], str], note_els: list[Any], counts: dict[str, int],
) -> None:
    """One selection per (coder, source) over the whole answer; ``groups`` holds their rows."""
    from lxml import etree

    for (coder, src), rows in groups.items():
        user = User(coder, src)
        user_guid = user.guid(name)
        selection = etree.SubElement(
            source, f"{{{ns}}}PlainTextSelection",
            guid=make_guid(name, "selection", rid, src, coder), startPosition="0",
            endPosition=str(length), creatingUser=user_guid)
        stamps = sorted(t for t in (xsd_datetime(row[1]) for row in rows) if t)
        if stamps:
            selection.set("creationDateTime", stamps[0])
        # One memo on every row goes on the selection; otherwise each on its own coding.
        memos = list(dict.fromkeys(row[2] for row in rows))
        one_memo = len(memos) == 1 and bool(memos[0].strip())
        for code, stamp, memo in rows:
            if not code:
                continue
            coding = etree.SubElement(selection, f"{{{ns}}}Coding",
                                      guid=make_guid(name, "coding", rid, src, coder, code),
                                      creatingUser=user_guid)
            when = xsd_datetime(stamp)
            if when:
                coding.set("creationDateTime", when)
            etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=code_guids[(qid, code)])
            counts["codings"] += 1
            if memo.strip() and not one_memo:
                etree.SubElement(coding, f"{{{ns}}}NoteRef", targetGUID=_note(
                    note_els, ns, name, rid, user, memo, when, code))
        if one_memo:
            etree.SubElement(selection, f"{{{ns}}}NoteRef", targetGUID=_note(
                note_els, ns, name, rid, user, memos[0], stamps[0] if stamps else None, ""))
        counts["selections"] += 1


def _note(note_els: list[Any], ns: str, name: str, rid: str, user: User, memo: str,
          when: str | None, code: str) -> str:
    from lxml import etree

    guid = make_guid(name, "note", rid, user.source, user.coder, code)
    note = etree.Element(f"{{{ns}}}Note", guid=guid,
                         name=xml_text(f"Memo on {rid} by {user.name}"),
                         creatingUser=user.guid(name))
    if when:
        note.set("creationDateTime", when)
    etree.SubElement(note, f"{{{ns}}}PlainTextContent").text = xml_text(lf(memo))
    note_els.append(note)
    return guid


def _n_cases(responses: pd.DataFrame, exported: Iterable[str]) -> int:
    keep = set(exported)
    return responses[responses["response_id"].isin(keep)]["respondent_id"].nunique()


def _add_cases(root: Any, ns: str, data: ExportInput, responses: pd.DataFrame,
               exported: list[str], source_guid: dict[str, str]) -> None:
    from lxml import etree

    keep = set(exported)
    mine = responses[responses["response_id"].isin(keep)]
    if mine.empty:
        return
    name = data.name
    attrs = data.attributes
    columns = [c for c in attrs.columns if c != "respondent_id"] if attrs is not None else []
    kinds = {c: infer_type(attrs[c]) for c in columns}
    if columns:
        variables = etree.SubElement(root, f"{{{ns}}}Variables")
        for column in columns:
            etree.SubElement(variables, f"{{{ns}}}Variable", guid=make_guid(name, "variable", column),
                             name=xml_text(str(column)), typeOfVariable=kinds[column])
    values: dict[str, dict[str, str]] = {}
    if attrs is not None:
        for record in attrs.to_dict("records"):
            values[value_text(record["respondent_id"])] = {
                c: value_text(record[c]) for c in columns}
    cases = etree.SubElement(root, f"{{{ns}}}Cases")
    for rid, group in mine.groupby("respondent_id", sort=False):
        case = etree.SubElement(cases, f"{{{ns}}}Case", guid=make_guid(name, "case", str(rid)),
                                name=xml_text(str(rid)))
        for column in columns:
            text = values.get(str(rid), {}).get(column, "")
            if not text:
                continue
            element, lexical = typed_value(text, kinds[column])
            vv = etree.SubElement(case, f"{{{ns}}}VariableValue")
            etree.SubElement(vv, f"{{{ns}}}VariableRef",
                             targetGUID=make_guid(name, "variable", column))
            etree.SubElement(vv, f"{{{ns}}}{element}").text = xml_text(lexical)
        for response_id in group["response_id"]:
            etree.SubElement(case, f"{{{ns}}}SourceRef", targetGUID=source_guid[response_id])


def _add_sets(root: Any, ns: str, name: str, data: ExportInput, exported: list[str],
              source_guid: dict[str, str], question_of: dict[str, str]) -> None:
    from lxml import etree

    if not exported:
        return
    sets = etree.SubElement(root, f"{{{ns}}}Sets")
    by_question: dict[str, list[str]] = {}
    for rid in exported:
        by_question.setdefault(question_of[rid], []).append(rid)
    for qid, rids in by_question.items():
        member = etree.SubElement(sets, f"{{{ns}}}Set", guid=make_guid(name, "set", qid),
                                  name=xml_text(f"Answers to {qid}"))
        prompt = data.prompts.get(qid, "")
        if prompt:
            etree.SubElement(member, f"{{{ns}}}Description").text = xml_text(prompt)
        for rid in rids:
            etree.SubElement(member, f"{{{ns}}}MemberSource", targetGUID=source_guid[rid])
