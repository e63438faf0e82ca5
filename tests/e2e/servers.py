"""Run an ASGI app under a real server, in a background thread of the test process, on a free loopback port.

``serve(kind, app)`` is a context manager: it starts the server, waits until it accepts connections, yields a
``LiveServer`` and, whatever happens in the block, stops the server, joins its thread and fails loudly if the thread
does not end or the server crashed. Kinds:

- ``uvicorn-httptools``: uvicorn with the httptools HTTP parser on uvloop;
- ``uvicorn-h11``: uvicorn with the pure-Python h11 parser on the asyncio loop;
- ``hypercorn-trio``: hypercorn's trio worker (``hypercorn.trio.serve``), so the app runs on trio.

All three use a WebSocket implementation based on the sans-I/O protocols (uvicorn's ``websockets-sansio``,
hypercorn's wsproto), with the ``websocket.http.response`` extension for denial responses. uvicorn's
``websockets-sansio`` before 0.52.1 gives the app a client's comma-separated subprotocols as one (uvicorn#3019) and
sends a denial response with two Content-Length headers (uvicorn#3040): with those releases (0.39, the last for
Python 3.9) the uvicorn kinds use uvicorn's wsproto implementation instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.metadata
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, Optional, cast

import hypercorn.config
import hypercorn.trio
import trio
import uvicorn

from starlette.types import ASGIApp

SERVER_KINDS = ("uvicorn-httptools", "uvicorn-h11", "hypercorn-trio")
THREAD_PREFIX = "e2e-server"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
GRACEFUL_TIMEOUT = 2  # seconds


def release(distribution: str) -> tuple[int, ...]:
    """The installed release of ``distribution`` as numbers: ``(0, 39, 0)`` for 0.39.0."""
    version = importlib.metadata.version(distribution)
    match = re.match(r"\d+(?:\.\d+)*", version)
    assert match is not None, version
    return tuple(int(number) for number in match.group().split("."))


UVICORN_WS = "websockets-sansio" if release("uvicorn") >= (0, 52, 1) else "wsproto"


def copies_state_per_request(kind: str) -> bool:
    """Whether the server gives each request its own shallow copy of the lifespan state, as ASGI says it must.

    hypercorn before 0.18 copies it once per connection, so the requests of a kept-alive connection share one
    (hypercorn#274); 0.17 is its last release for Python 3.9.
    """
    return not kind.startswith("hypercorn-") or release("hypercorn") >= (0, 18)


class ServerError(RuntimeError):
    """The server did not start, did not stop, or crashed."""


@dataclass(frozen=True)
class LiveServer:
    kind: str
    host: str
    port: int
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"


class _ServerThread:
    """A server running in its own thread; subclasses implement ``_run`` and ``_request_stop``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.error: Optional[BaseException] = None
        self.port = 0
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, name=f"{THREAD_PREFIX}-{kind}", daemon=True)

    def _main(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by stop() in the test thread
            self.error = exc
        finally:
            self.ready.set()  # never leave start() waiting for a thread that is gone

    def _run(self) -> None:
        raise NotImplementedError

    def _request_stop(self) -> None:
        raise NotImplementedError

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready.wait(0.005):
            if time.monotonic() > deadline:
                raise ServerError(f"{self.kind} did not start within {START_TIMEOUT}s")

    def start(self) -> LiveServer:
        self.thread.start()
        self._wait_until_ready()
        if self.error is not None or not self.thread.is_alive():
            raise ServerError(f"{self.kind} failed to start") from self.error
        return LiveServer(kind=self.kind, host="127.0.0.1", port=self.port, thread=self.thread)

    def stop(self) -> None:
        if self.thread.is_alive():
            self._request_stop()
            self.thread.join(STOP_TIMEOUT)
        if self.thread.is_alive():
            raise ServerError(f"{self.kind} did not stop within {STOP_TIMEOUT}s")
        if self.error is not None:
            raise ServerError(f"{self.kind} crashed") from self.error


class _QuickUvicornServer(uvicorn.Server):
    """uvicorn's Server checking for ``should_exit`` every 5 ms instead of every 100 ms: the suite stops a server
    after every test. (``on_tick`` still refreshes the Date header every tenth tick.)"""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            await asyncio.sleep(0.005)


class _UvicornThread(_ServerThread):
    def __init__(self, kind: str, app: ASGIApp) -> None:
        super().__init__(kind)
        http, loop = ("httptools", "uvloop") if kind == "uvicorn-httptools" else ("h11", "asyncio")
        config = uvicorn.Config(
            app,
            http=http,
            loop=loop,
            ws=UVICORN_WS,
            lifespan="on",
            log_config=None,  # leave the process' logging configuration alone
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_TIMEOUT,
        )
        self.server = _QuickUvicornServer(config)
        # Bind here, in the test thread, so the port is known before the server runs; uvicorn listens on it.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()
        if not self.server.started:
            raise ServerError("uvicorn exited without starting (see its log for the reason)")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started and self.thread.is_alive():
            if time.monotonic() > deadline:
                raise ServerError(f"{self.kind} did not start within {START_TIMEOUT}s")
            time.sleep(0.005)

    def _request_stop(self) -> None:
        self.server.should_exit = True


class _HypercornTrioThread(_ServerThread):
    def __init__(self, kind: str, app: ASGIApp) -> None:
        super().__init__(kind)
        self.app = app
        self.config = hypercorn.config.Config()
        self.config.bind = ["127.0.0.1:0"]
        self.config.graceful_timeout = GRACEFUL_TIMEOUT
        self.config.errorlog = logging.getLogger("hypercorn.error")  # no handlers added to the process' logging
        self.config.accesslog = None
        self.token: Optional[trio.lowlevel.TrioToken] = None
        self.shutdown = threading.Event()  # set in the test thread; the trio side turns it into a trio.Event
        self.stop_requested: Optional[trio.Event] = None

    def _run(self) -> None:
        trio.run(self._serve)

    async def _serve(self) -> None:
        self.token = trio.lowlevel.current_trio_token()
        self.stop_requested = trio.Event()
        serve: Callable[..., Any] = functools.partial(
            hypercorn.trio.serve, cast(Any, self.app), self.config, shutdown_trigger=self.stop_requested.wait
        )
        async with trio.open_nursery() as nursery:
            binds: list[str] = await nursery.start(serve)
            self.port = int(binds[0].rsplit(":", 1)[1])
            self.ready.set()

    def _request_stop(self) -> None:
        if self.token is None or self.stop_requested is None:  # trio never got going
            return
        with contextlib.suppress(trio.RunFinishedError):
            trio.from_thread.run_sync(self.stop_requested.set, trio_token=self.token)


@contextlib.contextmanager
def serve(kind: str, app: ASGIApp) -> Iterator[LiveServer]:
    """Serve ``app`` with the server ``kind`` for the duration of the block."""
    runner: _ServerThread
    if kind.startswith("uvicorn-"):
        runner = _UvicornThread(kind, app)
    elif kind == "hypercorn-trio":
        runner = _HypercornTrioThread(kind, app)
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    try:
        live = runner.start()
    except BaseException:
        runner.stop()
        raise
    try:
        yield live
    finally:
        runner.stop()


def port_is_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) != 0
