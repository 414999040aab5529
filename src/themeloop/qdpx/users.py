"""Coders as REFI-QDA Users: one per (coder, source), clearly named.

A User's ``id`` attribute is ``<source>:<coder>`` (``human:amira@x.org``,
``adjudication:consensus``, ``model:model``) so an import can tell a coder's
own codes from their adjudications; its ``name`` is what other tools show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from themeloop.qdpx.guids import make_guid

CONSENSUS = "consensus"
MODEL = "model"
_ID = re.compile(r"^(human|model|adjudication):(.+)$", re.DOTALL)
_SOURCE_ORDER = {"human": 0, "adjudication": 1, "model": 2}


@dataclass(frozen=True)
class User:
    coder: str
    source: str  # human | adjudication | model

    @property
    def id(self) -> str:
        return f"{self.source}:{self.coder}"

    @property
    def name(self) -> str:
        """The name other tools show."""
        if self.source == "adjudication":
            return "Consensus (adjudicated codes)" if self.coder == CONSENSUS else (
                f"{self.coder} (adjudicator)")
        if self.source == "model":
            return "Model (themes proposed by themeloop)" if self.coder == MODEL else (
                f"{self.coder} (model)")
        return self.coder

    def guid(self, project: str) -> str:
        return make_guid(project, "user", self.source, self.coder)

    @property
    def order(self) -> tuple[int, str]:
        return _SOURCE_ORDER.get(self.source, 3), self.coder


def user_from_xml(guid: str, name: str | None, id_: str | None) -> User:
    """The coder and source of a ``<User>`` themeloop or another tool wrote.

    Examples
    --------
    >>> user_from_xml("g", "Consensus (adjudicated codes)", "adjudication:consensus")
    User(coder='consensus', source='adjudication')
    >>> user_from_xml("g", "Friedrich Markgraf", None)
    User(coder='Friedrich Markgraf', source='human')
    """
    match = _ID.match(id_ or "")
    if match:
        return User(match.group(2), match.group(1))
    for value in (name, id_):
        if value and value.strip():
            return User(value.strip(), "human")
    return User(guid, "human")
