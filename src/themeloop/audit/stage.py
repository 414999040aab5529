"""The ledger stage of ``themeloop run``: record what the run decided in the audit ledger."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from themeloop.pipeline.artifacts import (
    ASSIGNMENTS,
    AUTOCODE_MANIFEST,
    CODING_TABLE,
    LEDGER,
    MODEL_CODING,
    THEMES_JSON,
)
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


def _themes_run_id(ctx: RunContext) -> str | None:
    """The themes run whose suggestions to record: this run's, else the one on disk."""
    if ctx.themes is not None:
        return ctx.themes.run_id
    path = ctx.path(THEMES_JSON)
    if path.is_file() and ctx.path(ASSIGNMENTS).is_file():
        return str(json.loads(path.read_text(encoding="utf-8"))["run_id"])
    return None


def _model_events(ctx: RunContext, version: str | None, when: str) -> list[dict[str, Any]]:
    """One ``assigned`` event per row of the run's ``model_coding.csv`` (none without one).

    Rows for answers a human coded are left out: human codes win there (as in
    the merged dataset), so the model assigned nothing to them.
    """
    from themeloop.audit.events import events_from_model_coding
    from themeloop.coding import judged_rows

    path = ctx.path(MODEL_CODING)
    if not ctx.project.config.autocode.enabled or not path.is_file():
        return []
    table = ctx.table(path)
    humans = set(judged_rows(ctx.coding, ("human", "adjudication"))["response_id"])
    table = table[~table["response_id"].isin(humans)]
    manifest_id, model_version = None, None
    manifest = ctx.path(AUTOCODE_MANIFEST)
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        manifest_id = data.get("manifest_id")
        fitted_by = (data.get("versions") or {}).get("themeloop")
        model_version = f"themeloop {fitted_by}" if fitted_by else None
    return events_from_model_coding(table, manifest_id, version, timestamp=when,
                                    model_version=model_version)


def ledger_project(ctx: RunContext) -> list[dict[str, Any]]:
    """Record model suggestions and assignments, human codes and adjudication decisions.

    Returns what was appended. Codes a pull already recorded (under its own
    manifest id) are not recorded again, so no coding appears twice; nor is a
    model assignment already recorded (same answer, code and model id). When the adjudicate stage did not run in
    this process, its decisions are recomputed from the coding table by the
    project's rule (the same inputs give the same decisions).
    """
    from themeloop.audit.events import (
        as_of_timestamp,
        events_from_adjudication,
        events_from_assignments,
        events_from_coding_diff,
    )
    from themeloop.audit.project import project_ledger
    from themeloop.safe_csv import read_csv

    codebook = ctx.codebook
    version = codebook.version if codebook is not None else None
    coding = ctx.coding
    when = as_of_timestamp(coding)
    events: list[dict[str, Any]] = []
    run_id = _themes_run_id(ctx)
    if run_id is not None:
        assignments = read_csv(ctx.path(ASSIGNMENTS))
        events += events_from_assignments(assignments, run_id, None, version, timestamp=when)
    ledger = project_ledger(ctx.project)  # signed; append() refuses a tampered ledger

    def key(e: dict[str, Any]) -> tuple[Any, ...]:
        return (e["response_id"], e["question"], e["code"], e["action"], e["actor"])

    seen = {key(e) for e in ledger.events()}
    events += [e for e in events_from_coding_diff(None, coding, None, version)
               if key(e) not in seen]
    # keyed without the time: a new pull moves the run's time, not the model's assignments
    events += [e for e in _model_events(ctx, version, when) if key(e) not in seen]
    adjudication = ctx.adjudication
    if adjudication is None:
        from themeloop.adjudicate import adjudicate

        cfg = ctx.project.config.adjudication
        adjudication = adjudicate(coding, cfg.rule, min_coders=cfg.min_coders)
    if len(adjudication.decisions):
        events += events_from_adjudication(adjudication.decisions, None, version, timestamp=when)
    if ctx.project.config.privacy.enabled:  # what was pseudonymised, and by whom (no text)
        from themeloop.privacy.project import privacy_events

        ctx.survey  # noqa: B018 - loading it pseudonymises, and keeps what was done
        assert ctx.privacy is not None
        events += privacy_events(ctx.project, ctx.privacy)
    return ledger.append(events)


class LedgerStage:
    """Record model suggestions and assignments, human codes and adjudication decisions."""

    name = "ledger"
    requires = (CODING_TABLE,)
    produces = (LEDGER,)

    def run(self, ctx: RunContext) -> StageResult:
        ledger_project(ctx)
        return StageResult({}, [])
