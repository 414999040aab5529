"""Round trips: export then import gives back the coding table and the codebook."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from _qdpx_fixtures import write_run_outputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from themeloop.codebook import load_codebook
from themeloop.coding import read_coding_table
from themeloop.config import find_project
from themeloop.qdpx import ExportInput, export_project_qdpx, write_qdpx
from themeloop.qdpx.export import lf
from themeloop.qdpx.importer import read_qdpx
from themeloop.qdpx.qdc import qdc_bytes, read_qdc

KEY = ["response_id", "question", "coder", "code", "source"]


def _rows(table: pd.DataFrame, columns=KEY) -> list[tuple]:
    return sorted(map(tuple, table[columns].drop_duplicates().itertuples(index=False)))


@pytest.fixture(scope="module")
def project(sample_dir):
    return find_project(sample_dir)


def test_the_coding_table_and_codebook_come_back(project, tmp_path):
    path = export_project_qdpx(project, tmp_path, layer="coders").path
    for responses in (None, "project"):
        if responses:
            from themeloop.survey import load_project_survey

            responses = load_project_survey(project).responses()
        result = read_qdpx(path, responses=responses)
        original = read_coding_table(project.coding_table_path)
        columns = [*KEY, "timestamp", "memo"]
        assert _rows(result.table, columns) == _rows(original, columns)
        assert result.codebook == load_codebook(project.codebook_path)
        report = result.report
        assert (report.selections, report.whole, report.partial, report.unmapped) == (
            267, 267, 0, 0)


def test_every_layer_comes_back_with_its_coders(project, tmp_path):
    out = write_run_outputs(project, tmp_path)
    result = read_qdpx(export_project_qdpx(project, out).path)
    table = result.table
    agreed = read_coding_table(out / "agreed.csv")
    assert _rows(table[table["coder"] == "consensus"]) == _rows(agreed)
    model = table[table["coder"] == "model"]
    assert _rows(model, ["response_id", "code", "source"]) == [
        ("ORG01:barriers", "funding", "model"), ("ORG01:practice", "t_online", "model"),
        ("ORG02:barriers", "risk_aversion", "model"), ("ORG03:barriers", "", "model")]
    # The proposed theme is in the table but not in the codebook that comes back.
    assert result.codebook == load_codebook(project.codebook_path)


def test_a_qdc_gives_back_the_codebook(project):
    codebook = load_codebook(project.codebook_path)
    data = qdc_bytes(codebook, "innovation-survey")
    from importlib import resources

    from lxml import etree

    xsd = resources.files("themeloop.qdpx").joinpath("schema", "Codebook.xsd").read_bytes()
    assert etree.XMLSchema(etree.fromstring(xsd)).validate(etree.fromstring(data))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.qdc"
        path.write_bytes(data)
        back, notes = read_qdc(path, questions=codebook.question_ids)
    assert back == codebook and notes == []


# Answers as people type them: emoji, line breaks of every kind, and what XML escapes.
_PIECES = st.sampled_from(["&", "<", ">", "]]>", "\r\n", "\n", "\r", "😀", "👩‍👩‍👧", "é", " ",
                           "\t", '"', "'", "&amp;", "<![CDATA[", "\u2028"])
_ANSWER = st.lists(st.one_of(_PIECES, st.text(st.characters(blacklist_categories=("Cs",)),
                                               max_size=8)), max_size=8).map("".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(_ANSWER, min_size=1, max_size=6),
       codes=st.lists(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True),
                      min_size=6, max_size=6),
       coders=st.lists(st.sampled_from(["ana@x.org", "bo@x.org"]), min_size=1, max_size=2,
                       unique=True))
def test_random_answers_round_trip(tmp_path_factory, answers, codes, coders):
    rids = [f"R{i}:q" for i in range(len(answers))]
    responses = pd.DataFrame({"response_id": rids, "respondent_id": [r[:-2] for r in rids],
                              "question": "q", "text": answers})
    rows = []
    for i, rid in enumerate(rids):
        for coder in coders:
            for code in codes[(i + len(coder)) % 6] or [""]:
                rows.append({"response_id": rid, "question": "q", "coder": coder, "code": code,
                             "memo": answers[i] if code == "a" else ""})
    table = pd.DataFrame(rows)
    path = tmp_path_factory.mktemp("rt") / "r.qdpx"
    write_qdpx(ExportInput(name="hyp", responses=responses, layers={"coders": table}), path)

    result = read_qdpx(path, responses=responses)
    got = result.table
    got_rows = _rows(got, ["response_id", "question", "coder", "code"])
    assert got_rows == _rows(table, ["response_id", "question", "coder", "code"])
    memos = {(r, c, k): m for r, c, k, m in zip(got["response_id"], got["coder"], got["code"],
                                                got["memo"])}
    from themeloop.qdpx.xmlsafe import xml_text

    for row in rows:
        memo = xml_text(lf(row["memo"])).strip()  # a coding table's cells are stripped
        assert memos[(row["response_id"], row["coder"], row["code"])] == memo
    # Every selection's text is its answer, with line endings as LF.
    from lxml import etree

    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        ns = {"q": "urn:QDA-XML:project:1.0"}
        for source in root.findall("q:Sources/q:TextSource", ns):
            text = zf.read("Sources/" + source.get("plainTextPath")[11:]).decode("utf-8")
            assert text == lf(answers[rids.index(source.get("name"))])
            for sel in source.findall("q:PlainTextSelection", ns):
                assert text[int(sel.get("startPosition")):int(sel.get("endPosition"))] == text
