"""Privacy: recognisers, allow-lists, overlaps, pseudonyms, key and review file (no spaCy)."""

from __future__ import annotations

import csv
import json
import stat

import pytest

from themeloop.privacy.allow import allow_list
from themeloop.privacy.engine import resolve
from themeloop.privacy.model import Detection
from themeloop.privacy.pseudonym import Key, apply, normalise
from themeloop.privacy.recognisers import (
    EmailAddressRecognizer,
    GpSurgeryRecognizer,
    NameContextRecognizer,
    NhsNumberRecognizer,
    SchoolRecognizer,
    StreetRecognizer,
    UkNiNumberRecognizer,
    UkPhoneRecognizer,
    UkPostcodeRecognizer,
    nhs_check,
)
from themeloop.privacy.review import read_decisions
from themeloop.privacy.store import text_hash, write_private


def found(recogniser, text: str) -> list[str]:
    return [text[r.start:r.end] for r in recogniser.analyze(text, [])]


@pytest.mark.parametrize("text, expected", [
    ("LS1 4AP", ["LS1 4AP"]), ("ls14ap", ["ls14ap"]), ("SW1A 1AA and EC1A1BB", ["SW1A 1AA", "EC1A1BB"]),
    ("M14 5RT.", ["M14 5RT"]), ("QQ1 4AP", []),  # no area QQ
    ("covid19 2020", []), ("CR-2024-001234", []), ("£1,250,000", []),
])
def test_postcodes(text, expected):
    assert found(UkPostcodeRecognizer(), text) == expected


@pytest.mark.parametrize("text, expected", [
    ("call 07700 900123 today", ["07700 900123"]), ("07700900123", ["07700900123"]),
    ("+44 7700 900123", ["+44 7700 900123"]), ("(020) 7946 0123", ["(020) 7946 0123"]),
    ("0113 496 0999", ["0113 496 0999"]), ("020 7946 0018", ["020 7946 0018"]),
    # not phones: budgets, references, dates, an NHS number
    ("a budget of 1250000 pounds", []), ("ref 2024/00123", []), ("case 12345678", []),
    ("on 12/03/2024", []), ("4471-2209-1187", []), ("£7963883", []), ("943 476 5919", []),
])
def test_phones_accept_possible_uk_numbers_only(text, expected):
    assert found(UkPhoneRecognizer(), text) == expected


def test_drama_numbers_are_possible_but_not_valid():
    """Why the UK recogniser asks is_possible_number: Presidio's is_valid_number says no."""
    import phonenumbers

    number = phonenumbers.parse("07700 900123", "GB")
    assert phonenumbers.is_possible_number(number) and not phonenumbers.is_valid_number(number)


def test_nhs_numbers_need_the_check_digit():
    assert nhs_check("9434765919") and not nhs_check("9434765918")
    assert found(NhsNumberRecognizer(), "NHS 943 476 5919, 943-476-5919, 9434765919, 9434765918") == [
        "943 476 5919", "943-476-5919", "9434765919"]
    assert found(NhsNumberRecognizer(), "943 476-5919") == []  # mixed separators


def test_ni_numbers_need_valid_prefixes():
    text = "AB 12 34 56 C, ab123456c, QQ123456C, GB123456A, BG123456A, AB123456E"
    assert found(UkNiNumberRecognizer(), text) == ["AB 12 34 56 C", "ab123456c"]


def test_email():
    assert found(EmailAddressRecognizer(), "mail sarah.jones@council.example.gov.uk, or x@y") == [
        "sarah.jones@council.example.gov.uk"]


def test_places_from_context():
    assert found(SchoolRecognizer(), "Our worker at Hillside Primary and St Mary's Primary School") == [
        "Hillside Primary", "St Mary's Primary School"]
    assert found(GpSurgeryRecognizer(), "registered at The Grove Medical Centre") == [
        "Grove Medical Centre"]  # a leading "The" is not part of the name
    assert found(StreetRecognizer(), "I live at 22 Beech Avenue near Mill Lane") == [
        "22 Beech Avenue", "Mill Lane"]
    assert found(StreetRecognizer(), "The Road to recovery") == []


def test_names_from_context():
    rec = NameContextRecognizer()
    assert found(rec, "i spoke to sarah jones yesterday") == ["sarah jones"]
    assert "kerry" in found(rec, "my worker is kerry, she is lovely")
    assert found(rec, "I hope we will mark it") == []  # words, not names
    assert "Will" in found(rec, "We hope Will from the youth service will lead it")
    assert found(rec, "Mrs Okafor refused") == ["Mrs Okafor"]


def test_allow_list_and_project_terms():
    allow = allow_list(["Brightside Project"])
    text = "Ofsted, Mockingbird and our Social Work in Schools pilot; Leeds City Council; Brightside Project"
    for term in ("Ofsted", "Mockingbird", "Social Work", "Leeds City Council", "Brightside Project"):
        start = text.index(term)
        assert allow.allows(text, start, start + len(term)), term
    assert not allow.allows("Sarah Jones", 0, 11)


def test_allow_trie_matches_the_plain_alternation():
    import re

    allow = allow_list(["Leeds Youth Hub", "St Anne's"])
    plain = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in allow.terms) + r")(?!\w)",
                       re.IGNORECASE)
    texts = [" ".join(allow.terms[i:i + 5]) for i in range(0, len(allow.terms), 2)]
    texts += [t.upper() + "s, " + t.lower() + "x " + t for t in allow.terms]
    texts += ["leeds youth hubs and Leeds Youth Hub in LEEDS; st anne's", "Leedsx Leeds-"]
    for text in texts:
        assert allow.spans(text) == [m.span() for m in plain.finditer(text)], text


def test_resolve_prefers_identifiers_and_cuts_run_on_names():
    text = "Thanks to Jack at Brookfield Junior School"
    person = Detection(10, len(text), "PERSON", 0.85, "SpacyRecognizer")
    school = Detection(18, len(text), "SCHOOL", 0.8, "SchoolRecognizer")
    assert resolve(text, [person, school]) == [
        Detection(10, 14, "PERSON", 0.85, "SpacyRecognizer"), school]
    ofsted = "Ofsted came"
    assert resolve(ofsted, [Detection(0, 6, "PERSON", 0.85, "x")], allow_list()) == []


def test_pseudonyms_are_consistent():
    key = Key()
    a = apply("Sarah Jones met Tom.", [Detection(0, 11, "PERSON", 1, "x"), Detection(16, 19, "PERSON", 1, "x")], key)
    b = apply("ask sarah  jones", [Detection(4, 16, "PERSON", 1, "x")], key)
    c = apply("ring 07700 900123 or 07700900123", [Detection(5, 17, "UK_PHONE", 1, "x"),
                                                   Detection(21, 32, "UK_PHONE", 1, "x")], key)
    assert (a, b, c) == ("[PERSON_1] met [PERSON_2].", "ask [PERSON_1]", "ring [PHONE_1] or [PHONE_1]")
    assert key.reveal("[PERSON_2]") == {"entity": "PERSON", "original": "Tom"}
    assert normalise("UK_PHONE", "+44 7700 900123") == normalise("UK_PHONE", "07700900123")


def test_fake_names_are_seeded_and_distinct():
    names = [Key("fake", seed=1).pseudonym("PERSON", f"p{i}") for i in range(1)]
    key = Key("fake", seed=1)
    made = [key.pseudonym("PERSON", f"person {i}") for i in range(30)]
    assert len(set(made)) == 30 and made[0] == names[0] and "[" not in made[0]
    assert key.pseudonym("EMAIL", "a@b.org") == "[EMAIL_1]"


def test_key_file_is_private_and_round_trips(tmp_path):
    key = Key()
    key.pseudonym("PERSON", "Sarah Jones")
    path = key.save(tmp_path / "privacy" / "key.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = Key.load(path)
    assert again.pseudonym("PERSON", "sarah jones") == "[PERSON_1]" and not again.changed
    with pytest.raises(Exception, match="made in mode 'tokens', not 'fake'"):
        Key.load(path, "fake")


def test_write_private_mode(tmp_path):
    path = write_private(tmp_path / "x.csv", "a\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_review_decisions(tmp_path):
    text = "Hope said Mark would ring."
    path = tmp_path / "review.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["response_id", "text_hash", "start", "end", "entity", "span", "decision"])
        w.writerow(["R1:q", text_hash(text), 0, 4, "PERSON", "Hope", "keep"])
        w.writerow(["R1:q", "", "", "", "PERSON", "Mark", "add"])
    decisions = read_decisions(path)
    spans = decisions.apply("R1:q", text, [Detection(0, 4, "PERSON", 0.6, "NameContextRecognizer")])
    assert spans == [Detection(10, 14, "PERSON", 1.0, "reviewer")]
    assert decisions.apply("R2:q", text, []) == []  # the add was for R1 only


@pytest.mark.parametrize("row, message", [
    (["R1", "h", "0", "4", "PERSON", "Hope", "maybe"], "row 2: decision 'maybe' is not one of keep, add, redact (or empty)"),
    (["R1", "", "", "", "PET", "Rex", "add"], "row 2: entity 'PET' is not one of PERSON"),
    (["R1", "", "", "", "PERSON", " ", "add"], "row 2: 'add' needs the missed text in 'span'"),
    (["R1", "h", "x", "4", "PERSON", "Hope", "keep"], "row 2: 'keep' needs the row's text_hash"),
])
def test_review_file_errors(tmp_path, row, message):
    path = tmp_path / "review.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["response_id", "text_hash", "start", "end", "entity", "span", "decision"])
        w.writerow(row)
    with pytest.raises(Exception) as err:
        read_decisions(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_corpus_is_labelled_consistently():
    from pathlib import Path

    folder = Path(__file__).parent / "data" / "privacy"
    entities = set()
    for split, n in (("dev", 320), ("heldout", 200)):
        rows = [json.loads(line) for line in (folder / f"{split}.jsonl").read_text().splitlines()]
        assert len(rows) == n
        for row in rows:
            for span in row["spans"]:
                assert 0 <= span["start"] < span["end"] <= len(row["text"])
                entities.add(span["entity"])
    assert entities == {"PERSON", "EMAIL", "UK_PHONE", "UK_POSTCODE", "NHS_NUMBER", "UK_NI_NUMBER",
                        "SCHOOL", "GP_SURGERY", "STREET", "LOCATION"}
