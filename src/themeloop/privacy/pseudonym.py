"""Consistent pseudonyms: the same person or place gets the same token in every answer.

The :class:`Key` maps each pseudonym to its original. It lives in
``.themeloop/privacy/key.json`` (mode 0600) and is read only to assign tokens
and by ``themeloop privacy reveal TOKEN``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from pathlib import Path

from themeloop.errors import PrivacyError
from themeloop.privacy.model import ENTITIES, Detection
from themeloop.privacy.store import read_json, write_json_private

_COMPACT = {"UK_PHONE", "UK_POSTCODE", "NHS_NUMBER", "UK_NI_NUMBER", "EMAIL"}
TOKEN_RE = re.compile(r"\[([A-Z_]+)_(\d+)\]")

_FAKE_FIRST = ("Alex Jordan Sam Robin Casey Morgan Taylor Jamie Riley Charlie Avery Quinn Rowan "
               "Ellis Harper Reese Sasha Frankie Billie Dana Kit Remy Sidney Jules Marley").split()
_FAKE_LAST = ("Ashdown Bramley Carrow Dunmore Elderfield Fenwick Greaves Holloway Ingram Jessop "
              "Kirkland Lockwood Merriman Northcote Oakley Pendle Quarry Rainford Sherwood "
              "Thistle Underhill Vickery Wetherby Yardley").split()


def normalise(entity: str, original: str) -> str:
    """The form under which two mentions count as the same value.

    >>> normalise("UK_POSTCODE", "ls1 4ap") == normalise("UK_POSTCODE", "LS14AP")
    True
    >>> normalise("PERSON", "Sarah  Jones")
    'sarah jones'
    """
    text = " ".join(original.split()).casefold()
    if entity in _COMPACT:
        text = re.sub(r"[\s()+-]", "", text)
        if entity == "UK_PHONE":
            text = re.sub(r"^(?:0044|44)0?", "0", text)
    return text


class Key:
    """Pseudonym -> original, and the counters that make new tokens.

    Parameters
    ----------
    mode : ``"tokens"`` (``[PERSON_3]``) or ``"fake"`` (seeded fake names for
        people; tokens for everything else).
    seed : the seed of the fake names.
    """

    def __init__(self, mode: str = "tokens", seed: int = 42) -> None:
        self.mode = mode
        self.seed = seed
        self.entries: dict[str, dict[str, str]] = {}
        self._index: dict[tuple[str, str], str] = {}
        self.changed = False

    @classmethod
    def load(cls, path: Path, mode: str = "tokens", seed: int = 42) -> Key:
        data = read_json(path, None)
        key = cls(mode, seed)
        if data is None:
            return key
        if data.get("mode", mode) != mode:
            raise PrivacyError(
                f"{path}: pseudonyms were made in mode '{data.get('mode')}', not '{mode}'; "
                f"set [privacy] pseudonyms = \"{data.get('mode')}\" or move the key away to start again"
            )
        key.seed = int(data.get("seed", seed))
        for pseudonym, entry in data.get("pseudonyms", {}).items():
            key.entries[pseudonym] = entry
            key._index[(entry["entity"], normalise(entry["entity"], entry["original"]))] = pseudonym
        return key

    def save(self, path: Path) -> Path:
        self.changed = False
        return write_json_private(path, {"version": 1, "mode": self.mode, "seed": self.seed,
                                         "pseudonyms": self.entries})

    def pseudonym(self, entity: str, original: str) -> str:
        """The pseudonym of ``original``, made (and remembered) on first sight."""
        index = (entity, normalise(entity, original))
        found = self._index.get(index)
        if found is None:
            found = self._new(entity)
            self.entries[found] = {"entity": entity, "original": original}
            self._index[index] = found
            self.changed = True
        return found

    def _new(self, entity: str) -> str:
        prefix = ENTITIES.get(entity, entity)
        n = 1 + sum(1 for e in self.entries.values() if e["entity"] == entity)
        if self.mode == "fake" and entity == "PERSON":
            rng = random.Random(f"{self.seed}:{n}")
            for _ in range(1000):
                name = f"{rng.choice(_FAKE_FIRST)} {rng.choice(_FAKE_LAST)}"
                if name not in self.entries:
                    return name
        token = f"[{prefix}_{n}]"
        while token in self.entries:
            n += 1
            token = f"[{prefix}_{n}]"
        return token

    def reveal(self, pseudonym: str) -> dict[str, str]:
        """The entry of ``pseudonym``; :class:`PrivacyError` if it is not in the key."""
        entry = self.entries.get(pseudonym.strip())
        if entry is None:
            raise PrivacyError(f"no pseudonym '{pseudonym}' in the key; pseudonyms look like "
                               "[PERSON_1] (tokens) or are the fake names the key holds")
        return entry


def apply(text: str, detections: Sequence[Detection], key: Key) -> str:
    """``text`` with each detected span replaced by its pseudonym.

    Examples
    --------
    >>> key = Key()
    >>> d = [Detection(18, 29, "PERSON", 0.85, "spacy")]
    >>> apply("Our social worker Sarah Jones left.", d, key)
    'Our social worker [PERSON_1] left.'
    >>> apply("Thank you, sarah jones!", [Detection(11, 22, "PERSON", 0.8, "x")], key)
    'Thank you, [PERSON_1]!'
    """
    spans, pos = [], 0
    for d in sorted(detections):
        if d.start >= pos:  # overlaps were resolved at detection; never nest replacements
            spans.append(d)
            pos = d.end
    if not spans:
        return text
    for d in spans:  # number new pseudonyms in reading order (Presidio works from the end)
        key.pseudonym(d.entity, text[d.start:d.end])
    from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

    operators = {
        entity: OperatorConfig("custom", {"lambda": _pseudonym_of(key, entity)})
        for entity in {d.entity for d in spans}
    }
    results = [RecognizerResult(d.entity, d.start, d.end, d.score) for d in spans]
    return _anonymizer().anonymize(text=text, analyzer_results=results, operators=operators).text


def _pseudonym_of(key: Key, entity: str):  # -> Callable[[str], str]
    return lambda original: key.pseudonym(entity, original)


_ENGINE: list = []


def _anonymizer():  # -> presidio_anonymizer.AnonymizerEngine
    """Presidio's anonymizer, made once: it replaces the spans through our custom operator."""
    if not _ENGINE:
        from presidio_anonymizer import AnonymizerEngine

        _ENGINE.append(AnonymizerEngine())
    return _ENGINE[0]
