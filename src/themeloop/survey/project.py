"""Load the survey a project file points at."""

from __future__ import annotations

from themeloop.config import Project
from themeloop.survey.model import Question, Survey, load_survey


def load_project_survey(project: Project) -> Survey:
    """Read and validate the survey named in ``project``'s themeloop.toml."""
    cfg = project.config
    return load_survey(
        project.survey_path,
        id_column=cfg.survey.id,
        questions=[Question(q.id, q.column, q.prompt) for q in cfg.questions],
        attributes=cfg.survey.attributes,
        sheet=cfg.survey.sheet,
        encoding=cfg.survey.encoding,
    )
