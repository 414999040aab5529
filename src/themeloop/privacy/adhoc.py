"""``themeloop privacy scan|redact|review|reveal`` as library functions.

Ad hoc (a file with ``--id-column`` and ``--text-column``) or on a project.
FINDINGS files hold offsets, never the text; REDACTED files keep every row and
column of the input, in order, with the text column pseudonymised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from themeloop._io import write_text_atomic
from themeloop.config import Project
from themeloop.errors import ConfigError, PrivacyError, did_you_mean
from themeloop.pipeline.artifacts import PRIVACY_FINDINGS, PSEUDONYMISED
from themeloop.privacy.model import Detection
from themeloop.privacy.pseudonym import Key, apply
from themeloop.safe_csv import csv_text, resolve_raw

if TYPE_CHECKING:
    from themeloop.privacy.project import PrivacyRun

FINDINGS_COLUMNS = ["response_id", "start", "end", "entity", "score", "recogniser"]
DEFAULT_KEY = Path(".themeloop") / "privacy" / "key.json"


@dataclass
class Scanned:
    """The answers of one file or project and what was found in them."""

    response_ids: list[str]
    texts: list[str]
    found: list[list[Detection]]

    @property
    def n_detections(self) -> int:
        return sum(map(len, self.found))


def findings_csv(scanned: Scanned, *, raw: bool = False) -> str:
    """FINDINGS.csv: ``response_id, start, end, entity, score, recogniser``."""
    rows = [[rid, d.start, d.end, d.entity, f"{d.score:.3f}", d.recogniser]
            for rid, spans in zip(scanned.response_ids, scanned.found) for d in spans]
    return csv_text(pd.DataFrame(rows, columns=FINDINGS_COLUMNS), raw=raw)


def _read(path: Path, id_column: str, text_column: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    from themeloop.survey.load import read_survey_file

    frame = read_survey_file(path).frame
    columns = [str(c) for c in frame.columns]
    for role, name in (("id", id_column), ("text", text_column)):
        if name not in columns:
            raise PrivacyError(f"{path}: no {role} column '{name}'{did_you_mean(name, columns)}; "
                               f"columns are: {', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}")
    ids = ["" if pd.isna(v) else str(v) for v in frame[id_column]]
    texts = ["" if pd.isna(v) else str(v) for v in frame[text_column]]
    return frame, ids, texts


def _check_out(out: Path, *inputs: Path) -> None:
    for path in inputs:
        if Path(out).resolve() == Path(path).resolve():
            raise PrivacyError(f"{out}: is the input file; write the output somewhere else "
                               "(the original is never changed)")


def scan_file(path: Path, id_column: str, text_column: str, out: Path, *,
              allow: list[str] | None = None) -> Scanned:
    """Detect personal data in one column of a file; write FINDINGS.csv to ``out``."""
    from themeloop.privacy.project import detect_cached

    _check_out(out, path)
    _, ids, texts = _read(path, id_column, text_column)
    by_text, _ = detect_cached(texts, None, allow=allow)
    scanned = Scanned(ids, texts, [by_text.get(t, []) for t in texts])
    write_text_atomic(out, findings_csv(scanned))
    return scanned


def redact_file(path: Path, id_column: str, text_column: str, out: Path, key_path: Path, *,
                mode: str = "tokens", seed: int = 42, allow: list[str] | None = None) -> Scanned:
    """Write ``out``: every row and column of ``path``, the text column pseudonymised.

    Pseudonyms come from (and new ones go into) the key at ``key_path`` (0600).
    """
    from themeloop.privacy.project import detect_cached

    _check_out(out, path)
    if Path(key_path).resolve() == Path(out).resolve():
        raise PrivacyError(f"{key_path}: the key cannot be the output file; keep it apart (0600)")
    if Path(out).suffix.lower() != ".csv":
        raise PrivacyError(f"{out}: redact writes CSV; give an --out ending in .csv")
    frame, ids, texts = _read(path, id_column, text_column)
    by_text, _ = detect_cached(texts, None, allow=allow)
    key = Key.load(key_path, mode, seed)
    found = [by_text.get(t, []) for t in texts]
    redacted = [apply(t, f, key) if f else t for t, f in zip(texts, found)]
    frame = frame.copy()
    frame[text_column] = pd.Series(redacted, index=frame.index, dtype=object)
    if key.changed:
        key.save(key_path)
    write_text_atomic(out, csv_text(frame))
    return Scanned(ids, texts, found)


def scanned_of(run: PrivacyRun) -> Scanned:
    """What a :class:`~themeloop.privacy.project.PrivacyRun` found, answer by answer."""
    rids = [t.response_id for t in run.targets]
    return Scanned(rids, [run.texts[r] for r in rids], [run.applied[r] for r in rids])


def scan_project(project: Project, out: Path | None = None) -> tuple[Scanned, Path]:
    """Findings for every answer of the project (after the review's decisions)."""
    from themeloop.privacy.project import run_privacy
    from themeloop.survey import load_project_survey

    run = run_privacy(project, load_project_survey(project, pseudonymise=False), record=True)
    scanned = scanned_of(run)
    target = Path(out) if out is not None else PRIVACY_FINDINGS.path(project.out_dir)
    _check_out(target, project.survey_path)
    write_text_atomic(target, findings_csv(scanned, raw=resolve_raw(None, project)))
    return scanned, target


def redact_project(project: Project, out: Path | None = None) -> tuple[Scanned, Path]:
    """The project's survey, pseudonymised, as CSV (default ``out/survey_pseudonymised.csv``)."""
    from themeloop.privacy.project import run_privacy
    from themeloop.survey import load_project_survey
    from themeloop.survey.project import pseudonymised

    survey = load_project_survey(project, pseudonymise=False)
    target = Path(out) if out is not None else PSEUDONYMISED.path(project.out_dir)
    _check_out(target, project.survey_path)
    if target.suffix.lower() != ".csv":
        raise PrivacyError(f"{target}: redact writes CSV; give an --out ending in .csv")
    run = run_privacy(project, survey, record=True)
    masked = pseudonymised(survey, run)
    write_text_atomic(target, csv_text(masked.frame, raw=resolve_raw(None, project)))
    return scanned_of(run), target


def review_project(project: Project) -> tuple[Path, int, int]:
    """Write the review file; return its path, the detections listed and the decisions in it."""
    from themeloop.privacy.project import paths, run_privacy
    from themeloop.privacy.review import render_review, write_review
    from themeloop.privacy.store import text_hash
    from themeloop.survey import load_project_survey

    run = run_privacy(project, load_project_survey(project, pseudonymise=False), record=True)
    review = paths(project)["review"]
    pseudonyms = {}
    for rid, spans in run.applied.items():
        text = run.texts[rid]
        for d in spans:
            pseudonyms[(text_hash(text), d.start, d.end)] = run.key.pseudonym(d.entity, text[d.start:d.end])
    # what the recognisers found; the reviewer's own spans are the file's 'add' rows
    listed = run.raw
    content = render_review(run.texts, listed, pseudonyms, review)
    write_review(review, content)
    n_decisions = len(run.decisions.keep) + len(run.decisions.add)
    return review, sum(map(len, listed.values())), n_decisions


def reveal(token: str, *, project: Project | None = None, key_path: Path | None = None) -> dict[str, str]:
    """The original behind a pseudonym, from the project's key or ``key_path``."""
    from themeloop.privacy.project import paths

    if key_path is None:
        if project is None:
            raise ConfigError("reveal needs a project or --key KEY.json")
        key_path = paths(project)["key"]
    if not Path(key_path).is_file():
        raise PrivacyError(f"{key_path}: no key file; pseudonyms are made by 'themeloop privacy "
                           "redact' or a run with [privacy] enabled = true")
    return Key.load(key_path, _mode_of(key_path)).reveal(token)


def _mode_of(key_path: Path) -> str:
    import json

    return json.loads(Path(key_path).read_text(encoding="utf-8")).get("mode", "tokens")
