"""Hostile WebSocket frames (text and bytes, valid and invalid JSON, invalid UTF-8, deep nesting).

- ``WebSocketEndpoint`` with ``encoding`` "json", "text" or "bytes" echoes every frame it can decode; the first it
  cannot (wrong frame type, invalid JSON) closes the socket with 1003, after which the endpoint raises the
  ``RuntimeError`` upstream raises there: that, and nothing else, may leave the app.
- A function endpoint reading frames of the type it expects with ``receive_json(mode=...)`` and answering
  ``ValueError`` with a 1003 close echoes valid JSON and closes on anything else: nothing leaves the app.

Frames come as servers send them: with only the ``text`` or ``bytes`` key, or with both and the other one None.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

import anyio
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from ._drive import HOSTILE, Session, websocket


class JSONEcho(WebSocketEndpoint):
    encoding = "json"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_text(json.dumps(data))


class TextEcho(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_text(json.dumps(["text", data]))


class BytesEcho(WebSocketEndpoint):
    encoding = "bytes"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_text(json.dumps(["bytes", data.decode("latin-1")]))


async def json_function(websocket: WebSocket) -> None:
    mode = websocket.path_params["mode"]
    await websocket.accept()
    while True:
        try:
            data = await websocket.receive_json(mode=mode)
        except WebSocketDisconnect:
            return
        except ValueError:  # JSONDecodeError, or bytes that are not UTF-8
            await websocket.close(code=1003)
            return
        await websocket.send_text(json.dumps(data))


app = Starlette(
    routes=[
        WebSocketRoute("/json", JSONEcho),
        WebSocketRoute("/text", TextEcho),
        WebSocketRoute("/bytes", BytesEcho),
        WebSocketRoute("/function/{mode}", json_function),
    ]
)

valid_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=8,
).map(json.dumps)
json_texts = st.one_of(
    valid_json,
    valid_json,
    valid_json,
    valid_json,
    st.text(max_size=20),
    st.sampled_from(['"\\ud800"', "[1,]", "{'a': 1}", "NaN", "[" * 5000, "[" * 100_000 + "]" * 100_000, "1" * 5000]),
)
payloads = st.one_of(json_texts.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=20))


@st.composite
def frames(draw: st.DrawFn, kinds: tuple[str, ...] = ("text", "bytes")) -> Message:
    kind = draw(st.sampled_from(kinds))
    data: Any = draw(json_texts) if kind == "text" else draw(payloads)
    message: Message = {"type": "websocket.receive", kind: data}
    if draw(st.booleans()):
        message["bytes" if kind == "text" else "text"] = None
    return message


def decoded(frame: Message, encoding: Optional[str]) -> tuple[bool, Any]:
    """(whether the endpoint can decode the frame, the value it decodes to)."""
    text, data = frame.get("text"), frame.get("bytes")
    if encoding == "text":
        return text is not None, text
    if encoding == "bytes":
        return data is not None, data
    try:
        return True, json.loads(text if text is not None else frame["bytes"].decode("utf-8"))
    except (ValueError, RecursionError):
        return False, None


def same_json(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return list(left) == list(right) and all(same_json(left[key], right[key]) for key in left)
    return type(left) is type(right) and bool(left == right)


def check_session(session: Session, sent_frames: list[Message], encoding: Optional[str], endpoint_class: bool) -> None:
    """Echoes for the decodable frames up to the first one that is not; then a 1003 (or a normal end)."""
    texts = session.texts()
    assert session.sent[0]["type"] == "websocket.accept"
    for index, frame in enumerate(sent_frames):
        ok, value = decoded(frame, encoding)
        if not ok:
            assert len(texts) == index and session.close_code == 1003, session.sent
            if endpoint_class:  # upstream's contract: the endpoint raises once it has closed with 1003
                assert isinstance(session.raised, RuntimeError), session.raised
            else:
                assert session.raised is None
            event("closed with 1003")
            return
        echoed = json.loads(texts[index])
        if encoding == "text":
            assert echoed == ["text", value]
        elif encoding == "bytes":
            assert echoed == ["bytes", value.decode("latin-1")]
        else:
            assert same_json(echoed, value)
    assert session.raised is None, session.raised
    assert len(texts) == len(sent_frames) and session.close_code is None
    event("all frames echoed")


@HOSTILE
@given(path=st.sampled_from(["/json", "/text", "/bytes"]), sent=st.lists(frames(), max_size=5))
def test_endpoint_classes_echo_or_close_with_1003(anyio_backend: str, path: str, sent: list[Message]) -> None:
    session = anyio.run(websocket, app, path, sent, backend=anyio_backend)
    check_session(session, sent, path[1:], endpoint_class=True)
    assert session.receives <= len(sent) + 2  # the connect, the frames, the disconnect


@HOSTILE
@given(data=st.data(), mode=st.sampled_from(["text", "binary"]))
def test_json_function_endpoints_echo_or_close_with_1003(anyio_backend: str, data: st.DataObject, mode: str) -> None:
    kind = "text" if mode == "text" else "bytes"
    sent = data.draw(st.lists(frames((kind,)), max_size=5), label="frames")
    session = anyio.run(websocket, app, f"/function/{mode}", sent, backend=anyio_backend)
    check_session(session, sent, None, endpoint_class=False)
    assert session.receives <= len(sent) + 2  # the connect, the frames, the disconnect
