"""Survey loading, validation and the long responses table."""

from themeloop.survey.load import EncodingFallbackWarning, SurveyData, read_survey_file
from themeloop.survey.model import RESPONSE_COLUMNS, Question, Survey, load_survey
from themeloop.survey.nonsubstantive import is_substantive, normalise
from themeloop.survey.project import load_project_survey

__all__ = [
    "RESPONSE_COLUMNS",
    "EncodingFallbackWarning",
    "Question",
    "Survey",
    "SurveyData",
    "is_substantive",
    "load_project_survey",
    "load_survey",
    "normalise",
    "read_survey_file",
]
