"""The showcase's GraphQL page (examples/showcase): the message board of examples/graphql_app.py, mounted at /graphql.

Without graphql-core the showcase mounts no GraphQL page (tests/integration/test_example_showcase.py checks which);
it runs on every Python the packages support (graphql-core 3.2 on 3.9, 3.3 later).
"""

from __future__ import annotations

from typing import Any, Callable

from examples.showcase.app import app

TestClientFactory = Callable[..., Any]


def test_graphql_is_mounted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.post("/graphql/", json={"query": '{ hello(name: "showcase") }'})
    assert response.json() == {"data": {"hello": "Hello, showcase!"}}
    response = client.get("/graphql/", params={"query": "{ hello }"})
    assert response.json() == {"data": {"hello": "Hello, stranger!"}}
    response = client.get("/graphql/", headers={"accept": "text/html"})
    assert "GraphiQL" in response.text
    response = client.get("/graphql", params={"query": "{ hello }"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/graphql/?query=%7B+hello+%7D"


def test_graphql_subscription_over_the_mount(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with client.websocket_connect("/graphql/", subprotocols=["graphql-transport-ws"]) as websocket:
        websocket.send_json({"type": "connection_init"})
        assert websocket.receive_json() == {"type": "connection_ack"}
        websocket.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { countdown(start: 0) }"}}
        )
        assert websocket.receive_json() == {"id": "1", "type": "next", "payload": {"data": {"countdown": 0}}}
        assert websocket.receive_json() == {"id": "1", "type": "complete"}
