"""Root of the ``themeloop`` CLI: error handling, --debug, --version, discovery."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from typing import Any

import typer
import typer.core

import themeloop
from themeloop.errors import ThemeloopError, printable

try:  # typer >= 0.2x vendors its own click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Error: {printable(message)}", err=True)
    return typer.Exit(code)


class _Group(typer.core.TyperGroup):
    """The root group: themeloop errors become one line on stderr and exit 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except ThemeloopError as exc:
            if ctx.meta.get("themeloop.debug"):
                raise
            raise _fail(exc.message, exc.exit_code) from None
        except Exception as exc:
            if ctx.meta.get("themeloop.debug"):
                raise
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", 1
            ) from None

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # registration order, not alphabetical


app = typer.Typer(
    cls=_Group,
    name="themeloop",
    help="Qualitative coding of free-text survey answers: themes, Label Studio coding, "
    "agreement, merge-back and an audited report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"themeloop {themeloop.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    ctx.meta["themeloop.debug"] = debug


def _show_warning(message: Any, category: Any, filename: str, lineno: int, *a: Any, **k: Any) -> None:
    typer.echo(f"Warning: {printable(str(message))}", err=True)


def _register_all() -> None:
    import themeloop.cli as package

    modules = sorted(
        (m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_")),
    )
    loaded = [importlib.import_module(f"themeloop.cli.{name}") for name in modules]
    for module in sorted(loaded, key=lambda m: getattr(m, "ORDER", 100)):
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    warnings.showwarning = _show_warning
    sys.exit(app(prog_name="themeloop"))
