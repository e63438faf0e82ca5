"""starlette-context (0.5.1; 0.4.0, its last release for Python 3.9) on our meta-package: request-scoped context
from plugins, with the pure ASGI RawContextMiddleware and the BaseHTTPMiddleware-based ContextMiddleware."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any, Callable

import pytest
from starlette_context import context
from starlette_context.errors import ContextDoesNotExistError
from starlette_context.middleware import ContextMiddleware, RawContextMiddleware
from starlette_context.plugins import CorrelationIdPlugin, ForwardedForPlugin, RequestIdPlugin, UserAgentPlugin

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"


def build_app(*, raw: bool, log: list[dict[str, Any]]) -> Starlette:
    def context_snapshot() -> dict[str, Any]:
        # The plugins' keys are members of a str enum: their value is the header's name (str() gives the
        # member's name before Python 3.11, where starlette-context's enum is not a StrEnum).
        return {key.value if isinstance(key, Enum) else key: value for key, value in context.data.items()}

    async def async_endpoint(request: Request) -> Response:
        def after_response() -> None:
            log.append(context_snapshot())  # a background task still runs inside the request's context

        context["endpoint"] = "async"  # endpoints can add to the context, too
        return JSONResponse(context_snapshot(), background=BackgroundTask(after_response))

    def sync_endpoint(request: Request) -> Response:
        return JSONResponse({**context_snapshot(), "exists": context.exists()})  # in the threadpool

    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(context_snapshot())
        await websocket.close()

    routes: list[BaseRoute] = [Route("/async", async_endpoint), Route("/sync", sync_endpoint)]
    plugins = (
        RequestIdPlugin(),
        CorrelationIdPlugin(force_new_uuid=True),
        UserAgentPlugin(),
        ForwardedForPlugin(),
    )
    invalid = PlainTextResponse("invalid request id", status_code=400)
    if raw:
        routes.append(WebSocketRoute("/ws", websocket_endpoint))  # the BaseHTTPMiddleware variant is HTTP-only
        middleware = Middleware(RawContextMiddleware, plugins=plugins, default_error_response=invalid)
    else:
        middleware = Middleware(ContextMiddleware, plugins=plugins, default_error_response=invalid)
    return Starlette(routes=routes, middleware=[middleware])


@pytest.mark.parametrize("raw", [True, False], ids=["RawContextMiddleware", "ContextMiddleware"])
def test_context_from_plugins_reaches_endpoints_and_response(
    test_client_factory: Callable[..., Any], raw: bool
) -> None:
    log: list[dict[str, Any]] = []
    client = test_client_factory(build_app(raw=raw, log=log))
    request_id = uuid.uuid4().hex
    headers = {REQUEST_ID: request_id, "user-agent": "context-test/1.0", "x-forwarded-for": "203.0.113.7"}

    response = client.get("/async", headers=headers)
    assert response.status_code == 200
    data = response.json()
    assert data[REQUEST_ID] == request_id
    assert data["User-Agent"] == "context-test/1.0"
    assert data["X-Forwarded-For"] == "203.0.113.7"
    assert data["endpoint"] == "async"
    correlation_id = data[CORRELATION_ID]
    assert uuid.UUID(correlation_id).version == 4  # forced new, even without a header
    # The plugins put their values on the response.
    assert response.headers[REQUEST_ID] == request_id
    assert response.headers[CORRELATION_ID] == correlation_id
    assert log == [data]

    # A generated request id when the client sent none; a sync endpoint (threadpool) sees the context too.
    sync = client.get("/sync").json()
    assert sync["exists"] is True
    assert uuid.UUID(sync[REQUEST_ID]).version == 4
    assert sync[CORRELATION_ID] != correlation_id  # every request gets its own context

    # A plugin rejecting its header answers with the configured error response.
    rejected = client.get("/async", headers={REQUEST_ID: "not-a-uuid"})
    assert rejected.status_code == 400
    assert rejected.text == "invalid request id"

    # No context outside of a request.
    with pytest.raises(ContextDoesNotExistError):
        context.data  # noqa: B018


def test_raw_context_middleware_covers_websockets(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(build_app(raw=True, log=[]))
    request_id = uuid.uuid4().hex
    with client.websocket_connect("/ws", headers={REQUEST_ID: request_id}) as websocket:
        data = websocket.receive_json()
    assert data[REQUEST_ID] == request_id
    assert uuid.UUID(data[CORRELATION_ID]).version == 4
