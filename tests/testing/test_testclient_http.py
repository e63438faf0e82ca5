"""TestClient: the HTTP transport, driven with raw ASGI applications."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any, Callable

import anyio
import httpx
import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_testing.testclient import TestClient

TestClientFactory = Callable[..., TestClient]


async def read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if not message.get("more_body", False):
            break
    return b"".join(m["body"] for m in messages), messages


async def respond(
    send: Send, body: bytes = b"", status: int = 200, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})


def scope_recorder() -> tuple[list[Scope], Callable[..., Any]]:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await respond(send, b"ok")

    return scopes, app


def test_http_scope(test_client_factory: TestClientFactory) -> None:
    scopes, app = scope_recorder()
    client = test_client_factory(app)
    response = client.get("/caf%C3%A9/a%2Fb?x=1&y=%20", headers={"X-Custom": "Value"})
    assert response.status_code == 200
    assert response.text == "ok"
    (scope,) = scopes
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["server"] == ["testserver", 80]
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%2Fb"
    assert scope["root_path"] == ""
    assert scope["query_string"] == b"x=1&y=%20"
    assert scope["client"] == ("testclient", 50000)
    assert scope["state"] == {}
    assert scope["extensions"] == {"http.response.debug": {}, "http.response.trailers": {}}
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"testserver"
    assert headers[b"user-agent"] == b"testclient"
    assert headers[b"x-custom"] == b"Value"
    assert all(key == key.lower() for key, _ in scope["headers"])


def test_base_url_root_path_and_client(test_client_factory: TestClientFactory) -> None:
    scopes, app = scope_recorder()
    client = test_client_factory(app, base_url="https://example.org:8443", root_path="/api", client=("10.0.0.1", 1234))
    client.post("/items")
    client2 = test_client_factory(app, base_url="https://example.org")
    client2.get("/")
    first, second = scopes
    assert first["scheme"] == "https"
    assert first["server"] == ["example.org", 8443]
    assert dict(first["headers"])[b"host"] == b"example.org:8443"
    assert first["root_path"] == "/api"
    assert first["method"] == "POST"
    assert first["client"] == ("10.0.0.1", 1234)
    assert second["server"] == ["example.org", 443]


def test_default_headers_and_cookies(test_client_factory: TestClientFactory) -> None:
    scopes, app = scope_recorder()
    client = test_client_factory(app, headers={"user-agent": "custom", "x-token": "t"}, cookies={"session": "abc"})
    client.get("/")
    headers = dict(scopes[0]["headers"])
    assert headers[b"user-agent"] == b"custom"
    assert headers[b"x-token"] == b"t"
    assert headers[b"cookie"] == b"session=abc"


def test_request_without_host_header_gets_one(test_client_factory: TestClientFactory) -> None:
    scopes, app = scope_recorder()
    client = test_client_factory(app)
    transport = client._transport
    for url, expected in (("http://example.com/", b"example.com"), ("http://example.com:81/", b"example.com:81")):
        request = httpx.Request("GET", url)
        del request.headers["host"]
        response = transport.handle_request(request)
        response.read()  # the body streams from the app (upstream 1.9): read it, and close it
        response.close()
        assert response.status_code == 200
        assert dict(scopes[-1]["headers"])[b"host"] == expected


def test_request_body_is_streamed(test_client_factory: TestClientFactory) -> None:
    seen: list[list[Message]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, messages = await read_body(receive)
        seen.append(messages)
        await respond(send, body)

    client = test_client_factory(app)

    def chunks() -> Iterator[bytes]:
        yield b"first,"
        yield b"second"

    assert client.post("/", content=chunks()).content == b"first,second"
    assert [m["more_body"] for m in seen[0]] == [True, False]
    assert client.post("/", content=b"whole").content == b"whole"
    assert client.get("/").content == b""
    assert seen[2] == [{"type": "http.request", "body": b"", "more_body": False}]
    assert client.post("/", json={"a": 1}).json() == {"a": 1}


def test_disconnect_only_after_response_complete(test_client_factory: TestClientFactory) -> None:
    """An app that listens for the disconnect while it streams gets it once the response is complete."""
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)

        async def listen() -> None:
            message = await receive()
            events.append(message["type"])

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for chunk in (b"a", b"b", b"c"):
                await anyio.sleep(0)
                events.append("chunk")
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        # Reading again after the response: still a disconnect, at once.
        events.append((await receive())["type"])

    client = test_client_factory(app)
    assert client.get("/").content == b"abc"
    assert events == ["chunk", "chunk", "chunk", "http.disconnect", "http.disconnect"]


def test_app_reading_body_after_response(test_client_factory: TestClientFactory) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"early")
        received.append(await receive())
        received.append(await receive())

    client = test_client_factory(app)
    assert client.post("/", content=b"late body").content == b"early"
    assert received == [
        {"type": "http.request", "body": b"late body", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_response_status_headers_and_chunks(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 418,
                "headers": [(b"x-a", b"1"), (b"x-a", b"2"), (b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": b"tea", "more_body": True})
        await send({"type": "http.response.body", "more_body": True})
        await send({"type": "http.response.body", "body": b"pot"})

    response = test_client_factory(app).get("/")
    assert response.status_code == 418
    assert response.headers.get_list("x-a") == ["1", "2"]
    assert "content-length" not in response.headers
    assert response.text == "teapot"


def test_start_without_headers_and_head_request(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b"ignored for HEAD"})

    client = test_client_factory(app)
    response = client.head("/")
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/").content == b"ignored for HEAD"


@pytest.mark.parametrize("method", ["get", "options", "head", "delete", "post", "put", "patch"])
def test_http_methods(test_client_factory: TestClientFactory, method: str) -> None:
    scopes, app = scope_recorder()
    response = getattr(test_client_factory(app), method)("/")
    assert response.status_code == 200
    assert scopes[0]["method"] == method.upper()


def test_server_exception_is_raised(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        test_client_factory(app).get("/")


def test_server_exception_becomes_500(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.content == b""


def test_server_exception_after_response_started(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("boom")

    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 200
    assert response.headers["x-a"] == "1"
    assert response.content == b"partial"
    with pytest.raises(ValueError):
        test_client_factory(app).get("/")


def test_no_response(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    with pytest.raises(AssertionError, match="TestClient did not receive any response"):
        test_client_factory(app).get("/")
    assert test_client_factory(app, raise_server_exceptions=False).get("/").status_code == 500


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        (["start", "start"], 'Received multiple "http.response.start" messages.'),
        (["body"], 'Received "http.response.body" without "http.response.start".'),
        (["start", "body", "body"], 'Received "http.response.body" after response completed.'),
    ],
)
def test_protocol_errors(test_client_factory: TestClientFactory, messages: list[str], error: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for name in messages:
            if name == "start":
                await send({"type": "http.response.start", "status": 200, "headers": []})
            else:
                await send({"type": "http.response.body", "body": b""})

    with pytest.raises(AssertionError) as info:
        test_client_factory(app).get("/")
    assert str(info.value) == error


def test_template_debug_info(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/template" and "http.response.debug" in scope["extensions"]:
            info = {"template": "index.html", "context": {"name": "x"}}
            await send({"type": "http.response.debug", "info": info})
        await respond(send, b"page")

    client = test_client_factory(app)
    response = client.get("/template")
    assert response.template == "index.html"  # type: ignore[attr-defined]
    assert response.context == {"name": "x"}  # type: ignore[attr-defined]
    plain = client.get("/plain")
    assert not hasattr(plain, "template")
    assert not hasattr(plain, "context")


def test_timeout_argument_is_deprecated(test_client_factory: TestClientFactory) -> None:
    _scopes, app = scope_recorder()
    client = test_client_factory(app)
    with pytest.warns(DeprecationWarning, match="You should not use the 'timeout' argument with the TestClient"):
        assert client.get("/", timeout=1).status_code == 200


def test_follow_redirects(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/old":
            await respond(send, status=307, headers=[(b"location", b"/new")])
        else:
            await respond(send, scope["path"].encode())

    response = test_client_factory(app).get("/old")
    assert response.status_code == 200
    assert response.text == "/new"
    assert response.url == "http://testserver/new"
    no_follow = test_client_factory(app, follow_redirects=False).get("/old")
    assert no_follow.status_code == 307
    assert no_follow.headers["location"] == "/new"


def test_each_request_outside_context_gets_own_event_loop_thread(test_client_factory: TestClientFactory) -> None:
    threads: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        threads.append(threading.get_ident())
        await respond(send)

    def portal_of(client: TestClient) -> Any:
        return client.portal

    client = test_client_factory(app)
    assert portal_of(client) is None
    client.get("/")
    with client:
        assert portal_of(client) is not None
        client.get("/")
        client.get("/")
    assert portal_of(client) is None
    assert threads[1] == threads[2]
    assert threading.get_ident() not in threads


def test_backend_options(anyio_backend: str) -> None:
    _scopes, app = scope_recorder()
    options: dict[str, Any] = {"use_uvloop": False} if anyio_backend == "asyncio" else {}
    client = TestClient(app, backend=anyio_backend, backend_options=options)  # type: ignore[arg-type]
    assert client.get("/").status_code == 200
    assert client.async_backend == {"backend": anyio_backend, "backend_options": options}


class ASGI2App:
    """The legacy two-step interface: instantiated with the scope, then awaited with (receive, send)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, receive: Receive, send: Send) -> None:
        await respond(send, b"asgi2 " + self.scope["path"].encode())


def legacy_factory(scope: Scope) -> Callable[[Receive, Send], Any]:
    async def instance(receive: Receive, send: Send) -> None:
        await respond(send, b"factory")

    return instance


class AwaitableApp:
    """A class whose instances are awaitable counts as an ASGI 3 application."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send

    def __await__(self) -> Any:
        return respond(self.send, b"awaitable class").__await__()


class CallableApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"callable instance")


async def partial_app(body: bytes, scope: Scope, receive: Receive, send: Send) -> None:
    await respond(send, body)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (ASGI2App, b"asgi2 /x"),
        (legacy_factory, b"factory"),
        (AwaitableApp, b"awaitable class"),
        (CallableApp(), b"callable instance"),
        (functools.partial(partial_app, b"partial"), b"partial"),
        (functools.partial(functools.partial(partial_app), b"nested"), b"nested"),
    ],
)
def test_asgi2_and_asgi3_apps(test_client_factory: TestClientFactory, app: Any, expected: bytes) -> None:
    assert test_client_factory(app).get("/x").content == expected


def test_unknown_response_messages_are_ignored(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")]})

    response = test_client_factory(app).get("/")
    assert response.content == b"data"
    assert "x-checksum" not in response.headers
