"""The showcase example (examples/showcase) does what its docstring and the README say, feature by feature."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import anyio
import examples.showcase.app as showcase
import pytest
from examples.showcase.app import CHAT, EVENTS, Chat, ItemStore, app

from starlette.datastructures import UploadFile
from starlette.websockets import WebSocketDisconnect

TestClientFactory = Callable[..., Any]


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase, "ITEMS", ItemStore([("Lamp", 25.0), ("Chair", 49.5)]))
    EVENTS.clear()


def log_in(client: Any, username: str = "ada", next_url: str = "") -> Any:
    return client.post(
        "/login", data={"username": username, "password": "starlette", "next": next_url}, follow_redirects=False
    )


# --- Templates, static files, sessions ---------------------------------------------------------------------------


def test_home_page_renders_its_template(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.template.name == "index.html"
    assert [item.name for item in response.context["items"]] == ["Lamp", "Chair"]
    assert response.context["graphql"] is showcase.GRAPHQL  # from the context processor
    assert response.context["request"].url.path == "/"
    # url_for in the templates: static files, routes, the mounted API and GraphQL (where it is mounted).
    assert 'href="http://testserver/static/showcase.css"' in response.text
    assert 'src="http://testserver/static/showcase.js"' in response.text
    assert 'href="http://testserver/api/items/1">Lamp</a> · 25.00' in response.text
    assert 'data-api="http://testserver/api/items"' in response.text
    assert ('href="http://testserver/graphql/"' in response.text) is showcase.GRAPHQL
    assert 'href="http://testserver/login">Log in' in response.text


def test_session_counts_visits(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    assert [client.get("/").context["visits"] for _ in range(3)] == [1, 2, 3]
    assert "You have visited this page 4 times in this session." in client.get("/").text
    # Another client has its own session; a tampered cookie is a new session.
    assert test_client_factory(app).get("/").context["visits"] == 1
    # (Six characters replaced: the last base64 character of a signature may only carry padding bits.)
    cookie = client.cookies["session"]
    forged = cookie[:-6] + ("AAAAAA" if cookie[-6:] != "AAAAAA" else "BBBBBB")
    tampered = test_client_factory(app, cookies={"session": forged})
    assert tampered.get("/").context["visits"] == 1


def test_static_files(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    css = client.get("/static/showcase.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.text == (showcase.HERE / "static" / "showcase.css").read_text()
    js = client.get("/static/showcase.js")
    assert js.status_code == 200
    assert "new WebSocket" in js.text
    assert client.get("/static/missing.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


# --- The JSON API ------------------------------------------------------------------------------------------------


def test_api_lists_and_gets_items(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    assert client.get("/api/items").json() == [
        {"id": 1, "name": "Lamp", "price": 25.0},
        {"id": 2, "name": "Chair", "price": 49.5},
    ]
    assert client.get("/api/items/2").json() == {"id": 2, "name": "Chair", "price": 49.5}


def test_api_404_and_405_are_json(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/api/items/99")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item 99 not found"}
    response = client.get("/api/items/lamp")  # not an int: no route
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    response = client.delete("/api/items/1")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "GET, HEAD"
    # The HTML side answers with HTML pages (tests/integration/test_showcase_errors.py).
    response = client.get("/nowhere")
    assert (response.status_code, response.headers["content-type"]) == (404, "text/html; charset=utf-8")


def test_api_creates_an_item_and_runs_a_background_task(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.post("/api/items", json={"name": "  Desk ", "price": 120})
    assert response.status_code == 201
    assert response.json() == {"id": 3, "name": "Desk", "price": 120.0}
    assert response.headers["location"] == "http://testserver/api/items/3"
    assert client.get(response.headers["location"]).json() == response.json()
    assert list(EVENTS) == ["item #3 (Desk) created"]
    assert client.get("/api/events").json() == ["item #3 (Desk) created"]
    assert client.get("/").context["events"] == ["item #3 (Desk) created"]


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ([1, 2], {"body": "must be a JSON object"}),
        ({}, {"name": "required: a non-empty string", "price": "required: a number, 0 or more"}),
        ({"name": " ", "price": 1}, {"name": "required: a non-empty string"}),
        ({"name": "x" * 101, "price": 1}, {"name": "at most 100 characters"}),
        ({"name": "a", "price": "1"}, {"price": "required: a number, 0 or more"}),
        ({"name": "a", "price": True}, {"price": "required: a number, 0 or more"}),
        ({"name": "a", "price": -1}, {"price": "required: a number, 0 or more"}),
        ({"name": "a", "price": 1, "colour": "red", "age": 2}, {"body": "unknown fields: age, colour"}),
    ],
)
def test_api_validation_is_400(test_client_factory: TestClientFactory, payload: object, errors: dict[str, str]) -> None:
    client = test_client_factory(app)
    response = client.post("/api/items", json=payload)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid item", "errors": errors}
    assert len(client.get("/api/items").json()) == 2
    assert list(EVENTS) == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\xfa", b"", b'{"name": "a", "price": NaN}'])
def test_api_refuses_bodies_that_are_not_valid_items(test_client_factory: TestClientFactory, body: bytes) -> None:
    response = test_client_factory(app).post("/api/items", content=body)
    assert response.status_code == 400
    assert response.json()["detail"] in ("The body must be JSON", "Invalid item")


def test_api_store_is_bounded(test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase, "MAX_ITEMS", 3)
    client = test_client_factory(app)
    assert client.post("/api/items", json={"name": "third", "price": 0}).status_code == 201
    response = client.post("/api/items", json={"name": "fourth", "price": 0})
    assert response.status_code == 409
    assert response.json() == {"detail": "The store is full"}


def test_api_export_streams_ndjson(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    client.post("/api/items", json={"name": "Desk", "price": 120})
    with client.stream("GET", "/api/items/export") as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        assert "content-length" not in response.headers
        lines = [json.loads(line) for line in response.iter_lines()]
    assert lines == client.get("/api/items").json()
    assert [line["name"] for line in lines] == ["Lamp", "Chair", "Desk"]


# --- Authentication ----------------------------------------------------------------------------------------------


def test_profile_redirects_to_login_then_works(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/login?next=http%3A%2F%2Ftestserver%2Fprofile"
    page = client.get(response.headers["location"])
    assert page.template.name == "login.html"
    assert page.context["next"] == "http://testserver/profile"
    assert 'name="next" value="http://testserver/profile"' in page.text

    response = log_in(client, next_url=page.context["next"])
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    response = client.get("/profile")
    assert response.status_code == 200
    assert response.template.name == "profile.html"
    assert response.context["request"].user.display_name == "ada"
    assert "Hello, ada" in response.text
    assert "ada" in client.get("/").text


def test_logout_ends_the_login(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    assert log_in(client).headers["location"] == "http://testserver/"
    assert client.get("/profile").status_code == 200
    assert client.get("/").context["visits"] == 1
    response = client.post("/logout", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "http://testserver/")
    assert client.get("/profile", follow_redirects=False).status_code == 303
    assert client.get("/").context["visits"] == 2  # the session itself lives on
    assert client.get("/logout").status_code == 405


@pytest.mark.parametrize(
    ("username", "password", "error"),
    [
        ("ada", "wrong", "Wrong password."),
        ("  ", "starlette", "A user name has 1 to 32 characters."),
        ("x" * 33, "starlette", "A user name has 1 to 32 characters."),
    ],
)
def test_login_refuses_bad_credentials(
    test_client_factory: TestClientFactory, username: str, password: str, error: str
) -> None:
    client = test_client_factory(app)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 400
    assert response.context["error"] == error
    assert error in response.text
    assert client.get("/profile", follow_redirects=False).status_code == 303


def test_login_refuses_files(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).post("/login", files={"username": ("a.txt", b"ada")})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/chat?room=blue", "/chat?room=blue"),
        ("http://testserver/upload", "/upload"),
        ("https://evil.example/steal", "http://testserver/"),
        ("//evil.example/steal", "http://testserver/"),
        ("/\\evil.example", "http://testserver/"),
        ("javascript:alert(1)", "http://testserver/"),
        ("", "http://testserver/"),
    ],
)
def test_login_redirects_only_within_the_site(
    test_client_factory: TestClientFactory, next_url: str, location: str
) -> None:
    assert log_in(test_client_factory(app), next_url=next_url).headers["location"] == location


def test_api_token_authentication(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/api/me")
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}
    response = client.get("/api/me", headers={"Authorization": "Bearer showcase-token"})
    assert response.json() == {"user": "api-client", "scopes": ["authenticated", "api"]}
    for authorization in ("Bearer wrong", "Basic c2hvd2Nhc2UtdG9rZW4=", "showcase-token"):
        response = client.get("/api/me", headers={"Authorization": authorization})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": "Invalid credentials: send Authorization: Bearer <token>"}
    log_in(client)
    assert client.get("/api/me").json() == {"user": "ada", "scopes": ["authenticated"]}


# --- Uploads -----------------------------------------------------------------------------------------------------


def test_upload_shows_name_size_and_content_type(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    page = client.get("/upload")
    assert page.template.name == "upload.html"
    assert 'enctype="multipart/form-data"' in page.text
    files = [
        ("files", ("notes.txt", b"hello world", "text/plain")),
        ("files", ("<pixel>.png", b"\x89PNG" + bytes(96), "image/png")),
    ]
    response = client.post("/upload", files=files, data={"note": "two files"})
    assert response.status_code == 200
    assert response.context["uploads"] == [
        {"filename": "notes.txt", "size": 11, "content_type": "text/plain"},
        {"filename": "<pixel>.png", "size": 100, "content_type": "image/png"},
    ]
    assert response.context["note"] == "two files"
    assert "<td>notes.txt</td><td>11</td><td>text/plain</td>" in response.text
    assert "<td>&lt;pixel&gt;.png</td><td>100</td><td>image/png</td>" in response.text
    assert list(EVENTS) == ["2 file(s) uploaded"]


def test_upload_without_a_file_is_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    # What a browser sends when no file was chosen: an empty part without a file name.
    response = client.post("/upload", files={"files": ("", b"", "application/octet-stream")})
    assert response.status_code == 400
    assert response.context["error"] == "Choose at least one file."
    assert client.post("/upload", data={"note": "no files"}).status_code == 400
    assert list(EVENTS) == []


def test_upload_limits(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    too_many = [("files", (f"{n}.txt", b"x", "text/plain")) for n in range(4)]
    response = client.post("/upload", files=too_many)
    assert (response.status_code, response.context["error"]) == (400, "Too many files. Maximum number of files is 3.")
    response = client.post("/upload", files={"files": ("a.txt", b"x")}, data={"note": "x" * (16 * 1024 + 1)})
    assert response.status_code == 400
    assert "maximum size" in response.context["error"]
    response = client.post("/upload", files={"files": ("big.bin", bytes(1024 * 1024))})
    assert response.status_code == 413
    # Shown on the upload page, as an upload without a file is (tests/integration/test_showcase_errors.py).
    assert response.template.name == "upload.html"
    assert list(EVENTS) == []


def test_upload_files_are_closed_after_the_request(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str | None] = []
    original_close = UploadFile.close

    async def close(self: UploadFile) -> None:
        closed.append(self.filename)
        await original_close(self)

    monkeypatch.setattr(UploadFile, "close", close)
    response = test_client_factory(app).post("/upload", files={"files": ("a.txt", b"abc")})
    assert response.status_code == 200
    assert closed == ["a.txt"]


# --- The WebSocket chat ------------------------------------------------------------------------------------------


def test_chat_page(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/chat?room=blue")
    assert response.template.name == "chat.html"
    assert response.context["room"] == "blue"
    assert 'data-url="ws://testserver/ws/blue"' in response.text
    assert client.get("/chat").context["room"] == "lobby"
    response = client.get("/chat", params={"room": "no spaces"})
    assert response.status_code == 400


def test_chat_broadcasts_to_everyone_in_the_room(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    # One client (one event loop) for every connection: the room is shared within the loop.
    with client, client.websocket_connect("/ws/lobby?name=ada") as ada:
        assert ada.receive_json() == {"type": "join", "user": "ada (guest)", "members": 1}
        with client.websocket_connect("/ws/lobby") as bob, client.websocket_connect("/ws/other") as eve:
            assert ada.receive_json() == {"type": "join", "user": "anonymous (guest)", "members": 2}
            assert bob.receive_json() == {"type": "join", "user": "anonymous (guest)", "members": 2}
            assert eve.receive_json() == {"type": "join", "user": "anonymous (guest)", "members": 1}
            ada.send_text("  hello, room  ")
            expected = {"type": "message", "user": "ada (guest)", "text": "hello, room"}
            assert ada.receive_json() == expected
            assert bob.receive_json() == expected
            bob.send_text("   ")  # nothing to say: nothing sent
            bob.send_text("x" * 600)
            expected = {"type": "message", "user": "anonymous (guest)", "text": "x" * 500}
            assert ada.receive_json() == expected
            assert bob.receive_json() == expected
            eve.send_text("anyone?")
            assert eve.receive_json()["text"] == "anyone?"
            assert CHAT.members("lobby") == 2
            bob.close()
            assert ada.receive_json() == {"type": "leave", "user": "anonymous (guest)", "members": 1}
        assert CHAT.members("lobby") == 1
        assert CHAT.members("other") == 0
    assert CHAT.rooms == {}


def test_chat_uses_the_login_name(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    log_in(client, "grace")
    with client.websocket_connect("/ws/lobby?name=impostor") as websocket:
        assert websocket.receive_json()["user"] == "grace"
        websocket.send_text("hi")
        assert websocket.receive_json() == {"type": "message", "user": "grace", "text": "hi"}


def test_chat_refuses_bad_input(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ws/" + "x" * 33):
        pass  # pragma: no cover
    assert refused.value.code == 1008
    with client.websocket_connect("/ws/lobby") as websocket:
        websocket.receive_json()
        websocket.send_bytes(b"binary")
        message = websocket.receive()
        assert message == {"type": "websocket.close", "code": 1003, "reason": ""}
    assert CHAT.rooms == {}


def test_chat_loses_nothing_in_a_burst(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with client, client.websocket_connect("/ws/busy") as reader, client.websocket_connect("/ws/busy") as writer:
        reader.receive_json()
        reader.receive_json()
        writer.receive_json()
        count = showcase.CHAT_INBOX * 3
        for number in range(count):
            writer.send_text(str(number))
        assert [reader.receive_json()["text"] for _ in range(count)] == [str(n) for n in range(count)]
        assert [writer.receive_json()["text"] for _ in range(count)] == [str(n) for n in range(count)]


def test_chat_ends_a_connection_the_room_gave_up_on(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with client.websocket_connect("/ws/stuck") as websocket:
        websocket.receive_json()
        (inbox,) = CHAT.rooms["stuck"]
        websocket.portal.call(inbox.close)  # what a broadcast does to a client that stays stuck
        assert websocket.receive() == {"type": "websocket.close", "code": 1013, "reason": ""}
    assert CHAT.rooms == {}


@pytest.mark.anyio
async def test_chat_broadcast_waits_for_a_full_inbox_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase, "CHAT_SLOW_CLIENT", 0.05)
    chat = Chat()
    reader_send, reader_receive = anyio.create_memory_object_stream[str](1)
    stuck_send, stuck_receive = anyio.create_memory_object_stream[str](1)
    gone_send, gone_receive = anyio.create_memory_object_stream[str](1)
    gone_receive.close()
    with reader_send, reader_receive, stuck_send, stuck_receive, gone_send:
        for inbox in (reader_send, stuck_send, gone_send):
            chat.join("room", inbox)
        received = []

        async def keep_up() -> None:
            for _ in range(4):
                received.append(json.loads(await reader_receive.receive()))

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(keep_up)
            for number in range(4):
                await chat.broadcast("room", {"n": number})
        # A client that keeps up gets everything, even with an inbox of one message.
        assert received == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]
        # The stuck client got what its inbox held; then the room gave up on it: its inbox is closed.
        assert json.loads(stuck_receive.receive_nowait()) == {"n": 0}
        with pytest.raises(anyio.EndOfStream):
            stuck_receive.receive_nowait()
        await chat.broadcast("nobody-here", {"n": 4})
        for inbox in (reader_send, stuck_send, gone_send):
            chat.leave("room", inbox)
        assert chat.rooms == {}


# --- GraphQL (tests/integration/test_example_showcase_graphql.py) -------------------------------------------------


def test_graphql_is_mounted_where_graphql_core_runs(test_client_factory: TestClientFactory) -> None:
    # graphql-core (3.2 on Python 3.9, 3.3 later) is installed with the `full` extra: the showcase has a GraphQL
    # page, and without graphql-core none, and links to none.
    assert importlib.util.find_spec("graphql") is not None
    assert showcase.GRAPHQL is True
    assert ("graphql" in [getattr(route, "name", None) for route in app.routes]) is showcase.GRAPHQL
    response = test_client_factory(app).post("/graphql/", json={"query": "{ hello }"})
    assert response.status_code == (200 if showcase.GRAPHQL else 404)


# --- Configuration -----------------------------------------------------------------------------------------------


def test_settings_come_from_the_environment() -> None:
    code = (
        "from examples.showcase.app import DEBUG, SECRET_KEY, app; "
        "print(str(SECRET_KEY), repr(SECRET_KEY), DEBUG, app.debug)"
    )
    environment = {**os.environ, "SHOWCASE_SECRET_KEY": "from-the-environment", "SHOWCASE_DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parents[2],  # the repository, where "examples" is importable
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.split() == ["from-the-environment", "Secret('**********')", "True", "True"]
    # Without them: the development defaults.
    assert str(showcase.SECRET_KEY) == "showcase-development-key-do-not-deploy"
    assert showcase.DEBUG is False
    assert app.debug is False
