"""An httpx-based test client that drives an ASGI application in-process (``starlette.testclient``).

Each request is turned into an ASGI ``http`` scope and run on an anyio event loop living in a helper thread
(a blocking portal).  Used as a context manager, the client keeps one portal open and runs the application's
lifespan around the block, so that startup and shutdown handlers run and the lifespan state reaches every request.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import io as io  # upstream's module has the name
import json
import math
import queue
import sys as sys  # upstream's module has the name
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import Awaitable, Generator, Iterable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager as AbstractContextManager  # upstream's module has the name
from types import GeneratorType as GeneratorType  # upstream's module has the name
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Literal, Optional, TypedDict, Union, cast
from urllib.parse import unquote, urljoin

import anyio
import anyio.abc
import anyio.from_thread

if TYPE_CHECKING:
    import httpx
else:
    try:
        import httpx
    # httpx2, httpx's successor with the same API, when that is what is installed (as upstream 1.2). Run in a
    # subprocess without httpx by tests/testing/test_testclient_httpx2.py, which coverage does not follow.
    except ImportError:  # pragma: no cover
        import httpx2 as httpx
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from anyio.streams.stapled import StapledObjectStream

from starlette_core._utils import LazyImports, is_async_callable, typing_name, warn_as_module
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocketDisconnect

# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.testclient"

# Upstream's names for what this module imports on first use (see LazyImports): typing_extensions is slow to import.
_lazy = LazyImports(
    globals(),
    {"Self": functools.partial(typing_name, "Self"), "TypeGuard": functools.partial(typing_name, "TypeGuard")},
)
if TYPE_CHECKING:
    from typing_extensions import Self
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir

__all__ = [
    "ASGI2App",
    "ASGI3App",
    "ASGIInstance",
    "TestClient",
    "WebSocketDenialResponse",
    "WebSocketTestSession",
]

# Apps speaking the legacy two-step ASGI 2 interface: ``app(scope)`` returns an instance awaited with (receive, send).
ASGIInstance = Callable[[Receive, Send], Awaitable[None]]
ASGI2App = Callable[[Scope], ASGIInstance]
ASGI3App = Callable[[Scope, Receive, Send], Awaitable[None]]

_PortalFactoryType = Callable[[], ContextManager[anyio.from_thread.BlockingPortal]]
_RequestData = Mapping[str, Union[str, Iterable[str], bytes]]  # upstream's name

# How long to wait, after a "lifespan.*.failed" message, for the application to raise the underlying error.
_LIFESPAN_FAILURE_GRACE = 1.0

_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def _is_asgi3(app: Union[ASGI2App, ASGI3App]) -> bool:
    if inspect.isclass(app):
        # A class is ASGI 3 only when instantiating it gives something awaitable.
        return hasattr(app, "__await__")
    return is_async_callable(app)


class _WrapASGI2:
    """Present an ASGI 2 application as an ASGI 3 one."""

    def __init__(self, app: ASGI2App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        instance = self.app(scope)
        await instance(receive, send)


class _AsyncBackend(TypedDict):
    backend: str
    backend_options: dict[str, Any]


class _Upgrade(Exception):
    """Raised by the transport to hand a websocket session back to ``websocket_connect``."""

    def __init__(self, session: WebSocketTestSession) -> None:
        self.session = session


class WebSocketDenialResponse(  # type: ignore[misc]
    httpx.Response,
    WebSocketDisconnect,
):
    """Raised by ``websocket_connect`` when the application rejects the handshake with an HTTP response
    (``WebSocket.send_denial_response``): an httpx response carrying the status, headers and body that were sent.
    """


class WebSocketTestSession:
    """The client side of one websocket connection, driven from the test's thread."""

    def __init__(self, app: ASGI3App, scope: Scope, portal_factory: _PortalFactoryType) -> None:
        self.app = app
        self.scope = scope
        self.accepted_subprotocol: Optional[str] = None
        self.portal_factory = portal_factory
        self.extra_headers: Optional[list[tuple[bytes, bytes]]] = None
        # What the application sent, then None once it has returned.
        self._messages: queue.SimpleQueue[Optional[Message]] = queue.SimpleQueue()
        self._client_closed = False

    def __enter__(self) -> WebSocketTestSession:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(self.portal_factory())
            future, cancel_scope = portal.start_task(self._run)
            self._future: Future[None] = future
            # Unwound in reverse: close the streams, re-raise whatever the application raised, stop it.
            stack.callback(self._close_streams)
            stack.callback(future.result)
            stack.callback(portal.call, cancel_scope.cancel)
            self.send({"type": "websocket.connect"})
            message = self.receive()
            self._raise_on_close(message)
            self.accepted_subprotocol = message.get("subprotocol", None)
            self.extra_headers = message.get("headers", None)
            stack.callback(self.close, 1000)
            self.exit_stack = stack.pop_all()
        return self

    def __exit__(self, *args: Any) -> Optional[bool]:
        return self.exit_stack.__exit__(*args)

    async def _run(self, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        """Run the application on the portal's event loop until it returns or the session ends."""
        # Messages from the client to the application go through a stream on the portal's loop; messages from the
        # application to the client through a thread-safe queue, since other event loops may send on this session
        # too (an application that broadcasts to every connection of a client not used as a context manager runs
        # each connection on its own portal).
        self._receive_tx, self._receive_rx = anyio.create_memory_object_stream[Message](math.inf)
        with anyio.CancelScope() as cancel_scope:
            task_status.started(cancel_scope)
            try:
                await self.app(self.scope, self._receive_rx.receive, self._asgi_send)
            finally:
                # The client sees the end of the stream once it has read what the application sent.
                self._messages.put(None)
                self._receive_rx.close()

    async def _asgi_send(self, message: Message) -> None:
        if self._client_closed:
            raise anyio.BrokenResourceError
        self._messages.put(message)

    def _close_streams(self) -> None:
        self._client_closed = True
        self._receive_tx.close()

    def _raise_on_close(self, message: Message) -> None:
        message_type = message["type"]
        if message_type == "websocket.close":
            raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))
        if message_type == "websocket.http.response.start":
            status_code: int = message["status"]
            headers = [(key, value) for key, value in message.get("headers", ())]
            body: list[bytes] = []
            while True:
                message = self.receive()
                if message["type"] != "websocket.http.response.body":
                    break
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            raise WebSocketDenialResponse(status_code=status_code, headers=headers, content=b"".join(body))

    def send(self, message: Message) -> None:
        try:
            self.portal.call(self._receive_tx.send, message)
        except anyio.BrokenResourceError:
            # The application has already returned: nobody is listening any more.
            pass

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send({"type": "websocket.receive", "text": text})
        else:
            self.send({"type": "websocket.receive", "bytes": text.encode("utf-8")})

    def close(self, code: int = 1000, reason: Optional[str] = None) -> None:
        self.send({"type": "websocket.disconnect", "code": code, "reason": reason})

    def receive(self) -> Message:
        message = self._messages.get()
        if message is None:
            # The application is done: re-raise its exception if it failed, otherwise the connection is closed.
            self._messages.put(None)
            self._future.result()
            return {"type": "websocket.close", "code": 1000, "reason": ""}
        return message

    def receive_text(self) -> str:
        message = self.receive()
        self._raise_on_close(message)
        return cast(str, message["text"])

    def receive_bytes(self) -> bytes:
        message = self.receive()
        self._raise_on_close(message)
        return cast(bytes, message["bytes"])

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        message = self.receive()
        self._raise_on_close(message)
        if mode == "text":
            text = message["text"]
        else:
            text = message["bytes"].decode("utf-8")
        return json.loads(text)


def _next_chunk(chunks: Iterator[bytes]) -> Optional[bytes]:
    """The next chunk of a request body as bytes of its own, or None at the end.

    A bytearray or memoryview from a generator is copied as it is read: its owner may change it once it is handed
    over. Anything that is not bytes-like is a TypeError, as upstream's TestClient raises.
    """
    chunk = next(chunks, None)
    if chunk is None or type(chunk) is bytes:
        return chunk
    return memoryview(chunk).tobytes()


class _TestClientTransport(httpx.BaseTransport):
    """An httpx transport that hands each request to the ASGI application."""

    def __init__(
        self,
        app: ASGI3App,
        portal_factory: _PortalFactoryType,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        *,
        client: tuple[str, int],
        app_state: dict[str, Any],
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.portal_factory = portal_factory
        self.app_state = app_state
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        host = url.host
        port = url.port or _DEFAULT_PORTS.get(scheme, 80)
        raw_path = url.raw_path.split(b"?", 1)[0]
        path = unquote(raw_path.decode("ascii"))
        headers = [(key.lower(), value) for key, value in request.headers.raw]
        if "host" not in request.headers:  # httpx always sets it; a hand-built request may not
            bracketed = f"[{host}]" if ":" in host else host  # an IPv6 address, as in a URL (upstream 1.8)
            netloc = bracketed if port == _DEFAULT_PORTS.get(scheme) else f"{bracketed}:{port}"
            headers.insert(0, (b"host", netloc.encode("ascii")))

        if scheme in ("ws", "wss"):
            subprotocol = request.headers.get("sec-websocket-protocol", None)
            subprotocols = [] if subprotocol is None else [value.strip() for value in subprotocol.split(",")]
            ws_scope: Scope = {
                "type": "websocket",
                "asgi": {"version": "3.0"},
                "path": path,
                "raw_path": raw_path,
                "root_path": self.root_path,
                "scheme": scheme,
                "query_string": url.query,
                "headers": headers,
                "client": self.client,
                "server": [host, port],
                "subprotocols": subprotocols,
                "state": self.app_state.copy(),
                "extensions": {"websocket.http.response": {}},
            }
            raise _Upgrade(WebSocketTestSession(self.app, ws_scope, self.portal_factory))

        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "path": path,
            "raw_path": raw_path,
            "root_path": self.root_path,
            "scheme": scheme,
            "query_string": url.query,
            "headers": headers,
            "client": self.client,
            "server": [host, port],
            "extensions": {"http.response.debug": {}, "http.response.trailers": {}},
            "state": self.app_state.copy(),
        }
        return self._run_http(request, scope)

    def _run_http(self, request: httpx.Request, scope: Scope) -> httpx.Response:
        chunks: Iterator[bytes] = iter(cast(Iterable[bytes], request.stream))
        pending: Optional[bytes] = None  # the chunk after the one handed over, read ahead to set "more_body"
        body_started = False
        request_complete = False
        response_started = False
        response_complete: anyio.Event
        started: anyio.Event  # set at "http.response.start", or when the application returns without one
        body_send: MemoryObjectSendStream[bytes]
        body_receive: MemoryObjectReceiveStream[bytes]
        cancel_scope: anyio.CancelScope
        status_code = 500
        response_headers: list[tuple[bytes, bytes]] = []
        extensions: dict[str, Any] = {}
        is_head = request.method == "HEAD"
        template: Any = None
        context: Any = None

        async def receive() -> Message:
            nonlocal request_complete, pending, body_started
            if request_complete:
                # Like a server: the client "disconnects" once the whole response has been sent.
                if not response_complete.is_set():
                    await response_complete.wait()
                return {"type": "http.disconnect"}
            # The body is read as the app asks for it (a failing body stream fails in the app, as upstream).
            if body_started:
                chunk = pending
            else:
                body_started = True
                chunk = _next_chunk(chunks)
            pending = _next_chunk(chunks)
            request_complete = pending is None
            return {"type": "http.request", "body": chunk or b"", "more_body": not request_complete}

        async def send(message: Message) -> None:
            nonlocal response_started, status_code, response_headers, template, context
            message_type = message["type"]
            if message_type == "http.response.start":
                assert not response_started, 'Received multiple "http.response.start" messages.'
                status_code = message["status"]
                response_headers = [(key, value) for key, value in message.get("headers", ())]
                if message.get("trailers", False):
                    extensions["http.response.trailers"] = []
                response_started = True
                started.set()
            elif message_type == "http.response.body":
                assert response_started, 'Received "http.response.body" without "http.response.start".'
                assert not response_complete.is_set(), 'Received "http.response.body" after response completed.'
                body = message.get("body", b"")
                if body and not is_head:
                    if type(body) is not bytes:
                        # A copy: the app may change its bytearray (or what a memoryview shows) once it is sent.
                        body = memoryview(body).tobytes()
                    await body_send.send(body)  # waits for the reader: an endless body is read as it comes
                if not message.get("more_body", False):
                    # only now: the client "disconnects" once it has the whole body (see receive)
                    response_complete.set()
            elif message_type == "http.response.trailers":
                trailers = extensions.get("http.response.trailers")
                assert trailers is not None, 'Received "http.response.trailers" without declaring trailers.'
                trailers.extend((key, value) for key, value in message.get("headers", ()))
            elif message_type == "http.response.debug" and not response_started:
                template = message["info"]["template"]
                context = message["info"]["context"]
                extensions["http.response.debug"] = message["info"]

        async def prepare() -> None:
            nonlocal response_complete, started, body_send, body_receive, cancel_scope
            response_complete, started, cancel_scope = anyio.Event(), anyio.Event(), anyio.CancelScope()
            body_send, body_receive = anyio.create_memory_object_stream[bytes](0)

        async def run_app() -> None:
            try:
                with cancel_scope:
                    await self.app(scope, receive, send)
            finally:
                body_send.close()  # the reader's end of the body
                started.set()

        exit_stack = contextlib.ExitStack()
        try:
            portal = exit_stack.enter_context(self.portal_factory())
            portal.call(prepare)
            exit_stack.callback(portal.call, body_receive.close)  # before the portal's own exit
            task = portal.start_task_soon(run_app)
            portal.call(started.wait)
            if not response_started:
                error = task.exception()  # the application has returned (or is returning): wait for it
                if self.raise_server_exceptions:
                    if error is not None:
                        raise error
                    raise AssertionError("TestClient did not receive any response.")
                status_code, response_headers = 500, []
        except BaseException:
            exit_stack.close()
            raise

        stream = _AppBodyStream(
            portal, body_receive, task, cancel_scope, exit_stack, raise_server_exceptions=self.raise_server_exceptions
        )
        response = httpx.Response(
            status_code, headers=response_headers, stream=stream, request=request, extensions=extensions
        )
        if template is not None:
            response.template = template  # type: ignore[attr-defined]
            response.context = context  # type: ignore[attr-defined]
        return response


class _AppBodyStream(httpx.SyncByteStream):
    """A response body read from the application as it sends it; closing it before the end cancels the application.

    The body ends when the application returns (so that its background tasks have run, as before 1.9 when the whole
    response was collected first); an error it raised is then raised to the reader (``raise_server_exceptions``).
    """

    def __init__(
        self,
        portal: anyio.from_thread.BlockingPortal,
        body: MemoryObjectReceiveStream[bytes],
        task: Future[None],
        cancel_scope: anyio.CancelScope,
        exit_stack: contextlib.ExitStack,
        *,
        raise_server_exceptions: bool,
    ) -> None:
        self._portal = portal
        self._body = body
        self._task = task
        self._cancel_scope = cancel_scope
        self._exit_stack = exit_stack
        self._raise_server_exceptions = raise_server_exceptions
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        while not self._closed:  # a closed stream ends (the application was cancelled)
            try:
                chunk = self._portal.call(self._body.receive)
            except anyio.EndOfStream:  # the application has returned: the sending end is closed when it does
                break
            yield chunk
        else:
            return
        # Raised outside the except clause, so that the application's error keeps its own cause and context.
        error = self._task.exception()
        if error is not None and self._raise_server_exceptions:
            self.close()
            raise error

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if not self._task.done():
                # The reader went away before the end: cancel the application, as a server does on a disconnect.
                self._portal.call(self._cancel_scope.cancel)
            self._task.exception()  # wait for it to return
        finally:
            self._exit_stack.close()


class TestClient(httpx.Client):
    """A synchronous httpx client wired to an ASGI application instead of the network."""

    __test__ = False  # not a pytest test class
    task: Future[None]
    portal: Optional[anyio.from_thread.BlockingPortal] = None
    _lifespan_finished = False

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Literal["asyncio", "trio"] = "asyncio",
        backend_options: Optional[dict[str, Any]] = None,
        cookies: Optional[httpx._types.CookieTypes] = None,
        headers: Optional[dict[str, str]] = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.async_backend = _AsyncBackend(backend=backend, backend_options=backend_options or {})
        if _is_asgi3(app):
            asgi_app = app
        else:
            asgi_app = _WrapASGI2(cast(ASGI2App, app))
        self.app = asgi_app
        self.app_state: dict[str, Any] = {}
        transport = _TestClientTransport(
            self.app,
            portal_factory=self._portal_factory,
            raise_server_exceptions=raise_server_exceptions,
            root_path=root_path,
            app_state=self.app_state,
            client=client,
        )
        if headers is None:
            headers = {}
        headers.setdefault("user-agent", "testclient")
        super().__init__(
            base_url=base_url,
            headers=headers,
            transport=transport,
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @contextlib.contextmanager
    def _portal_factory(self) -> Generator[anyio.from_thread.BlockingPortal, None, None]:
        if self.portal is not None:
            yield self.portal
        else:
            with anyio.from_thread.start_blocking_portal(**self.async_backend) as portal:
                yield portal

    def request(  # type: ignore[override]
        self,
        method: str,
        url: httpx._types.URLTypes,
        *,
        content: Optional[httpx._types.RequestContent] = None,
        data: Optional[httpx._types.RequestData] = None,
        files: Optional[httpx._types.RequestFiles] = None,
        json: Any = None,
        params: Optional[httpx._types.QueryParamTypes] = None,
        headers: Optional[httpx._types.HeaderTypes] = None,
        cookies: Optional[httpx._types.CookieTypes] = None,
        auth: Union[httpx._types.AuthTypes, httpx._client.UseClientDefault] = httpx._client.USE_CLIENT_DEFAULT,
        follow_redirects: Union[bool, httpx._client.UseClientDefault] = httpx._client.USE_CLIENT_DEFAULT,
        timeout: Union[httpx._types.TimeoutTypes, httpx._client.UseClientDefault] = httpx._client.USE_CLIENT_DEFAULT,
        extensions: Optional[dict[str, Any]] = None,
    ) -> httpx.Response:
        if timeout is not httpx.USE_CLIENT_DEFAULT:
            warn_as_module(
                _UPSTREAM_MODULE,
                "You should not use the 'timeout' argument with the TestClient. "
                "See https://github.com/encode/starlette/issues/1108 for more information.",
                DeprecationWarning,
            )
        return super().request(
            method,
            url,
            content=content,
            data=data,
            files=files,
            json=json,
            params=params,
            headers=headers,
            cookies=cookies,
            auth=auth,
            follow_redirects=follow_redirects,
            timeout=timeout,
            extensions=extensions,
        )

    def websocket_connect(
        self, url: str, subprotocols: Optional[Sequence[str]] = None, **kwargs: Any
    ) -> WebSocketTestSession:
        url = urljoin("ws://testserver", url)
        headers = httpx.Headers(kwargs.get("headers"))  # a copy: the caller's mapping is left alone
        headers.setdefault("connection", "upgrade")
        headers.setdefault("sec-websocket-key", "testserver==")
        headers.setdefault("sec-websocket-version", "13")
        if subprotocols is not None:
            headers.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
        kwargs["headers"] = headers
        try:
            super().request("GET", url, **kwargs)
        except _Upgrade as exc:
            return exc.session
        # Only an absolute http(s) URL gets here: it was answered as a plain HTTP request.
        raise RuntimeError("Expected WebSocket upgrade")

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(anyio.from_thread.start_blocking_portal(**self.async_backend))

            @stack.callback
            def reset_portal() -> None:
                self.portal = None

            send = anyio.create_memory_object_stream[Optional[MutableMapping[str, Any]]](math.inf)
            receive = anyio.create_memory_object_stream[MutableMapping[str, Any]](math.inf)
            for channel in (*send, *receive):
                stack.callback(channel.close)
            self.stream_send = StapledObjectStream(*send)
            self.stream_receive = StapledObjectStream(*receive)
            self._lifespan_finished = False
            self.task = portal.start_task_soon(self.lifespan)
            portal.call(self.wait_startup)

            @stack.callback
            def wait_shutdown() -> None:
                portal.call(self.wait_shutdown)

            self.exit_stack = stack.pop_all()
        return self

    def __exit__(self, *args: Any) -> None:
        self.exit_stack.close()

    async def lifespan(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.app_state}
        try:
            await self.app(scope, self.stream_receive.receive, self.stream_send.send)
        finally:
            await self.stream_send.send(None)

    async def _lifespan_message(self) -> Optional[MutableMapping[str, Any]]:
        message = await self.stream_send.receive()
        if message is None:
            # The lifespan task has finished: re-raise its exception, if any.
            self._lifespan_finished = True
            self.task.result()
        return message

    async def _lifespan_failed(self, message: MutableMapping[str, Any], default: str) -> None:
        # A failing application normally re-raises right after reporting the failure: surface that exception.
        with anyio.move_on_after(_LIFESPAN_FAILURE_GRACE):
            await self._lifespan_message()
        raise RuntimeError(message.get("message") or default)

    async def wait_startup(self) -> None:
        await self.stream_receive.send({"type": "lifespan.startup"})
        message = await self._lifespan_message()
        if message is None:
            # The application returned without answering: it does not use lifespan events.
            return
        assert message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed")
        if message["type"] == "lifespan.startup.failed":
            await self._lifespan_failed(message, "Application startup failed.")

    async def wait_shutdown(self) -> None:
        if self._lifespan_finished:
            return
        await self.stream_receive.send({"type": "lifespan.shutdown"})
        message = await self._lifespan_message()
        if message is None:
            return
        assert message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed")
        if message["type"] == "lifespan.shutdown.failed":
            await self._lifespan_failed(message, "Application shutdown failed.")
