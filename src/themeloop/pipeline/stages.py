"""One function per stage of ``themeloop run``; each returns the files it wrote.

Stages read what earlier stages wrote into the run's output folder, exactly as
the single commands do, so a run and the same commands typed by hand agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from themeloop.config import Project
from themeloop.errors import CodingTableError
from themeloop.progress import Progress


@dataclass
class RunState:
    """What the stages share during one run."""

    project: Project
    out_dir: Path
    progress: Progress
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    survey: Any = None
    codebook: Any = None
    themes: Any = None
    coding_path: Path | None = None
    coding: pd.DataFrame | None = None
    adjudication: Any = None
    model_info: dict[str, Any] | None = None


def load(state: RunState) -> None:
    """Read and validate the survey and, if there is one, the codebook."""
    from themeloop.survey import load_project_survey

    state.survey = load_project_survey(state.project)
    if state.project.codebook_path.is_file():
        from themeloop.codebook import load_codebook

        state.codebook = load_codebook(state.project.codebook_path)
    else:
        state.notes.append(f"no codebook at {state.project.codebook_path}: themes are inductive only")
    # Fail before the long themes stage when there is nothing to code against.
    if not state.project.coding_table_path.is_file() and not _studio_reachable(state.project):
        raise _no_coding_table(state.project)


def themes(state: RunState) -> None:
    """Propose themes; the project's codebook (if any) seeds them deductively."""
    from themeloop.themes.run import run_themes

    seeds = state.project.codebook_path if state.codebook is not None else None
    run = run_themes(state.project.root, out=state.out_dir, seeds_file=seeds,
                     progress=state.progress)
    state.themes = run.result
    state.model_info = dict(run.result.model)
    state.notes.extend(run.notes)
    state.outputs.update({f"themes_{k}": v for k, v in run.paths.items()})


def annotations(state: RunState) -> None:
    """Pull from Label Studio when one is configured and answering; else use the project's table."""
    from themeloop.coding import read_coding_table

    if _studio_reachable(state.project):
        from themeloop.studio.pull import pull

        result = pull(state.project)
        state.notes.append(f"pulled from Label Studio: {result.annotations} annotations"
                           + ("" if result.changed else " (nothing new)"))
    path = state.project.coding_table_path
    if not path.is_file():
        raise _no_coding_table(state.project)
    state.coding_path = path
    state.coding = read_coding_table(path)


def _no_coding_table(project: Project) -> CodingTableError:
    return CodingTableError(f"{project.coding_table_path}: no coding table; code the answers in "
                            "Label Studio and run 'themeloop pull'")


def _studio_reachable(project: Project) -> bool:
    """True when a remote server is configured or the local one is running, and it answers."""
    from themeloop.studio.server import StudioPaths, healthy, server_status

    url = project.config.studio.url
    if not url:
        status = server_status(StudioPaths.for_project(project))
        if not status.running:
            return False
        url = status.url
    return healthy(url.rstrip("/"), timeout=3.0)


def agreement(state: RunState) -> None:
    """Agreement between coders, and between the model and each coder."""
    from themeloop.agreement.project import agreement_settings, run_agreement
    from themeloop.coding import assignments_to_coding, validate_coding_table
    from themeloop.safe_csv import read_csv, resolve_raw

    table = state.coding
    assignments = state.outputs.get("themes_assignments")
    if assignments is not None:
        model = assignments_to_coding(read_csv(assignments, dtype={"theme_id": str}))
        table = validate_coding_table(pd.concat([table, model], ignore_index=True))
    written = run_agreement(
        table, table_path=state.coding_path, json_out=state.out_dir / "agreement.json",
        disagreements_out=state.out_dir / "disagreements.csv",
        responses=state.survey.responses(), settings=agreement_settings(state.project),
        root=state.project.root, raw=resolve_raw(None, state.project),
    )
    state.outputs.update({f"agreement_{p.stem}": p for p in written.paths})


def adjudicate(state: RunState) -> None:
    """Agreed codes by the project's rule; every decision and what stays open."""
    from themeloop.adjudicate import adjudicate as apply_rule
    from themeloop.adjudicate import write_adjudication
    from themeloop.safe_csv import resolve_raw

    cfg = state.project.config.adjudication
    state.adjudication = apply_rule(state.coding, cfg.rule, min_coders=cfg.min_coders)
    written = write_adjudication(
        state.adjudication, state.out_dir, inputs={"coding_table": state.coding_path},
        config={"min_coders": cfg.min_coders}, relative_to=state.project.root,
        raw=resolve_raw(None, state.project),
    )
    state.outputs.update({f"adjudicate_{p.stem}": p for p in written})
    n_open = len(state.adjudication.undecided)
    if n_open:
        state.notes.append(f"{n_open} coding decisions are undecided: see undecided.csv")


def merge(state: RunState) -> None:
    """The coded dataset in every export format."""
    from themeloop.merge.project import merge_project

    run = merge_project(state.project, codes=state.out_dir / "agreed.csv", out=state.out_dir)
    state.outputs.update({f"merge_{k}": v for k, v in run.outputs.items()})
    state.outputs["merge_manifest"] = run.manifest


def crosstab(state: RunState) -> None:
    """Codes by each configured attribute."""
    from themeloop.merge.project import crosstab_project

    for by in state.project.config.crosstab.by:
        run = crosstab_project(state.project, by, codes=state.out_dir / "agreed.csv",
                               out=state.out_dir)
        state.outputs.update({f"crosstab_{by}_{k}": v for k, v in run.outputs.items()})
        state.outputs[f"crosstab_{by}_manifest"] = run.manifest


def ledger(state: RunState) -> None:
    """Record model suggestions, human codes and adjudication decisions in the audit ledger."""
    from themeloop.audit.events import (
        as_of_timestamp,
        events_from_adjudication,
        events_from_assignments,
        events_from_coding_diff,
    )
    from themeloop.audit.project import project_ledger

    version = getattr(state.codebook, "version", None)
    when = as_of_timestamp(state.coding)
    events: list[dict[str, Any]] = []
    if state.themes is not None:
        from themeloop.safe_csv import read_csv

        assignments = read_csv(state.outputs["themes_assignments"])
        events += events_from_assignments(assignments, state.themes.run_id, None, version,
                                          timestamp=when)
    ledger = project_ledger(state.project)  # signed; append() refuses a tampered ledger
    # A pull already recorded the human codes it saw (under its own manifest id):
    # record only those the ledger has never seen, so no coding appears twice.
    def key(e: dict[str, Any]) -> tuple:
        return (e["response_id"], e["question"], e["code"], e["action"], e["actor"])

    seen = {key(e) for e in ledger.events()}
    events += [e for e in events_from_coding_diff(None, state.coding, None, version)
               if key(e) not in seen]
    decisions = state.adjudication.decisions if state.adjudication is not None else None
    if decisions is not None and len(decisions):
        events += events_from_adjudication(decisions, None, version, timestamp=when)
    if state.project.config.privacy.enabled:  # what was pseudonymised, and by whom
        from themeloop.privacy.project import privacy_events

        events += privacy_events(state.project)
    ledger.append(events)


def report(state: RunState) -> None:
    """The self-contained HTML report."""
    from themeloop.report import write_report

    page = write_report(state.project, state.out_dir)
    state.outputs["report"] = page
    state.outputs["report_manifest"] = page.with_name("report.manifest.json")
