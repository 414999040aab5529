"""Talking to Label Studio: which server, which token, and errors turned into StudioError.

Every call into ``label_studio_sdk`` runs inside :func:`studio_errors` (which
:func:`session` opens for a whole command, with its :class:`Connection`), so an
unreachable server, a refused token or a missing object reaches the user as one
line, never as an SDK or httpx traceback. Inner calls that expect a 404 wrap
themselves in :func:`on_missing`, which only words that one case.

The client is passed explicitly to every function that talks to the server,
typed by :class:`LabelStudioClient`, so a test can pass a small fake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from themeloop.errors import StudioError
from themeloop.studio.server import StudioPaths, admin_token, server_status

if TYPE_CHECKING:
    from themeloop.config import Project

TIMEOUT = 120.0


class LabelStudioClient(Protocol):
    """The part of ``label_studio_sdk.LabelStudio`` that themeloop calls.

    Each attribute is one of the SDK's resource clients (``projects.get``,
    ``users.list``, ...); a fake only needs the methods a test exercises.
    """

    @property
    def projects(self) -> Any: ...

    @property
    def users(self) -> Any: ...

    @property
    def annotations(self) -> Any: ...

    @property
    def actions(self) -> Any: ...


@dataclass(frozen=True)
class Connection:
    """A Label Studio server and the token to use (``where_token`` says where it came from)."""

    url: str
    token: str
    where_token: str
    local: bool


def resolve_connection(project: Project, *, url: str | None = None, token: str | None = None) -> Connection:
    """The server a project syncs with: ``[studio] url`` (token from ``$token_env``) or the local one."""
    cfg = project.config.studio
    url = url or cfg.url
    if url:
        where = f"the environment variable {cfg.token_env}"
        token = token or os.environ.get(cfg.token_env)
        if not token:
            raise StudioError(f"no API token for {url}: set {where} to your Label Studio token "
                              "(Account & Settings > Access Token)")
        return Connection(url.rstrip("/"), token, where, local=False)
    paths = StudioPaths.for_project(project)
    status = server_status(paths)
    port = status.port if status.running else cfg.port
    return Connection(f"http://127.0.0.1:{port}", token or admin_token(paths), str(paths.token),
                      local=True)


@contextmanager
def on_missing(message: str) -> Iterator[None]:
    """Turn a 404 from the SDK inside into :class:`StudioError` ``message``; pass on the rest.

    Everything else reaches the :func:`studio_errors` of the command's session.
    """
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as exc:
        if exc.status_code == 404:
            raise StudioError(message) from None
        raise


@contextmanager
def studio_errors(conn: Connection | None, *, missing: str | None = None) -> Iterator[None]:
    """Turn SDK and httpx exceptions raised inside into one-line :class:`StudioError`.

    ``conn`` names the server in messages (None: "Label Studio"); ``missing``
    is the message for a 404 (what was not found and what to do).
    """
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    where = conn.url if conn else "Label Studio"
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise StudioError(_unreachable(conn, exc)) from None
    except httpx.TimeoutException:
        raise StudioError(f"Label Studio at {where} did not answer within {TIMEOUT:.0f} s; "
                          "it may be overloaded, try again") from None
    except httpx.HTTPError as exc:
        raise StudioError(f"talking to Label Studio at {where} failed: {exc}") from None
    except ApiError as exc:
        raise StudioError(_api_message(conn, exc, missing)) from None


def _unreachable(conn: Connection | None, exc: Exception) -> str:
    where = conn.url if conn else "Label Studio"
    hint = ("start it with 'themeloop studio up'" if conn is None or conn.local
            else "check [studio] url in themeloop.toml and that the server is running")
    reason = str(exc).split("] ")[-1] or type(exc).__name__
    return f"Label Studio at {where} is unreachable ({reason}); {hint}"


def _api_message(conn: Connection | None, exc: Any, missing: str | None) -> str:
    where = conn.url if conn else "Label Studio"
    status = exc.status_code
    if status in (401, 403):
        token = f" in {conn.where_token}" if conn else ""
        return (f"Label Studio at {where} refused the API token{token} (HTTP {status}); "
                "check the token")
    if status == 404 and missing:
        return missing
    body = exc.body
    if isinstance(body, dict):
        body = body.get("detail") or body.get("validation_errors") or body
    text = " ".join(str(body).split())
    if len(text) > 300:
        text = text[:300] + "..."
    return f"Label Studio at {where} answered HTTP {status}: {text}"


def connect(conn: Connection) -> LabelStudioClient:
    """A ``LabelStudio`` client for ``conn``, after checking the server is up and takes the token.

    Raises
    ------
    StudioError
        If the server is unreachable or refuses the token.
    """
    import httpx
    from label_studio_sdk import LabelStudio

    try:
        reply = httpx.get(f"{conn.url}/health", timeout=10)
    except httpx.HTTPError as exc:
        raise StudioError(_unreachable(conn, exc)) from None
    if reply.status_code != 200:
        raise StudioError(f"Label Studio at {conn.url} is not healthy (HTTP {reply.status_code} "
                          "on /health); check its log")
    client = LabelStudio(base_url=conn.url, api_key=conn.token, timeout=TIMEOUT)
    with studio_errors(conn):
        client.users.whoami()
    return client


@contextmanager
def session(project: Project, *, url: str | None = None,
            token: str | None = None) -> Iterator[tuple[LabelStudioClient, Connection]]:
    """Connect for one command: yields ``(client, connection)``; SDK errors become StudioError."""
    conn = resolve_connection(project, url=url, token=token)
    client = connect(conn)
    with studio_errors(conn):
        yield client, conn
