"""One GraphQL service, exposed through two equivalent schemas: SDL (``build_schema``) and code-first."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    build_schema,
)

Info = GraphQLResolveInfo[Any]

SDL = """
type Query {
  hello(name: String = "world"): String!
  greet(name: String!): String!
  whoami: String!
  token: String
  fail: String
  strict: String!
  later(tag: String!): Boolean!
  node: Node!
  pair: [Int!]!
}

type Node {
  id: Int!
  child: Node!
}

type Mutation {
  add(value: Int!): Int!
}

type Subscription {
  count(to: Int!): Int!
  forever: Int!
  broken: Int!
}
"""


class Node:
    def __init__(self, id: int) -> None:
        self.id = id

    @property
    def child(self) -> Node:
        return Node(self.id + 1)


class Service:
    """The resolvers; also the root value of the SDL schema (graphql-core's default resolver calls its methods)."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.log: list[str] = []
        self.started = 0
        self.finished = 0
        self.closed = threading.Event()

    def hello(self, info: Info, name: str = "world") -> str:
        return f"Hello, {name}!"

    async def greet(self, info: Info, name: str) -> str:
        await anyio.sleep(0)
        return f"Hi, {name}!"

    def whoami(self, info: Info) -> str:
        return str(info.context["request"].headers.get("x-user", "anonymous"))

    def token(self, info: Info) -> Any:
        return info.context["connection_params"].get("token")

    def fail(self, info: Info) -> str:
        raise ValueError("boom")

    def strict(self, info: Info) -> str:
        raise ValueError("no value")

    def later(self, info: Info, tag: str) -> bool:
        info.context["background"].add_task(self.log.append, tag)
        return True

    def node(self, info: Info) -> Node:
        return Node(1)

    def pair(self, info: Info) -> list[Any]:
        async def item(value: int) -> int:
            await anyio.sleep(0)
            return value

        return [item(1), item(2)]

    def add(self, info: Info, value: int) -> int:
        self.numbers.append(value)
        return sum(self.numbers)

    async def count(self, info: Info, to: int) -> AsyncIterator[dict[str, int]]:
        self.started += 1
        try:
            for number in range(to):
                yield {"count": number}
                await anyio.sleep(0)
        finally:
            self.finished += 1

    async def forever(self, info: Info) -> AsyncIterator[dict[str, int]]:
        self.started += 1
        try:
            yield {"forever": 0}
            await anyio.sleep_forever()
        finally:
            self.finished += 1
            self.closed.set()

    async def broken(self, info: Info) -> AsyncIterator[dict[str, int]]:
        yield {"broken": 0}
        raise RuntimeError("the source broke")


def sdl_schema(service: Service) -> tuple[GraphQLSchema, Any]:
    """The schema from SDL, and the root value that resolves it."""
    return build_schema(SDL), service


def code_first_schema(service: Service) -> tuple[GraphQLSchema, Any]:
    """The same schema built from graphql-core's classes, with explicit resolvers (root value: None)."""
    string = GraphQLNonNull(GraphQLString)
    node: GraphQLObjectType = GraphQLObjectType(
        "Node",
        lambda: {
            "id": GraphQLField(GraphQLNonNull(GraphQLInt)),
            "child": GraphQLField(GraphQLNonNull(node)),
        },
    )
    query = GraphQLObjectType(
        "Query",
        {
            "hello": GraphQLField(
                string,
                args={"name": GraphQLArgument(GraphQLString, default_value="world")},
                resolve=lambda _, info, name: service.hello(info, name),
            ),
            "greet": GraphQLField(
                string,
                args={"name": GraphQLArgument(string)},
                resolve=lambda _, info, name: service.greet(info, name),
            ),
            "whoami": GraphQLField(string, resolve=lambda _, info: service.whoami(info)),
            "token": GraphQLField(GraphQLString, resolve=lambda _, info: service.token(info)),
            "fail": GraphQLField(GraphQLString, resolve=lambda _, info: service.fail(info)),
            "strict": GraphQLField(string, resolve=lambda _, info: service.strict(info)),
            "later": GraphQLField(
                GraphQLNonNull(GraphQLBoolean),
                args={"tag": GraphQLArgument(string)},
                resolve=lambda _, info, tag: service.later(info, tag),
            ),
            "node": GraphQLField(GraphQLNonNull(node), resolve=lambda _, info: service.node(info)),
            "pair": GraphQLField(
                GraphQLNonNull(GraphQLList(GraphQLNonNull(GraphQLInt))), resolve=lambda _, info: service.pair(info)
            ),
        },
    )
    mutation = GraphQLObjectType(
        "Mutation",
        {
            "add": GraphQLField(
                GraphQLNonNull(GraphQLInt),
                args={"value": GraphQLArgument(GraphQLNonNull(GraphQLInt))},
                resolve=lambda _, info, value: service.add(info, value),
            )
        },
    )
    subscription = GraphQLObjectType(
        "Subscription",
        {
            "count": GraphQLField(
                GraphQLNonNull(GraphQLInt),
                args={"to": GraphQLArgument(GraphQLNonNull(GraphQLInt))},
                subscribe=lambda _, info, to: service.count(info, to),
                resolve=lambda event, info, to: event["count"],
            ),
            "forever": GraphQLField(
                GraphQLNonNull(GraphQLInt),
                subscribe=lambda _, info: service.forever(info),
                resolve=lambda event, info: event["forever"],
            ),
            "broken": GraphQLField(
                GraphQLNonNull(GraphQLInt),
                subscribe=lambda _, info: service.broken(info),
                resolve=lambda event, info: event["broken"],
            ),
        },
    )
    return GraphQLSchema(query=query, mutation=mutation, subscription=subscription), None


SCHEMAS = {"sdl": sdl_schema, "code": code_first_schema}
