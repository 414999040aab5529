"""Write an adjudication's three tables atomically, with a run manifest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from themeloop._io import write_with
from themeloop.adjudicate.rules import AdjudicationResult
from themeloop.pipeline.artifacts import ADJUDICATE_MANIFEST, AGREED, DECISIONS, UNDECIDED
from themeloop.safe_csv import write_csv

if TYPE_CHECKING:
    pass


def write_adjudication(
    result: AdjudicationResult,
    folder: str | Path,
    *,
    agreed_name: str = AGREED.name,
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
    from themeloop.audit.manifest import write_stage_manifest

    folder = Path(folder)
    agreed_path = folder / agreed_name
    if agreed_path.suffix.lower() == ".parquet":
        write_with(agreed_path, lambda p: result.agreed.to_parquet(p, index=False))
    else:
        write_csv(result.agreed, agreed_path, raw=raw)
    written = [agreed_path]
    for artifact, frame in ((DECISIONS, result.decisions), (UNDECIDED, result.undecided)):
        written.append(write_csv(frame, artifact.path(folder), raw=raw))
    written.append(write_stage_manifest(
        ADJUDICATE_MANIFEST.path(folder), "adjudicate", inputs=inputs or {}, outputs=written,
        config={"rule": result.rule, **(config or {})},
        relative_to=relative_to or folder,
    ))
    return written
