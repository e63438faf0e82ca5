"""starlette_auth.authentication: users, credentials, has_required_scope and the requires decorator."""

from __future__ import annotations

import inspect
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from starlette_auth.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
    has_required_scope,
    requires,
)
from starlette_auth.middleware import AuthenticationMiddleware
from starlette_core.exceptions import HTTPException
from starlette_core.requests import HTTPConnection, Request
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response
from starlette_core.types import Message
from starlette_core.websockets import WebSocket, WebSocketDisconnect

from .apps import NamedRoutes, TokenBackend, http_app, websocket_app

ADMIN = {"Authorization": "Bearer t0k3n-admin"}
READER = {"Authorization": "Bearer t0k3n-reader"}


def make_request(scopes: list[str] | None, path: str = "/secret", query: bytes = b"") -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("example.org", 80),
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"example.org")],
        "router": NamedRoutes(),
    }
    if scopes is not None:
        scope["auth"] = AuthCredentials(scopes)
        scope["user"] = SimpleUser("someone")
    return Request(scope)


# --- users and credentials ---------------------------------------------------------------------------------------


def test_auth_credentials_default_to_no_scopes() -> None:
    assert AuthCredentials().scopes == []
    assert AuthCredentials(None).scopes == []


def test_auth_credentials_copy_scopes_into_a_list() -> None:
    given = ("read", "write")
    credentials = AuthCredentials(given)
    assert credentials.scopes == ["read", "write"]
    credentials.scopes.append("admin")
    assert given == ("read", "write")


def test_simple_user() -> None:
    user = SimpleUser("ada")
    assert isinstance(user, BaseUser)
    assert user.username == "ada"
    assert user.is_authenticated is True
    assert user.display_name == "ada"
    assert user.identity == "ada"  # (upstream 1.7)


def test_unauthenticated_user() -> None:
    user = UnauthenticatedUser()
    assert isinstance(user, BaseUser)
    assert user.is_authenticated is False
    assert user.display_name == ""
    assert user.identity == ""  # (upstream 1.7)


@pytest.mark.parametrize("attribute", ["is_authenticated", "display_name", "identity"])
def test_base_user_properties_are_abstract(attribute: str) -> None:
    assert isinstance(inspect.getattr_static(BaseUser, attribute), property)
    with pytest.raises(NotImplementedError):
        getattr(BaseUser(), attribute)


@pytest.mark.anyio
async def test_base_backend_must_be_overridden() -> None:
    assert inspect.iscoroutinefunction(AuthenticationBackend.authenticate)
    with pytest.raises(NotImplementedError):
        await AuthenticationBackend().authenticate(make_request(None))


def test_authentication_error_is_an_exception_carrying_its_message() -> None:
    assert issubclass(AuthenticationError, Exception)
    assert str(AuthenticationError("bad token")) == "bad token"


# --- has_required_scope ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [
        (["a", "b"], ["a"], True),
        (["a", "b"], ["b", "a"], True),
        (["a", "b"], [], True),
        ([], [], True),
        (["a"], ["a", "b"], False),
        ([], ["a"], False),
        (["ab"], ["a"], False),
    ],
)
def test_has_required_scope(granted: list[str], required: list[str], expected: bool) -> None:
    conn = HTTPConnection(make_request(granted).scope)
    assert has_required_scope(conn, required) is expected


# --- requires: decoration ------------------------------------------------------------------------------------------


def test_requires_without_request_or_websocket_parameter_is_a_type_error() -> None:
    def endpoint(req: Request) -> Response:
        raise AssertionError("never called")  # pragma: no cover

    with pytest.raises(TypeError, match=r'^No "request" or "websocket" argument on function ".*endpoint.*"$'):
        requires("admin")(endpoint)


def test_requires_finds_the_parameter_by_name_not_by_annotation() -> None:
    async def endpoint(conn: Request, *, websocket: WebSocket) -> None:
        raise AssertionError("never called")  # pragma: no cover

    wrapped = requires("admin")(endpoint)
    assert inspect.iscoroutinefunction(wrapped)


def test_requires_keeps_name_signature_and_sync_nature() -> None:
    def sync_endpoint(request: Request, extra: int = 1) -> Response:
        """Sync docs."""
        return PlainTextResponse("sync")

    async def async_endpoint(request: Request) -> Response:
        """Async docs."""
        return PlainTextResponse("async")

    async def ws_endpoint(websocket: WebSocket) -> None:
        """WebSocket docs."""

    for original in (sync_endpoint, async_endpoint, ws_endpoint):
        wrapped = requires(["a", "b"])(original)
        assert wrapped.__name__ == original.__name__
        assert wrapped.__doc__ == original.__doc__
        assert wrapped.__wrapped__ is original  # type: ignore[attr-defined]
        assert inspect.signature(wrapped) == inspect.signature(original)
    assert not inspect.iscoroutinefunction(requires("a")(sync_endpoint))
    assert inspect.iscoroutinefunction(requires("a")(async_endpoint))
    assert inspect.iscoroutinefunction(requires("a")(ws_endpoint))


# --- requires: HTTP, called directly ------------------------------------------------------------------------------


def test_sync_endpoint_allowed_and_denied() -> None:
    calls: list[Request] = []

    @requires("admin")
    def endpoint(request: Request) -> Response:
        calls.append(request)
        return PlainTextResponse("ok")

    allowed = make_request(["admin", "other"])
    response = endpoint(allowed)
    assert isinstance(response, PlainTextResponse)
    assert response.body == b"ok"
    assert calls == [allowed]

    with pytest.raises(HTTPException) as info:
        endpoint(make_request(["other"]))
    assert info.value.status_code == 403
    assert calls == [allowed]


@pytest.mark.anyio
async def test_async_endpoint_allowed_and_denied() -> None:
    calls: list[Request] = []

    @requires(["read", "write"], status_code=404)
    async def endpoint(request: Request) -> Response:
        calls.append(request)
        return PlainTextResponse("ok")

    allowed = make_request(["write", "read"])
    response = await endpoint(allowed)
    assert response.body == b"ok"
    assert calls == [allowed]

    with pytest.raises(HTTPException) as info:
        await endpoint(make_request(["read"]))
    assert info.value.status_code == 404
    assert calls == [allowed]


def test_scopes_given_as_a_string_is_one_scope_not_characters() -> None:
    @requires("ab")
    def endpoint(request: Request) -> str:
        return "ok"

    assert endpoint(make_request(["ab"])) == "ok"
    with pytest.raises(HTTPException):
        endpoint(make_request(["a", "b"]))


def test_scopes_given_as_a_tuple_or_generator() -> None:
    @requires(("a", "b"))
    def from_tuple(request: Request) -> str:
        return "ok"

    @requires(scope for scope in ["a", "b"])  # type: ignore[arg-type]
    def from_generator(request: Request) -> str:
        return "ok"

    for endpoint in (from_tuple, from_generator):
        assert endpoint(make_request(["a", "b"])) == "ok"
        # the scopes are materialised once: a second call still checks both
        assert endpoint(make_request(["a", "b"])) == "ok"
        with pytest.raises(HTTPException):
            endpoint(make_request(["a"]))


@pytest.mark.anyio
async def test_request_found_by_keyword_and_by_position_after_other_arguments() -> None:
    @requires("admin")
    async def endpoint(prefix: str, request: Request, suffix: str = "") -> str:
        return prefix + request.url.path + suffix

    assert await endpoint("p:", make_request(["admin"]), "!") == "p:/secret!"
    assert await endpoint("p:", request=make_request(["admin"])) == "p:/secret"
    with pytest.raises(HTTPException):
        await endpoint("p:", request=make_request([]))

    @requires("admin")
    def sync_endpoint(request: Request) -> str:
        return request.url.path

    assert sync_endpoint(request=make_request(["admin"])) == "/secret"
    with pytest.raises(HTTPException):
        sync_endpoint(request=make_request([]))


@pytest.mark.anyio
async def test_methods_taking_self_and_request() -> None:
    class Endpoint:
        @requires("admin")
        async def get(self, request: Request) -> str:
            return f"async {type(self).__name__}"

        @requires("admin", status_code=401)
        def post(self, request: Request) -> str:
            return f"sync {type(self).__name__}"

    endpoint = Endpoint()
    assert await endpoint.get(make_request(["admin"])) == "async Endpoint"
    assert endpoint.post(make_request(["admin"])) == "sync Endpoint"
    assert not inspect.iscoroutinefunction(Endpoint.post)
    with pytest.raises(HTTPException) as info:
        endpoint.post(make_request([]))
    assert info.value.status_code == 401
    with pytest.raises(HTTPException) as info:
        await endpoint.get(make_request([]))
    assert info.value.status_code == 403


def test_missing_request_argument_fails_the_assertion() -> None:
    @requires("admin")
    def endpoint(request: Any = None) -> str:
        raise AssertionError("never called")  # pragma: no cover

    with pytest.raises(AssertionError):
        endpoint()


@pytest.mark.anyio
async def test_redirect_carries_the_current_url_as_next() -> None:
    @requires("admin", redirect="login")
    async def endpoint(request: Request) -> str:
        return "ok"

    @requires("admin", redirect="signin")
    def sync_endpoint(request: Request) -> str:
        return "ok"

    request = make_request([], path="/admin/page", query=b"a=1&b=two")
    response = await endpoint(request)
    assert isinstance(response, RedirectResponse)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "http://example.org/login?next=http%3A%2F%2Fexample.org%2Fadmin%2Fpage%3Fa%3D1%26b%3Dtwo"
    assert parse_qs(urlsplit(location).query) == {"next": ["http://example.org/admin/page?a=1&b=two"]}

    response = sync_endpoint(make_request(["other"], path="/x"))
    assert isinstance(response, RedirectResponse)
    assert response.headers["location"] == "http://example.org/signin?next=http%3A%2F%2Fexample.org%2Fx"

    # allowed requests are not redirected
    assert await endpoint(make_request(["admin"])) == "ok"
    assert sync_endpoint(make_request(["admin"])) == "ok"


# --- requires: over a real connection --------------------------------------------------------------------------


def test_http_endpoints_behind_the_middleware(test_client_factory: Callable[..., Any]) -> None:
    @requires("admin")
    async def admin(request: Request) -> Response:
        return PlainTextResponse(f"hello {request.user.display_name}")

    @requires("authenticated", redirect="login")
    def dashboard(request: Request) -> Response:
        return PlainTextResponse(f"dashboard of {request.user.display_name}")

    admin_client = test_client_factory(AuthenticationMiddleware(http_app(admin), backend=TokenBackend()))
    assert admin_client.get("/", headers=ADMIN).text == "hello root"
    denied = admin_client.get("/", headers=READER)
    assert (denied.status_code, denied.text) == (403, "Forbidden")
    anonymous = admin_client.get("/")
    assert (anonymous.status_code, anonymous.text) == (403, "Forbidden")

    dashboard_client = test_client_factory(AuthenticationMiddleware(http_app(dashboard), backend=TokenBackend()))
    assert dashboard_client.get("/dash", headers=READER).text == "dashboard of reader"
    redirected = dashboard_client.get("/dash?x=1", follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"] == "http://testserver/login?next=http%3A%2F%2Ftestserver%2Fdash%3Fx%3D1"


def test_websocket_with_the_scope_is_served(test_client_factory: Callable[..., Any]) -> None:
    @requires("admin")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(f"hello {websocket.user.display_name}")
        await websocket.close()

    client = test_client_factory(AuthenticationMiddleware(websocket_app(endpoint), backend=TokenBackend()))
    with client.websocket_connect("/ws?token=t0k3n-admin") as session:
        assert session.receive_text() == "hello root"


@pytest.mark.parametrize("url", ["/ws?token=t0k3n-reader", "/ws"])
def test_websocket_without_the_scope_is_closed_before_accept(test_client_factory: Callable[..., Any], url: str) -> None:
    calls: list[WebSocket] = []

    @requires("admin")
    async def endpoint(websocket: WebSocket) -> None:
        calls.append(websocket)  # pragma: no cover

    client = test_client_factory(AuthenticationMiddleware(websocket_app(endpoint), backend=TokenBackend()))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url):
        pass  # pragma: no cover
    assert info.value.code == 1000
    assert calls == []


@pytest.mark.anyio
async def test_websocket_found_by_keyword_and_closed_before_accept() -> None:
    sent: list[Message] = []
    served: list[str] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    class Endpoint:
        @requires(["a", "b"])
        async def on_connect(self, *, websocket: WebSocket) -> None:
            served.append(websocket.url.path)

    def make_websocket(scopes: list[str]) -> WebSocket:
        scope = {
            "type": "websocket",
            "path": "/live",
            "headers": [],
            "query_string": b"",
            "auth": AuthCredentials(scopes),
        }
        return WebSocket(scope, receive, send)

    await Endpoint().on_connect(websocket=make_websocket(["a", "b"]))
    assert served == ["/live"]
    assert sent == []

    await Endpoint().on_connect(websocket=make_websocket(["a"]))
    assert served == ["/live"]
    assert [message["type"] for message in sent] == ["websocket.close"]
    assert sent[0]["code"] == 1000


def test_websocket_parameter_wins_for_websocket_endpoints_given_as_keyword(
    test_client_factory: Callable[..., Any],
) -> None:
    @requires("authenticated")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"user": websocket.user.display_name, "scopes": websocket.auth.scopes})
        await websocket.close()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await endpoint(websocket=WebSocket(scope, receive, send))

    client = test_client_factory(AuthenticationMiddleware(app, backend=TokenBackend()))
    with client.websocket_connect("/", headers=READER) as session:
        assert session.receive_json() == {"user": "reader", "scopes": ["authenticated"]}
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/"):
        pass  # pragma: no cover
