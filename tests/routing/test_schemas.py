from __future__ import annotations

import importlib.util
import sys
from typing import Any, Callable

import pytest
import yaml

import starlette_routing.schemas as schemas_module
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, Response
from starlette_core.websockets import WebSocket
from starlette_routing.applications import Starlette
from starlette_routing.endpoints import HTTPEndpoint
from starlette_routing.routing import Host, Mount, Route, Router, WebSocketRoute
from starlette_routing.schemas import BaseSchemaGenerator, EndpointInfo, OpenAPIResponse, SchemaGenerator

TestClientFactory = Callable[..., Any]

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Example API", "version": "1.0"}})


def list_users(request: Request) -> Response:
    """
    responses:
      200:
        description: A list of users.
        examples:
          [{"username": "tom"}, {"username": "lucy"}]
    """
    return JSONResponse([])


def create_user(request: Request) -> Response:
    """
    Create a user. Prose before the marker is not part of the schema.
    ---
    responses:
      200:
        description: A user.
        examples:
          {"username": "tom"}
    """
    return JSONResponse({})


def get_user(request: Request) -> Response:
    """
    responses:
      200:
        description: One user.
    """
    return JSONResponse({})


def undocumented(request: Request) -> Response:
    return JSONResponse({})


def plain_docstring(request: Request) -> Response:
    """Just prose, no YAML mapping here."""
    return JSONResponse({})


def hidden(request: Request) -> Response:
    """
    responses:
      200:
        description: Never in the schema.
    """
    return JSONResponse({})


class Organisations(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        """
        responses:
          200:
            description: A list of organisations.
        """
        return JSONResponse([])

    async def post(self, request: Request) -> Response:
        """
        responses:
          200:
            description: An organisation.
        """
        return JSONResponse({})


class Handlers:
    def user_by_name(self, request: Request) -> Response:
        """
        responses:
          200:
            description: A user looked up by name.
        """
        return JSONResponse({})


async def ws(websocket: WebSocket) -> None:
    """
    responses:
      200:
        description: Websockets are not in the schema.
    """
    await websocket.close()  # pragma: no cover


def schema_endpoint(request: Request) -> Response:
    return schemas.OpenAPIResponse(request=request)


subapp = Starlette(routes=[Route("/subapp-endpoint", endpoint=list_users)])

routes = [
    WebSocketRoute("/ws", endpoint=ws),
    Route("/users", endpoint=list_users, methods=["GET", "HEAD"]),
    Route("/users", endpoint=create_user, methods=["POST"]),
    Route("/users/{id:int}", endpoint=get_user, methods=["GET"]),
    Route("/users/{name}/by-name", endpoint=Handlers().user_by_name, methods=["GET"]),
    Route("/orgs", endpoint=Organisations),
    Route("/undocumented", endpoint=undocumented, methods=["GET"]),
    Route("/plain", endpoint=plain_docstring, methods=["GET"]),
    Route("/hidden", endpoint=hidden, methods=["GET"], include_in_schema=False),
    Mount("/sub/{tenant:str}", routes=[Route("/items/{item:int}", endpoint=get_user, methods=["GET"])]),
    Mount("/subapp", app=subapp),
    Mount("/static", app=Response("not a router")),
    Host("api.example.org", app=Router(routes=[Route("/host-route", endpoint=get_user, methods=["GET"])])),
    Route("/schema", endpoint=schema_endpoint, methods=["GET"], include_in_schema=False),
]

app = Starlette(routes=routes)

USER_LIST = {
    "responses": {200: {"description": "A list of users.", "examples": [{"username": "tom"}, {"username": "lucy"}]}}
}
USER = {"responses": {200: {"description": "A user.", "examples": {"username": "tom"}}}}
ONE_USER = {"responses": {200: {"description": "One user."}}}

EXPECTED = {
    "openapi": "3.0.0",
    "info": {"title": "Example API", "version": "1.0"},
    "paths": {
        "/users": {"get": USER_LIST, "post": USER},
        "/users/{id}": {"get": ONE_USER},
        "/users/{name}/by-name": {"get": {"responses": {200: {"description": "A user looked up by name."}}}},
        "/orgs": {
            "get": {"responses": {200: {"description": "A list of organisations."}}},
            "post": {"responses": {200: {"description": "An organisation."}}},
        },
        "/sub/{tenant}/items/{item}": {"get": ONE_USER},
        "/subapp/subapp-endpoint": {"get": USER_LIST},
        "/host-route": {"get": ONE_USER},
    },
}


def test_schema_generation() -> None:
    assert schemas.get_schema(routes=app.routes) == EXPECTED


def test_get_endpoints() -> None:
    endpoints = {(e.path, e.http_method, e.func) for e in schemas.get_endpoints(app.routes)}
    org_get = Organisations.get
    org_post = Organisations.post
    assert endpoints == {
        ("/users", "get", list_users),
        ("/users", "post", create_user),
        ("/users/{id}", "get", get_user),
        ("/users/{name}/by-name", "get", routes[4].endpoint),  # type: ignore[attr-defined]
        ("/orgs", "get", org_get),
        ("/orgs", "post", org_post),
        ("/undocumented", "get", undocumented),
        ("/plain", "get", plain_docstring),
        ("/sub/{tenant}/items/{item}", "get", get_user),
        ("/subapp/subapp-endpoint", "get", list_users),
        ("/host-route", "get", get_user),
    }


def test_route_without_explicit_methods_lists_get_but_not_head() -> None:
    endpoints = BaseSchemaGenerator().get_endpoints([Route("/x", endpoint=get_user)])
    assert endpoints == [EndpointInfo("/x", "get", get_user)]


def test_endpoint_info_is_a_named_tuple() -> None:
    info = EndpointInfo(path="/a", http_method="get", func=get_user)
    assert (info.path, info.http_method, info.func) == ("/a", "get", get_user)
    assert tuple(info) == ("/a", "get", get_user)
    assert repr(info).startswith("EndpointInfo(path='/a', http_method='get', func=")


def test_base_schema_is_not_modified() -> None:
    base: dict[str, Any] = {"openapi": "3.0.0", "paths": {"/users": {"delete": {"summary": "kept"}}}}
    generator = SchemaGenerator(base)
    schema = generator.get_schema([Route("/users", endpoint=list_users, methods=["GET"])])
    assert schema["paths"]["/users"] == {"delete": {"summary": "kept"}, "get": USER_LIST}
    assert base == {"openapi": "3.0.0", "paths": {"/users": {"delete": {"summary": "kept"}}}}
    assert generator.get_schema([]) == base


def test_base_schema_get_schema_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        BaseSchemaGenerator().get_schema([])


def test_parse_docstring() -> None:
    generator = BaseSchemaGenerator()
    assert generator.parse_docstring(list_users) == USER_LIST
    assert generator.parse_docstring(create_user) == USER
    assert generator.parse_docstring(undocumented) == {}
    assert generator.parse_docstring(plain_docstring) == {}

    def several_markers() -> None:
        """
        first: ignored
        ---
        second: ignored
        ---
        third: used
        """

    def only_a_list() -> None:
        """
        - a
        - b
        """

    def empty_after_marker() -> None:
        """Prose.
        ---
        """

    assert generator.parse_docstring(several_markers) == {"third": "used"}
    assert generator.parse_docstring(only_a_list) == {}
    assert generator.parse_docstring(empty_after_marker) == {}


def test_schema_endpoint(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    assert yaml.safe_load(response.text) == EXPECTED


def test_openapi_response_renders_yaml() -> None:
    response = OpenAPIResponse({"b": 1, "a": {"nested": [1, 2]}})
    assert response.media_type == "application/vnd.oai.openapi"
    assert response.body == b"a:\n  nested:\n  - 1\n  - 2\nb: 1\n"
    assert yaml.safe_load(bytes(response.body)) == {"a": {"nested": [1, 2]}, "b": 1}


def test_openapi_response_needs_a_dict() -> None:
    with pytest.raises(AssertionError, match=r"^The schema passed to OpenAPIResponse should be a dictionary\.$"):
        OpenAPIResponse(["not", "a", "dict"])


def test_without_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(schemas_module, "yaml", raising=False)  # imported there by an earlier test: put back after
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r"pyyaml must be installed to use OpenAPIResponse: pip install pyyaml"):
        OpenAPIResponse({})
    generator = BaseSchemaGenerator()
    with pytest.raises(ImportError, match=r"pyyaml must be installed to use parse_docstring: pip install pyyaml"):
        generator.parse_docstring(list_users)
    # No docstring, no YAML needed.
    assert generator.parse_docstring(undocumented) == {}


def test_module_imports_without_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    spec = importlib.util.spec_from_file_location("_schemas_without_yaml", schemas_module.__file__)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert fresh.SchemaGenerator({"openapi": "3.0.0"}).get_endpoints(routes) == schemas.get_endpoints(routes)
