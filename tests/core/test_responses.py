"""Response, HTMLResponse, PlainTextResponse, JSONResponse, RedirectResponse and StreamingResponse."""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.datastructures import URL, MutableHeaders
from starlette_core.requests import ClientDisconnect
from starlette_core.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

TestClientFactory = Callable[..., Any]


# --- a tiny raw-ASGI harness (also used by test_responses_file.py) -------------------------------------------------


def http_scope(
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    *,
    scope_type: str = "http",
    extensions: dict[str, Any] | None = None,
    spec_version: str | None = None,
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": scope_type,
        "method": method,
        "path": "/",
        "headers": [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers],
    }
    if extensions is not None:
        scope["extensions"] = extensions
    if spec_version is not None:
        scope["asgi"] = {"version": "3.0", "spec_version": spec_version}
    return scope


async def call(
    app: ASGIApp,
    scope: dict[str, Any] | None = None,
    receive_messages: Iterable[Message] = (),
) -> list[Message]:
    """Run ``app``; ``receive`` hands out ``receive_messages`` then waits forever (as a quiet client does)."""
    sent: list[Message] = []
    pending = list(receive_messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope if scope is not None else http_scope(), receive, send)
    return sent


def headers_of(messages: list[Message]) -> dict[str, str]:
    """The start message's headers as a dict (fails if a header is repeated)."""
    raw = messages[0]["headers"]
    result = {key.decode("latin-1"): value.decode("latin-1") for key, value in raw}
    assert len(result) == len(raw), raw
    return result


def body_of(messages: list[Message]) -> bytes:
    return b"".join(bytes(message.get("body", b"")) for message in messages[1:])


class Recorder:
    """A background task target that records that it ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, value: str = "ran") -> None:
        self.calls.append(value)


# --- Response ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"bytes", b"bytes"), ("caf\u00e9", "caf\u00e9".encode()), (None, b""), (memoryview(b"view"), b"view")],
)
def test_render_and_content_length(content: Any, expected: bytes) -> None:
    response = Response(content)
    assert bytes(response.body) == expected
    assert response.raw_headers == [(b"content-length", str(len(expected)).encode())]


def test_bytes_and_memoryview_bodies_are_kept_as_is() -> None:
    view = memoryview(b"abc")
    assert Response(view).body is view
    data = b"abc"
    assert Response(data).body is data


def test_charset_of_subclass_used_for_rendering_and_content_type() -> None:
    class Latin1Response(Response):
        media_type = "text/plain"
        charset = "latin-1"

    response = Latin1Response("caf\u00e9")
    assert response.body == b"caf\xe9"
    assert response.headers["content-type"] == "text/plain; charset=latin-1"


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("text/html", "text/html; charset=utf-8"),
        ("text/csv; charset=ascii", "text/csv; charset=ascii"),
        ("text/csv; CHARSET=ascii", "text/csv; CHARSET=ascii"),
        ("application/xml", "application/xml"),
        ("image/png", "image/png"),
    ],
)
def test_content_type_charset(media_type: str, expected: str) -> None:
    response = Response(b"x", media_type=media_type)
    assert response.media_type == media_type
    assert response.headers["content-type"] == expected


def test_no_media_type_means_no_content_type() -> None:
    assert "content-type" not in Response(b"x").headers


@pytest.mark.parametrize("status_code", [100, 101, 199, 204, 304])
def test_no_content_length_for_bodyless_statuses(status_code: int) -> None:
    response = Response(status_code=status_code)
    assert response.status_code == status_code
    assert "content-length" not in response.headers


@pytest.mark.parametrize("status_code", [200, 205, 303, 404, 500])
def test_content_length_for_other_statuses(status_code: int) -> None:
    assert Response(status_code=status_code).headers["content-length"] == "0"


def test_init_headers_keeps_given_headers_and_does_not_duplicate() -> None:
    response = Response(
        b"12345",
        headers={"X-Custom": "Value", "Content-Length": "3", "Content-Type": "application/special"},
        media_type="text/plain",
    )
    assert response.raw_headers == [
        (b"x-custom", b"Value"),
        (b"content-length", b"3"),
        (b"content-type", b"application/special"),
    ]


def test_init_headers_adds_missing_length_and_type_to_given_headers() -> None:
    response = PlainTextResponse("hi", headers={"x-a": "1"})
    assert response.raw_headers == [
        (b"x-a", b"1"),
        (b"content-length", b"2"),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]


def test_init_headers_without_body_attribute() -> None:
    class NoBody(Response):
        def __init__(self) -> None:
            self.status_code = 200
            self.init_headers({"x-a": "b"})

    assert NoBody().raw_headers == [(b"x-a", b"b")]


def test_init_headers_can_be_called_again_by_subclasses() -> None:
    response = Response(b"abc")
    response.body = b"abcdef"
    response.init_headers()
    assert response.raw_headers == [(b"content-length", b"6")]


def test_headers_property_is_mutable_and_shares_raw_headers() -> None:
    response = Response(b"x")
    headers = response.headers
    assert isinstance(headers, MutableHeaders)
    assert response.headers is headers
    headers["x-extra"] = "1"
    assert (b"x-extra", b"1") in response.raw_headers
    response.raw_headers.append((b"x-other", b"2"))
    assert headers["x-other"] == "2"


def test_class_defaults() -> None:
    assert Response.media_type is None
    assert Response.charset == "utf-8"
    assert HTMLResponse.media_type == "text/html"
    assert PlainTextResponse.media_type == "text/plain"
    assert JSONResponse.media_type == "application/json"
    # a media type given to one instance does not leak into the class
    Response(media_type="text/html")
    assert Response.media_type is None


@pytest.mark.anyio
async def test_call_sends_start_and_body() -> None:
    response = Response(b"hello", status_code=201, headers={"x-a": "b"}, media_type="text/plain")
    messages = await call(response)
    assert messages == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [(b"x-a", b"b"), (b"content-length", b"5"), (b"content-type", b"text/plain; charset=utf-8")],
        },
        {"type": "http.response.body", "body": b"hello"},
    ]


@pytest.mark.anyio
async def test_call_in_websocket_scope_sends_denial_messages() -> None:
    messages = await call(PlainTextResponse("nope", status_code=403), http_scope(scope_type="websocket"))
    assert [message["type"] for message in messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert messages[0]["status"] == 403
    assert messages[1]["body"] == b"nope"


@pytest.mark.anyio
async def test_background_runs_after_body_is_sent() -> None:
    events: list[str] = []

    async def send(message: Message) -> None:
        events.append(message["type"])

    async def receive() -> Message:
        raise AssertionError

    response = Response(b"x", background=BackgroundTask(events.append, "background"))
    await response(http_scope(), receive, send)
    assert events == ["http.response.start", "http.response.body", "background"]


def test_response_with_test_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await HTMLResponse("<h1>hi</h1>")(scope, receive, send)

    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.text == "<h1>hi</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-length"] == "11"


def test_head_request_with_test_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("hello")(scope, receive, send)

    response = test_client_factory(app).head("/")
    assert response.status_code == 200
    assert response.headers["content-length"] == "5"


# --- cookies ----------------------------------------------------------------------------------------------------


def cookie_headers(response: Response) -> list[str]:
    return [value.decode("latin-1") for key, value in response.raw_headers if key == b"set-cookie"]


def test_set_cookie_with_every_attribute() -> None:
    response = Response()
    response.set_cookie(
        "mycookie",
        "myvalue",
        max_age=10,
        expires=10,
        path="/some/path",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="none",
    )
    (header,) = cookie_headers(response)
    parts = header.split("; ")
    assert parts[0] == "mycookie=myvalue"
    assert "Max-Age=10" in parts
    assert "Path=/some/path" in parts
    assert "Domain=example.com" in parts
    assert "Secure" in parts
    assert "HttpOnly" in parts
    assert "SameSite=none" in parts
    (expires,) = [part for part in parts if part.startswith("expires=")]
    # an int means "seconds from now"
    when = datetime.strptime(expires[len("expires=") :], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    assert abs((when - datetime.now(timezone.utc)).total_seconds() - 10) < 5


def test_set_cookie_defaults() -> None:
    response = Response()
    response.set_cookie("a")
    assert cookie_headers(response) == ['a=""; Path=/; SameSite=lax']


def test_set_cookie_several_and_quoted_value() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("b", "two words")
    assert cookie_headers(response) == ["a=1; Path=/; SameSite=lax", 'b="two words"; Path=/; SameSite=lax']


def test_set_cookie_expires_datetime_and_string() -> None:
    response = Response()
    response.set_cookie("a", expires=datetime(2037, 1, 22, 12, 0, 10, tzinfo=timezone.utc))
    response.set_cookie("b", expires="Thu, 22 Jan 2037 12:00:10 GMT")
    first, second = cookie_headers(response)
    assert "expires=Thu, 22 Jan 2037 12:00:10 GMT" in first
    assert "expires=Thu, 22 Jan 2037 12:00:10 GMT" in second


def test_set_cookie_expires_datetime_must_be_utc() -> None:
    response = Response()
    with pytest.raises(ValueError):
        response.set_cookie("a", expires=datetime(2037, 1, 22, tzinfo=timezone(timedelta(hours=2))))


def test_set_cookie_without_path_and_samesite() -> None:
    response = Response()
    response.set_cookie("a", "b", path=None, samesite=None)
    assert cookie_headers(response) == ["a=b"]


@pytest.mark.parametrize("samesite", ["strict", "lax", "none", "Strict", "LAX"])
def test_set_cookie_samesite_values(samesite: Any) -> None:
    response = Response()
    response.set_cookie("a", samesite=samesite)
    assert f"SameSite={samesite}" in cookie_headers(response)[0]


def test_set_cookie_invalid_samesite() -> None:
    response = Response()
    with pytest.raises(AssertionError, match="samesite must be either 'strict', 'lax' or 'none'"):
        response.set_cookie("a", samesite="invalid")  # type: ignore[arg-type]
    assert cookie_headers(response) == []


def test_set_cookie_partitioned() -> None:
    response = Response()
    if sys.version_info >= (3, 14):
        response.set_cookie("a", "b", partitioned=True)
        assert "Partitioned" in cookie_headers(response)[0]
    else:
        with pytest.raises(ValueError, match=r"Partitioned cookies are only supported in Python 3\.14 and above\."):
            response.set_cookie("a", "b", partitioned=True)
        assert cookie_headers(response) == []


def test_delete_cookie() -> None:
    response = Response()
    response.delete_cookie("a", path="/p", domain="example.com", secure=True, httponly=True, samesite="strict")
    (header,) = cookie_headers(response)
    parts = header.split("; ")
    assert parts[0] == 'a=""'
    assert "Max-Age=0" in parts
    assert "Path=/p" in parts
    assert "Domain=example.com" in parts
    assert "Secure" in parts
    assert "HttpOnly" in parts
    assert "SameSite=strict" in parts
    (expires,) = [part for part in parts if part.startswith("expires=")]
    when = datetime.strptime(expires[len("expires=") :], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    assert when <= datetime.now(timezone.utc)


def test_cookies_reach_the_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = Response("ok")
        if scope["path"] == "/set":
            response.set_cookie("session", "abc", max_age=60)
        else:
            response.delete_cookie("session")
        await response(scope, receive, send)

    client = test_client_factory(app)
    client.get("/set")
    assert client.cookies.get("session") == "abc"
    client.get("/delete")
    assert "session" not in client.cookies


# --- HTML / plain text / JSON -------------------------------------------------------------------------------------


def test_html_and_plain_text() -> None:
    html = HTMLResponse("<p>x</p>", status_code=404)
    assert html.status_code == 404
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    text = PlainTextResponse("x", media_type="text/markdown")
    assert text.headers["content-type"] == "text/markdown; charset=utf-8"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"a": 1, "b": [1, 2]}, b'{"a":1,"b":[1,2]}'),
        ({"text": "caf\u00e9 \u2603"}, '{"text":"caf\u00e9 \u2603"}'.encode()),
        (None, b"null"),
        ([], b"[]"),
    ],
)
def test_json_response_rendering(content: Any, expected: bytes) -> None:
    response = JSONResponse(content)
    assert response.body == expected
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(expected))


def test_json_response_rejects_nan() -> None:
    with pytest.raises(ValueError):
        JSONResponse({"x": float("nan")})


def test_json_response_arguments() -> None:
    task = BackgroundTask(print)
    response = JSONResponse({"a": 1}, 201, {"x-a": "1"}, "application/vnd.api+json", task)
    assert response.status_code == 201
    assert response.background is task
    assert response.headers["x-a"] == "1"
    assert response.headers["content-type"] == "application/vnd.api+json"


class PlainSubclassJSON(JSONResponse):
    """Initialised through super().__init__(), that is Response.__init__."""


@pytest.mark.parametrize(
    "args",
    [
        ({"a": 1},),
        ({"a": 1}, 204, None, "application/problem+json", BackgroundTask(print)),
        ([1], 200, {"X-A": "1"}),
        ("text", 500, {"content-type": "text/plain"}),
    ],
)
def test_json_response_builds_what_response_init_builds(args: tuple[Any, ...]) -> None:
    # For JSONResponse itself, Response.__init__ runs inlined; a subclass goes through it.
    response = JSONResponse(*args)
    expected = PlainSubclassJSON(*args)
    assert vars(response) == vars(expected)
    assert list(vars(response)) == list(vars(expected))
    assert response.raw_headers is not JSONResponse(*args).raw_headers  # a list of its own


class Tagging(Response):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw_headers.append((b"x-tag", b"1"))


class TaggedJSON(JSONResponse, Tagging):
    pass


class CompactJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return b"compact"


def test_json_response_subclasses_initialise_through_the_mro() -> None:
    tagged = TaggedJSON({"a": 1}, status_code=202)
    assert tagged.status_code == 202
    assert tagged.body == b'{"a":1}'
    assert tagged.raw_headers == [(b"content-length", b"7"), (b"content-type", b"application/json"), (b"x-tag", b"1")]
    compact = CompactJSON({"a": 1})
    assert compact.body == b"compact"
    assert compact.headers["content-length"] == "7"


def test_json_response_with_test_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"hello": "world"})(scope, receive, send)

    assert test_client_factory(app).get("/").json() == {"hello": "world"}


# --- RedirectResponse -----------------------------------------------------------------------------------------------


def test_redirect_response_defaults() -> None:
    response = RedirectResponse("/next")
    assert response.status_code == 307
    assert response.body == b""
    assert response.raw_headers == [(b"content-length", b"0"), (b"location", b"/next")]


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("https://example.org/a b?q=1&r=caf\u00e9#frag", "https://example.org/a%20b?q=1&r=caf%C3%A9#frag"),
        ("/x/%20y;z=[1]!$'()*+,@", "/x/%20y;z=[1]!$'()*+,@"),
        ("/\u2603", "/%E2%98%83"),
        ('/a<b>"c"', "/a%3Cb%3E%22c%22"),
    ],
)
def test_redirect_location_is_quoted(url: str, location: str) -> None:
    assert RedirectResponse(url).headers["location"] == location


def test_redirect_response_accepts_url_objects_and_arguments() -> None:
    recorder = Recorder()
    task = BackgroundTask(recorder)
    response = RedirectResponse(URL("https://example.org/path?x=1"), status_code=301, background=task)
    assert response.status_code == 301
    assert response.background is task
    assert response.headers["location"] == "https://example.org/path?x=1"


def test_redirect_response_replaces_a_location_given_in_headers() -> None:
    response = RedirectResponse("/new", headers={"Location": "/old", "x-a": "1"})
    assert response.headers.getlist("location") == ["/new"]
    assert response.headers["x-a"] == "1"


def test_redirect_with_test_client(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/":
            await RedirectResponse("/target?x=1")(scope, receive, send)
        else:
            await PlainTextResponse(f"at {scope['path']}")(scope, receive, send)

    client = test_client_factory(app)
    response = client.get("/")
    assert response.text == "at /target"
    assert response.url == "http://testserver/target?x=1"
    unfollowed = client.get("/", follow_redirects=False)
    assert unfollowed.status_code == 307
    assert unfollowed.headers["location"] == "/target?x=1"


# --- StreamingResponse ------------------------------------------------------------------------------------------


async def numbers(count: int) -> AsyncIterator[str]:
    for index in range(count):
        yield str(index)
        await anyio.sleep(0)


@pytest.mark.anyio
async def test_streaming_async_iterator() -> None:
    recorder = Recorder()
    response = StreamingResponse(
        numbers(3), media_type="text/plain", headers={"x-a": "1"}, background=BackgroundTask(recorder)
    )
    messages = await call(response)
    assert messages[0] == {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"x-a", b"1"), (b"content-type", b"text/plain; charset=utf-8")],
    }
    assert messages[1:] == [
        {"type": "http.response.body", "body": b"0", "more_body": True},
        {"type": "http.response.body", "body": b"1", "more_body": True},
        {"type": "http.response.body", "body": b"2", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_streaming_sync_iterator_runs_in_a_thread() -> None:
    import threading

    main_thread = threading.get_ident()
    threads: list[int] = []

    def generate() -> Iterator[bytes | str | memoryview]:
        threads.append(threading.get_ident())
        yield b"a"
        yield "\u00e9"
        yield memoryview(b"c")

    messages = await call(StreamingResponse(generate(), status_code=203))
    assert messages[0]["status"] == 203
    assert body_of(messages) == "a\u00e9c".encode()
    assert threads and threads[0] != main_thread


@pytest.mark.anyio
async def test_streaming_plain_iterables() -> None:
    messages = await call(StreamingResponse(["x", "y"]))
    assert body_of(messages) == b"xy"


def test_streaming_response_has_no_content_length() -> None:
    response = StreamingResponse(numbers(1))
    assert response.raw_headers == []
    assert not hasattr(response, "body")
    assert StreamingResponse(numbers(1), media_type="application/x-ndjson").headers["content-type"] == (
        "application/x-ndjson"
    )


def test_streaming_response_class_media_type() -> None:
    class NDJSON(StreamingResponse):
        media_type = "application/x-ndjson"

    assert NDJSON(numbers(1)).headers["content-type"] == "application/x-ndjson"


@pytest.mark.anyio
async def test_listen_for_disconnect_ignores_other_messages() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    await StreamingResponse(numbers(0)).listen_for_disconnect(receive)
    assert messages == []


async def endless() -> AsyncGenerator[bytes, None]:
    while True:
        yield b"chunk"
        await anyio.sleep(0)


@pytest.mark.anyio
@pytest.mark.parametrize("spec_version", [None, "2.0", "2.3", "not.a.version"])
async def test_streaming_stops_when_client_disconnects(spec_version: str | None) -> None:
    recorder = Recorder()
    sent: list[Message] = []
    enough = anyio.Event()

    async def receive() -> Message:
        await enough.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if len(sent) == 4:
            enough.set()

    stream = endless()
    response = StreamingResponse(stream, background=BackgroundTask(recorder))
    with anyio.fail_after(5):
        await response(http_scope(spec_version=spec_version), receive, send)
    await stream.aclose()
    assert len(sent) >= 4
    assert sent[0]["type"] == "http.response.start"
    assert all(message["more_body"] for message in sent[1:])  # the stream was cut short, not finished
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_streaming_finished_stream_stops_listening() -> None:
    # receive() never returns here: the listener must be cancelled once the stream is done.
    with anyio.fail_after(5):
        messages = await call(StreamingResponse(numbers(2)), http_scope(spec_version="2.1"))
    assert messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.anyio
@pytest.mark.parametrize("spec_version", ["2.4", "2.10", "3.0"])
async def test_streaming_spec_2_4_does_not_listen(spec_version: str) -> None:
    recorder = Recorder()

    async def receive() -> Message:
        raise AssertionError("receive() called")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    response = StreamingResponse(numbers(2), background=BackgroundTask(recorder))
    await response(http_scope(spec_version=spec_version), receive, send)
    assert body_of(sent) == b"01"
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_streaming_spec_2_4_oserror_from_send_is_client_disconnect() -> None:
    recorder = Recorder()
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("receive() called")

    async def send(message: Message) -> None:
        if len(sent) == 2:
            raise OSError("connection lost")
        sent.append(message)

    stream = endless()
    response = StreamingResponse(stream, background=BackgroundTask(recorder))
    with pytest.raises(ClientDisconnect):
        await response(http_scope(spec_version="2.4"), receive, send)
    await stream.aclose()
    assert len(sent) == 2
    assert recorder.calls == []  # as upstream: the response never completed


@pytest.mark.anyio
async def test_streaming_error_in_iterator_propagates_unwrapped() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a"
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        await call(StreamingResponse(broken()))


def test_streaming_with_test_client(test_client_factory: TestClientFactory) -> None:
    recorder = Recorder()

    def lines() -> Iterator[str]:
        yield "line 1\n"
        yield "line 2\n"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = StreamingResponse(lines(), media_type="text/plain", background=BackgroundTask(recorder))
        await response(scope, receive, send)

    response = test_client_factory(app).get("/")
    assert response.text == "line 1\nline 2\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-length" not in response.headers
    assert recorder.calls == ["ran"]


@pytest.mark.parametrize("headers", [None, {"x-a": "1"}])
def test_a_str_subclass_content_is_encoded(headers: dict[str, str] | None) -> None:
    class Text(str):
        pass

    response = Response(Text("héllo"), headers=headers)
    assert response.body == "héllo".encode()
    assert response.headers["content-length"] == "6"


@pytest.mark.parametrize("headers", [None, {"x-a": "1"}])
@pytest.mark.parametrize("method", ["render", "init_headers"])
def test_render_and_init_headers_patched_onto_a_class_are_called(
    method: str, headers: dict[str, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Response.__init__ does their steps itself when they are Response's own: a patch must still be seen.
    calls: list[Any] = []
    original = getattr(Response, method)

    def patched(self: Response, argument: Any) -> Any:
        calls.append(argument)
        return original(self, argument)

    monkeypatch.setattr(PlainTextResponse, method, patched)
    response = PlainTextResponse("hi", headers=headers)
    assert calls == (["hi"] if method == "render" else [headers])
    assert response.body == b"hi"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    monkeypatch.undo()
    calls.clear()
    assert PlainTextResponse("hi", headers=headers).body == b"hi"
    assert calls == []


def test_the_default_headers_follow_a_charset_patched_onto_a_class(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PlainTextResponse("caf\u00e9").body == "caf\u00e9".encode()
    monkeypatch.setattr(PlainTextResponse, "charset", "latin-1")
    response = PlainTextResponse("caf\u00e9")
    assert response.body == b"caf\xe9"
    assert response.raw_headers == [(b"content-length", b"4"), (b"content-type", b"text/plain; charset=latin-1")]


# How JSONResponse.render() can encode: its shared unchecked C encoder; json's own encoder (no C encoder of ours);
# json's own encoder because the recursion limit is too high to recurse through a circular document unchecked.
JSON_RENDER_PATHS = ["unchecked-c-encoder", "json-encoder", "json-encoder-under-high-recursion-limit"]


def use_json_render_path(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import starlette_core.responses as responses_module

    if path == "json-encoder":
        monkeypatch.setattr(responses_module, "_UNCHECKED_ENCODER", None)
    elif path == "json-encoder-under-high-recursion-limit":
        monkeypatch.setattr(responses_module, "_UNCHECKED_MAX_RECURSION_LIMIT", sys.getrecursionlimit() - 1)


JSON_DOCUMENTS: list[Any] = [
    {"a": 1, "b": [1, 2.5, -0.0, 1e300, None, True, False], "c": {"nested": 'ünïcödé ✓ \u2028 "q" \\ \n'}},
    ["x", 1, {}, [], ""],
    "just a string with \t and \u00e9",
    12345678901234567890,
    3.14,
    None,
    {1: "int key", 2.5: "float key", False: "bool key", None: "none key"},
]


@pytest.mark.parametrize("path", JSON_RENDER_PATHS)
@pytest.mark.parametrize("document", JSON_DOCUMENTS)
def test_json_rendering_is_json_dumps_compact_and_non_ascii(
    document: Any, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    use_json_render_path(path, monkeypatch)
    expected = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    assert JSONResponse(document).body == expected.encode("utf-8")


LONE_SURROGATE_DOCUMENTS: list[Any] = [
    "\ud800",
    {"name": "x\udfff", "plain": "caf\u00e9 \u2713", "list": ["\udbff", 1]},
    {"\ud83d": "a key with half an emoji"},
]


@pytest.mark.parametrize("path", JSON_RENDER_PATHS)
@pytest.mark.parametrize("document", LONE_SURROGATE_DOCUMENTS)
def test_json_rendering_of_a_lone_surrogate_escapes_every_non_ascii_character(
    document: Any, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone surrogate has no UTF-8 form (upstream: UnicodeEncodeError, a 500): the document is written as
    json.dumps(ensure_ascii=True) writes it, which reads back to the same document."""
    import json

    use_json_render_path(path, monkeypatch)
    body = JSONResponse(document).body
    assert body == json.dumps(document, allow_nan=False, separators=(",", ":")).encode("ascii")
    assert json.loads(bytes(body)) == document


@pytest.mark.parametrize("path", JSON_RENDER_PATHS)
def test_json_rendering_refuses_what_json_cannot_represent(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    use_json_render_path(path, monkeypatch)
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular reference detected"):
        JSONResponse(circular)
    # A failed render leaves nothing behind: the same objects encode fine afterwards.
    shared = {"k": [1, 2]}
    with pytest.raises(ValueError, match="Out of range float"):
        JSONResponse({"shared": shared, "bad": float("nan")})
    assert JSONResponse([shared, shared]).body == b'[{"k":[1,2]},{"k":[1,2]}]'
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        JSONResponse({"x": object()})


def nested_lists(depth: int) -> list[Any]:
    document: list[Any] = []
    for _ in range(depth):
        document = [document]
    return document


def too_deep_for_json_dumps() -> list[Any]:
    """Lists nested deeper than json.dumps can encode: past the recursion limit up to Python 3.11. From 3.12 on,
    json's C encoder counts against a C recursion limit of its own instead (over 8,000 levels on 3.13)."""
    import json

    depth = sys.getrecursionlimit() + 10
    while depth < 1_000_000:
        document = nested_lists(depth)
        try:
            json.dumps(document)
        except RecursionError:
            return document
        depth *= 2
    raise AssertionError("json.dumps encoded a million nested lists")


@pytest.mark.parametrize("path", JSON_RENDER_PATHS)
def test_json_rendering_of_a_too_deep_document_raises_recursion_error_like_json_dumps(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    use_json_render_path(path, monkeypatch)
    deep = too_deep_for_json_dumps()
    with pytest.raises(RecursionError):
        json.dumps(deep)
    with pytest.raises(RecursionError) as caught:
        JSONResponse(deep)
    # The error comes from the checked re-encode, not chained to the first attempt's.
    assert caught.value.__context__ is None
    shallow: list[Any] = []
    for _ in range(50):
        shallow = [shallow]
    assert JSONResponse(shallow).body == json.dumps(shallow).encode()


def test_json_rendering_of_a_circular_document_under_a_huge_recursion_limit_does_not_overflow_the_c_stack() -> None:
    # Unchecked, the C encoder would recurse 1,000,000 levels into this list and crash the process.
    import subprocess

    code = (
        "import sys\n"
        "from starlette_core.responses import JSONResponse\n"
        "sys.setrecursionlimit(1_000_000)\n"
        "circular = []\n"
        "circular.append(circular)\n"
        "try:\n"
        "    JSONResponse(circular)\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "Circular reference detected\n")


def test_a_json_render_that_failed_leaves_no_trace_on_the_next_render_of_the_same_objects() -> None:
    # An encoder that failed part-way remembers the containers it was inside (its circular-reference check):
    # reusing it would take the same, now valid, document for a circular one.
    document: dict[str, Any] = {"items": [1, 2], "bad": float("nan")}
    with pytest.raises(ValueError, match="Out of range float"):
        JSONResponse(document)
    document["bad"] = 0.5
    assert JSONResponse(document).body == b'{"items":[1,2],"bad":0.5}'


def test_json_renders_nested_in_a_render_do_not_share_an_encoder() -> None:
    class Items(dict):  # type: ignore[type-arg]
        # The C encoder asks a dict subclass for its items: the first time, this renders the whole document
        # meanwhile, while the outer render is inside it. An encoder whose circular-reference check were shared
        # with the outer render would call that circular.
        def items(self) -> Any:
            if not nested:
                nested.append(b"")
                nested[0] = JSONResponse(document).body
            return super().items()

    JSONResponse({})  # the outer render below runs after an earlier one, as in a server
    nested: list[Any] = []
    document = {"outer": Items(a=[2])}
    assert JSONResponse(document).body == b'{"outer":{"a":[2]}}'
    assert nested == [b'{"outer":{"a":[2]}}']


@pytest.mark.parametrize("kind", ["streaming", "file"])
def test_a_bodiless_response_calls_an_overridden_init_headers(kind: str, tmp_path: Any) -> None:
    calls: list[Any] = []

    class Recording:
        def init_headers(self, headers: Any = None) -> None:
            calls.append(headers)
            self.raw_headers = [(b"x-made-by", b"override")]

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"  # never iterated here

    if kind == "streaming":

        class OwnStreaming(Recording, StreamingResponse):
            pass

        response: Response = OwnStreaming(chunks())
    else:
        path = tmp_path / "file.txt"
        path.write_bytes(b"content")

        class OwnFile(Recording, FileResponse):
            pass

        response = OwnFile(path)
    assert calls == [None]
    assert response.raw_headers[0] == (b"x-made-by", b"override")


@pytest.mark.parametrize("media_type", [None, "text/csv", "application/x-custom"])
def test_a_streaming_response_without_headers_gets_what_init_headers_gives(media_type: str | None) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"  # never iterated here

    response = StreamingResponse(chunks(), status_code=201, media_type=media_type)
    expected = Response.__new__(Response)
    expected.status_code = 201
    expected.media_type = media_type
    Response.init_headers(expected)
    assert response.raw_headers == expected.raw_headers
