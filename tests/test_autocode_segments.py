"""The autocoder's answer splitter and the whole-or-segment score combination."""

from __future__ import annotations

import numpy as np

from themeloop.autocode.segments import combine, segment_proba, segment_table, split


def test_split_sentences_list_items_and_inline_enumerations():
    assert split("Seed funding would help most. Protected time for staff. That would change "
                 "things.") == ["Seed funding would help most.", "Protected time for staff.",
                                "That would change things."]
    assert split("Three things: 1) money for pilots 2) time to think 3) leaders who back us") == [
        "Three things:", "money for pilots", "time to think", "leaders who back us"]
    assert split("- funding cuts\n- staff turnover is high\n* no time") == [
        "funding cuts", "staff turnover is high", "no time"]


def test_short_pieces_join_their_neighbour_and_one_segment_is_none():
    assert split("Yes. We tried it and it works well.") == []     # "Yes." joins: one segment
    assert split("Just money.") == []
    assert split("") == []
    flat, owner = segment_table(["Just money.", "Cuts hit us. Staff leave too.", "A. B c d."])
    assert flat == ["Cuts hit us.", "Staff leave too."] and owner.tolist() == [1, 1]


def test_combine_takes_the_larger_of_whole_and_best_segment():
    whole = np.array([[0.2, 0.9], [0.4, 0.1], [0.3, 0.3]])
    seg = np.array([[0.8, 0.1], [0.1, 0.5], [0.2, 0.2]])
    out = combine(whole, seg, np.array([0, 0, 1]), weight=1.0)
    # answer 0 has segments 0 and 1 (best [0.8, 0.5]), answer 1 segment 2, answer 2 none
    np.testing.assert_allclose(out, [[0.8, 0.9], [0.4, 0.2], [0.3, 0.3]])
    np.testing.assert_allclose(combine(whole, seg, np.array([0, 0, 1]), weight=0.5),
                               [[0.4, 0.9], [0.4, 0.1], [0.3, 0.3]])
    np.testing.assert_array_equal(combine(whole, seg[:0], np.zeros(0, np.int64)), whole)


def test_segment_proba_scores_each_sentence_with_the_model():
    class Lengths:  # a "model" whose score is the share of words that are "cost"/"staff"
        def predict_proba(self, x, texts):
            return np.array([[t.count("cost") / len(t.split()), t.count("staff") / len(t.split())]
                             for t in texts])

    texts = ["cost cost staff and more words here. staff staff.", "cost only"]
    encode = lambda items: np.zeros((len(items), 4), np.float32)  # noqa: E731
    got = segment_proba(Lengths(), np.zeros((2, 4), np.float32), texts, encode)
    np.testing.assert_allclose(got, [[2 / 7, 1.0], [0.5, 0.0]])
