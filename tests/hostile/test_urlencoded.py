"""``application/x-www-form-urlencoded`` bodies through ``request.form()`` in a Starlette app.

ASCII bodies (any mix of separators, ``+``, valid, partial and invalid %-escapes) parse as the standard library's
``parse_qsl`` does, in the charset the header or a ``_charset_`` field names, or are a 400 when they go over the
field-count or field-size limit; any bytes with any Content-Type are a 200 or a 400, never an exception.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Optional
from urllib.parse import parse_qsl

import anyio
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ._drive import HOSTILE, Answer, assert_answered, chunked, http, http_scope

MAX_FIELDS = 6
MAX_PART_SIZE = 40


async def echo_form(request: Request) -> JSONResponse:
    form = await request.form(max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE)
    return JSONResponse([[name, value] for name, value in form.multi_items()])


app = Starlette(routes=[Route("/form", echo_form, methods=["POST"])])


def post(backend: str, content_type: bytes, chunks: Sequence[bytes]) -> Answer:
    scope = http_scope("/form", method="POST", headers=[(b"content-type", content_type)])
    answer = anyio.run(http, app, scope, chunks, backend=backend)
    assert answer.receives <= len(chunks) + 1
    event(f"status {answer.status}")
    return answer


# Pieces of an ASCII form: plain characters, "+", escapes of all kinds (those of "&" and "=" included), and broken
# escapes, which are kept as they are.
pieces = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-._~*'()!,;:@/?", min_size=1, max_size=4),
    st.sampled_from(["+", "%20", "%26", "%3D", "%3d", "%25", "%2B", "%C3%A9", "%E2%82%AC", "%F0%9F%98%80", "%C3"]),
    st.sampled_from(["%", "%4", "%zz", "%%", "%G1", "%e9", "%FF%FE", "\\", "%5C", "%00", "%\n"]),
    st.integers(min_value=0, max_value=255).map(lambda byte: f"%{byte:02X}"),
)
text_runs = st.lists(pieces, max_size=6).map("".join)
fields = st.one_of(
    st.builds(lambda name, value: f"{name}={value}", text_runs, text_runs),
    text_runs,  # no "=": a name with an empty value
    st.builds(lambda name, value: f"{name}={value}", text_runs, text_runs).map(lambda field: field + "=x"),
)
CHARSETS = ["utf-8", "latin-1", "cp1252", "iso-8859-5", "ascii", "UTF8", "Latin1"]


def expected(body: str, charset: str) -> list[list[str]]:
    return [
        [name, value] for name, value in parse_qsl(body, keep_blank_values=True, encoding=charset, errors="replace")
    ]


def over_a_limit(body: str) -> bool:
    present = [field for field in body.split("&") if field]
    return len(present) > MAX_FIELDS or any(len(field) - ("=" in field) > MAX_PART_SIZE for field in present)


@HOSTILE
@given(
    form=st.lists(fields, max_size=8),
    separators=st.lists(st.sampled_from(["&", "&&", "&", "&"]), min_size=8, max_size=8),
    header_charset=st.none() | st.sampled_from(CHARSETS),
    field_charset=st.none() | st.sampled_from(CHARSETS),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_ascii_forms_parse_as_parse_qsl_does(
    anyio_backend: str,
    form: list[str],
    separators: list[str],
    header_charset: Optional[str],
    field_charset: Optional[str],
    cuts: list[int],
) -> None:
    if field_charset is not None:
        form = [f"_charset_={field_charset}", *form]
    body = "".join(field + separator for field, separator in zip(form, separators))
    content_type = "application/x-www-form-urlencoded"
    if header_charset is not None:
        content_type += f"; charset={header_charset}"
    answer = post(anyio_backend, content_type.encode(), chunked(body.encode("ascii"), cuts))
    if over_a_limit(body):
        assert_answered(answer, {400})
    else:
        assert_answered(answer, {200})
        charset = field_charset or header_charset or "utf-8"
        assert answer.json() == expected(body, charset)


content_types = st.one_of(
    st.sampled_from(
        [
            b"application/x-www-form-urlencoded",
            b"application/x-www-form-urlencoded; charset=utf-16",
            b"application/x-www-form-urlencoded; charset=utf-32-be",
            b"application/x-www-form-urlencoded; charset=shift_jis",
            b"application/x-www-form-urlencoded; charset=base64",
            b"application/x-www-form-urlencoded; charset=idna",
            b"application/x-www-form-urlencoded; charset=punycode",
            b"application/x-www-form-urlencoded; charset=unicode_escape",
            b"application/x-www-form-urlencoded; charset=" + b"a" * 5000,
            b"application/x-www-form-urlencoded; charset=\xff\xfe",
            b"application/x-www-form-urlencoded; charset",
            b"APPLICATION/X-WWW-FORM-URLENCODED;;;",
        ]
    ),
    st.builds(bytes.__add__, st.just(b"application/x-www-form-urlencoded; charset="), st.binary(max_size=20)),
    st.binary(max_size=40),
)
field_charsets = st.sampled_from(["utf-16", "punycode", "idna", "base64", "zlib", "rot13", "undefined", "", "%FF"])


@HOSTILE
@given(
    body=st.one_of(st.binary(max_size=300), st.lists(st.binary(max_size=30)).map(b"&".join)),
    content_type=content_types,
    charset_field=st.none() | field_charsets,
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_any_bytes_are_answered(
    anyio_backend: str, body: bytes, content_type: bytes, charset_field: Optional[str], cuts: list[int]
) -> None:
    if charset_field is not None:
        body = b"_charset_=" + charset_field.encode() + b"&" + body
    answer = post(anyio_backend, content_type, chunked(body, cuts))
    assert_answered(answer, {200, 400})
    if answer.status == 200:
        assert all(isinstance(name, str) and isinstance(value, str) for name, value in answer.json())
