"""StreamingResponse at ASGI spec < 2.4 on asyncio, Python 3.11+: how the watch (starlette_core._disconnect_watch)
uses the event loop — the stream runs in the calling task, its one cancellation is taken back, the listener is
waited for. Not collected before 3.11 (tests/conftest.py), where the task-group path runs instead.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.responses import StreamingResponse
from starlette_core.types import Message

from .test_streaming_disconnect_watch import never_receive, spec_2_3_scope


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_on_asyncio_the_stream_runs_in_the_calling_task_and_leaves_no_cancellation(anyio_backend: str) -> None:
    tasks: list[Any] = []
    gone = asyncio.Event()

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def chunks() -> AsyncIterator[bytes]:
        tasks.append(asyncio.current_task())
        yield b"a"
        gone.set()
        await asyncio.sleep(3600)
        yield b"never"  # pragma: no cover

    async def send(message: Message) -> None:
        pass

    task = asyncio.current_task()
    assert task is not None
    with anyio.fail_after(10):
        await StreamingResponse(chunks())(spec_2_3_scope(), receive, send)
    assert tasks == [task]
    assert task.cancelling() == 0


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_stream_that_swallows_the_cancellation_runs_to_its_end(anyio_backend: str) -> None:
    # The listener's one cancellation is taken back even when the stream caught it; nothing is left pending.
    gone = asyncio.Event()
    sent: list[Message] = []

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        gone.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
        yield b"b"

    async def send(message: Message) -> None:
        sent.append(message)

    task = asyncio.current_task()
    assert task is not None
    with anyio.fail_after(10):
        await StreamingResponse(chunks())(spec_2_3_scope(), receive, send)
    assert [message.get("body") for message in sent] == [None, b"a", b"b", b""]
    assert task.cancelling() == 0
    await asyncio.sleep(0)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_listener_error_after_the_stream_ended_is_raised(anyio_backend: str) -> None:
    # The stream waits once (the listener starts), ends, and the listener fails while being cancelled.
    async def receive() -> Message:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ConnectionResetError("receive failed while cancelled") from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def chunks() -> AsyncIterator[bytes]:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        yield b"a"

    async def send(message: Message) -> None:
        pass

    with pytest.raises(ConnectionResetError, match="while cancelled"):
        await StreamingResponse(chunks())(spec_2_3_scope(), receive, send)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_listener_that_swallows_its_cancellation_does_not_cancel_the_stream(anyio_backend: str) -> None:
    ended: list[str] = []

    async def listen_for_disconnect(receive: Any) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            ended.append("listener swallowed its cancellation")

    async def chunks() -> AsyncIterator[bytes]:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        yield b"a"

    async def send(message: Message) -> None:
        pass

    response = StreamingResponse(chunks(), background=BackgroundTask(ended.append, "background"))
    response.listen_for_disconnect = listen_for_disconnect  # type: ignore[method-assign]
    await response(spec_2_3_scope(), never_receive, send)
    await asyncio.sleep(0)  # the stream's task was not cancelled afterwards
    assert ended == ["listener swallowed its cancellation", "background"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_a_plain_asyncio_cancel_stops_the_listener_and_propagates(anyio_backend: str) -> None:
    # Task.cancel() (edge-triggered, unlike an anyio scope): the started listener is cancelled and waited for.
    receiving: list[str] = []

    async def receive() -> Message:
        receiving.append("receiving")
        try:
            await asyncio.sleep(3600)
        finally:
            receiving.append("listener cancelled")
        raise AssertionError("unreachable")  # pragma: no cover

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)
        yield b"never"  # pragma: no cover

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    task = asyncio.current_task()
    assert task is not None
    with pytest.raises(asyncio.CancelledError):
        await StreamingResponse(chunks())(spec_2_3_scope(), receive, send)
    assert task.uncancel() == 0
    assert receiving == ["receiving", "listener cancelled"]
    assert [message.get("body") for message in sent] == [None, b"a"]
