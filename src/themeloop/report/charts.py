"""Chart geometry for the report: numbers in, positioned marks out.

The functions here lay out bars and intervals in SVG user units and return
dataclasses from :mod:`.model`; ``templates/_charts.j2`` draws them, so every
label passes through Jinja's autoescape like any other user text.
Colours are the Okabe-Ito palette, which stays distinguishable under the common
forms of colour blindness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from themeloop.report.model import (
    Bar,
    BarChart,
    Interval,
    IntervalChart,
    LegendItem,
    LineChart,
    LinePoint,
    LineSeries,
    RowLabel,
    Tick,
)

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH = 960.0
CHAR_W = 6.4  # average glyph width at the chart's 12px font, for label room
LABEL_MAX = 44


@dataclass(frozen=True)
class Cell:
    """One bar's value: ``count`` of ``base``; ``suppressed`` hides both (disclosure control)."""

    count: int
    base: int
    suppressed: bool = False

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.base if self.base else 0.0


def short(label: str, limit: int = LABEL_MAX) -> str:
    """Cut a label to ``limit`` characters with an ellipsis (the full text goes in a tooltip)."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


def _legend(series: list[str], top: float) -> tuple[list[LegendItem], float]:
    items: list[LegendItem] = []
    x, y = 16.0, top
    for i, name in enumerate(series):
        text = short(name, 30)
        room = 22 + CHAR_W * len(text) + 18
        if x + room > WIDTH - 16 and items:
            x, y = 16.0, y + 20
        items.append(LegendItem(x, y, PALETTE[i % len(PALETTE)], text))
        x += room
    return items, (y + 24 if series else top)


def _percent_ticks(left: float, right: float) -> list[Tick]:
    return [Tick(left + (right - left) * p / 100, f"{p}%") for p in (0, 25, 50, 75, 100)]


def bar_chart(
    title: str,
    rows: list[str],
    series: list[str],
    cells: list[list[Cell]],
    *,
    x_label: str,
    threshold: int = 0,
    note: str = "",
) -> BarChart:
    """Lay out a horizontal grouped bar chart of percentages.

    Parameters
    ----------
    rows : one label per group of bars (codes).
    series : one label per bar within a group (attribute values); one series
        draws a plain chart with no legend.
    cells : ``cells[i][j]`` is row ``i``, series ``j``.
    threshold : the suppression threshold, for the label of suppressed cells
        (``<threshold``): they get no bar and no count.
    """
    legend, top = _legend(series if len(series) > 1 else [], 40.0)
    label_room = max((len(short(r)) for r in rows), default=4)
    left = min(16 + CHAR_W * label_room + 12, 330.0)
    right = WIDTH - 96
    bar_h = 14.0 if len(series) > 1 else 18.0
    gap = 12.0
    bars: list[Bar] = []
    labels: list[RowLabel] = []
    y = top + 8
    for i, row in enumerate(rows):
        if len(series) > 1 and all(cell.suppressed for cell in cells[i]):
            # one line instead of a column of "<N": the row says the same for every group
            labels.append(RowLabel(y + bar_h / 2, short(row)))
            text = f"<{threshold} in every group" if threshold > 0 else "suppressed"
            bars.append(Bar(left, y + 1, 0.0, bar_h - 2, "#767676", text, left + 8, True,
                            f"{row}: {text} (suppressed to protect respondents)"))
            y += bar_h + gap
            continue
        group_h = bar_h * max(len(series), 1)
        labels.append(RowLabel(y + group_h / 2, short(row)))
        for j, cell in enumerate(cells[i]):
            colour = PALETTE[j % len(PALETTE)] if len(series) > 1 else PALETTE[0]
            bars.append(_bar(cell, left, right, y + j * bar_h, bar_h, colour, threshold,
                             f"{row} | {series[j]}" if len(series) > 1 else row))
        y += group_h + gap
    bottom = y - gap + 8
    return BarChart(
        title=title, width=WIDTH, height=bottom + 48, plot_left=left, plot_right=right,
        plot_top=top, plot_bottom=bottom, x_label=x_label, ticks=_percent_ticks(left, right),
        rows=labels, bars=bars, legend=legend, note=note,
    )


def _bar(cell: Cell, left: float, right: float, y: float, h: float, colour: str,
         threshold: int, name: str) -> Bar:
    if cell.suppressed:
        text = f"<{threshold}" if threshold > 0 else "suppressed"
        return Bar(left, y + 1, 0.0, h - 2, colour, text, left + 8, True,
                   f"{name}: {text} (suppressed to protect respondents)")
    width = (right - left) * cell.percent / 100
    text = f"{cell.percent:.0f}% ({cell.count}/{cell.base})"
    return Bar(left, y + 1, width, h - 2, colour, text, left + width + 4, False,
               f"{name}: {text}")


Estimate = tuple[float | None, float | None, float | None]


def interval_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[Estimate]]],
    *,
    x_label: str,
    series: list[str] | None = None,
    references: tuple[tuple[float, str], ...] = ((0.667, "0.667"), (0.8, "0.8")),
) -> IntervalChart:
    """Lay out estimates with confidence intervals, one row per code.

    ``rows`` holds ``(label, [(estimate, low, high), ...])`` with one estimate
    per series (``None`` where undefined). With one unnamed series, dots are
    coloured by their reading (reliable, tentative, unreliable); with named
    ``series``, by series, with a legend. The axis runs from the lowest value
    (at least down to 0) to 1.
    """
    values = [v for _, marks in rows for m in marks for v in m[:2] if _finite(v)]
    domain_low = math.floor(max(-1.0, min([0.0, *values])) * 4) / 4
    legend, top = _legend(series or [], 40.0)
    top += 14  # room for the reference-line labels
    label_room = max((len(short(r[0])) for r in rows), default=4)
    left = min(16 + CHAR_W * label_room + 12, 330.0)
    right = WIDTH - 90
    n = max(len(series or []), 1)
    step = 14.0 + 12.0 * n

    def pos(v: float) -> float:
        v = min(1.0, max(domain_low, v))
        return left + (right - left) * (v - domain_low) / (1.0 - domain_low)

    tick_step = 0.25 if 1.0 - domain_low <= 1.25 else 0.5
    n_ticks = round((1.0 - domain_low) / tick_step)
    ticks = [Tick(pos(domain_low + k * tick_step), f"{domain_low + k * tick_step:g}")
             for k in range(n_ticks + 1)]
    labels, marks = [], []
    for i, (label, estimates) in enumerate(rows):
        centre = top + 14 + i * step
        labels.append(RowLabel(centre, short(label)))
        for j, (raw, lo, hi) in enumerate(estimates):
            y = centre + (j - (n - 1) / 2) * 12
            est = raw if _finite(raw) else None
            colour = PALETTE[j % len(PALETTE)] if series else _reading_colour(est)
            marks.append(Interval(
                y=y, label=f"{label}" + (f" ({series[j]})" if series else ""),
                x=pos(est) if est is not None else None,
                x_low=pos(lo) if est is not None and _finite(lo) else None,
                x_high=pos(hi) if est is not None and _finite(hi) else None,
                value_label=f"{est:.2f}" if est is not None else "n/a", colour=colour,
            ))
    bottom = top + 14 + max(len(rows) - 1, 0) * step + 6 * n + 8
    return IntervalChart(
        title=title, width=WIDTH, height=bottom + 48, plot_left=left, plot_right=right,
        plot_top=top, plot_bottom=bottom, x_label=x_label, ticks=ticks,
        references=[Tick(pos(v), text) for v, text in references if v >= domain_low],
        rows=labels, marks=marks, legend=legend, value_x=right + 12,
    )


def _finite(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _reading_colour(alpha: float | None) -> str:
    if alpha is None:
        return "#767676"
    if alpha >= 0.8:
        return PALETTE[0]
    if alpha >= 0.667:
        return PALETTE[1]
    return PALETTE[5]


def line_chart(
    title: str,
    series: Sequence[tuple[str, Sequence[tuple[float, float | None]]]],
    *,
    x_label: str,
    y_label: str,
    references: Sequence[tuple[float, str]] = (),
) -> LineChart:
    """Lay out lines of ``(x, y)`` points on axes from 0 (or the lowest value) to 1.

    ``series`` holds ``(name, [(x, y), ...])``; a ``None`` y is left out.
    ``references`` are horizontal dashed lines (e.g. the floor of 0.667 and
    the coders' own agreement), each with its label. The x axis runs from 0 to
    the largest x.
    """
    points = [(x, y) for _, pts in series for x, y in pts if _finite(y)]
    low = math.floor(min([0.0, *(y for _, y in points), *(v for v, _ in references)]) * 4) / 4
    low = max(low, -1.0)
    x_max = max([1.0, *(float(x) for x, _ in points)])
    legend, top = _legend([name for name, _ in series], 40.0)
    left, right = 64.0, WIDTH - 150
    bottom = top + 240.0

    def px(x: float) -> float:
        return left + (right - left) * float(x) / x_max

    def py(y: float) -> float:
        return bottom - (bottom - top) * (min(1.0, max(low, y)) - low) / (1.0 - low)

    step = 0.25 if 1.0 - low <= 1.25 else 0.5
    y_ticks = [RowLabel(py(low + k * step), f"{low + k * step:g}")
               for k in range(round((1.0 - low) / step) + 1)]
    x_ticks = [Tick(px(v), f"{v:,.0f}") for v in _nice_ticks(x_max)]
    lines = []
    for i, (name, pts) in enumerate(series):
        kept = sorted((float(x), float(y)) for x, y in pts if _finite(y))
        lines.append(LineSeries(name, PALETTE[i % len(PALETTE)], [
            LinePoint(px(x), py(y), f"{name}: {y:.2f} with {x:,.0f} coded answers")
            for x, y in kept]))
    return LineChart(
        title=title, width=WIDTH, height=bottom + 48, plot_left=left, plot_right=right,
        plot_top=top, plot_bottom=bottom, x_label=x_label, y_label=y_label, x_ticks=x_ticks,
        y_ticks=y_ticks, references=[RowLabel(py(v), text) for v, text in references
                                     if _finite(v)],
        series=lines, legend=legend,
    )


def _nice_ticks(top: float) -> list[float]:
    """0 and about five round steps up to ``top``.

    >>> _nice_ticks(1000)
    [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
    """
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    return [k * step for k in range(int(top // step) + 1)]
