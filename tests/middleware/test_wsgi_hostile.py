"""WSGIMiddleware against hostile requests: header names with underscores cannot pose as dashed ones, and any
query string bytes reach the WSGI app (as PEP 3333's latin-1 "native string") instead of failing the request.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._helpers import Recorder, http_scope, receiver

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette_middleware.wsgi import WSGIMiddleware, build_environ

TestClientFactory = Callable[..., Any]
StartResponse = Callable[..., Any]


def show_environ(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """Answers with the CGI variables of its environ, one ``KEY=value`` a line (values as latin-1 bytes)."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=latin-1")])
    lines = sorted(f"{key}={value}" for key, value in environ.items() if key.isupper())
    return ["\n".join(lines).encode("latin-1")]


def test_an_underscore_header_cannot_spoof_a_dashed_one(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WSGIMiddleware(show_environ))
    response = client.get("/", headers=[("X_Forwarded_For", "6.6.6.6"), ("X-Forwarded-For", "10.0.0.1")])
    assert response.status_code == 200
    assert "HTTP_X_FORWARDED_FOR=10.0.0.1" in response.text.splitlines()
    assert "6.6.6.6" not in response.text

    response = client.get("/", headers=[("X_Forwarded_For", "6.6.6.6")])
    assert "X_FORWARDED_FOR" not in response.text


def test_underscore_headers_are_dropped() -> None:
    headers = [
        (b"x_real_ip", b"6.6.6.6"),
        (b"content_length", b"999"),
        (b"content_type", b"text/evil"),
        (b"_", b"x"),
        (b"x-real-ip", b"10.0.0.1"),
        (b"content-length", b"2"),
    ]
    environ = build_environ(http_scope(headers=headers), b"{}")
    assert environ["HTTP_X_REAL_IP"] == "10.0.0.1"
    assert environ["CONTENT_LENGTH"] == "2"
    assert "CONTENT_TYPE" not in environ
    assert "HTTP__" not in environ


@pytest.mark.anyio
@pytest.mark.parametrize("query_string", [b"q=\xe9t\xe9", b"q=\xff\xfe", "q=caf\u00e9".encode(), b"\x80"])
async def test_a_non_ascii_query_string_reaches_the_app(query_string: bytes) -> None:
    sent = Recorder()
    await WSGIMiddleware(show_environ)(http_scope(query_string=query_string), receiver(), sent)
    assert sent.start["status"] == 200
    # PEP 3333: the query string as sent (not percent-decoded), its bytes as latin-1 characters.
    assert b"QUERY_STRING=" + query_string in sent.body.split(b"\n")


@given(query_string=st.binary(max_size=50))
def test_query_string_is_the_raw_bytes_as_latin_1(query_string: bytes) -> None:
    environ = build_environ(http_scope(query_string=query_string), b"")
    assert environ["QUERY_STRING"].encode("latin-1") == query_string


@given(path=st.text(alphabet=st.characters(codec="utf-8"), max_size=30).map(lambda text: "/" + text))
def test_path_info_is_the_utf_8_path_as_latin_1(path: str) -> None:
    # PEP 3333: PATH_INFO holds the URL-decoded path's bytes, each as one latin-1 character.
    environ = build_environ(http_scope(path=path), b"")
    assert environ["PATH_INFO"].encode("latin-1") == path.encode("utf-8")


header_names = st.text(alphabet="abcxz-_", min_size=1, max_size=8)


@given(names=st.lists(header_names, max_size=8))
def test_only_names_without_underscores_become_environ_keys(names: list[str]) -> None:
    headers = [(name.encode("latin-1"), b"v") for name in names]
    environ = build_environ(http_scope(headers=headers), b"")
    keys = {key for key in environ if key.startswith("HTTP_")}
    assert keys == {"HTTP_" + name.upper().replace("-", "_") for name in names if "_" not in name}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "broken",
    [
        {"query_string": None},  # not bytes: no .decode()
        {"headers": [("x-token", "1")]},  # str header names instead of bytes
        {"server": ("testserver",)},  # no port for SERVER_PORT
    ],
)
async def test_a_scope_build_environ_rejects_leaves_no_stream_open(broken: dict[str, Any]) -> None:
    scope = http_scope(**broken)
    sent = Recorder()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises((AttributeError, TypeError, IndexError)):
            await WSGIMiddleware(show_environ)(scope, receiver([b"body"]), sent)
        gc.collect()  # the responder (and its streams) are garbage now: an unclosed stream warns here
    assert [str(warning.message) for warning in caught] == []
    assert sent.messages == []  # the WSGI app never ran
