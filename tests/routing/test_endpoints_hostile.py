"""WebSocketEndpoint(encoding="json") against frames nested deeper than the JSON decoder follows: the client's
mistake, answered as broken JSON is (close 1003, "Malformed JSON data received."), not as a server error (1011).
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from starlette_core.types import Message
from starlette_core.websockets import WebSocket
from starlette_routing.endpoints import WebSocketEndpoint
from starlette_routing.routing import Router, WebSocketRoute

TestClientFactory = Callable[..., Any]

DEEP_ARRAY = "[" * 100_000
DEEP_OBJECT = '{"a":' * 100_000
NESTED_JUST_ENOUGH = "[" * 50 + "]" * 50


class JSONEcho(WebSocketEndpoint):
    encoding = "json"
    disconnect_codes: list[int] = []

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_json({"got": data})

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        self.disconnect_codes.append(close_code)


async def run_endpoint(frame: Message) -> tuple[list[Message], list[int], BaseException | None]:
    """One connection that sends ``frame``: what the endpoint sent, the codes on_disconnect got, and what it raised."""
    incoming: list[Message] = [{"type": "websocket.connect"}, frame, {"type": "websocket.disconnect", "code": 1000}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    class Endpoint(JSONEcho):
        disconnect_codes: list[int] = []

    raised: BaseException | None = None
    try:
        await Endpoint({"type": "websocket", "path": "/ws", "headers": []}, receive, send)
    except Exception as exc:
        raised = exc
    return sent, Endpoint.disconnect_codes, raised


def outcome(result: tuple[list[Message], list[int], BaseException | None]) -> tuple[Any, ...]:
    sent, codes, raised = result
    return [message["type"] for message in sent], sent[-1], codes, type(raised), str(raised)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "frame",
    [
        {"type": "websocket.receive", "text": DEEP_ARRAY},
        {"type": "websocket.receive", "text": DEEP_OBJECT},
        {"type": "websocket.receive", "bytes": DEEP_ARRAY.encode()},
        # Well-formed, but too deep to decode on every version (3.13's decoder goes 8,000 levels deep and more).
        {"type": "websocket.receive", "text": "[" * 100_000 + "]" * 100_000},
    ],
)
async def test_too_deep_json_is_answered_as_broken_json(frame: Message) -> None:
    broken = outcome(await run_endpoint({"type": "websocket.receive", "text": "{"}))
    assert broken[1] == {"type": "websocket.close", "code": 1003, "reason": ""}
    assert broken[3:] == (RuntimeError, "Malformed JSON data received.")
    assert outcome(await run_endpoint(frame)) == broken


@pytest.mark.anyio
async def test_nesting_the_decoder_follows_is_still_decoded() -> None:
    sent, codes, raised = await run_endpoint({"type": "websocket.receive", "text": NESTED_JUST_ENOUGH})
    assert raised is None
    assert sent[-1]["type"] == "websocket.send"
    assert codes == [1000]


def test_the_client_gets_1003_and_other_connections_are_served(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([WebSocketRoute("/ws", JSONEcho)]))
    with (
        pytest.raises(RuntimeError, match=re.escape("Malformed JSON data received.")),
        client.websocket_connect("/ws") as websocket,
    ):
        websocket.send_text(DEEP_ARRAY)
        assert websocket.receive() == {"type": "websocket.close", "code": 1003, "reason": ""}
        websocket.receive()

    with client.websocket_connect("/ws") as websocket:
        websocket.send_json([1, {"two": 2}])
        assert websocket.receive_json() == {"got": [1, {"two": 2}]}
