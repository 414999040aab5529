"""themeloop studio up|status|token|users add|down against a real Label Studio."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from themeloop.cli.app import app
from themeloop.studio.server import StudioPaths, stop_server

pytest.register_assert_rewrite("studio_fixture")
from studio_fixture import free_port, write_project

pytest_plugins = ["studio_fixture"]

pytestmark = pytest.mark.studio
runner = CliRunner()


def _login(url: str, email: str, password: str) -> str:
    """Log in through the web form like a coder would; return whoami's e-mail."""
    with httpx.Client(base_url=url, timeout=60) as web:
        web.get("/user/login/")
        csrf = web.cookies.get("csrftoken")
        web.post("/user/login/", data={"email": email, "password": password,
                                       "csrfmiddlewaretoken": csrf},
                 headers={"Referer": f"{url}/user/login/"})
        reply = web.get("/api/current-user/whoami")
        return reply.json().get("email", "") if reply.status_code == 200 else ""


@pytest.fixture
def project_root(ls_template, tmp_path):
    """A project whose state dir holds a migrated (not running) server."""
    root = write_project(tmp_path / "p", free_port())
    shutil.copytree(ls_template, root / ".themeloop" / "studio")
    yield root
    stop_server(StudioPaths(root / ".themeloop" / "studio"))


def test_up_status_token_users_down(project_root, monkeypatch):
    port = int((project_root / "themeloop.toml").read_text().split("port = ")[1].split()[0])
    up = runner.invoke(app, ["studio", "up", "-p", str(project_root)])
    assert up.exit_code == 0, up.output
    url = f"http://127.0.0.1:{port}"
    assert up.stdout.startswith(f"Label Studio is running at {url} ")
    status = json.loads(runner.invoke(app, ["studio", "status", "--json", "-p",
                                            str(project_root)]).output)
    assert status["running"] and status["port"] == port
    token = runner.invoke(app, ["studio", "token", "-p", str(project_root)]).output.strip()
    paths = StudioPaths(project_root / ".themeloop" / "studio")
    assert token == paths.token.read_text().strip() and len(token) == 40
    cmdline = Path(f"/proc/{status['pid']}/cmdline").read_bytes()
    assert token.encode() not in cmdline and b"127.0.0.1" in cmdline
    assert token not in paths.log.read_text(errors="replace")
    assert httpx.get(f"{url}/api/current-user/whoami",
                     headers={"Authorization": f"Token {token}"}).status_code == 200

    again = runner.invoke(app, ["studio", "up", "-p", str(project_root)])
    assert again.exit_code == 0  # already running: says so, starts nothing

    monkeypatch.setenv("TL_CODER_PW", "correct horse battery")
    added = runner.invoke(app, ["studio", "users", "add", "new.coder@example.org",
                                "--password-env", "TL_CODER_PW", "-p", str(project_root)])
    assert added.exit_code == 0, added.output
    assert added.output.strip() == (f"coder new.coder@example.org added; log in at {url} "
                                    "(password from $TL_CODER_PW)")
    assert _login(url, "new.coder@example.org", "correct horse battery") == \
        "new.coder@example.org"
    assert _login(url, "new.coder@example.org", "wrong password") == ""

    bad = runner.invoke(app, ["studio", "users", "add", "not-an-email", "-p", str(project_root)])
    assert bad.exit_code == 2
    assert bad.output.strip() == ("Error: 'not-an-email' is not an e-mail address; "
                                  "coders log in with their e-mail")

    down = runner.invoke(app, ["studio", "down", "-p", str(project_root)])
    assert down.output.strip() == "Label Studio stopped"
    assert not Path(f"/proc/{status['pid']}").exists() or \
        Path(f"/proc/{status['pid']}/stat").read_text().split(") ")[1][0] == "Z"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=2)
    assert runner.invoke(app, ["studio", "down", "-p", str(project_root)]).output.strip() == \
        "Label Studio was not running"


def test_users_add_generates_a_private_password(project_root, monkeypatch):
    """The generated-password path, with the (slow, tested above) reset_password stubbed."""
    from themeloop.studio import users

    set_to = {}
    monkeypatch.setattr(users, "_set_password",
                        lambda paths, email, password, exe: set_to.update({email: password}))
    assert runner.invoke(app, ["studio", "up", "-p", str(project_root)]).exit_code == 0
    result = runner.invoke(app, ["studio", "users", "add", "amira.khan@example.org",
                                 "-p", str(project_root)])
    assert result.exit_code == 0, result.output
    secret = StudioPaths(project_root / ".themeloop" / "studio").passwords / \
        "amira.khan@example.org"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().strip() == set_to["amira.khan@example.org"]
    assert set_to["amira.khan@example.org"] not in result.output
    assert result.output.startswith("coder amira.khan@example.org updated; ")


def _not_private(root: Path) -> list[str]:
    """Every folder under ``root`` (itself too) that is not 0700 and file that is not 0600."""
    loose = []
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        want = 0o700 if stat.S_ISDIR(info.st_mode) else 0o600
        if stat.S_IMODE(info.st_mode) != want:
            loose.append(f"{path.relative_to(root)} {stat.S_IMODE(info.st_mode):o}")
    return loose


def test_the_data_folder_stays_private_through_up_push_and_pull(project_root):
    from label_studio_sdk import LabelStudio

    from themeloop.studio.push import choices_result

    data = project_root / ".themeloop" / "studio"
    # As a start under umask 022 left it (and as the cached template's copy is).
    data.chmod(0o755)
    (data / "label_studio.sqlite3").chmod(0o644)
    assert "label_studio.sqlite3 644" in _not_private(data)

    up = runner.invoke(app, ["studio", "up", "-p", str(project_root)])
    assert up.exit_code == 0, up.output
    assert up.stderr.startswith(f"note: {data} was readable by others: made ")
    assert up.stderr.endswith(" files and folders in it private (folders 0700, files 0600)\n")
    assert _not_private(data) == []
    info = json.loads((data / "server.json").read_text())
    assert "Umask:\t0077" in Path(f"/proc/{info['pid']}/status").read_text()

    push = runner.invoke(app, ["push", "-q", "barriers", "--no-predictions", "-p",
                               str(project_root)])
    assert push.exit_code == 0, push.output
    assert _not_private(data) == []

    client = LabelStudio(base_url=info["url"], api_key=(data / "admin.token").read_text().strip(),
                         timeout=120)
    project_id = json.loads((data / "projects.json").read_text())["servers"][info["url"]][
        "barriers"]["id"]
    task = next(iter(client.tasks.list(project=project_id, fields="task_only")))
    client.annotations.create(id=task.id, result=choices_result(["funding"]), lead_time=3.0)
    pull = runner.invoke(app, ["pull", "-p", str(project_root)])
    assert pull.exit_code == 0, pull.output
    assert _not_private(data) == [], "after pull"
    assert (project_root / ".themeloop").stat().st_mode & 0o077 == 0  # holds ledger.key too
    key = project_root / ".themeloop" / "ledger.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    verified = runner.invoke(app, ["audit", "verify", "-p", str(project_root)])
    assert verified.exit_code == 0, verified.output
    assert "matches 1 recorded head(s)" in verified.output  # pull.manifest.json's

    again = runner.invoke(app, ["studio", "up", "-p", str(project_root)])
    assert again.exit_code == 0 and again.stderr == ""  # private already: nothing to say
