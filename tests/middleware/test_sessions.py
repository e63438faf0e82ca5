"""SessionMiddleware: signed cookie sessions, cookie attributes, expiry, tampering, bad cookies, no itsdangerous."""

from __future__ import annotations

import json
import sys
import time
from base64 import b64encode
from typing import Any, Callable

import pytest

from starlette_core.datastructures import Secret
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.sessions import SessionMiddleware

from ._helpers import Recorder, disconnected_receiver

TestClientFactory = Callable[..., Any]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """GET / shows the session; POST / merges the JSON body into it; DELETE / clears it."""
    request = Request(scope, receive)
    if request.method == "POST":
        request.session.update(await request.json())
    elif request.method == "DELETE":
        request.session.clear()
    await JSONResponse({"session": request.session})(scope, receive, send)


def make_client(test_client_factory: TestClientFactory, base_url: str = "http://testserver", **kwargs: Any) -> Any:
    kwargs.setdefault("secret_key", "example")
    return test_client_factory(SessionMiddleware(app, **kwargs), base_url=base_url)


def set_cookie_header(response: Any) -> str:
    return str(response.headers["set-cookie"])


def test_session_round_trip(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory)
    assert client.get("/").json() == {"session": {}}

    response = client.post("/", json={"some": "data"})
    assert response.json() == {"session": {"some": "data"}}
    cookie = set_cookie_header(response)
    assert cookie.startswith("session=")
    assert "path=/;" in cookie
    assert "Max-Age=1209600;" in cookie
    assert cookie.endswith("httponly; samesite=lax")

    assert client.get("/").json() == {"session": {"some": "data"}}

    response = client.delete("/")
    assert response.json() == {"session": {}}
    cleared = set_cookie_header(response)
    assert cleared.startswith("session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT;")
    assert client.get("/").json() == {"session": {}}


def test_empty_session_sets_no_cookie(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory)
    assert "set-cookie" not in client.get("/").headers
    # Clearing a session that was empty anyway sets nothing either.
    assert "set-cookie" not in client.delete("/").headers


def test_cookie_is_signed_and_holds_base64_json(test_client_factory: TestClientFactory) -> None:
    from itsdangerous import TimestampSigner

    client = make_client(test_client_factory)
    response = client.post("/", json={"n": 1})
    value = response.cookies["session"]
    payload = TimestampSigner("example").unsign(value.encode())
    assert payload == b64encode(json.dumps({"n": 1}).encode())


def test_secret_key_may_be_a_secret(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, secret_key=Secret("hidden"))
    client.post("/", json={"a": 1})
    assert client.get("/").json() == {"session": {"a": 1}}


def test_session_cookie_name_path_domain_same_site_https_only(test_client_factory: TestClientFactory) -> None:
    client = make_client(
        test_client_factory,
        base_url="https://app.example.com",
        session_cookie="sid",
        path="/app",
        same_site="strict",
        https_only=True,
        domain="example.com",
    )
    response = client.post("/app/", json={"a": 1})
    cookie = set_cookie_header(response)
    assert cookie.startswith("sid=")
    assert "path=/app;" in cookie
    assert cookie.endswith("httponly; samesite=strict; secure; domain=example.com")
    assert client.get("/app/").json() == {"session": {"a": 1}}


def test_braces_in_cookie_attributes(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, session_cookie="s{0}", path="/{x}")
    cookie = set_cookie_header(client.post("/{x}/", json={"a": 1}))
    assert cookie.startswith("s{0}=")
    assert "path=/{x};" in cookie


def test_https_only_cookie_is_not_sent_over_http(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, https_only=True)
    response = client.post("/", json={"a": 1})
    assert "secure" in set_cookie_header(response)
    # The (httpx) client keeps a Secure cookie for https only.
    assert client.get("/").json() == {"session": {}}


def test_max_age_none_makes_a_browser_session_cookie(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, max_age=None)
    response = client.post("/", json={"a": 1})
    assert "Max-Age" not in set_cookie_header(response)
    assert client.get("/").json() == {"session": {"a": 1}}


def test_expired_session_is_empty(test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(test_client_factory, max_age=60)
    client.post("/", json={"a": 1})
    assert client.get("/").json() == {"session": {"a": 1}}
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 120)
    assert client.get("/").json() == {"session": {}}


def test_session_is_not_rewritten_when_only_read(test_client_factory: TestClientFactory) -> None:
    # (0.47.3 rewrites the cookie on every response while the session has data; upstream 1.x, as here, only when
    # the session changed: see tests/middleware/test_sessions_tracking.py.)
    client = make_client(test_client_factory)
    client.post("/", json={"a": 1})
    response = client.get("/")
    assert "set-cookie" not in response.headers
    assert response.headers["vary"] == "Cookie"


def test_tampered_cookie_gives_an_empty_session(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory)
    value = client.post("/", json={"user": "ada"}).cookies["session"]
    _payload, _, signature = value.partition(".")
    forged = b64encode(json.dumps({"user": "admin"}).encode()).decode() + "." + signature
    client.cookies.clear()
    response = client.get("/", headers={"Cookie": f"session={forged}"})
    assert response.status_code == 200
    assert response.json() == {"session": {}}
    # A cookie signed with another key is no better.
    other = make_client(test_client_factory, secret_key="other")
    other_value = other.post("/", json={"user": "admin"}).cookies["session"]
    assert client.get("/", headers={"Cookie": f"session={other_value}"}).json() == {"session": {}}


@pytest.mark.parametrize(
    "cookie",
    [
        b"session=",
        b"session=garbage",
        b"session=a.b.c",
        b"session=\xff\xfe",
        b"session",
        b'session="unterminated',
        b";;;session===;;",
        b"session=" + b"A" * 10000,
        b"=session",
        b"other=1; session=%%%; session=",
    ],
)
def test_garbage_cookie_never_causes_a_500(test_client_factory: TestClientFactory, cookie: bytes) -> None:
    client = make_client(test_client_factory)
    response = client.get("/", headers=[(b"cookie", cookie)])
    assert response.status_code == 200
    assert response.json() == {"session": {}}
    assert "set-cookie" not in response.headers


def test_signed_value_that_is_not_base64_json_gives_an_empty_session(test_client_factory: TestClientFactory) -> None:
    from itsdangerous import TimestampSigner

    signer = TimestampSigner("example")
    client = make_client(test_client_factory)
    nested = b64encode(b"[" * 100_000 + b"]" * 100_000)  # deeper than json.loads follows: RecursionError
    for payload in (b"not base64!", b64encode(b"not json"), b64encode(b"[1, 2]"), b64encode(b"\xff"), nested):
        value = signer.sign(payload).decode()
        response = client.get("/", headers={"Cookie": f"session={value}"})
        assert response.json() == {"session": {}}, payload


def test_cookie_among_others(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory)
    value = client.post("/", json={"a": 1}).cookies["session"]
    client.cookies.clear()
    response = client.get("/", headers={"Cookie": f"x=1; session={value}; y=2"})
    assert response.json() == {"session": {"a": 1}}
    # A cookie header that mentions the name only inside another cookie's value.
    assert client.get("/", headers={"Cookie": "other=session"}).json() == {"session": {}}


def test_partitioned_cookie(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        SessionMiddleware(app, secret_key="k", https_only=True, partitioned=True), base_url="https://testserver"
    )
    cookie = set_cookie_header(client.post("/", json={"a": 1}))
    assert cookie.endswith("httponly; samesite=lax; secure; partitioned")
    assert client.get("/").json() == {"session": {"a": 1}}


def test_websocket_sees_the_session(test_client_factory: TestClientFactory) -> None:
    async def both(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await app(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_json(websocket.session)
        await websocket.close()

    client = test_client_factory(SessionMiddleware(both, secret_key="k"))
    client.post("/", json={"ws": True})
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"ws": True}


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[Scope] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    await SessionMiddleware(lifespan_app, secret_key="k")({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == [{"type": "lifespan"}]


def test_without_itsdangerous_construction_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # What an earlier middleware imported into the module's globals goes too (put back afterwards).
    import starlette_middleware.sessions

    for name in ("itsdangerous", "BadSignature"):
        monkeypatch.delattr(starlette_middleware.sessions, name, raising=False)
    monkeypatch.setitem(sys.modules, "itsdangerous", None)
    with pytest.raises(ImportError, match=r"pip install itsdangerous"):
        SessionMiddleware(app, secret_key="k")
