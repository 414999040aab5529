"""Ledger events from the other stages' tables: pure functions over DataFrames.

Each ``events_from_*`` function returns a list of event dicts ready for
:meth:`themeloop.audit.ledger.Ledger.append`. They never read the clock when
the caller passes ``timestamp=``: a rerun from the same inputs then yields the
same events, which the ledger recognises by ``event_id`` and does not append
again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from themeloop.audit._values import format_timestamp, is_missing, parse_timestamp
from themeloop.errors import AuditError

if TYPE_CHECKING:
    import pandas as pd

INACTIVE_STATUS = {"skipped", "cancelled"}


def _records(table: Any, name: str) -> list[dict[str, Any]]:
    if table is None:
        return []
    if hasattr(table, "to_dict"):
        return table.to_dict("records")
    try:
        return [row.as_dict() if hasattr(row, "as_dict") else dict(row) for row in table]
    except (TypeError, ValueError):
        raise AuditError(f"{name} must be a DataFrame or a list of mappings, "
                         f"got {type(table).__name__}") from None


def _columns(table: Any, rows: list[dict[str, Any]]) -> set[str]:
    if hasattr(table, "columns"):
        return {str(c) for c in table.columns}
    return set().union(*(row.keys() for row in rows)) if rows else set()


def _require(table: Any, rows: list[dict[str, Any]], name: str, *groups: tuple[str, ...]) -> None:
    """Each group is a set of alternative column names, one of which must be there."""
    have = _columns(table, rows)
    if not rows and not hasattr(table, "columns"):
        return
    for group in groups:
        if not have & set(group):
            wanted = " or ".join(f"'{c}'" for c in group)
            raise AuditError(f"{name} has no column {wanted}; it has {', '.join(sorted(have)) or 'none'}")


def _value(row: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` that is present and not missing in ``row``."""
    for name in names:
        value = row.get(name)
        if isinstance(value, str):
            if value.strip():
                return value.strip()
            continue
        if value is not None and not is_missing(value):
            return value
    return None


def _question(row: Mapping[str, Any]) -> Any:
    question = _value(row, "question")
    if question is None:
        response_id = str(_value(row, "response_id") or "")
        question = response_id.rsplit(":", 1)[1] if ":" in response_id else None
    return question


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


EPOCH = "1970-01-01T00:00:00Z"


def as_of_timestamp(*tables: Any, default: str = EPOCH) -> str:
    """A run's timestamp derived from its inputs: the newest ``timestamp`` in ``tables``.

    Model and adjudication events of a run are stamped with it, so a rerun on
    the same inputs yields the same events (and appends nothing), while new
    codings move it forward. ``default`` when no table has a time.

    Examples
    --------
    >>> as_of_timestamp([{"timestamp": "2026-03-02T10:00:00+01:00"},
    ...                  {"timestamp": "2026-03-02T09:30:00Z"}])
    '2026-03-02T09:30:00Z'
    >>> as_of_timestamp(None)
    '1970-01-01T00:00:00Z'
    """
    newest: tuple[datetime, str] | None = None
    for table in tables:
        for row in _records(table, "table"):
            when = _value(row, "timestamp")
            if when is not None:
                moment = parse_timestamp(when)
                if newest is None or moment > newest[0]:
                    newest = (moment, format_timestamp(when))
    return newest[1] if newest else default


def events_from_assignments(
    assignments: pd.DataFrame,
    run_id: str,
    manifest_id: str | None,
    codebook_version: str | None,
    *,
    timestamp: str,
    include_unassigned: bool = False,
) -> list[dict[str, Any]]:
    """Model suggestions: one ``suggested`` event per assigned theme or code.

    Parameters
    ----------
    assignments : ``response_id, question, theme_id`` (or ``code``) and
        optionally ``score`` (as in ``assignments.csv``).
    run_id : the model run (``themes.json``'s ``run_id``); it is the actor.
    timestamp : the run's time, fixed by the caller so reruns append nothing.
    include_unassigned : also record rows whose theme is ``"unassigned"``.
    """
    rows = _records(assignments, "assignments")
    _require(assignments, rows, "assignments", ("response_id",), ("theme_id", "code"))
    events = []
    for row in rows:
        code = _value(row, "theme_id", "code")
        if code is None or (code == "unassigned" and not include_unassigned):
            continue
        score = _value(row, "score")
        detail = {"score": round(float(score), 6)} if score is not None else {}
        events.append({
            "response_id": _value(row, "response_id"), "question": _question(row), "code": code,
            "action": "suggested", "actor": run_id, "source": "model", "timestamp": timestamp,
            "codebook_version": codebook_version, "manifest_id": manifest_id, "detail": detail,
        })
    return events


def _floats(table: pd.DataFrame, column: str) -> list[float | None]:
    import pandas as pd

    if column not in table.columns:
        return [None] * len(table)
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    return [None if v != v else round(float(v), 6) for v in values]  # NaN != NaN


def _texts(table: pd.DataFrame, column: str, default: str | None = None) -> list[str | None]:
    if column not in table.columns:
        return [default] * len(table)
    values = table[column].to_numpy(dtype=object)
    return [v.strip() or default if isinstance(v, str) else
            default if v is None or is_missing(v) else str(v) for v in values]


def events_from_model_coding(
    model_coding: pd.DataFrame,
    manifest_id: str | None,
    codebook_version: str | None,
    *,
    timestamp: str,
    model_version: str | None = None,
) -> list[dict[str, Any]]:
    """The autocoder's assignments: one ``assigned`` event per row of ``model_coding.csv``.

    Parameters
    ----------
    model_coding : a coding table with ``score``, ``threshold`` and ``model_id``
        (the autocode stage's ``model_coding.csv``). An empty code is the
        model's "no code applies" and is recorded as such.
    manifest_id : the autocode stage's manifest, the run that assigned them.
    timestamp : the run's time, fixed by the caller so reruns append nothing.
    model_version : what fitted the model (e.g. ``themeloop 0.13.0``).

    The actor is the model id (``model_id``, else ``coder``); ``detail`` holds
    ``model_id``, ``model_version``, ``score`` and ``threshold``. Columns are
    read once each, so 100,000 rows take a fraction of a second.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"response_id": ["r1:q"], "question": ["q"], "coder": ["m-1"],
    ...                   "code": ["cost"], "score": [0.812345678], "threshold": [0.5],
    ...                   "model_id": ["m-1"]})
    >>> e = events_from_model_coding(t, "abc", "2", timestamp="2026-01-01T00:00:00Z")[0]
    >>> e["action"], e["actor"], e["detail"]["score"], e["detail"]["threshold"]
    ('assigned', 'm-1', 0.812346, 0.5)
    """
    _require(model_coding, [], "model coding table", ("response_id",), ("code",),
             ("model_id", "coder"))
    ids, codes = _texts(model_coding, "response_id"), _texts(model_coding, "code")
    questions = _texts(model_coding, "question")
    coders = _texts(model_coding, "coder")
    models = [m or c for m, c in zip(_texts(model_coding, "model_id"), coders)]
    versions = _texts(model_coding, "codebook_version", codebook_version)
    scores, thresholds = _floats(model_coding, "score"), _floats(model_coding, "threshold")
    events = []
    for i, response_id in enumerate(ids):
        question = questions[i]
        if question is None and response_id and ":" in response_id:
            question = response_id.rsplit(":", 1)[1]
        detail = {"model_id": models[i], "model_version": model_version,
                  "score": scores[i], "threshold": thresholds[i]}
        events.append({
            "response_id": response_id, "question": question, "code": codes[i],
            "action": "assigned", "actor": models[i], "source": "model",
            "timestamp": timestamp, "codebook_version": versions[i],
            "manifest_id": manifest_id,
            "detail": {k: v for k, v in detail.items() if v is not None},
        })
    return events


def _active_codes(table: Any, name: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """(response_id, question, coder, code) -> its first row, for applied codes."""
    rows = _records(table, name)
    _require(table, rows, name, ("response_id",), ("coder",), ("code",))
    active: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        code = _value(row, "code")
        status = str(_value(row, "status") or "submitted").lower()
        if code is None or status in INACTIVE_STATUS:
            continue
        key = (str(row["response_id"]), str(_question(row)), str(_value(row, "coder")), str(code))
        active.setdefault(key, row)
    return active


def _latest_times(table: Any, name: str) -> dict[tuple[str, str], str]:
    """(response_id, coder) -> the latest row timestamp in ``table``."""
    latest: dict[tuple[str, str], str] = {}
    moments: dict[tuple[str, str], datetime] = {}
    for row in _records(table, name):
        when = _value(row, "timestamp")
        if when is None:
            continue
        key = (str(row.get("response_id")), str(_value(row, "coder")))
        moment = parse_timestamp(when)
        if key not in moments or moment > moments[key]:
            moments[key], latest[key] = moment, format_timestamp(when)
    return latest


def _human_detail(row: Mapping[str, Any]) -> dict[str, Any]:
    detail = {k: _value(row, k) for k in ("annotation_id", "memo") if _value(row, k) is not None}
    if str(_value(row, "unclear")).lower() in ("true", "1", "yes"):
        detail["unclear"] = True  # flagged by the coder; "not unclear" is not news
    return detail


def events_from_coding_diff(
    old_table: pd.DataFrame | None,
    new_table: pd.DataFrame,
    manifest_id: str | None,
    codebook_version: str | None,
    *,
    timestamp: str | None = None,
) -> list[dict[str, Any]]:
    """Human codes ``added`` and ``removed`` between two coding tables.

    A code is a row with a non-empty ``code`` whose ``status`` (when there is
    one) is not skipped or cancelled. ``old_table`` None means nothing was
    coded before. The actor is the row's ``coder``; the source is the row's
    ``source`` or ``"human"``. An added code takes its row's ``timestamp``; a
    removed code takes the coder's latest timestamp for that answer in
    ``new_table``. Where the table has no time, ``timestamp`` is used, and
    failing that the current time.
    """
    old = _active_codes(old_table, "the old coding table")
    new = _active_codes(new_table, "the new coding table")
    latest = _latest_times(new_table, "the new coding table")
    fallback = timestamp or _now()
    events = []
    for action, keys, table in (("added", new.keys() - old.keys(), new),
                                ("removed", old.keys() - new.keys(), old)):
        for key in sorted(keys):
            response_id, question, coder, code = key
            row = table[key]
            if action == "added":
                when = _value(row, "timestamp") or fallback
            else:
                when = latest.get((response_id, coder), fallback)
            events.append({
                "response_id": response_id, "question": question, "code": code,
                "action": action, "actor": coder, "source": _value(row, "source") or "human",
                "timestamp": when,
                "codebook_version": _value(row, "codebook_version") or codebook_version,
                "manifest_id": manifest_id, "detail": _human_detail(row),
            })
    return events


_DECISION_CORE = {"response_id", "question", "code", "adjudicator", "actor", "rule", "timestamp",
                  "codebook_version", "source", "coder"}
_LISTS = {"votes", "coders"}  # "a@x.org;b@x.org" in themeloop.adjudicate's decisions


def _detail_value(key: str, value: Any) -> Any:
    """Votes and the like may arrive as JSON or ';'-joined text (from CSV): parse them back."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, str) and key in _LISTS:
        return [part for part in value.split(";") if part]
    return value


def events_from_adjudication(
    decisions: pd.DataFrame,
    manifest_id: str | None,
    codebook_version: str | None,
    *,
    timestamp: str,
    rule: str | None = None,
) -> list[dict[str, Any]]:
    """Adjudication decisions: one ``decided`` event per decision row.

    Parameters
    ----------
    decisions : ``response_id, code`` (optionally ``question``), e.g.
        :attr:`themeloop.adjudicate.AdjudicationResult.decisions`. An empty
        code is the decision about "no code". The actor is the adjudicator
        (an ``adjudicator`` column, or the e-mail in a rule
        ``adjudicator:EMAIL``), else the row's ``rule``, else ``rule=``. Every
        other column (``decision``, ``votes``, ``coders``, ...) goes into
        ``detail``; ``;``-joined votes and coders become lists, JSON text is
        parsed back.
    timestamp : used where a row has no ``timestamp``.
    """
    rows = _records(decisions, "decisions")
    _require(decisions, rows, "decisions", ("response_id",), ("code",))
    events = []
    for i, row in enumerate(rows):
        row_rule = _value(row, "rule")
        adjudicator = _value(row, "adjudicator")
        if adjudicator is None and str(row_rule or "").startswith("adjudicator:"):
            adjudicator = str(row_rule).split(":", 1)[1]
        actor = adjudicator or _value(row, "actor") or row_rule or rule
        if actor is None:
            raise AuditError(f"decisions row {i}: no 'adjudicator' or 'rule' column value and "
                             f"no rule= given; say who or what decided")
        detail = {str(k): _detail_value(str(k), v) for k, v in row.items()
                  if k not in _DECISION_CORE and _value(row, k) is not None}
        if row_rule is not None and row_rule != actor:
            detail["rule"] = row_rule
        events.append({
            "response_id": _value(row, "response_id"), "question": _question(row),
            "code": _value(row, "code"), "action": "decided", "actor": actor,
            "source": "adjudication", "timestamp": _value(row, "timestamp") or timestamp,
            "codebook_version": _value(row, "codebook_version") or codebook_version,
            "manifest_id": manifest_id, "detail": detail,
        })
    return events


def events_from_migration(
    migration_events: pd.DataFrame | Iterable[Mapping[str, Any]],
    manifest_id: str | None,
    codebook_version: str,
    *,
    timestamp: str,
    actor: str = "codebook-migration",
) -> list[dict[str, Any]]:
    """Codebook migrations: one ``migrated`` event per code moved to a new id.

    Parameters
    ----------
    migration_events : rows with ``response_id``, ``old_code`` (or
        ``from_code``) and ``new_code`` (or ``to_code``; empty when the code
        was dropped), optionally ``question``, ``coder``, ``from_version``,
        ``annotation_id`` and ``timestamp``; e.g. the events of
        :func:`themeloop.codebook.migrate_codings` or of a Label Studio push.
    codebook_version : the version migrated *to*.
    """
    rows = _records(migration_events, "migration events")
    _require(migration_events, rows, "migration events", ("response_id",),
             ("old_code", "from_code"), ("new_code", "to_code"))
    events = []
    for row in rows:
        detail = {"from_code": _value(row, "old_code", "from_code")}
        for extra in ("coder", "from_version", "annotation_id", "reason"):
            if _value(row, extra) is not None:
                detail[extra] = _value(row, extra)
        events.append({
            "response_id": _value(row, "response_id"), "question": _question(row),
            "code": _value(row, "new_code", "to_code"), "action": "migrated", "actor": actor,
            "source": "codebook", "timestamp": _value(row, "timestamp") or timestamp,
            "codebook_version": codebook_version, "manifest_id": manifest_id, "detail": detail,
        })
    return events
