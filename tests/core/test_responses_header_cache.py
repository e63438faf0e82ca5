"""Encoded content-length/content-type headers are cached; the caches never change what a response says."""

from __future__ import annotations

from starlette_core.responses import Response


def test_many_media_types_keep_their_own_content_type() -> None:
    for index in range(300):
        media_type = f"application/x-bench-{index}"
        response = Response(b"x", media_type=media_type)
        assert response.raw_headers == [(b"content-length", b"1"), (b"content-type", media_type.encode())]
        again = Response(b"x", media_type=media_type)
        assert again.raw_headers == response.raw_headers


def test_content_length_of_small_and_large_bodies() -> None:
    for size in (0, 1, 13, 4095, 4096, 70000):
        response = Response(b"a" * size)
        assert response.raw_headers == [(b"content-length", str(size).encode())]
        assert Response(b"b" * size).raw_headers == response.raw_headers


def test_text_media_types_get_the_charset() -> None:
    class Latin1Text(Response):
        media_type = "text/plain"
        charset = "latin-1"

    assert Latin1Text("é").raw_headers == [(b"content-length", b"1"), (b"content-type", b"text/plain; charset=latin-1")]
    assert Response("é", media_type="text/plain").raw_headers == [
        (b"content-length", b"2"),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]
