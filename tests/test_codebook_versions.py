"""Codebook versions: diff (add, remove, rename, merge) and migrating a coding table."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from themeloop.codebook import (
    Codebook,
    CodebookDiff,
    CodeRef,
    Merge,
    MigrationEvent,
    Rename,
    diff_codebooks,
    migrate_codings,
)
from themeloop.errors import CodebookError, CodingTableError


def code(cid: str, **kw) -> dict:
    return {"id": cid, "label": cid.title(), "description": f"About {cid}.", **kw}


OLD = Codebook(version="1.0", questions={
    "barriers": {"codes": [code("funding"), code("grants", parent="funding"), code("staff"),
                           code("time"), code("risk"), code("culture")]},
    "practice": {"codes": [code("remote")]},
})
NEW = Codebook(version="2.0", questions={
    "barriers": {"codes": [
        code("money", replaces=["funding", "grants"]),   # merge of two old codes
        code("workforce", replaces=["staff"]),           # rename
        code("risk", replaces=["culture"]),              # kept id absorbs another: merge
        code("demand"),                                  # added
        # "time" is gone without a successor: removed
    ]},
    "practice": {"codes": [code("remote", label="Remote delivery")]},
    "radical": {"codes": [code("ideas")]},
})


def test_diff_classifies_every_change():
    diff = diff_codebooks(OLD, NEW)
    assert (diff.old_version, diff.new_version) == ("1.0", "2.0")
    assert diff.added == [CodeRef("barriers", "demand"), CodeRef("radical", "ideas")]
    assert diff.removed == [CodeRef("barriers", "time")]
    assert diff.renamed == [Rename("barriers", "staff", "workforce")]
    assert diff.merged == [Merge("barriers", "money", ("funding", "grants")),
                           Merge("barriers", "risk", ("risk", "culture"))]
    assert [(c.code, c.fields) for c in diff.changed] == [("remote", ("label",))]
    assert diff.mapping == {
        ("barriers", "funding"): "money", ("barriers", "grants"): "money",
        ("barriers", "staff"): "workforce", ("barriers", "risk"): "risk",
        ("barriers", "culture"): "risk", ("barriers", "time"): None,
        ("practice", "remote"): "remote",
    }
    assert not diff.is_empty


def test_diff_of_same_codebook_is_empty():
    diff = diff_codebooks(OLD, OLD)
    assert diff.is_empty
    assert all(k[1] == v for k, v in diff.mapping.items())


def test_replaces_of_ids_not_in_old_version_are_ignored():
    new = Codebook(version="3", questions={"practice": {"codes": [
        code("remote", replaces=["virtual_v0"])]}})
    diff = diff_codebooks(Codebook(version="2", questions={"practice": {"codes": [code("remote")]}}),
                          new)
    assert diff.is_empty and diff.mapping == {("practice", "remote"): "remote"}


def test_dropped_question_removes_its_codes():
    diff = diff_codebooks(NEW, OLD)
    assert CodeRef("radical", "ideas") in diff.removed
    assert diff.mapping[("radical", "ideas")] is None


def test_to_dict_is_json_ready():
    import json

    data = diff_codebooks(OLD, NEW).to_dict()
    assert data["mapping"]["barriers"]["time"] is None
    assert data["merged"][0] == {"question": "barriers", "new": "money", "olds": ["funding", "grants"]}
    json.dumps(data)


def table(rows: list[tuple[str, str, str, str]], **extra) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["response_id", "question", "coder", "code"])
    for key, value in extra.items():
        df[key] = value
    return df


def test_migration_renames_merges_and_collapses():
    df = table([
        ("A:barriers", "barriers", "ann", "funding"),
        ("A:barriers", "barriers", "ann", "grants"),     # collapses into money with the row above
        ("A:barriers", "barriers", "bob", "staff"),
        ("B:barriers", "barriers", "ann", "risk"),
        ("B:barriers", "barriers", "ann", "culture"),    # collapses into risk
        ("B:barriers", "barriers", "bob", ""),           # read, no code: untouched
        ("A:practice", "practice", "ann", "remote"),
        ("A:practice", "practice", "ann", "unknown"),    # not in the old codebook: left alone
    ], memo=["m1", "m2", "", "", "", "", "", ""], codebook_version="1.0")
    table_out, events = migrate_codings(df, diff_codebooks(OLD, NEW))
    assert table_out[["response_id", "coder", "code", "memo"]].values.tolist() == [
        ["A:barriers", "ann", "money", "m1"],
        ["A:barriers", "bob", "workforce", ""],
        ["B:barriers", "ann", "risk", ""],
        ["B:barriers", "bob", "", ""],
        ["A:practice", "ann", "remote", ""],
        ["A:practice", "ann", "unknown", ""],
    ]
    assert set(table_out["codebook_version"]) == {"2.0"}
    assert events == [
        MigrationEvent("A:barriers", "barriers", "ann", "funding", "money"),
        MigrationEvent("A:barriers", "barriers", "ann", "grants", "money"),
        MigrationEvent("A:barriers", "barriers", "bob", "staff", "workforce"),
        MigrationEvent("B:barriers", "barriers", "ann", "culture", "risk"),
    ]
    assert events[0].as_dict()["new_code"] == "money"
    assert next(iter(df["code"])) == "funding"  # the input is not modified


def test_migration_refuses_removed_code_in_use():
    df = table([("A:barriers", "barriers", "ann", "time"), ("B:barriers", "barriers", "ann", "time"),
                ("B:barriers", "barriers", "bob", "funding")])
    with pytest.raises(CodebookError) as err:
        migrate_codings(df, diff_codebooks(OLD, NEW))
    assert str(err.value) == (
        "the new codebook (1.0 -> 2.0) removes codes still used in the coding table: "
        "barriers/time (2 rows); add them to a code's 'replaces' list, or drop those codings "
        "with --drop-removed"
    )


def test_migration_drop_removed_keeps_coder_presence():
    df = table([("A:barriers", "barriers", "ann", "time"),
                ("B:barriers", "barriers", "ann", "time"),
                ("B:barriers", "barriers", "ann", "staff")])
    out, events = migrate_codings(df, diff_codebooks(OLD, NEW), drop_removed=True)
    # A: ann read it and is left with no code -> one empty row; B: ann keeps 'workforce'.
    assert out[["response_id", "code"]].values.tolist() == [
        ["A:barriers", ""], ["B:barriers", "workforce"]]
    assert [(e.old_code, e.new_code) for e in events] == [
        ("time", None), ("time", None), ("staff", "workforce")]


def test_migration_with_plain_mapping_and_missing_codes():
    df = table([("A:q", "q", "ann", "x"), ("A:q", "q", "bob", None)])
    out, events = migrate_codings(df, {("q", "x"): "y"})
    assert out["code"].tolist()[0] == "y" and pd.isna(out["code"].tolist()[1])
    assert events == [MigrationEvent("A:q", "q", "ann", "x", "y")]


def test_migration_needs_coding_columns():
    with pytest.raises(CodingTableError, match=r"missing column\(s\) coder"):
        migrate_codings(pd.DataFrame({"response_id": [], "question": [], "code": []}),
                        CodebookDiff("1", "2"))


def test_sample_coding_table_migrates_through_identity(sample_dir, repo_root):
    from themeloop.codebook import load_codebook

    cb_path = sample_dir / "codebook.yaml"
    codings = repo_root / "annotations" / "innovation-survey" / "coding_table.csv"
    cb = load_codebook(cb_path)
    df = pd.read_csv(codings, dtype=str, keep_default_na=False)
    out, events = migrate_codings(df, diff_codebooks(cb, cb))
    assert events == []
    assert out["code"].tolist() == df["code"].tolist()


OLD_IDS = ["a", "b", "c", "d"]
rows = st.lists(st.tuples(st.sampled_from(["r1", "r2", "r3"]), st.sampled_from(["ann", "bob"]),
                          st.sampled_from([*OLD_IDS, ""])), max_size=20)
mappings = st.dictionaries(st.sampled_from(OLD_IDS), st.one_of(st.none(), st.sampled_from(["x", "y", "a"])))


@settings(max_examples=100, deadline=None)
@given(rows, mappings)
def test_migration_invariants(raw, mapping):
    df = table([(r, "q", c, code) for r, c, code in raw])
    out, events = migrate_codings(df, {("q", k): v for k, v in mapping.items()}, drop_removed=True)
    keys = ["response_id", "question", "coder"]
    # every coder keeps every answer they had coded, and no code appears twice for them
    assert set(map(tuple, out[keys].values)) == set(map(tuple, df[keys].values))
    coded = out[out["code"] != ""]
    assert not coded.duplicated(subset=[*keys, "code"]).any()
    # every code left is the image of an old one, and each changed row is one event
    for _, row in coded.iterrows():
        olds = df[(df.response_id == row.response_id) & (df.coder == row.coder)]["code"]
        assert row.code in {mapping.get(o, o) for o in olds}
    assert len(events) == sum(1 for *_, code in raw if code and mapping.get(code, code) != code)
