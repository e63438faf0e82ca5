"""The requests of the benchmark scenarios, as plain data, for the peer apps.

apps.py imports ``req`` and the request bodies from here (this module imports no framework, so the peers' venvs can
import it too); run.py still checks, in our venv, that every request here equals the one apps.py's scenario
builds (``python worker.py specs``).
"""

from __future__ import annotations

import json
import typing
import urllib.parse

COMMON_HEADERS = [
    (b"host", b"example.com"),
    (b"user-agent", b"bench/1.0"),
    (b"accept", b"*/*"),
]


def req(
    path: str,
    *,
    method: str = "GET",
    query: str = "",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
    chunk: int = 65536,
    expect: int = 200,
    kind: str = "http",
    messages: int = 0,
) -> dict[str, typing.Any]:
    hdrs = list(COMMON_HEADERS) + list(headers or [])
    if body:
        hdrs.append((b"content-length", str(len(body)).encode()))
    return {
        "kind": kind,
        "method": method,
        "path": path,
        "query": query,
        "headers": hdrs,
        "body": body,
        "chunk": chunk,
        "expect": expect,
        "messages": messages,
    }


JSON_DOC = {
    "id": 12345,
    "name": "benchmark",
    "tags": ["a", "b", "c", "d"],
    "active": True,
    "score": 98.6,
    "owner": {"name": "Ada", "email": "ada@example.com", "roles": ["admin", "dev"]},
    "items": [{"sku": f"SKU-{i}", "qty": i, "price": i * 1.25} for i in range(8)],
}
FORM_FIELDS = [(f"field{i}", f"value number {i} & more") for i in range(10)]
BOUNDARY = "----benchboundary7MA4YWxkTrZu0gW"
HELLO = "Hello, world!"
CHUNK = b"x" * 1024  # streaming: 16 of these
# query_headers: a repeated query key, four headers the endpoint reads or not, two cookies it reads
QUERY = "q=hello+world&tag=a&tag=b&tag=c&page=3"
QUERY_HEADERS = [
    (b"accept-language", b"en-GB,en;q=0.9"),
    (b"x-trace-id", b"abc123"),
    (b"cookie", b"session=s3cr3t; theme=dark; tracking=xyz"),
    (b"cache-control", b"no-cache"),
    (b"referer", b"https://example.com/previous"),
]
# Routes of the params_N scenarios (JSON echo of two path parameters, matched on the last route).
ROUTE_COUNTS = {"params_20": 20, "params_200": 200, "params_2000": 2000}


def multipart_body(boundary: str) -> bytes:
    payload = bytes(range(256)) * 4096  # 1 MiB
    parts = [
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="note"\r\n\r\n',
        b"a short note\r\n",
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="file"; filename="blob.bin"\r\n',
        b"Content-Type: application/octet-stream\r\n\r\n",
        payload,
        b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts)


SPECS: dict[str, typing.Callable[[], dict[str, typing.Any]]] = {
    "hello": lambda: req("/"),
    "params_20": lambda: req("/r19/widget/42"),
    "params_200": lambda: req("/r199/widget/42"),
    "params_2000": lambda: req("/r1999/widget/42"),
    "middleware4": lambda: req(
        "/", headers=[(b"origin", b"https://app.example.org"), (b"accept-encoding", b"gzip, deflate")]
    ),
    "basehttp": lambda: req("/"),
    "json_body": lambda: req(
        "/echo",
        method="POST",
        headers=[(b"content-type", b"application/json")],
        body=json.dumps(JSON_DOC).encode(),
    ),
    "form10": lambda: req(
        "/form",
        method="POST",
        headers=[(b"content-type", b"application/x-www-form-urlencoded")],
        body=urllib.parse.urlencode(FORM_FIELDS).encode(),
    ),
    "upload_1mib": lambda: req(
        "/upload",
        method="POST",
        headers=[(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())],
        body=multipart_body(BOUNDARY),
    ),
    "query_headers": lambda: req("/inspect", query=QUERY, headers=QUERY_HEADERS),
    "streaming": lambda: req("/stream"),
    "websocket": lambda: req("/ws", kind="websocket", messages=10),
}
