"""The privacy stage on a project: detect (cached), honour review decisions, pseudonymise.

:func:`themeloop.survey.project.pseudonymised` is the seam: :func:`themeloop.survey.load_project_survey`
calls it when ``[privacy] enabled = true``, so every stage that reads the
project's answers (push, themes, report, merge and its exports, adjudication
tasks) gets the pseudonymised text and none can bypass it.

Detections are cached in ``.themeloop/privacy/detections.json`` by the sha256
of each text (no text is stored there), so a rerun is fast and stable.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from themeloop.config import Project
from themeloop.errors import PrivacyError
from themeloop.privacy.engine import DETECTOR_VERSION, Detector
from themeloop.privacy.model import Detection
from themeloop.privacy.pseudonym import Key, apply
from themeloop.privacy.review import Decisions, read_decisions
from themeloop.privacy.store import (
    CACHE_NAME,
    KEY_NAME,
    REVIEW_NAME,
    privacy_dir,
    read_json,
    text_hash,
    write_json_private,
)

_DETECTORS: dict[str, Detector] = {}


@dataclass
class Target:
    """One answer cell to pseudonymise."""

    response_id: str
    question: str  # the question id, or the column name for [privacy] columns
    column: str
    row: int


@dataclass
class PrivacyRun:
    """What the privacy stage found and did for one survey."""

    targets: list[Target]
    texts: dict[str, str]  # response_id -> original text
    raw: dict[str, list[Detection]]  # what the recognisers found
    applied: dict[str, list[Detection]]  # after the reviewer's decisions
    decisions: Decisions
    key: Key
    pseudonymised: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    first_seen: dict[str, str] = field(default_factory=dict)


def paths(project: Project) -> dict[str, Path]:
    """The private files: key, review file, detection cache."""
    folder = privacy_dir(project.state_dir)
    return {"key": folder / KEY_NAME, "review": folder / REVIEW_NAME, "cache": folder / CACHE_NAME}


def detector_for(entities: list[str] | None, allow: list[str], min_score: float) -> Detector:
    """A fitted detector, built once per process and settings (spaCy loads in seconds)."""
    fp = fingerprint(entities, allow, min_score)
    if fp not in _DETECTORS:
        _DETECTORS[fp] = Detector(entities or None, allow, min_score).fit()
    return _DETECTORS[fp]


def fingerprint(entities: list[str] | None, allow: list[str], min_score: float) -> str:
    data = {"v": DETECTOR_VERSION, "entities": sorted(entities or []), "allow": sorted(allow),
            "min_score": min_score}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def detect_cached(texts: list[str], cache_path: Path | None, *, entities: list[str] | None = None,
                  allow: list[str] | None = None, min_score: float = 0.5
                  ) -> tuple[dict[str, list[Detection]], dict[str, str]]:
    """Detections per distinct text, and the time each text was first analysed.

    Only texts not in the cache are analysed (and the spaCy model is loaded only
    then); the cache is keyed by the detector's settings and each text's hash.
    """
    allow = list(allow or [])
    fp = fingerprint(entities, allow, min_score)
    cache = read_json(cache_path, {}) if cache_path is not None else {}
    if cache.get("fingerprint") != fp:
        cache = {"fingerprint": fp, "texts": {}}
    known: dict[str, Any] = cache["texts"]
    distinct = list(dict.fromkeys(t for t in texts if t and t.strip()))
    missing = [t for t in distinct if text_hash(t) not in known]
    if missing:
        found = detector_for(entities, allow, min_score).detect(missing)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for text, spans in zip(missing, found):
            known[text_hash(text)] = {"at": now, "d": [d.as_dict() for d in spans]}
        if cache_path is not None:
            write_json_private(cache_path, cache)
    out, when = {}, {}
    for text in distinct:
        entry = known[text_hash(text)]
        out[text] = [Detection.from_dict(d) for d in entry["d"]]
        when[text] = entry["at"]
    return out, when


def targets(project: Project, survey: Any) -> list[Target]:
    """Every answer cell: the questions' columns, then ``[privacy] columns``."""
    ids = survey.ids
    found = [Target(f"{rid}:{q.id}", q.id, q.column, i)
             for q in survey.questions for i, rid in enumerate(ids)]
    columns = [str(c) for c in survey.frame.columns]
    for column in project.config.privacy.columns:
        if column not in columns:
            from themeloop.errors import did_you_mean

            raise PrivacyError(f"{survey.path}: no column '{column}' for [privacy] columns"
                               f"{did_you_mean(column, columns)}; columns are: {', '.join(columns[:12])}")
        found += [Target(f"{rid}:{column}", column, column, i) for i, rid in enumerate(ids)]
    return found


def run_privacy(project: Project, survey: Any, *, record: bool = False) -> PrivacyRun:
    """Detect, apply the review's decisions and pseudonymise ``survey``'s answers.

    ``record`` appends what was redacted and kept to the audit ledger (no
    original text: entity, offsets, recogniser and pseudonym). The survey
    loader does not record (loading has no side effects on the ledger); the
    privacy commands and ``themeloop run``'s ledger stage do.
    """
    start = time.perf_counter()
    cfg = project.config.privacy
    files = paths(project)
    cells = targets(project, survey)
    frame = survey.frame
    texts = {t.response_id: _cell(frame[t.column].iloc[t.row]) for t in cells}
    by_text, first_seen = detect_cached(list(texts.values()), files["cache"],
                                        entities=cfg.entities or None, allow=cfg.allow,
                                        min_score=cfg.min_score)
    decisions = read_decisions(files["review"])
    key = Key.load(files["key"], cfg.pseudonyms, project.config.seed)
    raw = {rid: by_text.get(text, []) for rid, text in texts.items()}
    applied = {rid: decisions.apply(rid, texts[rid], raw[rid]) if decisions else raw[rid]
               for rid in texts}
    pseudonymised = {rid: apply(texts[rid], applied[rid], key) for rid in texts if applied[rid]}
    if key.changed:
        key.save(files["key"])
    run = PrivacyRun(cells, texts, raw, applied, decisions, key, pseudonymised,
                     round(time.perf_counter() - start, 3))
    run.first_seen = first_seen
    if record:
        project_ledger_append(project, _events_of(project, run))
    return run


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def events(run: PrivacyRun, first_seen: dict[str, str], review_time: str | None
           ) -> list[dict[str, Any]]:
    """Ledger events: one ``redacted`` per applied span, one ``kept`` per reviewer's keep."""
    out: list[dict[str, Any]] = []
    question = {t.response_id: t.question for t in run.targets}
    for rid, spans in run.applied.items():
        text = run.texts[rid]
        for d in spans:
            by_person = d.recogniser == "reviewer"
            out.append({
                "response_id": rid, "question": question[rid], "code": None, "action": "redacted",
                "actor": d.recogniser, "source": "reviewer" if by_person else "privacy",
                "timestamp": (review_time if by_person else None) or first_seen.get(text) or _now(),
                "detail": {"entity": d.entity, "start": d.start, "end": d.end,
                           "pseudonym": run.key.pseudonym(d.entity, text[d.start:d.end])},
            })
        applied = set(spans)
        for d in run.raw[rid]:
            if d not in applied and (text_hash(text), d.start, d.end) in run.decisions.keep:
                out.append({
                    "response_id": rid, "question": question[rid], "code": None, "action": "kept",
                    "actor": "reviewer", "source": "reviewer", "timestamp": review_time or _now(),
                    "detail": {"entity": d.entity, "start": d.start, "end": d.end,
                               "recogniser": d.recogniser},
                })
    return out


def _events_of(project: Project, run: PrivacyRun) -> list[dict[str, Any]]:
    # Stamped with their inputs' times (the survey file's, the review file's), not the
    # clock, so a rerun on the same inputs appends nothing and reports the same trail.
    review = paths(project)["review"]
    review_time = _mtime(review) if review.is_file() else None
    return events(run, dict.fromkeys(run.first_seen, _mtime(project.survey_path)), review_time)


def privacy_events(project: Project, run: PrivacyRun) -> list[dict[str, Any]]:
    """The ledger events of the project's pseudonymisation, for ``themeloop run``'s ledger stage.

    ``run`` is the run's own :class:`PrivacyRun` (``RunContext.privacy``).
    """
    return _events_of(project, run)


def project_ledger_append(project: Project, batch: list[dict[str, Any]]) -> None:
    """Append ``batch`` to the project's signed ledger (events already there are skipped)."""
    from themeloop.audit.project import project_ledger

    project_ledger(project).append(batch)


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
