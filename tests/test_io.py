"""Atomic writes: all or nothing, with the usual file mode."""

from __future__ import annotations

import os
import stat

import pytest

from themeloop._io import atomic_path, write_text_atomic


def test_atomic_write_replaces_whole_file_with_umask_mode(tmp_path):
    target = write_text_atomic(tmp_path / "a.csv", "x,y\n")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert target.read_text() == "x,y\n"


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = write_text_atomic(tmp_path / "a.csv", "old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer failed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
