"""``BaseHTTPMiddleware``: middleware written as ``async def dispatch(request, call_next) -> Response``.

``call_next(request)`` runs the rest of the stack in a task of its own and returns as soon as the app has started
its response: the returned response streams the app's body as the app produces it (nothing is buffered), and the
app's background work finishes before the middleware returns.  The request body may be read in ``dispatch``
(``await request.body()``) and still reaches the app.

The app's response messages reach ``dispatch`` through a pipe: under asyncio a small future-based pipe and a
plain task (a fraction of the cost of an anyio task group and memory object stream, which are used on other
backends).  Either way the app's ``send`` waits until dispatch has dealt with the message, so the client has the
whole response before the app goes on to its background work.

Per request on asyncio: one task and three trips through the event loop (the app's task starts; dispatch sends the
response; the app's task ends while dispatch, having let the loop run once, looks at it).  The response's body goes
from the pipe straight to the server unless ``dispatch`` has read ``response.body_iterator`` (then it goes through
that generator: the same messages, ``tests/middleware/test_base_fast_path.py``).
"""

from __future__ import annotations

import asyncio
import types
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Generator, Mapping, MutableMapping
from typing import Any, Callable, Optional, Protocol, TypeVar, Union

import anyio
from anyio.abc import TaskGroup

from starlette_core._request_body import cached_body, is_stream_consumed
from starlette_core._utils import collapse_excgroups
from starlette_core.requests import ClientDisconnect, Request
from starlette_core.responses import Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "AsyncContentStream",
    "BaseHTTPMiddleware",
    "BodyStreamGenerator",
    "DispatchFunction",
    "RequestResponseEndpoint",
]

RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]
BodyStreamGenerator = AsyncGenerator[Union[bytes, MutableMapping[str, Any]], None]
AsyncContentStream = AsyncIterable[Union[str, bytes, memoryview, MutableMapping[str, Any]]]

T = TypeVar("T")


class _CachedRequest(Request):
    """The class of the request ``dispatch`` gets (upstream's name): a ``Request`` whose body, if ``dispatch``
    reads it, still reaches the app.  Looked up in the module's globals for each request, as upstream's.
    """


# States of what the app downstream has been given of the request body.
_BODY_PENDING = 0  # not all of it yet
_BODY_DELIVERED = 1  # all of it; only a disconnect can follow
_DISCONNECTED = 2  # a disconnect


class _Exchange:
    """Everything one request through a ``BaseHTTPMiddleware`` needs, as one object (no per-request closures).

    What most requests never change starts as a class attribute (set on the instance when it does change).
    """

    client_disconnected = False
    body_state = _BODY_PENDING
    body_chunks: AsyncGenerator[bytes, None] | None = None
    response_sent = False
    pending_receives: set[anyio.CancelScope] | None = None  # made by the first app_receive()
    loop: asyncio.AbstractEventLoop | None = None  # asyncio: the app runs in plain tasks
    task_group: TaskGroup | None = None  # other backends: the app runs in this task group
    app_exc: Exception | None = None
    app_exc_raised = False
    # The app's run, made by call_next() (which a request may call once): its output, and on asyncio its task.
    pipe: _Pipe | None = None
    task: asyncio.Task[None] | None = None

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        self.app = app
        self.scope = scope
        self.server_receive = receive
        self.request = _CachedRequest(scope, self.receive_from_server)

    # -- the request side ---------------------------------------------------------------------------------------

    async def receive_from_server(self) -> Message:
        """The server's ``receive``, noting a disconnect (both ``dispatch`` and the app read through here)."""
        message = await self.server_receive()
        if message["type"] == "http.disconnect":
            self.client_disconnected = True
        return message

    async def receive_for_app(self) -> Message:
        """The body as the app should see it: what ``dispatch`` read (and cached) first, then the rest."""
        if self.body_state == _DISCONNECTED:
            return {"type": "http.disconnect"}
        if self.body_state == _BODY_DELIVERED:
            if self.client_disconnected:
                self.body_state = _DISCONNECTED
                return {"type": "http.disconnect"}
            message = await self.receive_from_server()
            if message["type"] == "http.disconnect":
                self.body_state = _DISCONNECTED
            return message

        request = self.request
        body = cached_body(request)
        if body is not None:
            # dispatch called request.body(): hand the app the cached body, even if the client has gone since.
            self.body_state = _BODY_DELIVERED
            return {"type": "http.request", "body": body, "more_body": False}
        if self.client_disconnected:
            self.body_state = _DISCONNECTED
            return {"type": "http.disconnect"}
        if self.body_chunks is None:
            if is_stream_consumed(request):
                # dispatch consumed request.stream() without keeping it: an empty body rather than a hang.
                self.body_state = _BODY_DELIVERED
                return {"type": "http.request", "body": b"", "more_body": False}
            self.body_chunks = request.stream()
        try:
            chunk = await self.body_chunks.__anext__()
        except ClientDisconnect:
            self.body_state = _DISCONNECTED
            return {"type": "http.disconnect"}
        if is_stream_consumed(request):
            self.body_state = _BODY_DELIVERED
            await self.body_chunks.aclose()
            return {"type": "http.request", "body": chunk, "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def app_receive(self) -> Message:
        """``receive_for_app``, but a disconnect once the middleware has sent its response (so the app ends)."""
        if self.response_sent:
            return {"type": "http.disconnect"}
        pending = self.pending_receives
        if pending is None:
            pending = self.pending_receives = set()
        with anyio.CancelScope() as cancel_scope:
            pending.add(cancel_scope)
            try:
                return await self.receive_for_app()
            finally:
                pending.discard(cancel_scope)
        # Cancelled by mark_response_sent(): the response is out, the app gets nothing more.
        return {"type": "http.disconnect"}

    def release(self) -> None:
        """Let go of the request once the app is done. The request reads through this exchange (a reference
        cycle): without this, each request through the middleware stays in memory until the garbage collector
        runs, instead of being freed when nothing else holds it."""
        del self.request

    def mark_response_sent(self) -> None:
        self.response_sent = True
        if self.pending_receives is not None:
            for cancel_scope in self.pending_receives:
                cancel_scope.cancel()

    # -- the response side --------------------------------------------------------------------------------------

    async def call_next(self, request: Request) -> Response:
        if self.pipe is not None:
            # The request's body went to the first call's app: a second app waiting for it would wait forever.
            # Upstream fails here too (an AssertionError, after running the app again).
            raise AssertionError("call_next() can be called only once per request.")
        pipe = self.start_app()
        info: Any = None
        message: Message | None
        try:
            message = await pipe.receive()
            if message["type"] == "http.response.debug":
                info = message.get("info")
                message = await pipe.receive()
        except anyio.EndOfStream:
            message = None
        if message is None:
            # (Raised here, not in the handler above: there the pipe's EndOfStream would become the context of what
            # is raised, and through a second BaseHTTPMiddleware its cause. The app's exception keeps its own chain.)
            app_exc = self.app_exc
            if app_exc is not None:
                self.app_exc_raised = True
                raise app_exc
            if self.client_disconnected:
                # The app saw the client go and returned without a response: nobody is left to answer.
                raise ClientDisconnect()
            raise RuntimeError("No response returned.")

        assert message["type"] == "http.response.start", f"Unexpected message: {message['type']!r}"
        response = _StreamingResponse(status_code=message["status"], content=_FROM_PIPE, info=info)
        response._pipe = pipe
        headers = message.get("headers", ())
        # The app's own list, as upstream hands it on (anything else is copied into one, for dispatch to change).
        response.raw_headers = headers if type(headers) is list else list(headers)
        return response

    def start_app(self) -> _Pipe:
        """Run the app in a task of its own; its response messages come out of the returned pipe."""
        pipe: _Pipe
        loop = self.loop
        if loop is not None:
            pipe = _AsyncioPipe(loop)
            self.task = loop.create_task(self.run_app(pipe))
        else:
            assert self.task_group is not None
            pipe = _StreamPipe()
            self.task_group.start_soon(self.run_app, pipe)
        self.pipe = pipe
        return pipe

    async def run_app(self, pipe: _Pipe) -> None:
        try:
            await self.app(self.scope, self.app_receive, pipe.send)
        except Exception as exc:
            self.app_exc = exc
        finally:
            pipe.finish()

    def close_pipe(self) -> None:
        """dispatch is done with the app's output: whatever else the app sends is dropped, not blocked."""
        if self.pipe is not None:
            self.pipe.close()

    async def join_task(self) -> None:
        """Wait for the app's task (asyncio): its background work finishes before the middleware returns.

        The app's task, woken when dispatch was done with its response, is already due to run: one trip through
        the event loop first lets it finish (if it can at once) before this looks, rather than a wait on the task
        and another trip to be woken by its end.
        """
        task = self.task
        if task is None:  # dispatch never called call_next()
            return
        joined = False
        try:
            if not task.done():
                await _pass_turn()
            await task
            joined = True
        finally:
            if not joined:  # cancelled (or interrupted) while waiting
                await self.cancel_task()

    async def cancel_task(self) -> None:
        """Cancel the app's task if unfinished and wait until it has ended (as leaving a task group does)."""
        task = self.task
        if task is None:
            return
        if not task.done():
            task.cancel()
            while not task.done():
                try:
                    await asyncio.wait((task,))
                except asyncio.CancelledError:
                    # Already on our way out with the original exception: finish the clean-up first.
                    pass
        if not task.cancelled():
            task.exception()  # retrieved: the original exception is the one that propagates

    @staticmethod
    async def body_stream(pipe: _Pipe) -> BodyStreamGenerator:
        while True:
            try:
                message = await pipe.receive()
            except anyio.EndOfStream:
                return
            if message["type"] == "http.response.pathsend":
                yield message
                return
            assert message["type"] == "http.response.body", f"Unexpected message: {message['type']!r}"
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return


@types.coroutine
def _pass_turn() -> Generator[None, None, None]:
    """One trip through the event loop (``asyncio.sleep(0)``, without its checks)."""
    yield


class _Pipe(Protocol):
    """The app's response messages on their way to dispatch, one at a time.

    ``send`` (the app's) returns once dispatch has dealt with the message: when dispatch asks for the next one,
    or has stopped listening (``close``), after which messages are dropped.  ``receive`` raises
    ``anyio.EndOfStream`` once the app has finished (``finish``) and everything it sent has been received.
    """

    async def send(self, message: Message) -> None: ...

    async def receive(self) -> Message: ...

    def finish(self) -> None: ...

    def close(self) -> None: ...


# Messages the app hands over without waiting for dispatch (all of them come before the body).
_HANDED_OVER = frozenset({"http.response.debug", "http.response.start"})


class _AsyncioPipe(_Pipe):
    """The pipe on asyncio: futures, no extra trips through the event loop."""

    __slots__ = ("_closed", "_finished", "_loop", "_queue", "_receiver", "_taken")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: deque[tuple[Message, asyncio.Future[None] | None]] = deque()
        self._receiver: asyncio.Future[None] | None = None  # dispatch waiting for a message
        self._taken: asyncio.Future[None] | None = None  # the sender of the message dispatch has now
        self._closed = False
        self._finished = False

    async def send(self, message: Message) -> None:
        if self._closed:
            # Dropped, but only after a trip through the event loop, as a send on a closed stream: an app that
            # keeps sending until it sees the disconnect must let the task that watches for it run.
            await asyncio.sleep(0)
            return
        _wake(self._receiver)
        if message["type"] in _HANDED_OVER:
            # dispatch needs these to build the response: the app goes straight on to its body (and waits there).
            self._queue.append((message, None))
            return
        delivered = self._loop.create_future()
        entry = (message, delivered)
        self._queue.append(entry)
        try:
            await delivered
        except BaseException:
            if entry in self._queue:
                # Cancelled before dispatch took it: the message is withdrawn.
                self._queue.remove(entry)
            raise

    async def receive(self) -> Message:
        _wake(self._taken)
        self._taken = None
        queue = self._queue
        while not queue:
            if self._finished:
                raise anyio.EndOfStream()
            receiver = self._receiver = self._loop.create_future()
            try:
                await receiver
            finally:
                self._receiver = None
        message, self._taken = queue.popleft()
        return message

    def finish(self) -> None:
        self._finished = True
        _wake(self._receiver)

    def close(self) -> None:
        self._closed = True
        _wake(self._taken)
        self._taken = None
        while self._queue:
            _wake(self._queue.popleft()[1])


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class _StreamPipe(_Pipe):
    """The pipe on other backends: a zero-buffer anyio memory object stream."""

    def __init__(self) -> None:
        self._send_stream, self._recv_stream = anyio.create_memory_object_stream[Message]()

    async def send(self, message: Message) -> None:
        try:
            await self._send_stream.send(message)
        except anyio.BrokenResourceError:
            # dispatch has sent its response and closed the stream: the rest of the app's output is dropped.
            pass

    async def receive(self) -> Message:
        return await self._recv_stream.receive()

    def finish(self) -> None:
        self._send_stream.close()

    def close(self) -> None:
        self._recv_stream.close()

    def dispose(self) -> None:
        """Release both ends (once the app's task has ended, or was never started)."""
        self._recv_stream.close()
        self._send_stream.close()


def _running_asyncio_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop when this code runs in an asyncio task, else None (trio, or trio-asyncio's trio side)."""
    loop = asyncio._get_running_loop()
    if loop is None or asyncio.current_task(loop) is None:
        return None
    return loop


class BaseHTTPMiddleware:
    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        exchange = _Exchange(self.app, scope, receive)
        loop = _running_asyncio_loop()
        if loop is not None:
            exchange.loop = loop
            try:
                await self._respond(exchange, scope, send)
            except BaseException:
                exchange.close_pipe()
                await exchange.cancel_task()
                raise
            await exchange.join_task()
        else:
            try:
                with collapse_excgroups():
                    async with anyio.create_task_group() as task_group:
                        exchange.task_group = task_group
                        await self._respond(exchange, scope, send)
            finally:
                pipe = exchange.pipe
                if pipe is not None:
                    assert isinstance(pipe, _StreamPipe)  # the only kind outside asyncio
                    pipe.dispose()
        exchange.release()
        if exchange.app_exc is not None and not exchange.app_exc_raised:
            raise exchange.app_exc

    async def _respond(self, exchange: _Exchange, scope: Scope, send: Send) -> None:
        response = await self.dispatch_func(exchange.request, exchange.call_next)
        await response(scope, exchange.receive_for_app, send)
        exchange.mark_response_sent()
        # An app still sending (its response was replaced) gets its messages dropped, not blocked.
        exchange.close_pipe()

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise NotImplementedError()


class _FromPipe:
    """``content`` of the response ``call_next`` returns: its body is still in the app's pipe."""


_FROM_PIPE: Any = _FromPipe()


class _StreamingResponse(Response):
    """The app's response as ``call_next`` returns it: its status and headers, its body still streaming.

    Its ``body_iterator`` (an async generator over the app's body messages) is made when ``dispatch`` first reads
    it; a response whose ``dispatch`` never did sends the app's body messages straight from the pipe, the same
    messages without the generator in between (``tests/middleware/test_base_fast_path.py`` compares the two).
    """

    _pipe: _Pipe

    def __init__(
        self,
        content: AsyncContentStream,
        status_code: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        media_type: Optional[str] = None,
        info: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.info = info
        self._body_iterator = None if content is _FROM_PIPE else content
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        if headers is None and media_type is None:
            # What init_headers() comes to without a body, headers or media type (call_next then sets the app's).
            self.raw_headers = []
        else:
            self.init_headers(headers)

    @property
    def body_iterator(self) -> AsyncContentStream:
        iterator = self._body_iterator
        if iterator is None:
            iterator = self._body_iterator = _Exchange.body_stream(self._pipe)
        return iterator

    @body_iterator.setter
    def body_iterator(self, iterator: AsyncContentStream) -> None:
        self._body_iterator = iterator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.info is not None:
            await send({"type": "http.response.debug", "info": self.info})
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})

        complete_body = True
        iterator = self._body_iterator
        if iterator is None:
            # The app's body, untouched by dispatch: the messages body_stream() would give, without it.
            pipe = self._pipe
            while True:
                try:
                    message = await pipe.receive()
                except anyio.EndOfStream:
                    break
                if message["type"] == "http.response.pathsend":
                    complete_body = False
                    await send(message)
                    break
                assert message["type"] == "http.response.body", f"Unexpected message: {message['type']!r}"
                body = message.get("body", b"")
                if body:
                    if isinstance(body, str):
                        body = body.encode(self.charset)
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                if not message.get("more_body", False):
                    break
        else:
            async for chunk in iterator:
                if isinstance(chunk, MutableMapping):
                    # A non-body message (e.g. "http.response.pathsend") already ends the response.
                    complete_body = False
                    await send(chunk)
                    continue
                if isinstance(chunk, str):
                    chunk = chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if complete_body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        if self.background is not None:
            await self.background()
