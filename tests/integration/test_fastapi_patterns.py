"""FastAPI's documented extension patterns on our meta-package: custom Request and APIRoute classes, root_path,
empty-body status codes, file and threadpool-iterated streaming responses."""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from fastapi import APIRouter, BackgroundTasks, Body, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tests.integration.fastapi_app import open_client


class GzipRequest(Request):
    """FastAPI's docs example: a Request whose body() decompresses gzip-encoded bodies."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            body = await super().body()
            if "gzip" in self.headers.getlist("Content-Encoding"):
                body = gzip.decompress(body)
            self._body = body
        return self._body


class GzipRoute(APIRoute):
    def get_route_handler(self) -> Callable[..., Any]:
        original_route_handler = super().get_route_handler()

        async def custom_route_handler(request: Request) -> Response:
            request = GzipRequest(request.scope, request.receive)
            response: Response = await original_route_handler(request)
            return response

        return custom_route_handler


class ValidationErrorLoggingRoute(APIRoute):
    """FastAPI's docs example: read the (already consumed) body again in an exception handler."""

    def get_route_handler(self) -> Callable[..., Any]:
        original_route_handler = super().get_route_handler()

        async def custom_route_handler(request: Request) -> Response:
            try:
                response: Response = await original_route_handler(request)
            except RequestValidationError as exc:
                body = await request.body()
                raise HTTPException(
                    status_code=422, detail={"errors": len(exc.errors()), "body": body.decode()}
                ) from exc
            return response

        return custom_route_handler


class Numbers(BaseModel):
    values: list[int]


gzip_router = APIRouter(route_class=GzipRoute)
logging_router = APIRouter(route_class=ValidationErrorLoggingRoute)
plain = APIRouter()


@gzip_router.post("/sum")
async def sum_numbers(values: list[int] = Body()) -> dict[str, int]:
    return {"sum": sum(values)}


@logging_router.post("/strict")
async def strict(numbers: Numbers) -> dict[str, int]:
    return {"count": len(numbers.values)}


@plain.delete("/things/{thing_id}", status_code=204, response_model=None)
async def delete_thing(thing_id: int) -> None:
    return None


@plain.get("/not-modified", status_code=304, response_model=None)
async def not_modified() -> None:
    return None


@plain.get("/where")
async def where(request: Request) -> dict[str, str]:
    return {
        "root_path": request.scope["root_path"],
        "url": str(request.url),
        "url_for": str(request.url_for("where")),
    }


@plain.get("/download")
async def download(request: Request) -> FileResponse:
    path: Path = request.app.state.file
    return FileResponse(path, filename="report.csv", media_type="text/csv")


@plain.get("/sync-stream")
def sync_stream() -> StreamingResponse:
    def lines() -> Iterator[bytes]:
        yield from (f"line {number}\n".encode() for number in range(3))

    return StreamingResponse(lines(), media_type="text/plain")


def build(tmp_path: Path, **kwargs: Any) -> FastAPI:
    app = FastAPI(**kwargs)
    app.include_router(gzip_router)
    app.include_router(logging_router)
    app.include_router(plain)
    app.state.file = tmp_path / "report.csv"
    app.state.file.write_text("a,b\n1,2\n")
    return app


@pytest.fixture
def client(tmp_path: Path, anyio_backend: str) -> Iterator[TestClient]:
    with open_client(build(tmp_path), anyio_backend) as test_client:
        yield test_client


def test_custom_request_class_decompresses_the_body(client: TestClient) -> None:
    compressed = gzip.compress(b"[1, 2, 3, 4]")
    response = client.post(
        "/sum", content=compressed, headers={"content-encoding": "gzip", "content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"sum": 10}
    assert client.post("/sum", json=[5, 6]).json() == {"sum": 11}


def test_route_class_reads_the_consumed_body_again(client: TestClient) -> None:
    response = client.post("/strict", json={"values": ["one", 2]})
    assert response.status_code == 422
    assert response.json() == {"detail": {"errors": 1, "body": '{"values":["one",2]}'}}
    assert client.post("/strict", json={"values": [1, 2]}).json() == {"count": 2}


@pytest.mark.parametrize(("method", "path", "code"), [("DELETE", "/things/3", 204), ("GET", "/not-modified", 304)])
def test_status_codes_without_a_body(client: TestClient, method: str, path: str, code: int) -> None:
    response = client.request(method, path)
    assert response.status_code == code
    assert response.content == b""
    assert "content-length" not in response.headers  # a body-less status must not announce one


def test_root_path(tmp_path: Path, anyio_backend: str) -> None:
    with open_client(build(tmp_path, root_path="/api"), anyio_backend) as client:
        # A proxy that strips the prefix: the path does not carry the root path, the URLs the app builds do.
        assert client.get("/where").json() == {
            "root_path": "/api",
            "url": "http://testserver/where",
            "url_for": "http://testserver/api/where",
        }
        # A path that carries the root path (as the ASGI spec has it) routes the same way.
        assert client.get("/api/where").json() == {
            "root_path": "/api",
            "url": "http://testserver/api/where",
            "url_for": "http://testserver/api/where",
        }
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/api"}]


def test_file_response(client: TestClient) -> None:
    response = client.get("/download")
    assert response.text == "a,b\n1,2\n"
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="report.csv"'
    assert response.headers["content-length"] == "8"
    head = client.head("/download")
    assert head.status_code == 405  # FastAPI's routes answer only the declared methods


def test_sync_iterator_streams_through_the_threadpool(client: TestClient) -> None:
    with client.stream("GET", "/sync-stream") as response:
        assert list(response.iter_lines()) == ["line 0", "line 1", "line 2"]


def test_router_lifespans_are_merged(anyio_backend: str) -> None:
    calls: list[str] = []

    @contextlib.asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        calls.append("app up")
        yield {"database": "connected"}
        calls.append("app down")

    @contextlib.asynccontextmanager
    async def router_lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        calls.append("router up")
        yield {"cache": "warm"}
        calls.append("router down")

    router = APIRouter(lifespan=router_lifespan)

    @router.get("/state")
    async def read_state(request: Request) -> dict[str, str]:
        return {"database": request.state.database, "cache": request.state.cache}

    app = FastAPI(lifespan=app_lifespan)
    app.include_router(router)
    with open_client(app, anyio_backend) as client:
        assert calls == ["app up", "router up"]
        assert client.get("/state").json() == {"database": "connected", "cache": "warm"}
    assert calls == ["app up", "router up", "router down", "app down"]


class Note(BaseModel):
    text: str


def test_http_middleware_reads_the_body_and_sets_state(anyio_backend: str) -> None:
    app = FastAPI()
    seen: list[bytes] = []

    @app.middleware("http")
    async def log_bodies(request: Request, call_next: Any) -> Response:
        seen.append(await request.body())  # the endpoint must still get the body
        request.state.request_tag = "tagged by middleware"
        response: Response = await call_next(request)
        return response

    def remember(background: BackgroundTasks, request: Request) -> str:
        background.add_task(seen.append, b"from a dependency's background task")
        tag: str = request.state.request_tag
        return tag

    # A local dependency goes in the default: annotations (strings here) are resolved in the module's globals.
    @app.post("/notes")
    async def create_note(note: Note, tag: str = Depends(remember)) -> dict[str, str]:
        return {"text": note.text, "tag": tag}

    with open_client(app, anyio_backend) as client:
        response = client.post("/notes", json={"text": "remember the milk"})
    assert response.json() == {"text": "remember the milk", "tag": "tagged by middleware"}
    assert seen == [b'{"text":"remember the milk"}', b"from a dependency's background task"]
