"""Real Label Studio servers for tests (marked ``studio``).

Fixtures
--------
``ls_template`` (session)
    A migrated Label Studio data dir with its admin token and two coders. A
    cold migration takes 25 s on an idle machine (minutes under load), so it
    is built once and cached in ``$THEMELOOP_TEST_CACHE`` (default
    ``~/.cache/themeloop-tests``), keyed by the Label Studio version.
``studio_server`` (function)
    A private copy of the template served on a free loopback port (~3 s),
    stopped (its whole process group) after the test.
``studio_project`` (function)
    A themeloop project folder (the sample survey and codebook) whose local
    server is ``studio_server``: ``themeloop push`` etc. run against it.
``shared_studio_server`` (module) and ``shared_studio_project`` (function)
    One server per test module, and a fresh project folder per test that talks
    to it (its own ``projects.json``, so its own Label Studio projects). For
    tests that do not stop the server; a start costs 3 s idle, 20 s+ under load.

Tests needing them are skipped when ``.venv-ls`` is missing.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "innovation-survey"
CODERS = ("amira.khan@example.org", "ben.osei@example.org")
TEMPLATE_LAYOUT = 1  # bump when the template's content changes


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ls_version(exe: Path) -> str:
    venv = exe.parent.parent
    found = sorted(venv.glob("lib/python*/site-packages/label_studio-*.dist-info"))
    return found[-1].name.removesuffix(".dist-info").split("-")[-1] if found else "unknown"


@dataclass(frozen=True)
class StudioServer:
    """A running test server: ``coders`` maps each coder's e-mail to their user id."""

    url: str
    port: int
    token: str
    data_dir: Path
    coders: dict[str, int]

    def client(self):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=self.token, timeout=120)


def _build_template(target: Path, exe: Path) -> None:
    from themeloop.studio.server import StudioPaths, admin_token, start_server, stop_server

    work = target.with_name(target.name + f".building-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    paths = StudioPaths(work)
    status = start_server(paths, free_port(), executable=exe, timeout=1200)
    try:
        from label_studio_sdk import LabelStudio

        client = LabelStudio(base_url=status.url, api_key=admin_token(paths), timeout=120)
        coders = {email: int(client.users.create(username=email, email=email).id)
                  for email in CODERS}
    finally:
        stop_server(paths)
    (work / "coders.json").write_text(json.dumps(coders))
    for name in ("server.log", "server.json"):
        (work / name).unlink(missing_ok=True)
    os.replace(work, target)


@pytest.fixture(scope="session")
def ls_template(tmp_path_factory) -> Path:
    from themeloop.errors import StudioError
    from themeloop.studio.server import find_label_studio

    try:
        exe = find_label_studio(REPO)
    except StudioError as exc:
        if os.environ.get("CI"):  # in CI (make test) the server venv must be there
            raise
        pytest.skip(str(exc))
    cache = Path(os.environ.get("THEMELOOP_TEST_CACHE", Path.home() / ".cache" / "themeloop-tests"))
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"ls-{_ls_version(exe)}-t{TEMPLATE_LAYOUT}"
    with open(cache / ".lock", "w") as lock:  # parallel sessions build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "coders.json").is_file():
            shutil.rmtree(target, ignore_errors=True)
            _build_template(target, exe)
    return target


def start_copy(template: Path, data_dir: Path, port: int | None = None) -> StudioServer:
    """Copy ``template`` to ``data_dir`` and serve it; the caller stops it with ``stop_server``."""
    from themeloop.studio.server import StudioPaths, admin_token, start_server

    shutil.copytree(template, data_dir)
    paths = StudioPaths(data_dir)
    status = start_server(paths, port or free_port(), timeout=300)
    coders = json.loads((data_dir / "coders.json").read_text())
    return StudioServer(status.url, status.port, admin_token(paths), data_dir, coders)


@pytest.fixture
def studio_server(ls_template, tmp_path) -> StudioServer:
    from themeloop.studio.server import StudioPaths, stop_server

    data_dir = tmp_path / "project" / ".themeloop" / "studio"
    server = start_copy(ls_template, data_dir)
    try:
        yield server
    finally:
        stop_server(StudioPaths(data_dir))


def write_project(root: Path, port: int, *, extra_studio: str = "") -> Path:
    """A themeloop project in ``root``: the sample survey and codebook, local server on ``port``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE / "survey.csv", root / "survey.csv")
    shutil.copy(EXAMPLE / "codebook.yaml", root / "codebook.yaml")
    (root / "themeloop.toml").write_text(textwrap.dedent(f"""\
        [survey]
        path = "survey.csv"
        id = "org_id"
        attributes = ["org_type"]

        [[questions]]
        id = "barriers"
        column = "barriers_text"
        prompt = "What are the main barriers to innovation in your organisation?"

        [[questions]]
        id = "practice"
        column = "practice_text"

        [studio]
        port = {port}
        coders = 2
        """) + extra_studio)
    return root


@pytest.fixture
def studio_project(studio_server, tmp_path) -> Path:
    """The project folder; its ``.themeloop/studio`` is ``studio_server``'s data dir."""
    return write_project(tmp_path / "project", studio_server.port)


@pytest.fixture(scope="module")
def shared_studio_server(ls_template, tmp_path_factory) -> StudioServer:
    """One server for a whole test module (saves a start per test); tests must not stop it."""
    from themeloop.studio.server import StudioPaths, stop_server

    data_dir = tmp_path_factory.mktemp("shared-studio") / "studio"
    server = start_copy(ls_template, data_dir)
    try:
        yield server
    finally:
        stop_server(StudioPaths(data_dir))


@pytest.fixture
def shared_studio_project(shared_studio_server, tmp_path) -> Path:
    """A fresh project folder (own ``projects.json``) using ``shared_studio_server``."""
    root = write_project(tmp_path / "project", shared_studio_server.port)
    state = root / ".themeloop" / "studio"
    state.mkdir(parents=True)
    for name in ("admin.token", "server.json"):
        shutil.copy2(shared_studio_server.data_dir / name, state / name)
    return root
