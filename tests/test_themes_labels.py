"""Readable labels, theme-set checks and parent themes (themes/labels, checks, hierarchy)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from themeloop.themes import ThemeProposer, checks, hierarchy
from themeloop.themes import labels as theme_labels
from themeloop.themes.keywords import _stop_words
from themeloop.themes.model import Quote, Theme

CONNECTORS = {"and", "of"}


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def _members(q, theme_id: str, responses: pd.DataFrame) -> list[str]:
    """The answers carrying the theme: as their primary theme or beside another (multi-label)."""
    text = dict(zip(responses["response_id"], responses["text"]))
    secondary = q.secondary or [[] for _ in q.response_ids]
    return [text[r].lower() for r, t, extra in zip(q.response_ids, q.theme_ids, secondary)
            if t == theme_id or any(e == theme_id for e, _ in extra)]


def _phrase_in(phrase: str, texts: list[str]) -> bool:
    """``phrase`` occurs as whole words, in order, in one of ``texts``."""
    pattern = r"(?<![\w'-])" + r"\s+".join(map(re.escape, _words(phrase))) + r"(?![\w'-])"
    return any(re.search(pattern, t) for t in texts)


# --- the label tests of issue 14, on the bundled survey with the real model ----------------


def test_every_label_word_occurs_in_the_themes_answers(sample_result, responses):
    for q in sample_result.questions.values():
        for theme in q.themes:
            members = _members(q, theme.id, responses)
            tokens = {w for m in members for w in _words(m)}
            # "and" joins two phrases when no single phrase fits; it is not a label word.
            assert set(_words(theme.label)) - {"and"} <= tokens, (theme.label, members[:2])


def test_a_label_is_a_phrase_of_the_answers_not_a_bag_of_words(sample_result, responses):
    stop = _stop_words()
    for q in sample_result.questions.values():
        for theme in q.themes:
            words = _words(theme.label)
            assert 1 <= len(words) <= 5, theme.label
            content = [w for w in words if w not in CONNECTORS]
            assert content and not set(content) & stop, theme.label
            members = _members(q, theme.id, responses)
            # Either the phrase occurs as written, or it is "A and B" with both parts occurring.
            parts = [theme.label] if _phrase_in(theme.label, members) else theme.label.split(" and ")
            assert len(parts) <= 2 and all(_phrase_in(p, members) for p in parts), theme.label
            # The old labels listed three unrelated keywords: "Risk, ground and idea".
            assert "," not in theme.label


def test_labels_of_different_themes_differ(sample_result):
    for q in sample_result.questions.values():
        labels = [t.label.lower() for t in q.themes]
        assert len(set(labels)) == len(labels), labels


def test_a_proposed_themes_id_comes_from_its_final_label(sample_result):
    # Multi-label themes are labelled again from the answers that carry them; the id
    # follows, so that no id names a label the theme no longer has.
    for q in sample_result.questions.values():
        for theme in q.themes:
            if theme.seeded:
                continue
            slug = "_".join(w for w in re.sub(r"[^a-z0-9]+", " ", theme.label.lower()).split()
                            if w != "and")
            assert re.fullmatch(re.escape("_".join(slug.split("_")[:3])) + r"(_\d+)?",
                                theme.id), (theme.id, theme.label)
        ids = {t.id for t in q.themes}
        assert set(q.theme_ids) - {"unassigned"} <= ids
        assert {e for extra in q.secondary or [] for e, _ in extra} <= ids


def test_most_sample_labels_are_multi_word_phrases(sample_result):
    labels = [t.label for q in sample_result.questions.values() for t in q.themes]
    assert sum(2 <= len(label.split()) <= 5 for label in labels) >= 0.8 * len(labels), labels


def test_description_is_one_sentence_grounded_in_a_quote(sample_result):
    for q in sample_result.questions.values():
        for theme in q.themes:
            assert theme.description.startswith("Answers about ")
            quoted = re.search(r'such as "(.*)"$', theme.description).group(1)
            quoted = quoted[:-3] if quoted.endswith("...") else quoted  # clipped at a word
            assert any(quoted in " ".join(quote.text.split()) for quote in theme.quotes), quoted
            assert len(quoted) <= 160


# --- candidate phrases -------------------------------------------------------------------


def test_noun_phrases_drop_determiners_pronouns_and_filler():
    got = theme_labels.noun_phrases([
        "Our biggest barrier is the lack of seed funding.",
        "We think it is really a lot of things.",
    ])
    texts = [[p.text for p in doc] for doc in got]
    assert "lack of seed funding" in texts[0] and "seed funding" in texts[0]
    assert all(not w.startswith(("our ", "the ")) for w in texts[0])
    assert texts[1] == []  # "it", "a lot of things": nothing that names a theme


def test_shared_parses_parse_each_text_once_and_change_nothing(monkeypatch):
    texts = ["The lack of seed funding is our biggest problem.", "Staff turnover and high caseloads."]
    plain = theme_labels.noun_phrases(texts)
    nlp = theme_labels._parser()
    parsed: list[str] = []
    real = nlp.pipe

    def counting(docs, **kw):
        docs = list(docs)
        parsed.extend(docs)
        return real(docs, **kw)

    monkeypatch.setattr(nlp, "pipe", counting)
    new = "A new answer about funding."
    with theme_labels.shared_parses():
        assert theme_labels.noun_phrases(texts) == plain
        with theme_labels.shared_parses():  # nested: the outer block's parses
            again = theme_labels.noun_phrases([texts[1], new, texts[0]])
    assert again[0] == plain[1] and again[2] == plain[0]
    assert parsed == [*texts, new]
    theme_labels.noun_phrases(texts)  # outside a block nothing was kept
    assert parsed == [*texts, new, *texts]


def test_parsing_on_worker_processes_gives_the_same_phrases(monkeypatch):
    import os

    texts = ["The lack of seed funding is our biggest problem.", "Staff turnover and high caseloads.",
             "Not enough time for the pilots", "Board of trustees and the lack of data", "ok", ""]
    from themeloop.themes import keywords

    serial, lemmas = theme_labels.noun_phrases(texts), keywords.analyse(texts)
    assert keywords.parse_workers(10) == 1  # few texts: this process
    assert keywords.parse_workers(10**6) == min(4, len(os.sched_getaffinity(0)))
    monkeypatch.setattr(keywords, "parse_workers", lambda n: 2)  # forked, even on one core
    assert theme_labels.noun_phrases(texts) == serial
    assert keywords.analyse(texts) == lemmas


def test_simple_phrases_fallback_keeps_content_words_only():
    assert [p.text for p in theme_labels.simple_phrases("The cost of the new IT system")] == [
        "cost", "system"]


def test_labels_without_an_encoder_still_come_from_the_text():
    texts = ["no money for pilots", "money for pilots is short", "pilot money ran out",
             "staff turnover is high", "high staff turnover again", "staff turnover hurts"]
    labels = np.array([0, 0, 0, 1, 1, 1])
    got = theme_labels.label_themes(texts, labels, {}, {0: texts[:1], 1: texts[3:4]})
    assert got[1].label == "High staff turnover" or got[1].label == "Staff turnover"
    assert got[0].label != got[1].label
    assert set(_words(got[0].label)) <= {w for t in texts[:3] for w in _words(t)}


def test_mmr_prefers_a_different_phrase_to_a_near_duplicate():
    e = np.array([[1.0, 0.0], [0.999, 0.045], [0.6, 0.8]])
    assert theme_labels.mmr(e, np.array([1.0, 0.99, 0.7]), diversity=0.5)[:2] == [0, 2]
    assert theme_labels.mmr(e, np.array([1.0, 0.99, 0.7]), diversity=0.0) == [0, 1, 2]


# --- theme-set checks ------------------------------------------------------------------


@pytest.mark.parametrize("n, floor", [(1, 2), (40, 2), (2000, 2), (2001, 3), (100_000, 100)])
def test_min_theme_size_is_max_2_and_a_thousandth(n, floor):
    assert checks.min_theme_size(n) == floor


def test_jaccard_merge_pairs_and_chained_merges():
    members = [{1, 2, 3, 4, 5}, {1, 2, 3, 4}, {7, 8}, {7, 8, 9}]
    pairs = checks.merge_pairs(None, members)
    assert pairs == [(0, 1, "overlapping_members", 0.8), (2, 3, "overlapping_members", 0.667)][:1]
    labels = np.array([0, 1, 2, 3, -1])
    assert checks.apply_merges(labels, [0, 1, 2, 3], pairs).tolist() == [0, 0, 2, 3, -1]
    assert checks.merge_pairs(None, [{1, 2, 3}, {4, 5, 6}]) == []


def _two_groups(rng, n=10, dim=8):
    centres = np.eye(dim, dtype=np.float32)[:2]
    x = centres[np.repeat([0, 1], n)] + rng.normal(scale=0.05, size=(2 * n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_themes_with_the_same_label_meaning_are_merged_and_the_rule_is_listed():
    rng = np.random.default_rng(0)
    x = _two_groups(rng)
    texts = [f"seed funding for pilots {i}" for i in range(10)] + [
        f"seed money for trials {i}" for i in range(10)]

    def same(texts):  # every phrase and label+description means the same thing
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)

    ids = [str(i) for i in range(20)]
    apart = ThemeProposer(random_state=0).fit(texts, x, ids)
    merged = ThemeProposer(random_state=0, label_encoder=same).fit(texts, x, ids)
    assert len(apart.themes_) == 2 and not apart.checks_
    assert len(merged.themes_) == 1 and merged.themes_[0].size == 20
    rule = merged.checks_[0]
    assert rule.rule == "similar_labels" and rule.themes == [t.id for t in apart.themes_]
    assert "cosine 1.000 > 0.9" in rule.detail


def test_an_answer_that_fits_nowhere_is_other():
    rng = np.random.default_rng(1)
    x = np.vstack([_two_groups(rng), np.eye(8, dtype=np.float32)[[5]]])
    texts = ["money is short"] * 10 + ["staff leave"] * 10 + ["the weather"]
    proposer = ThemeProposer(random_state=0).fit(texts, x, [str(i) for i in range(21)])
    assert proposer.other_.id == "other" and proposer.other_.label == "Other"
    assert proposer.other_.size == 1 and proposer.other_.quotes[0].response_id == "20"
    assert [c.rule for c in proposer.checks_] == ["other"]


def test_non_substantive_answers_are_no_answer_given_and_not_clustered(sample_result, responses):
    for qid, q in sample_result.questions.items():
        rows = responses[responses["question"] == qid]
        skipped = rows.loc[~rows["substantive"], "response_id"].tolist()
        assert skipped, qid  # the sample has a few "n/a" answers in every question
        assert q.no_answer.label == "No answer given" and q.no_answer.size == len(skipped)
        assert {quote.response_id for quote in q.no_answer.quotes} <= set(skipped)
        in_themes = {r for r, t in zip(q.response_ids, q.theme_ids) if t != "unassigned"}
        assert not in_themes & set(skipped)
        rule = [c for c in q.checks if c.rule == "no_answer"]
        assert rule and rule[0].detail.startswith(f"{len(skipped)} non-substantive")
        entry = q.to_json()
        assert entry["no_answer"]["size"] == len(skipped)
        assert {"rule": "no_answer", "themes": ["no_answer"], "detail": rule[0].detail} in \
            entry["checks"]


# --- the hierarchy ---------------------------------------------------------------------


def _families(n_families=5, per_family=5, per_theme=4, dim=32, seed=0):
    """Themes in tight families: a family direction plus a small theme offset."""
    rng = np.random.default_rng(seed)
    fam = np.linalg.qr(rng.normal(size=(dim, n_families)))[0].T
    cents, themes, texts, labels = [], [], [], []
    words = ["budget", "staff", "data", "risk", "carers"]
    extras = ["planning", "pressure", "cuts", "reports", "training"]
    for f in range(n_families):
        for j in range(per_family):
            c = fam[f] + 0.25 * rng.normal(size=dim) / np.sqrt(dim)
            cents.append(c / np.linalg.norm(c))
            tid = f"t{f}_{j}"
            answers = [f"Our {words[f]} {extras[j]} is a worry {when}"
                       for when in ["today", "again", "now", "still"][:per_theme]]
            themes.append(Theme(tid, f"{words[f]} label {j}", [], per_theme, 0.0, False,
                                [Quote(f"{tid}:{i}", a) for i, a in enumerate(answers)]))
            labels += [len(themes) - 1] * per_theme
            texts += answers
    return np.array(cents, dtype=np.float32), themes, texts, np.array(labels)


def test_above_20_themes_parents_group_related_themes():
    cents, themes, texts, labels = _families()
    parents = hierarchy.propose_parents(cents, themes, texts, labels, random_state=0)
    assert len(parents) == 5  # round(sqrt(25))
    families = sorted(sorted(p.children) for p in parents)
    assert families == sorted(sorted(f"t{f}_{j}" for j in range(5)) for f in range(5))
    for p in parents:
        family = p.children[0].split("_")[0]
        word = ["budget", "staff", "data", "risk", "carers"][int(family[1:])]
        assert word in p.label.lower() and p.size == 20
    assert len({p.id for p in parents}) == 5 and not {p.id for p in parents} & {t.id for t in themes}
    tree = hierarchy.with_parents(themes, parents)
    assert all(t.parent in {p.id for p in parents} for t in tree)


def test_parents_follow_relabelled_ids_and_count_answers_not_memberships():
    from themeloop.themes.propose import _final_parents

    themes = [Theme("a2", "A", [], 3, 0.0, False, []), Theme("b2", "B", [], 1, 0.0, False, []),
              Theme("c", "C", [], 2, 0.0, False, [])]
    tid = ["a2", "b2", "c"]
    carried = [[(0, 0.9), (1, 0.7)], [(0, 0.8)], [(0, 0.8)], [(2, 0.9)], [(2, 0.6)]]
    parent = hierarchy.Parent("p", "P", "", children=["b", "a"], size=99)
    [out] = _final_parents([parent], {"a": "a2", "b": "b2"}, themes, carried, tid)
    # Renamed children, largest first; answer 0 carries both children and counts once.
    assert out.children == ["a2", "b2"] and out.size == 3


def test_20_themes_or_fewer_get_no_parents():
    cents, themes, texts, labels = _families(n_families=4)
    assert hierarchy.propose_parents(cents, themes, texts, labels) == []


def test_parents_reach_the_draft_codebook_and_it_checks(tmp_path):
    from themeloop.codebook import load_codebook
    from themeloop.codebook.io import check_codebook
    from themeloop.themes.io import draft_codebook_yaml
    from themeloop.themes.model import QuestionThemes, ThemesResult

    cents, themes, texts, labels = _families()
    parents = hierarchy.propose_parents(cents, themes, texts, labels, random_state=0)
    q = QuestionThemes("q", "mid", len(texts), len(texts), [], hierarchy.with_parents(themes,
                       parents), [], [], [], parents=parents)
    path = tmp_path / "codebook.yaml"
    path.write_text(draft_codebook_yaml(ThemesResult(1, {}, {"q": q})), encoding="utf-8")
    book = load_codebook(path)
    codes = {c.id: c for c in book.questions["q"].codes}
    assert [c.id for c in book.questions["q"].codes[:5]] == [p.id for p in parents]
    for p in parents:
        assert all(codes[child].parent == p.id for child in p.children)
    problems = check_codebook(path)
    assert not [p for p in problems if p.kind in {"unknown_parent", "parent_cycle", "duplicate_id"}]
    assert q.to_json()["parents"][0]["children"] == parents[0].children


def test_report_shows_the_tree_and_the_checks():
    from themeloop.report.codes import theme_summary

    cents, themes, texts, labels = _families()
    parents = hierarchy.propose_parents(cents, themes, texts, labels, random_state=0)
    from themeloop.themes.model import QuestionThemes

    entry = QuestionThemes("q", "mid", 100, 100, [], hierarchy.with_parents(themes, parents),
                           [], [], [], parents=parents,
                           checks=[hierarchy.parent_check(parents, 25)]).to_json()
    summary = theme_summary(entry)
    assert [p.id for p in summary.parents] == [p.id for p in parents]
    assert [c.id for c in summary.parents[0].children] == parents[0].children
    assert summary.checks[0].rule == "hierarchy"
    assert "25 themes (more than 20): 25 of them grouped under 5 parent" in summary.checks[0].detail


def test_report_html_shows_checks_and_tree_with_text_escaped(tmp_path_factory):
    from test_report_fixtures import agreed_table, coding_table, make_project, themes

    from themeloop.codebook import load_codebook
    from themeloop.config import find_project
    from themeloop.merge import build_merged
    from themeloop.report import build_report_data, render_report
    from themeloop.survey import load_project_survey

    project = find_project(make_project(tmp_path_factory.mktemp("report") / "proj"))
    data = themes()
    entry = data["questions"]["barriers"]
    entry["themes"][0]["parent"] = "money_matters"
    entry["themes"].append({"id": "grants", "label": "Grant <b>funding</b>", "keywords": [],
                            "size": 2, "share": 0.1, "seeded": False, "quotes": [],
                            "parent": "money_matters"})
    entry["parents"] = [{"id": "money_matters", "label": "Money <matters>", "description": "",
                         "children": ["budget", "grants"], "size": 8}]
    entry["checks"] = [{"rule": "similar_labels", "themes": ["budget", "cash"],
                        "detail": "'Cash <i>' merged into 'Budget <and> money'"}]
    survey, codebook = load_project_survey(project), load_codebook(project.codebook_path)
    html = render_report(build_report_data(
        survey, codebook=codebook, agreed=agreed_table(), coding=coding_table(),
        merged=build_merged(survey, agreed_table(), codebook), themes=data, by="org_type"))
    assert "<h4>Theme hierarchy</h4>" in html and "<h4>Theme-set checks</h4>" in html
    tree = html[html.index("<h4>Theme hierarchy</h4>"):html.index("<h4>Theme-set checks</h4>")]
    assert tree.index("Money &lt;matters&gt;") < tree.index("Budget &lt;and&gt; money") < \
        tree.index("Grant &lt;b&gt;funding&lt;/b&gt;") < tree.index("People")
    assert "<code>similar_labels</code>: &#39;Cash &lt;i&gt;&#39; merged into" in html


def test_two_themes_with_the_same_words_still_get_different_labels():
    texts = ["transfer, cheers", "transfer cheers", "cheers transfer"] * 2
    labels = np.array([0, 0, 0, 1, 1, 1])
    got = theme_labels.label_themes(texts, labels, {}, {})
    assert got[0].label.lower() != got[1].label.lower()
    for label in (got[0].label, got[1].label):
        assert set(_words(label)) - {"and"} <= {"transfer", "cheers"}
