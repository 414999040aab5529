"""The .qdpx ``model`` layer holds the run's model codes, with the autocoder as a User."""

from __future__ import annotations

import zipfile

from _model_fixtures import MODEL_ID, make_model_project
from lxml import etree

from themeloop.config import find_project
from themeloop.qdpx import export_project_qdpx
from themeloop.qdpx.guids import code_guid

NS = {"q": "urn:QDA-XML:project:1.0"}


def _export(tmp_path, layer):
    root = make_model_project(tmp_path / "p")
    summary = export_project_qdpx(find_project(root), layer=layer)
    qde = etree.fromstring(zipfile.ZipFile(summary.path).read("project.qde"))
    return root, summary, qde


def _codes_by(qde, rid: str, user_guid: str) -> list[str]:
    source = qde.find(f"q:Sources/q:TextSource[@name='{rid}']", NS)
    selection = source.find(f"q:PlainTextSelection[@creatingUser='{user_guid}']", NS)
    if selection is None:
        return []
    return sorted(c.find("q:CodeRef", NS).get("targetGUID") for c in selection.iterfind(
        "q:Coding", NS))


def test_the_model_layer_holds_the_autocoders_codes_and_scores(tmp_path):
    _, summary, qde = _export(tmp_path, "model")
    assert summary.layers == ("model",)
    users = {u.get("id"): (u.get("guid"), u.get("name")) for u in qde.findall("q:Users/q:User", NS)}
    assert set(users) == {f"model:{MODEL_ID}"}  # no assignments.csv in this project
    guid, name = users[f"model:{MODEL_ID}"]
    assert name == f"{MODEL_ID} (model)"
    project = "p"
    assert _codes_by(qde, "O12:barriers", guid) == sorted(
        code_guid(project, "barriers", c) for c in ("funding", "risk"))
    assert _codes_by(qde, "O10:barriers", guid) == [code_guid(project, "barriers", "funding")]
    notes = {n.find("q:PlainTextContent", NS).text for n in qde.findall("q:Notes/q:Note", NS)}
    assert {"model score 0.64, threshold 0.42", "model score 0.55, threshold 0.50"} <= notes


def test_all_layers_keep_people_and_model_apart(tmp_path):
    _, summary, qde = _export(tmp_path, "all")
    assert summary.layers == ("agreed", "coders", "model")
    users = {u.get("id"): u.get("guid") for u in qde.findall("q:Users/q:User", NS)}
    assert {"adjudication:consensus", f"model:{MODEL_ID}", "human:amira@example.org"} <= set(users)
    # O01 was coded by people (funding); the model's row for it stays the model's own
    assert _codes_by(qde, "O01:barriers", users["adjudication:consensus"]) == [
        code_guid("p", "barriers", "funding")]
    assert _codes_by(qde, "O01:barriers", users[f"model:{MODEL_ID}"]) == [
        code_guid("p", "barriers", "risk")]
