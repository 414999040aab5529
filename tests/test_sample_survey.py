"""The bundled sample project: calibration, codebook, coding table, reproducibility.

The survey and coding are invented; these tests pin the headline proportions
they were calibrated to (the Coram-i National Innovation Survey executive
summary) and the contracts other stages rely on.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from themeloop.config import find_project
from themeloop.survey import load_project_survey

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "innovation-survey"
ANNOTATIONS = ROOT / "annotations" / "innovation-survey"
CODERS = ["amira.khan@example.org", "ben.osei@example.org"]
LA, IFA, VAA, CHARITY = (
    "local authority", "independent fostering agency", "voluntary adoption agency", "charity",
)
CODING_COLUMNS = [
    "response_id", "question", "coder", "code", "source", "timestamp", "codebook_version",
    "memo", "annotation_id", "lead_time", "status", "unclear",
]


@pytest.fixture(scope="module")
def project():
    return find_project(EXAMPLE)


@pytest.fixture(scope="module")
def survey(project):
    return load_project_survey(project)


@pytest.fixture(scope="module")
def frame(survey):
    return survey.frame


@pytest.fixture(scope="module")
def responses(survey):
    return survey.responses()


@pytest.fixture(scope="module")
def coding():
    with open(ANNOTATIONS / "coding_table.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def codebook():
    return yaml.safe_load((EXAMPLE / "codebook.yaml").read_text(encoding="utf-8"))


def _count(frame, column, value, org_type=None):
    rows = frame if org_type is None else frame[frame["org_type"] == org_type]
    return int((rows[column] == value).sum())


def test_project_paths(project):
    assert project.survey_path == (EXAMPLE / "survey.csv").resolve()
    assert project.annotations_dir.resolve() == ANNOTATIONS
    assert project.codebook_path.resolve() == (EXAMPLE / "codebook.yaml").resolve()
    cfg = project.config
    assert [q.id for q in cfg.questions] == ["barriers", "practice", "radical"]
    assert cfg.studio.coders == CODERS
    assert cfg.crosstab.by == ["org_type"] and cfg.report.by == "org_type"
    assert cfg.adjudication.rule == "adjudicator:chloe.reid@example.org"


def test_rows_and_ids(survey, frame):
    assert len(frame) == 41
    assert survey.ids == [f"ORG{i:02d}" for i in range(1, 42)]
    assert len(set(survey.ids)) == 41


def test_org_types(frame):
    assert Counter(frame["org_type"]) == {LA: 19, IFA: 9, VAA: 6, CHARITY: 7}


def test_mental_health_is_the_top_la_challenge(frame):
    column = "challenge_adolescent_mental_health"
    assert _count(frame, column, "1", LA) == 16  # 84% of 19
    la = frame[frame["org_type"] == LA]
    ranked = [
        "challenge_adolescent_mental_health", "challenge_placement_sufficiency",
        "challenge_adolescent_safeguarding", "challenge_youth_crime",
    ]
    counts = [int((la[c] == "1").sum()) for c in ranked]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[1]
    challenges = [c for c in frame.columns if c.startswith("challenge_")]
    assert all(frame[challenges].eq("1").any(axis=1))


def test_radical_level(frame):
    assert _count(frame, "innovation_level", "radical") == 16  # 39% of 41
    assert set(frame["innovation_level"]) == {"incremental", "tactical", "radical"}


def test_dedicated_resources(frame):
    column = "dedicated_innovation_resources"
    assert _count(frame, column, "yes", LA) == 10
    assert _count(frame, column, "yes", CHARITY) == 4
    assert _count(frame, column, "yes", IFA) == 2
    assert _count(frame, column, "yes", VAA) == 1


def test_game_changing_three_times_as_many_las_as_ifas(frame):
    la = _count(frame, "invests_game_changing", "yes", LA)
    ifa = _count(frame, "invests_game_changing", "yes", IFA)
    assert (la, ifa) == (6, 2)


def test_encourage_radical(frame):
    assert Counter(frame["encourage_radical"]) == {
        "external seed funding": 20, "joining with others": 8,
        "evidence of efficacy": 8, "other": 5,
    }


def test_text_columns_are_free_text(frame, responses):
    from themeloop.survey.guess import guess_columns

    guess = guess_columns(frame)
    assert guess.id_column == "org_id"
    assert guess.questions == ["barriers_text", "practice_text", "radical_text"]
    words = [len(t.split()) for t in responses.loc[responses["substantive"], "text"]]
    assert min(words) >= 3 and max(words) <= 75


def test_non_substantive_and_duplicate(responses):
    non = responses[~responses["substantive"]]
    assert len(non) >= 3
    assert set(non["question"]) == {"barriers", "practice", "radical"}
    dups = responses[responses["duplicate_of"] != ""]
    assert len(dups) == 1
    dup = dups.iloc[0]
    original = responses.set_index("response_id").loc[dup["duplicate_of"]]
    assert dup["text"] != original["text"]  # differs only in case and spacing


def test_practice_examples_include_covid_and_schools(responses):
    practice = " ".join(responses.loc[responses["question"] == "practice", "text"]).lower()
    assert "covid" in practice and "virtual" in practice
    assert "social work in schools" in practice


def _codes_by(coding, question, coder):
    units: dict[str, set[str]] = defaultdict(set)
    for row in coding:
        if row["question"] == question and row["coder"] == coder and row["code"]:
            units[row["response_id"]].add(row["code"])
    return units


def test_barriers_ranking(coding, codebook):
    """Funding and skilled people lead, then capability and risk aversion; culture is rare."""
    for coder in CODERS:
        units = _codes_by(coding, "barriers", coder)
        counts = Counter(code for codes in units.values() for code in codes)
        risk = sum(1 for codes in units.values()
                   if codes & {"risk_aversion", "regulation", "political_cycle"})
        others = [n for code, n in counts.items() if code not in
                  {"funding", "skilled_people", "capability", "risk_aversion", "regulation",
                   "political_cycle"}]
        assert counts["funding"] > counts["skilled_people"] > max(counts["capability"], risk)
        assert min(counts["capability"], risk) > max(others)
        assert counts["culture"] <= 2


def test_coding_table_format(coding):
    with open(ANNOTATIONS / "coding_table.csv", encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == CODING_COLUMNS
    assert {r["coder"] for r in coding if r["source"] == "human"} == set(CODERS)
    assert {r["coder"] for r in coding if r["source"] == "adjudication"} == {"chloe.reid@example.org"}
    assert {r["source"] for r in coding} == {"human", "adjudication"}
    assert {r["codebook_version"] for r in coding} == {"1.0"}
    assert {r["status"] for r in coding} == {"submitted"}
    stamps = sorted(r["timestamp"] for r in coding if r["source"] == "human")
    assert stamps[0] >= "2021-02-01" and stamps[-1] < "2021-02-15"
    assert any(r["memo"] for r in coding)


def test_coding_matches_responses(coding, responses):
    known = set(responses["response_id"])
    assert {r["response_id"] for r in coding} <= known
    question_of = dict(zip(responses["response_id"], responses["question"]))
    assert all(question_of[r["response_id"]] == r["question"] for r in coding)


def test_codes_exist_in_codebook(coding, codebook):
    assert codebook["version"] == "1.0"
    ids = {q: {c["id"] for c in spec["codes"]} for q, spec in codebook["questions"].items()}
    for row in coding:
        if row["code"]:
            assert row["code"] in ids[row["question"]], row


def test_codebook_shape(codebook, coding, responses):
    known = set(responses["response_id"])
    for spec in codebook["questions"].values():
        codes = spec["codes"]
        assert 6 <= len(codes) <= 10
        ids = {c["id"] for c in codes}
        for code in codes:
            assert code["description"]
            assert code.get("parent") in ids | {None}
            for example in code.get("examples", []):
                if example.startswith("ORG"):
                    coded = {r["code"] for r in coding if r["response_id"] == example}
                    assert example in known and code["id"] in coded, (code["id"], example)
    barriers = {c["id"]: c for c in codebook["questions"]["barriers"]["codes"]}
    assert barriers["regulation"]["parent"] == barriers["political_cycle"]["parent"] == "risk_aversion"


def test_both_coders_code_every_answer(coding, responses):
    per_unit: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in coding:
        per_unit[(row["response_id"], row["coder"])].append(row["code"])
    for _, response in responses.iterrows():
        for coder in CODERS:
            codes = per_unit[(response["response_id"], coder)]
            if response["substantive"]:
                assert 1 <= len(codes) <= 3 and all(codes), (response["response_id"], coder)
            else:
                assert codes == [""], (response["response_id"], coder)


def test_coders_agree_mostly_but_not_always(coding, responses):
    units = list(responses.loc[responses["substantive"], "response_id"])
    a = {u: set() for u in units}
    b = {u: set() for u in units}
    for row in coding:
        if row["code"] and row["source"] == "human":
            (a if row["coder"] == CODERS[0] else b)[row["response_id"]].add(row["code"])
    decisions = sum(len(a[u] | b[u]) for u in units)
    differ = sum(len(a[u] ^ b[u]) for u in units)
    assert 0.08 <= differ / decisions <= 0.25


@pytest.mark.parametrize(
    ("script", "committed"),
    [
        (EXAMPLE / "make_survey.py", EXAMPLE / "survey.csv"),
        (ANNOTATIONS / "make_coding.py", ANNOTATIONS / "coding_table.csv"),
    ],
)
def test_generators_reproduce_committed_files(tmp_path, script, committed):
    out = tmp_path / committed.name
    subprocess.run([sys.executable, str(script), str(out)], check=True, cwd=tmp_path)
    assert out.read_bytes() == committed.read_bytes()
