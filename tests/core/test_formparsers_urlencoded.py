"""FormParser splits urlencoded bodies itself: the same fields, errors and reads as python-multipart's parser.

A ``FormParser`` subclass that overrides one of the ``on_field_*`` events still gets them from python-multipart's
``QuerystringParser``; these tests compare both ways of parsing over many bodies, chunkings and limits.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import pytest
from python_multipart.multipart import QuerystringParser

from starlette_core.datastructures import FormData, Headers
from starlette_core.formparsers import FormParser, MultiPartException

URLENCODED = "application/x-www-form-urlencoded"


class EventParser(FormParser):
    """Overrides an event (and so parses through python-multipart's callbacks), recording what it saw."""

    def __init__(self, headers: Headers, stream: AsyncGenerator[bytes, None]) -> None:
        super().__init__(headers, stream)
        self.names: list[bytes] = []

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self.names.append(data[start:end])
        super().on_field_name(data, start, end)


class Source:
    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.read = 0

    async def stream(self) -> AsyncGenerator[bytes, None]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


async def outcome(
    parser_class: type[FormParser], chunks: Iterable[bytes], content_type: str = URLENCODED, **limits: Any
) -> tuple[Any, ...]:
    source = Source(chunks)
    parser = parser_class(Headers({"content-type": content_type}), source.stream())
    for name, value in limits.items():
        setattr(parser, name, value)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        return ("error", exc.message, source.read)
    assert type(form) is FormData
    return ("form", form.multi_items(), dict(form), source.read)


def ends_a_trailing_name() -> bool:
    """Whether python-multipart's parser ends a field that is only a name at the very end of the body.

    0.0.20, its last release for Python 3.9, does not: it drops that field (``b"a=1&b"`` is the field a alone),
    where later releases, like FormParser on every version, end it as ``("b", "")``.
    """
    ended: list[None] = []
    parser = QuerystringParser({"on_field_end": lambda: ended.append(None)})
    parser.write(b"a")
    parser.finalize()
    return bool(ended)


TRAILING_NAME_ENDED = ends_a_trailing_name()


def ends_with_a_name(body: bytes) -> bool:
    last = body.rpartition(b"&")[2]
    return bool(last) and b"=" not in last


async def same_as_python_multipart(chunks: list[bytes], content_type: str = URLENCODED, **limits: Any) -> Any:
    ours = await outcome(FormParser, chunks, content_type, **limits)
    reference = chunks
    if not TRAILING_NAME_ENDED and ends_with_a_name(b"".join(chunks)):
        # The field python-multipart drops, as a name and an empty value: the same field, count and sizes (the
        # "=" is not counted), the same reads.
        reference = [*chunks[:-1], chunks[-1] + b"="]
    assert ours == await outcome(EventParser, reference, content_type, **limits), (chunks, content_type, limits)
    return ours


def chunkings(body: bytes) -> list[list[bytes]]:
    """The body whole, byte by byte, in pairs, and cut at every single position (with an empty chunk too)."""
    result = [[body], [body[i : i + 1] for i in range(len(body))], [body[i : i + 2] for i in range(0, len(body), 2)]]
    result += [[body[:i], b"", body[i:]] for i in range(len(body) + 1)]
    return result


BODIES = [
    b"",
    b"&",
    b"&&&",
    b"=",
    b"==",
    b"a",
    b"a=",
    b"=b",
    b"a=1&b=2",
    b"&a=1&&b=2&",
    b"a=1=2&b==&c",
    b"k=v&k&k=&k=w",
    b"na+me=va+lue+%2B&x=%20y",
    b"x%26y=%3D%25&%3d=%3D",
    b"digits=%30%31&%3A=%26&%3a",
    b"amp=%26%26&eq=%3d%3D&both%26%3D=%26%3d",
    b"bad=%zz&trail=%&short=%4&pct=%%41&mixed=%2%26",
    b"back=\\x41&slash=%5C&both=\\%41",
    b"caf%C3%A9=cr%C3%A8me+br%C3%BBl%C3%A9e",
    "raw=José&city=Zürich".encode(),
    b"invalid=%FF%FEok&raw=\xff\xfe&cut=%E2%82&cut2=\xe2\x82&lone=%80",
    b"split=%C3&%A9=x&a=\xc3&\xa9",
    b"stand-in=\xee\x80\xa6&escaped=%EE%80%A6&%26",
    b"stand-in=\xee\x80\xbd&escaped=%ee%80%bd&%3D",
    b"surrogate=%ED%A0%80&\xed\xa0\x80",
    b"_charset_=latin-1&a=%E9",
    b"a=%E9&_charset_=ISO-8859-1&b=%E0&_charset_=utf-8",
    b"a=%C3%A9&_charset_=bogus",
    b"_charset_x=latin-1&y=_charset_&a=%C3%A9",
    b"_charset_=iso+8859-1&a=%E9",
    b"_charset_=utf%2D16&a=%E9",
    b"_charset_",
]


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.anyio
async def test_same_fields_as_python_multipart(body: bytes) -> None:
    for chunks in chunkings(body):
        await same_as_python_multipart(chunks)
        await same_as_python_multipart(chunks, URLENCODED + "; charset=latin-1")
        await same_as_python_multipart(chunks, URLENCODED + "; charset=utf-16")


@pytest.mark.parametrize(
    "body",
    [
        b"a=1&b=22&c=333&d=4444",
        b"&&a=1&&bb=22&&",
        b"abc&de=f&=&g",
        b"long=" + b"x" * 10 + b"&n" + b"o" * 10,
        b"x=1&" + b"y" * 7 + b"=" + b"&z=12345678",
    ],
)
@pytest.mark.anyio
async def test_same_limit_errors_after_the_same_reads_as_python_multipart(body: bytes) -> None:
    for chunks, max_fields, max_part_size in itertools.product(chunkings(body), [0, 1, 2, 3, 10], [0, 1, 3, 5, 8]):
        await same_as_python_multipart(chunks, max_fields=max_fields, max_part_size=max_part_size)


@pytest.mark.anyio
async def test_same_as_python_multipart_on_random_bodies() -> None:
    rnd = random.Random(9)
    tokens = [b"a", b"=", b"&", b"+", b"%", b"%26", b"%3D", b"%3d", b"%4", b"%41", b"\\", b"\xc3", b"\xa9", b"\xee"]
    tokens += [b"\xee\x80\xa6", b"%EE%80%A6", b"_charset_", b"latin-1", b"\xff", b"\x01", b"%02", b"\x02", b"%01"]
    for _ in range(1500):
        body = b"".join(rnd.choice(tokens) for _ in range(rnd.randint(0, 16)))
        cuts = sorted(rnd.sample(range(len(body) + 1), min(len(body) + 1, rnd.randint(0, 4))))
        chunks = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)])]
        max_fields, max_part_size = rnd.choice([1000, 1, 2, 4]), rnd.choice([1024, 1, 3, 6])
        await same_as_python_multipart(chunks, max_fields=max_fields, max_part_size=max_part_size)


@pytest.mark.anyio
async def test_the_same_fields_whatever_the_python_multipart_release() -> None:
    # FormParser splits on "&" alone and ends a trailing name, as python-multipart does from 0.0.30 on; 0.0.20 (its
    # last release for Python 3.9) also splits on ";" and drops a trailing name, but FormParser does not use it.
    assert (await outcome(FormParser, [b"a=1;b=2&c"]))[1] == [("a", "1;b=2"), ("c", "")]
    assert (await outcome(FormParser, [b"x;y", b"=1"]))[1] == [("x;y", "1")]


@pytest.mark.anyio
async def test_fields_in_order_with_blank_values() -> None:
    result = await same_as_python_multipart([b"b=2&a=1&b=&c&=x&a=3%26+4"])
    assert result[1] == [("b", "2"), ("a", "1"), ("b", ""), ("c", ""), ("", "x"), ("a", "3& 4")]
    assert result[2] == {"b": "", "a": "3& 4", "c": "", "": "x"}


@pytest.mark.anyio
async def test_escapes_of_separators_and_invalid_escapes() -> None:
    result = await same_as_python_multipart([b"x%26y=%3D%3d&k=a%26b%3Dc&bad=%zz%4&\\=%5C\\x41"])
    assert result[1] == [("x&y", "=="), ("k", "a&b=c"), ("bad", "%zz%4"), ("\\", "\\\\x41")]


@pytest.mark.anyio
async def test_text_holding_the_stand_in_characters() -> None:
    result = await same_as_python_multipart(["a=\ue026%26&b=%EE%80%BD%3D".encode()])
    assert result[1] == [("a", "\ue026&"), ("b", "\ue03d=")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body",
    [
        b"a=\x01%26&b=\x02%3D",  # the stand-ins sent as they are
        b"a=%01%26&b=%02%3d",  # and escaped
        b"a=%01&b=%26",
        b"a%3D=%02&%26=x",
        b"a=%C3%A9%26%01&b=\xc3\x01%3D",  # after a UTF-8 sequence cut short
    ],
)
async def test_text_holding_the_stand_in_characters_of_the_separators(body: bytes) -> None:
    result = await same_as_python_multipart([body])
    assert result[0] == "form"


@pytest.mark.anyio
async def test_a_field_growing_over_many_chunks() -> None:
    chunks = [b"a=1&big=", b"x" * 3, b"x" * 3, b"x" * 3, b"&c=", b"3"]
    result = await same_as_python_multipart(chunks)
    assert result[1] == [("a", "1"), ("big", "x" * 9), ("c", "3")]
    # One byte over the limit is allowed when the field holds a "=" (it does not count), two are not.
    result = await same_as_python_multipart(chunks, max_part_size=12)
    assert result[1] == [("a", "1"), ("big", "x" * 9), ("c", "3")]
    assert await same_as_python_multipart(chunks, max_part_size=11) == (
        "error",
        "Field exceeded maximum size of 0KB.",
        4,
    )
    assert await same_as_python_multipart([b"name", b"name", b"name&"], max_part_size=8) == (
        "error",
        "Field exceeded maximum size of 0KB.",
        3,
    )


@pytest.mark.anyio
async def test_chunks_may_be_bytearrays() -> None:
    chunks: list[Any] = [bytearray(b"a=1&b"), bytearray(b"=%C3"), bytearray(b"%A9+x&c")]
    assert (await outcome(FormParser, chunks))[1] == [("a", "1"), ("b", "é x"), ("c", "")]


@pytest.mark.anyio
async def test_the_event_parser_sees_the_events() -> None:
    parser = EventParser(Headers({"content-type": URLENCODED}), Source([b"a=1&bc=2"]).stream())
    assert (await parser.parse()).multi_items() == [("a", "1"), ("bc", "2")]
    assert parser.names == [b"a", b"bc"]


@pytest.mark.anyio
async def test_a_subclass_that_overrides_nothing_uses_the_fast_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    class Plain(FormParser):
        pass

    async def fail(self: FormParser) -> FormData:
        raise AssertionError("python-multipart's parser must not run")  # pragma: no cover

    monkeypatch.setattr(FormParser, "_parse_with_callbacks", fail)
    parser = Plain(Headers({"content-type": URLENCODED}), Source([b"a=1"]).stream())
    assert (await parser.parse()).multi_items() == [("a", "1")]
