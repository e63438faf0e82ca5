"""BaseHTTPMiddleware: cancellation and withdrawn messages between the app's task and dispatch."""

from __future__ import annotations

import anyio
import pytest

from starlette_core.requests import Request
from starlette_core.responses import Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ._helpers import Recorder, http_scope, receiver


async def passthrough(request: Request, call_next: RequestResponseEndpoint) -> Response:
    return await call_next(request)


@pytest.mark.anyio
async def test_cancelled_while_the_app_finishes_its_background_work() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await send({"type": "http.response.body", "body": b"done", "more_body": False})
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            events.append("background cancelled")
            raise

    sent = Recorder()
    with anyio.fail_after(2), anyio.CancelScope() as scope:

        async def send(message: Message) -> None:
            await sent(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                scope.cancel()  # the response is out; the app is still busy with its background work

        await BaseHTTPMiddleware(app, dispatch=passthrough)(http_scope(), receiver(), send)
    assert scope.cancelled_caught
    assert sent.body == b"done"
    assert events == ["background cancelled"]


@pytest.mark.anyio
async def test_dispatch_error_waits_for_the_app_to_clean_up_even_when_cancelled() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await anyio.sleep(10)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.1)
                events.append("app cleaned up")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        raise ValueError("dispatch failed")

    caught: BaseException | None = None
    with anyio.fail_after(2):
        try:
            with anyio.move_on_after(0.02):
                await BaseHTTPMiddleware(app, dispatch=dispatch)(http_scope(), receiver(), Recorder())
        except Exception as exc:
            caught = exc
    # (On trio the task group may leave the error in a one-exception group, as upstream does.)
    while len(getattr(caught, "exceptions", ())) == 1:
        caught = caught.exceptions[0]  # type: ignore[union-attr]
    assert isinstance(caught, ValueError)
    assert str(caught) == "dispatch failed"
    assert events == ["app cleaned up"]


@pytest.mark.anyio
async def test_a_send_cancelled_before_dispatch_took_it_is_withdrawn() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        with anyio.move_on_after(0.02):
            await send({"type": "http.response.body", "body": b"withdrawn ", "more_body": True})
        await send({"type": "http.response.body", "body": b"kept", "more_body": False})

    async def slow_dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        await anyio.sleep(0.1)
        return response

    sent = Recorder()
    with anyio.fail_after(2):
        await BaseHTTPMiddleware(app, dispatch=slow_dispatch)(http_scope(), receiver(), sent)
    assert sent.body == b"kept"


@pytest.mark.anyio
async def test_a_send_cancelled_after_dispatch_took_it_still_arrives() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        with anyio.move_on_after(0.02):
            await send({"type": "http.response.body", "body": b"first ", "more_body": True})
        await send({"type": "http.response.body", "body": b"second", "more_body": False})

    sent = Recorder()

    async def slow_send(message: Message) -> None:
        await sent(message)
        if message.get("body") == b"first ":
            await anyio.sleep(0.1)

    with anyio.fail_after(2):
        await BaseHTTPMiddleware(app, dispatch=passthrough)(http_scope(), receiver(), slow_send)
    assert sent.body == b"first second"
