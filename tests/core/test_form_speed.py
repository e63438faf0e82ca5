"""The Content-Type and Content-Disposition values parsed once: python-multipart's ``parse_options_header`` results
are remembered for short values, and the function is part of what is remembered, so a patched one still runs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from starlette_core import formparsers
from starlette_core.datastructures import Headers, UploadFile
from starlette_core.formparsers import FormParser, MultiPartParser, _parsed_options

MULTIPART = "multipart/form-data; boundary=BOUNDARY"
BODY = b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--BOUNDARY--\r\n'


async def chunks_of(*chunks: bytes) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk


class Counting:
    """parse_options_header, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.parse = formparsers._lazy.load("parse_options_header")

    def __call__(self, value: Any) -> Any:
        self.calls.append(value)
        return self.parse(value)


def test_short_values_are_parsed_once() -> None:
    counting = Counting()
    first = _parsed_options(counting, "text/plain; charset=latin-1")
    second = _parsed_options(counting, "text/plain; charset=latin-1")
    assert first == (b"text/plain", {b"charset": b"latin-1"})
    assert second is first
    assert counting.calls == ["text/plain; charset=latin-1"]
    assert _parsed_options(counting, b'form-data; name="x"') == (b"form-data", {b"name": b"x"})
    assert len(counting.calls) == 2


def test_long_values_and_none_are_parsed_every_time() -> None:
    counting = Counting()
    long_value = "text/plain; x=" + "a" * formparsers._OPTIONS_VALUE_MAX
    for value in (None, None, long_value, long_value):
        _parsed_options(counting, value)
    assert counting.calls == [None, None, long_value, long_value]
    assert all(key[1] != long_value for key in formparsers._options_memo)


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formparsers, "_options_memo", {})
    counting = Counting()
    for number in range(formparsers._OPTIONS_MEMO_MAX + 50):
        assert _parsed_options(counting, f"text/plain; n={number}") == (b"text/plain", {b"n": str(number).encode()})
    assert len(formparsers._options_memo) == formparsers._OPTIONS_MEMO_MAX
    _parsed_options(counting, "text/plain; n=300")  # not remembered: parsed again
    assert counting.calls.count("text/plain; n=300") == 2


@pytest.mark.anyio
async def test_a_patched_parse_options_header_runs_in_the_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    form = await MultiPartParser(Headers({"content-type": MULTIPART}), chunks_of(BODY)).parse()
    assert form["a"] == "1"  # the real function's results are remembered now
    counting = Counting()
    monkeypatch.setattr(formparsers, "parse_options_header", counting)
    form = await MultiPartParser(Headers({"content-type": MULTIPART}), chunks_of(BODY)).parse()
    assert form["a"] == "1"
    assert counting.calls == [MULTIPART, b'form-data; name="a"']
    headers = Headers({"content-type": "application/x-www-form-urlencoded; charset=latin-1"})
    form = await FormParser(headers, chunks_of(b"a=%E9")).parse()
    assert form["a"] == "\xe9"
    assert counting.calls[-1] == "application/x-www-form-urlencoded; charset=latin-1"


@pytest.mark.anyio
async def test_uploads_keep_their_names_with_the_memo() -> None:
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="one.txt"\r\n\r\n1\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="one.txt"\r\n\r\n2\r\n--BOUNDARY--\r\n'
    )
    form = await MultiPartParser(Headers({"content-type": MULTIPART}), chunks_of(body)).parse()
    first, second = form.getlist("f")
    assert isinstance(first, UploadFile)
    assert isinstance(second, UploadFile)
    assert (first.filename, second.filename) == ("one.txt", "one.txt")
    assert (await first.read(), await second.read()) == (b"1", b"2")
    await form.close()


def test_urlencoded_escapes_of_separators_are_decoded_in_one_pass() -> None:
    from starlette_core.formparsers import _SEPARATOR_UTF8, _decode_utf8_fields

    def decode(*fields: bytes) -> Any:
        return _decode_utf8_fields(_SEPARATOR_UTF8.join(fields), len(fields))

    assert decode(b"a=1%262", b"b%3D=x+y%3d") == [("a", "1&2"), ("b=", "x y=")]
    # An ASCII body stays ASCII text all along (the separator and the stand-in are ASCII too).
    decoded = decode(b"field=value+%26+more", b"other=%26%26")
    assert decoded == [("field", "value & more"), ("other", "&&")]
    assert all(name.isascii() and isinstance(value, str) and value.isascii() for name, value in decoded)
    # Text holding the separator or (with an escaped "=") the stand-in of its own is decoded field by field instead
    # (by the caller).
    for fields in ((b"a=%01",), (b"a=\x01b", b"c"), (b"a=%02%3D",), (b"a=\x02%3d", b"b=1")):
        assert decode(*fields) is None
    assert decode(b"a=%02", b"b=\x02") == [("a", "\x02"), ("b", "\x02")]  # no escaped "=": no stand-in to count
    assert decode(b"a=%zz") is None  # not an escape: the caller keeps it as it is, field by field
