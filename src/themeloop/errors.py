"""One catalogue of themeloop's exceptions.

Every error a user can cause is a :class:`ThemeloopError`. Its message is one
line that names the file, row, column or argument, the value received and what
to do. The CLI prints it as ``Error: <message>`` and exits with
:attr:`ThemeloopError.exit_code` (2: the user's mistake). Anything else is a bug
and exits with 1.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


class ThemeloopError(Exception):
    """Base class: a problem the user can fix."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ThemeloopError):
    """themeloop.toml or a command-line option is invalid."""


class SurveyError(ThemeloopError):
    """The survey file cannot be read or fails validation."""


class EmbedError(ThemeloopError):
    """The embedding model cannot be loaded or used."""


class ComputeError(ThemeloopError):
    """A compute backend cannot be set up or reached, or its workers failed."""


class ThemesError(ThemeloopError):
    """Theme proposal cannot run on this input."""


class CodebookError(ThemeloopError):
    """codebook.yaml is invalid or inconsistent."""


class StudioError(ThemeloopError):
    """Label Studio is unreachable, refuses us, or is out of step."""


class CodingTableError(ThemeloopError):
    """A coding table is malformed or missing."""

    @classmethod
    def missing(cls, path: object) -> CodingTableError:
        """The one message for a project without a coding table, wherever one is needed."""
        return cls(f"{path}: no coding table; code the answers in Label Studio and run "
                   "'themeloop pull'")


class AgreementError(ThemeloopError):
    """Agreement cannot be computed on this input."""


class AdjudicationError(ThemeloopError):
    """Adjudication cannot be carried out."""


class MergeError(ThemeloopError):
    """Agreed codes cannot be merged into the survey."""


class AuditError(ThemeloopError):
    """The audit ledger or a manifest is invalid."""


class ReportError(ThemeloopError):
    """The report cannot be built."""


class QdpxError(ThemeloopError):
    """A REFI-QDA file (.qdpx / .qdc) cannot be written or read safely."""


class AutocodeError(ThemeloopError):
    """The autocoder cannot be fitted, loaded or applied to this input."""


class InputWarning(UserWarning, ThemeloopError):
    """Input was read, but perhaps not as its author meant; an error under ``--strict``.

    The library only warns (``warnings.warn(message, SomeInputWarning)``); the
    CLI shows ``Warning: <message>``. A command's ``--strict`` turns these
    warnings into errors, and being a :class:`ThemeloopError` the raised
    warning then exits 2 with its message as one line.
    """

    def __init__(self, message: str) -> None:
        ThemeloopError.__init__(self, str(message))


class CodeVariantWarning(InputWarning):
    """Two codes of a question differ only in case or spacing ('Funding' / 'funding')."""


class SpreadsheetCellWarning(InputWarning):
    """An XLSX cell was read as blank: part of a merged range, or a formula without a value."""


_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]")


def printable(text: str) -> str:
    r"""``text`` with control characters escaped, safe to show on one terminal line.

    Examples
    --------
    >>> printable("a\x00b\nc\u2028")
    'a\\x00b\\nc\\u2028'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class PipelineError(ThemeloopError):
    """A stage of ``themeloop run`` cannot start: what it needs is missing."""


class InternalError(ThemeloopError):
    """One of themeloop's own checks failed: a bug, not the user's mistake (exit 1)."""

    exit_code = 1


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest choice, or ``""``.

    Examples
    --------
    >>> did_you_mean("org_tpye", ["org_type", "id"])
    " (did you mean 'org_type'?)"
    >>> did_you_mean("zzz", ["org_type"])
    ''
    """
    originals = {str(c).casefold(): str(c) for c in choices}
    close = difflib.get_close_matches(str(value).casefold(), list(originals), n=1, cutoff=0.6)
    return f" (did you mean '{originals[close[0]]}'?)" if close else ""


class PrivacyError(ThemeloopError):
    """Personal data cannot be detected or pseudonymised as asked."""
