"""Mocks of async functions in the places an application calls user code, decided with ``is_async_callable`` as
upstream: a ``create_autospec`` of an ``async def`` endpoint (a function, so a request/response endpoint) is
awaited, as are ``AsyncMock`` and autospecced exception handlers, startup handlers and ``HTTPEndpoint`` methods; an
``AsyncMock`` endpoint (not a function) is an ASGI app, as upstream."""

from __future__ import annotations

import functools
from typing import Any, Callable
from unittest import mock

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Receive, Scope, Send
from starlette_routing.applications import Starlette
from starlette_routing.endpoints import HTTPEndpoint
from starlette_routing.routing import Route, Router

TestClientFactory = Callable[..., Any]


async def endpoint(request: Request) -> Response:
    return PlainTextResponse("real")  # pragma: no cover


async def handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("real")  # pragma: no cover


async def startup() -> None:
    pass  # pragma: no cover


async def method(self: HTTPEndpoint, request: Request) -> Response:
    return PlainTextResponse("real")  # pragma: no cover


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("asgi app")(scope, receive, send)


async def boom(request: Request) -> Response:
    raise ValueError("boom")


async def teapot(request: Request) -> Response:
    raise HTTPException(418)


@pytest.mark.parametrize("wrap", [lambda f: f, functools.partial], ids=["autospec", "partial(autospec)"])
def test_autospec_of_an_async_endpoint_is_awaited(wrap: Any, test_client_factory: TestClientFactory) -> None:
    spec = mock.create_autospec(endpoint, return_value=PlainTextResponse("mocked"))
    client = test_client_factory(Starlette(routes=[Route("/", wrap(spec))]))
    response = client.get("/")
    assert (response.status_code, response.text) == (200, "mocked")
    spec.assert_awaited_once()


@pytest.mark.parametrize("wrap", [lambda f: f, functools.partial], ids=["AsyncMock", "partial(AsyncMock)"])
def test_async_mock_endpoint_is_an_asgi_app(wrap: Any, test_client_factory: TestClientFactory) -> None:
    app = mock.AsyncMock(side_effect=asgi_app)
    client = test_client_factory(Router([Route("/", wrap(app))]))
    assert client.get("/").text == "asgi app"
    app.assert_awaited_once()


@pytest.mark.parametrize(
    "make",
    [
        lambda response: mock.AsyncMock(return_value=response),
        lambda response: mock.create_autospec(handler, return_value=response),
    ],
    ids=["AsyncMock", "create_autospec"],
)
def test_async_mock_exception_handlers_are_awaited(make: Any, test_client_factory: TestClientFactory) -> None:
    by_class = make(PlainTextResponse("by class", status_code=400))
    by_status = make(PlainTextResponse("by status", status_code=418))
    server_error = make(PlainTextResponse("server error", status_code=503))
    app = Starlette(
        routes=[Route("/boom", boom), Route("/teapot", teapot)],
        exception_handlers={KeyError: by_class, 418: by_status, 500: server_error},
    )
    app.add_exception_handler(ValueError, by_class)
    client = test_client_factory(app, raise_server_exceptions=False)
    assert (client.get("/boom").status_code, client.get("/boom").text) == (400, "by class")
    assert client.get("/teapot").text == "by status"
    assert by_class.await_count == 2
    by_status.assert_awaited_once()

    app = Starlette(routes=[Route("/boom", boom)], exception_handlers={500: server_error})
    response = test_client_factory(app, raise_server_exceptions=False).get("/boom")
    assert (response.status_code, response.text) == (503, "server error")
    server_error.assert_awaited_once()


@pytest.mark.parametrize(
    "make", [mock.AsyncMock, lambda: mock.create_autospec(startup)], ids=["AsyncMock", "create_autospec"]
)
def test_async_mock_event_handlers_are_awaited(make: Any, test_client_factory: TestClientFactory) -> None:
    on_startup, on_shutdown = make(), make()
    app = Starlette()
    app.add_event_handler("startup", on_startup)
    app.add_event_handler("shutdown", on_shutdown)
    with test_client_factory(app):
        on_startup.assert_awaited_once_with()
    on_shutdown.assert_awaited_once_with()


def test_async_mock_http_endpoint_methods_are_awaited(test_client_factory: TestClientFactory) -> None:
    get = mock.AsyncMock(return_value=PlainTextResponse("get"))
    post = mock.create_autospec(method, return_value=PlainTextResponse("post"))  # (a function: bound to the endpoint)

    class Endpoint(HTTPEndpoint):
        pass

    Endpoint.get = get  # type: ignore[attr-defined]
    Endpoint.post = post  # type: ignore[attr-defined]
    client = test_client_factory(Starlette(routes=[Route("/", Endpoint)]))
    assert client.get("/").text == "get"
    assert client.post("/").text == "post"
    get.assert_awaited_once()
    post.assert_awaited_once()
