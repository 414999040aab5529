"""The report's model section, from the autocode stage's files (and its absence without them)."""

from __future__ import annotations

import pytest
from _model_fixtures import MODEL_ID, agreement_model, make_model_project, model_bias, review
from test_report_chromium import NEEDS_CHROMIUM, _chromium, _console_errors
from test_report_fixtures import XSS, make_project

from themeloop.config import find_project
from themeloop.report import build_report_data, load_inputs, render_report
from themeloop.report.autocode import is_autocode


@pytest.fixture(scope="module")
def model_project(tmp_path_factory):
    return find_project(make_model_project(tmp_path_factory.mktemp("autocode") / "proj"))


@pytest.fixture(scope="module")
def report(model_project):
    inputs = load_inputs(model_project)
    return build_report_data(**inputs.for_build())


def _question(data, qid):
    return next(q for q in data.questions if q.id == qid)


def test_inputs_are_the_autocode_stages_files(model_project):
    inputs = load_inputs(model_project)
    assert is_autocode(inputs.agreement_model)
    assert inputs.review is not None and len(inputs.review) == 3
    assert inputs.model_bias == model_bias()
    assert {"review", "model_bias", "agreement_model"} <= set(inputs.sources)


def test_per_code_agreement_beside_the_coders(report):
    section = _question(report, "barriers").autocode
    assert section.model_id == MODEL_ID and section.mode == "supervised"
    assert (section.n_coded, section.n_model_coded, section.n_review) == (9, 4, 2)
    assert section.floor == "0.667"
    rows = {r.code: r for r in section.per_code}
    assert list(rows) == ["funding", "staff", "risk"]  # codebook order
    assert (rows["funding"].human_alpha, rows["funding"].model_alpha,
            rows["funding"].model_ci) == ("1.00", "0.90", "[0.70, 1.00]")
    assert (rows["staff"].precision, rows["staff"].recall, rows["staff"].f1) == (
        "0.80", "0.75", "0.77")
    assert [r.code for r in section.per_code if r.human_only] == ["risk"]
    masi = section.summary[0]
    assert (masi.human, masi.model, masi.gap) == ("0.81", "0.72 [0.55, 0.86]", "-0.09")
    assert _question(report, "barriers").model_agreement is None  # the old comparison is gone


def test_human_only_codes_say_why(report):
    section = _question(report, "barriers").autocode
    assert [(m.name, m.value) for m in section.human_only] == [
        ("Fear of risk", "model-vs-human alpha 0.41 is below the floor 0.667")]
    assert "1 code is human-only: the model never applies it." in section.reading


def test_learning_curve_is_a_chart_of_every_point(report):
    curve = _question(report, "barriers").autocode.curve
    assert [s.label for s in curve.series] == ["MASI alpha", "sample-F1"]
    points = curve.series[0].points
    assert len(points) == len(agreement_model()["questions"]["barriers"]["learning_curve"])
    assert [p.x for p in points] == sorted(p.x for p in points)
    assert points[0].y > points[1].y > points[2].y  # agreement rises: y grows downwards in SVG
    assert [r.label for r in curve.references] == ["floor 0.667", "coders 0.81"]
    assert _question(report, "practice").autocode.curve is None  # zero-shot: no curve


def test_review_sample_and_bias_warnings(report):
    section = _question(report, "barriers").autocode
    assert [(r.response_id, r.reason, r.codes, r.text) for r in section.review] == [
        ("O12:barriers", "uncertain score", "Lack of funding (0.64), Fear of risk (0.55)",
         "Too little money for pilots."),
        ("O11:barriers", "uncertain score", "Fear of risk (0.77)", "Fear of the local paper.")]
    assert section.bias_warnings == model_bias()["questions"]["barriers"]["warnings"]
    assert [(b.group, b.code, b.human_rate, b.model_rate, b.diff, b.direction)
            for b in section.bias] == [("charity", "Lack of funding", "67%", "33%",
                                        "-34 points", "under-codes")]
    practice = _question(report, "practice").autocode
    assert [(r.response_id, r.codes) for r in practice.review] == [("O13:practice", "(no code)")]
    assert "zero-shot" in practice.reading and practice.bias == []


def test_the_page_shows_the_section_and_escapes_answers(report, model_project, tmp_path):
    from dataclasses import replace

    html = render_report(report)
    assert html.count("<h3>The model's codes</h3>") == 2
    assert "Fear of risk</strong>: model-vs-human alpha 0.41 is below the floor 0.667" in html
    assert "<polyline" in html
    assert "themeloop push --review" in html
    # an answer flagged for review is user text: escaped like every other
    section = _question(report, "barriers").autocode
    bad = replace(section, review=[replace(section.review[0], text=XSS)])
    questions = [replace(q, autocode=bad) if q.id == "barriers" else q for q in report.questions]
    page = render_report(replace(report, questions=questions))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_without_model_files_there_is_no_section(tmp_path):
    project = find_project(make_project(tmp_path / "plain"))
    data = build_report_data(**load_inputs(project).for_build())
    assert all(q.autocode is None for q in data.questions)
    assert "The model's codes" not in render_report(data)
    assert not is_autocode(load_inputs(project).agreement_model)


def test_review_alone_is_enough_for_a_section(model_project):
    inputs = load_inputs(model_project)
    data = build_report_data(**{**inputs.for_build(), "agreement_model": None,
                                "model_bias": None, "review": review()})
    section = _question(data, "practice").autocode
    assert section is not None and section.n_review == 1 and section.per_code == []


@pytest.mark.chromium
@NEEDS_CHROMIUM
def test_the_model_section_renders_in_chromium(model_project, tmp_path):
    from themeloop.report import write_report

    page = write_report(model_project, out_dir=tmp_path / "out")
    run = _chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert dom.count("<polyline") == 2  # the learning curve: MASI alpha and sample-F1
    assert "learning curve" in dom and "human-only" in dom
    assert _console_errors(run.stderr) == []
