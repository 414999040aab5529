"""A Label Studio labeling config (XML) for one question of a codebook.

Design choices, checked against Label Studio 1.23's tag reference:

* Each code is ``<Choice value="<code id>" html="<label>" hint="<description>"/>``.
  ``value`` is what exports carry, so pulled results hold stable ids; ``html``
  is what coders see. ``alias`` is NOT used: it *replaces* the value in
  results. ``html`` is rendered as HTML, so the label is HTML-escaped before
  ElementTree XML-escapes the attribute.
* The hierarchy is shown by order and indentation, not by nested ``<Choice>``
  elements: nesting needs ``allowNested``, whose results become paths
  (``[["parent", "child"]]``) instead of a flat list of ids.
* Task data keys: ``text``, ``response_id`` and one key per attribute named
  (see :func:`attribute_key`).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from themeloop.codebook.model import Code, Codebook
from themeloop.errors import CodebookError, StudioError

CODES_NAME = "codes"
FLAGS_NAME = "flags"
MEMO_NAME = "memo"
TEXT_NAME = "text"
UNCLEAR = "unclear"

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Characters XML 1.0 cannot carry at all (pasted control characters, U+FFFE...).
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot represent."""
    return _NOT_XML.sub("", text)


def attribute_key(attribute: str) -> str:
    """The task-data key (and ``$variable``) used for a respondent attribute.

    >>> attribute_key("org_type"), attribute_key("Org type (2024)")
    ('org_type', 'Org_type_2024')
    """
    if _KEY.match(attribute):
        return attribute
    key = re.sub(r"\W+", "_", attribute, flags=re.ASCII).strip("_") or "attribute"
    return key if _KEY.match(key) else f"a_{key}"


def label_config(
    codebook: Codebook, qid: str, attributes: Iterable[str] = (), *, prompt: str | None = None
) -> str:
    """The Label Studio XML config for coding question ``qid``.

    Parameters
    ----------
    codebook
        The codebook; ``qid`` must be one of its questions.
    qid
        Question id.
    attributes
        Respondent attributes to show beside the answer (task data keys from
        :func:`attribute_key`); none are shown unless named.
    prompt
        The question's wording, shown as a header when given.

    Returns
    -------
    str
        ``<View>`` with the answer (``$text``), its ``$response_id``, the
        multi-select ``codes`` choices (values are code ids), an ``unclear``
        flag and a ``memo`` text area.

    Raises
    ------
    CodebookError
        If the question is unknown or has no codes.
    """
    codes = codebook.codes(qid)
    if not codes:
        raise CodebookError(f"question '{qid}' has no codes in codebook version "
                            f"{codebook.version}; add codes before pushing it to Label Studio")
    view = ET.Element("View")
    header = ET.SubElement(view, "View", style="display:flex;gap:1em;align-items:baseline")
    ET.SubElement(header, "Header", value="Response", size="6")
    ET.SubElement(header, "Text", name="response_id", value="$response_id")
    for attribute in attributes:
        key = attribute_key(attribute)
        row = ET.SubElement(view, "View", style="display:flex;gap:1em;align-items:baseline")
        ET.SubElement(row, "Header", value=xml_safe(attribute), size="6")
        ET.SubElement(row, "Text", name=f"attr_{key}", value=f"${key}")
    if prompt:
        ET.SubElement(view, "Header", value=xml_safe(prompt), size="5")
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")
    ET.SubElement(view, "Header", value=f"Codes (codebook {codebook.version})", size="6")
    choices = ET.SubElement(view, "Choices", name=CODES_NAME, toName=TEXT_NAME,
                            choice="multiple", showInline="false")
    for code, depth in _depth_first(codes):
        ET.SubElement(choices, "Choice", _choice_attrs(code, depth))
    flags = ET.SubElement(view, "Choices", name=FLAGS_NAME, toName=TEXT_NAME,
                          choice="multiple", showInline="true")
    ET.SubElement(flags, "Choice", value=UNCLEAR, html="unclear / discuss",
                  hint="Tick when the answer or the fitting code is unclear; it goes to discussion.")
    ET.SubElement(view, "TextArea", name=MEMO_NAME, toName=TEXT_NAME, maxSubmissions="1",
                  editable="true", placeholder="Memo (optional)")
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"


def _choice_attrs(code: Code, depth: int) -> dict[str, str]:
    label = html.escape(xml_safe(code.label) or code.id)
    shown = label if depth == 0 else (
        f'<span style="padding-left:{1.5 * depth:g}em">↳ {label}</span>')
    attrs = {"value": code.id, "html": shown}
    hint = _hint(code)
    if hint:
        attrs["hint"] = hint
    return attrs


def _hint(code: Code) -> str:
    include, exclude = xml_safe(code.include).strip(), xml_safe(code.exclude).strip()
    parts = [xml_safe(code.description).strip()]
    if include:
        parts.append(f"Include: {include}")
    if exclude:
        parts.append(f"Exclude: {exclude}")
    return " ".join(p for p in parts if p)


def _depth_first(codes: list[Code]) -> list[tuple[Code, int]]:
    """Codes with their depth, each parent followed by its children (cycles cut)."""
    ids = {c.id for c in codes}
    out: list[tuple[Code, int]] = []
    seen: set[str] = set()

    def visit(code: Code, depth: int) -> None:
        if code.id in seen:
            return
        seen.add(code.id)
        out.append((code, depth))
        for child in codes:
            if child.parent == code.id:
                visit(child, depth + 1)

    for code in codes:
        if code.parent is None or code.parent not in ids:
            visit(code, 0)
    for code in codes:  # codes only reachable through a cycle
        visit(code, 0)
    return out


def config_code_ids(config: str) -> set[str]:
    """The code ids offered by a labeling config's ``codes`` choices.

    Lets push/pull tell whether a Label Studio project still matches the codebook.

    Raises
    ------
    StudioError
        If the config is not XML or has no ``<Choices name="codes">``.
    """
    try:
        root = ET.fromstring(config)
    except ET.ParseError as exc:
        raise StudioError(f"the Label Studio labeling config is not valid XML ({exc})") from None
    for element in root.iter("Choices"):
        if element.get("name") == CODES_NAME:
            return {c.get("value", "") for c in element.iter("Choice")}
    raise StudioError(
        f"the Label Studio labeling config has no <Choices name=\"{CODES_NAME}\">; "
        "it was not made by themeloop, push the project again"
    )
