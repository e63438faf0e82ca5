"""``StaticFiles.get_response`` raises ``HTTPException`` for a 404, 405 or 401, as upstream, wherever the app runs:
called directly, served bare, mounted in a plain ``Router`` or in a ``Starlette`` application (whose exception
handlers then answer it). Paths that leave the directory are 404s like any missing file."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Scope
from starlette_routing.applications import Starlette
from starlette_routing.routing import Mount, Router
from starlette_routing.staticfiles import StaticFiles

TestClientFactory = Callable[..., Any]


@pytest.fixture
def static(tmp_path: Path) -> Path:
    directory = tmp_path / "static"
    directory.mkdir()
    (directory / "example.txt").write_text("hello static")
    (directory / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    (directory / "out.txt").symlink_to(tmp_path / "secret.txt")
    (directory / "loop").symlink_to(directory / "loop")
    return directory


def scope_for(path: str, method: str = "GET") -> Scope:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


class Denied(StaticFiles):
    """A directory the server may not read."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        raise PermissionError(errno.EACCES, "denied")


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    ["missing.txt", "sub", ".", "example.txt/more", "../secret.txt", "out.txt", "loop", "a\x00b", "sub\\..", "a" * 300],
)
async def test_get_response_raises_404(static: Path, path: str) -> None:
    with pytest.raises(HTTPException) as info:
        await StaticFiles(directory=static).get_response(path, scope_for("/" + path))
    assert (info.value.status_code, info.value.detail) == (404, "Not Found")


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "BREW"])
async def test_get_response_raises_405(static: Path, method: str) -> None:
    with pytest.raises(HTTPException) as info:
        await StaticFiles(directory=static).get_response("missing.txt", scope_for("/missing.txt", method))
    assert (info.value.status_code, info.value.detail) == (405, "Method Not Allowed")
    assert info.value.headers == {"Allow": "GET, HEAD"}


@pytest.mark.anyio
async def test_get_response_raises_401_on_permission_error(static: Path) -> None:
    with pytest.raises(HTTPException) as info:
        await Denied(directory=static).get_response("example.txt", scope_for("/example.txt"))
    assert (info.value.status_code, info.value.detail) == (401, "Unauthorized")


@pytest.mark.anyio
async def test_get_response_returns_files_and_the_html_404_page(static: Path) -> None:
    app = StaticFiles(directory=static, html=True)
    found = await app.get_response("example.txt", scope_for("/example.txt"))
    assert found.status_code == 200
    with pytest.raises(HTTPException):  # html mode without a 404.html
        await app.get_response("missing.txt", scope_for("/missing.txt"))
    (static / "404.html").write_text("custom page")
    not_found = await app.get_response("missing.txt", scope_for("/missing.txt"))
    assert not_found.status_code == 404


# --- served bare or in a Router: the exception leaves the app, as upstream -----------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/missing.txt", 404), ("GET", "/../secret.txt", 404), ("POST", "/x", 405)]
)
def test_bare_app_lets_the_exception_out(
    static: Path, method: str, path: str, status: int, test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(StaticFiles(directory=static))
    assert client.get("/example.txt").text == "hello static"
    with pytest.raises(HTTPException) as info:
        client.request(method, path)
    assert info.value.status_code == status
    # A server answers what escapes the app with a 500, as it would with upstream's StaticFiles.
    client = test_client_factory(StaticFiles(directory=static), raise_server_exceptions=False)
    assert client.request(method, path).status_code == 500


def test_bare_app_lets_401_out(static: Path, test_client_factory: TestClientFactory) -> None:
    with pytest.raises(HTTPException) as info:
        test_client_factory(Denied(directory=static)).get("/example.txt")
    assert info.value.status_code == 401


def test_mounted_in_a_router_lets_the_exception_out(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Mount("/static", StaticFiles(directory=static))]))
    assert client.get("/static/example.txt").text == "hello static"
    with pytest.raises(HTTPException) as info:
        client.get("/static/missing.txt")
    assert info.value.status_code == 404
    assert client.get("/elsewhere").status_code == 404  # (the router's own 404 is a response)


# --- in an application: its handlers answer ------------------------------------------------------------------


async def custom(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(f"custom {exc.status_code} for {request.scope['root_path']}", status_code=exc.status_code)


def test_application_handlers_answer(static: Path, test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        routes=[Mount("/static", StaticFiles(directory=static)), Mount("/denied", Denied(directory=static))],
        exception_handlers={404: custom, 405: custom, 401: custom},
    )
    client = test_client_factory(app)
    assert client.get("/static/example.txt").text == "hello static"
    for method, path, status in [
        ("GET", "/static/missing.txt", 404),
        ("GET", "/static/%2e%2e/secret.txt", 404),
        ("GET", "/static/out.txt", 404),
        ("GET", "/static/loop", 404),
        ("GET", "/static/%00", 404),
        ("POST", "/static/example.txt", 405),
        ("GET", "/denied/example.txt", 401),
    ]:
        response = client.request(method, path)
        assert (response.status_code, response.text) == (status, f"custom {status} for /{path.split('/')[1]}")


def test_application_without_handlers_answers_plainly(static: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Starlette(routes=[Mount("/static", StaticFiles(directory=static))]))
    missing = client.get("/static/missing.txt")
    assert (missing.status_code, missing.text) == (404, "Not Found")
    post = client.post("/static/example.txt")
    assert (post.status_code, post.text, post.headers["allow"]) == (405, "Method Not Allowed", "GET, HEAD")


# --- subclasses that catch it (a single-page app's fallback) -------------------------------------------------


class SinglePage(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            return await super().get_response("example.txt", scope)


def test_a_subclass_catches_it_bare_and_mounted(static: Path, test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(SinglePage(directory=static)).get("/any/route").text == "hello static"
    for app in (
        Router([Mount("/", SinglePage(directory=static))]),
        Starlette(routes=[Mount("/", SinglePage(directory=static))]),
    ):
        assert test_client_factory(app).get("/any/route").text == "hello static"
