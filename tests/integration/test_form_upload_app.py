"""Forms through a whole app (moved here from tests/core, whose check-dists run has starlette-core alone): a patched
``parse_options_header`` is honoured by ``request.form()``, and every bad upload is a 400."""

from __future__ import annotations

from typing import Any

import pytest

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette_core import formparsers, requests

MULTIPART = "multipart/form-data; boundary=BOUNDARY"
END = b"--BOUNDARY--\r\n"


def part(name: str, data: bytes, *, filename: str | None = None) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'.encode()
    if filename is not None:
        disposition += f'; filename="{filename}"'.encode()
    return b"--BOUNDARY\r\n" + disposition + b"\r\n\r\n" + data + b"\r\n"


class Counting:
    """parse_options_header, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.parse = formparsers._lazy.load("parse_options_header")

    def __call__(self, value: Any) -> Any:
        self.calls.append(value)
        return self.parse(value)


def test_a_patched_parse_options_header_runs_in_request_form(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Any
) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        async with request.form() as form:
            return JSONResponse({key: str(value) for key, value in form.items()})

    client = test_client_factory(Starlette(routes=[Route("/", endpoint, methods=["POST"])]))
    headers = {"content-type": MULTIPART}
    body = part("a", b"1") + END
    assert client.post("/", content=body, headers=headers).json() == {"a": "1"}
    requests._lazy.load("parse_options_header")
    counting = Counting()
    monkeypatch.setattr(requests, "parse_options_header", lambda value: (b"text/plain", {}))
    monkeypatch.setattr(formparsers, "parse_options_header", counting)
    # The request's module now says the body is no form: empty, and the parsers never run.
    assert client.post("/", content=body, headers=headers).json() == {}
    assert counting.calls == []


def test_every_bad_upload_is_a_400(test_client_factory: Any) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        async with request.form(max_files=1, max_fields=1, max_part_size=1024) as form:
            upload = form["file"]
            assert isinstance(upload, UploadFile)
            return JSONResponse({"size": len(await upload.read())})

    client = test_client_factory(Starlette(routes=[Route("/", endpoint, methods=["POST"])]))
    headers = {"content-type": MULTIPART}
    good = part("file", b"x" * 5000, filename="a") + END
    assert client.post("/", content=good, headers=headers).json() == {"size": 5000}
    for bad in [
        part("file", b"", filename="a") + part("file", b"", filename="b") + END,
        part("a", b"1") + part("b", b"2") + END,
        part("a", b"x" * 2000) + END,
        b"--BOUNDARY\r\nContent-Disposition: form-data\r\n\r\nx\r\n" + END,
        b"--BOUNDARY\r\nbad\r\n\r\n",
    ]:
        response = client.post("/", content=bad, headers=headers)
        assert response.status_code == 400, bad
