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


def _leftover(folder, name, age):
    import time

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("half")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_stale_atomic_temporaries_are_removed_and_nothing_else(tmp_path):
    import time

    from themeloop._io import remove_stale_tmp

    old = _leftover(tmp_path / "out", ".coded.csv.ab12cd_9.tmp", 60)
    deep = _leftover(tmp_path / "models" / "cache" / "x", ".v.npy.zz99aa00.tmp", 60)
    just_killed = _leftover(tmp_path / "out", ".report.html.qwertyui.tmp", 0)
    keep = [_leftover(tmp_path / "out", name, 60) for name in
            ("coded.csv", ".hidden.tmp", "x.tmp", ".a.b.tmp", ".coded.csv.ab12cd_9.tmp.bak")]
    (tmp_path / "out" / ".dir.abcdefgh.tmp").mkdir()
    not_a_tree = _leftover(tmp_path / "models", ".m.json.abcdefgh.tmp", 60)
    start = time.monotonic()
    removed = remove_stale_tmp([tmp_path / "out", tmp_path / "missing"],
                               trees=[tmp_path / "models" / "cache"],
                               lock_file=tmp_path / ".themeloop" / "run.lock", stale_after=0.5)
    # The one killed a moment ago was waited for (it stayed untouched), then removed.
    assert 0.5 <= time.monotonic() - start < 5
    assert sorted(removed) == sorted([old, deep, just_killed])
    assert not_a_tree.exists() and all(p.exists() for p in keep)
    assert (tmp_path / "out" / ".dir.abcdefgh.tmp").is_dir()


def test_stale_sweep_spares_a_young_file_still_being_written(tmp_path):
    import threading
    import time

    from themeloop._io import remove_stale_tmp

    live = _leftover(tmp_path / "out", ".coded.xlsx.abcdefgh.tmp", 0)
    stop = threading.Event()

    def write():
        while not stop.is_set():
            with live.open("a") as fh:
                fh.write("x")
            time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert remove_stale_tmp([tmp_path / "out"], lock_file=tmp_path / "run.lock",
                                stale_after=0.5) == []
    finally:
        stop.set()
        writer.join()
    assert live.exists()


def test_stale_sweep_spares_a_live_concurrent_run(tmp_path):
    """Another process holding the run lock may be writing: only very old files go."""
    import subprocess
    import sys

    from themeloop._io import remove_stale_tmp

    lock = tmp_path / "run.lock"
    lock.touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1]); "
         "fcntl.flock(f, fcntl.LOCK_SH); print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        recent = _leftover(tmp_path / "out", ".agreed.csv.abcdefgh.tmp", 60)
        ancient = _leftover(tmp_path / "out", ".themes.json.hgfedcba.tmp", 2 * 3600)
        assert remove_stale_tmp([tmp_path / "out"], lock_file=lock) == [ancient]
        assert recent.exists()
    finally:
        holder.kill()
        holder.wait()
    # The other run died (as by SIGKILL): its leftovers are stale now.
    assert remove_stale_tmp([tmp_path / "out"], lock_file=lock) == [recent]


def test_atomic_temporaries_match_the_sweep_pattern(tmp_path):
    from themeloop._io import _is_atomic_tmp

    seen = []
    with atomic_path(tmp_path / "coded.csv") as tmp:
        seen.append(tmp.name)
    assert _is_atomic_tmp(seen[0])
