"""starlette.graphql with multipart form bodies (python-multipart comes with starlette[full])."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from graphql import build_schema

from starlette.applications import Starlette
from starlette.graphql import GraphQLApp
from starlette.routing import Route

TestClientFactory = Callable[..., Any]


class Root:
    def hello(self, info: Any, name: str) -> str:
        return f"Hello, {name}!"


@pytest.fixture
def graphql_app() -> GraphQLApp:
    schema = build_schema('type Query { hello(name: String = "world"): String! }')
    return GraphQLApp(schema, root_value=Root())


def errors_of(response: Any) -> list[str]:
    return [error["message"] for error in response.json()["errors"]]


def test_post_multipart_form(graphql_app: GraphQLApp, test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(graphql_app).post(
        "/",
        data={"query": "query Q($name: String) { hello(name: $name) }", "variables": '{"name": "Multi"}'},
        files={"attachment": ("a.txt", b"ignored", "text/plain")},
    )
    assert response.json() == {"data": {"hello": "Hello, Multi!"}}


def test_multipart_file_as_query_is_400(graphql_app: GraphQLApp, test_client_factory: TestClientFactory) -> None:
    files = {"query": ("q.graphql", b"{ hello }", "application/graphql")}
    response = test_client_factory(graphql_app).post("/", files=files)
    assert response.status_code == 400
    assert errors_of(response) == ["The query field must be a string."]


def test_malformed_multipart_is_400(graphql_app: GraphQLApp, test_client_factory: TestClientFactory) -> None:
    body = b"--xyz\r\nContent-Disposition: form-data; name=query\r\n\r\n{ hello }\r\n--xyz--\r\n"
    bare = test_client_factory(graphql_app)
    # Inside a Starlette app the form parser reports the same problem as an HTTPException(400).
    inside = test_client_factory(Starlette(routes=[Route("/", graphql_app)]))
    for client in (bare, inside):
        response = client.post("/", content=body, headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert response.json() == {"data": {"hello": "Hello, world!"}}
        response = client.post("/", content=body, headers={"content-type": "multipart/form-data"})
        assert response.status_code == 400
        assert errors_of(response) == ["Missing boundary in multipart."]
