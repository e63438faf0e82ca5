"""FileResponse: headers from stat, chunked sending, HEAD, pathsend, and byte ranges (including hostile ones)."""

from __future__ import annotations

import email.utils
import os
import time
from pathlib import Path
from typing import Any, Callable

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable
from starlette_core.types import Message, Receive, Scope, Send
from tests.core.test_responses import Recorder, body_of, call, headers_of, http_scope

TestClientFactory = Callable[..., Any]

CONTENT = bytes(range(256)) * 40  # 10240 bytes, every byte distinct within each 256-byte block


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello, world\n")
    return path


def ranged(path: Path, range_value: str, method: str = "GET", **kwargs: Any) -> tuple[FileResponse, dict[str, Any]]:
    return FileResponse(path, **kwargs), http_scope(method, [("range", range_value)])


# --- plain file responses -------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_file_response_headers_and_body(data_file: Path) -> None:
    recorder = Recorder()
    response = FileResponse(data_file, background=BackgroundTask(recorder))
    messages = await call(response)
    headers = headers_of(messages)
    stat_result = data_file.stat()
    assert messages[0]["status"] == 200
    assert headers["content-length"] == str(len(CONTENT))
    assert headers["content-type"] == "application/octet-stream"
    assert headers["accept-ranges"] == "bytes"
    assert headers["last-modified"] == email.utils.formatdate(stat_result.st_mtime, usegmt=True)
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"') and len(headers["etag"]) == 34
    assert "content-disposition" not in headers
    assert body_of(messages) == CONTENT
    assert messages[-1]["more_body"] is False
    assert recorder.calls == ["ran"]
    # the stat headers are visible on the response object afterwards, as upstream
    assert response.headers["etag"] == headers["etag"]


@pytest.mark.anyio
async def test_etag_changes_with_the_file(data_file: Path) -> None:
    first = headers_of(await call(FileResponse(data_file)))["etag"]
    again = headers_of(await call(FileResponse(data_file)))["etag"]
    data_file.write_bytes(CONTENT + b"more")
    changed = headers_of(await call(FileResponse(data_file)))["etag"]
    assert first == again
    assert changed != first


@pytest.mark.anyio
@pytest.mark.parametrize("chunk_size", [1000, 1024, 4096, 100_000])
async def test_file_is_sent_in_chunks(data_file: Path, chunk_size: int) -> None:
    response = FileResponse(data_file)
    response.chunk_size = chunk_size
    messages = await call(response)
    bodies = messages[1:]
    assert body_of(messages) == CONTENT
    assert all(len(message["body"]) <= chunk_size for message in bodies)
    assert [message["more_body"] for message in bodies] == [True] * (len(bodies) - 1) + [False]
    assert len(bodies) == len(CONTENT) // chunk_size + 1


def test_default_chunk_size() -> None:
    assert FileResponse.chunk_size == 64 * 1024


@pytest.mark.anyio
async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    messages = await call(FileResponse(path))
    assert headers_of(messages)["content-length"] == "0"
    assert messages[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["HEAD", "head"])
async def test_head_sends_headers_only(data_file: Path, method: str) -> None:
    recorder = Recorder()
    messages = await call(FileResponse(data_file, background=BackgroundTask(recorder)), http_scope(method))
    assert headers_of(messages)["content-length"] == str(len(CONTENT))
    assert messages[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_pathsend_extension(data_file: Path) -> None:
    messages = await call(FileResponse(data_file), http_scope(extensions={"http.response.pathsend": {}}))
    assert messages[0]["type"] == "http.response.start"
    assert messages[1:] == [{"type": "http.response.pathsend", "path": str(data_file)}]


@pytest.mark.anyio
async def test_pathsend_not_used_for_head(data_file: Path) -> None:
    messages = await call(FileResponse(data_file), http_scope("HEAD", extensions={"http.response.pathsend": {}}))
    assert messages[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]


@pytest.mark.anyio
async def test_other_extensions_do_not_enable_pathsend(data_file: Path) -> None:
    messages = await call(FileResponse(data_file), http_scope(extensions={"http.response.debug": {}}))
    assert body_of(messages) == CONTENT


@pytest.mark.anyio
async def test_stat_result_given_up_front(data_file: Path) -> None:
    stat_result = data_file.stat()
    response = FileResponse(data_file, stat_result=stat_result)
    assert response.stat_result is stat_result
    # headers are known before the response is sent
    assert response.headers["content-length"] == str(len(CONTENT))
    assert "etag" in response.headers and "last-modified" in response.headers
    messages = await call(response)
    assert body_of(messages) == CONTENT
    assert headers_of(messages)["etag"] == response.headers["etag"]


def test_set_stat_headers_keeps_given_headers(data_file: Path) -> None:
    response = FileResponse(
        data_file,
        headers={"ETag": '"mine"', "Last-Modified": "yesterday", "Content-Length": "5", "Accept-Ranges": "none"},
    )
    response.set_stat_headers(data_file.stat())
    assert response.headers["etag"] == '"mine"'
    assert response.headers["last-modified"] == "yesterday"
    assert response.headers["content-length"] == "5"
    assert response.headers.getlist("accept-ranges") == ["none"]


@pytest.mark.anyio
async def test_missing_file_raises_runtime_error(tmp_path: Path) -> None:
    recorder = Recorder()
    path = tmp_path / "missing.txt"
    with pytest.raises(RuntimeError, match=r"File at path .*missing\.txt does not exist\."):
        await call(FileResponse(path, background=BackgroundTask(recorder)))
    assert recorder.calls == []


@pytest.mark.anyio
async def test_directory_raises_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"File at path .* is not a file\."):
        await call(FileResponse(tmp_path))


@pytest.mark.parametrize(
    ("name", "filename", "media_type", "expected"),
    [
        ("a.txt", None, None, "text/plain; charset=utf-8"),
        ("a.html", None, None, "text/html; charset=utf-8"),
        ("a.json", None, None, "application/json"),
        ("a.unknownext", None, None, "application/octet-stream"),
        ("noext", None, None, "application/octet-stream"),
        ("a.bin", "report.pdf", None, "application/pdf"),
        ("a.txt", None, "image/png", "image/png"),
    ],
)
def test_media_type(tmp_path: Path, name: str, filename: str | None, media_type: str | None, expected: str) -> None:
    response = FileResponse(tmp_path / name, filename=filename, media_type=media_type)
    assert response.headers["content-type"] == expected


def test_media_type_guessed_from_string_path() -> None:
    assert FileResponse("static/app.css").media_type == "text/css"


@pytest.mark.parametrize(
    ("filename", "disposition_type", "expected"),
    [
        ("report.pdf", "attachment", 'attachment; filename="report.pdf"'),
        ("report.pdf", "inline", 'inline; filename="report.pdf"'),
        ("r\u00e9sum\u00e9.pdf", "attachment", "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"),
        ("my report.pdf", "inline", "inline; filename*=utf-8''my%20report.pdf"),
        ("\u6587\u4ef6.txt", "attachment", "attachment; filename*=utf-8''%E6%96%87%E4%BB%B6.txt"),
    ],
)
def test_content_disposition(tmp_path: Path, filename: str, disposition_type: str, expected: str) -> None:
    response = FileResponse(tmp_path / "x", filename=filename, content_disposition_type=disposition_type)
    assert response.filename == filename
    assert response.headers["content-disposition"] == expected


def test_content_disposition_given_in_headers_wins(tmp_path: Path) -> None:
    response = FileResponse(tmp_path / "x", filename="a.txt", headers={"Content-Disposition": "inline"})
    assert response.headers.getlist("content-disposition") == ["inline"]


def test_method_parameter_is_deprecated(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="The 'method' parameter is not used, and it will be removed."):
        FileResponse(tmp_path / "x", method="GET")


def test_constructor_arguments(tmp_path: Path) -> None:
    task = BackgroundTask(print)
    response = FileResponse(str(tmp_path / "x"), status_code=203, headers={"x-a": "1"}, background=task)
    assert response.status_code == 203
    assert response.background is task
    assert response.path == str(tmp_path / "x")
    assert response.headers["x-a"] == "1"
    assert response.stat_result is None
    assert "content-length" not in response.headers  # not known until the file is stat'ed


def test_file_response_with_test_client(test_client_factory: TestClientFactory, text_file: Path) -> None:
    recorder = Recorder()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = FileResponse(text_file, filename="notes.txt", background=BackgroundTask(recorder))
        await response(scope, receive, send)

    client = test_client_factory(app)
    response = client.get("/")
    assert response.content == b"hello, world\n"
    assert response.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    head = client.head("/")
    assert head.content == b""
    assert head.headers["content-length"] == "13"
    partial = client.get("/", headers={"Range": "bytes=7-11"})
    assert partial.status_code == 206
    assert partial.content == b"world"
    assert recorder.calls == ["ran", "ran", "ran"]


@pytest.mark.anyio
async def test_client_disconnect_does_not_break_file_response(data_file: Path) -> None:
    recorder = Recorder()
    response = FileResponse(data_file, background=BackgroundTask(recorder))
    messages = await call(response, receive_messages=[{"type": "http.disconnect"}])
    assert body_of(messages) == CONTENT
    assert recorder.calls == ["ran"]


# --- single ranges ----------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "start", "end"),
    [
        ("bytes=0-0", 0, 1),
        ("bytes=0-99", 0, 100),
        ("bytes=100-199", 100, 200),
        ("bytes=10000-", 10000, 10240),
        ("bytes=-240", 10000, 10240),
        ("bytes=-10240", 0, 10240),
        ("bytes=10000-99999", 10000, 10240),
        ("bytes=10239-10239", 10239, 10240),
        ("BYTES = 5 - 9 ", 5, 10),
        ("bytes=5-9,", 5, 10),
        ("bytes=,5-9", 5, 10),
        ("bytes=5-9,x-y,-,abc", 5, 10),
        ("bytes=5-9,1-z,\u00b2-3", 5, 10),
        ("bytes=5-9,-\u00b2", 5, 10),
        ("bytes=0005-0009", 5, 10),
        ("bytes=" + "0" * 20 + "5-" + "0" * 20 + "9", 5, 10),
        ("bytes=5-" + "9" * 30, 5, 10240),
        ("bytes=" + "0" * 20 + "-" + "0" * 20, 0, 1),
    ],
)
async def test_single_range(data_file: Path, range_value: str, start: int, end: int) -> None:
    recorder = Recorder()
    response, scope = ranged(data_file, range_value, background=BackgroundTask(recorder))
    messages = await call(response, scope)
    headers = headers_of(messages)
    assert messages[0]["status"] == 206
    assert headers["content-range"] == f"bytes {start}-{end - 1}/{len(CONTENT)}"
    assert headers["content-length"] == str(end - start)
    assert headers["content-type"] == "application/octet-stream"
    assert headers["accept-ranges"] == "bytes"
    assert body_of(messages) == CONTENT[start:end]
    assert messages[-1]["more_body"] is False
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_single_range_in_chunks(data_file: Path) -> None:
    response, scope = ranged(data_file, "bytes=100-5099")
    response.chunk_size = 1000
    messages = await call(response, scope)
    bodies = messages[1:]
    assert [len(message["body"]) for message in bodies] == [1000] * 5
    assert [message["more_body"] for message in bodies] == [True] * 4 + [False]
    assert body_of(messages) == CONTENT[100:5100]


@pytest.mark.anyio
async def test_range_response_does_not_change_the_response_object(data_file: Path) -> None:
    response = FileResponse(data_file, stat_result=data_file.stat())
    before = list(response.raw_headers)
    first = await call(response, http_scope(headers=[("range", "bytes=0-9")]))
    second = await call(response, http_scope(headers=[("range", "bytes=0-9,20-29")]))
    plain = await call(response)
    assert response.raw_headers == before
    assert body_of(first) == CONTENT[:10]
    assert second[0]["status"] == 206
    assert plain[0]["status"] == 200
    assert body_of(plain) == CONTENT


@pytest.mark.anyio
async def test_single_range_head(data_file: Path) -> None:
    response, scope = ranged(data_file, "bytes=0-9", method="HEAD")
    messages = await call(response, scope)
    assert messages[0]["status"] == 206
    assert headers_of(messages)["content-length"] == "10"
    assert messages[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]


@pytest.mark.anyio
async def test_first_range_and_if_range_headers_are_used(data_file: Path) -> None:
    response = FileResponse(data_file, stat_result=data_file.stat())
    etag = response.headers["etag"]
    headers = [("range", "bytes=0-1"), ("if-range", etag), ("range", "bytes=4-5"), ("if-range", '"other"')]
    messages = await call(response, http_scope(headers=headers))
    assert messages[0]["status"] == 206
    assert body_of(messages) == CONTENT[:2]


@pytest.mark.anyio
async def test_range_ignores_pathsend(data_file: Path) -> None:
    scope = http_scope(headers=[("range", "bytes=0-9")], extensions={"http.response.pathsend": {}})
    messages = await call(FileResponse(data_file), scope)
    assert messages[0]["status"] == 206
    assert body_of(messages) == CONTENT[:10]


@pytest.mark.anyio
async def test_single_range_of_a_file_that_shrank(data_file: Path) -> None:
    stat_result = data_file.stat()
    data_file.write_bytes(CONTENT[:50])
    response = FileResponse(data_file, stat_result=stat_result)
    with anyio.fail_after(5):
        messages = await call(response, http_scope(headers=[("range", "bytes=40-99")]))
    assert body_of(messages) == CONTENT[40:50]
    assert messages[-1]["more_body"] is False


# --- several ranges ---------------------------------------------------------------------------------------------


def expected_multipart(boundary: str, content_type: str, ranges: list[tuple[int, int]]) -> bytes:
    parts = [
        (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{len(CONTENT)}\r\n\r\n"
        ).encode()
        + CONTENT[start:end]
        + b"\r\n"
        for start, end in ranges
    ]
    # Lines end in CRLF (RFC 2046), and the close delimiter ends the body, as upstream 1.x writes it.
    return b"".join(parts) + f"--{boundary}--".encode()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "ranges"),
    [
        ("bytes=0-9,20-29", [(0, 10), (20, 30)]),
        ("bytes=20-29,0-9", [(0, 10), (20, 30)]),
        ("bytes=0-9, 100-, -40", [(0, 10), (100, 10240)]),
        ("bytes=0-9,5-14,30-39", [(0, 15), (30, 40)]),
        ("bytes=30-39,0-9,5-14", [(0, 15), (30, 40)]),
        ("bytes=0-99,10-19,200-209", [(0, 100), (200, 210)]),
        ("bytes=0-9,10-19,30-39", [(0, 20), (30, 40)]),
        ("bytes=0-0,2-2,4-4", [(0, 1), (2, 3), (4, 5)]),
        ("bytes=9000-,-500,100-200", [(100, 201), (9000, 10240)]),
    ],
)
async def test_multiple_ranges(data_file: Path, range_value: str, ranges: list[tuple[int, int]]) -> None:
    recorder = Recorder()
    response, scope = ranged(data_file, range_value, background=BackgroundTask(recorder))
    messages = await call(response, scope)
    headers = headers_of(messages)
    assert messages[0]["status"] == 206
    content_type = headers["content-type"]
    prefix = "multipart/byteranges; boundary="
    assert content_type.startswith(prefix)
    boundary = content_type[len(prefix) :]
    assert len(boundary) == 26 and all(char in "0123456789abcdef" for char in boundary)
    body = body_of(messages)
    assert body == expected_multipart(boundary, "application/octet-stream", ranges)
    assert headers["content-length"] == str(len(body))
    assert "content-range" not in headers
    assert messages[-1]["more_body"] is False
    assert all(message["more_body"] for message in messages[1:-1])
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_multiple_ranges_get_a_fresh_boundary(data_file: Path) -> None:
    response = FileResponse(data_file)
    scope = http_scope(headers=[("range", "bytes=0-1,5-6")])
    first = headers_of(await call(response, scope))["content-type"]
    second = headers_of(await call(response, scope))["content-type"]
    assert first != second


@pytest.mark.anyio
async def test_multiple_ranges_in_chunks_with_text_content_type(text_file: Path) -> None:
    response, scope = ranged(text_file, "bytes=0-4,7-11")
    response.chunk_size = 2
    messages = await call(response, scope)
    headers = headers_of(messages)
    boundary = headers["content-type"].split("boundary=")[1]
    body = body_of(messages)
    assert (
        body
        == (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-4/13\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 7-11/13\r\n\r\nworld\r\n"
            f"--{boundary}--"
        ).encode()
    )
    assert headers["content-length"] == str(len(body))
    assert max(len(message["body"]) for message in messages[1:] if b"--" not in message["body"]) <= 2


@pytest.mark.anyio
async def test_multiple_ranges_head(data_file: Path) -> None:
    response, scope = ranged(data_file, "bytes=0-9,20-29", method="HEAD")
    messages = await call(response, scope)
    headers = headers_of(messages)
    assert messages[0]["status"] == 206
    assert headers["content-type"].startswith("multipart/byteranges; boundary=")
    full = await call(FileResponse(data_file), http_scope(headers=[("range", "bytes=0-9,20-29")]))
    assert headers["content-length"] == str(len(body_of(full)))
    assert messages[1:] == [{"type": "http.response.body", "body": b"", "more_body": False}]


@pytest.mark.anyio
async def test_multiple_ranges_of_a_file_that_shrank(data_file: Path) -> None:
    stat_result = data_file.stat()
    data_file.write_bytes(CONTENT[:50])
    response = FileResponse(data_file, stat_result=stat_result)
    with anyio.fail_after(5):
        messages = await call(response, http_scope(headers=[("range", "bytes=0-9,40-99")]))
    body = body_of(messages)
    assert CONTENT[40:50] + b"\r\n--" in body
    assert messages[-1]["more_body"] is False


def test_generate_multipart_length_matches_headers(tmp_path: Path) -> None:
    response = FileResponse(tmp_path / "x")
    ranges = [(0, 10), (95, 1000), (123456, 123457)]
    length, part_header = response.generate_multipart(ranges, "b" * 26, 987654321, "text/plain; charset=utf-8")
    body_length = sum(len(part_header(start, end)) + (end - start) + 2 for start, end in ranges)
    assert length == body_length + len("--" + "b" * 26 + "--")
    assert part_header(95, 1000) == (
        b"--"
        + b"b" * 26
        + b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 95-999/987654321\r\n\r\n"
    )


# --- If-Range -----------------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("validator", ["etag", "last-modified"])
async def test_if_range_match_honours_range(data_file: Path, validator: str) -> None:
    response = FileResponse(data_file, stat_result=data_file.stat())
    value = response.headers[validator]
    messages = await call(response, http_scope(headers=[("range", "bytes=0-9"), ("if-range", value)]))
    assert messages[0]["status"] == 206
    assert body_of(messages) == CONTENT[:10]


@pytest.mark.anyio
@pytest.mark.parametrize("if_range", ['"stale"', "Mon, 01 Jan 2001 00:00:00 GMT", ""])
async def test_if_range_mismatch_sends_the_whole_file(data_file: Path, if_range: str) -> None:
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", "bytes=0-9"), ("if-range", if_range)]))
    assert messages[0]["status"] == 200
    assert body_of(messages) == CONTENT
    assert "content-range" not in headers_of(messages)


@pytest.mark.anyio
async def test_if_range_against_current_stat(data_file: Path) -> None:
    # stat at call time: the validators compared are those of the file being sent
    etag = headers_of(await call(FileResponse(data_file)))["etag"]
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", "bytes=1-2"), ("if-range", etag)]))
    assert messages[0]["status"] == 206
    assert body_of(messages) == CONTENT[1:3]


@pytest.mark.anyio
async def test_if_range_without_validators_sends_whole_file(data_file: Path) -> None:
    response = FileResponse(data_file, stat_result=data_file.stat())
    etag = response.headers["etag"]
    del response.headers["etag"]
    del response.headers["last-modified"]
    messages = await call(response, http_scope(headers=[("range", "bytes=0-9"), ("if-range", etag)]))
    assert messages[0]["status"] == 200


@pytest.mark.anyio
async def test_if_range_without_range_is_ignored(data_file: Path) -> None:
    messages = await call(FileResponse(data_file), http_scope(headers=[("if-range", '"x"')]))
    assert messages[0]["status"] == 200
    assert body_of(messages) == CONTENT


# --- bad ranges -------------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "message"),
    [
        ("bytes", "Malformed range header."),
        ("0-10", "Malformed range header."),
        ("", "Malformed range header."),
        ("items=0-10", "Only support bytes range"),
        ("bits=0-10", "Only support bytes range"),
        ("=0-10", "Only support bytes range"),
        ("bytes=", "Range header: range must be requested"),
        ("bytes=-", "Range header: range must be requested"),
        ("bytes=,,,", "Range header: range must be requested"),
        ("bytes=abc", "Range header: range must be requested"),
        ("bytes=a-b", "Range header: range must be requested"),
        ("bytes=1-b", "Range header: range must be requested"),
        ("bytes=+1-5", "Range header: range must be requested"),
        ("bytes=--5", "Range header: range must be requested"),
        ("bytes=1_0-20", "Range header: range must be requested"),
        ("bytes=0x10-20", "Range header: range must be requested"),
        ("bytes=5-3", "Range header: start must be less than end"),
        ("bytes=5-4", "Range header: start must be less than end"),
        ("bytes=0-1,9-2", "Range header: start must be less than end"),
    ],
)
async def test_malformed_range_is_400(data_file: Path, range_value: str, message: str) -> None:
    recorder = Recorder()
    response, scope = ranged(data_file, range_value, background=BackgroundTask(recorder))
    messages = await call(response, scope)
    assert messages[0]["status"] == 400
    assert headers_of(messages)["content-type"] == "text/plain; charset=utf-8"
    assert body_of(messages) == message.encode()
    assert recorder.calls == ["ran"]  # nothing is lost: the background task still runs


@pytest.mark.anyio
@pytest.mark.parametrize(
    "range_value",
    [
        "bytes=10240-",
        "bytes=10240-10300",
        "bytes=99999-100000",
        "bytes=-0",
        "bytes=-10241",
        "bytes=0-9,10240-10250",
        "bytes=20000-10",  # unsatisfiable wins over reversed, as upstream
        "bytes=0-4,20000-10",
    ],
)
async def test_unsatisfiable_range_is_416(data_file: Path, range_value: str) -> None:
    recorder = Recorder()
    response, scope = ranged(data_file, range_value, background=BackgroundTask(recorder))
    messages = await call(response, scope)
    headers = headers_of(messages)
    assert messages[0]["status"] == 416
    assert headers["content-range"] == f"bytes */{len(CONTENT)}"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert body_of(messages) == b""
    assert recorder.calls == ["ran"]


@pytest.mark.anyio
async def test_any_range_of_an_empty_file_is_416(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    messages = await call(FileResponse(path), http_scope(headers=[("range", "bytes=0-")]))
    assert messages[0]["status"] == 416
    assert headers_of(messages)["content-range"] == "bytes */0"


def test_range_exceptions() -> None:
    assert MalformedRangeHeader().content == "Malformed range header."
    assert MalformedRangeHeader("custom").content == "custom"
    assert str(MalformedRangeHeader("custom")) == "custom"
    assert RangeNotSatisfiable(12).max_size == 12
    assert isinstance(RangeNotSatisfiable(1), Exception)


# --- hostile ranges: linear time --------------------------------------------------------------------------------


async def timed(response: FileResponse, range_value: str, method: str = "GET") -> tuple[float, list[Message]]:
    """The best of three runs (a quadratic parser fails every one; a busy machine rarely slows all three)."""
    best = float("inf")
    messages: list[Message] = []
    for _ in range(3):
        started = time.perf_counter()
        messages = await call(response, http_scope(method, [("range", range_value)]))
        best = min(best, time.perf_counter() - started)
    return best, messages


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "status", "body"),
    [
        ("bytes=" + "1" * 50_000 + "-", 416, None),
        ("bytes=0-" + "9" * 50_000, 206, CONTENT),
        ("bytes=-" + "9" * 50_000, 416, None),
        ("bytes=" + "0" * 50_000 + "7-9", 206, CONTENT[7:10]),
        ("bytes=" + "1" * 50_000 + "-" + "2" * 50_000, 416, None),
        ("bytes=" + "9" * 50_000 + "x-", 400, None),
        ("bytes=1-" + "0" * 49_999 + "x", 400, None),
        ("bytes=1" + " " * 50_000 + "x", 400, None),
        ("bytes=1 -" + " " * 50_000 + "x", 400, None),
        ("bytes=" + "-" * 50_000, 400, None),
        ("bytes=" + "1-" * 25_000, 400, None),
        ("bytes" + " " * 50_000 + "=0-1", 206, CONTENT[:2]),
        ("bytes=2" + " " * 50_000 + "-3", 206, CONTENT[2:4]),
    ],
)
async def test_huge_headers_answer_fast(data_file: Path, range_value: str, status: int, body: bytes | None) -> None:
    elapsed, messages = await timed(FileResponse(data_file, stat_result=data_file.stat()), range_value)
    assert messages[0]["status"] == status
    if body is not None:
        assert body_of(messages) == body
    assert elapsed < 0.5


@pytest.mark.anyio
async def test_huge_number_with_int_digit_limit_disabled(data_file: Path) -> None:
    # Even where int() would accept any length, no 50,000-digit number is ever converted.
    import sys

    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        response = FileResponse(data_file, stat_result=data_file.stat())
        elapsed, messages = await timed(response, "bytes=" + "7" * 50_000 + "-")
    finally:
        sys.set_int_max_str_digits(previous)
    assert messages[0]["status"] == 416
    assert elapsed < 0.5


# More ranges than FileResponse.max_ranges: tests/core/test_responses_range_hostile.py.


@pytest.mark.anyio
async def test_file_response_reads_no_request_body(data_file: Path) -> None:
    # the request body is none of FileResponse's business: it never calls receive()
    async def receive() -> Message:
        raise AssertionError("receive() called")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await FileResponse(data_file)(http_scope(headers=[("range", "bytes=0-1")]), receive, send)
    assert body_of(sent) == CONTENT[:2]
    assert os.path.exists(data_file)
