"""The showcase: HTML pages, a JSON API, uploads, a WebSocket chat, sessions, login and GraphQL in one app.

Run it with ``uv run uvicorn examples.showcase.app:app`` and open http://127.0.0.1:8000/ (on trio:
``uv run hypercorn --worker-class trio examples.showcase.app:app``; the README also shows granian).

- ``/``: a Jinja2 page (``templates/index.html``) with a per-session visit counter, the items and recent events.
- ``/api/...``: a JSON API, its own Starlette app mounted at ``/api`` with JSON errors: ``GET``/``POST``
  ``/api/items``, ``GET /api/items/{id}``, ``/api/items/export`` (streamed NDJSON), ``/api/events`` (what the
  background tasks did) and ``/api/me`` (needs a login or ``Authorization: Bearer <SHOWCASE_API_TOKEN>``).
- ``/upload``: a multipart form; the page shows each file's name, size and content type, or why it refused them.
- ``/chat?room=lobby``: a chat page; its WebSocket (``/ws/{room}``) broadcasts to everyone in the room, and tells
  them when someone joins or leaves. The page connects as it loads and leaves the room when the browser leaves the
  page (also into its back/forward cache).
- ``/login``, ``/logout`` and ``/profile``, which redirects to the login page until you log in.
- ``/graphql/``: the message board of ``examples/graphql_app.py`` (GraphiQL in a browser).
- ``/static/...``: the stylesheet and the script.
- Errors: the pages answer with HTML pages (``templates/error.html``, ``templates/500.html``), the API in JSON.

Settings come from the environment through ``starlette.config.Config``: ``SHOWCASE_SECRET_KEY`` signs the session
cookie, ``SHOWCASE_PASSWORD`` is the password for any user name at /login, ``SHOWCASE_API_TOKEN`` is the API's
bearer token and ``SHOWCASE_DEBUG=true`` shows tracebacks. The defaults are for development only.
"""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Optional

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    requires,
)
from starlette.background import BackgroundTask
from starlette.config import Config
from starlette.datastructures import URL, Secret, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

HERE = Path(__file__).parent

config = Config()
DEBUG = config("SHOWCASE_DEBUG", cast=bool, default=False)
SECRET_KEY = Secret(config("SHOWCASE_SECRET_KEY", default="showcase-development-key-do-not-deploy"))
PASSWORD = Secret(config("SHOWCASE_PASSWORD", default="starlette"))
API_TOKEN = Secret(config("SHOWCASE_API_TOKEN", default="showcase-token"))

# Limits: what a client sends never grows without bound.
MAX_ITEMS = 1000
MAX_ITEM_NAME = 100
MAX_PRICE = 1_000_000_000
MAX_USER_NAME = 32
UPLOAD_MAX_FILES = 3
UPLOAD_MAX_FIELD = 16 * 1024  # bytes in a form field that is not a file (the note)
UPLOAD_MAX_BODY = 1024 * 1024  # bytes in the whole upload request (413 above)
CHAT_MAX_TEXT = 500  # characters in a chat message (longer ones are cut)
CHAT_INBOX = 32  # messages waiting for a chat client before a broadcast waits for it
CHAT_SLOW_CLIENT = 2.0  # seconds a broadcast waits for a client with a full inbox before giving up on it
ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")

# The GraphQL page needs graphql-core (starlette-routing's `graphql` extra, which `full` brings).
GRAPHQL = importlib.util.find_spec("graphql") is not None


# --- State (in memory: it lives as long as the process) ---------------------------------------------------------


@dataclass
class Item:
    id: int
    name: str
    price: float


class ItemStore:
    def __init__(self, items: Iterable[tuple[str, float]] = ()) -> None:
        self._items: dict[int, Item] = {}
        self._next_id = 1
        for name, price in items:
            self.add(name, price)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, name: str, price: float) -> Item:
        item = Item(self._next_id, name, price)
        self._items[item.id] = item
        self._next_id += 1
        return item

    def get(self, item_id: int) -> Optional[Item]:
        return self._items.get(item_id)

    def all(self) -> list[Item]:
        return list(self._items.values())


ITEMS = ItemStore([("Lamp", 25.0), ("Chair", 49.5)])
# What the background tasks did, newest first.
EVENTS: deque[str] = deque(maxlen=20)


def record(event: str) -> None:
    """A background task: runs after the response has been sent."""
    EVENTS.appendleft(event)


class Chat:
    """The chat rooms: each connected client has an inbox (a bounded anyio memory stream) in its room's set.

    Everything runs in the server's one event loop, and anyio's streams and timeouts work the same on asyncio and
    on trio. A broadcast puts the message in the inbox of everyone in the room. When an inbox is full, it waits up
    to ``CHAT_SLOW_CLIENT`` seconds for that client to catch up (so a fast sender slows down to the pace of its
    room, and nobody misses a message), then gives up on that client: its inbox is closed and its connection ends
    with 1013 (try again later).
    """

    def __init__(self) -> None:
        self.rooms: dict[str, set[MemoryObjectSendStream[str]]] = {}

    def join(self, room: str, inbox: MemoryObjectSendStream[str]) -> None:
        self.rooms.setdefault(room, set()).add(inbox)

    def leave(self, room: str, inbox: MemoryObjectSendStream[str]) -> None:
        members = self.rooms[room]
        members.discard(inbox)
        if not members:
            del self.rooms[room]

    def members(self, room: str) -> int:
        return len(self.rooms.get(room, ()))

    async def broadcast(self, room: str, message: dict[str, Any]) -> None:
        text = json.dumps(message)
        for inbox in list(self.rooms.get(room, ())):  # a copy: the room may change while a slow client is awaited
            try:
                try:
                    inbox.send_nowait(text)
                except anyio.WouldBlock:
                    with anyio.move_on_after(CHAT_SLOW_CLIENT) as waiting:
                        await inbox.send(text)
                    if waiting.cancelled_caught:
                        inbox.close()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # that client left, or was given up on, meanwhile


CHAT = Chat()


# --- Authentication: a login name in the session, or the API's bearer token --------------------------------------


class ShowcaseBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> Optional[tuple[AuthCredentials, BaseUser]]:
        authorization = conn.headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), str(API_TOKEN).encode()):
                raise AuthenticationError("Invalid credentials: send Authorization: Bearer <token>")
            return AuthCredentials(["authenticated", "api"]), SimpleUser("api-client")
        name = conn.session.get("user")
        if isinstance(name, str) and name:
            return AuthCredentials(["authenticated"]), SimpleUser(name)
        return None


def authentication_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


# --- The JSON API ------------------------------------------------------------------------------------------------


def item_errors(payload: Any) -> dict[str, str]:
    """What is wrong with an item sent by a client (empty when nothing is)."""
    if not isinstance(payload, dict):
        return {"body": "must be a JSON object"}
    errors = {}
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "required: a non-empty string"
    elif len(name) > MAX_ITEM_NAME:
        errors["name"] = f"at most {MAX_ITEM_NAME} characters"
    price = payload.get("price")
    # Compared as they are: an integer too large for a float (JSON allows any) must not be converted first.
    if isinstance(price, bool) or not isinstance(price, (int, float)) or not price >= 0:  # NaN is not >= 0
        errors["price"] = "required: a number, 0 or more"
    elif price > MAX_PRICE:  # infinity too
        errors["price"] = f"at most {MAX_PRICE}"
    unknown = sorted(set(payload) - {"name", "price"})
    if unknown:
        errors["body"] = f"unknown fields: {', '.join(unknown)}"
    return errors


async def list_items(request: Request) -> Response:
    return JSONResponse([asdict(item) for item in ITEMS.all()])


async def create_item(request: Request) -> Response:
    try:
        payload = await request.json()
    except ValueError:  # not JSON, or not UTF-8
        raise HTTPException(status_code=400, detail="The body must be JSON") from None
    errors = item_errors(payload)
    if errors:
        return JSONResponse({"detail": "Invalid item", "errors": errors}, status_code=400)
    if len(ITEMS) >= MAX_ITEMS:
        raise HTTPException(status_code=409, detail="The store is full")
    item = ITEMS.add(payload["name"].strip(), float(payload["price"]))
    return JSONResponse(
        asdict(item),
        status_code=201,
        headers={"Location": str(request.url_for("api:get_item", item_id=item.id))},
        background=BackgroundTask(record, f"item #{item.id} ({item.name}) created"),
    )


async def get_item(request: Request) -> Response:
    item_id: int = request.path_params["item_id"]
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"Item {item_id} not found")
    return JSONResponse(asdict(item))


async def export_items(request: Request) -> Response:
    """Every item as one JSON document per line, streamed (a real export would page through a database)."""
    items = ITEMS.all()

    async def lines() -> AsyncIterator[str]:
        for item in items:
            yield json.dumps(asdict(item)) + "\n"
            await anyio.sleep(0)  # let other requests run between two lines

    return StreamingResponse(lines(), media_type="application/x-ndjson")


async def list_events(request: Request) -> Response:
    return JSONResponse(list(EVENTS))


@requires("authenticated")
async def me(request: Request) -> Response:
    return JSONResponse({"user": request.user.display_name, "scopes": request.auth.scopes})


async def api_error(request: Request, exc: Exception) -> Response:
    """The API answers errors in JSON (the HTML pages answer with HTML: see ``page_error``)."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def api_server_error(request: Request, exc: Exception) -> Response:
    """An unexpected exception in the API: a JSON 500 without details (the exception still reaches the server's
    log). With ``SHOWCASE_DEBUG=true`` the traceback page is shown instead."""
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


api = Starlette(
    debug=DEBUG,
    routes=[
        Route("/items", list_items, name="list_items"),
        Route("/items", create_item, methods=["POST"], name="create_item"),
        Route("/items/export", export_items, name="export_items"),
        Route("/items/{item_id:int}", get_item, name="get_item"),
        Route("/events", list_events, name="list_events"),
        Route("/me", me, name="me"),
    ],
    exception_handlers={HTTPException: api_error, 500: api_server_error},
)


# --- HTML pages --------------------------------------------------------------------------------------------------


def site(request: Request) -> dict[str, Any]:
    """A context processor: what every template gets besides its own context."""
    return {"graphql": GRAPHQL}


templates = Jinja2Templates(directory=HERE / "templates", context_processors=[site])


async def home(request: Request) -> Response:
    visits: int = request.session.get("visits", 0) + 1
    request.session["visits"] = visits
    context = {"visits": visits, "items": ITEMS.all(), "events": list(EVENTS), "max_price": MAX_PRICE}
    return templates.TemplateResponse(request, "index.html", context)


def safe_next(request: Request, next_url: str) -> str:
    """Where to go after logging in: ``next_url`` if it points into this site, else the home page."""
    url = URL(next_url)
    path = url.path
    elsewhere = url.netloc and url.netloc != request.url.netloc
    # Browsers read "//host" and "/\host" as another site.
    if elsewhere or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return str(request.url_for("home"))
    return f"{path}?{url.query}" if url.query else path


async def login(request: Request) -> Response:
    if request.method == "GET":
        context = {"next": request.query_params.get("next", ""), "error": None, "username": ""}
        return templates.TemplateResponse(request, "login.html", context)
    async with request.form(max_files=0, max_fields=3) as form:
        username, password, next_url = (form.get(key, "") for key in ("username", "password", "next"))
    assert isinstance(username, str) and isinstance(password, str) and isinstance(next_url, str)  # no files
    username = username.strip()
    if not username or len(username) > MAX_USER_NAME:
        error = f"A user name has 1 to {MAX_USER_NAME} characters."
    elif not secrets.compare_digest(password.encode(), str(PASSWORD).encode()):
        error = "Wrong password."
    else:
        request.session["user"] = username
        return RedirectResponse(safe_next(request, next_url), status_code=303)
    context = {"next": next_url, "error": error, "username": username}
    return templates.TemplateResponse(request, "login.html", context, status_code=400)


async def logout(request: Request) -> Response:
    request.session.pop("user", None)
    return RedirectResponse(request.url_for("home"), status_code=303)


@requires("authenticated", redirect="login")
async def profile(request: Request) -> Response:
    return templates.TemplateResponse(request, "profile.html", {"visits": request.session.get("visits", 0)})


async def upload(request: Request) -> Response:
    if request.method == "GET":
        return templates.TemplateResponse(request, "upload.html", {"uploads": [], "note": "", "error": None})
    # Too many files, too many fields or an over-long note are refused with 400 by the form parser, a body over
    # UPLOAD_MAX_BODY with 413: page_error shows these on the upload form.
    async with request.form(max_files=UPLOAD_MAX_FILES, max_fields=5, max_part_size=UPLOAD_MAX_FIELD) as form:
        note = form.get("note", "")
        uploads = [
            {"filename": file.filename, "size": file.size, "content_type": file.content_type}
            for file in form.getlist("files")
            # A browser sends an empty part without a file name when no file was chosen.
            if isinstance(file, UploadFile) and file.filename
        ]
    context = {"uploads": uploads, "note": note if isinstance(note, str) else "", "error": None}
    if not uploads:
        context["error"] = "Choose at least one file."
        return templates.TemplateResponse(request, "upload.html", context, status_code=400)
    task = BackgroundTask(record, f"{len(uploads)} file(s) uploaded")
    return templates.TemplateResponse(request, "upload.html", context, background=task)


async def chat_page(request: Request) -> Response:
    room = request.query_params.get("room", "lobby")
    if not ROOM_NAME.fullmatch(room):
        raise HTTPException(status_code=400, detail="A room name has 1 to 32 letters, digits, '-' or '_'")
    return templates.TemplateResponse(request, "chat.html", {"room": room, "members": CHAT.members(room)})


# --- Errors on the HTML pages (the API answers its own in JSON) --------------------------------------------------

STATUS_PHRASES = {status.value: status.phrase for status in HTTPStatus}
UPLOAD_TOO_LARGE = f"The upload is too large: at most {UPLOAD_MAX_BODY // (1024 * 1024)} MiB in all."


async def page_error(request: Request, exc: Exception) -> Response:
    """An HTTP error on a page (404, 405, a bad room name...): a small page in the site's layout.

    An upload refused by its limits shows the upload form again with the reason, as an upload without a file does.
    """
    assert isinstance(exc, HTTPException)
    status_code, headers = exc.status_code, exc.headers
    if request.scope.get("endpoint") is upload and request.method == "POST":
        error = UPLOAD_TOO_LARGE if status_code == 413 else exc.detail
        context: dict[str, Any] = {"uploads": [], "note": "", "error": error}
        return templates.TemplateResponse(request, "upload.html", context, status_code=status_code, headers=headers)
    context = {"status_code": status_code, "title": STATUS_PHRASES.get(status_code, "Error"), "detail": exc.detail}
    return templates.TemplateResponse(request, "error.html", context, status_code=status_code, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected exception on a page: a 500 page that tells nothing of it (the server logs it).

    ``500.html`` stands alone: the failure may have come before the session or the user was set. With
    ``SHOWCASE_DEBUG=true`` the traceback page is shown instead.
    """
    return templates.TemplateResponse(request, "500.html", status_code=500)


# --- The WebSocket chat ------------------------------------------------------------------------------------------


def chat_name(websocket: WebSocket) -> str:
    if websocket.user.is_authenticated:
        return str(websocket.user.display_name)
    name = websocket.query_params.get("name", "").strip()[:MAX_USER_NAME]
    return f"{name or 'anonymous'} (guest)"


class ChatClient:
    """One chat connection: ``listen`` broadcasts what the client says while ``deliver`` sends it what the room says.

    The two run side by side in a task group; whichever ends first (the client left or sent something it should
    not, the room gave up on it, or sending failed) cancels the other.
    """

    def __init__(self, websocket: WebSocket, room: str, user: str) -> None:
        self.websocket = websocket
        self.room = room
        self.user = user
        self.close_code: Optional[int] = None  # how the server closes the connection, if it does

    async def run(self) -> None:
        send, receive = anyio.create_memory_object_stream[str](CHAT_INBOX)
        with send, receive:
            CHAT.join(self.room, send)
            try:
                await CHAT.broadcast(self.room, {"type": "join", "user": self.user, "members": CHAT.members(self.room)})
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(self.deliver, receive, tasks.cancel_scope)
                    await self.listen()
                    tasks.cancel_scope.cancel()
            finally:
                CHAT.leave(self.room, send)
        await CHAT.broadcast(self.room, {"type": "leave", "user": self.user, "members": CHAT.members(self.room)})
        if self.close_code is not None:
            await self.websocket.close(code=self.close_code)

    async def listen(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                self.close_code = 1003  # unsupported data: this chat speaks text only
                return
            text = text.strip()[:CHAT_MAX_TEXT]
            if text:
                await CHAT.broadcast(self.room, {"type": "message", "user": self.user, "text": text})

    async def deliver(self, inbox: MemoryObjectReceiveStream[str], done: anyio.CancelScope) -> None:
        try:
            while True:
                await self.websocket.send_text(await inbox.receive())
        except anyio.EndOfStream:  # the room gave up on this client
            self.close_code = 1013
        except WebSocketDisconnect:  # the client went away: the server could not send
            pass
        done.cancel()


async def chat(websocket: WebSocket) -> None:
    room = websocket.path_params["room"]
    if not ROOM_NAME.fullmatch(room):
        await websocket.close(code=1008)  # refused before accepting: policy violation
        return
    user = chat_name(websocket)
    await websocket.accept()
    await ChatClient(websocket, room, user).run()


# --- The application ---------------------------------------------------------------------------------------------

upload_route = Route("/upload", upload, methods=["GET", "POST"], name="upload")
upload_route.max_body_size = UPLOAD_MAX_BODY  # beyond upstream: 413 as soon as the body goes over

routes: list[BaseRoute] = [
    Route("/", home, name="home"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/profile", profile, name="profile"),
    upload_route,
    Route("/chat", chat_page, name="chat"),
    WebSocketRoute("/ws/{room}", chat, name="chat_ws"),
    Mount("/api", app=api, name="api"),
    Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
]

if GRAPHQL:  # pragma: no cover
    from examples.graphql_app import SCHEMA, Root
    from starlette.graphql import GraphQLApp

    # The message board of examples/graphql_app.py. Mounted, it answers at /graphql/ (HTTP and WebSocket).
    routes.append(Mount("/graphql", app=GraphQLApp(SCHEMA, root_value=Root(), max_depth=15), name="graphql"))

app = Starlette(
    debug=DEBUG,
    routes=routes,
    middleware=[
        # The outermost first: the authentication backend reads the session.
        Middleware(SessionMiddleware, secret_key=SECRET_KEY),
        Middleware(AuthenticationMiddleware, backend=ShowcaseBackend(), on_error=authentication_error),
    ],
    exception_handlers={HTTPException: page_error, 500: server_error},
)
