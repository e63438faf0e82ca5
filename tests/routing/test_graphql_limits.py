"""GraphQLApp against hostile documents (deep, huge, cyclic), its document cache, and concurrent resolvers."""

from __future__ import annotations

import importlib
import time
from typing import Any, Callable

import anyio
import graphql
import pytest
from graphql import build_schema, get_introspection_query

from starlette_routing.graphql import GraphQLApp
from tests.routing._graphql_schemas import SCHEMAS, Service

TestClientFactory = Callable[..., Any]

# Where GraphQLApp puts its any-backend gather: 3.3's executor helper, or the asyncio.gather 3.2's execute imported.
GATHER = (
    ("graphql.execution.executor", "gather_with_cancel")
    if graphql.version_info >= (3, 3)
    else ("graphql.execution.execute", "gather")
)


def installed_gather() -> Any:
    module, name = GATHER
    return vars(importlib.import_module(module))[name]


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture(params=sorted(SCHEMAS))
def make_app(request: pytest.FixtureRequest, service: Service) -> Callable[..., GraphQLApp]:
    def make(**options: Any) -> GraphQLApp:
        schema, root_value = SCHEMAS[request.param](service)
        options.setdefault("root_value", root_value)
        return GraphQLApp(schema, **options)

    return make


def nested(depth: int) -> str:
    """``{ node { child { child ... { id } } } }`` with ``depth`` levels of fields."""
    return "{ node " + "{ child " * (depth - 2) + "{ id }" + " }" * (depth - 2) + " }"


def messages(response: Any) -> list[str]:
    return [error["message"] for error in response.json()["errors"]]


# --- depth -----------------------------------------------------------------------------------------------------


def test_max_depth(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app(max_depth=4))
    response = client.post("/", json={"query": nested(4)})
    assert response.json() == {"data": {"node": {"child": {"child": {"id": 3}}}}}
    response = client.post("/", json={"query": nested(5)})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "The query exceeds the maximum depth of 4.", "locations": [{"line": 1, "column": 34}]}]
    }
    # Without a limit the same query runs.
    unlimited = test_client_factory(make_app())
    assert unlimited.post("/", json={"query": nested(40)}).status_code == 200


def test_max_depth_follows_fragments(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(make_app(max_depth=3))
    shallow = "{ node { ...Deep } } fragment Deep on Node { child { id } }"
    assert client.post("/", json={"query": shallow}).json() == {"data": {"node": {"child": {"id": 2}}}}
    deep_fragment = "{ node { ...Deep } } fragment Deep on Node { child { child { id } } }"
    inline = "{ node { ... on Node { child { ... { child { id } } } } } }"
    # Spread at a shallow place first, then at a deeper one: the deeper use still counts.
    reused = "{ node { ...Leaf child { ...Leaf child { ...Leaf } } } } fragment Leaf on Node { id child { id } }"
    for query in (deep_fragment, inline, reused):
        response = client.post("/", json={"query": query})
        assert response.status_code == 400
        assert messages(response) == ["The query exceeds the maximum depth of 3."]


def test_max_depth_on_every_operation(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(make_app(max_depth=2))
    query = "query A { hello } query B " + nested(3)
    response = client.post("/", json={"query": query, "operationName": "A"})
    assert response.status_code == 400
    assert messages(response) == ["The query exceeds the maximum depth of 2."]


def test_fragment_cycles_and_unknown_fragments_answer(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(make_app(max_depth=50))
    cycle = "{ node { ...A } } fragment A on Node { id ...B } fragment B on Node { child { ...A } }"
    response = client.post("/", json={"query": cycle})
    assert response.status_code == 400
    assert "Cannot spread fragment 'A' within itself via 'B'." in messages(response)
    response = client.post("/", json={"query": "{ node { ...Missing } }"})
    assert response.status_code == 400
    assert messages(response) == ["Unknown fragment 'Missing'."]


def test_fragment_fan_out_is_linear(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    """Each fragment spreads the next one twice: expanding blindly would take 2**40 steps."""
    fragments = " ".join(f"fragment F{index} on Node {{ id ...F{index + 1} ...F{index + 1} }}" for index in range(40))
    query = "{ node { ...F0 } } " + fragments + " fragment F40 on Node { id }"
    client = test_client_factory(make_app(max_depth=5))
    started = time.perf_counter()
    response = client.post("/", json={"query": query})
    assert time.perf_counter() - started < 5
    assert response.json() == {"data": {"node": {"id": 1}}}


def test_introspection_counts(test_client_factory: TestClientFactory) -> None:
    schema = build_schema("type Query { a: Int }")
    query = {"query": get_introspection_query()}
    assert test_client_factory(GraphQLApp(schema, max_depth=15)).post("/", json=query).status_code == 200
    assert test_client_factory(GraphQLApp(schema, max_depth=14)).post("/", json=query).status_code == 400


# --- hostile documents -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_depth", [None, 10])
def test_ten_thousand_levels_answer_400_quickly(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory, max_depth: int | None
) -> None:
    client = test_client_factory(make_app(max_depth=max_depth))
    query = "{ node " + "{ child " * 10_000 + "{ id }" + " }" * 10_001
    started = time.perf_counter()
    response = client.post("/", json={"query": query})
    assert time.perf_counter() - started < 5
    assert response.status_code == 400
    assert messages(response)[0].startswith("Syntax Error: Document is nested too deeply.")


def test_huge_query_answers_400_quickly(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(make_app(max_depth=10))
    wide = "{ " + " ".join(f"f{index}: hello" for index in range(100_000)) + " }"
    commented = "# a comment\n" * 100_000 + "{ hello }"
    for query, limit in ((wide, "tokens"), (commented, "comments")):
        started = time.perf_counter()
        response = client.post("/", json={"query": query})
        assert time.perf_counter() - started < 5
        assert response.status_code == 400
        assert messages(response) == [f"Syntax Error: Document contains more than 10000 {limit}. Parsing aborted."]


def test_max_tokens(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    query = "{ " + " ".join(f"f{index}: hello" for index in range(10)) + " }"
    response = test_client_factory(make_app(max_tokens=20)).post("/", json={"query": query})
    assert messages(response) == ["Syntax Error: Document contains more than 20 tokens. Parsing aborted."]
    response = test_client_factory(make_app(max_tokens=None)).post("/", json={"query": query})
    assert response.json()["data"]["f9"] == "Hello, world!"


def test_recursion_error_is_400(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    """An older or differently built parser that recurses too deep still gets a 400."""
    app = make_app()

    def parse(*args: Any, **kwargs: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    app._parse = parse
    response = test_client_factory(app).post("/", json={"query": "{ hello }"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "The query is nested too deeply."}]}


# --- document cache --------------------------------------------------------------------------------------------


def test_valid_documents_are_cached(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    app = make_app()
    app.document_cache_size = 2
    app.cacheable_query_length = 100
    parsed: list[str] = []
    parse = app._parse

    def counting_parse(source: Any, **options: Any) -> Any:
        parsed.append(source)
        return parse(source, **options)

    app._parse = counting_parse  # type: ignore[assignment]
    client = test_client_factory(app)

    def run(query: str) -> None:
        assert client.post("/", json={"query": query}).status_code == 200

    a, b, c = "{ a: hello }", "{ b: hello }", "{ c: hello }"
    long = "{ hello" + " " * 100 + "}"
    for query in (a, a, b, a, c, a, long, long):
        run(query)
    # a cached; b cached; c evicts a (the oldest); long is never cached.
    assert parsed == [a, b, c, a, long, long]
    # Invalid documents are not cached.
    for _ in range(2):
        assert client.post("/", json={"query": "{ nope }"}).status_code == 400
    assert parsed[-2:] == ["{ nope }", "{ nope }"]
    # Size 0: nothing is kept (a, still cached, goes with the first new document).
    app.document_cache_size = 0
    del parsed[:]
    d = "{ d: hello }"
    for query in (a, d, d, a):
        run(query)
    assert parsed == [d, d, a]


# --- concurrent resolvers on both backends ---------------------------------------------------------------------


def test_concurrent_async_resolvers(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    client = test_client_factory(make_app())
    query = '{ a: greet(name: "a") b: greet(name: "b") c: greet(name: "c") pair node { id } }'
    assert client.post("/", json={"query": query}).json() == {
        "data": {"a": "Hi, a!", "b": "Hi, b!", "c": "Hi, c!", "pair": [1, 2], "node": {"id": 1}}
    }


def test_a_failing_field_cancels_its_siblings(test_client_factory: TestClientFactory) -> None:
    cancelled: list[str] = []

    class Root:
        async def stall(self, info: Any) -> int:
            try:
                await anyio.sleep_forever()
            finally:
                cancelled.append("stall")
            return 0  # pragma: no cover - cancelled before

        async def boom(self, info: Any) -> int:
            await anyio.sleep(0)
            raise ValueError("boom")

    schema = build_schema("type Query { stall: Int! boom: Int! }")
    client = test_client_factory(GraphQLApp(schema, root_value=Root()))
    started = time.perf_counter()
    response = client.post("/", json={"query": "{ stall boom }"})
    assert time.perf_counter() - started < 5
    assert response.json() == {
        "data": None,
        "errors": [{"message": "boom", "locations": [{"line": 1, "column": 9}], "path": ["boom"]}],
    }
    assert cancelled == ["stall"]


@pytest.mark.anyio
async def test_gather_replacement_keeps_order_and_first_error(make_app: Callable[..., GraphQLApp]) -> None:
    make_app()
    gather = installed_gather()

    async def value(result: int) -> int:
        await anyio.sleep(0)
        return result

    async def failure(message: str) -> int:
        await anyio.sleep(0)
        raise LookupError(message)

    assert await gather(value(1), value(2), value(3)) == [1, 2, 3]
    with pytest.raises(LookupError, match="first"):
        await gather(value(1), failure("first"))


@pytest.mark.anyio
async def test_gather_replacement_returns_exceptions_when_asked(make_app: Callable[..., GraphQLApp]) -> None:
    # graphql-core 3.2 gathers abstract types' is_type_of results so (asyncio.gather's flag): every one runs to its
    # end, the errors in their places
    make_app()
    gather = installed_gather()
    finished = []

    async def value(result: int) -> int:
        await anyio.sleep(0)
        await anyio.sleep(0)
        finished.append(result)
        return result

    async def failure(message: str) -> int:
        await anyio.sleep(0)
        raise LookupError(message)

    results = await gather(failure("first"), value(1), failure("second"), value(2), return_exceptions=True)
    assert [type(r).__name__ if isinstance(r, Exception) else r for r in results] == [
        "LookupError",
        1,
        "LookupError",
        2,
    ]
    assert [str(r) for r in results[::2]] == ["first", "second"]
    assert sorted(finished) == [1, 2]


def test_gather_is_installed_once(make_app: Callable[..., GraphQLApp]) -> None:
    make_app()
    installed = installed_gather()
    make_app()
    assert installed_gather() is installed
    assert getattr(installed, "_any_backend", False)
