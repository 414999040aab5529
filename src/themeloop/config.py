"""The project file ``themeloop.toml``, read into one validated pydantic model.

Unknown keys are refused with a did-you-mean, so a typo never silently falls
back to a default. Each stage of the loop owns one section.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from themeloop.errors import ConfigError, did_you_mean

CONFIG_NAME = "themeloop.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SurveySection(_Section):
    path: str
    id: str
    attributes: list[str] = Field(default_factory=list)
    sheet: str | None = None
    encoding: str | None = None


class QuestionSection(_Section):
    id: str
    column: str
    prompt: str = ""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c == "_" for c in value) or value[0].isdigit():
            raise ValueError(
                f"question id '{value}' must be letters, digits and '_' and not start with a digit"
            )
        return value


SEED_MAX = 2**32 - 1  # numpy's and UMAP's seeds are unsigned 32-bit


class ThemesSection(_Section):
    min_theme_size: int | None = Field(None, ge=1)
    max_themes: int | None = Field(None, ge=1)  # None: size-aware (themes.cluster.default_max_themes)
    merge_similarity: float = Field(0.9, ge=0, le=1)  # cosine of two themes' centroids
    min_similarity: float = Field(0.2, ge=-1, le=1)  # cosine of an answer to its theme
    seed_threshold: float = Field(0.5, ge=-1, le=1)
    multi_label: bool = True  # cluster answers' segments; an answer may carry several themes
    stability_runs: int = Field(10, ge=0)  # resampled refits per question; 0: off
    stability_max_answers: int = Field(2000, ge=1)
    model_path: str | None = None
    precision: Literal["auto", "bf16", "fp32", "int8"] = "auto"
    runtime: Literal["auto", "onnx", "torch"] = "auto"
    seeds: str | None = None


class ComputeSection(_Section):
    """Where embedding, theme assignment and autocoding run (see docs/scale-out.md)."""

    backend: Literal["local", "dask"] = "local"
    # "local:N" (a LocalCluster of N processes on 127.0.0.1) or "tcp://host:8786" / "tls://...";
    # None with backend = "dask": one local worker per core.
    scheduler: str | None = None
    # TLS to a "tls://" scheduler: the CA, and this client's certificate and key (PEM files).
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None


class StudioSection(_Section):
    """Label Studio: a local server (``port``) or a remote one (``url`` + token in ``token_env``).

    ``coders`` is how many coders code each answer (or their e-mails; then their
    count): it sets each project's ``maximum_annotations``. ``task_attributes``
    are the respondent attributes shown to coders (none by default: blind coding).
    """

    url: str | None = None
    token_env: str = "LABEL_STUDIO_API_KEY"
    port: int = Field(default=8765, ge=1, le=65535)
    coders: int | list[str] = 2
    task_attributes: list[str] = Field(default_factory=list)
    predictions: bool = True
    batch_size: int = Field(default=500, ge=1)

    @field_validator("coders")
    @classmethod
    def _coders(cls, value: int | list[str]) -> int | list[str]:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"{value} is out of range; allowed: 1 or more (or a list of e-mails)")
        return value

    @property
    def n_coders(self) -> int:
        """Annotations wanted per task."""
        return max(1, self.coders if isinstance(self.coders, int) else len(self.coders) or 2)


class AgreementSection(_Section):
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal"
    bootstrap: int = Field(1000, ge=0)
    min_units: int = Field(30, ge=0)  # fewer units than this: warn (unstable coefficients)
    min_prevalence: float = Field(0.05, ge=0, le=0.5)  # rarer (or commoner) codes: kappa paradox
    coefficients: list[str] = Field(default_factory=lambda: ["all"])  # or e.g. ["ac1", "conger"]
    weights: str = "identity"  # an irrCAC scheme name, or a CSV file of a q x q matrix
    complete_cases: bool = False  # True: only units coded by every coder (the old Fleiss rule)
    population: int | None = Field(None, ge=1)  # finite-population correction: answers in all
    drift_batches: int = Field(5, ge=1)  # batches, in coding order, for the drift diagnostic


class AutocodeSection(_Section):
    """The autocode stage of ``themeloop run`` (see docs/autocode.md)."""

    enabled: bool = True
    floor: float = Field(0.667, ge=-1, le=1)  # model-vs-human alpha below: human-only
    review_band: float = Field(0.15, ge=0, le=1)  # a score this close to its threshold: review
    seed: int | None = Field(None, ge=0, le=SEED_MAX)  # unset: the project's seed
    folds: int = Field(5, ge=2)  # cross-fitting folds
    min_positives: int = Field(2, ge=1)  # fewer positive answers: the code stays zero-shot


class AdjudicationSection(_Section):
    rule: str = "majority"  # unanimous | majority | adjudicator:EMAIL
    min_coders: int = Field(1, ge=1)  # units coded by fewer coders stay undecided


ExportFormat = Literal["csv", "xlsx", "sav", "dta", "parquet"]
_EXPORT_FORMATS: list[ExportFormat] = ["csv", "xlsx", "sav", "dta", "parquet"]


class MergeSection(_Section):
    allow_unknown_codes: bool = False
    formats: list[ExportFormat] = Field(default_factory=lambda: list(_EXPORT_FORMATS))


class CrosstabSection(_Section):
    by: list[str] = Field(default_factory=list)
    suppress_below: int = Field(5, ge=0)  # 0 turns disclosure control off


class ReportSection(_Section):
    by: str | None = None


class PrivacySection(_Section):
    """Pseudonymise answers before anything shows or ships them (see docs/privacy.md)."""

    enabled: bool = False
    allow: list[str] = Field(default_factory=list)  # more terms that are never personal data
    entities: list[str] = Field(default_factory=list)  # empty: every entity type
    pseudonyms: Literal["tokens", "fake"] = "tokens"
    min_score: float = Field(0.5, ge=0, le=1)
    columns: list[str] = Field(default_factory=list)  # other free-text columns to pseudonymise


class ExportSection(_Section):
    raw: bool = False  # CSVs without formula neutralisation (for a machine reader)


class PathsSection(_Section):
    codebook: str = "codebook.yaml"
    annotations: str = "annotations"
    models: str = "models"
    out: str = "out"


class ProjectConfig(_Section):
    """Everything in ``themeloop.toml``."""

    seed: int = Field(42, ge=0, le=SEED_MAX)
    survey: SurveySection
    questions: list[QuestionSection]
    themes: ThemesSection = ThemesSection()
    compute: ComputeSection = ComputeSection()
    studio: StudioSection = StudioSection()
    agreement: AgreementSection = AgreementSection()
    autocode: AutocodeSection = AutocodeSection()
    adjudication: AdjudicationSection = AdjudicationSection()
    merge: MergeSection = MergeSection()
    crosstab: CrosstabSection = CrosstabSection()
    report: ReportSection = ReportSection()
    privacy: PrivacySection = PrivacySection()
    export: ExportSection = ExportSection()
    paths: PathsSection = PathsSection()

    @field_validator("questions")
    @classmethod
    def _unique_questions(cls, value: list[QuestionSection]) -> list[QuestionSection]:
        if not value:
            raise ValueError("at least one [[questions]] entry is needed")
        seen: set[str] = set()
        for q in value:
            if q.id in seen:
                raise ValueError(f"question id '{q.id}' appears twice")
            seen.add(q.id)
        return value

    def question(self, qid: str) -> QuestionSection:
        """Return the question with id ``qid`` or raise :class:`ConfigError`."""
        for q in self.questions:
            if q.id == qid:
                return q
        ids = [q.id for q in self.questions]
        raise ConfigError(
            f"unknown question '{qid}'{did_you_mean(qid, ids)}; questions are: {', '.join(ids)}"
        )


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Valid key names at a pydantic error location, for did-you-mean."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return list(current.model_fields)


_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The pydantic FieldInfo at an error location, or None."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    current: Any = model
    for part in names[:-1]:
        annotation = current.model_fields[part].annotation
        current = next((c for c in (annotation, *getattr(annotation, "__args__", ()))
                        if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return None
    return current.model_fields.get(names[-1]) if names else None


def allowed_range(field: Any) -> str:
    """The bounds of a numeric field in words: ``0 to 1``, ``1 or more``."""
    bounds: dict[str, Any] = {}
    for item in getattr(field, "metadata", []):
        for name in ("ge", "gt", "le", "lt"):
            if getattr(item, name, None) is not None:
                bounds[name] = getattr(item, name)
    low = f"{bounds['ge']}" if "ge" in bounds else (f"more than {bounds['gt']}" if "gt" in bounds else None)
    high = f"{bounds['le']}" if "le" in bounds else (f"less than {bounds['lt']}" if "lt" in bounds else None)
    if low is not None and high is not None:
        return f"{low} to {high}" if "ge" in bounds and "le" in bounds else f"{low} and {high}"
    if low is not None:
        return f"{low} or more" if "ge" in bounds else low
    return f"{high} or less" if "le" in bounds else str(high)


def _format_validation(path: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    dotted = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), _fields_at(ProjectConfig, loc))
        return f"{path}: unknown key '{dotted}'{hint}"
    if err["type"] == "missing":
        return f"{path}: missing key '{dotted}'"
    if err["type"] in _BOUNDS:
        allowed = allowed_range(_field_at(ProjectConfig, loc))
        return f"{path}: bad value for '{dotted}': {err['input']!r} is out of range; allowed: {allowed}"
    msg = err["msg"].removeprefix("Value error, ")
    got = "" if err["type"] == "value_error" else f" (got {err['input']!r})"
    return f"{path}: bad value for '{dotted}': {msg}{got}"


def parse_config(data: dict[str, Any], source: Path) -> ProjectConfig:
    """Validate a mapping as a :class:`ProjectConfig`; errors name ``source``."""
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(source, exc)) from None


def read_config(path: str | Path) -> ProjectConfig:
    """Read and validate a ``themeloop.toml``.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or has unknown or bad keys.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such project file; run 'themeloop init SURVEY' to create one"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path)


def _joined(root: Path, relative: str) -> Path:
    """``root / relative`` with ``..`` folded away, so messages show plain paths."""
    return Path(os.path.normpath(root / relative))


@dataclass(frozen=True)
class Project:
    """A coding project: its folder and its validated config."""

    root: Path
    config: ProjectConfig

    @property
    def survey_path(self) -> Path:
        return (self.root / self.config.survey.path).resolve()

    @property
    def codebook_path(self) -> Path:
        return _joined(self.root, self.config.paths.codebook)

    @property
    def annotations_dir(self) -> Path:
        return _joined(self.root, self.config.paths.annotations)

    @property
    def coding_table_path(self) -> Path:
        """The coding table that ``pull`` writes and later stages read."""
        from themeloop.pipeline.artifacts import CODING_TABLE

        return CODING_TABLE.path(self.annotations_dir)

    @property
    def models_dir(self) -> Path:
        return _joined(self.root, self.config.paths.models)

    @property
    def out_dir(self) -> Path:
        return _joined(self.root, self.config.paths.out)

    @property
    def state_dir(self) -> Path:
        """Private working state (e.g. the local Label Studio) under ``.themeloop/``."""
        return self.root / ".themeloop"


def find_project(start: str | Path | None = None) -> Project:
    """Load the project whose ``themeloop.toml`` is at or above ``start``.

    ``start`` may be the project folder or the ``themeloop.toml`` itself.
    """
    if start is not None and not Path(start).exists():
        raise ConfigError(f"{start}: no such project folder or file; pass the folder holding {CONFIG_NAME}")
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        return Project(here.parent, read_config(here))
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return Project(folder, read_config(candidate))
    raise ConfigError(
        f"no {CONFIG_NAME} in {here} or above; run 'themeloop init SURVEY' or pass --project DIR"
    )
