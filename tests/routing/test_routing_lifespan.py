"""Router lifespan handling and the deprecated event/decorator API."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message
from starlette_core.websockets import WebSocket
from starlette_routing.routing import Mount, Route, Router

TestClientFactory = Callable[..., Any]


async def run_lifespan(
    router: Any, state: dict[str, Any] | None = None, shutdown: bool = True, with_state: bool = True
) -> list[Message]:
    """Drive the ASGI lifespan protocol by hand; returns the messages the app sent."""
    incoming: list[Message] = [{"type": "lifespan.startup"}]
    if shutdown:
        incoming.append({"type": "lifespan.shutdown"})
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}}
    if with_state:
        scope["state"] = {} if state is None else state
    await router(scope, receive, send)
    return sent


@pytest.mark.anyio
async def test_lifespan_context_manager() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    sent = await run_lifespan(Router(lifespan=lifespan))
    assert events == ["startup", "shutdown"]
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


@pytest.mark.anyio
async def test_lifespan_state() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connected"}

    state: dict[str, Any] = {"existing": 1}
    await run_lifespan(Router(lifespan=lifespan), state=state)
    assert state == {"existing": 1, "db": "connected"}


@pytest.mark.anyio
async def test_lifespan_state_unsupported_by_server() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connected"}

    with pytest.raises(RuntimeError, match=re.escape('The server does not support "state" in the lifespan scope.')):
        await run_lifespan(Router(lifespan=lifespan), with_state=False)


def test_lifespan_state_reaches_requests(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"greeting": "hi"}

    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(request.state.greeting)

    router = Router([Route("/", endpoint)], lifespan=lifespan)
    with test_client_factory(router) as client:
        assert client.get("/").text == "hi"


def fail_to_start() -> None:
    raise ValueError("cannot start")


@pytest.mark.anyio
async def test_lifespan_startup_failure() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        fail_to_start()
        yield  # pragma: no cover

    with pytest.raises(ValueError, match="cannot start"):
        await run_lifespan(Router(lifespan=lifespan), shutdown=False)


@pytest.mark.anyio
async def test_lifespan_startup_failure_message() -> None:
    sent: list[Message] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        fail_to_start()
        yield  # pragma: no cover

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError):
        await Router(lifespan=lifespan)({"type": "lifespan", "state": {}}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "cannot start" in sent[0]["message"]


@pytest.mark.anyio
async def test_lifespan_shutdown_failure() -> None:
    sent: list[Message] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        raise ValueError("cannot stop")

    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError):
        await Router(lifespan=lifespan)({"type": "lifespan", "state": {}}, receive, send)
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "cannot stop" in sent[1]["message"]


@pytest.mark.anyio
async def test_lifespan_receives_the_app_from_the_scope() -> None:
    seen: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        seen.append(app)
        yield

    marker = object()
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        pass

    await Router(lifespan=lifespan)({"type": "lifespan", "app": marker}, receive, send)
    assert seen == [marker]


@pytest.mark.anyio
async def test_deprecated_generator_lifespans() -> None:
    events: list[str] = []

    async def async_gen(app: Any) -> AsyncIterator[None]:
        events.append("async start")
        yield
        events.append("async stop")

    def sync_gen(app: Any) -> Iterator[None]:
        events.append("sync start")
        yield
        events.append("sync stop")

    with pytest.warns(DeprecationWarning, match="async generator function lifespans are deprecated"):
        async_router = Router(lifespan=async_gen)  # type: ignore[arg-type]
    with pytest.warns(DeprecationWarning, match="generator function lifespans are deprecated"):
        sync_router = Router(lifespan=sync_gen)  # type: ignore[arg-type]
    await run_lifespan(async_router)
    await run_lifespan(sync_router)
    assert events == ["async start", "async stop", "sync start", "sync stop"]


@pytest.mark.anyio
async def test_deprecated_on_startup_on_shutdown() -> None:
    events: list[str] = []

    async def async_start() -> None:
        events.append("async start")

    def sync_start() -> None:
        events.append("sync start")

    async def async_stop() -> None:
        events.append("async stop")

    def sync_stop() -> None:
        events.append("sync stop")

    with pytest.warns(DeprecationWarning, match="The on_startup and on_shutdown parameters are deprecated"):
        router = Router(on_startup=[async_start, sync_start], on_shutdown=[async_stop])
    router.add_event_handler("shutdown", sync_stop)
    await run_lifespan(router)
    assert events == ["async start", "sync start", "async stop", "sync stop"]


@pytest.mark.anyio
async def test_lifespan_with_on_startup_ignores_the_handlers() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("lifespan")
        yield

    with pytest.warns(DeprecationWarning), pytest.warns(UserWarning, match="cannot be used with `on_startup`"):
        router = Router(on_shutdown=[lambda: events.append("handler")], lifespan=lifespan)
    await run_lifespan(router)
    assert events == ["lifespan"]


@pytest.mark.anyio
async def test_on_event_decorator() -> None:
    events: list[str] = []
    router = Router()
    with pytest.warns(DeprecationWarning, match="The `on_event` decorator is deprecated"):

        @router.on_event("startup")
        def started() -> None:
            events.append("started")

    with pytest.warns(DeprecationWarning):

        @router.on_event("shutdown")
        async def stopped() -> None:
            events.append("stopped")

    assert router.on_startup == [started]
    await run_lifespan(router)
    assert events == ["started", "stopped"]


def test_add_event_handler_refuses_unknown_events() -> None:
    with pytest.raises(AssertionError):
        Router().add_event_handler("restart", lambda: None)


def test_deprecated_route_decorators(test_client_factory: TestClientFactory) -> None:
    router = Router()
    with pytest.warns(DeprecationWarning, match="The `route` decorator is deprecated"):

        @router.route("/", methods=["POST"], name="home", include_in_schema=False)
        async def home(request: Request) -> Response:
            return PlainTextResponse("home")

    with pytest.warns(DeprecationWarning, match="The `websocket_route` decorator is deprecated"):

        @router.websocket_route("/ws", name="ws")
        async def ws(session: WebSocket) -> None:
            await session.accept()
            await session.send_text("ws")
            await session.close()

    assert router.url_path_for("home") == "/"
    assert router.url_path_for("ws") == "/ws"
    route = router.routes[0]
    assert isinstance(route, Route)
    assert route.include_in_schema is False
    client = test_client_factory(router)
    assert client.post("/").text == "home"
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "ws"


def test_mount_with_malformed_param_is_not_found(test_client_factory: TestClientFactory) -> None:
    router = Router([Mount("/page/{n:int}", routes=[Route("/", lambda request: PlainTextResponse("ok"))])])
    client = test_client_factory(router)
    assert client.get("/page/3/").text == "ok"
    assert client.get("/page/" + "9" * 5000 + "/").status_code == 404
