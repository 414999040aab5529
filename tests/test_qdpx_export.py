"""QDPX export: schema-valid, users, nested codebook with stable GUIDs, sources and offsets."""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from importlib import resources

import pandas as pd
import pytest
from _qdpx_fixtures import write_run_outputs
from lxml import etree

from themeloop.config import find_project
from themeloop.errors import QdpxError
from themeloop.qdpx import ExportInput, export_project_qdpx, write_qdpx
from themeloop.qdpx.export import lf
from themeloop.qdpx.guids import NAMESPACE, code_guid

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def project(sample_dir):
    return find_project(sample_dir)


@pytest.fixture(scope="module")
def exported(project, tmp_path_factory):
    out = write_run_outputs(project, tmp_path_factory.mktemp("out"))
    summary = export_project_qdpx(project, out)
    with zipfile.ZipFile(summary.path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return summary, files, etree.fromstring(files["project.qde"])


def test_the_sample_project_validates_against_project_xsd(exported):
    summary, files, root = exported
    xsd = resources.files("themeloop.qdpx").joinpath("schema", "Project.xsd").read_bytes()
    schema = etree.XMLSchema(etree.fromstring(xsd))
    assert schema.validate(root), schema.error_log
    assert summary.layers == ("agreed", "coders", "model")
    names = list(files)
    assert names[0] == "project.qde"
    assert all(n.startswith("Sources/") and n.endswith(".txt") for n in names[1:])
    assert len(names) - 1 == summary.n_sources == 123


def test_one_user_per_coder_plus_consensus_and_model(exported):
    users = {u.get("id"): u.get("name") for u in exported[2].findall("q:Users/q:User", NS)}
    assert users == {
        "human:amira.khan@example.org": "amira.khan@example.org",
        "human:ben.osei@example.org": "ben.osei@example.org",
        "adjudication:chloe.reid@example.org": "chloe.reid@example.org (adjudicator)",
        "adjudication:consensus": "Consensus (adjudicated codes)",
        "model:model": "Model (themes proposed by themeloop)",
    }


def test_codebook_nests_codes_with_descriptions_and_uuid5_guids(exported, project):
    root = exported[2]
    folders = root.findall("q:CodeBook/q:Codes/q:Code", NS)
    assert [f.get("name") for f in folders] == ["barriers", "practice", "radical"]
    assert all(f.get("isCodable") == "false" for f in folders)
    barriers = folders[0]
    risk = barriers.find("q:Code[@name='Risk aversion']", NS)
    children = [c.get("name") for c in risk.findall("q:Code", NS)]
    assert children == ["Risk aversion: regulation and inspection", "Risk aversion: the political cycle"]
    funding = barriers.find("q:Code[@name='Lack of funding']", NS)
    assert funding.get("guid") == code_guid("innovation-survey", "barriers", "funding")
    assert funding.get("guid") == str(uuid.uuid5(NAMESPACE, "\x1f".join(
        ("innovation-survey", "code", "barriers", "funding"))))
    text = funding.find("q:Description", NS).text
    assert text.startswith("Money is named as a barrier") and text.endswith("themeloop id: funding")


def test_a_re_export_is_byte_identical(project, exported, tmp_path):
    summary = exported[0]
    again = export_project_qdpx(project, summary.path.parent, out=tmp_path / "again.qdpx")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (summary.path, again.path)]
    assert digest[0] == digest[1]


def test_every_selection_is_exactly_its_answer(exported, project):
    from themeloop.survey import load_project_survey

    _, files, root = exported
    answers = load_project_survey(project).responses().set_index("response_id")["text"]
    n = 0
    for source in root.findall("q:Sources/q:TextSource", NS):
        member = "Sources/" + source.get("plainTextPath").removeprefix("internal://")
        text = files[member].decode("utf-8")
        assert text == lf(answers[source.get("name")])
        for selection in source.findall("q:PlainTextSelection", NS):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] == text
            n += 1
    assert n == exported[0].n_selections > 300


def test_a_coding_names_its_code_user_and_time(exported):
    root = exported[2]
    users = {u.get("id"): u.get("guid") for u in root.findall("q:Users/q:User", NS)}
    source = root.find("q:Sources/q:TextSource[@name='ORG01:barriers']", NS)
    amira = source.find(f"q:PlainTextSelection[@creatingUser='{users['human:amira.khan@example.org']}']", NS)
    coding = amira.find("q:Coding", NS)
    assert coding.get("creatingUser") == users["human:amira.khan@example.org"]
    assert coding.get("creationDateTime") == "2021-02-01T09:52:48Z"
    assert coding.find("q:CodeRef", NS).get("targetGUID") == code_guid(
        "innovation-survey", "barriers", "funding")


def test_memos_are_notes_referred_to_from_the_selection(exported):
    root = exported[2]
    notes = {n.get("guid"): n.find("q:PlainTextContent", NS).text
             for n in root.findall("q:Notes/q:Note", NS)}
    source = root.find("q:Sources/q:TextSource[@name='ORG06:barriers']", NS)
    refs = [r.get("targetGUID") for r in source.iterfind(".//q:NoteRef", NS)]
    assert "borderline: capability vs skills" in [notes[r] for r in refs]
    assert exported[0].n_notes == len(notes) > 0


def test_cases_carry_the_attributes_and_refer_to_their_answers(exported):
    root = exported[2]
    variables = root.findall("q:Variables/q:Variable", NS)
    assert [v.get("name") for v in variables][:2] == ["org_type", "innovation_level"]
    cases = root.findall("q:Cases/q:Case", NS)
    assert len(cases) == 41 and cases[0].get("name") == "ORG01"
    assert cases[0].find("q:VariableValue/q:TextValue", NS).text == "charity"
    assert len(cases[0].findall("q:SourceRef", NS)) == 3


def test_the_model_layer_adds_proposed_themes_with_their_labels(exported):
    practice = exported[2].find("q:CodeBook/q:Codes/q:Code[@name='practice']", NS)
    theme = practice.find("q:Code[@name='Online groups']", NS)
    assert theme is not None
    assert "themeloop extra: proposed theme, not in codebook.yaml" in theme.find(
        "q:Description", NS).text


def _data(attributes: pd.DataFrame) -> ExportInput:
    responses = pd.DataFrame({"response_id": ["r1:q", "r2:q"], "respondent_id": ["r1", "r2"],
                              "question": ["q", "q"], "text": ["one\r\ntwo", "three"]})
    coding = pd.DataFrame({"response_id": ["r1:q", "r2:q"], "question": ["q", "q"],
                           "coder": ["a", "a"], "code": ["x", ""]})
    return ExportInput(name="t", responses=responses, layers={"coders": coding},
                       attributes=attributes)


def test_variables_get_their_type_and_typed_values(tmp_path):
    attributes = pd.DataFrame({
        "respondent_id": ["r1", "r2"], "staff": ["12", "7"], "share": ["0.5", "1e-1"],
        "statutory": ["True", "false"], "founded": ["2001-04-01", ""], "region": ["North", "7"],
        "la_code": ["007", "12"],
    })
    path = write_qdpx(_data(attributes), tmp_path / "t.qdpx").path
    root = etree.fromstring(zipfile.ZipFile(path).read("project.qde"))
    kinds = {v.get("name"): v.get("typeOfVariable") for v in root.findall("q:Variables/q:Variable", NS)}
    assert kinds == {"staff": "Integer", "share": "Float", "statutory": "Boolean",
                     "founded": "Date", "region": "Text", "la_code": "Text"}
    r1, r2 = root.findall("q:Cases/q:Case", NS)
    values = [etree.QName(v[1]).localname + "=" + v[1].text for v in r1.findall("q:VariableValue", NS)]
    assert values == ["IntegerValue=12", "FloatValue=0.5", "BooleanValue=true",
                      "DateValue=2001-04-01", "TextValue=North", "TextValue=007"]
    assert len(r2.findall("q:VariableValue", NS)) == 5  # no founding date: no value
    assert r2.find("q:VariableValue/q:FloatValue", NS).text == "0.1"


def test_line_endings_are_written_as_lf_and_offsets_count_characters(tmp_path):
    path = write_qdpx(_data(None), tmp_path / "t.qdpx").path
    zf = zipfile.ZipFile(path)
    root = etree.fromstring(zf.read("project.qde"))
    source = root.find("q:Sources/q:TextSource[@name='r1:q']", NS)
    text = zf.read("Sources/" + source.get("plainTextPath")[len("internal://"):]).decode()
    assert text == "one\ntwo"
    assert source.find("q:PlainTextSelection", NS).get("endPosition") == "7"
    uncoded = root.find("q:Sources/q:TextSource[@name='r2:q']/q:PlainTextSelection", NS)
    assert uncoded.find("q:Coding", NS) is None  # read, applied no code


def test_texts_come_from_the_loaded_survey(project, exported, tmp_path, monkeypatch):
    """With privacy on, Survey.responses() gives pseudonymised text; the .qdpx must use it."""
    from themeloop.survey.model import Survey

    real = Survey.responses

    def pseudonymised(self):
        frame = real(self)
        frame["text"] = frame["text"].str.replace("funding", "[FUNDING]")
        return frame

    monkeypatch.setattr(Survey, "responses", pseudonymised)
    path = export_project_qdpx(project, exported[0].path.parent, layer="coders",
                               out=tmp_path / "p.qdpx").path
    zf = zipfile.ZipFile(path)
    texts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("Sources/")]
    assert any("[FUNDING]" in t for t in texts)
    assert not any("grant funding" in t for t in texts)


def test_layers_pick_what_goes_in(project, exported, tmp_path):
    out = exported[0].path.parent
    agreed = export_project_qdpx(project, out, layer="agreed", out=tmp_path / "a.qdpx")
    root = etree.fromstring(zipfile.ZipFile(agreed.path).read("project.qde"))
    assert [u.get("id") for u in root.findall("q:Users/q:User", NS)] == ["adjudication:consensus"]
    with pytest.raises(QdpxError, match="no such file for layer 'model'; run 'themeloop themes' first"):
        export_project_qdpx(project, tmp_path, layer="model")
    with pytest.raises(QdpxError, match="unknown layer 'agree' \\(did you mean 'agreed'\\?\\)"):
        export_project_qdpx(project, out, layer="agree")
