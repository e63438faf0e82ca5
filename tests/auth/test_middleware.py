"""starlette_auth.middleware.AuthenticationMiddleware with basic-auth and token backends."""

from __future__ import annotations

import base64
import inspect
from typing import Any, Callable

import pytest

from starlette_auth.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
)
from starlette_auth.middleware import AuthenticationMiddleware
from starlette_core.requests import HTTPConnection, Request
from starlette_core.responses import JSONResponse, PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect

from .apps import BasicAuthBackend, TokenBackend, http_app, websocket_app, whoami


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_basic_auth_backend_authenticates(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(AuthenticationMiddleware(http_app(whoami), backend=BasicAuthBackend()))
    response = client.get("/", headers=basic("ada:lovelace"))
    assert (response.status_code, response.text) == (200, "ada|True|authenticated")
    assert client.get("/", auth=("alan", "turing")).text == "alan|True|authenticated"


def test_backend_returning_none_means_anonymous(test_client_factory: Callable[..., Any]) -> None:
    seen: list[tuple[Any, Any]] = []

    def endpoint(request: Request) -> Response:
        seen.append((request.auth, request.user))
        return whoami(request)

    client = test_client_factory(AuthenticationMiddleware(http_app(endpoint), backend=BasicAuthBackend()))
    for headers in ({}, {"Authorization": "Digest abc"}):
        response = client.get("/", headers=headers)
        assert (response.status_code, response.text) == (200, "|False|")
    assert len(seen) == 2
    for auth, user in seen:
        assert isinstance(auth, AuthCredentials)
        assert auth.scopes == []
        assert isinstance(user, UnauthenticatedUser)
    # a fresh anonymous identity per request: nothing shared that one request could mutate for the next
    assert seen[0][0] is not seen[1][0]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": "Basic"}, "Wrong username or password"),
        ({"Authorization": "Basic !!!not-base64!!!"}, "Invalid basic auth credentials"),
        ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()}, "Invalid basic auth credentials"),
        ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, "Wrong username or password"),
        (basic("ada:wrong"), "Wrong username or password"),
        (basic("nobody:lovelace"), "Wrong username or password"),
        ({"Authorization": "Basic " + "A" * 10_001}, "Invalid basic auth credentials"),
    ],
)
def test_garbage_basic_auth_header_is_a_400_never_a_500(
    test_client_factory: Callable[..., Any], headers: dict[str, str], reason: str
) -> None:
    calls: list[Request] = []

    def endpoint(request: Request) -> Response:
        calls.append(request)  # pragma: no cover
        return whoami(request)  # pragma: no cover

    client = test_client_factory(AuthenticationMiddleware(http_app(endpoint), backend=BasicAuthBackend()))
    response = client.get("/", headers=headers)
    assert response.status_code == 400
    assert response.text == reason
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert calls == []


@pytest.mark.anyio
async def test_raw_non_ascii_header_bytes_are_a_400() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the endpoint must not run")  # pragma: no cover

    middleware = AuthenticationMiddleware(app, backend=BasicAuthBackend())

    async def send(message: Message) -> None:
        received.append(message)

    async def receive() -> Message:
        raise AssertionError("no body is read")  # pragma: no cover

    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [(b"authorization", b"Basic \xc3\x28\x00\xff")],
    }
    await middleware(scope, receive, send)
    assert received[0]["type"] == "http.response.start"
    assert received[0]["status"] == 400
    assert received[1]["body"] == b"Invalid basic auth credentials"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer t0k3n-admin"}, (200, "root|True|authenticated,admin")),
        ({"Authorization": "Bearer t0k3n-reader"}, (200, "reader|True|authenticated")),
        ({"Authorization": "Bearer nope"}, (400, "Unknown token")),
        ({"Authorization": "Bearer"}, (400, "Malformed Authorization header")),
        ({"Authorization": "Token t0k3n-admin"}, (400, "Malformed Authorization header")),
        ({"Authorization": "\x00\x01garbage"}, (400, "Malformed Authorization header")),
        ({}, (200, "|False|")),
    ],
)
def test_token_backend(
    test_client_factory: Callable[..., Any], headers: dict[str, str], expected: tuple[int, str]
) -> None:
    client = test_client_factory(AuthenticationMiddleware(http_app(whoami), backend=TokenBackend()))
    response = client.get("/", headers=headers)
    assert (response.status_code, response.text) == expected


def test_custom_on_error(test_client_factory: Callable[..., Any]) -> None:
    seen: list[tuple[HTTPConnection, AuthenticationError]] = []

    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        seen.append((conn, exc))
        return JSONResponse({"error": str(exc), "path": conn.url.path}, status_code=401)

    middleware = AuthenticationMiddleware(http_app(whoami), backend=TokenBackend(), on_error=on_error)
    assert middleware.on_error is on_error
    client = test_client_factory(middleware)
    response = client.get("/private", headers={"Authorization": "Bearer bad"})
    assert response.status_code == 401
    assert response.json() == {"error": "Unknown token", "path": "/private"}
    assert len(seen) == 1
    assert isinstance(seen[0][1], AuthenticationError)


def test_default_on_error() -> None:
    assert isinstance(inspect.getattr_static(AuthenticationMiddleware, "default_on_error"), staticmethod)
    middleware = AuthenticationMiddleware(http_app(whoami), backend=TokenBackend())
    assert middleware.app is not None
    assert isinstance(middleware.backend, TokenBackend)
    assert middleware.on_error == AuthenticationMiddleware.default_on_error
    conn = HTTPConnection({"type": "http", "headers": []})
    response = AuthenticationMiddleware.default_on_error(conn, AuthenticationError("nope"))
    assert isinstance(response, PlainTextResponse)
    assert (response.status_code, response.body) == (400, b"nope")


def test_other_backend_exceptions_propagate(test_client_factory: Callable[..., Any]) -> None:
    class Broken(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
            raise RuntimeError("backend down")

    client = test_client_factory(AuthenticationMiddleware(http_app(whoami), backend=Broken()))
    with pytest.raises(RuntimeError, match="backend down"):
        client.get("/")


def test_websocket_user_is_set(test_client_factory: Callable[..., Any]) -> None:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {
                "user": websocket.user.display_name,
                "authenticated": websocket.user.is_authenticated,
                "scopes": websocket.auth.scopes,
            }
        )
        await websocket.close()

    client = test_client_factory(AuthenticationMiddleware(websocket_app(endpoint), backend=TokenBackend()))
    with client.websocket_connect("/ws?token=t0k3n-admin") as session:
        assert session.receive_json() == {"user": "root", "authenticated": True, "scopes": ["authenticated", "admin"]}
    with client.websocket_connect("/ws") as session:
        assert session.receive_json() == {"user": "", "authenticated": False, "scopes": []}


@pytest.mark.parametrize(
    ("url", "headers"), [("/ws?token=wrong", {}), ("/ws?token=t0k3n-admin", {"Authorization": "Bearer wrong"})]
)
def test_websocket_authentication_error_closes_with_1000(
    test_client_factory: Callable[..., Any], url: str, headers: dict[str, str]
) -> None:
    errors: list[str] = []

    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        errors.append(conn.scope["type"])
        return PlainTextResponse("not sent over a websocket", status_code=401)

    async def endpoint(websocket: WebSocket) -> None:
        raise AssertionError("the endpoint must not run")  # pragma: no cover

    backend = TokenBackend()
    client = test_client_factory(AuthenticationMiddleware(websocket_app(endpoint), backend=backend, on_error=on_error))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url, headers=headers):
        pass  # pragma: no cover
    assert info.value.code == 1000
    assert errors == ["websocket"]


@pytest.mark.anyio
async def test_other_scope_types_pass_through_without_authentication() -> None:
    calls: list[str] = []
    passed: list[Scope] = []

    class Counting(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
            calls.append(conn.scope["type"])  # pragma: no cover
            return None  # pragma: no cover

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        passed.append(scope)

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    middleware = AuthenticationMiddleware(app, backend=Counting())
    scope: Scope = {"type": "lifespan", "state": {}}
    await middleware(scope, receive, send)
    assert passed == [scope]
    assert "user" not in scope and "auth" not in scope
    assert calls == []


@pytest.mark.anyio
async def test_backend_result_is_stored_in_the_scope() -> None:
    credentials, user = AuthCredentials(["x"]), SimpleUser("u")
    received: list[Scope] = []

    class Fixed(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
            return credentials, user

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(scope)

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    for scope_type in ("http", "websocket"):
        scope: Scope = {"type": scope_type, "headers": [], "path": "/", "query_string": b""}
        await AuthenticationMiddleware(app, backend=Fixed())(scope, receive, send)
        assert scope["auth"] is credentials
        assert scope["user"] is user
    assert len(received) == 2


@pytest.mark.parametrize("attribute", ["user", "auth"])
def test_user_and_auth_without_the_middleware_fail_with_a_clear_message(
    test_client_factory: Callable[..., Any], attribute: str
) -> None:
    message = f"AuthenticationMiddleware must be installed to access request.{attribute}"
    request = Request({"type": "http", "headers": []})
    with pytest.raises(AssertionError, match=f"^{message}$"):
        getattr(request, attribute)

    errors: list[str] = []

    def endpoint(request: Request) -> Response:
        try:
            getattr(request, attribute)
        except AssertionError as exc:
            errors.append(str(exc))
        return PlainTextResponse("checked")

    assert test_client_factory(http_app(endpoint)).get("/").text == "checked"
    assert errors == [message]
