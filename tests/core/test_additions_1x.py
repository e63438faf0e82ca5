"""Upstream 1.x additions to the request/response layer (issue 20), each observed on upstream 1.10."""

from __future__ import annotations

import collections.abc
import inspect
import pickle
import sys
import typing
import warnings
from pathlib import Path
from typing import Any, TypedDict

import anyio
import pytest

from starlette_core import _utils
from starlette_core.config import Config
from starlette_core.datastructures import URL, FormData, Headers, ImmutableMultiDict, MultiDict, QueryParams, State
from starlette_core.exceptions import StarletteDeprecationWarning
from starlette_core.formparsers import FormParser, MultiPartException
from starlette_core.requests import HTTPConnection, Request, StateT
from starlette_core.responses import FileResponse, Response
from starlette_core.types import Message
from starlette_core.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from ._helpers import make_websocket

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup  # anyio's backport

# --- Response.delete_cookie(partitioned=) (1.7) ---


def test_delete_cookie_partitioned() -> None:
    parameter = inspect.signature(Response.delete_cookie).parameters["partitioned"]
    assert parameter.default is False
    assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    response = Response()
    if sys.version_info >= (3, 14):  # pragma: no cover  (the standard library's cookies know it from 3.14)
        response.delete_cookie("sid", secure=True, samesite="none", partitioned=True)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("sid=")
        assert "Max-Age=0" in cookie
        assert "Partitioned" in cookie
    else:  # pragma: no cover
        # As upstream 1.10, and as set_cookie(partitioned=True): passed on, and refused below 3.14.
        with pytest.raises(ValueError, match=r"^Partitioned cookies are only supported in Python 3\.14 and above\.$"):
            response.delete_cookie("sid", secure=True, samesite="none", partitioned=True)
        assert "set-cookie" not in response.headers
    plain = Response()
    plain.delete_cookie("sid")
    assert "Partitioned" not in plain.headers["set-cookie"]


# --- FileResponse (1.1, 1.10) ---


async def run_http(app: Any, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/", "headers": headers or [], "query_string": b""}
    await app(scope, receive, send)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["file.unknownext", "noext"])
async def test_file_response_unknown_type_is_octet_stream(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00\x01")
    messages = await run_http(FileResponse(path))
    assert dict(messages[0]["headers"])[b"content-type"] == b"application/octet-stream"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "status", "body"),
    [
        ("GET", 206, b"01"),
        ("get", 206, b"01"),
        ("HEAD", 206, b""),
        ("POST", 200, b"0123456789"),
        ("PUT", 200, b"0123456789"),
        ("DELETE", 200, b"0123456789"),
        ("OPTIONS", 200, b"0123456789"),
        ("PATCH", 200, b"0123456789"),
        ("QUERY", 200, b"0123456789"),
    ],
)
async def test_file_response_range_only_for_get_and_head(tmp_path: Path, method: str, status: int, body: bytes) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789")
    messages = await run_http(FileResponse(path), method, [(b"range", b"bytes=0-1")])
    assert messages[0]["status"] == status
    headers = dict(messages[0]["headers"])
    assert (b"content-range" in headers) is (status == 206)
    assert headers[b"accept-ranges"] == b"bytes"
    assert b"".join(message.get("body", b"") for message in messages[1:]) == body


# --- Request.send_early_hints (1.8) ---


@pytest.mark.anyio
@pytest.mark.parametrize("extensions", [None, {}, {"http.response.push": {}}])
async def test_send_early_hints_without_the_extension_does_nothing(extensions: dict[str, Any] | None) -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:  # pragma: no cover
        sent.append(message)

    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": []}
    if extensions is not None:
        scope["extensions"] = extensions
    await Request(scope, send=send).send_early_hints("</style.css>; rel=preload; as=style")
    assert sent == []


@pytest.mark.anyio
async def test_send_early_hints_sends_every_link() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "extensions": {"http.response.early_hint": {}},
    }
    request = Request(scope, send=send)
    await request.send_early_hints("</a.css>; rel=preload; as=style")
    await request.send_early_hints("</b.js>; rel=preload", "</caf\xe9.png>; rel=preload")
    assert sent == [
        {"type": "http.response.early_hint", "links": [b"</a.css>; rel=preload; as=style"]},
        {"type": "http.response.early_hint", "links": [b"</b.js>; rel=preload", b"</caf\xe9.png>; rel=preload"]},
    ]
    parameters = list(inspect.signature(Request.send_early_hints).parameters.values())
    assert [p.kind for p in parameters[1:]] == [inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.VAR_POSITIONAL]


# --- several Cookie headers (0.49) ---


@pytest.mark.parametrize(
    ("headers", "cookies"),
    [
        ([b"a=1", b"b=2"], {"a": "1", "b": "2"}),
        ([b"a=1;", b"a=2"], {"a": "2"}),
        ([b"a=1", b""], {"a": "1"}),
        ([b"a=1; ", b" b=2"], {"a": "1", "b": "2"}),
        ([b"a=1", b"b"], {"a": "1", "": "b"}),
        ([b"a=1,b=2", b"d=3"], {"a": "1,b=2", "d": "3"}),
    ],
)
def test_cookie_headers_are_joined(headers: list[bytes], cookies: dict[str, str]) -> None:
    raw = [(b"cookie", value) for value in headers]
    assert HTTPConnection({"type": "http", "headers": raw}).cookies == cookies


# --- "?" and "#" of the path in request.url (1.9) ---


@pytest.mark.parametrize(
    ("path", "root_path", "url", "base_url"),
    [
        ("/a?b#c", "", "http://h/a%3Fb%23c?x=1", "http://h/"),
        ("/r?#/a?b", "/r?#", "http://h/r%3F%23/a%3Fb?x=1", "http://h/r%3F%23/"),
        ("/a b%", "", "http://h/a b%?x=1", "http://h/"),
        ("/%3F", "", "http://h/%3F?x=1", "http://h/"),
    ],
)
def test_question_mark_and_hash_of_the_path_stay_in_the_path(
    path: str, root_path: str, url: str, base_url: str
) -> None:
    scope = {
        "type": "http",
        "scheme": "http",
        "path": path,
        "root_path": root_path,
        "raw_path": path.replace("?", "%3F").encode(),
        "query_string": b"x=1",
        "headers": [(b"host", b"h")],
    }
    request = Request(scope)
    assert str(request.url) == url
    assert request.url.query == "x=1"
    assert request.url.fragment == ""
    assert str(request.base_url) == base_url


def test_question_mark_of_a_path_without_host() -> None:
    assert str(URL(scope={"type": "http", "path": "/a?b", "query_string": b"", "headers": []})) == "/a%3Fb"


# --- State as a mapping, StateT (0.52) ---


def test_state_is_a_mapping_of_its_attributes() -> None:
    backing: dict[str, Any] = {"a": 1}
    state = State(backing)
    assert state["a"] == 1
    assert len(state) == 1
    assert list(state) == ["a"]
    state["b"] = 2
    assert state.b == 2
    assert backing == {"a": 1, "b": 2}
    assert "b" in state
    assert "c" not in state
    del state["a"]
    assert list(state) == ["b"]
    with pytest.raises(KeyError):
        state["missing"]
    with pytest.raises(KeyError):
        del state["missing"]
    assert len(State()) == 0


class MyState(TypedDict):
    db: str


def endpoint_annotation(request: Request[MyState]) -> str:  # usable in annotations, evaluated at run time too
    return request.state["db"]


def test_state_type_variable() -> None:
    assert isinstance(StateT, typing.TypeVar)
    assert StateT.__bound__ == typing.Union[collections.abc.Mapping[str, Any], State]
    classes: list[Any] = [Request, WebSocket, HTTPConnection]
    assert [cls.__parameters__ for cls in classes] == [(StateT,)] * 3
    alias: Any = Request[MyState]
    assert typing.get_origin(alias) is Request
    assert typing.get_args(alias) == (MyState,)
    assert typing.get_type_hints(endpoint_annotation)["request"] == alias
    request = alias({"type": "http", "headers": [], "state": {"db": "conn"}})
    assert isinstance(request, Request)
    assert endpoint_annotation(request) == "conn"
    # The state is still a State: attributes and items both.
    assert request.state.db == "conn"


# --- WebSocketDisconnected (1.7) ---


CONNECT: Message = {"type": "websocket.connect"}
DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1001}


@pytest.mark.anyio
async def test_websocket_disconnected() -> None:
    assert issubclass(WebSocketDisconnected, RuntimeError)
    assert not issubclass(WebSocketDisconnected, WebSocketDisconnect)

    websocket, _ = make_websocket(CONNECT, DISCONNECT)
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect):  # the client leaving is still WebSocketDisconnect, as 0.47.3
        await websocket.receive_text()
    with pytest.raises(WebSocketDisconnected, match=r'^Cannot call "receive" once a disconnect message has been'):
        await websocket.receive_text()

    websocket, sent = make_websocket(CONNECT)
    await websocket.accept()
    await websocket.close()
    with pytest.raises(WebSocketDisconnected, match=r'^Cannot call "send" once a close message has been sent\.$'):
        await websocket.send_text("x")
    with pytest.raises(WebSocketDisconnected):
        await websocket.close()
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.close"]


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json", "iter_text"])
async def test_websocket_disconnected_before_accept(method: str) -> None:
    websocket, _ = make_websocket(CONNECT)
    with pytest.raises(WebSocketDisconnected, match=r'^WebSocket is not connected\. Need to call "accept" first\.$'):
        result = getattr(websocket, method)()
        if inspect.isasyncgen(result):
            await result.__anext__()
        else:
            await result


# --- Config(encoding=) (0.49) ---


def test_config_encoding(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes("NAME=caf\xe9\n".encode("latin-1"))
    assert Config(env, environ={}, encoding="latin-1")("NAME") == "caf\xe9"
    assert inspect.signature(Config).parameters["encoding"].default == "utf-8"
    with pytest.raises(UnicodeDecodeError):
        Config(env, environ={})


# --- FormParser(max_fields=, max_part_size=) (1.3.1) ---


async def parse_form(body: list[bytes], **limits: Any) -> Any:
    async def stream() -> Any:
        for chunk in body:
            yield chunk

    parser = FormParser(Headers({"content-type": "application/x-www-form-urlencoded"}), stream(), **limits)
    try:
        return list((await parser.parse()).multi_items())
    except MultiPartException as exc:
        return exc.message


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "limits", "result"),
    [
        ([b"a=1&b=2&c=3"], {"max_fields": 2}, "Too many fields. Maximum number of fields is 2."),
        ([b"a=1&b=2&"], {"max_fields": 2}, [("a", "1"), ("b", "2")]),
        ([b"a=1&&b=2&&&"], {"max_fields": 2}, [("a", "1"), ("b", "2")]),
        ([b"a"], {"max_fields": 0}, "Too many fields. Maximum number of fields is 0."),
        ([b""], {"max_fields": 0}, []),
        ([b"a=1&b=2"], {"max_fields": 1.5}, "Too many fields. Maximum number of fields is 1.5."),
        ([b"a=1234"], {"max_part_size": 5}, [("a", "1234")]),
        ([b"a=1234"], {"max_part_size": 4}, "Field exceeded maximum size of 0KB."),
        ([b"a=12", b"34"], {"max_part_size": 4}, "Field exceeded maximum size of 0KB."),
        ([b"a=%41%41"], {"max_part_size": 7}, [("a", "AA")]),
        ([b"a=%41%41"], {"max_part_size": 6}, "Field exceeded maximum size of 0KB."),
        ([b"abc"], {"max_part_size": 2}, "Field exceeded maximum size of 0KB."),
        ([b"k=" + b"v" * 2048], {"max_part_size": 2048}, "Field exceeded maximum size of 2KB."),
        ([b"a=1&b=2"], {"max_fields": 2, "max_part_size": 2}, [("a", "1"), ("b", "2")]),
    ],
)
async def test_form_parser_limits(body: list[bytes], limits: dict[str, Any], result: Any) -> None:
    assert await parse_form(body, **limits) == result


@pytest.mark.anyio
async def test_form_parser_limit_defaults() -> None:
    parameters = inspect.signature(FormParser).parameters
    assert parameters["max_fields"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["max_part_size"].kind is inspect.Parameter.KEYWORD_ONLY

    async def stream() -> Any:
        yield b""  # pragma: no cover

    parser = FormParser(Headers(), stream())
    assert (parser.max_fields, parser.max_part_size) == (1000, 1024 * 1024)
    assert await parse_form([b"&".join(b"f=1" for _ in range(1001))]) == (
        "Too many fields. Maximum number of fields is 1000."
    )


# --- StarletteDeprecationWarning (0.48) ---


def test_starlette_deprecation_warning_is_both_kinds() -> None:
    assert issubclass(StarletteDeprecationWarning, UserWarning)
    assert issubclass(StarletteDeprecationWarning, DeprecationWarning)
    with pytest.deprecated_call():
        warnings.warn("old", StarletteDeprecationWarning, stacklevel=1)
    with pytest.warns(UserWarning, match="^old$"):
        warnings.warn("old", StarletteDeprecationWarning, stacklevel=1)


# --- multidict equality (1.10), URL.replace with IPv6 (1.8) ---


def test_multidict_equality_is_by_key() -> None:
    a = ImmutableMultiDict([("a", "1"), ("b", "2")])
    assert a == ImmutableMultiDict([("b", "2"), ("a", "1")])
    assert a != MultiDict([("b", "2"), ("a", "1")])
    assert a != {"a": "1", "b": "2"}
    assert a != [("a", "1"), ("b", "2")]
    # A key's values keep their order (0.47.3 sorted every pair).
    assert ImmutableMultiDict([("a", "1"), ("a", "2")]) != ImmutableMultiDict([("a", "2"), ("a", "1")])
    assert ImmutableMultiDict([("a", "1"), ("b", "2"), ("a", "3")]) == ImmutableMultiDict(
        [("b", "2"), ("a", "1"), ("a", "3")]
    )
    assert ImmutableMultiDict([("a", "1")]) != ImmutableMultiDict([("a", "1"), ("a", "1")])
    assert ImmutableMultiDict([("a", "1")]) != ImmutableMultiDict([("b", "1")])
    assert QueryParams("a=1&b=2") == QueryParams("b=2&a=1")


def test_form_data_with_files_compares() -> None:
    from starlette_core.datastructures import UploadFile

    upload = UploadFile(file=None, filename="x")  # type: ignore[arg-type]
    other = UploadFile(file=None, filename="y")  # type: ignore[arg-type]
    assert FormData([("f", upload), ("g", other)]) == FormData([("g", other), ("f", upload)])
    assert FormData([("f", upload), ("f", other)]) != FormData([("f", other), ("f", upload)])


@pytest.mark.parametrize(
    ("url", "changes", "result"),
    [
        ("http://example.com/p", {"hostname": "::1"}, "http://[::1]/p"),
        ("http://example.com/p", {"hostname": "[::1]"}, "http://[::1]/p"),
        ("http://example.com/p", {"hostname": "::1", "port": 9}, "http://[::1]:9/p"),
        ("http://example.com/p", {"hostname": "fe80::1%eth0"}, "http://[fe80::1%eth0]/p"),
        ("http://[::1]:80/p", {"hostname": "::1"}, "http://[::1]:80/p"),
        ("http://[::1]:80/p", {"hostname": "a.b"}, "http://a.b:80/p"),
        ("http://u:p@h:1/x", {"hostname": "::1"}, "http://u:p@[::1]:1/x"),
        ("http://example.com/p", {"netloc": "::1"}, "http://::1/p"),
    ],
)
def test_url_replace_brackets_ipv6_hostnames(url: str, changes: dict[str, Any], result: str) -> None:
    assert str(URL(url).replace(**changes)) == result


# --- starlette._utils.create_collapsing_task_group, parse_host_header ---


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        (None, None),
        ("", None),
        ("example.com", ("example.com", None)),
        ("example.com:8000", ("example.com", "8000")),
        ("host:0080", ("host", "0080")),
        ("host:99999", ("host", "99999")),
        ("[::1]", ("[::1]", None)),
        ("[::1]:80", ("[::1]", "80")),
        ("[::ffff:1.2.3.4]", ("[::ffff:1.2.3.4]", None)),
        ("[v1.x]", ("[v1.x]", None)),
        ("1.2.3.4:5", ("1.2.3.4", "5")),
        ("a~b!$&'()*+,;=%_-.", ("a~b!$&'()*+,;=%_-.", None)),
        ("[zz]", None),
        ("[1.2.3.4]", None),
        ("[fe80::1%25eth0]", None),
        ("[V1.x]", None),
        ("[]", None),
        ("::1", None),
        ("a b", None),
        ("a@b", None),
        ("host:", None),
        (":80", None),
        ("host:abc", None),
        ("a:1:2", None),
        ("[::1]x", None),
        ("a/b", None),
        ("a\n", None),
    ],
)
def test_parse_host_header(header: str | None, parsed: tuple[str, str | None] | None) -> None:
    result = _utils.parse_host_header(header)
    if parsed is None:
        assert result is None
    else:
        assert result == _utils.ParsedHost(*parsed)
        assert (result.host, result.port) == parsed
        assert pickle.loads(pickle.dumps(result)) == result
        assert repr(result) == f"ParsedHost(host={parsed[0]!r}, port={parsed[1]!r})"
        with pytest.raises(AttributeError):  # frozen (dataclasses.FrozenInstanceError)
            result.host = "other"  # type: ignore[misc]


@pytest.mark.anyio
async def test_collapsing_task_group_raises_a_single_error_as_itself() -> None:
    async def fail() -> None:
        try:
            raise KeyError("context")
        except KeyError:
            raise ValueError("boom")  # noqa: B904  (the context, not a cause)

    with pytest.raises(ValueError, match=r"^boom$") as info:
        async with _utils.create_collapsing_task_group() as task_group:
            task_group.start_soon(fail)
    # The implicit context becomes the cause, as upstream's helper does.
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.__suppress_context__ is True

    async def fail_from() -> None:
        raise ValueError("caused") from OSError("cause")

    with pytest.raises(ValueError, match=r"^caused$") as info:
        async with _utils.create_collapsing_task_group() as task_group:
            task_group.start_soon(fail_from)
    assert isinstance(info.value.__cause__, OSError)

    async def fail_from_none() -> None:
        try:
            raise KeyError("hidden")
        except KeyError:
            raise ValueError("plain") from None

    with pytest.raises(ValueError, match=r"^plain$") as info:
        async with _utils.create_collapsing_task_group() as task_group:
            task_group.start_soon(fail_from_none)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ is True


@pytest.mark.anyio
async def test_collapsing_task_group_keeps_several_errors_grouped() -> None:
    results: list[int] = []

    async def ok() -> None:
        await anyio.sleep(0)
        results.append(1)

    async with _utils.create_collapsing_task_group() as task_group:
        task_group.start_soon(ok)
    assert results == [1]

    async def fail(message: str) -> None:
        raise ValueError(message)

    with pytest.raises(BaseExceptionGroup) as info:
        async with _utils.create_collapsing_task_group() as task_group:
            task_group.start_soon(fail, "one")
            task_group.start_soon(fail, "two")
    assert sorted(str(error) for error in info.value.exceptions) == ["one", "two"]


# --- 1.x deprecations this toolkit applies ---


def test_form_message_lookup_by_value_is_deprecated() -> None:
    from starlette_core.formparsers import FormMessage

    message = "`FormMessage` is deprecated and will be removed in a future version."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        members = list(FormMessage)
        assert FormMessage["END"] is FormMessage.END is members[-1]
    assert getattr(FormMessage, "__deprecated__") == message  # noqa: B009  (what @deprecated sets)
    with pytest.warns(StarletteDeprecationWarning) as record:
        assert FormMessage(5) is FormMessage.END
    assert [str(warning.message) for warning in record] == [message]
    assert record[0].filename == __file__
    with pytest.deprecated_call():
        assert pickle.loads(pickle.dumps(FormMessage.FIELD_START)) is FormMessage.FIELD_START


def test_pre_rfc_9110_status_names_do_not_warn() -> None:
    # Upstream 1.x warns on these names; FastAPI 0.116 imports HTTP_422_UNPROCESSABLE_ENTITY (see README).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from starlette_core.status import (
            HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            HTTP_414_REQUEST_URI_TOO_LONG,
            HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
            HTTP_422_UNPROCESSABLE_ENTITY,
        )
    assert [
        HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        HTTP_414_REQUEST_URI_TOO_LONG,
        HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
        HTTP_422_UNPROCESSABLE_ENTITY,
    ] == [413, 414, 416, 422]
