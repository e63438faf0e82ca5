"""Internal: stream a response on asyncio while one plain task watches for the client's disconnect.

Servers that speak ASGI spec 2.3 or older (uvicorn's HTTP protocols say 2.3) give no error when a response is sent
to a client that has gone, so ``StreamingResponse`` watches ``receive()`` for ``http.disconnect`` beside the stream
and stops the stream when it comes; upstream runs the two in an anyio task group. On asyncio the same race needs
one plain task and no cancel scopes, which is most of what a short stream cost (a task group, a spawned task and
cancel scopes that build a cancel-reason string from ``repr(task)``):

- The stream runs in the current task (as it does at spec 2.4), the listener in a new task.
- A new task's first step waits for the event loop. A stream that ends before the loop gets control (nothing in
  it had to wait) cancels the listener before that step: ``receive()`` was never called and there is nothing to
  wait for. A listener that did start is cancelled and waited for, as a task group waits for its tasks.
- When the listener ends (the client disconnected, or ``receive()`` raised) it cancels the streaming task. The
  stream stops at the point it was waiting, and that one cancellation is taken back with ``Task.uncancel()``
  (Python 3.11+), so a cancellation from anywhere else still propagates. An error from the listener is raised
  in the stream's place, unwrapped, as upstream's ``collapse_excgroups`` gives it.

``current_asyncio_task()`` says whether this applies: it returns the running asyncio task on Python 3.11+, else
None (trio, or an older Python), and the caller then takes the task-group path. asyncio is never imported here: if
the running library is asyncio, the module is already in ``sys.modules``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    import asyncio

    from starlette_core.types import Receive, Send

_HAS_UNCANCEL = sys.version_info >= (3, 11)


def current_asyncio_task() -> asyncio.Task[Any] | None:
    """The asyncio task running this code, when the disconnect watch below can be used; else None."""
    asyncio_module = sys.modules.get("asyncio")
    if asyncio_module is None or not _HAS_UNCANCEL:
        return None
    try:
        task: asyncio.Task[Any] | None = asyncio_module.current_task()
    except RuntimeError:  # no asyncio event loop runs in this thread (trio, for one)
        return None
    return task


class _Watch:
    """The listener's side of one streaming response, and what it and the streaming task tell each other."""

    # Class-level defaults: a response whose stream never waits sets only the three attributes of __init__.
    listener: asyncio.Task[Any] | None = None
    listener_started = False
    stream_done = False
    stopped_by_listener = False
    error: Exception | None = None

    def __init__(
        self,
        streamer: asyncio.Task[Any],
        listen_for_disconnect: Callable[[Receive], Awaitable[None]],
        receive: Receive,
    ) -> None:
        self.streamer = streamer
        self.listen_for_disconnect = listen_for_disconnect
        self.receive = receive

    def start_listener(self) -> None:
        # Called by the event loop, so the streaming task is waiting somewhere in the stream (a stream that ends
        # first cancels this call): cancelling it from the listener stops the stream where it waits.
        self.listener = self.streamer.get_loop().create_task(self.listen())

    async def listen(self) -> None:
        self.listener_started = True
        try:
            await self.listen_for_disconnect(self.receive)
        except Exception as exc:  # raised in the stream's place (see stream_watching_disconnect)
            self.error = exc
        if not self.stream_done:
            self.stopped_by_listener = True
            self.streamer.cancel()

    async def stream_ended(self) -> None:
        """The stream ran to its end: take back a cancellation it caught and went on from, stop the listener.

        (A method of its own: CPython 3.11's tracer reports no lines of a frame resumed by a ``throw()`` that a
        frame below it caught, which is how a stream that caught the cancellation comes back here.)
        """
        if self.stopped_by_listener:
            self.streamer.uncancel()
        await self.stop_listener()

    async def stop_listener(self) -> None:
        """Called when the stream ended: the listener is not started, or cancelled and waited for."""
        self.stream_done = True
        listener = self.listener
        if listener is None or listener.done():
            return
        listener.cancel()
        if self.listener_started:  # else its coroutine is closed before it ran a line
            await sys.modules["asyncio"].wait((listener,))


async def stream_watching_disconnect(
    streamer: asyncio.Task[Any],
    stream_response: Callable[[Send], Awaitable[None]],
    send: Send,
    listen_for_disconnect: Callable[[Receive], Awaitable[None]],
    receive: Receive,
) -> None:
    """``await stream_response(send)`` in ``streamer`` (the current task) until ``listen_for_disconnect(receive)``,
    run in a task of its own once the stream first waits, returns; whichever ends first stops the other."""
    cancelled_error = sys.modules["asyncio"].CancelledError
    watch = _Watch(streamer, listen_for_disconnect, receive)
    start = streamer.get_loop().call_soon(watch.start_listener)
    try:
        await stream_response(send)
    except cancelled_error:
        start.cancel()
        # Our own cancellation (the listener ended) is taken back; any other one goes on.
        if not watch.stopped_by_listener or streamer.uncancel() > 0:
            await watch.stop_listener()
            raise
    except BaseException:
        start.cancel()
        await watch.stop_listener()
        raise
    else:
        start.cancel()
        if watch.listener is not None:  # the stream waited at least once
            await watch.stream_ended()
    if watch.error is not None:
        raise watch.error
