"""CORSMiddleware's Vary headers and wildcard origins as upstream 1.x has them: every HTTP response varies with
Origin (CORS request or not), a preflight also with the Access-Control-Request-* headers, and ``["*"]`` mirrors the
origin exactly when credentials are allowed."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.cors import CORSMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope

TestClientFactory = Callable[..., Any]

PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network"
)

CONFIGS: list[dict[str, Any]] = [
    {"allow_origins": ["*"]},
    {"allow_origins": ["*"], "allow_credentials": True},
    {"allow_origins": ["https://a.test"]},
    {"allow_origin_regex": r"https://\w+\.a\.test", "allow_credentials": True},
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    headers = {"Vary": request.query_params["vary"]} if "vary" in request.query_params else None
    await PlainTextResponse("app", headers=headers)(scope, receive, send)


@pytest.mark.parametrize("config", CONFIGS)
def test_a_request_without_origin_varies_with_origin(test_client_factory: TestClientFactory, config: Any) -> None:
    client = test_client_factory(CORSMiddleware(app, **config))
    for method in ("GET", "POST", "OPTIONS"):
        response = client.request(method, "/")
        assert response.text == "app"
        assert response.headers.get_list("vary") == ["Origin"]
        assert "access-control-allow-origin" not in response.headers
    # Without Origin an OPTIONS request is not a preflight, whatever else it has.
    response = client.options("/", headers={"Access-Control-Request-Method": "GET"})
    assert (response.text, response.headers["vary"]) == ("app", "Origin")
    # The app's own Vary is kept, Origin added to it.
    assert client.get("/?vary=Accept-Encoding").headers.get_list("vary") == ["Accept-Encoding, Origin"]
    assert client.get("/?vary=origin").headers.get_list("vary") == ["origin, Origin"]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("origin", ["https://a.test", "https://x.a.test", "https://evil.test"])
def test_a_simple_request_varies_with_origin(test_client_factory: TestClientFactory, config: Any, origin: str) -> None:
    client = test_client_factory(CORSMiddleware(app, **config))
    assert client.get("/", headers={"Origin": origin}).headers.get_list("vary") == ["Origin"]
    response = client.get("/?vary=Accept-Encoding", headers={"Origin": origin})
    assert response.headers.get_list("vary") == ["Accept-Encoding, Origin"]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("origin", ["https://a.test", "https://evil.test"])
def test_a_preflight_varies_with_the_request_headers_it_reads(
    test_client_factory: TestClientFactory, config: Any, origin: str
) -> None:
    client = test_client_factory(CORSMiddleware(app, **config))
    response = client.options("/", headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert response.headers.get_list("vary") == [PREFLIGHT_VARY]
    # First, before the Access-Control-* headers.
    assert response.headers.raw[0][0] == b"vary"


def test_wildcard_without_credentials_always_says_any_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"]))
    for headers in ({"Origin": "https://a.test"}, {"Origin": "https://a.test", "Cookie": "a=b"}):
        response = client.get("/", headers=headers)
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


def test_wildcard_with_credentials_mirrors_every_origin(test_client_factory: TestClientFactory) -> None:
    # (0.47.3 mirrors it only when the request has a Cookie, and otherwise answers "*" with credentials, which a
    # browser refuses for a credentialed request: one with an Authorization header, say.)
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_credentials=True))
    for headers in ({"Origin": "https://a.test"}, {"Origin": "https://b.test", "Authorization": "Bearer x"}):
        response = client.get("/?vary=Accept-Encoding", headers=headers)
        assert response.headers["access-control-allow-origin"] == headers["Origin"]
        assert response.headers["access-control-allow-credentials"] == "true"
        assert response.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    # The mirrored origin takes the place of "*" (the first CORS header).
    response = client.get("/", headers={"Origin": "https://a.test"})
    assert [name for name, _ in response.headers.raw][-3:] == [
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"vary",
    ]


def test_a_disallowed_origin_gets_no_allow_origin(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["https://a.test"], allow_credentials=True))
    response = client.get("/", headers={"Origin": "https://evil.test"})
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


@pytest.mark.anyio
async def test_other_messages_and_a_start_without_headers() -> None:
    async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    for headers in ([], [(b"origin", b"https://a.test")]):
        sent = Recorder()
        await CORSMiddleware(raw_app, allow_origins=["*"])(http_scope(headers=headers), disconnected_receiver(), sent)
        assert sent.messages[0]["headers"][-1] == (b"vary", b"Origin")
        assert sent.messages[1] == {"type": "http.response.body", "body": b""}


@pytest.mark.anyio
async def test_the_app_s_header_list_is_not_changed() -> None:
    original = [(b"vary", b"Cookie")]

    async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": original})
        await send({"type": "http.response.body", "body": b""})

    sent = Recorder()
    await CORSMiddleware(raw_app, allow_origins=["*"])(http_scope(), disconnected_receiver(), sent)
    assert sent.messages[0]["headers"] == [(b"vary", b"Cookie, Origin")]
    assert original == [(b"vary", b"Cookie")]


def test_websocket_gets_nothing(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept(headers=[(b"x-app", b"1")])
        await websocket.send_text("hello")
        await websocket.close()

    client = test_client_factory(CORSMiddleware(ws_app, allow_origins=["*"]))
    with client.websocket_connect("/") as websocket:
        assert websocket.receive_text() == "hello"
