"""Fixtures for the end-to-end tests: a fresh app served by a real server, and real clients talking to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from starlette.applications import Starlette
from tests.e2e.app import E2EState, build_app, write_static_files
from tests.e2e.servers import SERVER_KINDS, THREAD_PREFIX, LiveServer, serve


@dataclass
class Served:
    """An app and the live server serving it."""

    app: Starlette
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    @property
    def record(self) -> E2EState:
        record: E2EState = self.app.state.e2e
        return record


def server_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(THREAD_PREFIX)]


@pytest.fixture(autouse=True)
def no_server_leaks() -> Iterator[None]:
    """Autouse, so set up before and torn down after every server fixture: no server thread outlives a test."""
    assert server_threads() == []
    yield
    assert server_threads() == []


@pytest.fixture(params=SERVER_KINDS)
def server_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    return write_static_files(tmp_path / "static")


@pytest.fixture
def live(server_kind: str, static_dir: Path) -> Iterator[Served]:
    app = build_app(static_dir)
    with serve(server_kind, app) as server:
        yield Served(app, server)


@pytest.fixture
def live_debug(server_kind: str, static_dir: Path) -> Iterator[Served]:
    app = build_app(static_dir, debug=True)
    with serve(server_kind, app) as server:
        yield Served(app, server)


@pytest.fixture
def client(live: Served) -> Iterator[httpx.Client]:
    """An httpx client (with a cookie jar) bound to the live server; closed before the server stops."""
    with httpx.Client(base_url=live.url, timeout=5.0) as http_client:
        yield http_client
