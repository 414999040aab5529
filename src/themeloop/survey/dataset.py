"""A Parquet dataset (a folder of ``.parquet`` files) read and written a partition at a time.

For surveys too large for one pandas frame on one machine: :func:`iter_batches`
yields at most ``batch_rows`` rows at a time (pyarrow.dataset, in file order),
so a million answers never sit in memory at once, and :func:`write_partitions`
writes a table as numbered part files into a folder that appears whole or not
at all (written beside it, then renamed into place).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.errors import SurveyError

if TYPE_CHECKING:
    import pandas as pd

PART = "part-{:05d}.parquet"


def iter_batches(
    folder: str | os.PathLike[str], columns: list[str], *, batch_rows: int = 100_000
) -> Iterator[pd.DataFrame]:
    """Frames of at most ``batch_rows`` rows of ``columns``, file by file, in file-name order.

    Raises
    ------
    SurveyError
        When the folder holds no Parquet files or a column is missing.
    """
    import pyarrow.dataset as ds

    folder = Path(folder)
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise SurveyError(f"{folder}: no .parquet files in this folder; pass a folder of "
                          "Parquet files (a Parquet dataset)")
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise SurveyError(f"{folder}: no column '{missing[0]}' in the Parquet dataset; its "
                          f"columns are: {', '.join(dataset.schema.names)}")
    for batch in dataset.to_batches(columns=columns, batch_size=batch_rows):
        if batch.num_rows:
            yield batch.to_pandas()


def write_partitions(frames: Iterable[pd.DataFrame], folder: str | os.PathLike[str]) -> list[Path]:
    """Write each frame as ``part-NNNNN.parquet`` in ``folder``, which appears only when complete.

    An existing ``folder`` is replaced. Returns the part files, in order.
    """
    folder = Path(folder)
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    staging.mkdir(parents=True)
    try:
        names = []
        for i, frame in enumerate(frames):
            name = PART.format(i)
            frame.to_parquet(staging / name, index=False)
            names.append(name)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.old")
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / n for n in names]
