"""Privacy with the real spaCy model: quality on the planted corpus, CLI, project seam, review."""

from __future__ import annotations

import csv
import hashlib
import stat
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data" / "privacy"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

ANSWERS = [
    ("R1", "Our social worker Sarah Jones at Hillside Primary has been brilliant.", "a"),
    ("R2", "Call me on 07700 900123 or email sarah.jones@example.org please.", "b"),
    ("R3", "Ofsted liked our Mockingbird hubs. Sarah Jones runs one.", "c"),
    ("R4", "Hope at the contact centre helped; postcode ls14ap.", "d"),
    ("R5", "Nothing to add, our budget is 1250000 and case ref 2024/00123.", "e"),
]


@pytest.fixture(scope="module")
def detector():
    from themeloop.privacy.project import detector_for

    return detector_for(None, [], 0.5)


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_quality_targets_on_the_planted_corpus(detector, split):
    from privacy_quality import load, ours, score

    rows = load(split)
    result = score(rows, ours(detector, rows))
    for entity in ("EMAIL", "UK_PHONE", "UK_POSTCODE", "NHS_NUMBER", "UK_NI_NUMBER"):
        assert result[entity]["recall"] >= 0.97, (entity, result[entity])
    assert result["PERSON"]["recall"] >= 0.90 and result["PERSON"]["precision"] >= 0.85, result["PERSON"]


def test_fast_path_finds_what_presidio_analyze_finds(detector):
    """detect() skips AnalyzerEngine.analyze for speed; on the corpus it must agree with it."""
    from privacy_quality import load

    from themeloop.privacy.engine import _trim, resolve
    from themeloop.privacy.model import Detection

    assert detector.analyzer_.nlp_engine.nlp["en"].pipe_names == ["ner"]
    texts = [r["text"] for split in ("dev", "heldout") for r in load(split)]
    texts += [t.lower() for t in texts[:100]]
    fast = detector.detect(texts)

    def key(ds):
        return [(d.start, d.end, d.entity, d.score) for d in ds]

    for text, got in zip(texts, fast):
        results = detector.analyzer_.analyze(text=text, language="en",
                                             entities=detector.entities_, score_threshold=0.5)
        spans = [Detection(r.start, r.end, r.entity_type, float(r.score),
                           r.recognition_metadata["recognizer_name"]) for r in results]
        expected = resolve(text, (_trim(text, d) for d in spans), detector.allow_)
        # which recogniser is named for a span two find depends on Presidio's set order
        assert key(got) == key(expected), text


def write_answers(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["rid", "answer", "group"])
        w.writerows(ANSWERS)
    return path


def test_scan_and_redact_ad_hoc(tmp_path, cli, detector, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = write_answers(tmp_path / "answers.csv")
    before = source.read_bytes()
    result = cli("privacy", "scan", source, "--id-column", "rid", "--text-column", "answer",
                 "--out", tmp_path / "findings.csv")
    assert result.exit_code == 0, result.output
    findings = pd.read_csv(tmp_path / "findings.csv", dtype=str)
    assert list(findings.columns) == ["response_id", "start", "end", "entity", "score", "recogniser"]
    assert "Sarah" not in (tmp_path / "findings.csv").read_text()
    spans = {(r.response_id, ANSWERS[int(r.response_id[1]) - 1][1][int(r.start):int(r.end)], r.entity)
             for r in findings.itertuples()}
    assert {("R1", "Sarah Jones", "PERSON"), ("R1", "Hillside Primary", "SCHOOL"),
            ("R2", "07700 900123", "UK_PHONE"), ("R2", "sarah.jones@example.org", "EMAIL"),
            ("R4", "ls14ap", "UK_POSTCODE")} <= spans
    assert not [s for s in spans if s[0] == "R5"]  # budgets and references are not phones
    assert not [s for s in spans if s[1] in ("Ofsted", "Mockingbird")]

    result = cli("privacy", "redact", source, "--id-column", "rid", "--text-column", "answer",
                 "--out", tmp_path / "redacted.csv")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "redacted.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["rid", "answer", "group"]
    assert out["rid"].tolist() == [a[0] for a in ANSWERS] and out["group"].tolist() == list("abcde")
    assert out["answer"][0] == "Our social worker [PERSON_1] at [SCHOOL_1] has been brilliant."
    assert out["answer"][2] == "Ofsted liked our Mockingbird hubs. [PERSON_1] runs one."
    assert out["answer"][4] == ANSWERS[4][1]
    assert source.read_bytes() == before  # the original is never changed
    key = tmp_path / ".themeloop" / "privacy" / "key.json"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    result = cli("privacy", "reveal", "[PERSON_1]", "--key", key)
    assert result.exit_code == 0 and result.stdout == "[PERSON_1]\tPERSON\tSarah Jones\n"


@pytest.mark.parametrize("args, message", [
    (["privacy", "scan", "{src}", "--id-column", "rid", "--out", "{tmp}/f.csv"],
     "Error: {src}: give both --id-column and --text-column\n"),
    (["privacy", "scan", "{src}", "--id-column", "rid", "--text-column", "answer"],
     "Error: {src}: give --out for the output file\n"),
    (["privacy", "scan", "{src}", "--id-column", "rid", "--text-column", "answr", "--out", "{tmp}/f.csv"],
     "Error: {src}: no text column 'answr' (did you mean 'answer'?); columns are: rid, answer, group\n"),
    (["privacy", "scan", "{tmp}/missing.csv", "--id-column", "rid", "--text-column", "answer", "--out", "{tmp}/f.csv"],
     "Error: {tmp}/missing.csv: file not found; check the path or survey.path in themeloop.toml\n"),
    (["privacy", "redact", "{src}", "--id-column", "rid", "--text-column", "answer", "--out", "{src}"],
     "Error: {src}: is the input file; write the output somewhere else (the original is never changed)\n"),
    (["privacy", "redact", "{src}", "--id-column", "rid", "--text-column", "answer", "--out", "{tmp}/r.xlsx"],
     "Error: {tmp}/r.xlsx: redact writes CSV; give an --out ending in .csv\n"),
    (["privacy", "scan", "--id-column", "rid", "--project", "{tmp}"],
     "Error: --id-column and --text-column need a FILE; without one the project's survey is used\n"),
    (["privacy", "reveal", "[PERSON_9]", "--key", "{tmp}/nokey.json"],
     "Error: {tmp}/nokey.json: no key file; pseudonyms are made by 'themeloop privacy redact' or a "
     "run with [privacy] enabled = true\n"),
])
def test_cli_errors(tmp_path, cli, args, message):
    source = write_answers(tmp_path / "answers.csv")
    fill = {"src": str(source), "tmp": str(tmp_path)}
    result = cli(*[a.format(**fill) for a in args])
    assert result.exit_code == 2
    assert result.stderr == message.format(**fill)


def test_reveal_unknown_token(tmp_path, cli):
    from themeloop.privacy.pseudonym import Key

    key = Key()
    key.pseudonym("PERSON", "Sarah Jones")
    path = key.save(tmp_path / "key.json")
    result = cli("privacy", "reveal", "[PERSON_2]", "--key", path)
    assert result.exit_code == 2
    assert result.stderr == ("Error: no pseudonym '[PERSON_2]' in the key; pseudonyms look like "
                             "[PERSON_1] (tokens) or are the fake names the key holds\n")


def make_project(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_answers(folder / "survey.csv")
    (folder / "themeloop.toml").write_text(textwrap.dedent(f"""\
        [survey]
        path = "survey.csv"
        id = "rid"
        attributes = ["group"]

        [[questions]]
        id = "q"
        column = "answer"

        [privacy]
        enabled = true
        {extra}
        """), encoding="utf-8")
    return folder


def test_the_survey_loader_pseudonymises_and_review_decisions_are_honoured(tmp_path, cli, detector):
    from themeloop.audit.ledger import Ledger, default_ledger_path
    from themeloop.config import find_project
    from themeloop.survey import load_project_survey

    root = make_project(tmp_path / "p")
    digest = hashlib.sha256((root / "survey.csv").read_bytes()).hexdigest()
    project = find_project(root)
    texts = load_project_survey(project).responses()["text"].tolist()
    assert texts[0] == "Our social worker [PERSON_1] at [SCHOOL_1] has been brilliant."
    assert texts[3] == "[PERSON_2] at the contact centre helped; postcode [POSTCODE_1]."
    assert load_project_survey(project, pseudonymise=False).responses()["text"][0] == ANSWERS[0][1]
    assert hashlib.sha256((root / "survey.csv").read_bytes()).hexdigest() == digest
    private = root / ".themeloop" / "privacy"
    for name in ("key.json", "detections.json"):
        assert stat.S_IMODE((private / name).stat().st_mode) == 0o600
    assert "Sarah" not in (private / "detections.json").read_text()

    result = cli("privacy", "review", "--project", root)
    assert result.exit_code == 0, result.output
    review = private / "review.csv"
    assert stat.S_IMODE(review.stat().st_mode) == 0o600
    rows = list(csv.DictReader(open(review, encoding="utf-8")))
    hope = next(r for r in rows if r["span"] == "Hope")
    assert hope["before"] == "" and hope["after"].startswith("at the contact centre")
    # the reviewer: "Hope" is a false positive here; "brilliant" was missed (say)
    hope["decision"] = "keep"
    rows.append({**{k: "" for k in rows[0]}, "response_id": "R1:q", "span": "brilliant",
                 "entity": "PERSON", "decision": "add"})
    with open(review, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    texts = load_project_survey(find_project(root)).responses()["text"].tolist()
    assert texts[3] == "Hope at the contact centre helped; postcode [POSTCODE_1]."
    assert texts[0] == "Our social worker [PERSON_1] at [SCHOOL_1] has been [PERSON_3]."
    # writing the review file again keeps the decisions
    assert cli("privacy", "review", "--project", root).exit_code == 0
    again = list(csv.DictReader(open(review, encoding="utf-8")))
    assert [r["decision"] for r in again if r["span"] in ("Hope", "brilliant")] == ["keep", "add"]

    events = Ledger(default_ledger_path(project)).events()
    actions = {(e["action"], e["actor"], e["detail"]["entity"]) for e in events}
    assert ("redacted", "SpacyRecognizer", "PERSON") in actions
    assert ("redacted", "reviewer", "PERSON") in actions and ("kept", "reviewer", "PERSON") in actions
    ledger_text = default_ledger_path(project).read_text()
    for original in ("Sarah", "Hillside", "07700", "ls14ap", "brilliant", "Hope"):
        assert original not in ledger_text

    result = cli("privacy", "reveal", "[PERSON_3]", "--project", root)
    assert result.stdout == "[PERSON_3]\tPERSON\tbrilliant\n"
    result = cli("privacy", "scan", "--project", root)
    assert result.exit_code == 0, result.output
    findings = pd.read_csv(root / "out" / "privacy_findings.csv", dtype=str)
    assert ("R4:q", "PERSON") not in set(zip(findings.response_id, findings.entity))


def test_privacy_columns_and_fake_names(tmp_path, detector):
    from themeloop.config import find_project
    from themeloop.errors import PrivacyError
    from themeloop.survey import load_project_survey

    root = make_project(tmp_path / "p", 'pseudonyms = "fake"\ncolumns = ["group"]')
    frame = load_project_survey(find_project(root)).frame
    assert "Sarah Jones" not in frame["answer"][0] and "[PERSON" not in frame["answer"][0]
    assert frame["answer"][0].endswith(" at [SCHOOL_1] has been brilliant.")
    bad = make_project(tmp_path / "q", 'columns = ["grup"]')
    with pytest.raises(PrivacyError, match=r"no column 'grup' for \[privacy\] columns \(did you mean 'group'\?\)"):
        load_project_survey(find_project(bad))


def test_redact_project_mode_and_its_errors(tmp_path, cli, detector):
    root = make_project(tmp_path / "p")
    result = cli("privacy", "redact", "--project", root)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(root / "out" / "survey_pseudonymised.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["rid", "answer", "group"] and out["rid"].tolist() == [a[0] for a in ANSWERS]
    assert out["answer"][1] == "Call me on [PHONE_1] or email [EMAIL_1] please."
    result = cli("privacy", "redact", "--project", root, "--key", tmp_path / "k.json")
    assert result.exit_code == 2
    assert result.stderr == ("Error: --key is for ad hoc use; a project keeps its key in "
                             ".themeloop/privacy/key.json\n")


def test_unknown_privacy_key_is_refused(tmp_path, cli):
    root = make_project(tmp_path / "p", "enable = true")
    result = cli("privacy", "scan", "--project", root)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {root / 'themeloop.toml'}: unknown key 'privacy.enable' "
                             "(did you mean 'enabled'?)\n")
