"""The Label Studio client is passed in explicitly: fakes stand in for the SDK."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from themeloop.errors import StudioError
from themeloop.studio.client import Connection, on_missing, studio_errors
from themeloop.studio.projects import deleted_message, get_project

CONN = Connection("http://127.0.0.1:9", "token", "the token file", local=True)


def api_error(status: int):
    from label_studio_sdk.core.api_error import ApiError

    return ApiError(status_code=status, headers={}, body={"detail": "nope"})


class FakeProjects:
    def __init__(self, error=None) -> None:
        self.error = error

    def get(self, project_id: int):
        if self.error is not None:
            raise self.error
        return SimpleNamespace(id=project_id, title="themeloop: barriers")


def fake_client(error=None) -> SimpleNamespace:
    return SimpleNamespace(projects=FakeProjects(error), users=None, annotations=None,
                           actions=None)


def test_a_fake_client_is_enough_to_get_a_project():
    assert get_project(fake_client(), 7, "barriers").id == 7


def test_a_deleted_project_names_the_question():
    with pytest.raises(StudioError) as caught:
        get_project(fake_client(api_error(404)), 7, "barriers")
    assert caught.value.message == deleted_message("barriers", 7)


def test_other_errors_are_worded_by_the_session_with_its_server():
    with pytest.raises(StudioError) as caught, studio_errors(CONN):
        get_project(fake_client(api_error(403)), 7, "barriers")
    assert caught.value.message == ("Label Studio at http://127.0.0.1:9 refused the API token in "
                                    "the token file (HTTP 403); check the token")


def test_on_missing_passes_everything_but_a_404_on():
    with pytest.raises(ValueError), on_missing("gone"):
        raise ValueError("not an SDK error")


def test_no_module_level_connection_state():
    import themeloop.studio.client as client

    assert not hasattr(client, "_current")
