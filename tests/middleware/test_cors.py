"""CORSMiddleware: simple and preflight requests, origins (list, wildcard, regex), credentials, bad input."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import ASGIApp, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.cors import ALL_METHODS, SAFELISTED_HEADERS, CORSMiddleware

from ._helpers import Recorder, disconnected_receiver

TestClientFactory = Callable[..., Any]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    response = PlainTextResponse(f"{request.method} ok", headers={"X-App": "1"})
    if request.url.path == "/vary":
        response.headers["Vary"] = "Accept-Encoding"
    await response(scope, receive, send)


def preflight_headers(origin: str = "https://example.org", method: str = "GET", **extra: str) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers.update({key.replace("_", "-"): value for key, value in extra.items()})
    return headers


def test_module_constants() -> None:
    # QUERY as upstream 1.x (0.47.3 has the other seven).
    assert ALL_METHODS == ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
    assert {"Accept", "Accept-Language", "Content-Language", "Content-Type"} == SAFELISTED_HEADERS


def test_request_without_origin_passes_through(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"]))
    response = client.get("/")
    assert response.text == "GET ok"
    assert "access-control-allow-origin" not in response.headers
    # An OPTIONS request without Origin is not a preflight either.
    assert client.options("/", headers={"Access-Control-Request-Method": "GET"}).text == "OPTIONS ok"


def test_allow_all_simple_request(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        CORSMiddleware(app, allow_origins=["*"], expose_headers=["X-App", "X-Other"], allow_methods=["*"])
    )
    response = client.get("/", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert response.text == "GET ok"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-App, X-Other"
    assert "access-control-allow-credentials" not in response.headers
    # Every response varies with Origin (upstream 1.x; 0.47.3 says nothing here).
    assert response.headers["vary"] == "Origin"


def test_allow_all_with_cookie_and_no_credentials_says_any_origin(test_client_factory: TestClientFactory) -> None:
    # (0.47.3 mirrors the origin when the request has a Cookie; upstream 1.x, as here, only with credentials.)
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"]))
    response = client.get("/vary", headers={"Origin": "https://example.org", "Cookie": "a=b"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_allow_all_preflight(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]))
    response = client.options(
        "/", headers=preflight_headers(method="DELETE", access_control_request_headers="X-A, X-B")
    )
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == ", ".join(ALL_METHODS)
    # Every header is allowed: the requested ones are mirrored back.
    assert response.headers["access-control-allow-headers"] == "X-A, X-B"
    assert response.headers["access-control-max-age"] == "600"
    assert response.headers["vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
    )
    assert "x-app" not in response.headers  # the app was not called


def test_allow_all_headers_without_requested_headers(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_headers=["*"]))
    response = client.options("/", headers=preflight_headers())
    assert response.status_code == 200
    assert "access-control-allow-headers" not in response.headers


def test_specific_origins(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        CORSMiddleware(
            app,
            allow_origins=["https://example.org"],
            allow_methods=["GET", "POST"],
            allow_headers=["X-Token"],
            allow_credentials=True,
            max_age=30,
        )
    )
    response = client.options(
        "/", headers=preflight_headers(method="POST", access_control_request_headers="x-token, Content-Type")
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == (
        "Accept, Accept-Language, Content-Language, Content-Type, X-Token"
    )
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "30"
    assert response.headers["vary"].startswith("Origin, Access-Control-Request-Method")

    response = client.get("/", headers={"Origin": "https://example.org"})
    assert response.text == "GET ok"
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Origin"


def test_simple_request_from_a_disallowed_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["https://example.org"], allow_credentials=True))
    response = client.get("/", headers={"Origin": "https://evil.example"})
    # The app still answers; the browser will refuse to expose it, as no allow-origin is given.
    assert response.text == "GET ok"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["access-control-allow-credentials"] == "true"


def test_credentials_with_wildcard_origin_mirror_the_origin_in_preflight(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_credentials=True))
    response = client.options("/", headers=preflight_headers())
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["vary"].startswith("Origin, Access-Control-Request-Method")
    assert response.headers["access-control-allow-credentials"] == "true"


def test_preflight_disallowed_origin_method_and_headers(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        CORSMiddleware(app, allow_origins=["https://example.org"], allow_methods=["GET"], allow_headers=["X-Ok"])
    )
    response = client.options(
        "/",
        headers=preflight_headers(
            origin="https://evil.example", method="DELETE", access_control_request_headers="X-Ok, X-Not-Ok, X-Bad"
        ),
    )
    assert response.status_code == 400
    assert response.text == "Disallowed CORS origin, method, headers"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "access-control-allow-origin" not in response.headers


def test_preflight_disallowed_method(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "POST"]))
    response = client.options("/", headers=preflight_headers(method="PUT"))
    assert (response.status_code, response.text) == (400, "Disallowed CORS method")


def test_preflight_disallowed_header(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_headers=["X-Ok"]))
    response = client.options("/", headers=preflight_headers(access_control_request_headers="X-Ok,X-Evil"))
    assert (response.status_code, response.text) == (400, "Disallowed CORS headers")
    ok = client.options("/", headers=preflight_headers(access_control_request_headers=" x-ok , accept "))
    assert ok.status_code == 200


def test_allow_origin_regex_matches_the_whole_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        CORSMiddleware(app, allow_origin_regex=r"https://.*\.example\.org", allow_headers=["X-Token"])
    )
    response = client.get("/", headers={"Origin": "https://api.example.org"})
    assert response.headers["access-control-allow-origin"] == "https://api.example.org"

    # A prefix match is not enough.
    for origin in ("https://api.example.org.evil.com", "http://api.example.org", "https://example.org"):
        response = client.get("/", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers, origin
        response = client.options("/", headers=preflight_headers(origin=origin))
        assert (response.status_code, response.text) == (400, "Disallowed CORS origin"), origin

    response = client.options("/", headers=preflight_headers(origin="https://www.example.org"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://www.example.org"


def test_is_allowed_origin() -> None:
    middleware = CORSMiddleware(app, allow_origins=["https://a.test"], allow_origin_regex=r"https://\w+\.b\.test")
    assert middleware.is_allowed_origin("https://a.test")
    assert middleware.is_allowed_origin("https://x.b.test")
    assert not middleware.is_allowed_origin("https://x.b.test/")
    assert not middleware.is_allowed_origin("https://c.test")
    assert CORSMiddleware(app, allow_origins=["*"]).is_allowed_origin("anything")


def test_vary_header_is_added_to_existing_one(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["https://example.org"]))
    response = client.get("/vary", headers={"Origin": "https://example.org"})
    assert response.headers["vary"] == "Accept-Encoding, Origin"


@pytest.mark.parametrize(
    "origin",
    [
        "",
        "null",
        "not a url",
        "https://exa mple.org",
        "https://example.org\u00e9",
        "\u00ff\u00fe\u00fd",
        "https://example.org:99999999999999999",
        "*",
        "https://" + "a" * 5000,
    ],
)
def test_malformed_origin_never_causes_a_500(test_client_factory: TestClientFactory, origin: str) -> None:
    for allowed in (["*"], ["https://example.org"]):
        client = test_client_factory(
            CORSMiddleware(app, allow_origins=allowed, allow_origin_regex=r"https://\w+\.org", allow_credentials=True)
        )
        raw_origin = origin.encode("latin-1")
        response = client.get("/", headers=[(b"origin", raw_origin), (b"cookie", b"a=b")])
        assert response.status_code == 200
        assert response.text == "GET ok"
        response = client.options("/", headers=[(b"origin", raw_origin), (b"access-control-request-method", b"GET")])
        assert response.status_code in (200, 400)
        if response.status_code == 400:
            assert response.text == "Disallowed CORS origin"


def test_malformed_preflight_headers_are_a_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["https://example.org"], allow_headers=["X-A"]))
    for method in ("", "get", "G\u00e9T"):
        response = client.options(
            "/",
            headers=[(b"origin", b"https://example.org"), (b"access-control-request-method", method.encode("latin-1"))],
        )
        assert (response.status_code, response.text) == (400, "Disallowed CORS method")
    response = client.options(
        "/",
        headers=[
            (b"origin", b"https://example.org"),
            (b"access-control-request-method", b"GET"),
            (b"access-control-request-headers", ",,\u00e9\u00e9, x-a".encode("latin-1")),
        ],
    )
    assert (response.status_code, response.text) == (400, "Disallowed CORS headers")


def test_private_network_access_is_off_by_default(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"]))
    response = client.options("/", headers=preflight_headers(access_control_request_private_network="true"))
    assert response.status_code == 200
    assert "access-control-allow-private-network" not in response.headers


def test_private_network_access_when_enabled(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_private_network=True))
    response = client.options("/", headers=preflight_headers(access_control_request_private_network="true"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"
    # Not asked for: not given.
    response = client.options("/", headers=preflight_headers())
    assert "access-control-allow-private-network" not in response.headers


def test_websocket_passes_through(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    client = test_client_factory(CORSMiddleware(ws_app, allow_origins=["https://example.org"]))
    with client.websocket_connect("/", headers={"Origin": "https://evil.example"}) as websocket:
        assert websocket.receive_text() == "hello"


@pytest.mark.anyio
async def test_response_start_without_headers_and_other_messages() -> None:
    async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    middleware: ASGIApp = CORSMiddleware(bare_app, allow_origins=["https://example.org"])
    scope: Scope = {"type": "http", "method": "GET", "headers": [(b"origin", b"https://example.org")]}
    sent = Recorder()
    await middleware(scope, disconnected_receiver(), sent)
    assert sent.messages[0]["headers"] == [
        (b"access-control-allow-origin", b"https://example.org"),
        (b"vary", b"Origin"),
    ]
    assert sent.messages[1] == {"type": "http.response.body", "body": b""}
