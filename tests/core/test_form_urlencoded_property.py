"""Property: a urlencoded body parses to what decoding it field by field gives (``+`` is a space, ``%``-escapes are
unquoted where valid and kept where not, UTF-8 with replacement characters), whichever path the parser takes.

The bodies are built from the pieces that steer the one-pass decoder (separators, escapes of the separators, the
control characters it uses as separator and stand-in, raw and escaped, invalid escapes, non-UTF-8 bytes).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import unquote_to_bytes

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.datastructures import Headers
from starlette_core.formparsers import _SEPARATOR_UTF8, FormParser, _decode_utf8_fields

PIECES = [
    b"&", b"=", b"+", b"%", b"%3", b"%26", b"%3D", b"%3d", b"%2B", b"%01", b"%02", b"\x01", b"\x02",
    b"%zz", b"%e2%82%ac", b"\xe2\x82", b"\xff", b"a", b"b", b"_", b" ", b"\\", b"\\x41",
]  # fmt: skip
bodies = st.lists(st.sampled_from(PIECES), max_size=24).map(b"".join)


def field_by_field(body: bytes) -> list[tuple[str, str]]:
    pairs = []
    for field in body.split(b"&"):
        if field:
            name, _, value = field.replace(b"+", b" ").partition(b"=")
            pairs.append(
                (unquote_to_bytes(name).decode("utf-8", "replace"), unquote_to_bytes(value).decode("utf-8", "replace"))
            )
    return pairs


@settings(max_examples=400, deadline=None)
@given(body=bodies)
def test_the_one_pass_decoder_agrees_with_field_by_field_or_declines(body: bytes) -> None:
    fields = [field for field in body.split(b"&") if field]
    decoded = _decode_utf8_fields(_SEPARATOR_UTF8.join(fields), len(fields))
    assert decoded is None or decoded == field_by_field(body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, split_at=st.integers(min_value=0, max_value=200))
def test_the_parser_gives_the_field_by_field_result(anyio_backend: str, body: bytes, split_at: int) -> None:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body[:split_at]
        yield body[split_at:]

    async def parse() -> list[tuple[str, str]]:
        headers = Headers({"content-type": "application/x-www-form-urlencoded"})
        form = await FormParser(headers, stream()).parse()
        return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]

    assert anyio.run(parse, backend=anyio_backend) == field_by_field(body)
