"""The records of the privacy stage: entity types and detections."""

from __future__ import annotations

from dataclasses import dataclass

#: Every entity type themeloop detects, with the prefix of its pseudonym token.
ENTITIES: dict[str, str] = {
    "PERSON": "PERSON",
    "EMAIL": "EMAIL",
    "UK_PHONE": "PHONE",
    "UK_POSTCODE": "POSTCODE",
    "NHS_NUMBER": "NHS_NUMBER",
    "UK_NI_NUMBER": "NI_NUMBER",
    "SCHOOL": "SCHOOL",
    "GP_SURGERY": "GP_SURGERY",
    "STREET": "STREET",
    "LOCATION": "PLACE",
}

#: Overlapping detections: the entity with the lower number wins (validated
#: identifiers before context patterns before the statistical NER).
PRIORITY: dict[str, int] = {
    "EMAIL": 0, "NHS_NUMBER": 1, "UK_NI_NUMBER": 1, "UK_POSTCODE": 2, "UK_PHONE": 2,
    "GP_SURGERY": 3, "SCHOOL": 3, "STREET": 4, "PERSON": 5, "LOCATION": 6,
}

#: Recogniser name used for spans a person added in the review file.
REVIEWER = "reviewer"


@dataclass(frozen=True, order=True)
class Detection:
    """One span of personal data in one text: character offsets, never the text itself."""

    start: int
    end: int
    entity: str
    score: float
    recogniser: str

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "entity": self.entity,
                "score": round(self.score, 4), "recogniser": self.recogniser}

    @classmethod
    def from_dict(cls, data: dict) -> Detection:
        return cls(int(data["start"]), int(data["end"]), str(data["entity"]),
                   float(data["score"]), str(data["recogniser"]))
