"""The codebook: its model, YAML io, checks, versions and migrations, Label Studio config.

Public API::

    load_codebook(path) -> Codebook           save_codebook(codebook, path)
    check_codebook(codebook_or_path) -> list[Problem]
    diff_codebooks(old, new) -> CodebookDiff  migrate_codings(table, diff) -> Migration
    label_config(codebook, qid, attributes=()) -> str
    config_code_ids(xml) -> set[str]
"""

from __future__ import annotations

from themeloop.codebook.check import Problem, check_loaded, slugify
from themeloop.codebook.io import (
    check_codebook,
    dump_codebook,
    load_codebook,
    parse_codebook,
    save_codebook,
)
from themeloop.codebook.label_config import (
    CODES_NAME,
    FLAGS_NAME,
    MEMO_NAME,
    UNCLEAR,
    attribute_key,
    config_code_ids,
    label_config,
)
from themeloop.codebook.model import Code, Codebook, QuestionCodes
from themeloop.codebook.versions import (
    CodebookDiff,
    CodeRef,
    Merge,
    Migration,
    MigrationEvent,
    Rename,
    diff_codebooks,
    migrate_codings,
)

__all__ = [
    "CODES_NAME", "FLAGS_NAME", "MEMO_NAME", "UNCLEAR",
    "Code", "CodeRef", "Codebook", "CodebookDiff", "Merge", "Migration", "MigrationEvent",
    "Problem", "QuestionCodes", "Rename",
    "attribute_key", "check_codebook", "check_loaded", "config_code_ids", "diff_codebooks", "dump_codebook",
    "label_config", "load_codebook", "migrate_codings", "parse_codebook", "save_codebook",
    "slugify",
]
