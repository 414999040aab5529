"""The stages of ``themeloop run``, in order: the one place a stage is registered.

To add a stage, write its package (``src/themeloop/<stage>/``) with a
``stage.py`` whose class satisfies :class:`~themeloop.pipeline.stage.Stage`,
define the files it writes in :mod:`themeloop.pipeline.artifacts`, and add one
instance to :data:`STAGES` below, where it belongs in the loop.
"""

from __future__ import annotations

from themeloop.adjudicate.stage import AdjudicateStage
from themeloop.agreement.stage import AgreementStage
from themeloop.audit.stage import LedgerStage
from themeloop.autocode.stage import AutocodeStage
from themeloop.errors import ConfigError, did_you_mean
from themeloop.merge.stage import CrosstabStage, MergeStage
from themeloop.pipeline.stage import Stage
from themeloop.privacy.stage import PrivacyStage
from themeloop.qdpx.stage import QdpxStage
from themeloop.report.stage import ReportStage
from themeloop.studio.stage import AnnotationsStage
from themeloop.survey.stage import LoadStage
from themeloop.themes.stage import ThemesStage

STAGES: tuple[Stage, ...] = (
    LoadStage(),
    PrivacyStage(),
    ThemesStage(),
    AnnotationsStage(),
    AgreementStage(),
    AdjudicateStage(),
    AutocodeStage(),
    MergeStage(),
    CrosstabStage(),
    QdpxStage(),
    LedgerStage(),
    ReportStage(),
)


def stage_names() -> list[str]:
    """The names of the stages, in run order."""
    return [stage.name for stage in STAGES]


def get_stage(name: str, option: str = "STAGE") -> Stage:
    """The stage called ``name``.

    Raises
    ------
    ConfigError
        For an unknown name (with a did-you-mean and the list of stages).
    """
    for stage in STAGES:
        if stage.name == name:
            return stage
    names = stage_names()
    raise ConfigError(f"{option}: unknown stage '{name}'{did_you_mean(name, names)}; "
                      f"stages are: {', '.join(names)}")


def select(from_stage: str | None = None, only: str | None = None) -> tuple[Stage, ...]:
    """The stages a run executes: all, those from ``from_stage`` on, or ``only`` one.

    Raises
    ------
    ConfigError
        For an unknown stage, or when both are given.
    """
    if from_stage is not None and only is not None:
        raise ConfigError("--from and --only do not go together; give one of them")
    if only is not None:
        return (get_stage(only, "--only"),)
    if from_stage is not None:
        start = STAGES.index(get_stage(from_stage, "--from"))
        return STAGES[start:]
    return STAGES
