"""Middleware: the class-plus-arguments spec applications take in ``middleware=[...]``."""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Any, Callable, cast

import pytest

from starlette_core.responses import PlainTextResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_middleware import Middleware, __version__
from starlette_middleware.cors import CORSMiddleware
from starlette_middleware.gzip import GZipMiddleware

TestClientFactory = Callable[..., Any]


class Tagging:
    def __init__(self, app: ASGIApp, tag: str, *, header: str = "X-Tag") -> None:
        self.app = app
        self.tag = tag
        self.header = header.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def tagging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (self.header, self.tag.encode())]
            await send(message)

        await self.app(scope, receive, tagging_send)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("app")(scope, receive, send)


def test_version() -> None:
    assert __version__ == "0.47.3"


def test_attributes_and_unpacking() -> None:
    middleware = Middleware(Tagging, "a", header="X-A")
    assert cast(Any, middleware.cls) is Tagging
    assert middleware.args == ("a",)
    assert middleware.kwargs == {"header": "X-A"}
    cls, args, kwargs = middleware
    assert (cls, args, kwargs) == (Tagging, ("a",), {"header": "X-A"})
    assert list(Middleware(GZipMiddleware)) == [GZipMiddleware, (), {}]


def test_repr() -> None:
    assert repr(Middleware(CORSMiddleware, allow_origins=["*"])) == "Middleware(CORSMiddleware, allow_origins=['*'])"
    assert repr(Middleware(Tagging, "a", header="X-A")) == "Middleware(Tagging, 'a', header='X-A')"
    assert repr(Middleware(GZipMiddleware)) == "Middleware(GZipMiddleware)"
    # A factory without a __name__.
    factory = functools.partial(Tagging, tag="p")
    assert repr(Middleware(factory, header="X-P")) == "Middleware(, header='X-P')"


def test_building_a_stack_from_specs(test_client_factory: TestClientFactory) -> None:
    specs = [Middleware(Tagging, "outer", header="X-Outer"), Middleware(Tagging, "inner", header="X-Inner")]
    stack: ASGIApp = app
    for cls, args, kwargs in reversed(specs):
        stack = cls(stack, *args, **kwargs)
    response = test_client_factory(stack).get("/")
    assert response.text == "app"
    assert (response.headers["x-outer"], response.headers["x-inner"]) == ("outer", "inner")
    # Headers appear in the order the layers added them: innermost first.
    assert [key for key in response.headers if key.startswith("x-")] == ["x-inner", "x-outer"]


def test_package_imports_without_itsdangerous(monkeypatch: pytest.MonkeyPatch) -> None:
    import starlette_middleware
    import starlette_middleware.sessions as original

    # Import the module afresh with itsdangerous unimportable; afterwards everything is put back as it was.
    monkeypatch.setattr(starlette_middleware, "sessions", original)
    monkeypatch.delitem(sys.modules, "starlette_middleware.sessions")
    monkeypatch.setitem(sys.modules, "itsdangerous", None)
    sessions = importlib.import_module("starlette_middleware.sessions")
    assert sessions is not original
    with pytest.raises(ImportError, match=r"pip install itsdangerous"):
        sessions.SessionMiddleware(app, secret_key="k")
