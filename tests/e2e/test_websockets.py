"""WebSockets over real sockets, driven by the ``websockets`` client (its synchronous API)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Optional, Union

import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.e2e.app import build_app
from tests.e2e.conftest import Served
from tests.e2e.servers import serve


def open_ws(live: Served, path: str, subprotocols: Optional[list[Subprotocol]] = None) -> ClientConnection:
    return connect(live.ws_url + path, open_timeout=5, close_timeout=2, subprotocols=subprotocols)


def test_echo_text_and_bytes(live: Served) -> None:
    with open_ws(live, "/ws/echo") as websocket:
        websocket.send("hello")
        assert websocket.recv(timeout=5) == "echo: hello"
        websocket.send(b"\x00\x01binary")
        assert websocket.recv(timeout=5) == b"echo: \x00\x01binary"
        big = "x" * 200_000  # several frames' worth on the wire
        websocket.send(big)
        assert websocket.recv(timeout=5) == "echo: " + big
    assert live.record.ws_disconnected.wait(3.0)
    assert live.record.ws_disconnects == [(1000 if forwards_close_code(live) else 1006, None)]


def test_subprotocol_negotiation(live: Served) -> None:
    with open_ws(live, "/ws/echo", subprotocols=[Subprotocol("other"), Subprotocol("echo")]) as websocket:
        assert websocket.subprotocol == "echo"
        websocket.send("negotiated")
        assert websocket.recv(timeout=5) == "echo: negotiated"


def forwards_close_code(live: Served) -> bool:
    """uvicorn hands the client's close code and reason to the app; hypercorn 0.18 reports 1006 for any close."""
    return live.server.kind.startswith("uvicorn")


def test_client_close_code_reaches_the_app(live: Served) -> None:
    with open_ws(live, "/ws/echo") as websocket:
        websocket.send("before closing")
        assert websocket.recv(timeout=5) == "echo: before closing"
        websocket.close(code=4002, reason="client says bye")
    assert live.record.ws_disconnected.wait(3.0)
    expected = (4002, "client says bye") if forwards_close_code(live) else (1006, None)
    assert live.record.ws_disconnects == [expected]


@pytest.mark.parametrize("mode", ["text", "binary"])
def test_json_messages(live: Served, mode: str) -> None:
    with open_ws(live, f"/ws/json?mode={mode}") as websocket:
        for payload in ({"a": 1, "b": [True, None]}, ["list", 2.5], "ünïcode"):
            websocket.send(json.dumps(payload) if mode == "text" else json.dumps(payload).encode())
            reply = websocket.recv(timeout=5)
            assert isinstance(reply, str if mode == "text" else bytes)
            assert json.loads(reply) == {"echo": payload, "mode": mode}


def test_server_close_code_and_reason(live: Served) -> None:
    with open_ws(live, "/ws/close") as websocket:
        assert websocket.recv(timeout=5) == "closing"
        with pytest.raises((ConnectionClosedOK, ConnectionClosedError)) as info:
            websocket.recv(timeout=5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 4001
    assert info.value.rcvd.reason == "bye from the server"


def test_denial_response_is_an_http_response(live: Served) -> None:
    with pytest.raises(InvalidStatus) as info:
        open_ws(live, "/ws/guarded")
    response = info.value.response
    assert response.status_code == 403
    assert response.headers["x-denied"] == "yes"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.body == b"no entry without a token"

    with open_ws(live, "/ws/guarded?token=sesame") as websocket:
        assert websocket.recv(timeout=5) == "welcome"
        with pytest.raises(ConnectionClosedOK):
            websocket.recv(timeout=5)


def test_close_before_accept_rejects_the_handshake(live: Served) -> None:
    with pytest.raises(InvalidStatus) as info:
        open_ws(live, "/ws/reject")
    assert info.value.response.status_code == 403


def test_unknown_websocket_route_is_rejected(live: Served) -> None:
    with pytest.raises(InvalidStatus) as info:
        open_ws(live, "/ws/nowhere")
    assert info.value.response.status_code == 403


@pytest.mark.parametrize(
    ("mode", "frame", "reason"),
    [
        ("text", b"[1]", "Expected a text frame, got a binary one."),
        ("binary", "[1]", "Expected a binary frame, got a text one."),
    ],
)
def test_a_frame_of_the_other_type_closes_with_1003_and_logs_nothing(
    server_kind: str,
    static_dir: Path,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    frame: Union[str, bytes],
    reason: str,
) -> None:
    # ws_json does not expect it: receive_json's exception reaches the exception middleware, which closes.
    with (
        serve(server_kind, build_app(static_dir)) as server,
        connect(f"{server.ws_url}/ws/json?mode={mode}", open_timeout=5, close_timeout=2) as websocket,
    ):
        websocket.send(frame)
        with pytest.raises((ConnectionClosedOK, ConnectionClosedError)) as info:
            websocket.recv(timeout=5)
    # (the server has stopped: whatever it was going to log is in caplog)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1003, reason)
    problems = [
        record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info
    ]
    assert problems == []
