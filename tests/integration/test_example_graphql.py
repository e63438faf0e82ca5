"""The GraphQL example does what its docstring and the README say."""

from __future__ import annotations

from typing import Any, Callable

import examples.graphql_app as example
import pytest
from examples.graphql_app import BOARD, EVENTS, app

TestClientFactory = Callable[..., Any]
PROTOCOL = "graphql-transport-ws"


@pytest.fixture(autouse=True)
def fresh_board(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BOARD, "messages", [])
    monkeypatch.setattr(example, "TICK", 0.001)


def test_query_over_get_and_post(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    assert client.get("/graphql", params={"query": "{ hello }"}).json() == {"data": {"hello": "Hello, stranger!"}}
    response = client.post(
        "/graphql", json={"query": "query Q($name: String) { hello(name: $name) }", "variables": {"name": "you"}}
    )
    assert response.json() == {"data": {"hello": "Hello, you!"}}


def test_mutation_posts_and_schedules_a_background_task(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    mutation = 'mutation { post(author: "ada", text: "hello") { id author text } }'
    assert client.post("/graphql", json={"query": mutation}).json() == {
        "data": {"post": {"id": 1, "author": "ada", "text": "hello"}}
    }
    assert "ada posted #1" in EVENTS
    assert client.get("/graphql", params={"query": "{ messages { author text } }"}).json() == {
        "data": {"messages": [{"author": "ada", "text": "hello"}]}
    }
    response = client.get("/graphql", params={"query": mutation})
    assert response.status_code == 405
    assert len(BOARD.messages) == 1


def test_graphiql_in_a_browser(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "GraphiQL" in response.text
    # The introspection query GraphiQL sends fits the example's max_depth.
    from graphql import get_introspection_query

    response = test_client_factory(app).post("/graphql", json={"query": get_introspection_query()})
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["subscriptionType"]["name"] == "Subscription"


def test_hostile_query_is_refused(test_client_factory: TestClientFactory) -> None:
    query = "{ " + "messages { " * 5_000 + "id" + " }" * 5_001
    response = test_client_factory(app).post("/graphql", json={"query": query})
    assert response.status_code == 400


def test_countdown_subscription(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(app).websocket_connect("/graphql", subprotocols=[PROTOCOL]) as websocket:
        websocket.send_json({"type": "connection_init"})
        assert websocket.receive_json() == {"type": "connection_ack"}
        websocket.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { countdown(start: 3) }"}}
        )
        numbers = [websocket.receive_json()["payload"]["data"]["countdown"] for _ in range(4)]
        assert numbers == [3, 2, 1, 0]
        assert websocket.receive_json() == {"id": "1", "type": "complete"}


def test_board_subscription_sees_new_posts(test_client_factory: TestClientFactory) -> None:
    # One client (one event loop) for the WebSocket and the HTTP requests.
    client = test_client_factory(app)
    with client, client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as websocket:
        websocket.send_json({"type": "connection_init"})
        assert websocket.receive_json() == {"type": "connection_ack"}
        payload = {"query": "subscription { board { author text } }"}
        websocket.send_json({"id": "b", "type": "subscribe", "payload": payload})
        assert websocket.receive_json()["payload"] == {"data": {"board": []}}
        client.post("/graphql", json={"query": 'mutation { post(author: "bo", text: "hi") { id } }'})
        assert websocket.receive_json()["payload"] == {"data": {"board": [{"author": "bo", "text": "hi"}]}}
        websocket.send_json({"id": "b", "type": "complete"})
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}
