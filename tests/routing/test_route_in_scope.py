"""``scope["route"]`` (upstream 1.7): the route the router picked for the request."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_routing.routing import Host, Mount, Route, Router, WebSocketRoute
from tests.routing._asgi import call, http_scope

TestClientFactory = Callable[..., Any]

seen: list[object] = []


class Recording:
    """An ASGI app (not a request/response function) that records ``scope["route"]``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope.get("route", "absent"))
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send)
            await websocket.accept()
            await websocket.close()
        else:
            await PlainTextResponse("ok")(scope, receive, send)


@pytest.fixture(autouse=True)
def clear_seen() -> None:
    seen.clear()


def test_the_matched_route_and_the_innermost_one(test_client_factory: TestClientFactory) -> None:
    record = Recording()
    route = Route("/r", record)
    inner = Route("/x/{id}", record)
    mount_of_app = Mount("/app", app=record)
    host = Host("api.example.com", app=Router([inner]))
    ws = WebSocketRoute("/ws", record)
    router = Router([route, Mount("/m", routes=[inner]), mount_of_app, host, ws])
    client = test_client_factory(router)
    client.get("/r")
    client.get("/m/x/1")
    client.get("/app/anything")
    client.get("http://api.example.com/x/2")
    with client.websocket_connect("/ws"):
        pass
    assert seen == [route, inner, mount_of_app, inner, ws]


@pytest.mark.anyio
async def test_a_route_that_takes_another_method_is_set_too() -> None:
    route = Route("/r", Recording(), methods=["GET"])
    scope = http_scope("/r", method="POST")
    await call(Router([route]), scope)
    assert scope["route"] is route


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/missing", "/r/"])
async def test_no_route_leaves_the_scope_alone(path: str) -> None:
    scope = http_scope(path)
    await call(Router([Route("/r", Recording())]), scope)  # a 404, and a slash redirect
    assert "route" not in scope


@pytest.mark.anyio
async def test_a_route_called_directly_does_not_set_it() -> None:
    scope = http_scope("/r")
    await call(Route("/r", Recording()), scope)
    assert seen == ["absent"]
    assert "route" not in scope
