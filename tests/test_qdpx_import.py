"""Importing .qdpx files other tools wrote (hand-built NVivo and ATLAS.ti shapes)."""

from __future__ import annotations

import json

import pytest
from _qdpx_fixtures import fixture_qdpx

from themeloop.codebook import load_codebook
from themeloop.config import find_project
from themeloop.qdpx.importer import read_qdpx
from themeloop.survey import load_project_survey


@pytest.fixture(scope="module")
def project(sample_dir):
    return find_project(sample_dir)


@pytest.fixture(scope="module")
def responses(project):
    return load_project_survey(project).responses()


def _rows(table):
    return sorted(zip(table["response_id"], table["coder"], table["code"]))


def test_nvivo_shape_maps_by_name_and_text_and_reports_the_rest(tmp_path, project, responses):
    result = read_qdpx(fixture_qdpx("nvivo", tmp_path), responses=responses,
                       reference=load_codebook(project.codebook_path))
    assert _rows(result.table) == [
        ("ORG01:barriers", "Amira Khan", "funding"),
        ("ORG01:barriers", "Amira Khan", "short_term_grants"),
        ("ORG01:barriers", "Ben Osei", "funding"),
        ("ORG02:barriers", "Amira Khan", "funding"),
        ("ORG02:barriers", "Amira Khan", "risk_aversion"),
        ("ORG02:barriers", "Ben Osei", "funding"),
    ]
    assert set(result.table["question"]) == {"barriers"}
    ben = result.table[result.table["coder"] == "Ben Osei"].iloc[0]
    assert ben["memo"] == "short-term funding, coded at the parent"
    assert ben["timestamp"] == "2024-03-03T14:00:00Z"
    r = result.report
    assert r.sources_by == {"name": 1, "text": 1, "unmapped": 1}
    assert (r.selections, r.whole, r.partial, r.overlapping, r.unmapped) == (7, 1, 5, 2, 1)
    notes = "\n".join(r.notes)
    assert "skipped 1 unknown or unsupported <NVivoAnnotationLayer> in <TextSource>" in notes
    assert "skipped 1 unknown or unsupported <NVivoProjectSettings> in <Project>" in notes
    assert "source 'Field notes' (line 65): 1 selection(s)/coding(s) unmapped" in notes
    codes = result.codebook.questions["barriers"].codes
    assert [(c.id, c.label, c.parent) for c in codes] == [
        ("funding", "Funding", None), ("short_term_grants", "Short-term grants", "funding"),
        ("risk_aversion", "Risk aversion", None)]
    assert codes[0].description == "Money is named as a barrier."


def test_atlasti_shape_reads_sources_files_and_paragraphs(tmp_path, project, responses):
    result = read_qdpx(fixture_qdpx("atlasti", tmp_path), responses=responses,
                       reference=load_codebook(project.codebook_path))
    assert _rows(result.table) == [
        ("ORG03:barriers", "Friedrich Markgraf", "funding"),
        ("ORG03:barriers", "Friedrich Markgraf", "regulation"),
        ("ORG03:barriers", "Sebastian Petrausch", "funding"),
        ("ORG03:barriers", "Sebastian Petrausch", "skilled_people"),  # spans ORG03 and ORG04
        ("ORG04:barriers", "Friedrich Markgraf", "skilled_people"),
        ("ORG04:barriers", "Sebastian Petrausch", "skilled_people"),
        ("ORG05:barriers", "Friedrich Markgraf", "funding"),
        ("ORG05:barriers", "Sebastian Petrausch", "funding"),
    ]
    r = result.report
    assert r.sources_by == {"name": 1, "paragraphs": 1}
    assert (r.selections, r.whole, r.partial, r.spanning, r.unmapped) == (7, 3, 2, 1, 1)
    assert "skipped 1 unknown or unsupported <PictureSource> in <Sources>" in r.notes
    assert any("[0, 17) is in no answer's text; unmapped" in n for n in r.notes)
    # "Lack of funding" is the project codebook's label of 'funding'.
    assert [c.id for c in result.codebook.questions["barriers"].codes] == [
        "regulation", "funding", "skilled_people"]


def test_without_a_project_each_source_is_a_unit(tmp_path):
    result = read_qdpx(fixture_qdpx("nvivo", tmp_path), question="barriers")
    assert sorted(set(result.table["response_id"])) == ["Field notes", "Interview 2",
                                                         "ORG01:barriers"]
    assert set(result.table["question"]) == {"barriers"}
    assert result.report.unmapped == 0 and result.report.sources_by == {"source": 3}


def test_agreement_runs_on_an_imported_table(tmp_path, cli, project, responses):
    from themeloop.adjudicate import adjudicate

    result = read_qdpx(fixture_qdpx("atlasti", tmp_path), responses=responses)
    table_path = tmp_path / "imported.csv"
    result.table.to_csv(table_path, index=False)
    out = cli("agreement", table_path, "--json", tmp_path / "agreement.json", "--bootstrap", "0")
    assert out.exit_code == 0, out.output
    data = json.loads((tmp_path / "agreement.json").read_text())
    barriers = data["questions"]["barriers"]
    assert barriers["coders"] == ["Friedrich Markgraf", "Sebastian Petrausch"]
    assert barriers["n_units"] == 3
    agreed = adjudicate(result.table, "majority").agreed
    # No reference codebook here: the code id is the slug of its ATLAS.ti name.
    assert ("ORG05:barriers", "lack_of_funding") in set(zip(agreed["response_id"], agreed["code"]))


def test_cli_import_writes_the_table_and_codebook(tmp_path, cli, sample_dir):
    qdpx = fixture_qdpx("nvivo", tmp_path)
    out = cli("import", "qdpx", qdpx, "--project", sample_dir, "--out", tmp_path / "t.csv",
              "--codebook-out", tmp_path / "cb.yaml")
    assert out.exit_code == 0, out.output
    assert "Read " in out.stdout and "6 rows, 2 answers, 2 coders (Amira Khan, Ben Osei)" in out.stdout
    assert ("selections: 7 (1 whole answer, 5 partial, 2 overlapping, 0 spanning several "
            "answers, 0 out of range, 1 unmapped, 0 without codes)") in out.stdout
    assert "Note: skipped 1 unknown or unsupported <NVivoProjectSettings> in <Project>" in out.stderr
    from themeloop.coding import read_coding_table

    assert len(read_coding_table(tmp_path / "t.csv")) == 6
    assert load_codebook(tmp_path / "cb.yaml").code_ids("barriers") == [
        "funding", "short_term_grants", "risk_aversion"]


def test_two_users_with_one_name_stay_two_coders(tmp_path):
    import zipfile

    qde = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
 <Users><User guid="aaaaaaaa-0000-4000-8000-000000000001" name="Coder"/>
  <User guid="bbbbbbbb-0000-4000-8000-000000000002" name="Coder"/></Users>
 <CodeBook><Codes><Code guid="cccccccc-0000-4000-8000-000000000001" name="Cost" isCodable="true"/>
 </Codes></CodeBook>
 <Sources><TextSource guid="dddddddd-0000-4000-8000-000000000001" name="R1:q">
  <PlainTextContent>too dear</PlainTextContent>
  <PlainTextSelection guid="eeeeeeee-0000-4000-8000-000000000001" startPosition="0"
   endPosition="8" creatingUser="aaaaaaaa-0000-4000-8000-000000000001">
   <Coding guid="ffffffff-0000-4000-8000-000000000001">
    <CodeRef targetGUID="cccccccc-0000-4000-8000-000000000001"/></Coding></PlainTextSelection>
  <PlainTextSelection guid="eeeeeeee-0000-4000-8000-000000000002" startPosition="0"
   endPosition="8" creatingUser="bbbbbbbb-0000-4000-8000-000000000002"/>
 </TextSource></Sources></Project>"""
    path = tmp_path / "two.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    result = read_qdpx(path)
    assert _rows(result.table) == [("R1:q", "Coder (aaaaaaaa)", "cost"),
                                   ("R1:q", "Coder (bbbbbbbb)", "")]
    assert result.report.uncoded == 1
    assert "2 users are named 'Coder'; told apart by their GUIDs" in result.report.notes[-1]


_ANSWERS = {"A1:q": "Money is short.", "A2:q": "Staff leave\r\nevery year.", "A3:q": "Rules."}


@pytest.mark.parametrize("layout", ["one-per-answer", "paragraphs"])
def test_every_selection_is_counted_once(tmp_path, layout):
    """Whatever the offsets, each selection lands in exactly one bucket of the report."""
    import random
    import zipfile

    import pandas as pd

    rng = random.Random(7)
    responses = pd.DataFrame({"response_id": list(_ANSWERS), "question": "q",
                              "respondent_id": ["A1", "A2", "A3"], "text": list(_ANSWERS.values())})
    if layout == "paragraphs":
        sources = {"All answers": "Heading\n\n" + "\n\n".join(_ANSWERS.values())}
    else:
        sources = dict(_ANSWERS)
    parts, n_sel = [], 0
    for i, (name, text) in enumerate(sources.items()):
        sels = []
        for j in range(25):
            start = rng.randint(-2, len(text) + 2)
            end = rng.randint(start, len(text) + 4)
            n_sel += 1
            code = '<Coding guid="%s"><CodeRef targetGUID="c0de0000-0000-4000-8000-000000000001"/></Coding>' % (
                f"c0d10000-0000-4000-8000-{i:04d}{j:08d}")
            sels.append(f'<PlainTextSelection guid="5e100000-0000-4000-8000-{i:04d}{j:08d}" '
                        f'startPosition="{start}" endPosition="{end}">{code}</PlainTextSelection>')
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace("\r", "&#13;")
        parts.append(f'<TextSource guid="50c00000-0000-4000-8000-{i:012d}" name="{name}">'
                     f'<PlainTextContent>{escaped}</PlainTextContent>{"".join(sels)}</TextSource>')
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" '
           'name="p"><CodeBook><Codes><Code guid="c0de0000-0000-4000-8000-000000000001" '
           f'name="Cost" isCodable="true"/></Codes></CodeBook><Sources>{"".join(parts)}'
           '</Sources></Project>')
    path = tmp_path / "r.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    r = read_qdpx(path, responses=responses).report
    assert r.selections == n_sel
    assert r.whole + r.partial + r.spanning + r.out_of_range + r.unmapped == n_sel
    if layout == "paragraphs":
        assert r.unmapped > 0 and r.spanning > 0  # the heading, and selections across answers
