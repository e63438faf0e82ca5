"""Request.json() against hostile bodies: nesting deeper than the decoder follows is invalid JSON like any other
(``json.JSONDecodeError``, a ``ValueError``), never a RecursionError, so an app that answers bad JSON with a 400
answers these with a 400 too instead of a 500.
"""

from __future__ import annotations

import codecs
import json
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., Any]

DEPTH = 100_000

DEEP_BODIES = {
    "arrays": b"[" * DEPTH,
    "closed arrays": b"[" * DEPTH + b"]" * DEPTH,
    "objects": b'{"a":' * DEPTH,
    "after whitespace": b" \n" + b"[" * DEPTH,
    # json.loads' own path: bodies it decodes after detecting their encoding.
    "utf-8 with a BOM": codecs.BOM_UTF8 + b"[" * DEPTH,
    "utf-16": ("[" * DEPTH).encode("utf-16"),
    "utf-32-le": ("[" * DEPTH).encode("utf-32-le"),
}


def make_request(body: bytes) -> Request:
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop(0)

    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}, receive)


@pytest.mark.anyio
@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
async def test_too_deep_nesting_is_a_json_decode_error(body: bytes) -> None:
    request = make_request(body)
    with pytest.raises(json.JSONDecodeError) as excinfo:
        await request.json()
    error = excinfo.value
    assert error.msg == "JSON nested too deeply"
    assert error.pos == 0
    assert isinstance(error.doc, str)
    assert error.doc.lstrip("\ufeff \n").startswith("[" * 10) or error.doc.startswith('{"a":')
    assert error.__cause__ is None
    assert error.__suppress_context__


@pytest.mark.anyio
async def test_the_error_is_the_one_receive_json_raises() -> None:
    """Same message and position as WebSocket.receive_json for the same text."""
    from starlette_core.websockets import WebSocket

    text = "[" * DEPTH
    incoming: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": text}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        pass

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    await websocket.accept()
    with pytest.raises(json.JSONDecodeError) as from_websocket:
        await websocket.receive_json()
    with pytest.raises(json.JSONDecodeError) as from_request:
        await make_request(text.encode()).json()
    assert (from_request.value.msg, from_request.value.pos, from_request.value.doc) == (
        from_websocket.value.msg,
        from_websocket.value.pos,
        from_websocket.value.doc,
    )


@pytest.mark.anyio
async def test_the_request_still_decodes_after_a_too_deep_body() -> None:
    """The RecursionError leaves no damage behind: the next body decodes, nested as deep as the decoder allows."""
    with pytest.raises(json.JSONDecodeError):
        await make_request(b"[" * DEPTH).json()
    assert await make_request(b"[[[[1]]]]").json() == [[[[1]]]]


async def echo_or_400(scope: Scope, receive: Receive, send: Send) -> None:
    """Catches invalid JSON the documented way and answers 400."""
    request = Request(scope, receive)
    response: Response
    try:
        data = await request.json()
    except json.JSONDecodeError as exc:
        response = PlainTextResponse(f"Invalid JSON: {exc.msg}", status_code=400)
    else:
        response = JSONResponse({"received": data})
    await response(scope, receive, send)


@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_an_app_answers_too_deep_json_with_400(test_client_factory: TestClientFactory, body: bytes) -> None:
    client = test_client_factory(echo_or_400)
    response = client.post("/", content=body)
    assert response.status_code == 400
    assert response.text == "Invalid JSON: JSON nested too deeply"

    response = client.post("/", content=b'{"a": [1]}')
    assert response.status_code == 200
    assert response.json() == {"received": {"a": [1]}}


def test_an_app_catching_value_error_answers_400(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await Request(scope, receive).json()
        except ValueError:
            response = PlainTextResponse("Bad Request", status_code=400)
        await response(scope, receive, send)

    response = test_client_factory(app).post("/", content=b"[" * DEPTH)
    assert response.status_code == 400


def test_echoing_json_with_a_lone_surrogate_escape_answers_200(test_client_factory: TestClientFactory) -> None:
    """A client's "\\ud800" escape is valid JSON that json.loads turns into a lone surrogate; echoing it back must
    not be a 500 (README: "Differences from upstream")."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        data = await Request(scope, receive).json()
        await JSONResponse(data)(scope, receive, send)

    response = test_client_factory(app).post("/", content=b'{"name": "\\ud800 and \\u00e9"}')
    assert response.status_code == 200
    assert response.content == b'{"name":"\\ud800 and \\u00e9"}'
    assert response.json() == {"name": "\ud800 and \u00e9"}
