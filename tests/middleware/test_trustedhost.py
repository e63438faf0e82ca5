"""TrustedHostMiddleware: exact and wildcard hosts, www redirect, 400 for anything else, hostile Host headers."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.trustedhost import ENFORCE_DOMAIN_WILDCARD, TrustedHostMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope

TestClientFactory = Callable[..., Any]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"OK {Request(scope).url}")(scope, receive, send)


def get_with_host(client: Any, host: bytes, path: str = "/") -> Any:
    request = client.build_request("GET", path)
    request.headers = type(request.headers)(
        [(key, value) for key, value in request.headers.raw if key.lower() != b"host"] + [(b"host", host)]
    )
    return client.send(request)


def test_exact_and_wildcard_hosts(test_client_factory: TestClientFactory) -> None:
    middleware = TrustedHostMiddleware(app, allowed_hosts=["testserver", "*.example.org"])
    client = test_client_factory(middleware)
    assert client.get("/").status_code == 200
    assert test_client_factory(middleware, base_url="http://testserver:8000").get("/").status_code == 200
    assert test_client_factory(middleware, base_url="http://api.example.org").get("/").status_code == 200
    assert test_client_factory(middleware, base_url="http://a.b.example.org").get("/").status_code == 200

    for base_url in ("http://example.org", "http://evil.com", "http://example.org.evil.com", "http://xexample.org"):
        response = test_client_factory(middleware, base_url=base_url).get("/")
        assert (response.status_code, response.text) == (400, "Invalid host header"), base_url


def test_host_is_case_insensitive(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(TrustedHostMiddleware(app, allowed_hosts=["TestServer", "*.Example.org"]))
    assert get_with_host(client, b"TESTSERVER").status_code == 200
    assert get_with_host(client, b"Api.EXAMPLE.org:443").status_code == 200


def test_default_allows_any_host(test_client_factory: TestClientFactory) -> None:
    middleware = TrustedHostMiddleware(app)
    assert middleware.allow_any
    assert middleware.allowed_hosts == ["*"]
    assert test_client_factory(middleware, base_url="http://anything.example").get("/").status_code == 200
    assert get_with_host(test_client_factory(middleware), b"\xff bad host").status_code == 200


def test_www_redirect(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        TrustedHostMiddleware(app, allowed_hosts=["www.example.com"]), base_url="https://example.com"
    )
    response = client.get("/path?q=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://www.example.com/path?q=1"
    assert client.get("/path").text == "OK https://www.example.com/path"


def test_www_redirect_keeps_the_port(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        TrustedHostMiddleware(app, allowed_hosts=["www.example.com"]), base_url="http://example.com:8080"
    )
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "http://www.example.com:8080/"


def test_www_redirect_needs_a_valid_host_header(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(TrustedHostMiddleware(app, allowed_hosts=["www.example.com"]))
    for host in (b"example.com:abc", b"example.com:99999"):
        response = get_with_host(client, host)
        assert (response.status_code, response.text) == (400, "Invalid host header")
    response = get_with_host(client, b"EXAMPLE.com:81")
    assert response.status_code == 200
    assert response.text == "OK http://www.example.com:81/"


def test_www_redirect_disabled(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        TrustedHostMiddleware(app, allowed_hosts=["www.example.com"], www_redirect=False),
        base_url="https://example.com",
    )
    response = client.get("/", follow_redirects=False)
    assert (response.status_code, response.text) == (400, "Invalid host header")


def test_ipv6_host(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(TrustedHostMiddleware(app, allowed_hosts=["[::1]", "127.0.0.1"]))
    assert get_with_host(client, b"[::1]:8000").status_code == 200
    assert get_with_host(client, b"[::1]").status_code == 200
    assert get_with_host(client, b"127.0.0.1:80").status_code == 200
    assert get_with_host(client, b"[::2]:8000").status_code == 400
    assert get_with_host(client, b"[::1").status_code == 400


@pytest.mark.parametrize(
    "host",
    [
        b"",
        b":",
        b":8000",
        b"testserver:not-a-port",
        b"\xff\xfe",
        b"test server",
        b"[",
        b"]",
        b"*.example.org",
        b"a" * 10000,
        b"example.com.",
        b"user@example.com",
        b"evil.com/example.com",
        b"evil.com#.example.org",
        b"evil.com/.example.org",
        b"evil.com?.example.org",
        b"evil.com\\.example.org",
        b"evil.com:80@x.example.org",
        b"a b.example.org",
    ],
)
def test_hostile_host_headers_are_a_400(test_client_factory: TestClientFactory, host: bytes) -> None:
    client = test_client_factory(TrustedHostMiddleware(app, allowed_hosts=["www.example.com", "*.example.org"]))
    response = get_with_host(client, host)
    assert (response.status_code, response.text) == (400, "Invalid host header")


@pytest.mark.anyio
async def test_missing_host_header_is_a_400() -> None:
    sent = Recorder()
    await TrustedHostMiddleware(app, allowed_hosts=["testserver"])(http_scope(), disconnected_receiver(), sent)
    assert sent.start["status"] == 400
    assert sent.body == b"Invalid host header"


def test_port_in_allowed_host_still_matches_host_without_port(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(TrustedHostMiddleware(app, allowed_hosts=["testserver"]))
    assert get_with_host(client, b"testserver:1234").status_code == 200


def test_invalid_patterns() -> None:
    for pattern in ("*example.org", "example.*", "a.*.example.org", "**.example.org"):
        with pytest.raises(AssertionError, match=ENFORCE_DOMAIN_WILDCARD.replace(".", r"\.").replace("*", r"\*")):
            TrustedHostMiddleware(app, allowed_hosts=[pattern])
    assert ENFORCE_DOMAIN_WILDCARD == "Domain wildcard patterns must be like '*.example.com'."


def test_websocket(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("welcome")
        await websocket.close()

    middleware = TrustedHostMiddleware(ws_app, allowed_hosts=["testserver"])
    with test_client_factory(middleware).websocket_connect("/") as websocket:
        assert websocket.receive_text() == "welcome"

    from starlette_testing.testclient import WebSocketDenialResponse

    client = test_client_factory(middleware)
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("ws://evil.com/"):
        pass  # pragma: no cover
    assert (info.value.status_code, info.value.text) == (400, "Invalid host header")


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    middleware = TrustedHostMiddleware(lifespan_app, allowed_hosts=["testserver"])
    await middleware({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == ["lifespan"]


def test_rejections_do_not_share_headers_with_outer_middleware(test_client_factory: TestClientFactory) -> None:
    from starlette_middleware.cors import CORSMiddleware

    app_ = CORSMiddleware(TrustedHostMiddleware(app, allowed_hosts=["example.com"]), allow_origins=["*"])
    client = test_client_factory(app_)
    for _ in range(3):
        response = client.get("/", headers={"Origin": "https://a.test"})
        assert response.status_code == 400
        assert response.headers.get_list("access-control-allow-origin") == ["*"]
