"""Routing additions of upstream 1.x: the QUERY method in HTTPEndpoint and in OpenAPI schemas, HEAD in an
HTTPEndpoint's Allow header, url_path_for keeping values that look like placeholders, case-insensitive Host
routing, and ``PARAM_FORMAT_REGEX``. Expected values are upstream 1.10's, observed by running it."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_routing import routing
from starlette_routing.applications import Starlette
from starlette_routing.endpoints import HTTPEndpoint
from starlette_routing.routing import Host, Mount, NoMatchFound, Route, Router, compile_path, replace_params
from starlette_routing.schemas import SchemaGenerator

TestClientFactory = Callable[..., Any]


def text(request: Request) -> Response:
    return PlainTextResponse(f"{request.path_params} {request.url}")


# ---------------------------------------------------------------------------------------------------------------
# HTTPEndpoint: QUERY, and HEAD in Allow


class Search(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("get")

    async def query(self, request: Request) -> Response:
        return PlainTextResponse("query " + (await request.body()).decode())


def test_http_endpoint_dispatches_query(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/", Search)]))
    response = client.request("QUERY", "/", content=b"name=x")
    assert (response.status_code, response.text) == (200, "query name=x")
    assert client.get("/").text == "get"


def test_sync_query_handler(test_client_factory: TestClientFactory) -> None:
    class OnlyQuery(HTTPEndpoint):
        def query(self, request: Request) -> Response:
            return PlainTextResponse("q")

    client = test_client_factory(OnlyQuery)
    assert client.request("QUERY", "/").text == "q"
    for method in ("GET", "HEAD", "PUT"):
        response = client.request(method, "/")
        assert (response.status_code, response.headers["allow"]) == (405, "QUERY")


@pytest.mark.parametrize("method", ["PUT", "TRACE", "DISPATCH"])
def test_allow_lists_head_and_query(test_client_factory: TestClientFactory, method: str) -> None:
    response = test_client_factory(Router([Route("/", Search)])).request(method, "/")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD, QUERY")


def _endpoint(*names: str) -> type[HTTPEndpoint]:
    def handler(self: HTTPEndpoint, request: Request) -> Response:  # pragma: no cover - never dispatched here
        return PlainTextResponse("")

    return type("Endpoint", (HTTPEndpoint,), dict.fromkeys(names, handler))


@pytest.mark.parametrize(
    ("names", "allow"),
    [
        (
            ("query", "options", "delete", "patch", "put", "post", "head", "get"),
            "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, QUERY",
        ),
        (("get",), "GET, HEAD"),
        (("get", "head"), "GET, HEAD"),
        (("post", "get"), "GET, HEAD, POST"),
        (("head",), "HEAD"),
        (("post",), "POST"),
        ((), ""),
    ],
)
def test_allowed_methods_order(test_client_factory: TestClientFactory, names: tuple[str, ...], allow: str) -> None:
    response = test_client_factory(_endpoint(*names)).request("TRACE", "/")
    assert (response.status_code, response.headers["allow"]) == (405, allow)


def test_query_set_to_none_is_not_allowed(test_client_factory: TestClientFactory) -> None:
    class NoQuery(Search):
        query = None  # type: ignore[assignment]

    client = test_client_factory(NoQuery)
    response = client.request("QUERY", "/")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD")


def test_http_exception_inside_an_app_carries_head(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        seen.append(exc.headers)
        return PlainTextResponse("nope", status_code=405)

    app = Starlette(routes=[Route("/", _endpoint("get"))], exception_handlers={405: handler})
    assert test_client_factory(app).delete("/").text == "nope"
    assert seen == [{"Allow": "GET, HEAD"}]


def test_route_allow_unchanged(test_client_factory: TestClientFactory) -> None:
    # A function Route already listed HEAD with GET (as 0.47.3 and 1.10); QUERY routes like any other method.
    client = test_client_factory(
        Router([Route("/", text, methods=["GET", "QUERY"]), Route("/q", text, methods=["query"])])
    )
    assert client.request("QUERY", "/").status_code == 200
    assert client.put("/").headers["allow"] == "GET, HEAD, QUERY"
    assert client.get("/q").headers["allow"] == "QUERY"


# ---------------------------------------------------------------------------------------------------------------
# OpenAPI schemas


def documented(request: Request) -> Response:  # pragma: no cover - never called
    """
    responses:
      200:
        description: function
    """
    return PlainTextResponse("")


class Documented(HTTPEndpoint):
    def get(self, request: Request) -> Response:  # pragma: no cover - never called
        """
        responses:
          200:
            description: get
        """
        return PlainTextResponse("")

    def query(self, request: Request) -> Response:  # pragma: no cover - never called
        """
        responses:
          200:
            description: query
        """
        return PlainTextResponse("")


schema_routes = [Route("/e", Documented), Route("/f", documented, methods=["QUERY", "POST"])]


def test_get_endpoints_lists_query() -> None:
    endpoints = SchemaGenerator({}).get_endpoints(schema_routes)  # type: ignore[arg-type]
    assert [(e.path, e.http_method) for e in endpoints if e.path == "/e"] == [("/e", "get"), ("/e", "query")]
    assert sorted((e.path, e.http_method) for e in endpoints if e.path == "/f") == [("/f", "post"), ("/f", "query")]
    assert [e.func for e in endpoints if e.http_method == "query"] == [Documented.query, documented]


@pytest.mark.parametrize(
    "version",
    ["3.2.0", "3.2", 3.2, "3.2.0-rc1", "3.10.0", "4.0.0", "10.0", "03.2", "3.2.x", "3.2 ", "3.02", "3.2.0.1"],
)
def test_schema_has_query_from_openapi_3_2(version: object) -> None:
    paths = SchemaGenerator({"openapi": version}).get_schema(schema_routes)["paths"]  # type: ignore[arg-type]
    assert paths["/e"] == {
        "get": {"responses": {200: {"description": "get"}}},
        "query": {"responses": {200: {"description": "query"}}},
    }
    assert paths["/f"] == {
        "post": {"responses": {200: {"description": "function"}}},
        "query": {"responses": {200: {"description": "function"}}},
    }


@pytest.mark.parametrize(
    "version",
    ["3.0.0", "3.1.0", "3.1.99", "2.0", "3", "4", "4.x", "v3.2", " 3.2", "+3.2", "3.", ".2", "", None, [3, 2]],
)
def test_schema_has_no_query_before_openapi_3_2(version: object) -> None:
    base: dict[str, Any] = {"info": {"title": "t"}}
    if version is not None:
        base["openapi"] = version
    schema = SchemaGenerator(base).get_schema(schema_routes)  # type: ignore[arg-type]
    assert schema["paths"] == {
        "/e": {"get": {"responses": {200: {"description": "get"}}}},
        "/f": {"post": {"responses": {200: {"description": "function"}}}},
    }


# ---------------------------------------------------------------------------------------------------------------
# url_path_for: values that look like placeholders


def test_route_keeps_placeholder_values() -> None:
    router = Router([Route("/{a}/{b}", text, name="r")])
    assert router.url_path_for("r", a="{b}", b="x") == "/{b}/x"
    assert router.url_path_for("r", a="x", b="{a}") == "/x/{a}"
    assert router.url_path_for("r", a="{a}", b="{c}") == "/{a}/{c}"


def test_convertor_values_are_not_substituted_again() -> None:
    router = Router([Route("/{a:path}/{b:int}", text, name="r")])
    assert router.url_path_for("r", a="{b}", b=3) == "/{b}/3"


def test_mount_keeps_placeholder_values() -> None:
    router = Router([Mount("/{a}", routes=[Route("/{b}", text, name="r")], name="m")])
    # (0.47.3: "/x/x"'s mount prefix took the route's value, or a KeyError, a 500, for {b}.)
    assert router.url_path_for("m:r", a="{b}", b="x") == "/{b}/x"
    assert router.url_path_for("m:r", a="{path}", b="q") == "/{path}/q"
    assert router.url_path_for("m", a="{path}", path="/zz") == "/{path}/zz"
    assert router.url_path_for("m", a="q", path="/{a}") == "/q/{a}"


def test_host_keeps_placeholder_values() -> None:
    router = Router([Host("{sub}.{dom}.com", Router([Route("/{b}", text, name="r")]), name="h")])
    url = router.url_path_for("h:r", sub="{dom}", dom="x", b="y")
    assert (url, url.host) == ("/y", "{dom}.x.com")
    url = router.url_path_for("h", sub="{dom}", dom="x", path="/p")
    assert (url, url.host) == ("/p", "{dom}.x.com")


def test_replace_params() -> None:
    _, path_format, convertors = compile_path("/{a}/{b:int}")
    params: dict[str, Any] = {"a": "{b}", "b": 3, "c": "z"}
    assert replace_params(path_format, convertors, params) == ("/{b}/3", {"c": "z"})
    # A placeholder without a value stays; one that appears twice takes the value twice.
    assert replace_params("/{a}/{zz}", convertors, {"a": "q"}) == ("/q/{zz}", {})
    assert replace_params("/{a}/{a}", convertors, {"a": "{a}"}) == ("/{a}/{a}", {})
    with pytest.raises(KeyError):
        replace_params("/{a}", {}, {"a": "q"})


def test_url_path_for_still_needs_every_parameter() -> None:
    router = Router([Route("/{a}/{b}", text, name="r")])
    with pytest.raises(NoMatchFound):
        router.url_path_for("r", a="{b}")


# ---------------------------------------------------------------------------------------------------------------
# Case-insensitive Host routing


host_app = Starlette(
    routes=[
        Host("{sub}.Example.com", Router([Route("/", text)]), name="h"),
        Host("API.example.org", Router([Route("/", lambda request: PlainTextResponse("org"))])),
        Route("/", lambda request: PlainTextResponse("fallback")),
    ]
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.example.com", "{'sub': 'api'} http://api.example.com/"),
        ("API.Example.COM", "{'sub': 'api'} http://API.Example.COM/"),
        ("API.EXAMPLE.COM:8000", "{'sub': 'api'} http://API.EXAMPLE.COM:8000/"),
        ("Api.example.com:80", "{'sub': 'api'} http://Api.example.com:80/"),
        ("api.example.org", "org"),
        ("Api.Example.ORG:1", "org"),
        ("api.example.com.", "fallback"),
        ("api.example.net", "fallback"),
    ],
)
def test_host_matches_any_case(test_client_factory: TestClientFactory, host: str, expected: str) -> None:
    assert test_client_factory(host_app).get("/", headers={"host": host}).text == expected


def test_host_patterns_compile_ignoring_case() -> None:
    assert compile_path("API.Example.com")[0] == re.compile(r"^API\.Example\.com$", re.IGNORECASE)
    assert compile_path("{sub}.example.com:{port:int}")[0].flags & re.IGNORECASE
    # A path does not: paths are case-sensitive.
    assert compile_path("/A/b")[0] == re.compile("^/A/b$")


def test_host_pattern_with_a_port_parameter(test_client_factory: TestClientFactory) -> None:
    app = Router([Host("{sub}.example.com:{port:int}", Router([Route("/", text)]))])
    # (The Host header's port is not matched: a pattern with a port never matches, as upstream.)
    assert test_client_factory(app).get("/", headers={"host": "A.example.com:8000"}).status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# PARAM_FORMAT_REGEX


def test_param_format_regex() -> None:
    assert isinstance(routing.PARAM_FORMAT_REGEX, re.Pattern)
    assert (routing.PARAM_FORMAT_REGEX.pattern, routing.PARAM_FORMAT_REGEX.flags) == (
        "{([a-zA-Z_][a-zA-Z0-9_]*)}",
        re.UNICODE,
    )
    assert routing.PARAM_REGEX.pattern == "{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-zA-Z_][a-zA-Z0-9_]*)?}"
    # It matches the placeholders compile_path writes into a format string, and nothing of a path pattern's.
    _, path_format, convertors = compile_path("/{a_1}/x/{B:int}/{c:path}")
    assert routing.PARAM_FORMAT_REGEX.findall(path_format) == list(convertors) == ["a_1", "B", "c"]
    assert routing.PARAM_FORMAT_REGEX.findall("/{b:int}/{1a}") == []
