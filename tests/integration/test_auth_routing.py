"""Authentication across packages: AuthenticationMiddleware in a Starlette app, requires() on routes and endpoints."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable

import pytest

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    requires,
)
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

USERS = {"ada": ("lovelace", ["authenticated", "admin"]), "bob": ("builder", ["authenticated"])}


class BasicAuth(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        if header is None:
            return None
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise AuthenticationError("Unsupported authorization scheme")
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Invalid basic auth credentials") from exc
        if username not in USERS or USERS[username][0] != password:
            raise AuthenticationError("Wrong username or password")
        return AuthCredentials(USERS[username][1]), SimpleUser(username)


def user_text(request: Request) -> str:
    return f"{request.user.display_name} {sorted(request.auth.scopes)}"


async def homepage(request: Request) -> Response:
    return PlainTextResponse(f"home: {request.user.display_name or 'anonymous'}")


@requires("authenticated")
async def dashboard(request: Request) -> Response:
    return PlainTextResponse("dashboard: " + user_text(request))


@requires("admin", status_code=404)
def admin_sync(request: Request) -> Response:
    return PlainTextResponse("admin: " + user_text(request))


@requires(["authenticated", "admin"], redirect="login")
async def admin_redirect(request: Request) -> Response:
    return PlainTextResponse("settings: " + user_text(request))


@requires("authenticated", redirect="login")
def account_sync(request: Request) -> Response:
    return PlainTextResponse(f"account {request.path_params['name']}")


async def login(request: Request) -> Response:
    return PlainTextResponse(f"please log in, then go to {request.query_params['next']}")


class Profile(HTTPEndpoint):
    @requires("authenticated")
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("profile: " + user_text(request))

    @requires("admin")
    def post(self, request: Request) -> Response:
        return PlainTextResponse("updated by " + request.user.display_name)


@requires("admin")
async def ws_admin(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("admin channel for " + websocket.user.display_name)
    await websocket.close()


class Feed(WebSocketEndpoint):
    encoding = "text"

    @requires("authenticated")
    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("welcome " + websocket.user.display_name)

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_text(f"{websocket.user.display_name}: {data}")


def on_error(conn: HTTPConnection, exc: Exception) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=401)


def make_app(**middleware_options: Any) -> Starlette:
    return Starlette(
        routes=[
            Route("/", homepage),
            Route("/dashboard", dashboard),
            Route("/admin", admin_sync),
            Route("/settings", admin_redirect),
            Route("/login", login, name="login"),
            Mount("/users", routes=[Route("/{name}", account_sync)]),
            Route("/profile", Profile, methods=["GET", "POST"]),
            WebSocketRoute("/ws/admin", ws_admin),
            WebSocketRoute("/ws/feed", Feed),
        ],
        middleware=[Middleware(AuthenticationMiddleware, backend=BasicAuth(), **middleware_options)],
    )


ADA = ("ada", "lovelace")
BOB = ("bob", "builder")


def test_routes_see_the_user(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    assert client.get("/").text == "home: anonymous"
    assert client.get("/", auth=BOB).text == "home: bob"
    assert client.get("/dashboard", auth=ADA).text == "dashboard: ada ['admin', 'authenticated']"


def test_requires_on_function_routes(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    response = client.get("/dashboard")
    assert (response.status_code, response.text) == (403, "Forbidden")
    response = client.get("/admin", auth=BOB)
    assert (response.status_code, response.text) == (404, "Not Found")
    response = client.get("/admin", auth=ADA)
    assert (response.status_code, response.text) == (200, "admin: ada ['admin', 'authenticated']")


def test_requires_on_http_endpoint_methods(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    assert client.get("/profile").status_code == 403
    assert client.get("/profile", auth=BOB).text == "profile: bob ['authenticated']"
    assert client.post("/profile", auth=BOB).status_code == 403
    assert client.post("/profile", auth=ADA).text == "updated by ada"


def test_redirect_uses_url_for_and_carries_next(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    response = client.get("/settings?tab=keys", auth=BOB, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "http://testserver/login?next=http%3A%2F%2Ftestserver%2Fsettings%3Ftab%3Dkeys"
    )
    followed = client.get("/settings?tab=keys", auth=BOB)
    assert followed.text == "please log in, then go to http://testserver/settings?tab=keys"
    assert client.get("/settings", auth=ADA).text == "settings: ada ['admin', 'authenticated']"


def test_redirect_from_a_mounted_sync_route(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    response = client.get("/users/zoe", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/login?next=http%3A%2F%2Ftestserver%2Fusers%2Fzoe"
    assert client.get("/users/zoe", auth=BOB).text == "account zoe"


def test_redirect_to_an_unknown_route_name_is_an_error(test_client_factory: Callable[..., Any]) -> None:
    from starlette.routing import NoMatchFound

    @requires("admin", redirect="nowhere")
    async def endpoint(request: Request) -> Response:
        raise AssertionError("never called")  # pragma: no cover

    app = Starlette(
        routes=[Route("/", endpoint)], middleware=[Middleware(AuthenticationMiddleware, backend=BasicAuth())]
    )
    with pytest.raises(NoMatchFound):
        test_client_factory(app).get("/")


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        ("Basic %%%", "Invalid basic auth credentials"),
        ("Basic " + base64.b64encode(b"\xc3\x28:x").decode(), "Invalid basic auth credentials"),
        ("Basic " + base64.b64encode(b"ada:nope").decode(), "Wrong username or password"),
        ("Negotiate 0123", "Unsupported authorization scheme"),
        ("x" * 5000, "Unsupported authorization scheme"),
    ],
)
def test_garbage_authorization_is_a_client_error(
    test_client_factory: Callable[..., Any], authorization: str, detail: str
) -> None:
    default = test_client_factory(make_app()).get("/", headers={"Authorization": authorization})
    assert (default.status_code, default.text) == (400, detail)
    custom = test_client_factory(make_app(on_error=on_error)).get("/", headers={"Authorization": authorization})
    assert (custom.status_code, custom.json()) == (401, {"detail": detail})


def test_websocket_route_requires_scope(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    with client.websocket_connect("/ws/admin", auth=ADA) as session:
        assert session.receive_text() == "admin channel for ada"
    for auth in (BOB, None):
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/admin", auth=auth):
            pass  # pragma: no cover
        assert info.value.code == 1000


def test_websocket_endpoint_on_connect_requires_scope(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app())
    with client.websocket_connect("/ws/feed", auth=BOB) as session:
        assert session.receive_text() == "welcome bob"
        session.send_text("hi")
        assert session.receive_text() == "bob: hi"
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/feed"):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_websocket_authentication_error_closes(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(make_app(on_error=on_error))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/feed", auth=("ada", "bad")):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_meta_package_paths_are_the_implementation() -> None:
    import starlette.authentication
    import starlette.middleware.authentication
    import starlette_auth.authentication
    import starlette_auth.middleware

    assert starlette.authentication is starlette_auth.authentication
    assert starlette.middleware.authentication is starlette_auth.middleware
