"""Stable GUIDs: uuid5 of the project name and what the GUID stands for.

Every element themeloop writes gets a GUID derived from the project's name and
the element's identity (a question and a code id, a response id, a coder...),
never a random one, so exporting the same project twice gives the same GUIDs
and another tool sees a re-export as the same codes, sources and users.
"""

from __future__ import annotations

import re
import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/themeloop/themeloop/qdpx")
_SEP = "\x1f"  # a separator no id contains, so ("a:b", "c") and ("a", "b:c") differ
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def make_guid(project: str, kind: str, *parts: str) -> str:
    """The GUID of element ``kind`` identified by ``parts`` in ``project``.

    Examples
    --------
    >>> make_guid("survey", "code", "barriers", "funding") == make_guid(
    ...     "survey", "code", "barriers", "funding")
    True
    >>> make_guid("survey", "code", "barriers", "funding") != make_guid(
    ...     "survey", "code", "radical", "funding")
    True
    """
    return str(uuid.uuid5(NAMESPACE, _SEP.join((project, kind, *parts))))


def code_guid(project: str, question: str, code_id: str) -> str:
    """The GUID of code ``code_id`` of ``question``: uuid5 of project + question + code id."""
    return make_guid(project, "code", question, code_id)


def normalise_guid(value: str | None) -> str | None:
    """A GUID in one spelling (lower case, no braces), or None when ``value`` is not one.

    Examples
    --------
    >>> normalise_guid("{D299EFAE-5779-46DC-9827-A3D1A5D544BC}")
    'd299efae-5779-46dc-9827-a3d1a5d544bc'
    >>> normalise_guid("not-a-guid") is None
    True
    """
    if value is None:
        return None
    match = _GUID.match(value.strip())
    return match.group(1).lower() if match else None
