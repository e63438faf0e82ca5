"""``{name:uuid}`` path parameters, as upstream's convertor: 32 hex digits in either case, each of the four hyphens
of the canonical form optional (so ``uuid.hex`` matches), converted to a ``uuid.UUID``; and the route index still
finds routes with uuid parameters wherever they are in the path."""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.requests import Request
from starlette_core.responses import JSONResponse
from starlette_core.types import Message, Scope
from starlette_core.websockets import WebSocket
from starlette_routing.convertors import CONVERTOR_TYPES, UUIDConvertor
from starlette_routing.routing import Match, Mount, Route, Router, WebSocketRoute

TestClientFactory = Callable[..., Any]

VALUE = uuid.UUID("0a1b2c3d-4e5f-6789-abcd-ef0123456789")
CANONICAL = str(VALUE)


def named(name: str) -> Callable[[Request], JSONResponse]:
    def endpoint(request: Request) -> JSONResponse:
        params = {key: [type(value).__name__, str(value)] for key, value in request.path_params.items()}
        return JSONResponse({"route": name, "params": params})

    endpoint.__name__ = name  # (the route's name)
    return endpoint


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({key: [type(value).__name__, str(value)] for key, value in websocket.path_params.items()})
    await websocket.close()


# Literal first segments (indexed by segment), a uuid first segment (a candidate for every path), a static path
# that a uuid route before it shadows, a mount with a uuid in its path, and a WebSocket route.
ROUTES = [
    Route("/items/new", named("items-new")),
    Route("/items/{id:uuid}", named("item")),
    Route("/items/{id:uuid}/parts/{part:uuid}", named("part")),
    Route("/{id:uuid}", named("bare")),
    Route("/{id:uuid}/edit", named("bare-edit")),
    Route("/early/{id:uuid}", named("early")),
    Route("/early/" + CANONICAL, named("late-static")),
    Mount("/sub/{id:uuid}", app=Router([Route("/leaf", named("leaf"))], redirect_slashes=False)),
    WebSocketRoute("/ws/{id:uuid}", ws_echo),
    Route("/{anything}/{rest:path}", named("fallback")),
]
router = Router(ROUTES)
unredirected = Router(ROUTES, redirect_slashes=False)  # (a scan does not redirect either; nor does the mount)


def test_the_pattern_is_upstreams() -> None:
    assert UUIDConvertor.regex == "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
    assert isinstance(CONVERTOR_TYPES["uuid"], UUIDConvertor)


@pytest.mark.parametrize(
    "text",
    [
        CANONICAL,
        CANONICAL.upper(),
        VALUE.hex,
        VALUE.hex.upper(),
        "0A1b2C3d4E5f6789aBcDeF0123456789",
        "0a1b2c3d-4e5f6789abcdef0123456789",  # any of the four hyphens may be left out
        "0a1b2c3d4e5f-6789-abcdef0123456789",
        "0a1b2c3d4e5f6789abcd-ef0123456789",
    ],
)
def test_forms_that_match(text: str, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(router)
    assert client.get(f"/items/{text}").json() == {"route": "item", "params": {"id": ["UUID", CANONICAL]}}
    assert client.get(f"/{text}").json() == {"route": "bare", "params": {"id": ["UUID", CANONICAL]}}
    assert client.get(f"/{text}/edit").json()["route"] == "bare-edit"
    assert client.get(f"/sub/{text}/leaf").json() == {"route": "leaf", "params": {"id": ["UUID", CANONICAL]}}
    with client.websocket_connect(f"/ws/{text}") as session:
        assert session.receive_json() == {"id": ["UUID", CANONICAL]}


@pytest.mark.parametrize(
    "text",
    [
        VALUE.hex[:-1],  # 31 digits
        VALUE.hex + "0",  # 33 digits
        CANONICAL[:-1] + "g",
        "{" + CANONICAL + "}",
        "urn:uuid:" + CANONICAL,
        "0a1b2c3d--4e5f-6789-abcd-ef0123456789",
        "0a1b2c3-d4e5f-6789-abcd-ef0123456789",  # a hyphen out of place
        "-" + VALUE.hex,
        VALUE.hex + "-",
        "0a1b2c3d 4e5f 6789 abcd ef0123456789",
    ],
)
def test_forms_that_do_not_match(text: str, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(router)
    assert client.get(f"/items/{text}").json()["route"] == "fallback"
    assert client.get(f"/{text}/edit").json()["route"] == "fallback"
    assert client.get(f"/sub/{text}/leaf").json()["route"] == "fallback"
    assert client.get(f"/{text}", follow_redirects=False).status_code == 307  # to the fallback, with a slash


def test_convert_and_to_string() -> None:
    convertor = UUIDConvertor()
    assert convertor.convert(VALUE.hex.upper()) == VALUE
    assert convertor.convert("0a1b2c3d-4e5f6789abcdef0123456789") == VALUE
    assert convertor.to_string(VALUE) == CANONICAL
    # As upstream, to_string is str(): a string is put in the path as it is.
    assert convertor.to_string(VALUE.hex) == VALUE.hex  # type: ignore[arg-type]


def test_url_path_for() -> None:
    assert router.url_path_for("item", id=VALUE) == f"/items/{CANONICAL}"
    assert router.url_path_for("item", id=VALUE.hex) == f"/items/{VALUE.hex}"
    assert router.url_path_for("part", id=VALUE, part=VALUE.hex) == f"/items/{CANONICAL}/parts/{VALUE.hex}"


def test_route_order_is_kept(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(router)
    assert client.get("/items/new").json()["route"] == "items-new"
    # An earlier uuid route wins over a later static path it matches, in any form.
    assert client.get(f"/early/{CANONICAL}").json()["route"] == "early"
    assert client.get(f"/early/{VALUE.hex}").json()["route"] == "early"
    assert client.get(f"/items/{VALUE.hex}/parts/{CANONICAL.upper()}").json() == {
        "route": "part",
        "params": {"id": ["UUID", CANONICAL], "part": ["UUID", CANONICAL]},
    }


# --- the index against a scan of every route -----------------------------------------------------------------


def scanned(path: str, routes: list[Any] = ROUTES, scope: Scope | None = None) -> str | None:
    """The route a plain scan of the routes gives ``path`` (the first whose matches() is a full match; in a mount,
    the same among its routes), None for none."""
    scope = scope or {"type": "http", "path": path, "root_path": "", "method": "GET"}
    for route in routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            if isinstance(route, Mount):
                return scanned(path, route.routes, {**scope, **child_scope})
            return str(route.name)
    return None


def routed(path: str, backend: str) -> str | None:
    """The route the router (and its index) gives ``path``, None for a 404."""
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    anyio.run(unredirected, scope, receive, send, backend=backend)
    if messages[0]["status"] == 404:
        return None
    return str(re.search(rb'"route":"([^"]*)"', messages[1]["body"]).group(1).decode())  # type: ignore[union-attr]


def uuid_text(value: uuid.UUID, upper: bool, hyphens: list[bool]) -> str:
    hexed = value.hex.upper() if upper else value.hex
    parts = [hexed[:8], hexed[8:12], hexed[12:16], hexed[16:20], hexed[20:]]
    text = parts[0]
    for part, hyphen in zip(parts[1:], hyphens):
        text += ("-" if hyphen else "") + part
    return text


uuid_texts = st.builds(uuid_text, st.uuids(), st.booleans(), st.lists(st.booleans(), min_size=4, max_size=4))
segments = st.one_of(uuid_texts, st.sampled_from(["items", "new", "parts", "edit", "sub", "leaf", "early", "x"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segments, min_size=1, max_size=4), slash=st.booleans())
def test_the_index_routes_as_a_scan(anyio_backend: str, parts: list[str], slash: bool) -> None:
    path = "/" + "/".join(parts) + ("/" if slash else "")
    assert routed(path, anyio_backend) == scanned(path)


@pytest.mark.parametrize("path", [f"/{VALUE.hex}", f"/items/{VALUE.hex}", f"/sub/{VALUE.hex}/leaf", "/x/y"])
def test_the_index_routes_as_a_scan_examples(anyio_backend: str, path: str) -> None:
    assert routed(path, anyio_backend) == scanned(path) is not None
