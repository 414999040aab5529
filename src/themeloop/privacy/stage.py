"""The privacy stage of ``themeloop run``: find personal data and pseudonymise the answers.

It runs right after ``load`` and before anything shows text. The run's survey
(:attr:`RunContext.survey`) is already pseudonymised when ``[privacy] enabled``;
this stage writes what was found, as offsets and never as text, so a reviewer
can check it. The key, the detection cache and the review file stay in
``.themeloop/privacy/`` (0600) and are never outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.pipeline.artifacts import PRIVACY_FINDINGS
from themeloop.pipeline.stage import StageResult

if TYPE_CHECKING:
    from themeloop.pipeline.context import RunContext


class PrivacyStage:
    """Find personal data in the answers and pseudonymise them ([privacy] enabled)."""

    name = "privacy"
    requires = ()
    produces = (PRIVACY_FINDINGS,)

    def run(self, ctx: RunContext) -> StageResult:
        if not ctx.project.config.privacy.enabled:
            return StageResult({}, [])
        from themeloop._io import write_text_atomic
        from themeloop.privacy.adhoc import findings_csv, scanned_of
        from themeloop.safe_csv import resolve_raw

        ctx.survey  # noqa: B018 - loading it pseudonymises the answers
        assert ctx.privacy is not None
        scanned = scanned_of(ctx.privacy)
        path = write_text_atomic(ctx.path(PRIVACY_FINDINGS),
                                 findings_csv(scanned, raw=resolve_raw(None, ctx.project)))
        ctx.record(PRIVACY_FINDINGS, path)
        note = (f"privacy: {scanned.n_detections} spans of personal data pseudonymised in "
                f"{sum(1 for f in scanned.found if f)} answers; see {PRIVACY_FINDINGS.name} "
                f"and 'themeloop privacy review'")
        return StageResult({PRIVACY_FINDINGS.key: path}, [note])
