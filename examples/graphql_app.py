"""A GraphQL message board: a query, a mutation and subscriptions, served by ``starlette.graphql.GraphQLApp``.

Run it with ``uv run uvicorn examples.graphql_app:app`` and open http://127.0.0.1:8000/graphql in a browser
(GraphiQL). Try::

    mutation { post(author: "ada", text: "hello") { id } }
    query { hello(name: "you") messages { id author text } }
    subscription { countdown(start: 5) }
    subscription { board { author text } }      # then post from another tab

Without a browser: ``curl -d '{"query": "{ hello }"}' -H 'content-type: application/json' localhost:8000/graphql``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from graphql import GraphQLResolveInfo, build_schema

from starlette.applications import Starlette
from starlette.graphql import GraphQLApp
from starlette.routing import Route, WebSocketRoute

SCHEMA = build_schema(
    """
    type Message {
      id: Int!
      author: String!
      text: String!
    }

    type Query {
      hello(name: String = "stranger"): String!
      messages(last: Int = 10): [Message!]!
    }

    type Mutation {
      post(author: String!, text: String!): Message!
    }

    type Subscription {
      "Counts down to zero, one number per TICK seconds."
      countdown(start: Int!): Int!
      "The board's messages now, then again after every post."
      board: [Message!]!
    }
    """
)

# Seconds between two countdown numbers.
TICK = 1.0
# What the background tasks have done (a mutation schedules one).
EVENTS: list[str] = []

Info = GraphQLResolveInfo[Any]


class Board:
    """The messages, and the watchers to wake up when one is posted."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._watchers: set[MemoryObjectSendStream[None]] = set()

    def post(self, author: str, text: str) -> dict[str, Any]:
        message = {"id": len(self.messages) + 1, "author": author, "text": text}
        self.messages.append(message)
        for watcher in self._watchers:
            try:
                watcher.send_nowait(None)
            except anyio.WouldBlock:  # that watcher has an update pending already
                pass
        return message

    async def watch(self) -> AsyncIterator[list[dict[str, Any]]]:
        send, receive = anyio.create_memory_object_stream[None](1)
        self._watchers.add(send)
        try:
            with send, receive:
                yield list(self.messages)
                async for _ in receive:
                    yield list(self.messages)
        finally:
            self._watchers.discard(send)


BOARD = Board()


def remember(event: str) -> None:
    EVENTS.append(event)


class Root:
    """The root value: graphql-core's default resolver calls the method named like each top-level field."""

    def hello(self, info: Info, name: str) -> str:
        return f"Hello, {name}!"

    def messages(self, info: Info, last: int) -> list[dict[str, Any]]:
        return BOARD.messages[-last:] if last > 0 else []

    def post(self, info: Info, author: str, text: str) -> dict[str, Any]:
        message = BOARD.post(author, text)
        # Runs after the response has been sent.
        info.context["background"].add_task(remember, f"{author} posted #{message['id']}")
        return message

    async def countdown(self, info: Info, start: int) -> AsyncIterator[dict[str, int]]:
        for number in range(start, -1, -1):
            yield {"countdown": number}
            if number:
                await anyio.sleep(TICK)

    async def board(self, info: Info) -> AsyncIterator[dict[str, Any]]:
        async for messages in BOARD.watch():
            yield {"board": messages}


# max_depth counts introspection fields too: GraphiQL's schema query needs about 15 levels.
graphql = GraphQLApp(SCHEMA, root_value=Root(), max_depth=15)

app = Starlette(routes=[Route("/graphql", graphql), WebSocketRoute("/graphql", graphql)])
