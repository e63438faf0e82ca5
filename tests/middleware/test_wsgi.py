"""WSGIMiddleware (deprecated): environ, request bodies, streaming, errors, iterable close()."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, Callable

import pytest

from ._helpers import Recorder, disconnected_receiver, http_scope, receiver

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette_middleware import wsgi
    from starlette_middleware.wsgi import WSGIMiddleware, WSGIResponder, build_environ

TestClientFactory = Callable[..., Any]
StartResponse = Callable[..., Any]


def hello_world(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("X-Path", environ["PATH_INFO"])])
    return [b"Hello World!\n"]


def echo_body(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def raise_error(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    raise RuntimeError("Something went wrong")


def return_exc_info(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    try:
        raise RuntimeError("Something went wrong")
    except RuntimeError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"Internal Server Error"]


def test_importing_the_module_warns() -> None:
    with pytest.warns(DeprecationWarning, match=r"starlette\.middleware\.wsgi is deprecated.*a2wsgi"):
        importlib.reload(wsgi)


def test_wsgi_get(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WSGIMiddleware(hello_world))
    response = client.get("/some/path")
    assert response.status_code == 200
    assert response.text == "Hello World!\n"
    assert response.headers["x-path"] == "/some/path"


def test_wsgi_post(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WSGIMiddleware(echo_body))
    assert client.post("/", json={"example": 123}).text == '{"example":123}'

    def chunks() -> Iterator[bytes]:
        yield b"one,"
        yield b"two,"
        yield b"three"

    assert client.post("/", content=chunks()).text == "one,two,three"


def test_wsgi_exception_is_reraised(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WSGIMiddleware(raise_error))
    with pytest.raises(RuntimeError, match="Something went wrong"):
        client.get("/")


def test_wsgi_exc_info(test_client_factory: TestClientFactory) -> None:
    app = WSGIMiddleware(return_exc_info)
    with pytest.raises(RuntimeError, match="Something went wrong"):
        test_client_factory(app).get("/")

    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


@pytest.mark.anyio
async def test_streaming_response() -> None:
    def streaming(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200", [("Content-Type", "text/plain")])
        for number in range(3):
            yield f"chunk {number}\n".encode()

    sent = Recorder()
    await WSGIMiddleware(streaming)(http_scope(), receiver(), sent)
    assert sent.messages == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]},
        {"type": "http.response.body", "body": b"chunk 0\n", "more_body": True},
        {"type": "http.response.body", "body": b"chunk 1\n", "more_body": True},
        {"type": "http.response.body", "body": b"chunk 2\n", "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]


class ClosingIterable:
    def __init__(self, chunks: Iterable[bytes], fail: bool = False) -> None:
        self.chunks = chunks
        self.fail = fail
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            yield chunk
            if self.fail:
                raise ValueError("failed while iterating")

    def close(self) -> None:
        self.closed = True


def test_iterable_is_closed(test_client_factory: TestClientFactory) -> None:
    iterables: list[ClosingIterable] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> ClosingIterable:
        start_response("200 OK", [])
        iterables.append(ClosingIterable([b"a", b"b"], fail=environ["PATH_INFO"] == "/fail"))
        return iterables[-1]

    client = test_client_factory(WSGIMiddleware(app))
    assert client.get("/").text == "ab"
    assert iterables[-1].closed
    with pytest.raises(ValueError, match="failed while iterating"):
        client.get("/fail")
    assert iterables[-1].closed


@pytest.mark.anyio
async def test_client_gone_before_the_body_arrived() -> None:
    called: list[bool] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:  # pragma: no cover
        called.append(True)
        return []

    sent = Recorder()
    await WSGIMiddleware(app)(http_scope(method="POST"), disconnected_receiver(), sent)
    assert sent.messages == []
    assert called == []


@pytest.mark.anyio
async def test_only_http() -> None:
    with pytest.raises(AssertionError):
        await WSGIMiddleware(hello_world)({"type": "websocket"}, disconnected_receiver(), Recorder())


def test_start_response_twice_only_starts_once(test_client_factory: TestClientFactory) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        start_response("404 Not Found", [("X-Second", "1")])
        return [b"first wins"]

    response = test_client_factory(WSGIMiddleware(app)).get("/")
    assert response.status_code == 200
    assert response.headers["x-first"] == "1"
    assert "x-second" not in response.headers


def test_build_environ() -> None:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/sub/caf\u00e9",
        "root_path": "/sub",
        "query_string": b"a=123&b=456",
        "headers": [
            (b"host", b"www.example.org"),
            (b"content-type", b"application/json"),
            (b"content-length", b"18"),
            (b"accept", b"application/json"),
            (b"accept", b"text/plain"),
            (b"x-custom-header", b"\xe9t\xe9"),
        ],
        "client": ("134.56.78.4", 1453),
        "server": ("www.example.org", 443),
    }
    environ = build_environ(scope, b'{"example":"body"}')
    stream = environ.pop("wsgi.input")
    assert stream.read() == b'{"example":"body"}'
    errors = environ.pop("wsgi.errors")
    assert errors is sys.stdout
    assert environ == {
        "CONTENT_LENGTH": "18",
        "CONTENT_TYPE": "application/json",
        "HTTP_ACCEPT": "application/json,text/plain",
        "HTTP_HOST": "www.example.org",
        "HTTP_X_CUSTOM_HEADER": "\u00e9t\u00e9",
        "PATH_INFO": "/caf\u00c3\u00a9",
        "QUERY_STRING": "a=123&b=456",
        "REMOTE_ADDR": "134.56.78.4",
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/sub",
        "SERVER_NAME": "www.example.org",
        "SERVER_PORT": 443,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.multiprocess": True,
        "wsgi.multithread": True,
        "wsgi.run_once": False,
        "wsgi.url_scheme": "https",
        "wsgi.version": (1, 0),
    }


def test_build_environ_defaults() -> None:
    scope = {"type": "http", "http_version": "2", "method": "POST", "path": "/x", "query_string": b""}
    environ = build_environ(scope, b"")
    assert environ["SERVER_NAME"] == "localhost"
    assert environ["SERVER_PORT"] == 80
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/x"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["SERVER_PROTOCOL"] == "HTTP/2"
    assert "REMOTE_ADDR" not in environ
    # A root path that is not a prefix of the path leaves the path alone.
    environ = build_environ({**scope, "root_path": "/other", "client": None, "server": None}, b"")
    assert environ["PATH_INFO"] == "/x"
    assert environ["SERVER_NAME"] == "localhost"


def test_responder_attributes() -> None:
    responder = WSGIResponder(hello_world, http_scope())
    assert responder.app is hello_world
    assert responder.response_started is False
    assert responder.exc_info is None
    responder.stream_send.close()
    responder.stream_receive.close()


def test_through_the_meta_name_of_the_environ(test_client_factory: TestClientFactory) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [])
        keys = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "HTTP_HOST", "REMOTE_ADDR")
        return [";".join(f"{key}={environ[key]}" for key in keys).encode()]

    response = test_client_factory(WSGIMiddleware(app)).get("/p?q=1")
    assert response.text == (
        "REQUEST_METHOD=GET;PATH_INFO=/p;QUERY_STRING=q=1;SERVER_NAME=testserver;HTTP_HOST=testserver;"
        "REMOTE_ADDR=testclient"
    )
