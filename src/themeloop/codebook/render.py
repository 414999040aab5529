"""Plain renderings of a codebook and of a diff, for the terminal.

Reads only the public model; the CLI prints what these return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from themeloop.codebook.model import Code, Codebook
from themeloop.codebook.versions import CodebookDiff

if TYPE_CHECKING:
    from rich.tree import Tree


def codebook_tree(codebook: Codebook, question: str | None = None) -> Tree:
    """A rich tree: version, then questions, then codes nested under their parents."""
    from rich.markup import escape
    from rich.tree import Tree

    from themeloop.codebook.label_config import _depth_first

    root = Tree(f"[bold]codebook[/bold] version {escape(codebook.version)}")
    qids = [question] if question is not None else codebook.question_ids
    for qid in qids:
        codes = codebook.codes(qid)
        n = len(codes)
        branch = root.add(f"[bold]{escape(qid)}[/bold] ({n} code{'' if n == 1 else 's'})")
        nodes: dict[int, Tree] = {-1: branch}
        for code, depth in _depth_first(codes):
            nodes[depth] = nodes[depth - 1].add(_code_text(code))
    return root


def _code_text(code: Code) -> str:
    from rich.markup import escape

    lines = [f"[cyan]{escape(code.id)}[/cyan]  {escape(code.label)}"]
    if code.description:
        lines.append(f"[dim]{escape(code.description)}[/dim]")
    for key in ("include", "exclude"):
        value = getattr(code, key)
        if value:
            lines.append(f"[dim]{key}: {escape(value)}[/dim]")
    if code.examples:
        lines.append("[dim]examples: " + escape("; ".join(code.examples)) + "[/dim]")
    if code.replaces:
        lines.append("[dim]replaces: " + escape(", ".join(code.replaces)) + "[/dim]")
    return "\n".join(lines)


def diff_lines(diff: CodebookDiff) -> list[str]:
    """One line per change, grouped by kind, e.g. ``renamed barriers: cost -> money``."""
    lines = [f"codebook {diff.old_version} -> {diff.new_version}"]
    lines += [f"added    {r.question}: {r.code}" for r in diff.added]
    lines += [f"removed  {r.question}: {r.code}" for r in diff.removed]
    lines += [f"renamed  {r.question}: {r.old} -> {r.new}" for r in diff.renamed]
    lines += [f"merged   {m.question}: {' + '.join(m.olds)} -> {m.new}" for m in diff.merged]
    lines += [f"changed  {c.question}: {c.code} ({', '.join(c.fields)})" for c in diff.changed]
    if diff.is_empty:
        lines.append("no changes")
    return lines
