"""Which answer does a source (or a selection in it) belong to?

In order, a source maps to:

1. the answer whose ``response_id`` is the source's name (how themeloop names
   sources; other tools keep names). Without a project, when every source's
   name is shaped ``<respondent>:<question>``, the names are response ids;
2. with a project, the one answer whose text (whitespace collapsed) equals the
   source's text;
3. with a project, several answers laid out as paragraphs (or lines) of the
   source: each paragraph that equals an answer's text is that answer, and a
   selection belongs to the answers it overlaps;
4. without a project, the source itself: its name is the unit
   (``question`` = the ``--question`` given, else ``all``).

With a project, a source that none of 1-3 places is unmapped: its selections
are counted and listed, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from themeloop.coding.table import DEFAULT_QUESTION

if TYPE_CHECKING:
    import pandas as pd

_RESPONSE_ID = re.compile(r"^(.+):([A-Za-z_][A-Za-z0-9_]*)$", re.DOTALL)


@dataclass(frozen=True)
class Span:
    """An answer inside a source: where its text is, in the source's positions."""

    response_id: str
    question: str
    start: int
    end: int


@dataclass
class SourceUnits:
    """How one source maps: ``spans`` (one per answer it holds) and by which rule."""

    method: str  # name | text | paragraphs | source | unmapped
    spans: list[Span] = field(default_factory=list)
    reason: str = ""

    @property
    def single(self) -> bool:
        return self.method in ("name", "text", "source")


def collapse(text: str) -> str:
    """Text compared for equality: whitespace runs (line endings included) as one space."""
    return " ".join(text.split())


class UnitResolver:
    """Maps sources to answers, with or without the project's responses table."""

    def __init__(self, responses: pd.DataFrame | None, question: str | None = None) -> None:
        self.responses = responses
        self.question = question
        self.questions: dict[str, str] = {}
        self.by_text: dict[str, list[str]] = {}
        self.names_are_ids = False
        if responses is not None:
            self.questions = dict(zip(responses["response_id"].astype(str),
                                      responses["question"].astype(str)))
            for rid, text in zip(responses["response_id"].astype(str), responses["text"]):
                key = collapse(str(text))
                if key:
                    self.by_text.setdefault(key, []).append(rid)

    def prepare(self, names: list[str]) -> None:
        """Without a project, take names as response ids only if all of them look like one."""
        self.names_are_ids = bool(names) and all(
            (m := _RESPONSE_ID.match(n.strip())) is not None
            and (self.question is None or m.group(2) == self.question) for n in names)

    def resolve(self, name: str, guid: str, text: str | None) -> SourceUnits:
        """The answers of the source named ``name`` holding ``text`` (None: unreadable)."""
        length = len(text) if text is not None else 0
        key = name.strip()
        if key in self.questions:
            return SourceUnits("name", [Span(key, self.questions[key], 0, length)])
        if self.responses is None:
            match = _RESPONSE_ID.match(key)
            if match and self.names_are_ids:
                return SourceUnits("name", [Span(key, match.group(2), 0, length)])
            unit = key or guid
            return SourceUnits("source", [Span(unit, self.question or DEFAULT_QUESTION, 0, length)])
        if text is None:
            return SourceUnits("unmapped", reason="its text cannot be read and its name is no "
                               "response id of the project")
        found = self.by_text.get(collapse(text), [])
        if len(found) == 1:
            return SourceUnits("text", [Span(found[0], self.questions[found[0]], 0, length)])
        if len(found) > 1:
            return SourceUnits("unmapped", reason=f"its text equals {len(found)} answers "
                               f"({', '.join(found[:3])}); name the source by its response id")
        spans = self._paragraphs(text)
        if spans:
            return SourceUnits("paragraphs", spans)
        return SourceUnits("unmapped", reason="its name is no response id of the project and "
                           "no answer's text is in it")

    def _paragraphs(self, text: str) -> list[Span]:
        """Answers that are whole paragraphs (or failing that, lines) of ``text``."""
        spans: list[Span] = []
        for start, end in _blocks(text, re.compile(r"(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)\s*")):
            rid = self._unique(text[start:end])
            if rid is not None:
                spans.append(Span(rid, self.questions[rid], start, end))
                continue
            for s, e in _blocks(text[start:end], re.compile(r"\r\n|\r|\n")):
                rid = self._unique(text[start + s:start + e])
                if rid is not None:
                    spans.append(Span(rid, self.questions[rid], start + s, start + e))
        return spans

    def _unique(self, chunk: str) -> str | None:
        found = self.by_text.get(collapse(chunk), [])
        return found[0] if len(found) == 1 else None


def _blocks(text: str, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of the non-blank pieces of ``text`` between separators, trimmed."""
    out = []
    position = 0
    for match in [*separator.finditer(text), None]:
        stop = match.start() if match is not None else len(text)
        piece = text[position:stop]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((position + lead, position + len(piece.rstrip())))
        if match is not None:
            position = match.end()
    return out


def covers(start: int, end: int, text: str, span_start: int, span_end: int) -> bool:
    """True when ``[start, end)`` covers every non-blank character of the span.

    A tool that counts CRLF as one character ends early by one per line break;
    that still counts as covering.
    """
    piece = text[span_start:span_end]
    lead = len(piece) - len(piece.lstrip())
    first, last = span_start + lead, span_start + len(piece.rstrip())
    if start <= first and end >= last:
        return True
    breaks = piece.count("\r\n")
    return bool(breaks) and start <= first and end >= last - breaks
