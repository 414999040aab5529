"""The Label Studio labeling config built from a codebook."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from themeloop.codebook import Codebook, attribute_key, config_code_ids, label_config
from themeloop.codebook.label_config import xml_safe
from themeloop.errors import CodebookError, StudioError

CB = Codebook(version="1.2", questions={"barriers": {"codes": [
    {"id": "funding", "label": "Lack of <funding> & \"money\"", "description": "Budgets <b>cut</b> & 'grants'",
     "include": "grants", "exclude": "pay"},
    {"id": "public_funding", "label": "Public", "description": "State money.", "parent": "funding"},
    {"id": "staff", "label": "Staff", "description": "People."},
    {"id": "agency", "label": "Agency staff", "description": "Temps.", "parent": "staff"},
]}, "empty": {"codes": []}})


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def test_structure():
    root = parse(label_config(CB, "barriers"))
    assert root.tag == "View"
    text = [e for e in root.iter("Text") if e.get("name") == "text"]
    assert text[0].get("value") == "$text"
    assert any(e.get("value") == "$response_id" for e in root.iter("Text"))
    codes, flags = root.findall("Choices")
    assert codes.attrib == {"name": "codes", "toName": "text", "choice": "multiple",
                            "showInline": "false"}
    assert [c.get("value") for c in codes.iter("Choice")] == [
        "funding", "public_funding", "staff", "agency"]  # each parent followed by its children
    assert flags.get("name") == "flags" and flags.get("choice") == "multiple"
    assert [(c.get("value"), c.get("html")) for c in flags] == [("unclear", "unclear / discuss")]
    memo = root.find("TextArea")
    assert memo.attrib == {"name": "memo", "toName": "text", "maxSubmissions": "1",
                           "editable": "true", "placeholder": "Memo (optional)"}
    names = [e.get("name") for e in root.iter() if e.get("name")]
    assert len(names) == len(set(names))


def test_labels_are_escaped_and_shown_as_html():
    xml = label_config(CB, "barriers")
    assert "<b>cut" not in xml and 'money"' not in xml
    funding, public = list(parse(xml).iter("Choice"))[:2]
    assert funding.get("value") == "funding"
    assert funding.get("html") == html.escape('Lack of <funding> & "money"')
    assert funding.get("hint") == "Budgets <b>cut</b> & 'grants' Include: grants Exclude: pay"
    assert public.get("html") == '<span style="padding-left:1.5em">↳ Public</span>'
    assert funding.get("alias") is None  # an alias would replace the id in exported results


def test_attributes_only_when_named():
    plain = label_config(CB, "barriers")
    assert "$org_type" not in plain
    root = parse(label_config(CB, "barriers", ["org_type", "Size band"], prompt="Why <not>?"))
    values = {e.get("name"): e.get("value") for e in root.iter("Text")}
    assert values["attr_org_type"] == "$org_type"
    assert values["attr_Size_band"] == "$Size_band"
    assert any(h.get("value") == "Why <not>?" for h in root.iter("Header"))


def test_attribute_key():
    assert attribute_key("org_type") == "org_type"
    assert attribute_key("2020 size") == "a_2020_size"
    assert attribute_key("%%") == "attribute"


def test_config_code_ids_round_trip():
    assert config_code_ids(label_config(CB, "barriers")) == {
        "funding", "public_funding", "staff", "agency"}


def test_config_code_ids_errors():
    with pytest.raises(StudioError, match="not valid XML"):
        config_code_ids("<View><Choices")
    with pytest.raises(StudioError, match='no <Choices name="codes">'):
        config_code_ids('<View><Choices name="other" toName="t"/></View>')


def test_question_without_codes_or_unknown():
    with pytest.raises(CodebookError, match="question 'empty' has no codes"):
        label_config(CB, "empty")
    with pytest.raises(CodebookError, match="no question 'barrier'"):
        label_config(CB, "barrier")


def test_parent_cycle_still_lists_every_code():
    cb = Codebook(version="1", questions={"q": {"codes": [
        {"id": "a", "label": "A", "parent": "b"}, {"id": "b", "label": "B", "parent": "a"}]}})
    assert config_code_ids(label_config(cb, "q")) == {"a", "b"}


slug = st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  # incl. \x00, U+FFFE


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(slug, text, text), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_any_codebook_gives_parseable_config_with_its_ids(codes):
    cb = Codebook(version="1", questions={"q": {"codes": [
        {"id": cid, "label": label, "description": desc} for cid, label, desc in codes]}})
    xml = label_config(cb, "q")
    assert config_code_ids(xml) == {cid for cid, _, _ in codes}
    hints = {c.get("value"): c.get("hint") or "" for c in parse(xml).find("Choices")}
    assert all(hints[cid] == xml_safe(desc).strip() for cid, _, desc in codes)
