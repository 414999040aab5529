"""Render :class:`ReportData` to one self-contained HTML page.

Jinja2 runs with ``autoescape=True`` for every template, so answers, labels,
memos and e-mail addresses can never become markup. The only unescaped text is
the package's own stylesheet. The page loads nothing: no scripts, fonts or
images, and its Content-Security-Policy forbids the browser to fetch anything.
The same data always gives the same bytes (no clock time, stable order).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from markupsafe import Markup

from themeloop.report.model import ReportData


def _px(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros (stable, compact)."""
    text = f"{float(value):.1f}"
    return text.removesuffix(".0")


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = resources.files("themeloop.report") / "templates"
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["px"] = _px
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The report's CSS, shipped in ``themeloop/report/static/report.css``."""
    return (resources.files("themeloop.report") / "static" / "report.css").read_text("utf-8")


def render_report(data: ReportData) -> str:
    """The report as one HTML document (a string).

    Examples
    --------
    >>> from themeloop.report.model import Overview, ReportData
    >>> o = Overview("T <1>", "s.csv", 0, [], [], [], None, None, 5, None, [], [])
    >>> html = render_report(ReportData(o, []))
    >>> "<title>T &lt;1&gt;</title>" in html
    True
    """
    template = _environment().get_template("report.html.j2")
    return template.render(data=data, css=Markup(stylesheet()))
