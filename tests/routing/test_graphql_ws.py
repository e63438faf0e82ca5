"""GraphQLApp over WebSocket: the graphql-transport-ws protocol, subscriptions, cancellation, close codes."""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Iterator
from typing import Any, Callable

import anyio
import graphql
import pytest

from starlette_core.types import Message
from starlette_core.websockets import WebSocketDisconnect
from starlette_routing.applications import Starlette
from starlette_routing.graphql import PROTOCOL, GraphQLApp
from starlette_routing.routing import WebSocketRoute
from tests.routing._graphql_schemas import SCHEMAS, Service

TestClientFactory = Callable[..., Any]
COUNT = {"query": "subscription Count($to: Int!) { count(to: $to) }", "variables": {"to": 3}}


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


@pytest.fixture
def client(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> Any:
    return test_client_factory(make_app())


@contextlib.contextmanager
def connect(client: Any, payload: Any = None) -> Iterator[Any]:
    """Open a session and complete the connection_init / connection_ack handshake."""
    with client.websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
        assert websocket.accepted_subprotocol == PROTOCOL
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        websocket.send_json(message)
        assert websocket.receive_json() == {"type": "connection_ack"}
        yield websocket


def close_code(websocket: Any) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as info:
        websocket.receive_json()
    return info.value.code, info.value.reason


# --- the happy path --------------------------------------------------------------------------------------------


def test_subscription_streams_then_completes(client: Any, service: Service) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "s1", "type": "subscribe", "payload": COUNT})
        for number in range(3):
            assert websocket.receive_json() == {"id": "s1", "type": "next", "payload": {"data": {"count": number}}}
        assert websocket.receive_json() == {"id": "s1", "type": "complete"}
        # The id is free again once the operation has completed.
        websocket.send_json({"id": "s1", "type": "subscribe", "payload": {**COUNT, "variables": {"to": 1}}})
        assert websocket.receive_json()["payload"] == {"data": {"count": 0}}
        assert websocket.receive_json() == {"id": "s1", "type": "complete"}
    assert service.started == service.finished == 2


def test_queries_and_mutations_over_websocket(client: Any, service: Service) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ hello pair }"}})
        assert websocket.receive_json() == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"hello": "Hello, world!", "pair": [1, 2]}},
        }
        assert websocket.receive_json() == {"id": "q", "type": "complete"}
        payload = {"query": "mutation Add($v: Int!) { add(value: $v) }", "variables": {"v": 4}, "operationName": "Add"}
        websocket.send_json({"id": "m", "type": "subscribe", "payload": payload})
        assert websocket.receive_json() == {"id": "m", "type": "next", "payload": {"data": {"add": 4}}}
        assert websocket.receive_json() == {"id": "m", "type": "complete"}
    assert service.numbers == [4]


def test_execution_errors_arrive_in_next(client: Any) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ fail }"}})
        message = websocket.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["data"] == {"fail": None}
        assert message["payload"]["errors"][0]["message"] == "boom"
        assert websocket.receive_json() == {"id": "q", "type": "complete"}


def test_context_has_the_websocket_and_connection_params(client: Any) -> None:
    session = client.websocket_connect("/", subprotocols=[PROTOCOL], headers={"x-user": "grace"})
    with session as websocket:
        websocket.send_json({"type": "connection_init", "payload": {"token": "secret"}})
        assert websocket.receive_json() == {"type": "connection_ack"}
        websocket.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ whoami token }"}})
        assert websocket.receive_json()["payload"] == {"data": {"whoami": "grace", "token": "secret"}}


def test_background_tasks_run_when_the_operation_ends(client: Any, service: Service) -> None:
    with connect(client, payload=None) as websocket:
        websocket.send_json({"id": "1", "type": "subscribe", "payload": {"query": '{ later(tag: "ws") }'}})
        assert websocket.receive_json()["payload"] == {"data": {"later": True}}
        assert websocket.receive_json() == {"id": "1", "type": "complete"}
        assert service.log == ["ws"]


def test_ping_pong(client: Any) -> None:
    with client.websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
        # Allowed before connection_init; an unsolicited pong is ignored.
        websocket.send_json({"type": "pong"})
        websocket.send_json({"type": "ping", "payload": {"at": 1}})
        assert websocket.receive_json() == {"type": "pong"}


def test_app_in_a_websocket_route(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Starlette(routes=[WebSocketRoute("/graphql", make_app())]))
    with client.websocket_connect("/graphql", subprotocols=["other", PROTOCOL]) as websocket:
        assert websocket.accepted_subprotocol == PROTOCOL
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}


# --- operation errors ------------------------------------------------------------------------------------------


def test_invalid_operations_get_error(client: Any, service: Service) -> None:
    with connect(client) as websocket:
        cases = [
            ({"query": "subscription { nope }"}, "Cannot query field 'nope' on type 'Subscription'."),
            ({"query": "subscription {"}, "Syntax Error: Expected Name, found <EOF>."),
            (
                {"query": "subscription S($to: Int!) { count(to: $to) }"},
                # graphql-core's own message, worded differently by 3.2 and 3.3
                "Variable '$to' of required type 'Int!' was not provided."
                if graphql.version_info < (3, 3)
                else "Variable '$to' has invalid value: Expected a value of non-null type 'Int!' to be provided.",
            ),
            ({"query": "{ hello }", "operationName": "Nope"}, "Unknown operation named 'Nope'."),
        ]
        for payload, message in cases:
            websocket.send_json({"id": "bad", "type": "subscribe", "payload": payload})
            reply = websocket.receive_json()
            assert reply["id"] == "bad"
            assert reply["type"] == "error"
            assert reply["payload"][0]["message"] == message
        # No complete follows an error: the next message answers the next request.
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}
    assert service.started == 0


def test_source_stream_failure_gets_error(client: Any) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "b", "type": "subscribe", "payload": {"query": "subscription { broken }"}})
        assert websocket.receive_json() == {"id": "b", "type": "next", "payload": {"data": {"broken": 0}}}
        assert websocket.receive_json() == {"id": "b", "type": "error", "payload": [{"message": "the source broke"}]}


def test_subscribe_resolver_failure_gets_error(test_client_factory: TestClientFactory) -> None:
    from graphql import build_schema

    class Root:
        def ticks(self, info: Any) -> Any:
            raise LookupError("no ticks today")

    schema = build_schema("type Query { a: Int } type Subscription { ticks: Int }")
    client = test_client_factory(GraphQLApp(schema, root_value=Root(), debug=True))
    with connect(client) as websocket:
        websocket.send_json({"id": "t", "type": "subscribe", "payload": {"query": "subscription { ticks }"}})
        reply = websocket.receive_json()
        assert reply["type"] == "error"
        assert reply["payload"][0]["message"] == "no ticks today"
        assert reply["payload"][0]["extensions"]["exception"]["type"] == "LookupError"


def test_async_subscribe_resolver_and_static_context(test_client_factory: TestClientFactory) -> None:
    from graphql import build_schema

    class Root:
        async def ticks(self, info: Any) -> Any:
            await anyio.sleep(0)
            source = info.context["source"]

            async def events() -> Any:
                for number in range(2):
                    yield {"ticks": f"{source} {number}"}

            return events()

    schema = build_schema("type Query { a: Int } type Subscription { ticks: String }")
    client = test_client_factory(GraphQLApp(schema, root_value=Root(), context_value={"source": "static"}))
    with connect(client) as websocket:
        websocket.send_json({"id": "t", "type": "subscribe", "payload": {"query": "subscription { ticks }"}})
        assert websocket.receive_json()["payload"] == {"data": {"ticks": "static 0"}}
        assert websocket.receive_json()["payload"] == {"data": {"ticks": "static 1"}}
        assert websocket.receive_json() == {"id": "t", "type": "complete"}


def test_context_factory_failure_gets_error(
    make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory
) -> None:
    def context(connection: Any) -> Any:
        raise PermissionError("go away")

    with connect(test_client_factory(make_app(context_value=context))) as websocket:
        websocket.send_json({"id": "1", "type": "subscribe", "payload": COUNT})
        assert websocket.receive_json() == {"id": "1", "type": "error", "payload": [{"message": "go away"}]}


# --- cancellation ----------------------------------------------------------------------------------------------


def test_client_complete_cancels_the_subscription(client: Any, service: Service) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "f", "type": "subscribe", "payload": {"query": "subscription { forever }"}})
        assert websocket.receive_json() == {"id": "f", "type": "next", "payload": {"data": {"forever": 0}}}
        websocket.send_json({"id": "f", "type": "complete"})
        assert service.closed.wait(5)
        # Completing an unknown (or finished) operation is ignored; the server sends no complete for "f".
        websocket.send_json({"id": "f", "type": "complete"})
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}
        # The id can be used again.
        websocket.send_json({"id": "f", "type": "subscribe", "payload": {**COUNT, "variables": {"to": 1}}})
        assert websocket.receive_json() == {"id": "f", "type": "next", "payload": {"data": {"count": 0}}}
        assert websocket.receive_json() == {"id": "f", "type": "complete"}
    assert service.started == service.finished == 2


class Peer:
    """The client side of a raw ASGI WebSocket connection, driven from the test's task."""

    def __init__(self, fail_on: Callable[[Message], bool] = lambda message: False) -> None:
        self.to_app, self.app_inbox = anyio.create_memory_object_stream[Message](math.inf)
        self.app_outbox, self.from_app = anyio.create_memory_object_stream[Message](math.inf)
        self.fail_on = fail_on

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *args: Any) -> None:
        for stream in (self.to_app, self.app_inbox, self.app_outbox, self.from_app):
            stream.close()

    async def receive(self) -> Message:
        return await self.app_inbox.receive()

    async def send(self, message: Message) -> None:
        if self.fail_on(message):
            raise OSError("connection reset")
        await self.app_outbox.send(message)

    async def send_json(self, data: Any) -> None:
        await self.to_app.send({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json(self) -> Any:
        message = await self.from_app.receive()
        assert message["type"] == "websocket.send", message
        return json.loads(message["text"])

    async def handshake(self) -> None:
        await self.to_app.send({"type": "websocket.connect"})
        assert (await self.from_app.receive())["type"] == "websocket.accept"
        await self.send_json({"type": "connection_init"})
        assert await self.receive_json() == {"type": "connection_ack"}


def websocket_scope() -> dict[str, Any]:
    return {"type": "websocket", "path": "/", "query_string": b"", "headers": [], "subprotocols": [PROTOCOL]}


@pytest.fixture
def peer() -> Iterator[Peer]:
    with Peer() as peer:
        yield peer


@pytest.mark.anyio
async def test_disconnect_cancels_every_subscription(
    make_app: Callable[..., GraphQLApp], service: Service, peer: Peer
) -> None:
    app = make_app()
    tasks_before = {task.id for task in anyio.get_running_tasks()}
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(app, websocket_scope(), peer.receive, peer.send)
            await peer.handshake()
            for operation_id in ("a", "b", "c"):
                payload = {"query": "subscription { forever }"}
                await peer.send_json({"id": operation_id, "type": "subscribe", "payload": payload})
            replies = [await peer.receive_json() for _ in range(3)]
            assert sorted(reply["id"] for reply in replies) == ["a", "b", "c"]
            assert service.started == 3
            assert service.finished == 0
            await peer.to_app.send({"type": "websocket.disconnect", "code": 1001})
        # The app returned by itself: its task group, hence every operation task, has ended.
    assert service.finished == 3
    assert {task.id for task in anyio.get_running_tasks()} == tasks_before
    # The app closed nothing: the client had gone.
    assert peer.from_app.statistics().current_buffer_used == 0


@pytest.mark.anyio
async def test_server_close_cancels_running_operations(
    make_app: Callable[..., GraphQLApp], service: Service, peer: Peer
) -> None:
    app = make_app()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(app, websocket_scope(), peer.receive, peer.send)
            await peer.handshake()
            await peer.send_json({"id": "a", "type": "subscribe", "payload": {"query": "subscription { forever }"}})
            assert (await peer.receive_json())["id"] == "a"
            await peer.send_json({"id": "a", "type": "subscribe", "payload": {"query": "subscription { forever }"}})
            assert await peer.from_app.receive() == {
                "type": "websocket.close",
                "code": 4409,
                "reason": "Subscriber for this id already exists",
            }
    assert service.started == service.finished == 1


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["next", "complete", "pong"])
async def test_send_failure_ends_the_connection(
    make_app: Callable[..., GraphQLApp], service: Service, peer: Peer, kind: str
) -> None:
    """When the server cannot send (the client is gone), every task stops and the app returns by itself."""
    app = make_app()
    peer.fail_on = lambda message: f'"type":"{kind}"' in message.get("text", "")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(app, websocket_scope(), peer.receive, peer.send)
            await peer.handshake()
            if kind == "pong":
                payload = {"query": "subscription { forever }"}
                await peer.send_json({"id": "f", "type": "subscribe", "payload": payload})
                assert (await peer.receive_json())["id"] == "f"
                await peer.send_json({"type": "ping"})
            else:
                await peer.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ hello }"}})
    assert service.started == service.finished
    left = []
    while peer.from_app.statistics().current_buffer_used:
        left.append(peer.from_app.receive_nowait())
    assert all(message["type"] == "websocket.send" for message in left)


@pytest.mark.anyio
async def test_client_complete_racing_the_end_of_an_operation(make_app: Callable[..., GraphQLApp], peer: Peer) -> None:
    """The client's complete is handled after the operation's last checkpoint: no complete, no crash."""
    app = make_app()
    pong_sent = anyio.Event()

    async def racing_send(message: Message) -> None:
        text = message.get("text", "")
        if '"id":"q","type":"next"' in text and not pong_sent.is_set():
            # Queue the client's complete (and a ping) without a checkpoint, then let the receive loop handle both
            # while this send is still in progress and cannot be cancelled; return without a checkpoint.
            for data in ({"id": "q", "type": "complete"}, {"type": "ping"}):
                peer.to_app.send_nowait({"type": "websocket.receive", "text": json.dumps(data)})
            with anyio.CancelScope(shield=True):
                await pong_sent.wait()
            peer.app_outbox.send_nowait(message)
            return
        if '"type":"pong"' in text:
            pong_sent.set()
        await peer.send(message)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(app, websocket_scope(), peer.receive, racing_send)
            await peer.handshake()
            await peer.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ hello }"}})
            replies = [await peer.receive_json() for _ in range(2)]
            assert sorted(replies, key=lambda reply: reply["type"]) == [
                {"id": "q", "type": "next", "payload": {"data": {"hello": "Hello, world!"}}},
                {"type": "pong"},
            ]
            # Nothing else was sent for the completed operation, and its id is free.
            await peer.send_json({"id": "q", "type": "subscribe", "payload": {"query": "{ hello }"}})
            assert (await peer.receive_json())["type"] == "next"
            assert await peer.receive_json() == {"id": "q", "type": "complete"}
            await peer.to_app.send({"type": "websocket.disconnect", "code": 1000})


# --- protocol violations ---------------------------------------------------------------------------------------


def test_subprotocol_required(client: Any) -> None:
    with client.websocket_connect("/") as websocket:
        assert websocket.accepted_subprotocol is None
        assert close_code(websocket) == (4406, "Subprotocol not acceptable")


def test_subscribe_before_init_is_4401(client: Any) -> None:
    with client.websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
        websocket.send_json({"id": "1", "type": "subscribe", "payload": COUNT})
        assert close_code(websocket) == (4401, "Unauthorized")


def test_duplicate_id_is_4409(client: Any, service: Service) -> None:
    with connect(client) as websocket:
        websocket.send_json({"id": "f", "type": "subscribe", "payload": {"query": "subscription { forever }"}})
        assert websocket.receive_json()["id"] == "f"
        websocket.send_json({"id": "f", "type": "subscribe", "payload": {"query": "subscription { forever }"}})
        assert close_code(websocket) == (4409, "Subscriber for this id already exists")
    assert service.closed.wait(5)


def test_second_init_is_4429(client: Any) -> None:
    with connect(client) as websocket:
        websocket.send_json({"type": "connection_init"})
        assert close_code(websocket) == (4429, "Too many initialisation requests")


def test_init_timeout_is_4408(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    app = make_app()
    app.connection_init_wait_timeout = 0.05
    with test_client_factory(app).websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
        assert close_code(websocket) == (4408, "Connection initialisation timeout")
    # In time, the connection stays open past the timeout.
    app.connection_init_wait_timeout = 0.1
    with connect(test_client_factory(app)) as websocket:
        time.sleep(0.15)
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}


def test_no_init_timeout(make_app: Callable[..., GraphQLApp], test_client_factory: TestClientFactory) -> None:
    app = make_app()
    app.connection_init_wait_timeout = None
    with connect(test_client_factory(app)) as websocket:
        websocket.send_json({"type": "ping"})
        assert websocket.receive_json() == {"type": "pong"}


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"type": "next", "id": "1", "payload": {}}, "Invalid message: unknown type"),
        ({"type": "connection_ack"}, "Invalid message: unknown type"),
        ({"no": "type"}, "Invalid message: unknown type"),
        ({"type": "complete"}, "Invalid message: complete needs an id"),
        ({"type": "subscribe", "payload": COUNT}, "Invalid message: subscribe needs an id and a payload"),
        ({"type": "subscribe", "id": "", "payload": COUNT}, "Invalid message: subscribe needs an id and a payload"),
        ({"type": "subscribe", "id": 1, "payload": COUNT}, "Invalid message: subscribe needs an id and a payload"),
        ({"type": "subscribe", "id": "1"}, "Invalid message: subscribe needs an id and a payload"),
        ({"type": "subscribe", "id": "1", "payload": {}}, "Invalid message: the subscribe payload needs a valid query"),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": 1}},
            "Invalid message: the subscribe payload needs a valid query",
        ),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": "{ hello }", "variables": [1]}},
            "Invalid message: the subscribe payload needs a valid query",
        ),
        ([1, 2], "Invalid message: expected a JSON object"),
    ],
)
def test_invalid_messages_are_4400(client: Any, message: Any, reason: str) -> None:
    with connect(client) as websocket:
        websocket.send_json(message)
        assert close_code(websocket) == (4400, reason)


def test_undecodable_messages_are_4400(client: Any) -> None:
    for send in (
        lambda websocket: websocket.send_text("{not json"),
        lambda websocket: websocket.send_text("[" * 100_000),
        lambda websocket: websocket.send_bytes(b'{"type": "ping"}'),
    ):
        with client.websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
            send(websocket)
            assert close_code(websocket) == (4400, "Invalid message: expected a JSON object")


def test_invalid_init_payload_is_4400(client: Any) -> None:
    with client.websocket_connect("/", subprotocols=[PROTOCOL]) as websocket:
        websocket.send_json({"type": "connection_init", "payload": "token"})
        assert close_code(websocket) == (4400, "Invalid message: the connection_init payload must be an object")
