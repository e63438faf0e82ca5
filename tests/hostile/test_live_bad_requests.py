"""A few hundred bad requests over raw sockets to an app served by uvicorn (httptools and h11) on loopback.

The app has what a real one has: forms and uploads (low limits), JSON, static files, a download with ranges, path
parameters of every convertor, TrustedHostMiddleware and GZipMiddleware, and a low ``max_body_size``.  The requests
are well-formed HTTP (malformed request lines are the server's business) with bad content: wrong Content-Types and
charsets, malformed, truncated, cut-off and oversized bodies, hostile Range headers, traversal paths, invalid JSON,
bad Host headers, unknown methods, and large headers within the server's limits.

Asserted: no response is a 5xx, each status is one the request may get, nothing is logged at ERROR or with a
traceback (by uvicorn or by our code), no file descriptor is left open, and the process' resident memory grows by
less than ``RSS_BOUND`` over the whole run.  Every socket operation has a timeout.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import random
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, with_max_body_size
from starlette.staticfiles import StaticFiles
from tests.e2e.servers import serve

TIMEOUT = 10.0  # seconds, for every connect, send and receive
RSS_BOUND = 50 * 1024 * 1024
APP_MAX_BODY = 32 * 1024
UPLOAD_MAX_BODY = 4 * 1024
BIG_FILE = b"".join(b"%06d All work and no play makes Jack a dull boy.\n" % line for line in range(2000))
SECRET = b"secret: outside the static directory"


# The app -----------------------------------------------------------------------------------------------------------


async def read_form(request: Request) -> JSONResponse:
    async with request.form(max_files=2, max_fields=8, max_part_size=1024) as form:
        items = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                items.append([name, value.filename, len(await value.read())])
            else:
                items.append([name, value])
    return JSONResponse(items)


async def read_json(request: Request) -> Response:
    try:
        data = await request.json()
    except ValueError:
        return PlainTextResponse("Invalid JSON", status_code=400)
    # (Not the client's strings: JSON may hold lone surrogates, which JSONResponse, as upstream's, cannot encode.)
    return JSONResponse({"type": type(data).__name__, "length": len(data) if isinstance(data, (str, list)) else None})


async def params(request: Request) -> JSONResponse:
    return JSONResponse({key: str(value) for key, value in request.path_params.items()})


async def home(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.url} {request.url_for('item', item_id=1)} {request.cookies}")


def build_app(static: Path) -> Starlette:
    async def download(request: Request) -> FileResponse:
        return FileResponse(static / "big.txt")

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/form", read_form, methods=["POST"]),
            with_max_body_size(Route("/upload", read_form, methods=["POST"]), UPLOAD_MAX_BODY),
            Route("/json", read_json, methods=["POST"]),
            Route("/items/{item_id:int}", params, name="item"),
            Route("/prices/{price:float}", params),
            Route("/things/{thing:uuid}", params),
            Route("/users/{name:str}", params),
            Route("/files/{name:path}", params),
            Route("/download", download),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "*.example.com"]),
            Middleware(GZipMiddleware, minimum_size=64),
        ],
    )
    app.max_body_size = APP_MAX_BODY
    return app


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_bytes(SECRET)
    directory = tmp_path / "static"
    (directory / "sub").mkdir(parents=True)
    (directory / "hello.txt").write_bytes(b"hello")
    (directory / "sub" / "inner.txt").write_bytes(b"inner")
    (directory / "big.txt").write_bytes(BIG_FILE)
    (directory / "escape.txt").symlink_to(tmp_path / "secret.txt")
    return directory


# Raw requests ------------------------------------------------------------------------------------------------------

ANY = frozenset(range(200, 500))


@dataclass(frozen=True)
class Bad:
    """One request, sent as raw bytes on its own connection, and the statuses it may get."""

    label: str
    raw: bytes
    expect: frozenset[int] = ANY
    answer_optional: bool = False  # refused before its body was read: the server may reset the connection
    cut_off: bool = False  # the client hangs up after sending ``raw``: no answer expected


def request(
    method: str,
    target: str | bytes,
    *,
    headers: Optional[list[tuple[bytes, bytes]]] = None,
    body: bytes = b"",
    host: Optional[bytes] = b"127.0.0.1",
    length: Optional[int] = None,
    chunked: bool = False,
) -> bytes:
    lines = [method.encode() + b" " + (target.encode() if isinstance(target, str) else target) + b" HTTP/1.1"]
    if host is not None:
        lines.append(b"Host: " + host)
    lines.append(b"Connection: close")
    for name, value in headers or []:
        lines.append(name + b": " + value)
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in _pieces(body, 1000)) + b"0\r\n\r\n"
    else:
        if body or length is not None or method == "POST":
            lines.append(b"Content-Length: %d" % (len(body) if length is None else length))
        payload = body
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"live-boundary", end: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in parts)
    return body + (b"--" + boundary + b"--\r\n" if end else b"")


MULTIPART = b"multipart/form-data; boundary=live-boundary"
URLENCODED = b"application/x-www-form-urlencoded"
FIELD = b'Content-Disposition: form-data; name="field"'
FILE = b'Content-Disposition: form-data; name="upload"; filename="a.bin"\r\nContent-Type: application/octet-stream'


def content_type_requests() -> Iterator[Bad]:
    body = multipart([(FIELD, b"value"), (FILE, b"data")])
    for content_type in [
        b"multipart/form-data",
        b"multipart/form-data; boundary=",
        b'multipart/form-data; boundary=""',
        b"multipart/form-data; boundary=other",
        b"multipart/form-data; boundary=live-boundary; charset=rot13",
        b"multipart/form-data; boundary=live-boundary; charset=" + b"x" * 2000,
        b"multipart/form-data; charset=punycode; boundary=live-boundary",
        b"application/x-www-form-urlencoded; charset=base64",
        b"application/x-www-form-urlencoded; charset=idna",
        b"application/x-www-form-urlencoded; charset=\xff\xfe",
        b"text/plain",
        b"\xff\xfe\xfd",
        b"multipart/form-data; boundary=live-boundary; " + b"p=v; " * 500,
    ]:
        yield Bad(
            f"content-type {content_type[:60]!r}",
            request("POST", "/form", headers=[(b"Content-Type", content_type)], body=body),
            frozenset({200, 400}),
        )
    for content_type in [
        b"text/plain",
        b"application/json; charset=utf-32",
        b"application/json; charset=nonsense",
        b"",
    ]:
        yield Bad(
            f"json content-type {content_type!r}",
            request("POST", "/json", headers=[(b"Content-Type", content_type)], body=b'{"a": 1}'),
            frozenset({200, 400}),
        )


def form_body_requests(rng: random.Random) -> Iterator[Bad]:
    good = multipart([(FIELD, b"value"), (FILE, b"x" * 100)])
    bodies = {
        "missing name": multipart([(b"Content-Disposition: form-data", b"x")]),
        "no headers": multipart([(b"", b"x")]),
        "too many files": multipart([(FILE, b"1"), (FILE, b"2"), (FILE, b"3")]),
        "too many fields": multipart([(FIELD, b"v")] * 9),
        "part too large": multipart([(FIELD, b"v" * 1025)]),
        "unterminated": multipart([(FIELD, b"value"), (FILE, b"data")], end=False),
        "ends inside a file": good[: good.index(b"x" * 100) + 50],
        "ends inside headers": good[:30],
        "only the boundary": b"--live-boundary",
        "garbage": bytes(rng.randrange(256) for _ in range(300)),
        "nul in header": multipart([(FIELD + b"\x00", b"v")]),
        "header without colon": multipart([(b"Content-Disposition form-data", b"v")]),
        "huge header line": multipart([(FIELD + b"; x=" + b"a" * 8000, b"v")]),
    }
    for label, body in bodies.items():
        yield Bad(
            f"multipart {label}",
            request("POST", "/form", headers=[(b"Content-Type", MULTIPART)], body=body),
            frozenset({200, 400}),
        )
    for _ in range(60):  # random edits of a good body
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(data) + 1)
            choice = rng.random()
            if choice < 0.4:
                data[where:where] = rng.choice(
                    [b"\r\n", b"--", b'"', b"\x00", b"\xff", b"--live-boundary", os.urandom(8)]
                )
            elif choice < 0.8:
                del data[where : where + rng.randint(1, 20)]
            else:
                del data[where:]
        yield Bad(
            "multipart random edit",
            request("POST", "/form", headers=[(b"Content-Type", MULTIPART)], body=bytes(data)),
            frozenset({200, 400}),
        )
    urlencoded = {
        "too many fields": b"&".join(b"f%d=v" % index for index in range(9)),
        "field too large": b"f=" + b"v" * 1100,
        "broken escapes": b"a=%&b=%zz&c=%C3&%=%%&d=%00",
        "only separators": b"&&&&===&&&",
        "binary": bytes(range(256)),
        "charset field": b"_charset_=punycode&a=%FF%FE",
    }
    for label, body in urlencoded.items():
        yield Bad(
            f"urlencoded {label}",
            request("POST", "/form", headers=[(b"Content-Type", URLENCODED)], body=body),
            frozenset({200, 400}),
        )


def size_requests() -> Iterator[Bad]:
    small_form = multipart([(FILE, b"u" * (UPLOAD_MAX_BODY + 1))])
    big_form = multipart([(FILE, b"b" * (APP_MAX_BODY + 1))])
    for label, path, body in [
        ("upload", "/upload", small_form),
        ("app", "/form", big_form),
        ("json", "/json", b"[" + b"1," * APP_MAX_BODY + b"1]"),
    ]:
        content_type = b"application/json" if path == "/json" else MULTIPART
        headers = [(b"Content-Type", content_type)]
        yield Bad(
            f"oversized {label} body",
            request("POST", path, headers=headers, body=body),
            frozenset({413}),
            answer_optional=True,
        )
        yield Bad(
            f"oversized chunked {label} body",
            request("POST", path, headers=headers, body=body, chunked=True),
            frozenset({413}),
            answer_optional=True,
        )
        yield Bad(
            f"oversized {label} Content-Length alone",
            request("POST", path, headers=headers, length=10**12),
            frozenset({413}),
            answer_optional=True,
        )
        yield Bad(
            f"{label} body cut off",
            request("POST", path, headers=headers, body=body[:500], length=len(body)),
            cut_off=True,
        )
    yield Bad(
        "Content-Length of 40 digits",
        request("POST", "/form", headers=[(b"Content-Type", MULTIPART)], length=10**40),
        frozenset({400, 413}),
        answer_optional=True,
    )


def range_requests(rng: random.Random) -> Iterator[Bad]:
    size = len(BIG_FILE)
    headers = [
        b"bytes=0-0",
        b"bytes=-1",
        b"bytes=0-",
        b"bytes=-0",
        b"bytes=%d-" % size,
        b"bytes=%d-%d" % (size - 1, size * 2),
        b"bytes=" + b"9" * 5000 + b"-",
        b"bytes=0-" + b"9" * 5000,
        b"bytes=" + b"0" * 5000 + b"1-2",
        b"bytes=5-1",
        b"bytes=1-2,3-4,5-6,100-200,-50",
        b"bytes=" + b",".join(b"%d-%d" % (start, start) for start in range(0, 2000, 2)),
        b"bytes=" + b"0-0," * 1500 + b"0-0",
        b"bytes=" + b"," * 4000,
        b"bytes=" + b"-" * 4000,
        b"bytes=" + b" " * 4000 + b"1-2",
        b"items=0-1",
        b"bytes",
        b"=0-1",
        b"bytes=\xff-\xfe",
        b"bytes=0-1, x, 2-3",
    ]
    for _ in range(40):
        specs = []
        for _ in range(rng.randint(1, 6)):
            first = rng.choice(["", str(rng.randrange(size * 2)), "x"])
            last = rng.choice(["", str(rng.randrange(size * 2)), "-"])
            specs.append(f"{first}-{last}")
        headers.append(("bytes=" + ",".join(specs)).encode())
    for value in headers:
        for method in ("GET", "HEAD"):
            yield Bad(
                f"range {value[:50]!r}",
                request(method, "/download", headers=[(b"Range", value), (b"Accept-Encoding", b"gzip")]),
                frozenset({200, 206, 400, 416}),
            )
    yield Bad(
        "if-range junk",
        request("GET", "/download", headers=[(b"Range", b"bytes=0-1"), (b"If-Range", b'"nope"')]),
        frozenset({200}),
    )
    yield Bad(
        "static range",
        request("GET", "/static/big.txt", headers=[(b"Range", b"bytes=" + b"1-2," * 200)]),
        frozenset({200, 206}),
    )


def path_requests() -> Iterator[Bad]:
    not_found = frozenset({400, 404})  # (the server may refuse a target it cannot decode)
    for target in [
        b"/static/../secret.txt",
        b"/static/../../../../etc/passwd",
        b"/static/%2e%2e/secret.txt",
        b"/static/%2e%2e%2fsecret.txt",
        b"/static/..%2f..%2fetc%2fpasswd",
        b"/static/..%5csecret.txt",
        b"/static/%5c..%5csecret.txt",
        b"/static/%00",
        b"/static/hello.txt%00.png",
        b"/static/escape.txt",
        b"/static//etc/passwd",
        b"/static/sub/../../secret.txt",
        b"/static/" + b"a" * 8000,
        b"/static/" + b"a/" * 3000,
        b"/static/%ff%fe",
        b"/static/%",
        b"/static/....//....//secret.txt",
    ]:
        yield Bad(f"traversal {target[:60]!r}", request("GET", target), not_found)
    for target in [b"/static/hello.txt", b"/static/sub/inner.txt", b"/static/sub/./inner.txt"]:
        yield Bad(f"static {target!r}", request("GET", target), frozenset({200}))
    for target in [
        b"/items/" + b"9" * 5000,
        b"/items/" + b"0" * 5000 + b"1",
        b"/items/-1",
        b"/items/%31",
        b"/items/1%00",
        b"/prices/" + b"9" * 400 + b"." + b"9" * 400,
        b"/prices/1e999",
        b"/prices/nan",
        b"/things/not-a-uuid",
        b"/things/12345678-1234-1234-1234-1234567890ag",
        b"/things/%7B12345678-1234-1234-1234-123456789012%7D",
        b"/users/" + b"%00" * 100,
        b"/users/%2F",
        b"/users/" + b"u" * 9000,
        b"/files/../../etc/passwd",
        b"/files/%00/%ff",
        b"/items/1/",
        b"//evil.com/",
        b"/\\evil.com/",
        b"/%2F%2Fevil.com/",
    ]:
        yield Bad(f"path {target[:60]!r}", request("GET", target), frozenset({200, 307, 400, 404}))
    methods: list[tuple[str, str]] = [
        ("PROPFIND", "/json"),
        ("DELETE", "/items/1"),
        ("PUT", "/static/hello.txt"),
        ("POST", "/download"),
        ("PATCH", "/form"),
    ]
    for method, path in methods:
        yield Bad(f"method {method} {path}", request(method, path), frozenset({405}))
    # (httptools refuses methods it does not know: that 400 is the server's.)
    yield Bad("method BREW", request("BREW", "/json"), frozenset({400, 405}))


def json_requests() -> Iterator[Bad]:
    for body in [
        b"",
        b"{",
        b"[" * 30000,
        b"[" * 10000 + b"]" * 10000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"1" * 5000,
        b"\xff\xfe\x00",
        '{"a": 1}'.encode("utf-16-le"),
        b"\xef\xbb\xbf[1]",
        b'"\\ud800"',
        b"NaN",
        b"[1,]",
        b'{"a": 1} trailing',
        b"\x00" * 100,
    ]:
        yield Bad(
            f"json {body[:30]!r}",
            request("POST", "/json", headers=[(b"Content-Type", b"application/json")], body=body),
            frozenset({200, 400}),
        )


def host_requests() -> Iterator[Bad]:
    for host in [
        b"evil.com",
        b"127.0.0.1:80@evil.com",
        b"127.0.0.1.evil.com",
        b"evil.com#.example.com",
        b"x.example.com:99999",
        b"127.0.0.1:",
        b"[::1",
        b"[::1]",
        b"127.0.0.1:0x50",
        b"a" * 4000,
        b"www.example.com:-1",
        b"xn--80ak6aa92e.com",
        b"example.com\\@127.0.0.1",
        b"127.0.0.1 ",
        b"%31%32%37.0.0.1",
    ]:
        for target in ("/", "/items/1", "/static/hello.txt"):
            yield Bad(f"host {host[:40]!r} {target}", request("GET", target, host=host), frozenset({200, 400}))
    yield Bad("host allowed by wildcard", request("GET", "/", host=b"api.example.com"), frozenset({200}))
    yield Bad("no host (HTTP/1.0)", b"GET / HTTP/1.0\r\n\r\n", frozenset({400}))


def header_requests() -> Iterator[Bad]:
    many = [(b"X-Header-%d" % index, b"v" * 100) for index in range(60)]
    yield Bad("60 headers", request("GET", "/", headers=many), frozenset({200}))
    cookie = b"; ".join(b"c%d=%s" % (index, b'"\\' + b"x" * 10 + b'"') for index in range(400))
    yield Bad("big cookie header", request("GET", "/", headers=[(b"Cookie", cookie)]), frozenset({200}))
    yield Bad("cookie junk", request("GET", "/", headers=[(b"Cookie", b';;;=;"";\\;' * 300)]), frozenset({200}))
    for encoding in [b"gzip;q=0", b"gzip" * 1000, b"*;q=1, gzip;q=0.5", b"\xff", b"br, deflate, gzip;q=x"]:
        yield Bad(
            f"accept-encoding {encoding[:30]!r}",
            request("GET", "/download", headers=[(b"Accept-Encoding", encoding)]),
            frozenset({200}),
        )


def all_bad_requests() -> list[Bad]:
    rng = random.Random(20250101)
    return [
        *content_type_requests(),
        *form_body_requests(rng),
        *size_requests(),
        *range_requests(rng),
        *path_requests(),
        *json_requests(),
        *host_requests(),
        *header_requests(),
    ]


# Sending them ------------------------------------------------------------------------------------------------------

STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def exchange(port: int, bad: Bad) -> Optional[bytes]:
    """Send ``bad`` on a fresh connection; the whole response (read until the server closes), or None when the
    server closed or reset the connection without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as client:
        client.settimeout(TIMEOUT)
        try:
            client.sendall(bad.raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (and closed) before reading it all: the answer may still be readable
        if bad.cut_off:
            return None
        received = bytearray()
        try:
            while chunk := client.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return bytes(received) or None


def status_of(response: bytes) -> int:
    match = STATUS_LINE.match(response)
    assert match is not None, response[:200]
    return int(match.group(1))


def resident_memory() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")  # pragma: no cover - Linux always has it


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def warm_up(port: int) -> None:
    """Valid requests that load everything lazily imported (python-multipart, the thread pool, gzip, ...)."""
    for raw in [
        request("GET", "/"),
        request("POST", "/form", headers=[(b"Content-Type", MULTIPART)], body=multipart([(FIELD, b"v"), (FILE, b"d")])),
        request("POST", "/form", headers=[(b"Content-Type", URLENCODED)], body=b"a=1&b=2"),
        request(
            "POST", "/json", headers=[(b"Content-Type", b"application/json")], body=json.dumps({"a": [1, 2]}).encode()
        ),
        request("GET", "/download", headers=[(b"Accept-Encoding", b"gzip")]),
        request("GET", "/download", headers=[(b"Range", b"bytes=0-1,5-9")]),
        request("GET", "/static/hello.txt"),
        request("GET", "/things/12345678-1234-1234-1234-123456789012"),
    ]:
        response = exchange(port, Bad("warm-up", raw))
        assert response is not None and status_of(response) in (200, 206), response


@pytest.mark.parametrize("server_kind", ["uvicorn-httptools", "uvicorn-h11"])
def test_bad_requests_get_client_errors(server_kind: str, static: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bad_requests = all_bad_requests()
    assert len(bad_requests) >= 300
    with serve(server_kind, build_app(static)):
        pass  # (the first uvloop in a process opens a pipe for good: not one of ours)
    descriptors_before = open_descriptors()
    failures: list[str] = []
    statuses: dict[int, int] = {}
    with serve(server_kind, build_app(static)) as server:
        warm_up(server.port)
        gc.collect()
        memory_before = resident_memory()
        for bad in bad_requests:
            response = exchange(server.port, bad)
            if response is None:
                if not (bad.cut_off or bad.answer_optional):
                    failures.append(f"{bad.label}: no response")
                continue
            status = status_of(response)
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500 or status not in bad.expect:
                failures.append(f"{bad.label}: {status} {response[:300]!r}")
            if SECRET in response:
                failures.append(f"{bad.label}: the secret was served")
        warm_up(server.port)  # the server still answers properly
        gc.collect()
        memory_after = resident_memory()
    assert failures == []
    # (the server thread has ended: everything it was going to log is in caplog)
    problems = [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info
    ]
    assert problems == []
    assert memory_after - memory_before < RSS_BOUND, (memory_before, memory_after)
    gc.collect()
    assert open_descriptors() <= descriptors_before
    assert statuses.keys() >= {200, 206, 307, 400, 404, 405, 413, 416}, statuses
