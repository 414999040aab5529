"""The local Label Studio server: start, stop, status, its admin token and coders.

The server runs from its own venv (``.venv-ls``, see :func:`find_label_studio`)
with its data in ``<project>/.themeloop/studio``. Secrets (the admin password
and API token) are generated once, kept in files with mode 0600 and passed to
the server through its environment, never on a command line. It binds to
127.0.0.1 only and runs in its own process group, so ``down`` stops it and
everything it started.

The data folder is private to its owner: it is 0700, and every folder in it
0700 and every file 0600 (the SQLite database holds the admin token in plain
text, every answer and every coding). The server runs under umask 077, so what
it creates (the database and its journals, media, exports, its ``.env`` secret
key) is private from the start; :func:`make_private` tightens a folder made
before, and :func:`start_server` applies it on every start.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from themeloop._io import write_text_atomic
from themeloop.errors import StudioError

ADMIN_EMAIL = "admin@themeloop.local"
PRIVATE_DIR, PRIVATE_FILE, SERVER_UMASK = 0o700, 0o600, 0o077
LS_VENV_ENV = "THEMELOOP_LS_VENV"
START_TIMEOUT = 600.0  # a first start migrates a new database: 25 s idle, minutes under load


@dataclass(frozen=True)
class StudioPaths:
    """Where the local server keeps its data and themeloop its state (``<state_dir>/studio``)."""

    root: Path

    @classmethod
    def for_project(cls, project) -> StudioPaths:  # project: themeloop.config.Project
        return cls(Path(project.state_dir) / "studio")

    @property
    def info(self) -> Path:
        return self.root / "server.json"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def token(self) -> Path:
        return self.root / "admin.token"

    @property
    def password(self) -> Path:
        return self.root / "admin.password"

    @property
    def passwords(self) -> Path:
        return self.root / "passwords"

    @property
    def projects(self) -> Path:
        return self.root / "projects.json"


@dataclass(frozen=True)
class ServerStatus:
    """What ``themeloop studio status`` reports."""

    running: bool
    url: str | None = None
    port: int | None = None
    pid: int | None = None
    data_dir: str | None = None
    log: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def find_label_studio(start: Path | None = None) -> Path:
    """The ``label-studio`` executable of the server venv.

    ``$THEMELOOP_LS_VENV`` names the venv; otherwise ``.venv-ls`` is looked for
    in the current folder and above, then beside the themeloop source tree.
    """
    env = os.environ.get(LS_VENV_ENV)
    if env:
        exe = Path(env) / "bin" / "label-studio"
        if not exe.is_file():
            raise StudioError(f"{LS_VENV_ENV}={env} has no bin/label-studio; "
                              "point it at the venv where label-studio==1.23.2 is installed")
        return exe
    here = Path(start or Path.cwd()).resolve()
    package = Path(__file__).resolve()
    for folder in (*[here, *here.parents], *package.parents):
        exe = folder / ".venv-ls" / "bin" / "label-studio"
        if exe.is_file():
            return exe
    raise StudioError("Label Studio is not installed: no .venv-ls/bin/label-studio here or above; "
                      f"run 'make setup-ls' in the themeloop checkout or set {LS_VENV_ENV}")


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on ``host:port`` (a bind test, as the server would do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def make_private(root: Path) -> list[Path]:
    """Make ``root`` and everything in it private: folders 0700, files 0600.

    Symbolic links are left alone and not followed. Returns the paths whose
    mode changed (none when the folder was private already, or is missing).
    """
    changed = []
    for folder, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = Path(folder) / name if name != "." else Path(folder)
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue  # removed while we walked (a journal, a temporary file)
            if stat.S_ISLNK(info.st_mode):
                continue
            want = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
            if stat.S_IMODE(info.st_mode) != want:
                os.chmod(path, want)
                changed.append(path)
    return changed


def private_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, readable by its owner only."""
    write_text_atomic(path, text)
    os.chmod(path, PRIVATE_FILE)
    return path


def _secret_file(path: Path, make: Callable[[], str]) -> str:
    """Read a secret, creating it (mode 0600, never group/world readable) if missing."""
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def admin_token(paths: StudioPaths, create: bool = False) -> str:
    """The local server's admin API token (a legacy token, kept in a 0600 file)."""
    if not create and not paths.token.is_file():
        raise StudioError(f"no local Label Studio in {paths.root}; start it with 'themeloop studio up'")
    return _secret_file(paths.token, lambda: secrets.token_hex(20))


# Django chmods every file its storage saves (exports, uploads) to FILE_UPLOAD_PERMISSIONS,
# 0644 by default, whatever the umask, and Label Studio leaves it at that. Its settings
# module cannot be wrapped (it reads django.conf.settings while it is being imported), so
# a sitecustomize on the server's PYTHONPATH changes Django's defaults before anything runs.
_SITECUSTOMIZE = f"""# Written by themeloop ({__name__}): Label Studio saves its files privately.
try:
    from django.conf import global_settings
except ImportError:
    pass
else:
    global_settings.FILE_UPLOAD_PERMISSIONS = 0o{PRIVATE_FILE:o}
    global_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o{PRIVATE_DIR:o}
"""


def _site_dir(paths: StudioPaths) -> Path:
    """A folder holding only ``sitecustomize.py``, for the server's ``PYTHONPATH``."""
    folder = paths.root / "themeloop-site"
    module = folder / "sitecustomize.py"
    if not module.is_file() or module.read_text(encoding="utf-8") != _SITECUSTOMIZE:
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        private_text(module, _SITECUSTOMIZE)
    return folder


def server_env(paths: StudioPaths) -> dict[str, str]:
    """The environment Label Studio runs with: data dir, admin secrets, private files, no telemetry."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HOST", "PORT", "USERNAME", "PASSWORD", "PYTHONPATH")
           and not k.startswith("DJANGO_")}
    env.update({
        "PYTHONPATH": str(_site_dir(paths).resolve()),
        "LABEL_STUDIO_BASE_DATA_DIR": str(paths.root.resolve()),
        "LABEL_STUDIO_USERNAME": ADMIN_EMAIL,
        "LABEL_STUDIO_PASSWORD": _secret_file(paths.password, lambda: secrets.token_urlsafe(18)),
        "LABEL_STUDIO_USER_TOKEN": admin_token(paths, create=True),
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
        "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
        "LABEL_STUDIO_SENTRY_DSN": "",
        "LABEL_STUDIO_FRONTEND_SENTRY_DSN": "",
        "PYTHONUNBUFFERED": "1",  # the log must show the bound address as soon as it binds
    })
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # reap it if it is our own exited child
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def _read_info(paths: StudioPaths) -> dict | None:
    try:
        return json.loads(paths.info.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_label_studio(pid: int) -> bool:
    """Guard against a recycled pid: only signal a process that is Label Studio."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file
    return b"label-studio" in cmdline or b"label_studio" in cmdline


def server_status(paths: StudioPaths) -> ServerStatus:
    """Whether the local server recorded in ``paths`` is running (stale records are ignored)."""
    info = _read_info(paths)
    if not info or not _alive(int(info["pid"])) or not _is_label_studio(int(info["pid"])):
        return ServerStatus(False, data_dir=str(paths.root))
    return ServerStatus(True, info["url"], int(info["port"]), int(info["pid"]),
                        str(paths.root), str(paths.log))


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when the Label Studio at ``url`` answers ``/health`` with status UP."""
    import httpx

    try:
        reply = httpx.get(f"{url}/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return reply.status_code == 200 and '"UP"' in reply.text


def start_server(paths: StudioPaths, port: int, *, executable: Path | None = None,
                 timeout: float = START_TIMEOUT,
                 on_first_start: Callable[[], object] | None = None,
                 on_made_private: Callable[[list[Path]], object] | None = None) -> ServerStatus:
    """Start the local server on 127.0.0.1:``port`` and wait until it answers ``/health``.

    The data folder is made private first (:func:`make_private`), also when
    the server already runs; ``on_made_private`` is called with the paths
    whose mode changed, if any, so a CLI can say so. ``on_first_start`` is
    called just before a start that must create the database (slow).

    Raises
    ------
    StudioError
        If a server is already running on another port, the port is in use,
        or the server does not come up (the message names its log).
    """
    paths.root.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    fixed = make_private(paths.root)
    if fixed and on_made_private is not None:
        on_made_private(fixed)
    current = server_status(paths)
    if current.running:
        if current.port != port:
            raise StudioError(f"the local Label Studio already runs on port {current.port}; "
                              "stop it with 'themeloop studio down' first")
        return current
    if port_in_use(port):
        raise StudioError(f"port {port} on 127.0.0.1 is in use; "
                          "choose another with --port or stop what uses it")
    exe = executable or find_label_studio()
    env = server_env(paths)
    url = f"http://127.0.0.1:{port}"
    if on_first_start is not None and not (paths.root / "label_studio.sqlite3").is_file():
        on_first_start()
    fd = os.open(paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    with open(fd, "ab") as log:
        log_start = log.seek(0, os.SEEK_END)
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=paths.root, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, umask=SERVER_UMASK,
        )
    private_text(paths.info, json.dumps({"pid": proc.pid, "port": port, "url": url}) + "\n")
    try:
        _wait_until_up(paths, proc, url, port, log_start, timeout)
    except BaseException:
        _stop_group(proc.pid)
        paths.info.unlink(missing_ok=True)
        raise
    return server_status(paths)


def _wait_until_up(paths: StudioPaths, proc: subprocess.Popen, url: str, port: int,
                   log_start: int, timeout: float) -> None:
    moved = StudioError(f"Label Studio did not bind 127.0.0.1:{port} (it moves to another port "
                        f"when one is busy); choose another with --port; see {paths.log}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StudioError(f"Label Studio exited with code {proc.returncode} while starting; "
                              f"see {paths.log}")
        bound = _bound_port(paths.log, log_start)
        if bound is not None and bound != port:
            raise moved
        if bound == port and healthy(url):
            return
        time.sleep(0.25)
    if healthy(url):  # up, but its log never named the address
        raise moved
    raise StudioError(f"Label Studio did not answer on {url} within {timeout:.0f} s; "
                      f"see {paths.log}")


_STARTING = re.compile(rb"Starting development server at https?://[^:/\s]+:(\d+)/")


def _bound_port(log: Path, start: int) -> int | None:
    """The port the server's log says it started on, once it says so."""
    with open(log, "rb") as fh:
        fh.seek(start)
        found = _STARTING.search(fh.read())
    return int(found.group(1)) if found else None


def _stop_group(pid: int, timeout: float = 15.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while _alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)


def stop_server(paths: StudioPaths) -> bool:
    """Stop the local server's process group (SIGTERM, then SIGKILL after 15 s).

    Returns False when no server was running.
    """
    status = server_status(paths)
    if status.running and status.pid is not None:
        _stop_group(status.pid)
    paths.info.unlink(missing_ok=True)
    return status.running
