"""The example app does what the README says it does."""

from __future__ import annotations

from typing import Any, Callable

from examples.app import EVENTS, app


def test_index_lists_the_features(test_client_factory: Callable[..., Any]) -> None:
    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "/count?to=5" in response.text


def test_hello_reads_path_and_query(test_client_factory: Callable[..., Any]) -> None:
    response = test_client_factory(app).get("/hello/ada?greeting=hi")
    assert response.json() == {"name": "ada", "greeting": "hi", "client": "testclient"}


def test_count_streams_lines(test_client_factory: Callable[..., Any]) -> None:
    with test_client_factory(app).stream("GET", "/count?to=4") as response:
        lines = list(response.iter_lines())
    assert lines == ["1", "2", "3", "4"]


def test_echo_returns_json_and_runs_background_task(test_client_factory: Callable[..., Any]) -> None:
    client = test_client_factory(app)
    marker = {"marker": id(client)}
    assert client.post("/echo", json=marker).json() == marker
    assert f"echoed {marker!r}" in EVENTS
    assert f"echoed {marker!r}" in client.get("/log").json()


def test_websocket_echo(test_client_factory: Callable[..., Any]) -> None:
    with test_client_factory(app).websocket_connect("/ws") as websocket:
        websocket.send_text("ping")
        assert websocket.receive_text() == "echo: ping"
        websocket.send_text("again")
        assert websocket.receive_text() == "echo: again"
