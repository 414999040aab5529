"""Theme proposal per question: size-aware clustering, c-TF-IDF keywords, quality rules.

:func:`propose_themes` runs a :class:`ThemeProposer` on each question of a
responses table; :mod:`themeloop.themes.io` writes themes.json,
assignments.csv and a draft codebook.yaml.
"""

from themeloop.themes.model import UNASSIGNED, QuestionThemes, Quote, SeedCode, Theme, ThemesResult
from themeloop.themes.propose import propose_themes
from themeloop.themes.proposer import ThemeProposer

__all__ = [
    "UNASSIGNED", "QuestionThemes", "Quote", "SeedCode", "Theme", "ThemeProposer", "ThemesResult",
    "propose_themes",
]
