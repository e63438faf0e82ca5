"""TestClient additions of upstream 1.x: streamed response bodies (1.9), trailers (1.7), the debug extension (1.6) and
IPv6 hosts (1.8); 0.47.3's behaviour (whole responses, errors raised, background tasks run) is unchanged."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Callable

import anyio
import httpx
import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_testing.testclient import TestClient

TestClientFactory = Callable[..., TestClient]


def endless_app(events: list[str]) -> Callable[..., Any]:
    """A body that never ends: numbered lines, one per send; records how it ended."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            for reply in ("lifespan.startup.complete", "lifespan.shutdown.complete"):
                await receive()
                await send({"type": reply})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        number = 0
        try:
            while True:
                await send({"type": "http.response.body", "body": f"{number}\n".encode(), "more_body": True})
                number += 1
        except anyio.get_cancelled_exc_class():
            events.append("cancelled")
            raise
        finally:
            events.append(f"sent {number}")

    return app


def test_an_endless_body_is_read_as_it_comes_and_closing_cancels_the_app(
    test_client_factory: TestClientFactory,
) -> None:
    events: list[str] = []
    client = test_client_factory(endless_app(events))
    with client.stream("GET", "/") as response:
        assert response.status_code == 200
        chunks = response.iter_bytes()
        assert next(chunks) == b"0\n"
        assert next(chunks) == b"1\n"
        assert events == []  # still running, waiting for the reader
    assert events[0] == "cancelled"
    # the app is never more than one chunk ahead of the reader
    assert events[1] in ("sent 2", "sent 3")


def test_closing_cancels_the_app_inside_the_client_block(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    with test_client_factory(endless_app(events)) as client:
        with client.stream("GET", "/") as response:
            assert next(response.iter_raw()) == b"0\n"
        assert events[0] == "cancelled"  # cancelled and returned before close() returns
        events.clear()
        with client.stream("GET", "/") as response:  # the client's portal still serves
            assert next(response.iter_raw()) == b"0\n"
        assert events[0] == "cancelled"


class Numbers:
    """An endless async iterator (not a generator: nothing to finalize when it is dropped)."""

    def __init__(self) -> None:
        self.number = -1

    def __aiter__(self) -> Numbers:
        return self

    async def __anext__(self) -> str:
        await anyio.sleep(0)
        self.number += 1
        return f"{self.number},"


def test_a_streaming_response_body(test_client_factory: TestClientFactory) -> None:
    from starlette_core.responses import StreamingResponse

    ended: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await StreamingResponse(Numbers())(scope, receive, send)
        except anyio.get_cancelled_exc_class():
            ended.append("cancelled")
            raise

    with test_client_factory(app).stream("GET", "/") as response:
        assert next(response.iter_bytes()) == b"0,"
    assert ended == ["cancelled"]


def test_a_whole_response_still_waits_for_the_app_to_return(test_client_factory: TestClientFactory) -> None:
    after: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        await send({"type": "http.response.body", "body": bytearray(b"b")})
        assert (await receive())["type"] == "http.request"
        message = await receive()  # the client has the whole body: it "disconnects"
        await anyio.sleep(0)
        after.append(message["type"])  # like a background task: done before get() returns

    response = test_client_factory(app).get("/")
    assert (response.status_code, response.content) == (201, b"ab")
    assert after == ["http.disconnect"]
    with test_client_factory(app).stream("GET", "/") as response:
        assert list(response.iter_raw()) == [b"a", b"b"]
        assert after == ["http.disconnect"] * 2


class Boom(Exception):
    pass


async def failing_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise Boom("after the start")


def test_an_error_after_the_start_is_raised_to_the_reader(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(failing_after_start)
    with pytest.raises(Boom, match="after the start"):
        client.get("/")
    with client.stream("GET", "/") as response:
        assert response.status_code == 200  # the response started: the error comes with the body
        with pytest.raises(Boom):
            response.read()


def test_an_error_after_the_start_without_raise_server_exceptions(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(failing_after_start, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.content) == (200, b"partial")


def test_head_responses_have_no_body(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})

    response = test_client_factory(app).head("/")
    assert (response.status_code, response.content, response.headers["content-length"]) == (200, b"", "5")


def test_the_body_stream_ends_once_closed(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(endless_app(events))
    response = client.send(client.build_request("GET", "/"), stream=True)
    stream = response.stream
    assert isinstance(stream, httpx.SyncByteStream)
    chunks = iter(stream)
    assert next(chunks) == b"0\n"
    stream.close()
    stream.close()  # a second close does nothing
    assert list(chunks) == []  # a closed stream has nothing more
    assert events[0] == "cancelled"


# --- trailers (1.7) ---------------------------------------------------------------------------------------------


def trailers_app(announce: bool, *messages: list[tuple[bytes, bytes]]) -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["extensions"]["http.response.trailers"] == {}
        start: Message = {"type": "http.response.start", "status": 200, "headers": [(b"trailer", b"x-sum")]}
        if announce:
            start["trailers"] = True
        await send(start)
        await send({"type": "http.response.body", "body": b"body"})
        for index, headers in enumerate(messages):
            more = index < len(messages) - 1
            await send({"type": "http.response.trailers", "headers": headers, "more_trailers": more})

    return app


def test_trailers_are_in_the_response_extensions(test_client_factory: TestClientFactory) -> None:
    app = trailers_app(True, [(b"x-sum", b"1")], [(b"x-more", b"2"), (b"x-sum", b"3")])
    response = test_client_factory(app).get("/")
    assert response.text == "body"
    assert response.extensions["http.response.trailers"] == [(b"x-sum", b"1"), (b"x-more", b"2"), (b"x-sum", b"3")]
    assert "x-sum" not in response.headers


def test_announced_trailers_fill_in_as_the_body_is_read(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(trailers_app(True, [(b"x-sum", b"1")])).stream("GET", "/") as response:
        assert response.extensions["http.response.trailers"] == []
        response.read()
        assert response.extensions["http.response.trailers"] == [(b"x-sum", b"1")]
    announced_none = test_client_factory(trailers_app(True)).get("/")
    assert announced_none.extensions["http.response.trailers"] == []


def test_no_trailers_no_extension(test_client_factory: TestClientFactory) -> None:
    assert "http.response.trailers" not in test_client_factory(trailers_app(False)).get("/").extensions
    # trailers the start did not announce are the app's mistake, as upstream says
    with pytest.raises(AssertionError, match=r'"http\.response\.trailers" without declaring trailers'):
        test_client_factory(trailers_app(False, [(b"x-sum", b"1")])).get("/")


# --- the debug extension (1.6) ----------------------------------------------------------------------------------


def test_debug_info_is_a_response_extension(test_client_factory: TestClientFactory) -> None:
    info = {"template": "page.html", "context": {"name": "x"}}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.debug", "info": info})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    response = test_client_factory(app).get("/")
    assert response.extensions["http.response.debug"] == info
    assert response.template == "page.html"  # type: ignore[attr-defined]
    assert response.context == {"name": "x"}  # type: ignore[attr-defined]


def test_debug_info_after_the_start_is_ignored(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})
        await send({"type": "http.response.debug", "info": {"template": "late.html", "context": {}}})

    response = test_client_factory(app).get("/")
    assert response.extensions == {}
    assert not hasattr(response, "template")


# --- IPv6 hosts (1.8) -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "server", "host"),
    [
        ("http://[::1]", ["::1", 80], b"[::1]"),
        ("http://[::1]:8000", ["::1", 8000], b"[::1]:8000"),
        ("https://[2001:db8::1]/", ["2001:db8::1", 443], b"[2001:db8::1]"),
    ],
)
def test_ipv6_base_url(test_client_factory: TestClientFactory, base_url: str, server: list[Any], host: bytes) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    client = test_client_factory(app, base_url=base_url)
    assert client.get("/x").status_code == 200
    request = client.build_request("GET", "/y")
    del request.headers["host"]  # a hand-built request without one: the transport adds it, bracketed
    response = client._transport.handle_request(request)
    response.read()
    response.close()
    for scope in scopes:
        assert scope["server"] == server
        assert dict(scope["headers"])[b"host"] == host


# --- the HTTP library ---------------------------------------------------------------------------------------------


def test_httpx_is_used_without_a_warning() -> None:
    # Upstream 1.x prefers httpx2 and warns when it has only httpx: here httpx, the declared dependency, is used
    # quietly (README, "Differences from upstream").
    code = (
        "import httpx, warnings\n"
        "warnings.simplefilter('error')\n"
        "import starlette_testing.testclient as testclient\n"
        "assert testclient.httpx is httpx and issubclass(testclient.TestClient, httpx.Client)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
