"""notebooks/walkthrough.ipynb: stored with its outputs, in step with its builder, and it runs.

The stored-copy checks are fast; executing the notebook (the whole loop on the
sample survey, embedding model included) is marked ``slow``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "walkthrough.ipynb"
PROJECT_LEDGER = ROOT / "annotations" / "innovation-survey" / "ledger.jsonl"


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(str(out.data.get("text/plain", "")))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def _all_text(nb) -> str:
    return "\n".join(_output_text(c) for c in nb.cells if c.cell_type == "code")


def _errors(nb) -> list[str]:
    return [f"cell {c.get('id')}: {o.ename}: {o.evalue}"
            for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def _check_values(text: str) -> None:
    """Real values of the sample survey, as the notebook prints them."""
    assert "41 respondents, 3 open questions" in text
    assert "41 rows × 54 columns" in text  # merged frame: one row per respondent
    assert "0 undecided" in text  # the lead researcher ruled on every disagreement
    assert "21 of 123 answers have different code sets" in text
    assert "of 19 local authorities" in text
    assert "chain intact: True" in text
    assert "kappa paradox" in text


def _builder():
    spec = importlib.util.spec_from_file_location("make_walkthrough",
                                                  NOTEBOOKS / "make_walkthrough.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stored_notebook_has_its_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    for cell in code:
        quiet = "quiet" in cell.metadata.get("tags", [])  # a cell meant to print nothing
        assert cell.outputs or quiet, f"cell {cell.id} has no stored output: rerun make_walkthrough.py"
        assert cell.execution_count is not None, f"cell {cell.id} was never executed"
    assert _errors(nb) == []
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "cells were not run once, top to bottom"
    text = _all_text(nb)
    _check_values(text)
    assert "themeloop-walkthrough-" not in text, "a scratch path leaked into the stored outputs"
    assert "Traceback" not in text


def test_stored_notebook_matches_its_builder():
    """Cells are edited in make_walkthrough.py; the stored notebook must be regenerated after."""
    built = _builder().build()
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert [(c.cell_type, c.source) for c in stored.cells] == \
        [(c.cell_type, c.source) for c in built.cells]
    assert stored.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_notebook_executes_and_shows_the_sample_results():
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    km = KernelManager(kernel_name="python3")
    # jupyter_client runs a "python" kernel spec with this interpreter: the venv, not the system.
    assert km.format_kernel_cmd()[0] == sys.executable
    ledger_before = PROJECT_LEDGER.stat().st_size if PROJECT_LEDGER.exists() else None

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    NotebookClient(nb, km=km, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()

    assert _errors(nb) == []
    for cell in nb.cells:
        if cell.cell_type == "code" and "quiet" not in cell.metadata.get("tags", []):
            assert cell.outputs, f"cell {cell.id} printed nothing"
    _check_values(_all_text(nb))
    # The notebook works on a scratch copy: the project's own ledger is untouched.
    ledger_after = PROJECT_LEDGER.stat().st_size if PROJECT_LEDGER.exists() else None
    assert ledger_after == ledger_before
