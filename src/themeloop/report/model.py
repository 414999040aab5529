"""The report's data: plain frozen dataclasses, built by :mod:`.build`, rendered by :mod:`.render`.

Nothing here knows about HTML. Every string is user or project text and is
escaped by the template; charts are geometry (numbers, labels, colours) that a
template macro turns into inline SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quote:
    """An answer quoted as an exemplar, with its stable response id."""

    response_id: str
    text: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar; ``value_label`` is what is printed beside it (``"<5"`` when suppressed)."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    value_label: str
    label_x: float
    suppressed: bool
    title: str


@dataclass(frozen=True)
class RowLabel:
    y: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    colour: str
    label: str


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart laid out in SVG user units."""

    title: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_label: str
    ticks: list[Tick]
    rows: list[RowLabel]
    bars: list[Bar]
    legend: list[LegendItem]
    note: str = ""


@dataclass(frozen=True)
class Interval:
    """One code's estimate and confidence interval in a dot-and-whisker chart."""

    y: float
    label: str
    x: float | None
    x_low: float | None
    x_high: float | None
    value_label: str
    colour: str


@dataclass(frozen=True)
class IntervalChart:
    """Dots (with optional whiskers) on an agreement axis; one or more series per row."""

    title: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_label: str
    ticks: list[Tick]
    references: list[Tick]
    rows: list[RowLabel]
    marks: list[Interval]
    legend: list[LegendItem]
    value_x: float


@dataclass(frozen=True)
class ThemeRow:
    id: str
    label: str
    keywords: list[str]
    size: int
    share: float
    seeded: bool
    quotes: list[Quote]
    description: str = ""
    n_primary: int | None = None  # answers whose main theme this is (multi-label)
    stability: float | None = None
    stability_reading: str = ""
    parent: str | None = None


@dataclass(frozen=True)
class ThemeCheck:
    """A theme-set rule that fired (themes.json ``checks``)."""

    rule: str
    themes: list[str]
    detail: str


@dataclass(frozen=True)
class ParentTheme:
    """A parent theme and its children, for the report's tree."""

    id: str
    label: str
    description: str
    size: int
    children: list[ThemeRow]


@dataclass(frozen=True)
class ThemeSummary:
    """Machine-proposed themes for one question (themes.json)."""

    strategy: str
    n_responses: int
    n_substantive: int
    n_non_substantive: int
    n_unassigned: int
    themes: list[ThemeRow]
    multi_label: bool = False
    n_segments: int | None = None
    n_multi_theme: int = 0  # answers carrying two themes or more
    stability_runs: int = 0
    note: str = ""
    checks: list[ThemeCheck] = field(default_factory=list)
    parents: list[ParentTheme] = field(default_factory=list)


@dataclass(frozen=True)
class CodeRow:
    """An agreed code's count among the coded answers of a question."""

    id: str
    label: str
    description: str
    parent: str | None
    count: int
    percent: float
    in_codebook: bool
    exemplars: list[Quote]


@dataclass(frozen=True)
class Metric:
    name: str
    value: str


@dataclass(frozen=True)
class AgreementRow:
    code: str
    label: str
    n_units: int | None
    prevalence: str
    percent_agreement: str
    alpha: str
    ci: str
    kappa: str
    ac1: str
    reading: str
    warnings: list[str]
    se: str = "n/a"     # analytic SE of alpha (Gwet), beside the bootstrap interval
    band: str = ""      # e.g. "substantial (p = 0.82) on Landis-Koch"


@dataclass(frozen=True)
class CoefficientRow:
    """One chance-corrected coefficient with its analytic uncertainty and benchmark band."""

    name: str
    estimate: str
    se: str
    ci: str
    p_value: str
    pa: str
    pe: str
    band: str


@dataclass(frozen=True)
class ConsensusRow:
    coder: str
    n_units: int
    kappa: str
    agreement: str
    weakest: str


@dataclass(frozen=True)
class PrevalenceCell:
    value: str
    difference: str
    flag: bool


@dataclass(frozen=True)
class CoderRow:
    """One coder's figures across columns (codes or batches)."""

    coder: str
    cells: list[PrevalenceCell]


@dataclass(frozen=True)
class DriftRow:
    batch: int
    period: str
    n_units: int
    agreement: str
    alpha: str


@dataclass(frozen=True)
class CoderDiagnostics:
    """Per-coder diagnostics of one question: matrix, consensus, prevalence bias, drift."""

    coders: list[str]
    pairwise: list[list[str]]
    consensus: list[ConsensusRow]
    codes: list[str]
    prevalence: list[CoderRow]
    drift: list[DriftRow]
    drift_by_coder: list[CoderRow]
    findings: list[str]


@dataclass(frozen=True)
class AgreementSection:
    """Agreement for one question, between human coders or model and humans."""

    n_units: int | None
    coders: list[str]
    overall: list[Metric]
    rows: list[AgreementRow]
    chart: IntervalChart | None
    warnings: list[str]
    reading: str
    coefficients: list[CoefficientRow] = field(default_factory=list)
    coefficients_note: str = ""
    diagnostics: CoderDiagnostics | None = None


@dataclass(frozen=True)
class Comparison:
    """One figure for human-human pairs beside the same figure for model-human pairs."""

    name: str
    code: str
    human: str
    model: str
    gap: str


@dataclass(frozen=True)
class ModelAgreementSection:
    """How well the model's suggestions agree with coders, beside coders with each other."""

    model_coders: list[str]
    human_coders: list[str]
    pairs: str
    summary: list[Comparison]
    per_code: list[Comparison]
    chart: IntervalChart | None
    reading: str
    model_only: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class LineSeries:
    """One line of a :class:`LineChart`: its points, in x order, and its colour."""

    label: str
    colour: str
    points: list[LinePoint]


@dataclass(frozen=True)
class LineChart:
    """Lines over a numeric x axis (e.g. agreement against the number of coded answers)."""

    title: str
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    x_label: str
    y_label: str
    x_ticks: list[Tick]
    y_ticks: list[RowLabel]
    references: list[RowLabel]
    series: list[LineSeries]
    legend: list[LegendItem]


@dataclass(frozen=True)
class ModelCodeRow:
    """One code's model-vs-human agreement beside the coders' own, and whether it is automatic."""

    code: str
    label: str
    human_alpha: str
    model_alpha: str
    model_ci: str
    kappa: str
    ac1: str
    precision: str
    recall: str
    f1: str
    threshold: str
    n_pos: str
    human_only: bool
    reason: str


@dataclass(frozen=True)
class ReviewItem:
    """A model-coded answer flagged for review, with the model's codes and scores."""

    response_id: str
    reason: str
    codes: str
    text: str


@dataclass(frozen=True)
class BiasRow:
    """One group whose model coding rate differs from the human rate (model_bias.json)."""

    attribute: str
    group: str
    code: str
    n: str
    human_rate: str
    model_rate: str
    diff: str
    p_holm: str
    direction: str


@dataclass(frozen=True)
class AutocodeSection:
    """The autocoder on one question: agreement with people, curve, human-only codes, review, bias."""

    model_id: str
    mode: str
    floor: str
    n_coded: int | None
    n_model_coded: int | None
    n_review: int | None
    summary: list[Comparison]
    per_code: list[ModelCodeRow]
    chart: IntervalChart | None
    curve: LineChart | None
    by_coder: list[Metric]
    human_only: list[Metric]
    review: list[ReviewItem]
    bias: list[BiasRow]
    bias_warnings: list[str]
    bias_method: str
    reading: str


@dataclass(frozen=True)
class Decision:
    """One disagreement and how adjudication resolved it."""

    response_id: str
    code: str
    label: str
    votes: str
    outcome: str
    rule: str
    text: str


@dataclass(frozen=True)
class Disagreement:
    """One answer the coders disagreed on, with each contested code's resolution."""

    response_id: str
    text: str
    items: list[Decision]
    memos: list[Metric] = field(default_factory=list)


@dataclass(frozen=True)
class TrailEvent:
    timestamp: str
    action: str
    sentence: str


@dataclass(frozen=True)
class Trail:
    """The provenance of one agreed assignment (a code on an answer)."""

    response_id: str
    code: str
    label: str
    events: list[TrailEvent]


@dataclass(frozen=True)
class QuestionReport:
    id: str
    prompt: str
    n_responses: int
    n_substantive: int
    n_coded: int
    themes: ThemeSummary | None
    codes: list[CodeRow]
    chart: BarChart | None
    agreement: AgreementSection | None
    model_agreement: ModelAgreementSection | None
    disagreements: list[Disagreement]
    undecided: list[Decision]
    trails: list[Trail]
    autocode: AutocodeSection | None = None


@dataclass(frozen=True)
class CodebookEntry:
    id: str
    label: str
    description: str
    include: str
    exclude: str
    parent: str | None
    examples: list[str]
    replaces: list[str]


@dataclass(frozen=True)
class RunRecord:
    """One manifest found beside the outputs: which command ran, and its id."""

    command: str
    manifest_id: str
    seeds: str
    codebook_version: str


@dataclass(frozen=True)
class Overview:
    title: str
    survey_file: str
    n_rows: int
    questions: list[Metric]
    attributes: list[str]
    coders: list[str]
    codebook_version: str | None
    by: str | None
    suppress_below: int
    theme_run: str | None
    runs: list[RunRecord]
    versions: list[Metric]


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, in the order it shows it."""

    overview: Overview
    questions: list[QuestionReport]
    codebook: dict[str, list[CodebookEntry]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
