"""The report on the bundled sample survey, after the real agreement, adjudication and ledger.

Every figure the page shows is checked against the stage that owns it: code
counts against the merged dataset, bars against the crosstab's published
(suppressed) table, trails against the ledger.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from themeloop.config import find_project

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory, repo_root):
    from themeloop.adjudicate import adjudicate, write_adjudication
    from themeloop.agreement import agreement_report
    from themeloop.audit.ledger import Ledger, events_from_adjudication, events_from_coding_diff
    from themeloop.coding import read_coding_table

    base = tmp_path_factory.mktemp("sample")
    # Only what git ships: a 'make demo' in this checkout leaves a signed ledger (its key in
    # .themeloop/) and outputs that this fixture must not inherit.
    shutil.copytree(repo_root / "examples" / "innovation-survey",
                    base / "examples" / "innovation-survey",
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(repo_root / "annotations" / "innovation-survey",
                    base / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw", "*.manifest.json"))
    project = find_project(base / "examples" / "innovation-survey")
    table = read_coding_table(project.annotations_dir / "coding_table.csv")
    out = project.out_dir
    out.mkdir()
    report = agreement_report(table, bootstrap=200, seed=42)
    (out / "agreement.json").write_text(json.dumps(report.result), encoding="utf-8")
    (out / "agreement_notes.json").write_text(json.dumps(report.notes), encoding="utf-8")
    result = adjudicate(table, "majority")
    write_adjudication(result, out, relative_to=project.root)
    ledger = Ledger(project.annotations_dir / "ledger.jsonl")
    ledger.append(events_from_coding_diff(None, table, "m-pull", "1.0"))
    ledger.append(events_from_adjudication(result.decisions, "m-adj", "1.0",
                                           timestamp="2021-03-01T12:00:00Z", rule="majority"))
    return project, result


@pytest.fixture(scope="module")
def page(sample):
    from themeloop.report import write_report

    project, _ = sample
    return write_report(project).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data(sample):
    from themeloop.report import build_report_data, load_inputs

    project, _ = sample
    return build_report_data(**load_inputs(project).for_build(), by="org_type")


def _merged(project, result):
    from themeloop.codebook import load_codebook
    from themeloop.merge import build_merged
    from themeloop.survey import load_project_survey

    return build_merged(load_project_survey(project), result.agreed,
                        load_codebook(project.codebook_path))


def test_code_counts_match_the_merged_dataset(sample, data):
    project, result = sample
    assert data.overview.n_rows == 41
    merged = _merged(project, result)
    columns = {(c.question, c.code): c.column for c in merged.code_columns}
    for question in data.questions:
        for code in question.codes:
            column = merged.frame[columns[question.id, code.id]]
            assert code.count == int((column == 1).sum()), (question.id, code.id)
        n_codes = merged.frame[merged.count_columns[question.id]]
        assert question.n_coded == int(n_codes.notna().sum())


def test_bars_hide_exactly_what_the_crosstab_hides(sample, data):
    from themeloop.merge.crosstab import crosstab

    project, result = sample
    merged = _merged(project, result)
    published = crosstab(merged, "org_type", suppress_below=5).published()
    groups = sorted(set(merged.frame["org_type"]))
    for question in data.questions:
        rows = published[published["question"] == question.id].set_index("code")
        bars = iter(question.chart.bars)
        for code in question.codes:
            cells = [rows.at[code.id, f"{g}: n"] for g in groups]
            if all(isinstance(c, str) for c in cells):
                assert next(bars).value_label == "<5 in every group"
                continue
            for cell in cells:
                bar = next(bars)
                assert bar.suppressed == isinstance(cell, str)
                if not bar.suppressed:
                    assert f"({cell}/" in bar.value_label


def test_every_agreed_assignment_has_its_ledger_trail(sample, data):
    _, result = sample
    agreed = result.agreed[result.agreed["code"] != ""]
    trails = [t for q in data.questions for t in q.trails]
    assert len(trails) == len(agreed)
    for trail in trails:
        actions = [e.action for e in trail.events]
        assert "added" in actions and actions[-1] == "decided", trail
        assert [e.timestamp for e in trail.events] == sorted(e.timestamp for e in trail.events)


def test_contested_codes_are_listed_with_their_resolution(sample, data):
    _, result = sample
    decisions = result.decisions
    contested = decisions[decisions["votes"] != decisions["coders"]]
    listed = [(i.response_id, i.code) for q in data.questions for d in q.disagreements
              for i in d.items]
    assert sorted(listed) == sorted(zip(contested["response_id"], contested["code"]))


def test_sample_page_is_offline_and_complete(page):
    assert page.count("<svg") == 3 * 2  # per question: codes by org_type, agreement
    assert page.count('<details class="trail"') > 100
    assert "Missing inputs" in page and "themes.json" in page  # no themes run in this test
    assert not re.search(r"<(script|link|img)\b", page)


def test_sample_page_shows_the_coder_diagnostics(page, sample):
    """Issue 15: per question, the coder x coder matrix, the consensus, prevalence and drift."""
    project, _ = sample
    notes = json.loads((project.out_dir / "agreement_notes.json").read_text())
    assert page.count("Coder &times; coder Cohen's &kappa;") == 3
    assert page.count("Each coder against the consensus of the others") == 3
    assert page.count("Drift: agreement by batch, in the order the answers were coded") == 3
    assert "amira.khan@example.org" in page and "ben.osei@example.org" in page
    for qid, q in notes["questions"].items():
        assert q["deviations"], qid
        assert "on Landis-Koch" in next(iter(q["per_code"].values()))["bands"]["gwet_ac1"]
