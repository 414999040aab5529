"""themeloop audit verify | sign | explain: check the signed ledger, sign an old one, tell one answer's story."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from themeloop.cli._common import PROJECT_OPTION, console, echo_json, load_project

ORDER = 90

audit_app = typer.Typer(
    help="Check the audit ledger and explain how an answer got its codes.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LEDGER_OPTION = typer.Option(
    None, "--ledger", help="Ledger file (default: the project's annotations/ledger.jsonl)."
)


def _ledger(ledger: Path | None, project: Path | None, key: Path | None = None,
            manifests: list[Path] | None = None):  # -> Ledger
    """The ledger to read: the project's (signed, anchored by its manifests) or ``--ledger FILE``.

    With ``--ledger`` outside any project, only ``--key`` and ``--manifest``
    say how to check it.
    """
    from themeloop.audit.ledger import Ledger
    from themeloop.audit.project import project_ledger, recorded_anchors
    from themeloop.errors import AuditError, ConfigError

    try:
        proj = load_project(project)
    except ConfigError:
        if ledger is None:
            raise
        proj = None
    if proj is not None:
        found = project_ledger(proj, path=ledger, key_file=key, manifests=manifests or (),
                               create=False)
    else:
        from themeloop.audit.key import read_key

        assert ledger is not None
        found = Ledger(ledger, read_key(key) if key is not None else None,
                       recorded_anchors(ledger, manifests or (), Path.cwd()))
        if key is not None and found.key is None:
            raise AuditError(f"--key {key}: no such key file")
    if not found.path.is_file() and not any(a.events for a in found.anchors):
        raise AuditError(f"{found.path}: no such ledger; stages write it as they record codes "
                         f"(themeloop pull, themeloop run), or pass --ledger FILE")
    return found


@audit_app.command("verify")
def verify(
    ledger: Path = LEDGER_OPTION,
    project: Path = PROJECT_OPTION,
    expect_head: str = typer.Option(
        None, "--head", help="A head hash recorded earlier (16+ hex characters); fail unless "
                             "the chain ends exactly there."
    ),
    key: Path = typer.Option(
        None, "--key", help="The ledger key (default: the project's .themeloop/ledger.key)."
    ),
    manifests: list[Path] = typer.Option(
        None, "--manifest", help="Also check the ledger head this manifest recorded (e.g. of "
                                 "'run --out DIR'); repeatable."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check the hash chain, each MAC and the recorded heads; exit 2 naming the first bad event."""
    from themeloop.errors import AuditError

    result = _ledger(ledger, project, key, manifests).verify(expect_head=expect_head)
    if as_json:
        echo_json(result.to_dict())
        if not result.ok:
            raise typer.Exit(AuditError.exit_code)
        return
    if not result.ok:
        raise AuditError(result.message)
    typer.echo(result.message)


@audit_app.command("sign")
def sign(project: Path = PROJECT_OPTION) -> None:
    """Sign a ledger written before themeloop signed its ledgers (after checking its chain)."""
    from themeloop.audit.key import key_path
    from themeloop.audit.project import sign_project_ledger

    proj = load_project(project)
    ledger, count = sign_project_ledger(proj)
    typer.echo(f"{ledger.path}: signed {count} events with the key in {key_path(proj)}")


@audit_app.command("explain")
def explain(
    response_id: str = typer.Argument(..., help="The answer's id, '<respondent id>:<question id>'."),
    ledger: Path = LEDGER_OPTION,
    project: Path = PROJECT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the history as JSON."),
) -> None:
    """Who suggested, coded and decided which codes for one answer, and when."""
    from themeloop.audit.explain import explain_response

    story = explain_response(_ledger(ledger, project), response_id)
    if as_json:
        echo_json(story)
        return
    _print(story)


def _describe(detail: dict[str, Any]) -> str:
    """Terse, readable details: 'score 0.81', 'absent; votes a=1 b=0', 'from funding'."""
    parts = []
    for key, value in sorted(detail.items(), key=lambda kv: (kv[0] != "decision", kv[0])):
        if key == "decision":
            parts.append(str(value))
        elif key == "score" and isinstance(value, float):
            threshold = detail.get("threshold")
            against = f" vs threshold {threshold:.2f}" if isinstance(threshold, float) else ""
            parts.append(f"score {value:.2f}{against}")
        elif key == "threshold" and isinstance(detail.get("score"), float):
            continue  # said beside the score
        elif key == "model_id":
            continue  # an assignment's actor: the table's "by" column shows it
        elif key == "from_code":
            parts.append(f"from {value if value is not None else '(none)'}")
        elif isinstance(value, dict):
            parts.append(f"{key} " + " ".join(f"{k}={v}" for k, v in value.items()))
        elif isinstance(value, list):
            parts.append(f"{key} " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def _scored(row: dict[str, Any]) -> str:
    """'funding (score 0.91 >= threshold 0.42)'."""
    score, threshold = row.get("score"), row.get("threshold")
    if not isinstance(score, (int, float)):
        return str(row["code"])
    if not isinstance(threshold, (int, float)):
        return f"{row['code']} (score {score:.2f})"
    sign = ">=" if score >= threshold else "<"
    return f"{row['code']} (score {score:.2f} {sign} threshold {threshold:.2f})"


def _print(story: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    events = story["events"]
    out.print(f"[bold]{escape(story['response_id'])}[/bold]: {len(events)} events in "
              f"{escape(story['ledger'])}", soft_wrap=True)
    table = Table("when (UTC)", "action", "code", "by", "codebook", "details")
    table.columns[0].no_wrap = table.columns[1].no_wrap = True
    for e in events:
        table.add_row(
            escape(str(e["timestamp"]).replace("T", " ")[:16]), e["action"],
            escape(e["code"] or "(none)"), escape(str(e["actor"])),
            escape(e["codebook_version"] or ""), escape(_describe(e.get("detail") or {})),
        )
    out.print(table)
    now = story["current"]
    if now["model"]:
        out.print(f"model ({escape(now['model']['run'])}): "
                  f"{escape(', '.join(now['model']['codes']) or '(none)')}", soft_wrap=True)
    if now.get("assigned"):
        auto = now["assigned"]
        version = f", {auto['model_version']}" if auto.get("model_version") else ""
        codes = ", ".join(_scored(r) for r in auto["codes"]) or "(no code)"
        out.print(f"assigned by {escape(auto['model_id'])}{escape(version)}: {escape(codes)}",
                  soft_wrap=True)
    for coder, codes in now["coders"].items():
        out.print(f"{escape(coder)}: {escape(', '.join(codes) or '(no code)')}", soft_wrap=True)
    if now["decided"] is not None:
        out.print(f"decided: {escape(', '.join(now['decided']) or '(no code)')}", soft_wrap=True)
    if now["undecided"]:
        out.print(f"undecided: {escape(', '.join(now['undecided']))}", soft_wrap=True)
    if now["codebook_versions"]:
        out.print(f"codebook version(s): {escape(', '.join(now['codebook_versions']))}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
