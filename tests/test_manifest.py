"""Run manifests: byte-identical for the same inputs, every output's sha256 recorded."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from themeloop.audit.manifest import build_manifest, read_manifest, write_manifest


def _run(folder: Path, *, seed: int = 42, answer: str = "funding\n") -> dict:
    """A pretend stage: one input, two outputs, a manifest beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "survey.csv").write_text("org_id,barriers\nORG01,money\n", encoding="utf-8")
    (folder / "out").mkdir(exist_ok=True)
    (folder / "out" / "themes.json").write_text('{"themes": []}\n', encoding="utf-8")
    (folder / "out" / "assignments.csv").write_text(answer, encoding="utf-8")
    return build_manifest(
        "themes",
        inputs={"survey": folder / "survey.csv"},
        outputs=[folder / "out" / "themes.json", folder / "out" / "assignments.csv"],
        config={"max_themes": 12}, seeds={"umap": seed}, codebook_version="1.0",
        model={"id": "all-MiniLM-L6-v2", "precision": "fp32"}, relative_to=folder,
    )


def test_the_same_inputs_give_a_byte_identical_manifest(tmp_path: Path):
    first = write_manifest(tmp_path / "a" / "manifest.json", _run(tmp_path / "a"))
    again = write_manifest(tmp_path / "b" / "manifest.json", _run(tmp_path / "a"))
    elsewhere = write_manifest(tmp_path / "c" / "manifest.json", _run(tmp_path / "moved" / "x"))
    assert first.read_bytes() == again.read_bytes() == elsewhere.read_bytes()


@pytest.mark.parametrize(("change", "value"), [("seed", 7), ("answer", "skills\n")])
def test_a_different_run_gives_a_different_manifest_id(tmp_path: Path, change: str, value):
    base = _run(tmp_path / "a")
    other = _run(tmp_path / "b", **{change: value})
    assert base["manifest_id"] != other["manifest_id"]


def test_every_output_is_listed_with_its_sha256(tmp_path: Path):
    manifest = _run(tmp_path)
    for name in ("out/themes.json", "out/assignments.csv"):
        digest = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert manifest["outputs"][name] == digest
    assert manifest["inputs"]["survey"] == {
        "path": "survey.csv",
        "sha256": hashlib.sha256((tmp_path / "survey.csv").read_bytes()).hexdigest(),
    }
    assert manifest["seeds"] == {"umap": 42} and manifest["codebook_version"] == "1.0"


def test_manifest_id_is_the_hash_of_the_rest_and_holds_no_clock_time(tmp_path: Path):
    manifest = _run(tmp_path)
    body = {k: v for k, v in manifest.items() if k != "manifest_id"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, indent=2, default=str) + "\n"
    assert manifest["manifest_id"] == hashlib.sha256(text.encode()).hexdigest()[:16]
    flat = json.dumps(manifest)
    assert "time" not in {k.lower() for k in manifest} and "T0" not in flat


def test_write_then_read_round_trips_and_ends_in_a_newline(tmp_path: Path):
    path = write_manifest(tmp_path / "manifest.json", _run(tmp_path))
    assert read_manifest(path) == _run(tmp_path)
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_missing_output_fails_loudly(tmp_path: Path):
    _run(tmp_path)
    shutil.rmtree(tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        build_manifest("themes", inputs={}, outputs=[tmp_path / "out" / "themes.json"])
