"""No detected original string leaves the project: `themeloop run` outputs and Label Studio tasks."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

pytest.register_assert_rewrite("studio_fixture")
pytest_plugins = ["studio_fixture"]

REPO = Path(__file__).resolve().parents[1]


def originals(project_root: Path) -> list[str]:
    key = json.loads((project_root / ".themeloop" / "privacy" / "key.json").read_text())
    return [entry["original"] for entry in key["pseudonyms"].values()]


def readable_text(path: Path) -> str:
    """Every string a file holds, whatever its format (xlsx and parquet are compressed)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for c in row if c is not None)
    if suffix == ".parquet":
        return pd.read_parquet(path).to_csv()
    if suffix in (".sav", ".dta"):
        import pyreadstat

        read = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
        frame, meta = read(str(path))
        return frame.to_csv() + json.dumps(meta.column_labels) + json.dumps(meta.value_labels, default=str)
    return path.read_bytes().decode("utf-8", errors="replace")


def leaks(folder: Path, secrets: list[str], suffixes: tuple[str, ...] | None = None
          ) -> list[tuple[str, str]]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if suffixes is not None and path.suffix not in suffixes:
            continue
        text = readable_text(path).casefold()
        found += [(str(path), s) for s in secrets if s.casefold() in text]
    return found


@pytest.mark.slow
def test_run_outputs_hold_no_detected_original(tmp_path, cli):
    root = tmp_path / "examples" / "innovation-survey"
    shutil.copytree(REPO / "examples" / "innovation-survey", root,
                    ignore=shutil.ignore_patterns("out", "models", ".themeloop"))
    shutil.copytree(REPO / "annotations" / "innovation-survey",
                    tmp_path / "annotations" / "innovation-survey",
                    ignore=shutil.ignore_patterns("ledger.jsonl", "raw"))
    assert "[privacy]\nenabled = true" in (root / "themeloop.toml").read_text()
    result = cli("run", "--project", root)
    assert result.exit_code == 0, result.output
    secrets = originals(root)
    assert {"Sarah Collins", "Denise Hartley", "Northfield"} <= set(secrets)
    assert leaks(root / "out", secrets) == []
    # the ledger and the coding table (not make_coding.py, the script that invented the sample)
    assert leaks(tmp_path / "annotations", secrets, (".jsonl", ".csv", ".json")) == []
    ledger = tmp_path / "annotations" / "innovation-survey" / "ledger.jsonl"
    redacted = [json.loads(line) for line in ledger.read_text().splitlines() if '"redacted"' in line]
    assert {e["response_id"] for e in redacted} >= {"ORG24:radical", "ORG27:practice"}
    assert not [s for s in secrets if s in result.output]
    key = root / ".themeloop" / "privacy" / "key.json"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    coded = pd.read_csv(root / "out" / "coded.csv", dtype=str, keep_default_na=False)
    practice = coded.set_index("org_id")["practice_text"]
    assert "[PERSON_" in practice["ORG27"] and "Mockingbird" in practice["ORG27"]
    report = (root / "out" / "report.html").read_text()
    assert "[PERSON_" in report or "[PLACE_" in report


@pytest.mark.studio
def test_pushed_tasks_hold_no_detected_original(studio_server, tmp_path, cli):
    from studio_fixture import write_project

    root = write_project(tmp_path / "project", studio_server.port,
                         extra_studio="\n[privacy]\nenabled = true\n")
    result = cli("push", "--project", root, "--no-predictions")
    assert result.exit_code == 0, result.output
    client = studio_server.client()
    tasks = [t for p in client.projects.list() for t in client.tasks.list(project=p.id)]
    assert len(tasks) > 40
    data = json.dumps([t.data for t in tasks], ensure_ascii=False).casefold()
    secrets = originals(root)
    assert "Sarah Collins" in secrets or "Denise Hartley" in secrets
    assert [s for s in secrets if s.casefold() in data] == []
    assert "[person_" in data
