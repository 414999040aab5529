"""The answer splitter: sentences, list items, enumerations, linked clauses, offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from themeloop.segments import Segment, split_many, split_segments

METHODS = ["rules", "spacy"]

CASES = [
    # An inline enumeration: two points, markers left out.
    ("1) nervousness about getting it wrong 2) lack of funding",
     ["nervousness about getting it wrong", "lack of funding"]),
    # Abbreviations and a decimal do not end a sentence; "and also" links two points;
    # "Thanks." has no content word of its own and joins its neighbour.
    ("Dr. Smith left in Jan. e.g. the U.K. budget fell by 3.5% and also staff leave. Thanks.",
     ["Dr. Smith left in Jan. e.g. the U.K. budget fell by 3.5%", "staff leave. Thanks."]),
    # Bullets on CRLF lines: each item is a segment, even a one-word one; the
    # one-word lead-in joins the first item.
    ("Barriers:\r\n- cost\r\n- staff turnover\r\n* no time to plan",
     ["Barriers:\r\n- cost", "staff turnover", "no time to plan"]),
    # Numbered lines; inside a list item a one-word sentence is a point too.
    ("1. Funding is short term.\n2. Regulation. Ofsted wants certainty.\n\n3. Culture",
     ["Funding is short term.", "Regulation.", "Ofsted wants certainty.", "Culture"]),
    # A short sentence ("It is frustrating.") is not a point of its own.
    ("Grant funding is tied to outputs rather than learning. It is frustrating.",
     ["Grant funding is tied to outputs rather than learning. It is frustrating."]),
    # Two sentences on two subjects.
    ("Our budget is fully committed to statutory services. We cannot recruit social workers.",
     ["Our budget is fully committed to statutory services.", "We cannot recruit social workers."]),
    # A semicolon joins two clauses; numbers that are not an enumeration stay.
    ("We run 2 teams of 10 staff; the council cut 3 posts in 2020",
     ["We run 2 teams of 10 staff", "the council cut 3 posts in 2020"]),
    # Inline bullets.
    ("Barriers • lack of money • risk averse leaders", ["Barriers • lack of money",
                                                        "risk averse leaders"]),
    ("", []),
    ("   \r\n  ", []),
    ("N/A", ["N/A"]),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "expected"), CASES)
def test_split_real_answers(text, expected, method):
    segments = split_segments(text, method=method)
    assert [s.text for s in segments] == expected
    for seg in segments:
        assert text[seg.start:seg.end] == seg.text


def test_offsets_point_into_the_original_text():
    text = "Money is short.\r\n- staff\r\n- time to think"
    segments = split_segments(text, method="rules")
    assert segments == [Segment(0, 15, "Money is short."), Segment(19, 24, "staff"),
                        Segment(28, 41, "time to think")]


def test_split_many_matches_one_at_a_time_and_reports_progress():
    texts = [text for text, _ in CASES]
    calls = []
    many = split_many(texts, method="spacy", progress=lambda *a: calls.append(a))
    assert many == [split_segments(t, method="spacy") for t in texts]
    assert calls and calls[-1][1] == calls[-1][2]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be 'auto', 'spacy' or 'rules'; got 'nltk'"):
        split_segments("a b", method="nltk")  # type: ignore[arg-type]


_alphabet = st.sampled_from([*"abc XYZ.,;!?\r\n-•1)2(", "and also", "Dr.", "e.g.", " 3.5 "])


@settings(max_examples=200, deadline=None)
@given(st.lists(_alphabet, max_size=40).map("".join))
def test_segments_are_ordered_disjoint_substrings_keeping_every_word(text):
    segments = split_segments(text, method="rules")
    end = 0
    for seg in segments:
        assert text[seg.start:seg.end] == seg.text == seg.text.strip()
        assert seg.start >= end and seg.end > seg.start
        end = seg.end
    covered = "".join(text[s.start:s.end] for s in segments)
    words = [w for w in __import__("re").findall(r"[A-Za-z]{2,}", text) if w != "also"]
    assert all(w in covered for w in words)
