"""The report: data assembly, escaping, offline-ness and determinism."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from test_report_fixtures import (
    XSS,
    agreed_table,
    agreement,
    agreement_model,
    agreement_notes,
    coding_table,
    decisions,
    ledger_events,
    make_project,
    manifest,
    themes,
    undecided,
)

from themeloop.codebook import load_codebook
from themeloop.config import find_project
from themeloop.errors import ReportError
from themeloop.merge import build_merged
from themeloop.report import build_report_data, load_inputs, render_report, write_report
from themeloop.survey import load_project_survey


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return find_project(make_project(tmp_path_factory.mktemp("report") / "proj"))


def _data(project, **overrides):
    survey, codebook = load_project_survey(project), load_codebook(project.codebook_path)
    kwargs = {
        "codebook": codebook, "agreed": agreed_table(), "coding": coding_table(),
        "merged": build_merged(survey, agreed_table(), codebook), "themes": themes(),
        "agreement": agreement(), "agreement_model": agreement_model(),
        "decisions": decisions(), "ledger_events": ledger_events(), "manifests": [manifest()],
        "by": "org_type",
    }
    kwargs.update(overrides)
    return build_report_data(survey, **kwargs)


def _question(data, qid):
    return next(q for q in data.questions if q.id == qid)


def test_counts_and_percentages_use_coded_substantive_answers(project):
    barriers = _question(_data(project), "barriers")
    assert barriers.n_responses == 14 and barriers.n_substantive == 12
    assert barriers.n_coded == 12  # the two "N/A"/"don't know" answers leave the base
    counts = {c.id: (c.count, round(c.percent, 1)) for c in barriers.codes}
    assert counts == {"funding": (9, 75.0), "staff": (3, 25.0), "risk": (3, 25.0)}
    assert [c.id for c in barriers.codes] == ["funding", "staff", "risk"]  # codebook order


def test_exemplars_start_with_the_codebook_example_and_carry_response_ids(project):
    funding = _question(_data(project), "barriers").codes[0]
    assert funding.exemplars[0].response_id == "O01:barriers"
    assert len(funding.exemplars) == 3
    assert all(q.response_id.endswith(":barriers") for q in funding.exemplars)


def test_chart_by_attribute_follows_the_crosstabs_suppression(project):
    chart = _question(_data(project), "barriers").chart
    assert [item.label for item in chart.legend] == [
        "charity", "independent agency", "local authority"]
    funding = {item.label: bar for item, bar in zip(chart.legend, chart.bars[:3])}
    # local authorities: 5 of 6 coded answers; charities 4 of 5 and agencies 0 of 1 are hidden
    assert funding["local authority"].value_label == "83% (5/6)"
    assert not funding["local authority"].suppressed and funding["local authority"].width > 0
    for name in ("charity", "independent agency"):
        assert funding[name].suppressed and funding[name].width == 0
        assert funding[name].value_label == "<5" and "4" not in funding[name].title
    assert "Counts below 5 are suppressed" in chart.note


def test_suppression_off_prints_exact_counts(project):
    chart = _question(_data(project, suppress_below=0), "barriers").chart
    assert not any(b.suppressed for b in chart.bars)
    assert chart.bars[0].value_label == "80% (4/5)"


def test_without_attribute_one_bar_per_code(project):
    chart = _question(_data(project, by=None), "practice").chart
    assert [r.label for r in chart.rows] == ["Remote delivery", "Family work"]
    assert len(chart.bars) == 2 and not chart.legend


def test_agreement_rows_readings_and_small_sample_warnings(project):
    section = _question(_data(project), "barriers").agreement
    rows = {r.code: r for r in section.rows}
    assert [r.code for r in section.rows] == ["funding", "staff", "risk"]
    assert rows["funding"].reading.startswith("Reliable")
    assert rows["staff"].reading.startswith("Tentative")
    assert "below 0.667" in rows["staff"].reading
    assert rows["risk"].reading.startswith("Unreliable")
    assert rows["risk"].ci == "0.37 to 0.72"
    assert any("rare" in w for w in rows["risk"].warnings)
    assert any("Only 14 answers" in w for w in section.warnings)
    practice = _question(_data(project), "practice").agreement
    family = next(r for r in practice.rows if r.code == "family")
    assert family.alpha == "n/a" and family.reading.startswith("Not computable")


def test_project_notes_replace_the_reports_own_warnings(project):
    section = _question(_data(project, agreement_notes=agreement_notes()), "barriers").agreement
    rows = {r.code: r for r in section.rows}
    assert rows["risk"].warnings == [agreement_notes()["questions"]["barriers"]["warnings"][1]]
    assert rows["funding"].warnings == []
    assert section.warnings == [agreement_notes()["questions"]["barriers"]["warnings"][0]]


def test_model_versus_human(project):
    model = _question(_data(project), "barriers").model_agreement
    assert model.model_coders == ["model:run-abc"]
    assert model.pairs == "2 model-coder pairs, 1 coder-coder pair"
    funding = next(r for r in model.per_code if r.code == "funding")
    assert (funding.human, funding.model, funding.gap) == ("1.00", "0.85", "-0.15")
    assert model.summary[1].model == "0.66" and model.summary[1].gap == "-0.15"
    assert "less well than the coders agree with each other" in model.reading
    assert len(model.chart.marks) == 2 * 3 and len(model.chart.legend) == 2
    assert model.model_only == ["theme_7"] and "theme_7" not in [r.code for r in model.per_code]


def test_only_contested_decisions_are_listed(project):
    barriers = _question(_data(project, undecided=undecided()), "barriers")
    items = [i for d in barriers.disagreements for i in d.items]
    assert [(i.response_id, i.code, i.outcome, i.votes) for i in items] == [
        ("O02:barriers", "staff", "undecided", "1 of 2: ben@example.org"),
        ("O06:barriers", "risk", "code applied", "1 of 2: amira@example.org")]
    assert items[1].rule == "adjudicator:amira@example.org"
    assert barriers.disagreements[1].text == "Budgets are tight; fear of failure."
    assert [(d.response_id, d.outcome) for d in barriers.undecided] == [
        ("O02:barriers", "tie under majority")]


def test_provenance_trail_is_chronological(project):
    barriers = _question(_data(project), "barriers")
    trail = next(t for t in barriers.trails if (t.response_id, t.code) == ("O06:barriers", "risk"))
    assert [e.action for e in trail.events] == ["suggested", "added", "decided"]
    assert trail.events[0].sentence.startswith("Suggested by model run-abc (run m-themes)")
    assert "Coded by amira@example.org" in trail.events[1].sentence
    assert trail.events[2].timestamp == "2024-03-05T12:00:00Z"
    assert trail.events[2].sentence == ("Decided by adjudicator (run m-adj), codebook 1.1. "
                                        "decision: applied; votes: 1 of 2")
    assert len(barriers.trails) == 15  # every agreed assignment has a trail


def test_overview(project):
    o = _data(project).overview
    assert o.n_rows == 14 and o.coders == ["amira@example.org", "ben@example.org"]
    assert o.codebook_version == "1.1" and o.runs[0].manifest_id == "0123456789abcdef"
    assert ("themeloop", "0.1.0") in [(v.name, v.value) for v in o.versions]
    assert o.theme_run.startswith("run run-abc, seed 7")
    assert o.survey_file == "survey.csv"  # a name, never a machine's absolute path


def test_user_text_is_escaped(project):
    html = render_report(_data(project))
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Staff &amp; skills &lt;shortage&gt;" in html
    assert "why it &lt;matters&gt;." in html
    assert "Budget &lt;and&gt; money" in html
    assert "Memo by ben@example.org:</span> &lt;b&gt;unsure&lt;/b&gt; about risk" in html
    assert XSS not in html


def test_page_is_self_contained(project):
    html = render_report(_data(project))
    assert "default-src 'none'" in html and "Content-Security-Policy" in html
    without_svg_ns = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", without_svg_ns)
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    assert html.count("<svg") == 2 * 3  # per question: codes by attribute, agreement, model
    assert html.count("<details") >= 15 + 13


def test_same_inputs_give_byte_identical_html(project, tmp_path):
    first = render_report(_data(project))
    assert render_report(_data(project)) == first
    copy = find_project(shutil.copytree(project.root, tmp_path / "elsewhere"))
    assert render_report(_data(copy)) == first


def test_unknown_attribute_is_a_one_line_error(project):
    with pytest.raises(ReportError, match=r"^--by 'org_tpye' is not a column of the survey "
                                          r"\(did you mean 'org_type'\?\); attributes are: "
                                          r"org_type$"):
        _data(project, by="org_tpye")


def test_survey_alone_gives_a_report_with_notes(tmp_path):
    root = make_project(tmp_path / "bare")
    for name in ("agreed.csv", "adjudication_decisions.csv", "undecided.csv", "agreement.json",
                 "themes.json",
                 "agreement_model.json", "agreement_notes.json", "merge.manifest.json"):
        (root / "out" / name).unlink()
    (root / "codebook.yaml").unlink()
    (root / "annotations" / "ledger.jsonl").unlink()
    project = find_project(root)
    inputs = load_inputs(project)
    assert inputs.agreed is None and inputs.merged is None
    assert any("agreement.json" in n for n in inputs.notes)
    path = write_report(project)
    html = path.read_text(encoding="utf-8")
    assert "No agreed coding for this question yet." in html
    assert "Missing inputs" in html


def test_write_report_reads_project_files(project, tmp_path):
    out = write_report(project, out_dir=tmp_path / "o", by="org_type")
    assert out == tmp_path / "o" / "report.html"
    html = out.read_text(encoding="utf-8")
    assert html == write_report(project, out_dir=tmp_path / "o2", by="org_type").read_text(
        encoding="utf-8")
    assert "&lt;5" in html and "Lack of funding" in html
    assert "Coded by amira@example.org" in html


@pytest.fixture(scope="module")
def base_data(project):
    return _data(project)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tail=st.text(alphabet=st.sampled_from(list("<>&\"'/ab =;")), max_size=30))
def test_any_user_text_is_escaped_everywhere(base_data, tail):
    """A hostile string as title, code label, quote, memo and coder renders only escaped."""
    text = f"<zz {tail}>&x;"
    q = base_data.questions[0]
    code = replace(q.codes[0], label=text, exemplars=[replace(q.codes[0].exemplars[0], text=text)])
    memo = replace(q.disagreements[0], memos=[replace(m, name=text, value=text)
                                              for m in q.disagreements[0].memos] or [])
    data = replace(base_data, overview=replace(base_data.overview, title=text, coders=[text]),
                   questions=[replace(q, codes=[code, *q.codes[1:]], prompt=text,
                                      disagreements=[memo, *q.disagreements[1:]]),
                              *base_data.questions[1:]])
    html = render_report(data)
    assert "<zz" not in html
    assert html.count(str(escape(text))) >= 6


def test_groups_carry_the_surveys_value_labels(project):
    survey, codebook = load_project_survey(project), load_codebook(project.codebook_path)
    survey.data.value_labels["org_type"] = {"charity": "Charitable body"}
    data = build_report_data(survey, codebook=codebook, agreed=agreed_table(),
                             merged=build_merged(survey, agreed_table(), codebook), by="org_type")
    legend = [item.label for item in data.questions[0].chart.legend]
    assert legend == ["Charitable body (charity)", "independent agency", "local authority"]


def test_decided_events_read_as_sentences():
    from themeloop.report.provenance import sentence

    event = {"action": "decided", "actor": "majority", "source": "adjudication",
             "codebook_version": "1.0", "manifest_id": None,
             "detail": {"decision": "included", "votes": ["a@x.org", "b@x.org"]}}
    assert sentence(event) == ("Decided by the majority rule, codebook 1.0. decision: included; "
                               "votes: a@x.org, b@x.org")
    event["actor"] = "adjudicator:c@x.org"
    assert sentence(event).startswith("Decided by adjudicator c@x.org, codebook 1.0.")


def _multi_label_themes() -> dict:
    data = themes()
    entry = data["questions"]["barriers"]
    entry.update(multi_label=True, n_segments=19, n_multi_theme=4, stability_runs=10,
                 note="theme stability <not> computed")
    entry["themes"][0].update(size=7, n_primary=5, stability=0.912)
    entry["themes"][1].update(size=6, n_primary=4, stability=0.41)
    return data


def test_themes_show_primary_and_secondary_counts_and_stability(project):
    summary = _question(_data(project, themes=_multi_label_themes()), "barriers").themes
    assert summary.multi_label and summary.n_segments == 19 and summary.n_multi_theme == 4
    assert [(t.size, t.n_primary, t.stability, t.stability_reading) for t in summary.themes] == [
        (7, 5, 0.912, "stable"), (6, 4, 0.41, "unstable")]
    html = render_report(_data(project, themes=_multi_label_themes()))
    section = html[html.index("<h3>Machine-proposed themes</h3>"):html.index("<h3>Agreed codes</h3>")]
    assert "(19 segments: sentences, list items and linked clauses)" in section
    assert "4 answers carry two themes or more" in section
    assert "proposed again 10 times, each time on a random 80% of the answers" in section
    assert "theme stability &lt;not&gt; computed" in section
    cells = [c.strip() for c in re.findall(r'<td class="num">(.*?)</td>', section, re.S)]
    assert cells[:4] == ["7", "5", "2", "50%"]
    assert '0.91<br><span class="note">stable</span>' in section
    assert '0.41<br><span class="note">unstable</span>' in section


def test_single_label_themes_show_no_multi_label_columns(project):
    html = render_report(_data(project))
    section = html[html.index("<h3>Machine-proposed themes</h3>"):html.index("<h3>Agreed codes</h3>")]
    assert "Primary" not in section and "Stability" not in section
