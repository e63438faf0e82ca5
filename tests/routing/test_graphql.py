"""GraphQLApp over HTTP: GET/POST encodings, status codes, errors, context, background tasks, GraphiQL."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Callable

import graphql
import pytest
from graphql import GraphQLError, GraphQLField, GraphQLObjectType, GraphQLSchema, GraphQLString, build_schema
from graphql.execution import MiddlewareManager

from starlette_core.requests import HTTPConnection, Request
from starlette_core.types import Message
from starlette_routing.applications import Starlette
from starlette_routing.graphql import GraphQLApp
from starlette_routing.routing import Mount, Route
from tests.routing._graphql_schemas import SCHEMAS, Service

TestClientFactory = Callable[..., Any]


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture(params=sorted(SCHEMAS))
def make_app(request: pytest.FixtureRequest, service: Service) -> Callable[..., GraphQLApp]:
    """Build a GraphQLApp on the test schema, once from SDL and once code-first."""

    def make(**options: Any) -> GraphQLApp:
        schema, root_value = SCHEMAS[request.param](service)
        options.setdefault("root_value", root_value)
        return GraphQLApp(schema, **options)

    return make


@pytest.fixture
def client(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> Any:
    return test_client_factory(make_app())


def errors_of(response: Any) -> list[str]:
    return [error["message"] for error in response.json()["errors"]]


# --- GET -------------------------------------------------------------------------------------------------------


def test_get_query(client: Any) -> None:
    response = client.get("/", params={"query": "{ hello }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"hello": "Hello, world!"}}


def test_get_variables_and_operation_name(client: Any) -> None:
    query = "query A($name: String) { hello(name: $name) } query B { whoami }"
    response = client.get("/", params={"query": query, "variables": '{"name": "Ada"}', "operationName": "A"})
    assert response.json() == {"data": {"hello": "Hello, Ada!"}}
    response = client.get("/", params={"query": query, "operationName": "B", "variables": "null"})
    assert response.json() == {"data": {"whoami": "anonymous"}}


def test_get_mutation_is_405(client: Any, service: Service) -> None:
    response = client.get("/", params={"query": "mutation { add(value: 1) }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert errors_of(response) == ["Cannot run a mutation over GET: use POST."]
    assert service.numbers == []


def test_get_invalid_variables(client: Any) -> None:
    for variables, message in [
        ("{not json", "Variables are not valid JSON."),
        ("[" * 20_000, "Variables are not valid JSON."),
        ("[1, 2]", "Variables must be a JSON object."),
        ('"text"', "Variables must be a JSON object."),
    ]:
        response = client.get("/", params={"query": "{ hello }", "variables": variables})
        assert response.status_code == 400
        assert errors_of(response) == [message]


def test_missing_query_is_400(client: Any) -> None:
    for response in [
        client.get("/"),
        client.get("/", params={"query": ""}),
        client.post("/", json={}),
        client.post("/", json={"query": None, "variables": None, "operationName": None}),
        client.post("/", content=b"", headers={"content-type": "application/graphql"}),
    ]:
        assert response.status_code == 400
        assert errors_of(response) == ["No GraphQL query found in the request."]


# --- POST ------------------------------------------------------------------------------------------------------


def test_post_json_with_variables(client: Any) -> None:
    response = client.post(
        "/",
        json={"query": "query Greet($name: String!) { greet(name: $name) }", "variables": {"name": "Bo"}},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"greet": "Hi, Bo!"}}


def test_post_json_content_type_with_parameters(client: Any) -> None:
    body = json.dumps({"query": "{ hello }"}).encode()
    response = client.post("/", content=body, headers={"content-type": "Application/JSON; charset=utf-8"})
    assert response.json() == {"data": {"hello": "Hello, world!"}}


def test_post_mutation(client: Any, service: Service) -> None:
    assert client.post("/", json={"query": "mutation { add(value: 2) }"}).json() == {"data": {"add": 2}}
    response = client.post("/", json={"query": "mutation M($v: Int!) { add(value: $v) }", "variables": {"v": 3}})
    assert response.json() == {"data": {"add": 5}}
    assert service.numbers == [2, 3]


def test_post_application_graphql(client: Any) -> None:
    response = client.post(
        "/", content='{ hello(name: "é") }'.encode(), headers={"content-type": "application/graphql"}
    )
    assert response.json() == {"data": {"hello": "Hello, é!"}}


def test_post_urlencoded_form(client: Any) -> None:
    response = client.post(
        "/",
        data={"query": "query Q($name: String) { hello(name: $name) }", "variables": '{"name": "Form"}'},
    )
    assert response.json() == {"data": {"hello": "Hello, Form!"}}
    response = client.post("/", data={"query": "{ hello }", "variables": "[]"})
    assert response.status_code == 400
    assert errors_of(response) == ["Variables must be a JSON object."]


def test_multipart_without_python_multipart_is_415(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import starlette_core.formparsers
    import starlette_core.requests

    # python-multipart as an earlier test left it in the modules' globals goes (put back afterwards).
    for module in (starlette_core.formparsers, starlette_core.requests):
        for name in ("multipart", "parse_options_header"):
            if name in vars(module):
                monkeypatch.delattr(module, name)
    for name in ("python_multipart", "python_multipart.multipart", "multipart", "multipart.multipart"):
        monkeypatch.setitem(sys.modules, name, None)
    response = client.post("/", files={"query": (None, b"{ hello }")})
    assert response.status_code == 415
    assert errors_of(response) == ["Unsupported content type: multipart forms need python-multipart."]


def test_invalid_json_body_is_400(client: Any) -> None:
    for body, message in [
        (b"{not json", "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        (b"[" * 100_000, "The request body is not valid JSON."),
        (b"[]", "The request body must be a JSON object."),
        (b'"{ hello }"', "The request body must be a JSON object."),
    ]:
        response = client.post("/", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert errors_of(response) == [message]


def test_invalid_json_fields_are_400(client: Any) -> None:
    for payload, message in [
        ({"query": 1}, "The query must be a string."),
        ({"query": "{ hello }", "variables": [1]}, "Variables must be a JSON object."),
        ({"query": "{ hello }", "variables": '{"name": "x"}'}, "Variables must be a JSON object."),
        ({"query": "{ hello }", "operationName": 1}, "The operation name must be a string."),
    ]:
        response = client.post("/", json=payload)
        assert response.status_code == 400
        assert errors_of(response) == [message]


def test_unsupported_content_type_is_415(client: Any) -> None:
    for headers in ({"content-type": "text/plain"}, {}):
        response = client.post("/", content=b"{ hello }", headers=headers)
        assert response.status_code == 415
        assert "application/json" in errors_of(response)[0]


def test_other_methods_are_405(client: Any) -> None:
    for method in ("PUT", "DELETE", "PATCH", "HEAD"):
        response = client.request(method, "/")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"


def test_subscription_over_http_is_400(client: Any, service: Service) -> None:
    for response in [
        client.post("/", json={"query": "subscription { count(to: 2) }"}),
        client.get("/", params={"query": "subscription { count(to: 2) }"}),
    ]:
        assert response.status_code == 400
        assert errors_of(response) == ["Subscriptions are served over WebSocket (graphql-transport-ws)."]
    assert service.started == 0


# --- errors ----------------------------------------------------------------------------------------------------


def test_syntax_error_is_400(client: Any) -> None:
    response = client.post("/", json={"query": "{ hello"})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Syntax Error: Expected Name, found <EOF>.")
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 8}]


def test_validation_error_is_400(client: Any) -> None:
    response = client.post("/", json={"query": "{ hello nope }"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Cannot query field 'nope' on type 'Query'. Did you mean 'node'?",
                "locations": [{"line": 1, "column": 9}],
            }
        ]
    }


def test_request_errors_before_execution_are_400(client: Any) -> None:
    for payload, message in [
        (
            {"query": "query Q($n: String!) { greet(name: $n) }", "variables": {"n": 1}},
            # graphql-core's own messages, worded differently by 3.2 and 3.3
            "Variable '$n' got invalid value 1; String cannot represent a non string value: 1"
            if graphql.version_info < (3, 3)
            else "Variable '$n' has invalid value: String cannot represent a non string value: 1",
        ),
        (
            {"query": "query Q($n: String!) { greet(name: $n) }"},
            "Variable '$n' of required type 'String!' was not provided."
            if graphql.version_info < (3, 3)
            else "Variable '$n' has invalid value: Expected a value of non-null type 'String!'",
        ),
        ({"query": "{ hello }", "operationName": "Missing"}, "Unknown operation named 'Missing'."),
        ({"query": "query A { hello } query B { hello }"}, "Must provide operation name"),
    ]:
        response = client.post("/", json=payload)
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["message"].startswith(message)


def test_execution_error_is_200_with_errors(client: Any) -> None:
    response = client.post("/", json={"query": "{ hello fail }"})
    assert response.status_code == 200
    assert response.json() == {
        "data": {"hello": "Hello, world!", "fail": None},
        "errors": [{"message": "boom", "locations": [{"line": 1, "column": 9}], "path": ["fail"]}],
    }


def test_non_null_error_nulls_data_with_200(client: Any) -> None:
    response = client.post("/", json={"query": "{ hello strict }"})
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [{"message": "no value", "locations": [{"line": 1, "column": 9}], "path": ["strict"]}],
    }


def test_debug_adds_the_traceback(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    quiet = test_client_factory(make_app()).post("/", json={"query": "{ fail }"}).json()
    assert "extensions" not in quiet["errors"][0]
    error = test_client_factory(make_app(debug=True)).post("/", json={"query": "{ fail }"}).json()["errors"][0]
    assert error["message"] == "boom"
    assert error["extensions"]["exception"]["type"] == "ValueError"
    stacktrace = error["extensions"]["exception"]["stacktrace"]
    assert stacktrace[0] == "Traceback (most recent call last):"
    assert stacktrace[-1] == "ValueError: boom"


def test_debug_keeps_error_extensions_and_skips_graphql_errors(test_client_factory: TestClientFactory) -> None:
    class TeapotError(Exception):
        extensions = {"code": "TEAPOT"}

    def teapot(root: Any, info: Any) -> str:
        raise TeapotError("short and stout")

    def plain(root: Any, info: Any) -> str:
        raise GraphQLError("a GraphQL error", extensions={"code": "PLAIN"})

    query = GraphQLObjectType(
        "Query",
        {"teapot": GraphQLField(GraphQLString, resolve=teapot), "plain": GraphQLField(GraphQLString, resolve=plain)},
    )
    client = test_client_factory(GraphQLApp(GraphQLSchema(query), debug=True))
    errors = {
        error["path"][0]: error for error in client.post("/", json={"query": "{ teapot plain }"}).json()["errors"]
    }
    assert errors["teapot"]["extensions"]["code"] == "TEAPOT"
    assert errors["teapot"]["extensions"]["exception"]["type"] == "TeapotError"
    assert errors["plain"]["extensions"] == {"code": "PLAIN"}


# --- context, root value, middleware, background ---------------------------------------------------------------


def test_default_context_has_the_request(client: Any) -> None:
    response = client.post("/", json={"query": "{ whoami }"}, headers={"x-user": "ada"})
    assert response.json() == {"data": {"whoami": "ada"}}


def test_background_tasks_run_after_the_response(client: Any, service: Service) -> None:
    response = client.post("/", json={"query": '{ first: later(tag: "one") second: later(tag: "two") }'})
    assert response.json() == {"data": {"first": True, "second": True}}
    assert service.log == ["one", "two"]


def test_context_value_static_sync_and_async(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    class Headers:
        def __init__(self, user: str) -> None:
            self.headers = {"x-user": user}

    static = {"request": Headers("static")}

    def sync_factory(request: HTTPConnection) -> dict[str, Any]:
        return {"request": Headers("sync " + request.url.path)}

    async def async_factory(request: Request) -> dict[str, Any]:
        return {"request": Headers("async " + request.method)}

    for context_value, expected in [(static, "static"), (sync_factory, "sync /"), (async_factory, "async POST")]:
        client = test_client_factory(make_app(context_value=context_value))
        assert client.post("/", json={"query": "{ whoami }"}).json() == {"data": {"whoami": expected}}


def test_root_value(test_client_factory: TestClientFactory) -> None:
    schema = build_schema("type Query { motto: String }")
    client = test_client_factory(GraphQLApp(schema, root_value={"motto": "from the root"}))
    assert client.get("/", params={"query": "{ motto }"}).json() == {"data": {"motto": "from the root"}}


def test_middleware_list_and_manager(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    def shout(next: Callable[..., Any], root: Any, info: Any, **args: Any) -> Any:
        result = next(root, info, **args)
        return result.upper() if isinstance(result, str) else result

    for middleware in ([shout], MiddlewareManager(shout)):
        client = test_client_factory(make_app(middleware=middleware))
        assert client.post("/", json={"query": "{ hello }"}).json() == {"data": {"hello": "HELLO, WORLD!"}}


def test_async_resolvers_are_awaited(client: Any) -> None:
    response = client.post("/", json={"query": '{ a: greet(name: "a") b: greet(name: "b") pair }'})
    assert response.json() == {"data": {"a": "Hi, a!", "b": "Hi, b!", "pair": [1, 2]}}


# --- GraphiQL --------------------------------------------------------------------------------------------------


def test_graphiql_for_browsers(client: Any) -> None:
    response = client.get("/", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "https://unpkg.com/graphiql@3/graphiql.min.js" in page
    assert "https://unpkg.com/graphiql@3/graphiql.min.css" in page
    assert '"graphql-transport-ws"' in page
    # A browser GET that carries a query gets the result.
    response = client.get("/", params={"query": "{ hello }"}, headers={"accept": "text/html"})
    assert response.json() == {"data": {"hello": "Hello, world!"}}


def test_graphiql_disabled(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(make_app(graphiql=False)).get("/", headers={"accept": "text/html"})
    assert response.status_code == 400
    assert errors_of(response) == ["No GraphQL query found in the request."]


# --- mounting, construction, raw ASGI --------------------------------------------------------------------------


def test_route_and_mount(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    graphql_app = make_app()
    app = Starlette(routes=[Route("/graphql", graphql_app), Mount("/api", app=graphql_app)])
    client = test_client_factory(app)
    assert client.post("/graphql", json={"query": "{ hello }"}).json() == {"data": {"hello": "Hello, world!"}}
    assert client.get("/api/", params={"query": "{ hello }"}).json() == {"data": {"hello": "Hello, world!"}}


def test_invalid_schema_is_rejected_at_construction() -> None:
    with pytest.raises(TypeError, match="Query root type must be provided"):
        GraphQLApp(GraphQLSchema())


@pytest.mark.anyio
async def test_client_disconnect_while_reading_the_body(make_app: Callable[..., GraphQLApp]) -> None:
    app = make_app()
    incoming: list[Message] = [
        {"type": "http.request", "body": b'{"query": ', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover - nothing may be sent

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    await app(scope, receive, send)
    assert sent == []


def test_imports_without_graphql_core() -> None:
    code = (
        "import sys; sys.modules['graphql'] = None\n"
        "import starlette_routing, starlette_routing.graphql\n"
        "for name in ('applications', 'convertors', 'endpoints', 'routing', 'schemas', 'staticfiles', 'templating'):\n"
        "    __import__('starlette_routing.' + name)\n"
        "try:\n"
        "    starlette_routing.graphql.GraphQLApp(None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == (
        "graphql-core>=3.2.14 must be installed to use GraphQLApp: pip install 'graphql-core>=3.2.14'"
    )


def test_missing_graphql_core_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = build_schema("type Query { a: Int }")
    assert schema.query_type is not None
    assert list(schema.query_type.fields) == ["a"]  # resolved while graphql.execution is importable
    # neither 3.3's executor nor 3.2's execute module imports
    monkeypatch.setitem(sys.modules, "graphql.execution.executor", None)
    monkeypatch.setitem(sys.modules, "graphql.execution.execute", None)
    with pytest.raises(ImportError, match=r"pip install 'graphql-core>=3\.2\.14'"):
        GraphQLApp(schema)
