"""StreamingResponse at ASGI spec < 2.4: the asyncio watch (one plain task, started when the stream first waits)
gives every ASGI message, error and background run the anyio task-group path gives.

``starlette_core.responses.current_asyncio_task`` decides per response; patched to return None, a response takes
the task-group path on asyncio too, which is how the equivalence tests get both. On trio every case runs the
task-group path (the watch needs asyncio), so the behaviour tests hold there as well.
"""

from __future__ import annotations

import sys
from typing import Any, AsyncIterator

import anyio
import pytest

import starlette_core.responses as responses_module
from starlette_core import _disconnect_watch
from starlette_core.background import BackgroundTask
from starlette_core.responses import StreamingResponse
from starlette_core.types import Message

Outcome = tuple[list[Message], list[str], str]


class Client:
    """A spec-2.3 server's side of one response: records messages; ``receive()`` says "disconnect" on cue."""

    def __init__(self, disconnect_after: int | None = None, receive_error: bool = False) -> None:
        self.sent: list[Message] = []
        self.disconnect_after = disconnect_after
        self.receive_error = receive_error
        self.gone = anyio.Event()

    async def receive(self) -> Message:
        await self.gone.wait()
        if self.receive_error:
            raise ConnectionResetError("receive failed")
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if len(self.sent) == self.disconnect_after:
            self.gone.set()


async def waits_forever() -> None:
    await anyio.sleep_forever()


def stream_of(kind: str, log: list[str]) -> AsyncIterator[Any]:
    async def plain() -> AsyncIterator[Any]:
        yield b"a"
        yield "\u00e9"
        yield memoryview(b"c")

    async def waiting() -> AsyncIterator[Any]:
        for index in range(4):
            await anyio.sleep(0)
            yield str(index)

    async def stalls_after_two() -> AsyncIterator[Any]:
        # The stream can only end by the disconnect: both paths send exactly the same messages.
        yield b"1"
        yield b"2"
        try:
            await waits_forever()
        finally:
            log.append("stream closed")
        yield b"never"  # pragma: no cover

    async def broken() -> AsyncIterator[Any]:
        yield b"a"
        await anyio.sleep(0)
        raise LookupError("boom")

    async def empty() -> AsyncIterator[Any]:
        nothing: tuple[bytes, ...] = ()
        for chunk in nothing:
            yield chunk  # pragma: no cover

    return {
        "plain": plain,
        "waiting": waiting,
        "stalls": stalls_after_two,
        "broken": broken,
        "empty": empty,
    }[kind]()


CASES: list[tuple[str, dict[str, Any]]] = [
    ("plain", {}),
    ("waiting", {}),
    ("empty", {}),
    ("broken", {}),
    ("stalls", {"disconnect_after": 3}),
    ("stalls", {"disconnect_after": 1}),
    ("stalls", {"disconnect_after": 3, "receive_error": True}),
    ("waiting", {"disconnect_after": 99}),
]


async def run_case(kind: str, client_options: dict[str, Any]) -> Outcome:
    log: list[str] = []
    client = Client(**client_options)
    response = StreamingResponse(
        stream_of(kind, log), headers={"x-a": "1"}, background=BackgroundTask(log.append, "background")
    )
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "asgi": {"spec_version": "2.3"}}
    error = ""
    with anyio.fail_after(10):
        try:
            await response(scope, client.receive, client.send)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    return client.sent, log, error


@pytest.mark.anyio
@pytest.mark.parametrize(("kind", "client_options"), CASES)
async def test_the_watch_gives_what_the_task_group_gives(
    kind: str, client_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    watched = await run_case(kind, client_options)
    monkeypatch.setattr(responses_module, "current_asyncio_task", lambda: None)
    grouped = await run_case(kind, client_options)
    assert watched == grouped


@pytest.mark.anyio
async def test_expected_outcomes(anyio_backend: str) -> None:
    # What the equivalence above compares, spelled out for a few cases.
    sent, log, error = await run_case("stalls", {"disconnect_after": 3})
    assert [message.get("body") for message in sent] == [None, b"1", b"2"]
    assert log == ["stream closed", "background"] and error == ""

    sent, log, error = await run_case("stalls", {"disconnect_after": 3, "receive_error": True})
    assert error == "ConnectionResetError: receive failed" and log == ["stream closed"]

    sent, log, error = await run_case("broken", {})
    assert error == "LookupError: boom" and log == []

    sent, log, error = await run_case("waiting", {})
    assert b"".join(message.get("body", b"") for message in sent) == b"0123"
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def spec_2_3_scope() -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": "/", "headers": [], "asgi": {"spec_version": "2.3"}}


async def never_receive() -> Message:
    await anyio.sleep_forever()
    raise AssertionError("unreachable")  # pragma: no cover


@pytest.mark.anyio
async def test_a_cancellation_from_outside_still_cancels(anyio_backend: str) -> None:
    sent: list[Message] = []

    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"x"
            await anyio.sleep(0)

    with anyio.CancelScope() as outer:

        async def send(message: Message) -> None:
            sent.append(message)
            if len(sent) == 3:
                outer.cancel()

        await StreamingResponse(chunks())(spec_2_3_scope(), never_receive, send)
    assert outer.cancelled_caught
    assert 3 <= len(sent) < 10
    await anyio.sleep(0)  # no cancellation is left pending on this task


@pytest.mark.anyio
async def test_a_disconnect_and_an_outer_cancel_together_cancel(anyio_backend: str) -> None:
    gone = anyio.Event()
    sent: list[Message] = []

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"
        await anyio.sleep_forever()
        yield b"never"  # pragma: no cover

    with anyio.CancelScope() as outer:

        async def send(message: Message) -> None:
            sent.append(message)
            if len(sent) == 2:
                gone.set()
                outer.cancel()

        await StreamingResponse(chunks())(spec_2_3_scope(), receive, send)
        raise AssertionError("not reached: the outer scope was cancelled")  # pragma: no cover
    assert outer.cancelled_caught
    assert len(sent) == 2
    await anyio.sleep(0)


def test_the_watch_needs_a_running_asyncio_task_on_python_3_11(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _disconnect_watch.current_asyncio_task() is None  # no event loop runs here
    monkeypatch.delitem(sys.modules, "asyncio")
    assert _disconnect_watch.current_asyncio_task() is None


@pytest.mark.anyio
async def test_the_watch_is_not_used_without_task_uncancel(anyio_backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_disconnect_watch, "_HAS_UNCANCEL", False)
    assert _disconnect_watch.current_asyncio_task() is None
    sent, _log, error = await run_case("stalls", {"disconnect_after": 3})
    assert [message.get("body") for message in sent] == [None, b"1", b"2"] and error == ""


@pytest.mark.anyio
async def test_on_trio_there_is_no_asyncio_task(anyio_backend: str) -> None:
    task = _disconnect_watch.current_asyncio_task()
    assert (task is None) == (anyio_backend == "trio" or sys.version_info < (3, 11))
