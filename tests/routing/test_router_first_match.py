"""Property: whatever the Router keeps to go faster, it answers exactly as upstream's linear first-match scan.

Upstream's ``Router.app`` for an http/websocket scope: ask every route of ``self.routes`` in order for
``route.matches(scope)``; the first FULL match is handled (``scope.update(child_scope)``, ``route.handle``); else
the first PARTIAL match; else, for http with ``redirect_slashes`` and a route path other than "/", the path
with/without its trailing slash is tried against every route (any match: a 307 to that URL); else the default
(outside an application: a plain 404, or a websocket close).

``expected`` below is that scan, written out: it calls ``route.matches`` on copies of the scope and predicts what
answers. Every route answers a text naming itself (and the path params and root path it was given), so the
router's choice is observed through its response only. Random route trees mix the library's classes with
subclasses that decide for themselves; random edits after the first requests check that nothing stale is used.
Requests are drawn from a small alphabet, aimed at the paths the routes were written for (as they are, in
capitals, with a trailing slash toggled, a final newline, one segment longer), and probes request all of those.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, Callable, Optional, Tuple, Union
from urllib.parse import quote

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_routing.routing import BaseRoute, Host, Match, Mount, Route, Router, WebSocketRoute, compile_path

# Small alphabets, so that route patterns and request paths collide often.
PIECES = ["a", "b", "1", "22", "{p}", "{n:int}", "a{p}"]
REQUEST_SEGMENTS = ["a", "A", "b", "1", "22", "ab"]
HOST_PATTERNS = ["example.org", "api.example.org", "{sub}.example.org", "{n:int}.example.org"]
HOSTS = ["example.org", "api.example.org", "1.example.org", "testserver", "example.org:8000"]
METHODS = ["GET", "POST", "PUT", "HEAD"]

Outcome = Tuple[Any, ...]
ChildScope = dict[str, Any]


# ------------------------------------------------------------------------------------------------------------
# What answers: every route's app tells who it is and what it was given.


def describe(name: str, scope: Scope) -> str:
    params = sorted(scope.get("path_params", {}).items())
    return f"{name} {params!r} root={scope.get('root_path', '')!r}"


class Answer:
    """An ASGI app for both scope types that answers with its name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Answer({self.name!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = describe(self.name, scope)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": text.encode()})
        else:
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": text})
            await send({"type": "websocket.close", "code": 1000})


def http_endpoint(name: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(describe(name, request.scope))

    endpoint.__name__ = name
    return endpoint


def websocket_endpoint(name: str) -> Callable[[WebSocket], Any]:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(describe(name, websocket.scope))
        await websocket.close()

    endpoint.__name__ = name
    return endpoint


# ------------------------------------------------------------------------------------------------------------
# Route classes that decide for themselves


@dataclasses.dataclass(frozen=True)
class Claim:
    """What an overriding ``matches`` does: "super" defers to the class it overrides; otherwise, for scopes of
    ``types``, "always", "never", "prefix" (the path starts with ``arg``) or "exact" (the path is ``arg``) say
    whether it claims the scope, with a match of ``level``.
    """

    kind: str
    arg: str = "/"
    level: str = "FULL"
    types: Tuple[str, ...] = ("http",)

    def decide(
        self, scope: Scope, base: Callable[[Scope], Tuple[Match, Scope]], child: ChildScope
    ) -> Tuple[Match, Scope]:
        if self.kind == "super":
            return base(scope)
        path = scope["path"]
        hit = scope["type"] in self.types and (
            self.kind == "always"
            or (self.kind == "prefix" and path.startswith(self.arg))
            or (self.kind == "exact" and path == self.arg)
        )
        return (Match[self.level], dict(child)) if hit else (Match.NONE, {})

    def reaches(self, scope_type: str) -> bool:
        return self.kind != "super" and scope_type in self.types

    def within(self, allowed: Sequence[str]) -> Claim:
        return dataclasses.replace(self, types=tuple(kind for kind in self.types if kind in allowed))


def no_match(scope: Scope) -> Tuple[Match, Scope]:
    return Match.NONE, {}


class GuardRoute(Route):
    claim = Claim("super")

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return self.claim.decide(scope, super().matches, {"endpoint": self.endpoint, "path_params": {}})


class HandlerRoute(Route):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardHandlerRoute(GuardRoute):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardWebSocketRoute(WebSocketRoute):
    claim = Claim("super")

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return self.claim.decide(scope, super().matches, {"endpoint": self.endpoint, "path_params": {}})


class HandlerWebSocketRoute(WebSocketRoute):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardHandlerWebSocketRoute(GuardWebSocketRoute):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardMount(Mount):
    claim = Claim("super")

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return self.claim.decide(scope, super().matches, {"endpoint": self.app, "path_params": {}})


class HandlerMount(Mount):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardHandlerMount(GuardMount):
    handle_name = ""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


class GuardHost(Host):
    claim = Claim("super")

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return self.claim.decide(scope, super().matches, {"endpoint": self.app, "path_params": {}})


class CustomRoute(BaseRoute):
    """A route class of its own: matches() and handle() written from scratch."""

    def __init__(self, claim: Claim, handle_name: str) -> None:
        self.claim = claim
        self.handle_name = handle_name

    def __repr__(self) -> str:
        return f"CustomRoute({self.claim!r}, {self.handle_name!r})"

    def matches(self, scope: Scope) -> Tuple[Match, Scope]:
        return self.claim.decide(scope, no_match, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Answer(self.handle_name)(scope, receive, send)


# ------------------------------------------------------------------------------------------------------------
# Route specifications (what hypothesis draws and prints) and how they are built


@dataclasses.dataclass(frozen=True)
class RouteSpec:
    path: str
    methods: Optional[Tuple[str, ...]]
    asgi: bool  # the endpoint is an ASGI app (else an async function, GET/HEAD by default)
    claim: Optional[Claim] = None  # a subclass that overrides matches()
    own_handle: bool = False  # a subclass that overrides handle()


@dataclasses.dataclass(frozen=True)
class WebSocketSpec:
    path: str
    asgi: bool
    claim: Optional[Claim] = None
    own_handle: bool = False


@dataclasses.dataclass(frozen=True)
class MountSpec:
    path: str
    routes: Optional[Tuple[Spec, ...]]  # None: an ASGI app
    redirect_slashes: bool = True
    claim: Optional[Claim] = None
    own_handle: bool = False


@dataclasses.dataclass(frozen=True)
class HostSpec:
    host: str
    routes: Optional[Tuple[Spec, ...]]
    redirect_slashes: bool = True
    claim: Optional[Claim] = None


@dataclasses.dataclass(frozen=True)
class CustomSpec:
    claim: Claim


Spec = Union[RouteSpec, WebSocketSpec, MountSpec, HostSpec, CustomSpec]


class Built:
    """Builds routes from specs, naming each "route-N"; ``names`` maps a route (by id) to what it answers."""

    def __init__(self) -> None:
        self.count = 0
        self.names: dict[int, str] = {}

    def fresh(self) -> str:
        self.count += 1
        return f"route-{self.count - 1}"

    def routes(self, specs: Sequence[Spec]) -> list[BaseRoute]:
        return [self.route(spec) for spec in specs]

    def router(self, specs: Optional[Sequence[Spec]], redirect_slashes: bool, name: str) -> ASGIApp:
        if specs is None:
            return Answer(name)
        return Router(self.routes(specs), redirect_slashes=redirect_slashes)

    def route(self, spec: Spec) -> BaseRoute:
        name = self.fresh()
        route: BaseRoute
        if isinstance(spec, RouteSpec):
            endpoint: Any = Answer(name) if spec.asgi else http_endpoint(name)
            route_class = pick(spec.claim, spec.own_handle, Route, GuardRoute, HandlerRoute, GuardHandlerRoute)
            route = route_class(spec.path, endpoint, methods=spec.methods)
        elif isinstance(spec, WebSocketSpec):
            endpoint = Answer(name) if spec.asgi else websocket_endpoint(name)
            route_class = pick(
                spec.claim,
                spec.own_handle,
                WebSocketRoute,
                GuardWebSocketRoute,
                HandlerWebSocketRoute,
                GuardHandlerWebSocketRoute,
            )
            route = route_class(spec.path, endpoint)
        elif isinstance(spec, MountSpec):
            mount_class = pick(spec.claim, spec.own_handle, Mount, GuardMount, HandlerMount, GuardHandlerMount)
            route = mount_class(spec.path, app=self.router(spec.routes, spec.redirect_slashes, name))
        elif isinstance(spec, HostSpec):
            host_class = Host if spec.claim is None else GuardHost
            route = host_class(spec.host, app=self.router(spec.routes, spec.redirect_slashes, name))
        else:
            route = CustomRoute(spec.claim, name + " handle")
        claim = getattr(spec, "claim", None)
        if claim is not None:
            route.claim = claim  # type: ignore[attr-defined]
        if getattr(spec, "own_handle", False):
            route.handle_name = name + " handle"  # type: ignore[attr-defined]
        self.names[id(route)] = name
        return route


def pick(claim: Optional[Claim], own_handle: bool, plain: Any, guard: Any, handler: Any, both: Any) -> Any:
    if claim is None:
        return handler if own_handle else plain
    return both if own_handle else guard


# ------------------------------------------------------------------------------------------------------------
# The reference: upstream's scan, written out


def route_path_of(scope: Scope) -> str:
    """The path relative to root_path, as upstream's routing computes it."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


def http_outcome(status: int, body: bytes, location: Optional[str] = None, allow: Any = None) -> Outcome:
    return ("http", status, body, location, None if allow is None else frozenset(allow))


def answered(name: str, scope: Scope) -> Outcome:
    text = describe(name, scope)
    if scope["type"] == "http":
        return http_outcome(200, text.encode())
    return ("websocket", ("accept",), ("text", text), ("close", 1000))


def expected(routes: Sequence[BaseRoute], redirect_slashes: bool, scope: Scope, built: Built) -> Outcome:
    """What upstream's Router answers for ``scope`` (a first-match scan over ``routes``)."""
    partial: Optional[Tuple[BaseRoute, Scope]] = None
    for route in routes:
        match, child_scope = route.matches(dict(scope))
        if match is Match.FULL:
            return handled(route, {**scope, **child_scope}, built)
        if match is Match.PARTIAL and partial is None:
            partial = (route, child_scope)
    if partial is not None:
        return handled(partial[0], {**scope, **partial[1]}, built)
    route_path = route_path_of(scope)
    if scope["type"] == "http" and redirect_slashes and route_path != "/":
        other = dict(scope)
        other["path"] = scope["path"].rstrip("/") if route_path.endswith("/") else scope["path"] + "/"
        if any(route.matches(dict(other))[0] is not Match.NONE for route in routes):
            query = "?" + other["query_string"].decode() if other["query_string"] else ""
            url = f"http://{dict(other['headers'])[b'host'].decode()}{other['path']}{query}"
            return http_outcome(307, b"", quote(url, safe=":/%#?=@[]!$&'()*+,;"))
    if scope["type"] == "http":
        return http_outcome(404, b"Not Found")
    return ("websocket", ("close", 1000))


def handled(route: BaseRoute, scope: Scope, built: Built) -> Outcome:
    """What ``route.handle(scope, ...)`` answers, as upstream's classes (or the test's own handle) do."""
    handle_name = getattr(route, "handle_name", None)
    if handle_name is not None:
        return answered(handle_name, scope)
    if isinstance(route, Route) and route.methods and scope["method"] not in route.methods:
        return http_outcome(405, b"Method Not Allowed", allow=route.methods)
    app = getattr(route, "app", None)
    if isinstance(route, (Mount, Host)) and isinstance(app, Router):
        return expected(app.routes, app.redirect_slashes, scope, built)
    return answered(built.names[id(route)], scope)


# ------------------------------------------------------------------------------------------------------------
# Requests


@dataclasses.dataclass(frozen=True)
class Call:
    """A request. With ``aim``, its path is not ``path`` but that of one of the router's routes (see
    ``aimed_path``), changed as ``variant`` says.
    """

    type: str
    path: str
    method: str = "GET"
    root_path: str = ""
    root_in_path: bool = True  # whether path starts with root_path (servers differ)
    host: str = "testserver"
    query: str = ""
    aim: Optional[int] = None
    variant: str = "same"

    def scope(self, router: Router) -> Scope:
        path = self.path if self.aim is None else aimed_path(router, self.aim, self.variant)
        if self.root_path and self.root_in_path:
            path = self.root_path + path
        elif not path:
            path = "/"
        scope: Scope = {
            "type": self.type,
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": "http" if self.type == "http" else "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": self.root_path,
            "query_string": self.query.encode(),
            "headers": [(b"host", self.host.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        if self.type == "http":
            scope["method"] = self.method
        return scope


def concrete_paths(routes: Sequence[BaseRoute], prefix: str = "") -> list[str]:
    """Paths the routes (those of mounted routers too) were written for, their parameters filled in, and the
    paths their claims name.
    """
    found: list[str] = []
    for route in routes:
        path = getattr(route, "path", None)
        claim = getattr(route, "claim", None)
        if isinstance(claim, Claim) and claim.kind in ("prefix", "exact"):
            found.append(prefix + claim.arg)
        app = getattr(route, "app", None)
        if isinstance(route, Mount) and isinstance(path, str):
            found.append(prefix + fill(path) + "/a")
            if isinstance(app, Router):
                found.extend(concrete_paths(app.routes, prefix + fill(path)))
        elif isinstance(path, str):
            found.append(prefix + fill(path))
        elif isinstance(route, Host) and isinstance(app, Router):
            found.extend(concrete_paths(app.routes, prefix))
    return found


def fill(pattern: str) -> str:
    values = {"int": "1", "path": "a/b"}
    return re.sub(r"{\w+(?::(\w+))?}", lambda found: values.get(found.group(1) or "", "b"), pattern)


def aimed_path(router: Router, aim: int, variant: str) -> str:
    """The ``aim``-th of the router's ``concrete_paths``, changed as ``variant`` says (see ``vary``)."""
    paths = concrete_paths(router.routes) or ["/"]
    return vary(paths[aim % len(paths)], variant)


VARIANTS = ["same", "upper", "slash", "longer", "newline"]


def vary(path: str, variant: str) -> str:
    """``path`` as it is ("same"), in capitals ("upper"), with its trailing slash toggled ("slash"), with a final
    newline ("newline") or one segment longer ("longer").
    """
    if variant == "upper":
        return path.upper()
    if variant == "slash":
        return (path.rstrip("/") or "/") if path.endswith("/") else path + "/"
    if variant == "newline":
        return path + "\n"
    if variant == "longer":
        return path.rstrip("/") + "/b"
    return path


async def observe(app: ASGIApp, scope: Scope) -> Outcome:
    """Run ``app`` and sum up what it sent: status, body, Location and Allow; or the websocket events."""
    incoming: list[Message] = [
        {"type": "http.request", "body": b"", "more_body": False}
        if scope["type"] == "http"
        else {"type": "websocket.connect"}
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        if incoming:
            return incoming.pop(0)
        return {"type": "http.disconnect" if scope["type"] == "http" else "websocket.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    except Exception as exc:  # a difference to report, never expected
        return ("error", repr(exc))
    if scope["type"] == "http":
        start = next((message for message in sent if message["type"] == "http.response.start"), None)
        if start is None:
            return ("error", "no response")
        headers = {key.decode().lower(): value.decode() for key, value in start.get("headers", [])}
        body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
        allow = headers.get("allow")
        return http_outcome(
            start["status"], body, headers.get("location"), None if allow is None else allow.split(", ")
        )
    events: list[Tuple[Any, ...]] = []
    for message in sent:
        if message["type"] == "websocket.accept":
            events.append(("accept",))
        elif message["type"] == "websocket.send":
            events.append(("text", message.get("text")))
        else:
            events.append(("close", message.get("code", 1000)))
    return ("websocket", *events)


# ------------------------------------------------------------------------------------------------------------
# Edits after the first request


@dataclasses.dataclass(frozen=True)
class ListEdit:
    """A change of a router's list (``router`` and ``position`` are taken modulo what there is)."""

    op: str
    router: int = 0
    position: int = 0
    span: int = 1
    new: Tuple[Spec, ...] = ()


@dataclasses.dataclass(frozen=True)
class RouteEdit:
    """A change of one route in place: "path" (recompiled; a host pattern for a Host), "methods", "claim",
    "app" (a new ASGI app), "patch_matches"/"patch_handle" (instance attributes), "retype" (``route.__class__``
    swapped between a library class and its subclass that overrides ``matches``), "ignorecase" (the compiled
    path recompiled with ``re.IGNORECASE``).
    """

    what: str
    router: int = 0
    position: int = 0
    path: str = "/"
    methods: Optional[Tuple[str, ...]] = None
    claim: Claim = Claim("always")


@dataclasses.dataclass(frozen=True)
class ClassPatch:
    """``matches`` of a library class replaced at class level (restored when the example ends)."""

    cls: str
    claim: Claim


Edit = Union[ListEdit, RouteEdit, ClassPatch]
CLASSES: dict[str, Any] = {"Route": Route, "WebSocketRoute": WebSocketRoute, "Mount": Mount}
CLASS_TYPES = {"Route": ("http",), "WebSocketRoute": ("websocket",), "Mount": ("http", "websocket")}


def routers_in(router: Router) -> list[Router]:
    found = [router]
    for route in router.routes:
        app = getattr(route, "app", None)
        if isinstance(route, (Mount, Host)) and isinstance(app, Router):
            found.extend(routers_in(app))
    return found


def websocket_reachable(route: BaseRoute) -> bool:
    claims = [getattr(route, "claim", None), getattr(route, "patched_claim", None)]
    return any(claim is not None and claim.reaches("websocket") for claim in claims)


def allowed_types(route: BaseRoute) -> Tuple[str, ...]:
    """The scope types a claim of ``route`` may take on without asking an endpoint for what it cannot do."""
    universal = isinstance(getattr(route, "app", None), Answer)
    if isinstance(route, Route):
        return ("http", "websocket") if universal and route.methods is None else ("http",)
    if isinstance(route, WebSocketRoute):
        return ("http", "websocket") if universal else ("websocket",)
    return ("http", "websocket")


def apply(edit: Edit, top: Router, built: Built, undo: list[Callable[[], None]]) -> None:
    if isinstance(edit, ClassPatch):
        patch_class(edit, undo)
        return
    routers = routers_in(top)
    router = routers[edit.router % len(routers)]
    routes = router.routes
    if isinstance(edit, ListEdit):
        edit_list(edit, router, built)
        return
    if not routes:
        return
    route = routes[edit.position % len(routes)]
    if edit.what == "path":
        edit_path(route, edit.path)
    elif edit.what == "methods":
        if isinstance(route, Route) and not websocket_reachable(route):
            route.methods = None if edit.methods is None else set(edit.methods)
    elif edit.what == "claim":
        if isinstance(route, (GuardRoute, GuardWebSocketRoute, GuardMount, GuardHost, CustomRoute)):
            claim = edit.claim.within(allowed_types(route))
            if isinstance(route, CustomRoute) and claim.kind == "super":
                claim = dataclasses.replace(claim, kind="never")
            route.claim = claim
    elif edit.what == "app":
        if isinstance(route, (Route, WebSocketRoute, Mount, Host)):
            name = built.fresh()
            route.app = Answer(name)
            built.names[id(route)] = name
    elif edit.what == "patch_matches":
        claim = edit.claim.within(allowed_types(route))
        base = route.matches
        child: ChildScope = {"endpoint": getattr(route, "endpoint", None), "path_params": {}}
        setattr(route, "matches", lambda scope: claim.decide(scope, base, child))  # noqa: B010
        setattr(route, "patched_claim", claim)  # noqa: B010
    elif edit.what == "ignorecase":
        # The same pattern text with other flags (a way to make routes case-insensitive).
        if isinstance(route, (Route, WebSocketRoute, Mount)):
            route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)
        elif isinstance(route, Host):
            route.host_regex = re.compile(route.host_regex.pattern, re.IGNORECASE)
    elif edit.what == "patch_handle":
        name = built.fresh()
        setattr(route, "handle", Answer(name))  # noqa: B010
        setattr(route, "handle_name", name)  # noqa: B010
    else:
        retype(route, edit.claim)


# A library class and its subclass that overrides matches() (with the instance's ``claim``), both ways.
RETYPES: dict[type[BaseRoute], type[BaseRoute]] = {
    Route: GuardRoute,
    WebSocketRoute: GuardWebSocketRoute,
    Mount: GuardMount,
    Host: GuardHost,
}
RETYPES.update({guard: plain for plain, guard in list(RETYPES.items())})


def retype(route: BaseRoute, claim: Claim) -> None:
    new_class = RETYPES.get(type(route))
    if new_class is None:
        return
    if new_class in (Route, WebSocketRoute, Mount, Host):
        vars(route).pop("claim", None)
    else:
        route.claim = claim.within(allowed_types(route))  # type: ignore[attr-defined]
    route.__class__ = new_class


def edit_list(edit: ListEdit, router: Router, built: Built) -> None:
    routes = router.routes
    new = built.routes(edit.new)
    count = len(routes)
    spot = edit.position % (count + 1)
    if edit.op == "append":
        routes.append(new[0] if new else built.route(RouteSpec("/", None, asgi=True)))
    elif edit.op == "extend":
        routes.extend(new)
    elif edit.op == "iadd":
        routes += new
    elif edit.op == "insert":
        for route in reversed(new):
            routes.insert(spot, route)
    elif edit.op == "slice":
        routes[spot : spot + edit.span] = new
    elif edit.op == "all":
        routes[:] = [*new, *reversed(routes)]
    elif edit.op == "assign":
        router.routes = [*reversed(routes), *new]
    elif edit.op == "reverse":
        routes.reverse()
    elif edit.op == "sort":
        routes.sort(key=lambda route: type(route).__name__)
    elif edit.op == "clear":
        routes.clear()
    elif count:
        where = edit.position % count
        if edit.op == "remove":
            routes.remove(routes[where])
        elif edit.op == "pop":
            routes.pop(where)
        elif edit.op == "del":
            del routes[where]
        elif edit.op == "setitem":
            routes[where] = new[0] if new else routes[-1]


def edit_path(route: BaseRoute, path: str) -> None:
    if isinstance(route, (Route, WebSocketRoute)):
        route.path = path
        route.path_regex, route.path_format, route.param_convertors = compile_path(path)
    elif isinstance(route, Mount):
        route.path = path.rstrip("/").replace("{rest:path}", "rest")
        route.path_regex, route.path_format, route.param_convertors = compile_path(route.path + "/{path:path}")
    elif isinstance(route, Host):
        host = HOST_PATTERNS[len(path) % len(HOST_PATTERNS)]
        route.host = host
        route.host_regex, route.host_format, route.param_convertors = compile_path(host)


def patch_class(edit: ClassPatch, undo: list[Callable[[], None]]) -> None:
    cls = CLASSES[edit.cls]
    claim = edit.claim.within(CLASS_TYPES[edit.cls])
    base = cls.matches
    had_own = "matches" in cls.__dict__

    def matches(self: BaseRoute, scope: Scope) -> Tuple[Match, Scope]:
        child: ChildScope = {"endpoint": getattr(self, "endpoint", getattr(self, "app", None)), "path_params": {}}
        return claim.decide(scope, lambda inner: base(self, inner), child)

    def restore() -> None:
        if had_own:
            setattr(cls, "matches", base)  # noqa: B010
        else:
            delattr(cls, "matches")

    setattr(cls, "matches", matches)  # noqa: B010
    undo.append(restore)


# ------------------------------------------------------------------------------------------------------------
# Strategies


@st.composite
def route_paths(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(PIECES), max_size=3))
    parts = [piece.replace("{p}", f"{{p{i}}}").replace("{n:int}", f"{{n{i}:int}}") for i, piece in enumerate(pieces)]
    trailing = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        parts.append("{rest:path}")
    elif parts and trailing:
        parts.append("")  # a trailing slash
    return "/" + "/".join(parts)


@st.composite
def mount_paths(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(PIECES), max_size=2))
    parts = [piece.replace("{p}", f"{{m{i}}}").replace("{n:int}", f"{{k{i}:int}}") for i, piece in enumerate(pieces)]
    if not parts:
        return draw(st.sampled_from(["", "/"]))
    return "/" + "/".join(parts) + draw(st.sampled_from(["", "/"]))


@st.composite
def request_paths(draw: st.DrawFn) -> str:
    first = draw(st.lists(st.sampled_from(REQUEST_SEGMENTS), max_size=1))
    # Empty segments ("/a//b") only after the first one: a path starting "//" is never redirected to (another site).
    segments = first + (draw(st.lists(st.sampled_from([*REQUEST_SEGMENTS, ""]), max_size=2)) if first else [])
    if not segments and draw(st.integers(0, 4)) == 0:
        return ""  # the root path itself, when there is one
    path = "/" + "/".join(segments)
    trailing = draw(st.booleans())
    if segments and trailing:
        path += "/"
    # A final newline: a regex "$" matches before it, so "/a\n" matches the pattern of "/a".
    return path + draw(st.sampled_from(["", "", "", "", "\n"]))


# What a "prefix" or "exact" claim names: whole paths, and prefixes that end inside a segment.
CLAIM_ARGS = st.sampled_from(["/a", "/", "/a/", "/b", "/a/b", "/2", "/22/a", "/A", "/ab", "/a\n", "/1/"])


def claims(types: Sequence[str], allow_super: bool = True) -> st.SearchStrategy[Claim]:
    kinds = ["always", "always", "prefix", "prefix", "exact", "never"] + (["super"] if allow_super else [])
    return st.builds(
        Claim,
        kind=st.sampled_from(kinds),
        arg=CLAIM_ARGS,
        level=st.sampled_from(["FULL", "PARTIAL"]),
        types=st.lists(st.sampled_from(list(types)), min_size=1, max_size=2, unique=True).map(tuple),
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.none(), strategy)


HTTP, WEBSOCKET, BOTH = ("http",), ("websocket",), ("http", "websocket")
# Strategies are built once (building them per draw is what would make the file slow).
MAYBE_CLAIMS = {types: maybe(claims(types)) for types in (HTTP, WEBSOCKET, BOTH)}
CUSTOM_CLAIMS = claims(BOTH, allow_super=False)
METHOD_SETS = st.none() | st.lists(st.sampled_from(["GET", "POST", "PUT"]), min_size=1, max_size=2, unique=True).map(
    lambda methods: tuple(sorted(methods))
)
OWN_HANDLES = st.sampled_from([False, False, False, True])
ROUTE_PATHS, MOUNT_PATHS = route_paths(), mount_paths()
KINDS = st.sampled_from(["route", "route", "route", "websocket", "mount", "mount", "host", "custom"])


@st.composite
def route_specs(draw: st.DrawFn, depth: int = 0) -> Spec:
    kind = draw(KINDS)
    if kind == "route":
        asgi = draw(st.booleans())
        methods = draw(METHOD_SETS)
        claim = draw(MAYBE_CLAIMS[BOTH if asgi and methods is None else HTTP])
        return RouteSpec(draw(ROUTE_PATHS), methods, asgi, claim, draw(OWN_HANDLES))
    if kind == "websocket":
        asgi = draw(st.booleans())
        claim = draw(MAYBE_CLAIMS[BOTH if asgi else WEBSOCKET])
        return WebSocketSpec(draw(ROUTE_PATHS), asgi, claim, draw(OWN_HANDLES))
    inner = draw(INNER[depth])
    if kind == "mount":
        return MountSpec(draw(MOUNT_PATHS), inner, draw(st.booleans()), draw(MAYBE_CLAIMS[BOTH]), draw(OWN_HANDLES))
    if kind == "host":
        return HostSpec(draw(HOST_PATTERN_CHOICE), inner, draw(st.booleans()), draw(MAYBE_CLAIMS[BOTH]))
    return CustomSpec(draw(CUSTOM_CLAIMS))


HOST_PATTERN_CHOICE = st.sampled_from(HOST_PATTERNS)
SPECS = {depth: route_specs(depth) for depth in range(3)}
# What a Mount or Host routes to: an ASGI app (None), or a router two levels deep at most.
INNER: dict[int, st.SearchStrategy[Optional[Tuple[Spec, ...]]]] = {
    0: st.none() | st.lists(SPECS[1], max_size=3).map(tuple),
    1: st.none() | st.lists(SPECS[2], max_size=3).map(tuple),
    2: st.none(),
}
route_lists = st.lists(SPECS[0], max_size=6).map(tuple)


def library_only(specs: Sequence[Spec]) -> Tuple[Spec, ...]:
    """The same routes with the library's own classes only (no subclasses, no custom routes)."""
    kept: list[Spec] = []
    for spec in specs:
        if isinstance(spec, CustomSpec):
            continue
        if isinstance(spec, (MountSpec, HostSpec)) and spec.routes is not None:
            spec = dataclasses.replace(spec, routes=library_only(spec.routes))
        if isinstance(spec, (RouteSpec, WebSocketSpec, MountSpec)):
            spec = dataclasses.replace(spec, claim=None, own_handle=False)
        else:
            spec = dataclasses.replace(spec, claim=None)
        kept.append(spec)
    return tuple(kept)


library_route_lists = st.lists(SPECS[0], min_size=1, max_size=6).map(library_only)

CALL_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.sampled_from(["http", "http", "websocket"]),
    "method": st.sampled_from(METHODS),
    "root_path": st.sampled_from(["", "", "/r"]),
    "root_in_path": st.booleans(),
    "host": st.sampled_from(HOSTS),
    "query": st.sampled_from(["", "", "q=1"]),
}
calls = st.one_of(
    st.builds(Call, path=request_paths(), **CALL_FIELDS),
    st.builds(
        Call,
        path=st.just(""),
        aim=st.integers(0, 20),
        variant=st.sampled_from(VARIANTS),
        **CALL_FIELDS,
    ),
)

list_ops = ["append", "extend", "iadd", "insert", "slice", "all", "assign", "reverse", "sort", "clear"]
list_ops += ["remove", "pop", "del", "setitem"]
# Which router an edit changes (modulo how many there are): mostly the top one, whose index the requests build.
ROUTER_CHOICES = st.sampled_from([0, 0, 0, 1, 2, 3])
EDIT_CLAIMS = claims(BOTH)


def route_edit(what: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[RouteEdit]:
    return st.builds(RouteEdit, what=st.just(what), router=ROUTER_CHOICES, position=st.integers(0, 6), **fields)


# (Hypothesis favours the first choices: the edits that most easily leave an index stale come first.)
route_edits = st.one_of(
    route_edit("patch_matches", claim=EDIT_CLAIMS),
    route_edit("path", path=ROUTE_PATHS),
    route_edit("ignorecase"),
    route_edit("retype", claim=EDIT_CLAIMS),
    route_edit("patch_handle"),
    route_edit("app"),
    route_edit("methods", methods=METHOD_SETS),
    route_edit("claim", claim=EDIT_CLAIMS),
)
edits: st.SearchStrategy[Edit] = st.one_of(
    st.builds(
        ListEdit,
        op=st.sampled_from(list_ops),
        router=ROUTER_CHOICES,
        position=st.integers(0, 6),
        span=st.integers(0, 3),
        new=st.lists(SPECS[2], max_size=2).map(tuple),
    ),
    route_edits,
    route_edits,  # (twice: edits in place are the likelier to leave something stale)
    st.builds(ClassPatch, cls=st.sampled_from(sorted(CLASSES)), claim=EDIT_CLAIMS),
)


# ------------------------------------------------------------------------------------------------------------
# The properties


async def check(router: Router, built: Built, call: Call, step: str) -> None:
    scope = call.scope(router)
    want = expected(router.routes, router.redirect_slashes, call.scope(router), built)
    got = await observe(router, scope)
    where = f"{scope['type']} {scope.get('method', '')} {scope['path']!r} (root_path {scope['root_path']!r})"
    assert got == want, f"{step}: {where}\n  router answered {got}\n  the linear scan says {want}"


PROBE = "probe"


def probes(router: Router) -> list[Call]:
    """Requests for every path the router's routes were written for (a dozen at most): http ones in every
    variant (with each method in turn), and a websocket.
    """
    calls: list[Call] = []
    for path in list(dict.fromkeys(concrete_paths(router.routes)))[:12]:
        calls.extend(Call("http", vary(path, variant), METHODS[i % 4]) for i, variant in enumerate(VARIANTS))
        calls.append(Call("websocket", path))
    return calls


def run_steps(backend: str, specs: Sequence[Spec], redirect_slashes: bool, steps: Sequence[Any]) -> int:
    """Build a router from ``specs``, then run the calls, edits and probes (``PROBE``: see ``probes``) in
    ``steps`` in order; returns the number of calls in ``steps`` checked.
    """
    built = Built()
    router = Router(built.routes(specs), redirect_slashes=redirect_slashes)
    undo: list[Callable[[], None]] = []
    checked = 0

    async def main() -> None:
        nonlocal checked
        for number, step in enumerate(steps):
            if isinstance(step, Call):
                await check(router, built, step, f"step {number}")
                checked += 1
            elif step == PROBE:
                for call in probes(router):
                    await check(router, built, call, f"step {number} (probe)")
            else:
                apply(step, router, built, undo)

    try:
        anyio.run(main, backend=backend)
    finally:
        for restore in reversed(undo):
            restore()
    return checked


def edit_steps(first: list[Call], later: list[Tuple[Edit, list[Call]]]) -> list[Any]:
    """The first requests and probes (which also build whatever the router keeps per scope type); then each edit,
    followed by probes, the first requests again and those drawn for it.
    """
    steps: list[Any] = [*first, PROBE]
    for edit, after in later:
        steps.append(edit)
        steps.append(PROBE)
        steps.extend(first)
        steps.extend(after)
    return steps


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=route_lists, redirect_slashes=st.booleans(), requests=st.lists(calls, min_size=1, max_size=4))
def test_router_answers_as_the_linear_scan(
    anyio_backend: str, specs: Tuple[Spec, ...], redirect_slashes: bool, requests: list[Call]
) -> None:
    """Upstream answers every request with the first route (in list order) whose ``matches`` says FULL, else the
    first PARTIAL, else a redirect to the other trailing-slash form when some route matches it, else 404 / close.
    (The drawn requests are followed by probes of every path the routes were written for.)
    """
    assert run_steps(anyio_backend, specs, redirect_slashes, [*requests, PROBE]) == len(requests)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=route_lists,
    redirect_slashes=st.booleans(),
    first=st.lists(calls, min_size=1, max_size=3),
    later=st.lists(st.tuples(edits, st.lists(calls, min_size=1, max_size=3)), min_size=1, max_size=3),
)
def test_router_sees_edits_made_after_the_first_request(
    anyio_backend: str,
    specs: Tuple[Spec, ...],
    redirect_slashes: bool,
    first: list[Call],
    later: list[Tuple[Edit, list[Call]]],
) -> None:
    """Upstream reads ``router.routes``, each route's attributes and each class's ``matches``/``handle`` anew for
    every request: after any edit of the list, of a route in place, or of a route class, the next request is
    answered as the linear scan over the edited routes says.
    """
    steps = edit_steps(first, later)
    assert run_steps(anyio_backend, specs, redirect_slashes, steps) == len(steps) - 2 * len(later) - 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=library_route_lists,
    redirect_slashes=st.booleans(),
    first=st.lists(calls, min_size=1, max_size=3),
    later=st.lists(st.tuples(route_edits | edits, st.lists(calls, min_size=1, max_size=3)), min_size=1, max_size=3),
)
def test_router_sees_library_routes_edited_in_place(
    anyio_backend: str,
    specs: Tuple[Spec, ...],
    redirect_slashes: bool,
    first: list[Call],
    later: list[Tuple[Edit, list[Call]]],
) -> None:
    """The same as above for trees of the library's own Route, WebSocketRoute, Mount and Host (the routes an index
    may rely on) edited mostly in place: new compiled paths, methods, apps, ``matches``/``handle`` replaced on the
    instance or the class, ``__class__`` swapped. Upstream reads all of them anew for every request.
    """
    steps = edit_steps(first, later)
    assert run_steps(anyio_backend, specs, redirect_slashes, steps) == len(steps) - 2 * len(later) - 1
