"""Typed records of proposed themes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class SeedCode:
    """A deductive code to look for: answers close to its text get this code."""

    id: str
    label: str
    description: str = ""

    @property
    def text(self) -> str:
        """What is embedded for the seed: its label and description."""
        return f"{self.label}. {self.description}".strip(". ") if self.description else self.label


@dataclass(frozen=True)
class Quote:
    response_id: str
    text: str


@dataclass(frozen=True)
class Theme:
    """One proposed theme of one question."""

    id: str
    label: str
    keywords: list[str]
    size: int
    share: float
    seeded: bool
    quotes: list[Quote]
    description: str = ""
    # Multi-label: ``size`` answers carry the theme, ``n_primary`` of them as their main one.
    n_primary: int | None = None
    # Mean best-match Jaccard of the theme's answers over resampled refits (None: not computed).
    stability: float | None = None
    parent: str | None = None  # a parent theme's id (themes.hierarchy), above ~20 themes

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class QuestionThemes:
    """Themes and assignments of one question."""

    question: str
    strategy: str
    n_responses: int
    n_substantive: int
    non_substantive: list[str]
    themes: list[Theme]
    response_ids: list[str]
    theme_ids: list[str]
    scores: list[float | None]
    note: str = ""
    params: dict = field(default_factory=dict)
    # Per answer (parallel to ``response_ids``): its other themes, best first, as
    # (theme id, score); ``theme_ids``/``scores`` hold its primary theme.
    secondary: list[list[tuple[str, float]]] = field(default_factory=list)
    n_segments: int | None = None
    stability_runs: int = 0
    # Theme-set checks (themes.checks): the rules that fired, and the two reserved themes.
    checks: list = field(default_factory=list)
    other: Theme | None = None
    no_answer: Theme | None = None
    parents: list = field(default_factory=list)  # themes.hierarchy.Parent, above ~20 themes
    notes: list[str] = field(default_factory=list)
    max_themes: int | None = None

    @property
    def n_unassigned(self) -> int:
        """Substantive answers that got no theme."""
        skip = set(self.non_substantive)
        return sum(
            1 for rid, t in zip(self.response_ids, self.theme_ids)
            if t == UNASSIGNED and rid not in skip
        )

    def to_json(self) -> dict:
        return {
            "strategy": self.strategy,
            "n_responses": self.n_responses,
            "n_substantive": self.n_substantive,
            "non_substantive": list(self.non_substantive),
            "n_unassigned": self.n_unassigned,
            "multi_label": self.n_segments is not None,
            "n_segments": self.n_segments,
            "n_multi_theme": sum(1 for extra in self.secondary if extra),
            "stability_runs": self.stability_runs,
            "note": self.note,
            "max_themes": self.max_themes,
            "notes": list(self.notes),
            "themes": [t.to_json() for t in self.themes],
            "other": self.other.to_json() if self.other else None,
            "no_answer": self.no_answer.to_json() if self.no_answer else None,
            "parents": [p.to_json() for p in self.parents],
            "checks": [c.to_json() for c in self.checks],
        }


@dataclass
class ThemesResult:
    """Everything ``themeloop themes`` proposes, for every question."""

    seed: int
    model: dict
    questions: dict[str, QuestionThemes]
    run_id: str = ""

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "seed": self.seed,
            "model": {"id": self.model.get("id"), "precision": self.model.get("precision"),
                      "runtime": self.model.get("runtime")},
            "questions": {q: r.to_json() for q, r in self.questions.items()},
        }
