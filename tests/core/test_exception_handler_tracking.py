"""The response-started tracker of ``wrap_app_handling_exceptions`` is shared by directly nested layers."""

from __future__ import annotations

import pytest

from starlette_core._exception_handler import wrap_app_handling_exceptions
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send


class Boom(Exception):
    pass


async def boom_handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("handled", status_code=500)


def http_scope() -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [],
        "starlette.exception_handlers": ({Boom: boom_handler}, {}),
    }


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}  # pragma: no cover


def wrapped(app: ASGIApp) -> ASGIApp:
    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        await wrap_app_handling_exceptions(app, Request(scope, receive, send))(scope, receive, send)

    return outer


@pytest.mark.anyio
async def test_nested_wrappers_share_one_tracker() -> None:
    seen: list[Send] = []

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)
        await PlainTextResponse("ok")(scope, receive, send)

    async def middle(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)
        await wrapped(endpoint)(scope, receive, send)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await wrapped(middle)(http_scope(), receive, send)
    assert seen[0] == seen[1]  # the same tracker's forward (each attribute read gives a new bound method)
    assert seen[0] is not send
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_shared_tracker_still_reports_a_started_response() -> None:
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise Boom()

    async def middle(scope: Scope, receive: Receive, send: Send) -> None:
        await wrapped(endpoint)(scope, receive, send)

    async def send(message: Message) -> None:
        pass

    with pytest.raises(RuntimeError, match="response already started"):
        await wrapped(middle)(http_scope(), receive, send)


@pytest.mark.anyio
async def test_a_tracker_that_saw_a_start_is_not_reused() -> None:
    # A layer that started the response itself before calling the wrapped app: the inner wrapper tracks only
    # what goes through it, so its handler still answers (exactly as with a fresh tracker per layer).
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        raise Boom()

    async def starts_first(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await wrapped(endpoint)(scope, receive, send)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await wrapped(starts_first)(http_scope(), receive, send)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [202, 500]
    assert sent[-1] == {"type": "http.response.body", "body": b"handled"}
