"""The typed state one run shares between its stages: :class:`RunContext`.

A context is made once per ``themeloop run`` (and once per single command, so a
command typed by hand runs the same code as the run). Everything it holds is
loaded lazily, on first use, and then kept: the survey file is read once per
run, the codebook and the coding table once, and the long responses table is
built once and materialised as ``responses.parquet`` in the run's folder, where
later stages, a rerun with ``--from`` and other processes read it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from themeloop.config import Project
from themeloop.errors import CodingTableError
from themeloop.pipeline.artifacts import RESPONSES, Artifact
from themeloop.progress import Progress, no_progress

if TYPE_CHECKING:
    import pandas as pd

    from themeloop.adjudicate.rules import AdjudicationResult
    from themeloop.codebook.model import Codebook
    from themeloop.compute import Backend
    from themeloop.merge.core import MergedDataset
    from themeloop.privacy.project import PrivacyRun
    from themeloop.survey.model import Survey
    from themeloop.themes.model import ThemesResult

SURVEY_HASH_KEY = b"themeloop.survey_sha256"


@dataclass(eq=False)
class RunContext:
    """What the stages of one run share.

    Parameters
    ----------
    project : the project (``themeloop.config.find_project``).
    out_dir : the run's output folder (default: the project's ``out/``).
    progress : progress callback for long stages (embedding).

    Attributes
    ----------
    outputs : artifact key -> file, for every file written so far in this run.
    notes : what the stages noticed, for the user.
    themes : the themes stage's result, once it ran in this process.
    adjudication : the adjudicate stage's result, once it ran in this process.
    model_info : the embedding model's id and checksum, for the run manifest.
    privacy : what pseudonymisation found and did, once the survey is loaded
        with ``[privacy] enabled``.
    compute_backend, scheduler : ``--backend`` / ``--scheduler``, over ``[compute]``.
    """

    project: Project
    out_dir: Path = field(default=Path())
    progress: Progress = no_progress
    outputs: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    themes: ThemesResult | None = None
    adjudication: AdjudicationResult | None = None
    model_info: dict[str, object] | None = None
    privacy: PrivacyRun | None = None
    compute_backend: str | None = None
    scheduler: str | None = None
    _backend: Backend | None = field(default=None, init=False, repr=False)
    _survey: Survey | None = field(default=None, init=False, repr=False)
    _responses: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _codebook: Codebook | None = field(default=None, init=False, repr=False)
    _codebook_loaded: bool = field(default=False, init=False, repr=False)
    _tables: dict[Path, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _merged: dict[tuple[Path, bool, str | None, Path | None, Path | None], MergedDataset] = field(
        default_factory=dict, init=False, repr=False)

    @classmethod
    def for_project(cls, project: Project, out: str | Path | None = None,
                    progress: Progress = no_progress) -> RunContext:
        """A context writing into ``out`` (default: the project's ``out/``)."""
        return cls(project, Path(out) if out is not None else project.out_dir, progress)

    @property
    def backend(self) -> Backend:
        """Where the heavy work runs: ``[compute]`` with the CLI's overrides, made once."""
        if self._backend is None:
            from themeloop.compute import backend_for

            self._backend = backend_for(self.project.config.compute, backend=self.compute_backend,
                                        scheduler=self.scheduler, root=self.project.root)
        return self._backend

    def close(self) -> None:
        """Release what the run holds outside this process (a Dask cluster or connection)."""
        from themeloop.compute import close_backend

        close_backend(self._backend)
        self._backend = None

    # ------------------------------------------------------------------ where things are
    def path(self, artifact: Artifact, part: str | None = None) -> Path:
        """Where ``artifact`` is for this run: the output or the annotations folder."""
        folder = self.out_dir if artifact.where == "out" else self.project.annotations_dir
        return artifact.path(folder, part)

    def record(self, artifact: Artifact, path: Path, part: str | None = None) -> None:
        """Note that this run wrote ``path`` as ``artifact`` (its key in :attr:`outputs`).

        A table cached from an earlier version of the file is dropped.
        """
        self.outputs[artifact.key_for(part)] = path
        self.forget_table(path)

    def record_written(self, paths: list[Path], artifacts: tuple[Artifact, ...]) -> None:
        """Record each of ``artifacts`` whose path for this run is among ``paths``."""
        written = {Path(p) for p in paths}
        for artifact in artifacts:
            if self.path(artifact) in written:
                self.record(artifact, self.path(artifact))

    # ------------------------------------------------------------------ loaded once
    @property
    def survey(self) -> Survey:
        """The project's survey, read and validated on first use.

        With ``[privacy] enabled`` its answers are pseudonymised (the file is
        read once either way), and :attr:`privacy` holds what was done.
        """
        if self._survey is None:
            from themeloop.survey.project import load_private_survey

            self._survey, self.privacy = load_private_survey(self.project)
        return self._survey

    @property
    def responses(self) -> pd.DataFrame:
        """The long responses table: built once, or read back from ``responses.parquet``.

        The Parquet file is used only when it was built from the same survey
        file (its sha256 is stored in the file's metadata).
        """
        if self._responses is None:
            # Once the survey is in memory, building the table is cheaper than reading it.
            stored = self._stored_responses() if self._survey is None else None
            self._responses = stored if stored is not None else self.survey.responses()
        return self._responses

    def write_responses(self) -> Path:
        """Materialise the responses table as ``responses.parquet`` (atomically)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from themeloop._io import write_with

        table = pa.Table.from_pandas(self.responses, preserve_index=False)
        meta = {**(table.schema.metadata or {}), SURVEY_HASH_KEY: self._survey_hash().encode()}
        table = table.replace_schema_metadata(meta)
        return write_with(self.path(RESPONSES), lambda tmp: pq.write_table(table, tmp))

    def _stored_responses(self) -> pd.DataFrame | None:
        path = self.path(RESPONSES)
        if not path.is_file():
            return None
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        if meta.get(SURVEY_HASH_KEY) != self._survey_hash().encode():
            return None
        return pq.read_table(path).to_pandas()

    def _survey_hash(self) -> str:
        digest = hashlib.sha256()
        with open(self.project.survey_path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    @property
    def codebook(self) -> Codebook | None:
        """The project's codebook, or None when it has none (read on first use)."""
        if not self._codebook_loaded:
            path = self.project.codebook_path
            if path.is_file():
                from themeloop.codebook import load_codebook

                self._codebook = load_codebook(path)
            self._codebook_loaded = True
        return self._codebook

    @property
    def coding_path(self) -> Path:
        """The coders' coding table (``annotations/coding_table.csv``)."""
        return self.project.coding_table_path

    @property
    def has_coding(self) -> bool:
        return self.coding_path.is_file()

    @property
    def coding(self) -> pd.DataFrame:
        """The coders' coding table, validated, read on first use.

        Raises
        ------
        CodingTableError
            When the project has no coding table yet.
        """
        if not self.has_coding:
            raise CodingTableError.missing(self.coding_path)
        return self.table(self.coding_path)

    def table(self, path: Path) -> pd.DataFrame:
        """A coding table (CSV or Parquet) read once through ``themeloop.coding``'s reader."""
        key = Path(path).resolve()
        if key not in self._tables:
            from themeloop.coding import read_coding_table

            self._tables[key] = read_coding_table(path)
        return self._tables[key]

    def forget_table(self, path: Path) -> None:
        """Drop a cached table after a stage rewrote its file (e.g. a pull)."""
        self._tables.pop(Path(path).resolve(), None)

    def merged(self, codes: Path, *, allow_unknown_codes: bool,
               coder: str | None = None, model: Path | None = None,
               decisions: Path | None = None) -> MergedDataset:
        """The survey merged with the coding table at ``codes``, built once per arguments.

        ``model`` is the autocoder's table (``model_coding.csv``), whose codes
        fill the answers no human coded; ``decisions`` the adjudication
        decisions, which tell ``human`` from ``adjudicated`` in ``coded_by``.
        """
        def resolved(path: Path | None) -> Path | None:
            return None if path is None else Path(path).resolve()

        extra = (resolved(model), resolved(decisions))
        key = (Path(codes).resolve(), allow_unknown_codes, coder, *extra)
        strict = (key[0], False, coder, *extra)
        if allow_unknown_codes and strict in self._merged:
            # A strict merge that succeeded met no unknown code: the lenient one is the same.
            return self._merged[strict]
        if key not in self._merged:
            from themeloop.merge.core import build_merged

            self._merged[key] = build_merged(
                self.survey, self.table(codes), self.codebook, allow_unknown_codes, coder=coder,
                source=Path(codes).name, model=None if model is None else self.table(model),
                model_source=Path(model).name if model is not None else "model coding table",
                decisions=None if decisions is None else self._plain(decisions))
        return self._merged[key]

    def _plain(self, path: Path) -> pd.DataFrame:
        """A table that is not a coding table (adjudication decisions), read once."""
        key = Path(path).resolve()
        if key not in self._tables:
            from themeloop.safe_csv import read_csv

            self._tables[key] = read_csv(path)
        return self._tables[key]
