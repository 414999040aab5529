"""Load the survey a project file points at."""

from __future__ import annotations

from themeloop.config import Project
from themeloop.survey.model import Question, Survey, load_survey


def load_project_survey(project: Project, *, pseudonymise: bool = True) -> Survey:
    """Read and validate the survey named in ``project``'s themeloop.toml.

    With ``[privacy] enabled = true`` the answers come back pseudonymised
    (:func:`themeloop.privacy.project.pseudonymise_survey`): every stage reads
    the survey here, so none shows or ships the original text. Only the privacy
    commands themselves pass ``pseudonymise=False``.
    """
    cfg = project.config
    survey = load_survey(
        project.survey_path,
        id_column=cfg.survey.id,
        questions=[Question(q.id, q.column, q.prompt) for q in cfg.questions],
        attributes=cfg.survey.attributes,
        sheet=cfg.survey.sheet,
        encoding=cfg.survey.encoding,
    )
    if pseudonymise and cfg.privacy.enabled:
        from themeloop.privacy.project import pseudonymise_survey

        survey = pseudonymise_survey(project, survey)
    return survey
