"""A FastAPI application on our meta-package, for tests/integration/test_fastapi_*.py.

Endpoints, models and dependencies live at module level (FastAPI resolves their annotations, which are strings
under ``from __future__ import annotations``, in this module's globals); ``create_app()`` assembles a fresh app for
every test, and everything the app records goes to ``app.state.events`` of that app.
"""

from __future__ import annotations

import contextlib
import enum
import time
import typing
from collections.abc import AsyncIterator, Iterator
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal, Optional, cast

import anyio
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    Security,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
    status,
)
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.security import OAuth2PasswordBearer
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response as StarletteResponse


def open_client(app: FastAPI, backend: str, **kwargs: Any) -> TestClient:
    """fastapi.testclient.TestClient (which is ours) on the given anyio backend."""
    return TestClient(app, backend=cast(Literal["asyncio", "trio"], backend), **kwargs)


def events_of(connection: Request | WebSocket) -> list[str]:
    events: list[str] = connection.app.state.events
    return events


# --- models


class Item(BaseModel):
    name: str = Field(min_length=1, description="What it is called")
    price: float = Field(gt=0)
    tags: list[str] = []
    secret_note: Optional[str] = None


class ItemOut(BaseModel):
    id: int
    name: str
    price: float
    tags: list[str]


class Color(str, enum.Enum):
    red = "red"
    green = "green"


class User(BaseModel):
    username: str
    admin: bool = False


# --- dependencies


def pagination(skip: int = Query(0, ge=0), limit: int = Query(10, ge=1, le=100)) -> dict[str, int]:
    return {"skip": skip, "limit": limit}


class SearchQuery:
    def __init__(self, q: Optional[str] = None, exact: bool = False) -> None:
        self.q = q
        self.exact = exact


# FastAPI resolves string annotations in a callable's ``__globals__``, which a class does not have: with
# ``from __future__ import annotations`` (this project's rule), a class dependency needs its annotations resolved.
SearchQuery.__init__.__annotations__ = typing.get_type_hints(SearchQuery.__init__)


def counted(request: Request) -> int:
    events = events_of(request)
    events.append("counted")
    return events.count("counted")


def query_or_cookie(q: Optional[str] = None, last_query: Optional[str] = Cookie(None)) -> Optional[str]:
    return q or last_query


def uses_query_or_cookie(value: Annotated[Optional[str], Depends(query_or_cookie)]) -> str:
    return f"sub-dependency saw {value!r}"


class TransactionError(Exception):
    pass


class FakeDatabase:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.rows: list[str] = []

    def insert(self, row: str) -> None:
        self.rows.append(row)
        self.events.append(f"insert {row}")


async def database(request: Request) -> AsyncIterator[FakeDatabase]:
    events = events_of(request)
    db = FakeDatabase(events)
    events.append("db open")
    try:
        yield db
    except TransactionError:
        events.append("db rollback")
        raise HTTPException(status_code=409, detail="transaction rolled back") from None
    else:
        events.append("db commit")
    finally:
        events.append("db close")


def sync_resource(request: Request) -> Iterator[str]:
    events = events_of(request)
    events.append("sync resource open")
    yield "resource"
    events.append("sync resource close")


def verify_key(x_key: Annotated[Optional[str], Header()] = None) -> None:
    if x_key != "let-me-in":
        raise HTTPException(status_code=403, detail="bad key", headers={"x-reason": "key"})


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes={"items:read": "Read items"})


def current_user(token: Annotated[str, Security(oauth2_scheme, scopes=["items:read"])]) -> User:
    if not token.startswith("valid-"):
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "Bearer"})
    return User(username=token.removeprefix("valid-"), admin=token.endswith("-admin"))


class UnicornError(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


# --- the items router (included under /v1 with a router-level dependency)

items = APIRouter(prefix="/items", tags=["items"])


@items.get("/{item_id}")
async def read_item(
    item_id: Annotated[int, Path(ge=1, title="The item's id")],
    q: Optional[str] = None,
    tags: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    page: dict[str, int] = Depends(pagination),
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "tags": tags, "page": page}


@items.post("", status_code=201, response_model=ItemOut)
async def create_item(item: Item, db: Annotated[FakeDatabase, Depends(database)]) -> Any:
    db.insert(item.name)
    return {"id": 1, **item.model_dump()}


@items.put("/{item_id}")
def replace_item(
    item_id: int,
    item: Item,
    user: Annotated[User, Body()],
    importance: Annotated[int, Body(gt=0)],
) -> dict[str, Any]:
    return {"item_id": item_id, "item": item.model_dump(), "user": user.model_dump(), "importance": importance}


@items.post("/embedded")
async def embedded(item: Annotated[Item, Body(embed=True)]) -> dict[str, str]:
    return {"name": item.name}


@items.post("/fail")
async def failing_transaction(db: Annotated[FakeDatabase, Depends(database)]) -> None:
    db.insert("doomed")
    raise TransactionError()


# --- other routes


misc = APIRouter()


@misc.get("/colors/{color}")
async def read_color(color: Color) -> dict[str, str]:
    return {"color": color.value, "is_red": str(color is Color.red)}


@misc.get("/files/{file_path:path}")
async def read_file_path(file_path: str) -> dict[str, str]:
    return {"file_path": file_path}


@misc.get("/search")
async def search(
    query: Annotated[SearchQuery, Depends()],
    first: Annotated[int, Depends(counted)],
    second: Annotated[int, Depends(counted)],
    uncached: Annotated[int, Depends(counted, use_cache=False)],
    sub: Annotated[str, Depends(uses_query_or_cookie)],
) -> dict[str, Any]:
    return {"q": query.q, "exact": query.exact, "counts": [first, second, uncached], "sub": sub}


@misc.get("/headers")
async def read_headers(
    user_agent: Annotated[Optional[str], Header()] = None,
    x_token: Annotated[list[str], Header()] = [],  # noqa: B006
    session_id: Annotated[Optional[str], Cookie()] = None,
) -> dict[str, Any]:
    return {"user_agent": user_agent, "x_token": x_token, "session_id": session_id}


@misc.get("/cookie-and-header")
async def set_cookie_and_header(response: Response) -> dict[str, bool]:
    response.set_cookie("last_query", "from-a-cookie", httponly=True)
    response.headers["x-custom"] = "set by the endpoint"
    response.status_code = 202
    return {"ok": True}


@misc.post("/form")
async def submit_form(
    username: Annotated[str, Form()],
    document: Annotated[UploadFile, File()],
    extras: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> dict[str, Any]:
    content = await document.read()
    return {
        "username": username,
        "document": {"filename": document.filename, "size": len(content), "type": document.content_type},
        "extras": [extra.filename for extra in extras],
    }


@misc.post("/login")
async def login(username: Annotated[str, Form(min_length=2)], password: Annotated[str, Form()]) -> dict[str, str]:
    return {"username": username, "password_length": str(len(password))}


@misc.get("/me")
async def me(user: Annotated[User, Depends(current_user)]) -> User:
    return user


@misc.post("/tasks", status_code=202)
async def schedule(
    request: Request, background: BackgroundTasks, db: Annotated[FakeDatabase, Depends(database)]
) -> dict[str, str]:
    events = events_of(request)

    async def notify(message: str) -> None:
        await anyio.sleep(0)
        events.append(f"async task: {message}")

    def write_log(message: str) -> None:
        events.append(f"sync task: {message}")

    db.insert("task")
    background.add_task(notify, "sent")
    background.add_task(write_log, message="written")
    events.append("endpoint returns")
    return {"status": "scheduled"}


@misc.get("/sync")
def sync_endpoint(request: Request, resource: Annotated[str, Depends(sync_resource)]) -> dict[str, str]:
    events_of(request).append("sync endpoint")
    return {"resource": resource}


@misc.get("/unicorn/{name}")
async def unicorn(name: str) -> None:
    raise UnicornError(name)


@misc.get("/crash")
async def crash() -> None:
    raise ZeroDivisionError("division by zero in an endpoint")


@misc.get("/teapot")
async def teapot() -> None:
    raise HTTPException(status_code=418, detail={"reason": "short and stout"}, headers={"x-tea": "earl grey"})


@misc.get("/stream")
async def stream() -> StreamingResponse:
    async def numbers() -> AsyncIterator[str]:
        for number in range(3):
            yield f"{number}\n"

    return StreamingResponse(numbers(), media_type="text/plain")


@misc.get("/html", response_class=HTMLResponse)
async def html_page() -> str:
    return "<h1>Hello from FastAPI</h1>"


@misc.get("/redirect", response_class=RedirectResponse, status_code=302)
async def redirect(request: Request) -> str:
    return str(request.url_for("read_color", color="green"))


@misc.get("/static-url")
async def static_url(request: Request) -> dict[str, str]:
    return {"url": str(request.url_for("static", path="hello.txt"))}


@misc.get("/large")
async def large() -> dict[str, list[int]]:
    return {"numbers": list(range(2000))}


@misc.get("/lifespan-state")
async def lifespan_state(request: Request) -> dict[str, Any]:
    return {"model": request.state.model, "started": request.app.state.started}


@misc.get("/hidden", include_in_schema=False)
async def hidden() -> dict[str, str]:
    return {"hidden": "yes"}


# --- websockets


sockets = APIRouter()


def websocket_token(websocket: WebSocket, token: Optional[str] = None) -> str:
    if token != "sesame":
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="bad token")
    return token


@sockets.websocket("/ws/{room}")
async def chat(
    websocket: WebSocket,
    room: str,
    token: Annotated[str, Depends(websocket_token)],
    nickname: str = "anonymous",
) -> None:
    events = events_of(websocket)
    await websocket.accept()
    await websocket.send_json({"room": room, "nickname": nickname, "token": token})
    try:
        while True:
            data = await websocket.receive_json()
            await websocket.send_json({"room": room, "echo": data})
    except WebSocketDisconnect as disconnect:
        events.append(f"{nickname} left {room} with {disconnect.code}")


@sockets.websocket("/ws-count")
async def count(websocket: WebSocket, start: int) -> None:
    await websocket.accept()
    await websocket.send_text(str(start + 1))
    await websocket.close(code=4000, reason="done counting")


# --- the application


def create_app(static_dir: FilePath) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        app.state.events.append("lifespan startup")
        app.state.started = True
        yield {"model": "a loaded model"}
        app.state.events.append("lifespan shutdown")

    app = FastAPI(
        title="Integration API", version="2.5.0", description="FastAPI on our meta-package", lifespan=lifespan
    )
    app.state.events = []
    app.state.started = False

    app.include_router(items, prefix="/v1", dependencies=[Depends(verify_key)])
    app.include_router(misc)
    app.include_router(sockets)
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    sub = FastAPI(title="Sub API")

    @sub.get("/ping")
    async def ping(request: Request) -> dict[str, str]:
        return {"root_path": request.scope["root_path"], "url": str(request.url_for("ping"))}

    app.mount("/sub", sub)

    @app.middleware("http")
    async def timing(request: Request, call_next: Any) -> StarletteResponse:
        started = time.perf_counter()
        response: StarletteResponse = await call_next(request)
        response.headers["x-process-time"] = f"{time.perf_counter() - started:.6f}"
        # Not request.app: a mounted sub-application replaces scope["app"] on its way in.
        app.state.events.append(f"middleware saw {request.method} {request.url.path}")
        return response

    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://front.example"],
        allow_methods=["GET", "POST"],
        allow_headers=["x-key"],
        allow_credentials=True,
        expose_headers=["x-process-time"],
    )

    @app.exception_handler(UnicornError)
    async def unicorn_handler(request: Request, exc: UnicornError) -> JSONResponse:
        return JSONResponse(status_code=418, content={"message": f"Oops! {exc.name} did something."})

    @app.exception_handler(RequestValidationError)
    async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            content=jsonable_encoder({"detail": exc.errors(), "body": exc.body, "handled_by": "custom"}),
        )

    @app.exception_handler(StarletteHTTPException)
    async def logging_http_handler(request: Request, exc: StarletteHTTPException) -> Response:
        request.app.state.events.append(f"http error {exc.status_code}")
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=500, content={"error": type(exc).__name__})

    return app
