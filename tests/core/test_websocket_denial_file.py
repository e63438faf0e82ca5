"""File and streaming responses as websocket denial responses (``WebSocket.send_denial_response``), as upstream 1.x.

0.47.3 fails on both (FileResponse reads the scope's "method", which a websocket scope has none of: a KeyError;
its StreamingResponse sends "http.response.*" messages). The handshake is a GET: a Range header is answered as
for a GET, and the file is never sent with pathsend. Expected messages are upstream 1.10's, observed with a raw
ASGI driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Callable

import pytest

from starlette_core.responses import FileResponse, Response, StreamingResponse
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_testing.testclient import WebSocketDenialResponse
from tests.websocket_driver import connect_then_wait

TestClientFactory = Callable[..., Any]


@pytest.fixture
def file(tmp_path: Path) -> Path:
    path = tmp_path / "denied.txt"
    path.write_bytes(b"hello-file\n")
    return path


def denying(make_response: Callable[[], Response]) -> Callable[[Scope, Receive, Send], Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.send_denial_response(make_response())

    return app


async def drive(
    app: Callable[[Scope, Receive, Send], Any], headers: list[tuple[bytes, bytes]], extensions: dict[str, Any]
) -> list[Message]:
    scope: Scope = {
        "type": "websocket",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": headers,
        "extensions": extensions,
        "subprotocols": [],
    }

    return await connect_then_wait(app, scope)


def test_file_response_denial(test_client_factory: TestClientFactory, file: Path) -> None:
    app = denying(lambda: FileResponse(file, status_code=403, headers={"x-a": "1"}))
    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover - the handshake is denied
    denial = info.value
    assert (denial.status_code, denial.content) == (403, b"hello-file\n")
    assert denial.headers["content-length"] == "11"
    assert denial.headers["content-type"] == "text/plain; charset=utf-8"
    assert denial.headers["x-a"] == "1"
    assert "etag" in denial.headers and "last-modified" in denial.headers


def test_streaming_response_denial(test_client_factory: TestClientFactory) -> None:
    async def parts() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    app = denying(lambda: StreamingResponse(parts(), status_code=401, headers={"x-a": "1"}))
    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/"):
        pass  # pragma: no cover - the handshake is denied
    assert (info.value.status_code, info.value.content, info.value.headers["x-a"]) == (401, b"ab", "1")


@pytest.mark.anyio
async def test_file_denial_messages_without_pathsend(file: Path) -> None:
    # A server offering pathsend in a websocket scope still gets the body: there is no websocket pathsend message.
    extensions: dict[str, Any] = {"websocket.http.response": {}, "http.response.pathsend": {}}
    messages = await drive(denying(lambda: FileResponse(file, status_code=403)), [], extensions)
    assert [message["type"] for message in messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert messages[0]["status"] == 403
    assert messages[1] == {"type": "websocket.http.response.body", "body": b"hello-file\n", "more_body": False}


@pytest.mark.anyio
async def test_file_denial_answers_a_range_as_a_get(file: Path) -> None:
    messages = await drive(
        denying(lambda: FileResponse(file)), [(b"range", b"bytes=0-1")], {"websocket.http.response": {}}
    )
    assert messages[0]["type"] == "websocket.http.response.start"
    assert messages[0]["status"] == 206
    assert dict(messages[0]["headers"])[b"content-range"] == b"bytes 0-1/11"
    assert messages[1:] == [{"type": "websocket.http.response.body", "body": b"he", "more_body": False}]


@pytest.mark.anyio
async def test_file_denial_malformed_range(file: Path) -> None:
    messages = await drive(denying(lambda: FileResponse(file)), [(b"range", b"junk")], {"websocket.http.response": {}})
    assert (messages[0]["type"], messages[0]["status"]) == ("websocket.http.response.start", 400)
    assert messages[1]["body"] == b"Malformed range header."
