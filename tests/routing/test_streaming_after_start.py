"""StreamingResponse sends its body messages past the error layers' response-started trackers once its start has
gone through them (``send_after_start``): the server gets exactly the messages it gets when every message goes
through every tracker, errors are answered the same way, and each tracker is called for the start only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

import starlette_core.responses
from starlette_core._tracking import TrackingSend
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import Message, Scope, Send
from starlette_routing.applications import Starlette
from starlette_routing.routing import Route


class Boom(Exception):
    pass


def chunks(kind: str) -> Any:
    async def async_chunks() -> AsyncIterator[Any]:
        yield b"one"
        yield "twö"
        yield memoryview(b"three")
        if kind == "fails":
            raise Boom()

    def sync_chunks() -> Iterator[Any]:
        yield b"one"
        yield "twö"

    return sync_chunks() if kind == "sync" else async_chunks()


async def stream(request: Request) -> Response:
    return StreamingResponse(chunks(request.path_params["kind"]), media_type="text/plain")


async def on_boom(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("handled", status_code=418)


def app(handled: bool) -> Starlette:
    return Starlette(
        routes=[Route("/{kind}", stream)],
        exception_handlers={Boom: on_boom} if handled else {},
    )


async def serve(application: Starlette, kind: str, spec_version: str) -> tuple[list[Message], str]:
    """The messages the server gets for GET /kind, and the exception the app raised (its type and text)."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/{kind}",
        "raw_path": f"/{kind}".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "server": ("example.com", 80),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # (the listener of the spec < 2.4 path waits here; the stream ends first)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    raised = ""
    try:
        await application(scope, receive, send)
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    return sent, raised


def every_message_through_the_trackers(send: Send) -> Send:
    return send


@pytest.mark.anyio
@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
@pytest.mark.parametrize("kind", ["async", "sync", "fails"])
@pytest.mark.parametrize("handled", [False, True])
async def test_the_same_messages_as_through_every_tracker(
    monkeypatch: pytest.MonkeyPatch, spec_version: str, kind: str, handled: bool
) -> None:
    fast = await serve(app(handled), kind, spec_version)
    monkeypatch.setattr(starlette_core.responses, "send_after_start", every_message_through_the_trackers)
    general = await serve(app(handled), kind, spec_version)
    assert fast == general
    messages, raised = fast
    assert [message["type"] for message in messages][:4] == ["http.response.start"] + ["http.response.body"] * 3
    if kind == "fails":
        # Started: no handler's response and no 500 can follow, with or without the fast path.
        expected = "RuntimeError: Caught handled exception, but response already started." if handled else "Boom: "
        assert raised == expected
        assert len(messages) == 4
    else:
        assert raised == ""
        assert messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.anyio
@pytest.mark.parametrize("spec_version", ["2.3", "2.4"])
async def test_each_tracker_sees_the_start_only(monkeypatch: pytest.MonkeyPatch, spec_version: str) -> None:
    forwarded: list[str] = []
    forward = TrackingSend.forward

    def counting_forward(self: TrackingSend, message: Message) -> Any:
        forwarded.append(message["type"])
        return forward(self, message)

    monkeypatch.setattr(TrackingSend, "forward", counting_forward)
    messages, raised = await serve(app(handled=False), "async", spec_version)
    assert (len(messages), raised) == (5, "")
    # ServerErrorMiddleware's tracker, which ExceptionMiddleware and the route reuse (nothing has started yet).
    assert forwarded == ["http.response.start"]
