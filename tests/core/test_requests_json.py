"""Request.json() decodes most bodies without json.loads' Python layers: the same values and the same errors."""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest

from starlette_core.requests import Request
from starlette_core.types import Message


def make_request(body: Any) -> Request:
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Message:
        return messages.pop(0)

    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}, receive)


def outcome(call: Any) -> tuple[Any, ...]:
    try:
        return ("value", call())
    except json.JSONDecodeError as exc:
        return ("json error", exc.msg, exc.doc, exc.pos, exc.lineno, exc.colno, str(exc))
    except UnicodeDecodeError as exc:
        return ("unicode error", exc.encoding, exc.start, exc.end, exc.reason, str(exc))


BODIES = [
    b'{"a": [1, 2.5, true, null, "x"], "b": {"c": "\\u00e9"}}',
    b"[1, 2, 3]",
    b"1234",
    b'"text"',
    b"  \t\n\r{}  ",
    b'{"a": 1}\n',
    b"\n[1]",
    b"nullx",
    b"[1] [2]",
    b"[1]   x",
    b"    ",
    b"{} \n\n  ,",
    b"\n\n{\n  bad\n}",
    b"[1, 2,]",
    b'{"a": NaN, "b": -Infinity, "c": 1e400}',
    b'"\\ud800 lone surrogate escape"',
    '{"raw": "\u00e9\u20ac"}'.encode(),
    b'{"invalid": "\xff\xfe"}',
    b'{"surrogate": "\xed\xa0\x80"}',
    b"[1,\xc3",
    b"{}",
    b"[]",
    b"1",
    b"",
    b" ",
    codecs.BOM_UTF8 + b'{"bom": 1}',
    '{"utf16": "\u00e9"}'.encode("utf-16"),
    '{"utf16be": 1}'.encode("utf-16-be"),
    '{"utf16le": 1}'.encode("utf-16-le"),
    '{"utf32": 1}'.encode("utf-32"),
    '{"utf32le": 1}'.encode("utf-32-le"),
    "[1]".encode("utf-32-be"),
    b"\x00\x00",
    b"\x80abc",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.anyio
async def test_same_values_and_errors_as_json_loads(body: bytes) -> None:
    expected = outcome(lambda: json.loads(body))
    request = make_request(body)
    try:
        got: tuple[Any, ...] = ("value", await request.json())
    except json.JSONDecodeError as exc:
        got = ("json error", exc.msg, exc.doc, exc.pos, exc.lineno, exc.colno, str(exc))
    except UnicodeDecodeError as exc:
        got = ("unicode error", exc.encoding, exc.start, exc.end, exc.reason, str(exc))
    assert got == expected


@pytest.mark.anyio
async def test_the_value_is_decoded_once() -> None:
    request = make_request(b'{"a": [1]}')
    first = await request.json()
    assert await request.json() is first


@pytest.mark.anyio
async def test_a_body_that_is_not_bytes_goes_to_json_loads() -> None:
    class TextBody(Request):
        async def body(self) -> bytes:
            return '{"text": true}'  # type: ignore[return-value]

    assert await TextBody(make_request(b"").scope).json() == {"text": True}
    assert await make_request(bytearray(b'{"bytearray": 1}')).json() == {"bytearray": 1}


@pytest.mark.anyio
async def test_a_patched_json_loads_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def loads(data: Any) -> Any:
        seen.append(data)
        return "patched"

    monkeypatch.setattr(json, "loads", loads)
    assert await make_request(b'{"a": 1}').json() == "patched"
    assert seen == [b'{"a": 1}']
