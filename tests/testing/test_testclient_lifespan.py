"""TestClient as a context manager: the lifespan protocol and its state."""

from __future__ import annotations

from typing import Any, Callable

import anyio
import pytest

from starlette_core.types import Receive, Scope, Send
from starlette_testing import testclient
from starlette_testing.testclient import TestClient

TestClientFactory = Callable[..., TestClient]


def lifespan_app(
    events: list[str],
    *,
    startup: str = "complete",
    shutdown: str = "complete",
    raise_after_failure: bool = True,
) -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            assert message["type"] == "lifespan.startup"
            events.append("startup")
            scope["state"]["counter"] = 0
            scope["state"]["items"] = []
            if startup == "failed":
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                if raise_after_failure:
                    raise ConnectionError("no database")
                await anyio.sleep_forever()
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
            events.append("shutdown")
            if shutdown == "failed":
                await send({"type": "lifespan.shutdown.failed", "message": ""})
                if raise_after_failure:
                    raise ConnectionError("cannot close")
                return
            await send({"type": "lifespan.shutdown.complete"})
            return
        state = scope["state"]
        state["counter"] += 1
        state["items"].append(scope["path"])
        events.append(f"request {state['counter']}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def test_lifespan_runs_around_the_block(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(lifespan_app(events))
    with client as entered:
        assert entered is client
        assert events == ["startup"]
        client.get("/a")
        client.get("/b")
        assert events == ["startup", "request 1", "request 1"]
    assert events[-1] == "shutdown"
    # The lifespan state is shared (shallow copy): top-level keys are per request, values are shared.
    assert client.app_state["counter"] == 0
    assert client.app_state["items"] == ["/a", "/b"]


def test_client_can_be_entered_again(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(lifespan_app(events))
    with client:
        pass
    with client:
        pass
    assert events == ["startup", "shutdown", "startup", "shutdown"]


def test_startup_exception_is_raised(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(lifespan_app(events, startup="failed"))
    with pytest.raises(ConnectionError, match="no database"), client:
        pytest.fail("the block must not run")  # pragma: no cover
    assert client.portal is None
    assert events == ["startup"]


def test_startup_failed_message_without_exception(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(testclient, "_LIFESPAN_FAILURE_GRACE", 0.01)
    client = test_client_factory(lifespan_app([], startup="failed", raise_after_failure=False))
    with pytest.raises(RuntimeError, match="no database"), client:
        pass  # pragma: no cover


def test_startup_failed_without_message(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed"})

    with pytest.raises(RuntimeError, match=r"Application startup failed\."), test_client_factory(app):
        pass  # pragma: no cover


def test_shutdown_exception_is_raised(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    with (
        pytest.raises(ConnectionError, match="cannot close"),
        test_client_factory(lifespan_app(events, shutdown="failed")),
    ):
        pass
    assert events == ["startup", "shutdown"]


def test_shutdown_failed_message_without_exception(test_client_factory: TestClientFactory) -> None:
    app = lifespan_app([], shutdown="failed", raise_after_failure=False)
    with pytest.raises(RuntimeError, match=r"Application shutdown failed\."), test_client_factory(app):
        pass


def test_app_without_lifespan_support(test_client_factory: TestClientFactory) -> None:
    """An app that returns at once on a lifespan scope is still usable as a context manager."""
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body"})

    with test_client_factory(app) as client:
        assert client.get("/").status_code == 204
    assert seen == ["lifespan", "http"]


def test_app_rejecting_lifespan_raises(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "http only"

    with pytest.raises(AssertionError, match="http only"), test_client_factory(app):
        pass  # pragma: no cover


def test_app_stopping_after_startup(test_client_factory: TestClientFactory) -> None:
    """Returning after "startup.complete" ends the lifespan: the shutdown does not wait for an answer."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})

    with test_client_factory(app) as client:
        assert client.portal is not None
    assert client.portal is None


def test_app_stopping_on_shutdown(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        events.append(message["type"])

    with test_client_factory(app):
        pass
    assert events == ["lifespan.shutdown"]


def test_lifespan_scope(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)

    client = test_client_factory(app)
    with client:
        pass
    assert scopes[0]["type"] == "lifespan"
    assert scopes[0]["state"] is client.app_state
