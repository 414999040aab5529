"""themeloop crosstab: codes by a respondent attribute, with disclosure control."""

from __future__ import annotations

from pathlib import Path

import typer

from themeloop.cli._common import PROJECT_OPTION, RAW_OPTION, STRICT_OPTION, console, load_project

ORDER = 75


def crosstab(
    project: Path = PROJECT_OPTION,
    by: list[str] = typer.Option(
        None, "--by", help="Attribute to cross by; repeat for several (default: [crosstab] by)."
    ),
    question: str = typer.Option(None, "--question", help="Only this question (default: all)."),
    suppress_below: int = typer.Option(
        None, "--suppress-below", min=0, help="Show counts below N as '<N' (default 5; 0 turns it off)."
    ),
    out: Path = typer.Option(None, "--out", help="Output folder (default: the project's out/)."),
    codes: Path = typer.Option(None, "--codes", help="Agreed coding table (default: <out>/agreed.csv)."),
    coder: str = typer.Option(None, "--coder", help="Use only this coder's rows of the table."),
    strict: bool = STRICT_OPTION,
    raw: bool = RAW_OPTION,
) -> None:
    """Count and % of each group mentioning each code, with tests and Wilson intervals."""
    from themeloop.errors import ConfigError
    from themeloop.merge.project import crosstab_project
    from themeloop.outputs import check_output_dir

    loaded = load_project(project)
    check_output_dir(out if out is not None else loaded.out_dir, "--out" if out else "paths.out")
    attributes = list(by or loaded.config.crosstab.by)
    if not attributes:
        raise ConfigError("no attribute to cross by; pass --by ATTRIBUTE or set [crosstab] by")
    for attribute in attributes:
        run = crosstab_project(loaded, attribute, question=question, suppress_below=suppress_below,
                               out=out, codes=codes, coder=coder, raw=True if raw else None)
        _print(run)


def _print(run) -> None:  # run: themeloop.merge.project.CrosstabRun
    import math

    from rich.table import Table

    result = run.result
    table = result.published()
    out = console()
    if not out.is_terminal:  # a pipe or a file: do not squeeze the table into 80 columns
        out.width = 160
    note = f"cells below {result.suppress_below} shown as <{result.suppress_below}" \
        if result.suppress_below else "no suppression"
    for qid, rows in table.groupby("question", sort=False):
        grid = Table(title=f"{qid} by {result.by} ({note})")
        for column in ["code", *[f"{g}" for g in result.groups], "all", "95% CI", "test", "p"]:
            grid.add_column(column)
        for _, row in rows.iterrows():
            cells = [str(row["code"])]
            for g in [*result.groups, "all"]:
                cells.append(_cell(row[f"{g}: n"], row.get(f"{g}: %")))
            low, high = row.get("ci95_low %"), row.get("ci95_high %")
            ok = isinstance(low, float) and not math.isnan(low)
            cells.append(f"{low:.1f}-{high:.1f}%" if ok else "")
            p = row.get("p_value")
            test = row.get("test")
            cells.append(_short_test(test) if isinstance(test, str) else "")
            cells.append(f"{p:.3g}" if isinstance(p, float) and not math.isnan(p) else "")
            grid.add_row(*cells)
        out.print(grid)
    out.print("tests: chi2 = chi-square; Fisher = Fisher's exact (2 groups); FH exact = "
              "Freeman-Halton exact; FH MC = Freeman-Halton Monte Carlo")
    if result.n_without_group:
        out.print(f"{result.n_without_group} respondents have no {result.by} and are left out")
    for path in run.outputs.values():
        out.print(f"wrote {path}")


def _short_test(name: str) -> str:
    if name.startswith("Freeman-Halton Monte Carlo"):
        return "FH MC"
    return {"chi-square": "chi2", "chi-square (Yates)": "chi2 (Yates)", "Fisher exact": "Fisher",
            "Freeman-Halton exact": "FH exact", "not tested": "-"}.get(name, name)


def _cell(n: object, percent: object) -> str:
    import math

    if isinstance(percent, float) and not math.isnan(percent):
        return f"{n} ({percent:.0f}%)"
    return str(n)


def register(app: typer.Typer) -> None:
    app.command("crosstab")(crosstab)
