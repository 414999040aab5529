"""codebook.yaml: loading, saving, did-you-mean on unknown keys, and every check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from themeloop.codebook import (
    Codebook,
    Problem,
    check_codebook,
    dump_codebook,
    load_codebook,
    parse_codebook,
    save_codebook,
)
from themeloop.errors import CodebookError

GOOD = """\
version: "1.0"
questions:
  barriers:
    codes:
      - id: funding
        label: Lack of funding
        description: Money is short.
        include: budgets, grants
        exclude: staff pay
        examples: ["ORG01:barriers", "We have no budget."]
      - id: public_funding
        label: Public funding
        description: Grants from government.
        parent: funding
        replaces: [grants]
  practice:
    codes:
      - id: remote
        label: Remote delivery
        description: Moved online.
"""


def write(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def codebook(codes: list[dict], version: str = "1") -> Codebook:
    return Codebook(version=version, questions={"q": {"codes": codes}})


def code(cid: str, **kw) -> dict:
    return {"id": cid, "label": cid.title(), "description": f"About {cid}.", **kw}


def test_load_reads_every_field(tmp_path):
    cb = load_codebook(write(tmp_path, GOOD))
    assert cb.version == "1.0"
    assert cb.question_ids == ["barriers", "practice"]
    assert cb.code_ids("barriers") == ["funding", "public_funding"]
    assert cb.label("barriers", "funding") == "Lack of funding"
    funding = cb.get("barriers", "funding")
    assert funding.examples == ["ORG01:barriers", "We have no budget."]
    assert (funding.include, funding.exclude, funding.parent) == ("budgets, grants", "staff pay", None)
    child = cb.get("barriers", "public_funding")
    assert (child.parent, child.replaces) == ("funding", ["grants"])
    assert [c.id for c in cb.children("barriers", "funding")] == ["public_funding"]
    assert cb.n_codes == 3


def test_save_load_round_trip(tmp_path):
    cb = load_codebook(write(tmp_path, GOOD))
    out = save_codebook(cb, tmp_path / "sub" / "again.yaml")
    assert load_codebook(out) == cb
    assert dump_codebook(load_codebook(out)) == out.read_text(encoding="utf-8")
    assert "include" not in dump_codebook(cb).split("practice:")[1]  # empty keys left out


def test_round_trip_keeps_awkward_text(tmp_path):
    cb = codebook([code("a", label='Quote "x" & <y>: z', description="line one\nline two",
                        examples=["ORG1:q", "émigré – ‘quote’"])], version="2.10")
    assert load_codebook(save_codebook(cb, tmp_path / "c.yaml")) == cb


def test_yaml_scalars_become_strings(tmp_path):
    path = write(tmp_path, "version: 2\nquestions:\n  q:\n    codes:\n"
                 "      - id: a\n        label: A\n        description:\n        examples:\n")
    cb = load_codebook(path)
    assert cb.version == "2"
    assert cb.get("q", "a").description == ""
    assert cb.get("q", "a").examples == []


def test_unknown_key_did_you_mean_names_file_and_path(tmp_path):
    path = write(tmp_path, GOOD.replace("        exclude: staff pay", "        descripton: x"))
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert str(err.value) == (
        f"{path}: unknown key 'questions.barriers.codes[0].descripton' (did you mean 'description'?)"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("version: 1\nquestion: {}\n", "unknown key 'question' (did you mean 'questions'?)"),
        ("version: 1\nquestions:\n  q:\n    code: []\n",
         "unknown key 'questions.q.code' (did you mean 'codes'?)"),
        ("version: 1\nquestions:\n  q:\n    codes:\n      - id: a\n",
         "missing key 'questions.q.codes[0].label'"),
        ("- a\n- b\n", "expected a mapping with 'version' and 'questions', got list"),
        ("", "the file is empty; it needs 'version' and 'questions'"),
    ],
)
def test_shape_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert str(err.value) == f"{path}: {message}"


def test_missing_and_invalid_files(tmp_path):
    with pytest.raises(CodebookError, match=r"no such codebook"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(CodebookError, match=r"not valid YAML at line 3: expected ',' or ']'"):
        load_codebook(write(tmp_path, "version: 1\nquestions: [unclosed\n"))


def test_unknown_question_and_code_suggest():
    cb = codebook([code("funding")])
    with pytest.raises(CodebookError, match=r"has no question 'qq' \(did you mean 'q'\?\)"):
        cb.codes("qq")
    with pytest.raises(CodebookError, match=r"no code 'fundng' .*\(did you mean 'funding'\?\)"):
        cb.label("q", "fundng")


def test_clean_codebook_has_no_problems(tmp_path):
    assert check_codebook(write(tmp_path, GOOD)) == []
    assert check_codebook(load_codebook(write(tmp_path, GOOD))) == []


def kinds(problems: list[Problem]) -> list[tuple[str, str, str | None]]:
    return [(p.severity, p.kind, p.code) for p in problems]


@pytest.mark.parametrize(
    "codes, expected, message",
    [
        ([code("a"), code("a")], ("error", "duplicate_id", "a"),
         "error: question 'q', code 'a': id used by 2 codes; ids must be unique within a question"),
        ([code("Bad Id")], ("error", "bad_slug", "Bad Id"),
         ("error: question 'q', code 'Bad Id': id is not a slug; use only a-z, 0-9 and '_' "
         "(e.g. 'bad_id')")),
        ([code("a"), code("b", parent="aa")], ("error", "unknown_parent", "b"),
         ("error: question 'q', code 'b': parent 'aa' is not a code of this question "
         "(did you mean 'a'?)")),
        ([code("a", description="")], ("error", "no_description", "a"),
         ("error: question 'q', code 'a': no description; say what the code means so coders "
         "apply it the same way")),
        ([code("a"), code("b", replaces=["a"])], ("error", "replaces_existing", "b"),
         ("error: question 'q', code 'b': replaces 'a', which is still a code in this version; "
         "remove one of them")),
        ([code("a", replaces=["old"]), code("b", replaces=["old"])], ("error", "split", "a"),
         ("error: question 'q': old code 'old' is replaced by 2 codes (a, b); a split cannot be "
         "migrated automatically, keep 'replaces: [old]' on one of them and recode the rest")),
        ([code("a", label="")], ("warning", "no_label", "a"),
         "warning: question 'q', code 'a': no label; coders will see the id"),
        ([code("a", label="Same"), code("b", label="same")], ("warning", "duplicate_label", "a"),
         ("warning: question 'q', code 'a': label 'Same' is shared with another code; coders "
         "cannot tell them apart")),
        ([], ("warning", "no_codes", None), "warning: question 'q' has no codes"),
    ],
)
def test_each_problem(codes, expected, message):
    problems = check_codebook(codebook(codes))
    assert kinds(problems)[0] == expected
    assert str(problems[0]) == message


def test_parent_cycle_reported_once():
    problems = check_codebook(codebook([
        code("a", parent="c"), code("b", parent="a"), code("c", parent="b"), code("d", parent="a"),
        code("e", parent="e"),
    ]))
    assert [str(p) for p in problems] == [
        "error: question 'q', code 'a': parents form a cycle (a -> c -> b -> a)",
        "error: question 'q', code 'e': parents form a cycle (e -> e)",
    ]


def test_unknown_keys_reported_all_at_once(tmp_path):
    text = GOOD.replace("        exclude: staff pay", "        excludes: x").replace(
        "        parent: funding", "        parnet: funding")
    path = write(tmp_path, text)
    assert [str(p) for p in check_codebook(path)] == [
        (f"error: {path}: unknown key 'questions.barriers.codes[0].excludes' "
        "(did you mean 'exclude'?)"),
        f"error: {path}: unknown key 'questions.barriers.codes[1].parnet' (did you mean 'parent'?)",
    ]


def test_project_questions():
    problems = check_codebook(codebook([code("a")]), questions=["qa", "other"])
    assert [str(p) for p in problems] == [
        ("error: question 'q' is not a question of the project (did you mean 'qa'?); "
        "project questions are: qa, other"),
        "warning: project question 'qa' has no codes in the codebook",
        "warning: project question 'other' has no codes in the codebook",
    ]


def test_missing_description_loads_but_duplicate_does_not(tmp_path):
    no_desc = save_codebook(codebook([code("a", description="")]), tmp_path / "a.yaml")
    assert load_codebook(no_desc).code_ids("q") == ["a"]
    dup = save_codebook(codebook([code("a"), code("a"), code("B")]), tmp_path / "b.yaml")
    with pytest.raises(CodebookError) as err:
        load_codebook(dup)
    assert str(err.value) == (
        f"{dup}: question 'q', code 'B': id is not a slug; use only a-z, 0-9 and '_' (e.g. 'b') "
        f"(and 1 more); run 'themeloop codebook check {dup}'"
    )
    assert load_codebook(dup, strict=False).code_ids("q") == ["a", "a", "B"]


def test_sample_codebook_is_clean(sample_dir):
    path = sample_dir / "codebook.yaml"
    cb = load_codebook(path)
    assert check_codebook(cb, questions=["barriers", "practice", "radical"]) == []
    assert cb.n_codes > 0


def test_example_from_another_question_is_flagged():
    cb = Codebook(version="1", questions={
        "q": {"codes": [code("a", examples=["ORG01:other", "ORG01:q", "quote: other"])]},
        "other": {"codes": [code("b")]},
    })
    assert [str(p) for p in check_codebook(cb)] == [
        "warning: question 'q', code 'a': example 'ORG01:other' is an answer to question 'other'"]


def test_unquoted_float_version_is_flagged(tmp_path):
    path = write(tmp_path, GOOD.replace('version: "1.0"', "version: 1.10"))
    assert [str(p) for p in check_codebook(path)] == [
        (f"warning: {path}: version 1.1 was read as a number (1.10 would become 1.1); "
        'quote it: version: "1.1"')]
    assert load_codebook(path).version == "1.1"


slug = st.from_regex(r"[a-z0-9_]{1,10}", fullmatch=True)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def codebooks(draw) -> Codebook:
    questions = {}
    for qid in draw(st.lists(slug, min_size=1, max_size=3, unique=True)):
        ids = draw(st.lists(slug, min_size=0, max_size=5, unique=True))
        questions[qid] = {"codes": [{
            "id": cid, "label": draw(text), "description": draw(text),
            "include": draw(text), "exclude": draw(text),
            "examples": draw(st.lists(text, max_size=2)),
            "parent": draw(st.sampled_from([None, *ids[:i]])),
            "replaces": draw(st.lists(slug.filter(lambda s, ids=ids: s not in ids), max_size=2)),
        } for i, cid in enumerate(ids)]}
    return Codebook(version=draw(text), questions=questions)


@settings(max_examples=100, deadline=None)
@given(codebooks())
def test_any_codebook_survives_dump_and_parse(cb):
    # In memory: save_codebook adds only the atomic write, tested above.
    assert parse_codebook(yaml.safe_load(dump_codebook(cb))) == cb
