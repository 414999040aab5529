"""The installed embedding model is the one models/all-MiniLM-L6-v2.json describes."""

from __future__ import annotations

import json

from themeloop.embed.model import model_checksum, packaged_model_path


def test_packaged_model_matches_manifest(repo_root):
    manifest = json.loads((repo_root / "models" / "all-MiniLM-L6-v2.json").read_text())
    path = packaged_model_path()
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts)
    assert files == manifest["files"]
    assert model_checksum(path) == manifest["checksum_sha256"]
