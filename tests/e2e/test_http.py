"""HTTP over real sockets: uvicorn (httptools, h11) and hypercorn's trio worker, driven by httpx."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime

import httpx

from tests.e2e.app import BIG_TEXT, MAX_BODY_SIZE, SESSION_SECRET, STATIC_TEXT
from tests.e2e.conftest import Served

IDENTITY = {"accept-encoding": "identity"}


def test_plain_text_and_head(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "home"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "4"

    head = client.head("/")
    assert head.status_code == 200
    assert head.headers["content-length"] == "4"
    assert head.content == b""


def test_json_round_trip(client: httpx.Client) -> None:
    payload = {"name": "Ada", "tags": ["math", "engines"], "nested": {"n": 1.5, "ok": True, "none": None}}
    response = client.post("/json?source=e2e", json=payload)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"method": "POST", "received": payload, "query": {"source": "e2e"}}

    unicode_payload = {"greeting": "héllo wörld ✓"}
    assert client.put("/json", json=unicode_payload).json()["received"] == unicode_payload


def test_urlencoded_form(client: httpx.Client) -> None:
    response = client.post("/upload", data={"name": "Ada Lovelace", "motto": "poetical science & more"})
    assert response.json() == {"name": "Ada Lovelace", "motto": "poetical science & more"}


def test_multipart_form_with_file_upload(client: httpx.Client) -> None:
    document = bytes(range(256)) * 1024  # 256 KiB of binary: several network reads, spooled by the parser
    files = {"document": ("notes.bin", document, "application/octet-stream"), "small": ("a.txt", b"tiny", "text/plain")}
    response = client.post("/upload", data={"title": "upload"}, files=files)
    assert response.status_code == 200
    assert response.json() == {
        "title": "upload",
        "document": {
            "filename": "notes.bin",
            "content_type": "application/octet-stream",
            "size": len(document),
            "sha256": hashlib.sha256(document).hexdigest(),
        },
        "small": {
            "filename": "a.txt",
            "content_type": "text/plain",
            "size": 4,
            "sha256": hashlib.sha256(b"tiny").hexdigest(),
        },
    }


def test_chunked_request_body_is_streamed(client: httpx.Client) -> None:
    parts = [bytes([n]) * 50_000 for n in range(8)]

    def body() -> Iterator[bytes]:
        yield from parts  # no content-length: sent with chunked transfer encoding

    response = client.post("/count-stream", content=body())
    assert response.request.headers["transfer-encoding"] == "chunked"
    result = response.json()
    assert result["size"] == 400_000
    assert result["chunks"] >= 2  # the endpoint saw the body as it arrived, not in one piece
    assert result["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()


def test_over_limit_bodies_are_refused_without_hanging(client: httpx.Client) -> None:
    too_big = b"z" * (MAX_BODY_SIZE + 1)
    declared = client.post("/count-stream", content=too_big)
    assert declared.status_code == 413
    assert declared.headers["connection"] == "close"  # the unread body makes the connection unusable

    def body() -> Iterator[bytes]:
        for _ in range(MAX_BODY_SIZE // 50_000 + 1):
            yield b"z" * 50_000

    streamed = client.post("/count-stream", content=body())  # chunked: refused once the limit is crossed
    assert streamed.status_code == 413
    assert streamed.headers["connection"] == "close"
    assert client.post("/count-stream", content=b"z" * MAX_BODY_SIZE).json()["size"] == MAX_BODY_SIZE


def test_malformed_multipart_is_a_client_error(client: httpx.Client) -> None:
    headers = {"content-type": "multipart/form-data"}  # no boundary
    response = client.post("/upload", content=b"--x\r\n\r\n", headers=headers)
    assert response.status_code == 400


def test_streaming_response_arrives_incrementally(live: Served, client: httpx.Client) -> None:
    record = live.record
    with client.stream("GET", "/stream", headers=IDENTITY) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        chunks = response.iter_raw()
        received = b""
        while received != b"first chunk\n":
            received += next(chunks)
        # The client holds the first chunk while the server has not produced the last one yet: no buffering.
        assert record.produced == ["first"]
        record.release.set()
        rest = b"".join(chunks)
    assert rest == b"last chunk\n"
    assert record.produced == ["first", "last"]


def test_client_disconnect_stops_a_streaming_response(live: Served, client: httpx.Client) -> None:
    with client.stream("GET", "/endless", headers=IDENTITY) as response:
        first = next(response.iter_lines())
        assert first == "tick 0"
    # Leaving the block closes the connection mid-body; the server notices and stops the generator.
    assert live.record.stream_closed.wait(3.0)


def test_static_file_range_and_conditional_requests(client: httpx.Client) -> None:
    full = client.get("/static/letters.txt")
    assert full.status_code == 200
    assert full.text == STATIC_TEXT
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-length"] == str(len(STATIC_TEXT))
    etag = full.headers["etag"]
    last_modified = full.headers["last-modified"]

    partial = client.get("/static/letters.txt", headers={"range": "bytes=10-15"})
    assert partial.status_code == 206
    assert partial.content == STATIC_TEXT.encode()[10:16]
    assert partial.headers["content-range"] == f"bytes 10-15/{len(STATIC_TEXT)}"
    assert partial.headers["content-length"] == "6"

    suffix = client.get("/static/letters.txt", headers={"range": "bytes=-5"})
    assert suffix.status_code == 206
    assert suffix.content == STATIC_TEXT.encode()[-5:]

    multi = client.get("/static/letters.txt", headers={"range": "bytes=0-1, 20-21"})
    assert multi.status_code == 206
    assert multi.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert b"Content-Range: bytes 0-1/74" in multi.content
    assert b"Content-Range: bytes 20-21/74" in multi.content

    unsatisfiable = client.get("/static/letters.txt", headers={"range": "bytes=500-600"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{len(STATIC_TEXT)}"

    not_modified = client.get("/static/letters.txt", headers={"if-none-match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag

    later = format_datetime(parsedate_to_datetime(last_modified), usegmt=True)
    assert client.get("/static/letters.txt", headers={"if-modified-since": later}).status_code == 304

    stale = client.get("/static/letters.txt", headers={"if-none-match": '"not-the-etag"'})
    assert stale.status_code == 200
    assert stale.text == STATIC_TEXT


def test_static_file_with_an_encoded_name(client: httpx.Client) -> None:
    response = client.get("/static/spaced ünïcode.txt")  # sent as /static/spaced%20%C3%BC...
    assert response.status_code == 200
    assert response.text == "unicode file name\n"


def test_static_file_errors(client: httpx.Client) -> None:
    assert client.get("/static/missing.txt").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/%2e%2e/etc/passwd").status_code == 404
    assert client.post("/static/letters.txt").status_code == 405
    head = client.head("/static/page.html")
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert head.content == b""


def test_gzip(client: httpx.Client) -> None:
    compressed = client.get("/big", headers={"accept-encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert compressed.text == BIG_TEXT  # httpx decoded it
    assert compressed.num_bytes_downloaded < len(BIG_TEXT) // 10

    with client.stream("GET", "/big", headers={"accept-encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert gzip.decompress(wire).decode() == BIG_TEXT

    plain = client.get("/big", headers=IDENTITY)
    assert "content-encoding" not in plain.headers
    assert plain.text == BIG_TEXT
    assert plain.num_bytes_downloaded == len(BIG_TEXT)

    small = client.get("/", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_session_over_several_requests(client: httpx.Client, live: Served) -> None:
    assert [client.get("/session").json()["count"] for _ in range(3)] == [1, 2, 3]
    cookie = client.cookies["session"]
    assert client.post("/session/clear").json() == {"cleared": True}
    assert client.get("/session").json() == {"count": 1}

    with httpx.Client(base_url=live.url, timeout=5.0) as other:  # another browser: its own session
        assert other.get("/session").json() == {"count": 1}
        # Its own cookie is dropped first: with two cookies of one name in the jar, both would be sent, in an
        # order that depends on the Python version.
        other.cookies.clear()
        other.cookies.set("session", cookie[:-4] + "AAAA")  # tampered signature: an empty session, not an error
        assert other.get("/session").json() == {"count": 1}
    assert SESSION_SECRET not in cookie


def test_session_cookie_attributes(client: httpx.Client) -> None:
    response = client.get("/session")
    set_cookie = response.headers["set-cookie"].lower()
    assert set_cookie.startswith("session=")
    assert "path=/" in set_cookie
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "max-age=1209600" in set_cookie


def test_redirects(client: httpx.Client, live: Served) -> None:
    response = client.get("/go-home")
    assert response.status_code == 307
    assert response.headers["location"] == f"{live.url}/"

    followed = client.get("/go-home", follow_redirects=True)
    assert followed.text == "home"
    assert [r.status_code for r in followed.history] == [307]

    see_other = client.post("/see-other", follow_redirects=True)
    assert see_other.request.method == "GET"
    assert see_other.json() == {"from": "redirect"}

    slash = client.get("/slash/?keep=1")
    assert slash.status_code == 307
    assert slash.headers["location"] == f"{live.url}/slash?keep=1"
    assert client.get("/slash/?keep=1", follow_redirects=True).json() == {"keep": "1"}


def test_not_found_and_method_not_allowed(client: httpx.Client) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.text == "Not Found"

    wrong_method = client.delete("/json")
    assert wrong_method.status_code == 405
    assert wrong_method.text == "Method Not Allowed"
    assert wrong_method.headers["allow"] == "POST, PUT"

    teapot = client.get("/teapot")
    assert teapot.status_code == 418
    assert teapot.text == "I am short and stout"


# ServerErrorMiddleware re-raises after sending the 500 (so that servers log it); uvicorn then closes the connection,
# which would race with httpx reusing it for the next request: the failing requests ask for "connection: close".
CLOSE = {"connection": "close"}


def test_server_error_without_debug(client: httpx.Client) -> None:
    response = client.get("/boom", headers=CLOSE)
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert "kaboom" not in response.text
    html = client.get("/boom", headers={"accept": "text/html", **CLOSE})
    assert html.status_code == 500
    assert html.text == "Internal Server Error"
    assert client.get("/").text == "home"  # the server survives


def test_server_error_with_debug(live_debug: Served) -> None:
    with httpx.Client(base_url=live_debug.url, timeout=5.0) as client:
        text = client.get("/boom", headers=CLOSE)
        assert text.status_code == 500
        assert text.headers["content-type"].startswith("text/plain")
        assert "RuntimeError: kaboom from the e2e app" in text.text

        html = client.get("/boom", headers={"accept": "text/html", **CLOSE})
        assert html.status_code == 500
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert "kaboom from the e2e app" in html.text
        assert "<html" in html.text.lower()

        assert client.get("/no/such/page").status_code == 404
        assert client.get("/").text == "home"


def test_connection_details_and_keep_alive(client: httpx.Client, live: Served) -> None:
    seen = [client.get("/whoami", params={"n": str(n)}).json() for n in range(5)]
    first = seen[0]
    assert first["client_host"] == "127.0.0.1"
    assert first["server"] == ["127.0.0.1", live.server.port]
    assert first["url"] == f"{live.url}/whoami?n=0"
    assert first["scheme"] == "http"
    assert first["http_version"] == "1.1"
    assert {entry["client_port"] for entry in seen} == {first["client_port"]}  # one kept-alive connection
