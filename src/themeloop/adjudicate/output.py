"""Write an adjudication's three tables atomically, with a run manifest."""

from __future__ import annotations

from pathlib import Path

from themeloop._io import write_with
from themeloop.adjudicate.rules import AdjudicationResult
from themeloop.safe_csv import write_csv

AGREED = "agreed.csv"
DECISIONS = "adjudication_decisions.csv"
UNDECIDED = "undecided.csv"
MANIFEST = "adjudicate.manifest.json"


def write_adjudication(
    result: AdjudicationResult,
    folder: str | Path,
    *,
    agreed_name: str = AGREED,
    inputs: dict[str, Path] | None = None,
    config: dict | None = None,
    relative_to: str | Path | None = None,
    raw: bool = False,
) -> list[Path]:
    """Write agreed, decisions and undecided tables plus ``adjudicate.manifest.json``.

    The agreed table is Parquet when ``agreed_name`` ends in ``.parquet``,
    else CSV. The CSVs are neutralised against formula injection unless
    ``raw`` (see :mod:`themeloop.safe_csv`). Returns the paths written, manifest last.
    """
    from themeloop.audit.manifest import build_manifest, write_manifest

    folder = Path(folder)
    agreed_path = folder / agreed_name
    if agreed_path.suffix.lower() == ".parquet":
        write_with(agreed_path, lambda p: result.agreed.to_parquet(p, index=False))
    else:
        write_csv(result.agreed, agreed_path, raw=raw)
    written = [agreed_path]
    for name, frame in ((DECISIONS, result.decisions), (UNDECIDED, result.undecided)):
        written.append(write_csv(frame, folder / name, raw=raw))
    manifest = build_manifest(
        "adjudicate", inputs=inputs or {}, outputs=written,
        config={"rule": result.rule, **(config or {})},
        relative_to=relative_to or folder,
    )
    written.append(write_manifest(folder / MANIFEST, manifest))
    return written
