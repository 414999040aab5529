"""Load the survey a project file points at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.config import Project
from themeloop.survey.model import Question, Survey, load_survey

if TYPE_CHECKING:
    from themeloop.privacy.project import PrivacyRun, Target


def load_project_survey(project: Project, *, pseudonymise: bool = True) -> Survey:
    """Read and validate the survey named in ``project``'s themeloop.toml.

    With ``[privacy] enabled = true`` the answers come back pseudonymised
    (:func:`pseudonymised`): every stage reads
    the survey here, so none shows or ships the original text. Only the privacy
    commands themselves pass ``pseudonymise=False``.
    """
    if not pseudonymise:
        return _read_project_survey(project)
    return load_private_survey(project)[0]


def load_private_survey(project: Project) -> tuple[Survey, PrivacyRun | None]:
    """The project's survey as every stage sees it, and what privacy found and did.

    With ``[privacy] enabled`` the answers are pseudonymised and the
    :class:`~themeloop.privacy.project.PrivacyRun` is returned beside them (for
    the run's findings and ledger events); otherwise it is None.
    """
    survey = _read_project_survey(project)
    if not project.config.privacy.enabled:
        return survey, None
    from themeloop.privacy.project import run_privacy

    run = run_privacy(project, survey)
    return pseudonymised(survey, run), run


def _read_project_survey(project: Project) -> Survey:
    cfg = project.config
    return load_survey(
        project.survey_path,
        id_column=cfg.survey.id,
        questions=[Question(q.id, q.column, q.prompt) for q in cfg.questions],
        attributes=cfg.survey.attributes,
        sheet=cfg.survey.sheet,
        encoding=cfg.survey.encoding,
    )


def pseudonymised(survey: Survey, run: PrivacyRun) -> Survey:
    """``survey`` with every detected span of its answers replaced by a pseudonym.

    ``run`` is :func:`themeloop.privacy.project.run_privacy`'s result for this
    survey. The survey file is not touched; the returned survey holds a new frame.
    """
    import pandas as pd

    from themeloop.survey.load import SurveyData

    frame = survey.frame.copy()
    by_column: dict[str, list[Target]] = {}
    for t in run.targets:
        if t.response_id in run.pseudonymised:
            by_column.setdefault(t.column, []).append(t)
    for column, cells in by_column.items():
        values = frame[column].astype(object).tolist()
        for t in cells:
            values[t.row] = run.pseudonymised[t.response_id]
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
    data = survey.data
    new = SurveyData(data.path, frame, encoding=data.encoding,
                     variable_labels=dict(data.variable_labels), value_labels=dict(data.value_labels))
    return Survey(new, survey.id_column, list(survey.questions), list(survey.attributes))

