"""Multi-label themes from segments, assignments.csv with a primary flag, stability."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from themeloop.coding import assignments_to_coding
from themeloop.safe_csv import read_csv
from themeloop.themes import UNASSIGNED, Quote, Theme, propose_themes
from themeloop.themes.io import ASSIGNMENT_COLUMNS, assignments_csv, themes_json
from themeloop.themes.multilabel import answer_themes, members_of, resize_themes, segment_answers
from themeloop.themes.stability import best_jaccard, reading, theme_stability


def _theme(i: int) -> Theme:
    return Theme(id=f"t{i}", label=f"T{i}", keywords=[], size=0, share=0.0, seeded=False,
                 quotes=[Quote("r", "x")])


def test_answer_themes_take_the_best_segment_per_theme_and_sort_best_first():
    owner = np.array([0, 0, 0, 1, 2, 2])
    labels = np.array([1, 0, 1, -1, 2, 2])
    scores = np.array([0.4, 0.6, 0.8, 0.9, 0.5, 0.7])
    assert answer_themes(owner, labels, scores, 4) == [[(1, 0.8), (0, 0.6)], [], [(2, 0.7)], []]
    # A secondary theme needs its own evidence; the primary one is always kept.
    assert answer_themes(owner, labels, scores, 4, min_secondary=0.7) == [
        [(1, 0.8)], [], [(2, 0.7)], []]


def test_the_primary_theme_is_what_most_of_the_answer_is_about():
    owner, labels = np.array([0, 0]), np.array([0, 1])
    scores = np.array([0.55, 1.0])  # a short stock phrase matches its tiny theme exactly
    lengths = np.array([90.0, 31.0])
    assert answer_themes(owner, labels, scores, 1, lengths=lengths) == [[(0, 0.55), (1, 1.0)]]
    assert answer_themes(owner, labels, scores, 1) == [[(1, 1.0), (0, 0.55)]]  # a tie: score


def test_themes_are_resized_to_answers_and_reordered_largest_first():
    carried = [[(1, 0.8), (0, 0.6)], [(1, 0.9)], [(0, 0.7)], [(0, 0.5), (1, 0.4)], []]
    themes, order = resize_themes([_theme(0), _theme(1)], carried, n_answers=5)
    assert order == [0, 1]  # both carried by 3 answers; t0 is primary for 2, t1 for 2: index
    assert [(t.id, t.size, t.n_primary, t.share) for t in themes] == [
        ("t0", 3, 2, 0.6), ("t1", 3, 2, 0.6)]
    carried.append([(1, 0.9)])
    themes, order = resize_themes([_theme(0), _theme(1)], carried, n_answers=6)
    assert order == [1, 0] and [(t.size, t.n_primary) for t in themes] == [(4, 3), (3, 2)]
    assert members_of(carried, 2) == [{0, 2, 3}, {0, 1, 3, 5}]


def test_an_answer_without_segments_is_one_segment():
    s = segment_answers(["N/A", "Money. Staff."], [[], ["Money.", "Staff."]])
    assert s.texts == ["N/A", "Money.", "Staff."] and s.owner.tolist() == [0, 1, 1]
    assert s.of(np.array([1])).tolist() == [1, 2]


def test_stability_is_one_for_themes_every_refit_finds_and_lower_when_refits_blur_them():
    groups = [set(range(0, 30)), set(range(30, 60))]
    same = theme_stability(groups, 60, lambda s, seed: [set(s[s < 30]), set(s[s >= 30])],
                           runs=5, random_state=3)
    assert same == [1.0, 1.0]
    # Every refit lumps everything into one theme: overlap = |group in sample| / |sample|.
    lumped = theme_stability(groups, 60, lambda s, seed: [set(s.tolist())], runs=5, random_state=3)
    assert all(0.3 < v < 0.7 for v in lumped)
    assert theme_stability(groups, 60, lambda s, seed: [], runs=0, random_state=3) == [None, None]


def test_stability_draws_are_seeded_and_refits_get_new_seeds():
    seen: list[tuple[tuple[int, ...], int]] = []

    def refit(sample, seed):
        seen.append((tuple(sample.tolist()), seed))
        return [set(sample.tolist())]

    theme_stability([set(range(10))], 10, refit, runs=3, random_state=7)
    first = list(seen)
    seen.clear()
    theme_stability([set(range(10))], 10, refit, runs=3, random_state=7)
    assert seen == first
    assert [s for _, s in first] == [8, 9, 10] and all(len(x) == 8 for x, _ in first)
    assert len({x for x, _ in first}) > 1


def test_best_jaccard_and_readings():
    assert best_jaccard({1, 2}, []) == 0.0
    assert best_jaccard({1, 2}, [{1, 2}]) == 1.0
    assert [reading(v) for v in (0.75, 0.749, 0.6, 0.59)] == [
        "stable", "fairly stable", "fairly stable", "unstable"]


@pytest.fixture(scope="module")
def two_topic_result(tmp_path_factory):
    """Answers about money, answers about staff, and answers that make both points."""
    from themeloop.embed import Embedder

    money = ["There is no money for new projects.", "Our budget has been cut again.",
             "Funding is short term and uncertain.", "We lack the funds to pilot anything.",
             "Grants are small and competitive.", "The council has no spare budget.",
             "Money is the main barrier.", "We cannot afford the set up costs.",
             "Financial pressure stops us investing.", "Budgets shrink every year."]
    staff = ["We cannot recruit social workers.", "Staff turnover is very high.",
             "Experienced staff keep leaving.", "We rely on agency workers.",
             "There is a shortage of qualified staff.", "Recruiting carers is hard.",
             "Our teams are understaffed.", "Good people get poached by others.",
             "Retention of staff is a struggle.", "Vacancies stay open for months."]
    both = [f"1) {m.rstrip('.').lower()} 2) {s.rstrip('.').lower()}"
            for m, s in zip(money[:6], staff[:6])]
    texts = money + staff + both + ["N/A"]
    responses = pd.DataFrame({
        "response_id": [f"R{i}:q" for i in range(len(texts))], "question": "q", "text": texts,
        "substantive": [True] * (len(texts) - 1) + [False]})
    embedder = Embedder(cache_dir=tmp_path_factory.mktemp("ml-cache"))
    # Two themes asked for: how finely the clustering cuts is not what is tested here.
    multi = propose_themes(responses, embedder, seed=42, stability_runs=3, max_themes=2)
    single = propose_themes(responses, embedder, seed=42, multi_label=False, stability_runs=0,
                            max_themes=2)
    return multi, single, len(money), len(staff), len(both)


def test_answers_making_two_points_carry_both_themes(two_topic_result):
    multi, single, n_money, n_staff, n_both = two_topic_result
    q = multi.questions["q"]
    theme_of = dict(zip(q.response_ids, q.theme_ids))
    money_theme = {theme_of[f"R{i}:q"] for i in range(n_money)}
    staff_theme = {theme_of[f"R{i}:q"] for i in range(n_money, n_money + n_staff)}
    assert len(money_theme) == 1 and len(staff_theme) == 1 and money_theme != staff_theme
    for i in range(n_money + n_staff, n_money + n_staff + n_both):
        carried = {q.theme_ids[i], *(t for t, _ in q.secondary[i])}
        assert carried == money_theme | staff_theme, q.response_ids[i]
    assert multi.to_json()["questions"]["q"]["n_multi_theme"] == n_both
    # One label per answer: the same answers get one theme only.
    assert not any(single.questions["q"].secondary[i] for i in range(len(q.response_ids)))


def test_assignments_csv_has_a_row_per_answer_and_theme_with_one_primary(two_topic_result):
    multi = two_topic_result[0]
    q = multi.questions["q"]
    table = read_csv(io.StringIO(assignments_csv(multi)), dtype={"theme_id": str, "primary": str})
    assert table.columns.tolist() == ASSIGNMENT_COLUMNS
    assert table.groupby("response_id")["primary"].apply(lambda s: (s == "1").sum()).eq(1).all()
    assert table["response_id"].drop_duplicates().tolist() == q.response_ids
    first = table.groupby("response_id", sort=False).head(1)
    assert (first["primary"] == "1").all()
    secondary = table[table["primary"] == "0"].assign(score=lambda t: pd.to_numeric(t["score"]))
    assert (secondary["score"] >= 0.5).all()  # the default secondary_similarity
    assert table.loc[table["response_id"] == "R26:q", "theme_id"].tolist() == [UNASSIGNED]
    counts = table[table["theme_id"] != UNASSIGNED]["theme_id"].value_counts()
    for theme in q.themes:
        assert counts[theme.id] == theme.size
        assert ((table["theme_id"] == theme.id) & (table["primary"] == "1")).sum() == theme.n_primary
    coding = assignments_to_coding(table)
    assert len(coding[coding["code"] != ""]) == len(table) - 1


def test_themes_json_carries_stability_and_multi_label_counts(two_topic_result):
    import json

    data = json.loads(themes_json(two_topic_result[0]))["questions"]["q"]
    assert data["multi_label"] is True and data["n_segments"] == 10 + 10 + 2 * 6
    assert data["stability_runs"] == 3
    for theme in data["themes"]:
        assert 0.0 <= theme["stability"] <= 1.0 and theme["n_primary"] <= theme["size"]
    # Two clean topics come back whole in every refit.
    assert min(t["stability"] for t in data["themes"][:2]) >= 0.9


def test_stability_is_skipped_with_a_note_above_the_limit(tmp_path):
    from themeloop.embed import Embedder

    n = 27
    responses = pd.DataFrame({"response_id": [f"R{i}:q" for i in range(n)], "question": "q",
                              "text": [f"answer {i} about money and staff" for i in range(n)],
                              "substantive": True})
    result = propose_themes(responses, Embedder(cache_dir=tmp_path), seed=1, stability_runs=2,
                            stability_max_answers=5)
    entry = result.questions["q"]
    assert entry.stability_runs == 0 and all(t.stability is None for t in entry.themes)
    assert "theme stability not computed: 27 answers is more than stability_max_answers (5)" \
        in entry.note
