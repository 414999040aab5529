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
            "max_themes": self.max_themes,
            "notes": list(self.notes),
            "themes": [t.to_json() for t in self.themes],
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
