"""FastAPI 0.116.1 on our meta-package: parameters, dependencies, routers, errors, middleware, background tasks,
WebSockets, static files, lifespan and the generated OpenAPI, through fastapi.testclient on asyncio and trio."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import starlette_routing.applications
from starlette.applications import Starlette
from starlette.testclient import TestClient as StarletteTestClient
from starlette.websockets import WebSocketDisconnect
from tests.integration.fastapi_app import create_app, open_client


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "static"
    directory.mkdir()
    (directory / "hello.txt").write_text("hello, static world\n")
    return directory


@pytest.fixture
def app(static_dir: Path) -> FastAPI:
    return create_app(static_dir)


@pytest.fixture
def client(app: FastAPI, anyio_backend: str) -> Iterator[TestClient]:
    with open_client(app, anyio_backend) as test_client:
        yield test_client


def events(app: FastAPI) -> list[str]:
    recorded: list[str] = app.state.events
    return recorded


def since(app: FastAPI, first: str) -> list[str]:
    """The events from the first ``first`` on."""
    recorded = events(app)
    return recorded[recorded.index(first) :]


KEY = {"x-key": "let-me-in"}


def test_fastapi_uses_our_starlette() -> None:
    assert TestClient is StarletteTestClient
    assert fastapi.__version__ == "0.116.1"
    assert issubclass(FastAPI, Starlette)
    assert Starlette is starlette_routing.applications.Starlette


# --- parameters


def test_path_query_and_dependency_parameters(client: TestClient) -> None:
    response = client.get("/v1/items/7?q=needle&tags=a&tags=b&skip=5&limit=20", headers=KEY)
    assert response.status_code == 200
    assert response.json() == {"item_id": 7, "q": "needle", "tags": ["a", "b"], "page": {"skip": 5, "limit": 20}}
    defaults = client.get("/v1/items/1", headers=KEY).json()
    assert defaults == {"item_id": 1, "q": None, "tags": [], "page": {"skip": 0, "limit": 10}}


def test_invalid_parameters_reach_the_custom_validation_handler(client: TestClient) -> None:
    response = client.get("/v1/items/0?limit=1000", headers=KEY)
    assert response.status_code == 422
    body = response.json()
    assert body["handled_by"] == "custom"
    locations = sorted(tuple(error["loc"]) for error in body["detail"])
    assert locations == [("path", "item_id"), ("query", "limit")]

    not_an_int = client.get("/v1/items/seven", headers=KEY).json()
    assert not_an_int["detail"][0]["type"] == "int_parsing"


def test_enum_and_path_convertor_parameters(client: TestClient) -> None:
    assert client.get("/colors/red").json() == {"color": "red", "is_red": "True"}
    assert client.get("/colors/purple").status_code == 422
    assert client.get("/files/docs/guide/intro.md").json() == {"file_path": "docs/guide/intro.md"}


def test_json_body_with_response_model(client: TestClient, app: FastAPI) -> None:
    item = {"name": "Widget", "price": 9.5, "tags": ["new"], "secret_note": "internal"}
    response = client.post("/v1/items", json=item, headers=KEY)
    assert response.status_code == 201
    assert response.json() == {"id": 1, "name": "Widget", "price": 9.5, "tags": ["new"]}  # secret_note filtered
    assert since(app, "db open") == [
        "db open",
        "insert Widget",
        "db commit",
        "db close",
        "middleware saw POST /v1/items",
    ]


def test_invalid_and_malformed_json_bodies(client: TestClient) -> None:
    invalid = client.post("/v1/items", json={"name": "", "price": -1}, headers=KEY)
    assert invalid.status_code == 422
    assert {error["loc"][-1] for error in invalid.json()["detail"]} == {"name", "price"}
    assert invalid.json()["body"] == {"name": "", "price": -1}

    malformed = client.post("/v1/items", content=b'{"name": ', headers={"content-type": "application/json", **KEY})
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["type"] == "json_invalid"


def test_several_body_parameters_and_embedding(client: TestClient) -> None:
    payload = {"item": {"name": "Gear", "price": 2}, "user": {"username": "ada"}, "importance": 3}
    response = client.put("/v1/items/4", json=payload, headers=KEY)
    assert response.json() == {
        "item_id": 4,
        "item": {"name": "Gear", "price": 2.0, "tags": [], "secret_note": None},
        "user": {"username": "ada", "admin": False},
        "importance": 3,
    }
    assert client.post("/v1/items/embedded", json={"item": {"name": "E", "price": 1}}, headers=KEY).json() == {
        "name": "E"
    }
    assert client.post("/v1/items/embedded", json={"name": "E", "price": 1}, headers=KEY).status_code == 422


def test_header_and_cookie_parameters(client: TestClient) -> None:
    client.cookies.set("session_id", "abc123")
    response = client.get("/headers", headers=[("user-agent", "pytest"), ("x-token", "one"), ("x-token", "two")])
    assert response.json() == {"user_agent": "pytest", "x_token": ["one", "two"], "session_id": "abc123"}


def test_response_parameter_sets_cookie_header_and_status(client: TestClient) -> None:
    response = client.get("/cookie-and-header")
    assert response.status_code == 202
    assert response.headers["x-custom"] == "set by the endpoint"
    assert "last_query=from-a-cookie" in response.headers["set-cookie"]
    # The cookie now feeds a sub-dependency that reads either the query or the cookie.
    assert client.get("/search").json()["sub"] == "sub-dependency saw 'from-a-cookie'"
    assert client.get("/search?q=typed").json()["sub"] == "sub-dependency saw 'typed'"


def test_form_and_file_uploads(client: TestClient) -> None:
    files = [
        ("document", ("report.pdf", b"%PDF-1.7 fake", "application/pdf")),
        ("extras", ("a.png", b"png", "image/png")),
        ("extras", ("b.png", b"png", "image/png")),
    ]
    response = client.post("/form", data={"username": "ada"}, files=files)
    assert response.status_code == 200
    assert response.json() == {
        "username": "ada",
        "document": {"filename": "report.pdf", "size": 13, "type": "application/pdf"},
        "extras": ["a.png", "b.png"],
    }
    missing = client.post("/form", data={"username": "ada"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "document"]

    assert client.post("/login", data={"username": "ada", "password": "secret"}).json() == {
        "username": "ada",
        "password_length": "6",
    }
    assert client.post("/login", data={"username": "a", "password": "x"}).status_code == 422


def test_malformed_multipart_is_a_400(client: TestClient) -> None:
    response = client.post("/form", content=b"garbage", headers={"content-type": "multipart/form-data"})
    assert response.status_code == 400


# --- dependencies


def test_class_dependencies_and_caching(client: TestClient) -> None:
    response = client.get("/search?q=term&exact=true")
    assert response.json() == {
        "q": "term",
        "exact": True,
        "counts": [1, 1, 2],  # the cached dependency ran once, the uncached one again
        "sub": "sub-dependency saw 'term'",
    }


def test_yield_dependency_cleanup_and_exceptions(client: TestClient, app: FastAPI) -> None:
    response = client.post("/v1/items/fail", headers=KEY)
    assert response.status_code == 409
    assert response.json() == {"detail": "transaction rolled back"}
    assert since(app, "db open") == [
        "db open",
        "insert doomed",
        "db rollback",
        "db close",
        "http error 409",
        "middleware saw POST /v1/items/fail",
    ]


def test_sync_yield_dependency_runs_in_the_threadpool(client: TestClient, app: FastAPI) -> None:
    assert client.get("/sync").json() == {"resource": "resource"}
    assert since(app, "sync resource open") == [
        "sync resource open",
        "sync endpoint",
        "sync resource close",
        "middleware saw GET /sync",
    ]


def test_router_dependency_guards_every_route(client: TestClient, app: FastAPI) -> None:
    response = client.get("/v1/items/1")
    assert response.status_code == 403
    assert response.json() == {"detail": "bad key"}
    assert response.headers["x-reason"] == "key"
    assert client.get("/v1/items/1", headers={"x-key": "wrong"}).status_code == 403


def test_dependency_overrides(app: FastAPI, anyio_backend: str) -> None:
    from tests.integration.fastapi_app import verify_key

    app.dependency_overrides[verify_key] = lambda: None
    with open_client(app, anyio_backend) as client:
        assert client.get("/v1/items/3").json()["item_id"] == 3
    app.dependency_overrides.clear()
    with open_client(app, anyio_backend) as client:
        assert client.get("/v1/items/3").status_code == 403


def test_oauth2_security_dependency(client: TestClient) -> None:
    anonymous = client.get("/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json() == {"detail": "Not authenticated"}
    assert client.get("/me", headers={"authorization": "Bearer nope"}).json() == {"detail": "bad token"}
    assert client.get("/me", headers={"authorization": "Bearer valid-ada-admin"}).json() == {
        "username": "ada-admin",
        "admin": True,
    }


# --- errors


def test_not_found_and_method_not_allowed_use_fastapi_handlers(client: TestClient, app: FastAPI) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong_method = client.delete("/colors/red")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Method Not Allowed"}
    assert wrong_method.headers["allow"] == "GET"
    assert "http error 404" in events(app)
    assert "http error 405" in events(app)


def test_http_exception_with_structured_detail_and_headers(client: TestClient) -> None:
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.json() == {"detail": {"reason": "short and stout"}}
    assert response.headers["x-tea"] == "earl grey"


def test_custom_exception_handler(client: TestClient) -> None:
    response = client.get("/unicorn/rainbow")
    assert response.status_code == 418
    assert response.json() == {"message": "Oops! rainbow did something."}


def test_unhandled_exception_goes_to_the_500_handler(app: FastAPI, anyio_backend: str) -> None:
    with open_client(app, anyio_backend, raise_server_exceptions=False) as client:
        response = client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"error": "ZeroDivisionError"}
    with open_client(app, anyio_backend) as client, pytest.raises(ZeroDivisionError):
        client.get("/crash")


# --- background tasks, middleware, responses


def test_background_tasks_run_after_the_response(client: TestClient, app: FastAPI) -> None:
    response = client.post("/tasks")
    assert response.status_code == 202
    assert response.json() == {"status": "scheduled"}
    assert since(app, "db open") == [
        "db open",
        "insert task",
        "endpoint returns",
        "db commit",
        "db close",
        # BaseHTTPMiddleware's dispatch gets the response before its body (and the background tasks) runs.
        "middleware saw POST /tasks",
        "async task: sent",
        "sync task: written",
    ]


def test_http_middleware_decorator(client: TestClient, app: FastAPI) -> None:
    response = client.get("/colors/green")
    assert float(response.headers["x-process-time"]) >= 0
    assert events(app)[-1] == "middleware saw GET /colors/green"


def test_cors_middleware(client: TestClient) -> None:
    preflight = client.options(
        "/v1/items/1",
        headers={
            "origin": "https://front.example",
            "access-control-request-method": "GET",
            "access-control-request-headers": "x-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://front.example"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-key" in preflight.headers["access-control-allow-headers"].lower()

    simple = client.get("/colors/red", headers={"origin": "https://front.example"})
    assert simple.headers["access-control-allow-origin"] == "https://front.example"
    assert simple.headers["access-control-expose-headers"] == "x-process-time"

    foreign = client.options(
        "/v1/items/1", headers={"origin": "https://evil.example", "access-control-request-method": "GET"}
    )
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers


def test_gzip_middleware(client: TestClient) -> None:
    response = client.get("/large", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"numbers": list(range(2000))}
    identity = client.get("/large", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in identity.headers
    assert identity.json() == {"numbers": list(range(2000))}


def test_streaming_html_and_redirect_responses(client: TestClient) -> None:
    with client.stream("GET", "/stream") as response:
        assert list(response.iter_lines()) == ["0", "1", "2"]
    html = client.get("/html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.text == "<h1>Hello from FastAPI</h1>"
    redirect = client.get("/redirect", follow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "http://testserver/colors/green"


# --- static files, sub-applications, lifespan


def test_static_files_mount(client: TestClient) -> None:
    response = client.get("/static/hello.txt")
    assert response.text == "hello, static world\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/static/hello.txt", headers={"if-none-match": response.headers["etag"]}).status_code == 304
    assert client.get("/static/hello.txt", headers={"range": "bytes=0-4"}).text == "hello"
    assert client.get("/static/missing.txt").status_code == 404
    assert client.get("/static-url").json() == {"url": "http://testserver/static/hello.txt"}


def test_mounted_sub_application(client: TestClient) -> None:
    assert client.get("/sub/ping").json() == {"root_path": "/sub", "url": "http://testserver/sub/ping"}
    schema = client.get("/sub/openapi.json").json()
    assert schema["info"]["title"] == "Sub API"
    assert list(schema["paths"]) == ["/ping"]
    assert schema["servers"] == [{"url": "/sub"}]
    docs = client.get("/sub/docs")
    assert docs.status_code == 200
    assert "/sub/openapi.json" in docs.text


def test_lifespan_startup_state_and_shutdown(app: FastAPI, anyio_backend: str) -> None:
    client = open_client(app, anyio_backend)
    assert app.state.started is False
    with client:
        assert events(app) == ["lifespan startup"]
        assert client.get("/lifespan-state").json() == {"model": "a loaded model", "started": True}
    assert events(app)[-1] == "lifespan shutdown"


def test_deprecated_on_event_handlers(anyio_backend: str) -> None:
    app = FastAPI()
    calls: list[str] = []
    with pytest.deprecated_call():

        @app.on_event("startup")
        def startup() -> None:
            calls.append("startup")

    with pytest.deprecated_call():

        @app.on_event("shutdown")
        async def shutdown() -> None:
            calls.append("shutdown")

    with open_client(app, anyio_backend):
        assert calls == ["startup"]
    assert calls == ["startup", "shutdown"]


# --- websockets


def test_websocket_with_path_query_and_dependency(client: TestClient, app: FastAPI) -> None:
    with client.websocket_connect("/ws/lobby?token=sesame&nickname=ada") as websocket:
        assert websocket.receive_json() == {"room": "lobby", "nickname": "ada", "token": "sesame"}
        websocket.send_json({"text": "hi"})
        assert websocket.receive_json() == {"room": "lobby", "echo": {"text": "hi"}}
        websocket.close(code=1001)
    assert "ada left lobby with 1001" in events(app)


def test_websocket_exception_from_a_dependency(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/lobby?token=wrong"):
        pass  # pragma: no cover - the connection is refused
    assert info.value.code == 1008
    assert info.value.reason == "bad token"


def test_websocket_validation_error_closes_with_policy_violation(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws-count?start=many"):
        pass  # pragma: no cover - the connection is refused
    assert info.value.code == 1008
    reason: Any = info.value.reason
    assert "int_parsing" in str(reason)


def test_websocket_close_code_from_the_endpoint(client: TestClient) -> None:
    with client.websocket_connect("/ws-count?start=41") as websocket:
        assert websocket.receive_text() == "42"
        with pytest.raises(WebSocketDisconnect) as info:
            websocket.receive_text()
    assert info.value.code == 4000
    assert info.value.reason == "done counting"


# --- OpenAPI


def test_openapi_schema(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"] == {
        "title": "Integration API",
        "description": "FastAPI on our meta-package",
        "version": "2.5.0",
    }
    paths = schema["paths"]
    assert "/hidden" not in paths
    assert not any(path.startswith(("/static/", "/sub/", "/ws")) for path in paths)

    read = paths["/v1/items/{item_id}"]["get"]
    assert read["tags"] == ["items"]
    parameters = {parameter["name"]: parameter for parameter in read["parameters"]}
    assert parameters["item_id"]["in"] == "path"
    assert parameters["item_id"]["schema"] == {"type": "integer", "minimum": 1, "title": "The item's id"}
    assert parameters["x-key"]["in"] == "header"
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["tags"]["schema"]["type"] == "array"

    create = paths["/v1/items"]["post"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/Item"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemOut"
    }
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    assert schema["components"]["schemas"]["Item"]["properties"]["name"]["description"] == "What it is called"

    form = paths["/form"]["post"]["requestBody"]["content"]
    assert list(form) == ["multipart/form-data"]
    assert paths["/colors/{color}"]["get"]["parameters"][0]["schema"] == {"$ref": "#/components/schemas/Color"}
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["type"] == "oauth2"
    assert paths["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": ["items:read"]}]
    assert client.get("/openapi.json").json() == schema  # cached, stable


def test_interactive_docs(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"] == "text/html; charset=utf-8"
    assert "swagger-ui" in docs.text
    assert "/openapi.json" in docs.text
    assert client.get("/docs/oauth2-redirect").status_code == 200
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    assert "redoc" in redoc.text
