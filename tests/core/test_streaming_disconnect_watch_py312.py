"""StreamingResponse at ASGI spec < 2.4 under asyncio's eager task factory (Python 3.12+), where a new task's first
step runs inside ``create_task()``: the listener may end (the client was already gone) before ``create_task()``
returns. Not collected before 3.12 (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.responses import StreamingResponse
from starlette_core.types import Message

from .test_streaming_disconnect_watch import spec_2_3_scope


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.anyio
async def test_an_eager_listener_that_ends_at_once_stops_the_stream(anyio_backend: str) -> None:
    loop = asyncio.get_running_loop()
    log: list[str] = []
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}  # the client is gone before anything was sent

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        try:
            await asyncio.sleep(3600)
        finally:
            log.append("stream closed")
        yield b"never"  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    eager_task_factory = asyncio.eager_task_factory  # type: ignore[attr-defined,unused-ignore]  # 3.12+; mypy checks as 3.11
    loop.set_task_factory(eager_task_factory)
    try:
        with anyio.fail_after(10):
            await StreamingResponse(chunks(), background=BackgroundTask(log.append, "background"))(
                spec_2_3_scope(), receive, send
            )
    finally:
        loop.set_task_factory(None)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    assert [message.get("body") for message in sent] == [None, b"a"]
    assert log == ["stream closed", "background"]
