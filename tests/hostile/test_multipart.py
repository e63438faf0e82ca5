"""Multipart bodies through ``request.form()`` in a Starlette app: a well-formed body parses to exactly what was
sent (or a 400 when it goes over a limit); a mangled one (random boundaries and headers, bytes inserted, removed or
cut off, any chunking, a hostile Content-Type) is a 200, a 400 or a 413, never an exception.  Every temporary file
the parser creates is closed by the end of the request, whatever the outcome.
"""

from __future__ import annotations

import contextlib
import string
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import anyio
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, with_max_body_size

from ._drive import HOSTILE, Answer, assert_answered, chunked, http, http_scope

MAX_FILES = 3
MAX_FIELDS = 4
MAX_PART_SIZE = 200
SMALL_BODY = 512  # max_body_size of /small


async def echo_form(request: Request) -> JSONResponse:
    """Every item of the form, in order: [name, filename or None, value or file content (latin-1), file size]."""
    items: list[list[Any]] = []
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                items.append([name, value.filename, content.decode("latin-1"), value.size])
            else:
                items.append([name, None, value, None])
    return JSONResponse(items)


app = Starlette(
    routes=[
        Route("/form", echo_form, methods=["POST"]),
        with_max_body_size(Route("/small", echo_form, methods=["POST"]), SMALL_BODY),
    ]
)


class TrackedSpool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """A SpooledTemporaryFile that remembers every instance, so that a test can check they were all closed."""

    created: list[tempfile.SpooledTemporaryFile[bytes]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        TrackedSpool.created.append(self)


@pytest.fixture(autouse=True)
def tracked_spools(monkeypatch: pytest.MonkeyPatch) -> None:
    # The name the parser creates uploads with, as upstream's.
    monkeypatch.setattr("starlette.formparsers.SpooledTemporaryFile", TrackedSpool)


@contextlib.contextmanager
def spooled(on_disk: bool) -> Iterator[None]:
    """With ``on_disk``, every upload with data rolls over to a real temporary file."""
    names = ("spool_max_size", "spool_max_total_size", "spool_min_file_size")
    saved = {name: getattr(MultiPartParser, name) for name in names}
    if on_disk:
        for name in names:
            setattr(MultiPartParser, name, 0)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(MultiPartParser, name, value)


def post(
    backend: str, path: str, content_type: bytes, chunks: Sequence[bytes], *, declare: bool, on_disk: bool
) -> Answer:
    headers = [(b"content-type", content_type)]
    if declare:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    TrackedSpool.created.clear()
    with spooled(on_disk):
        answer = anyio.run(http, app, http_scope(path, method="POST", headers=headers), chunks, backend=backend)
    assert all(spool.closed for spool in TrackedSpool.created), "a temporary file was left open"
    event(f"status {answer.status}")
    event(f"{len(TrackedSpool.created)} uploads" if TrackedSpool.created else "no uploads")
    # The app reads the body once, then at most asks once more (and hears a disconnect).
    assert answer.receives <= len(chunks) + 1
    return answer


# Parts of a well-formed body -------------------------------------------------------------------------------------

BCHARS = string.ascii_letters + string.digits + "'()+_,-./:=?"  # RFC 2046 boundary characters (space aside)
boundaries = st.text(alphabet=BCHARS, min_size=1, max_size=70)
# Names and filenames that need no escaping inside a quoted Content-Disposition parameter (non-ASCII included).
names = st.text(
    alphabet=st.characters(
        min_codepoint=32, max_codepoint=0x2FFF, exclude_characters='"\\;', exclude_categories=("Cs", "Cc")
    ),
    max_size=12,
)
header_values = st.text(alphabet=string.ascii_letters + string.digits + " /-+.=", max_size=20)


@dataclass(frozen=True)
class Part:
    name: str
    data: bytes
    filename: Optional[str]  # None for a plain field
    extra_headers: tuple[tuple[str, str], ...]

    def encode(self, boundary: bytes) -> bytes:
        disposition = f'Content-Disposition: form-data; name="{self.name}"'
        if self.filename is not None:
            disposition += f'; filename="{self.filename}"'
        lines = [disposition, *(f"{key}: {value}" for key, value in self.extra_headers)]
        head = "\r\n".join(lines).encode()
        return b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + self.data + b"\r\n"

    def expected(self) -> list[Any]:
        if self.filename is not None:
            return [self.name, self.filename, self.data.decode("latin-1"), len(self.data)]
        try:
            value = self.data.decode("utf-8")
        except UnicodeDecodeError:
            value = self.data.decode("latin-1")
        return [self.name, None, value, None]


parts = st.builds(
    Part,
    name=names,
    data=st.one_of(st.binary(max_size=260), st.text(max_size=80).map(str.encode)),
    filename=st.none() | names,
    extra_headers=st.lists(
        st.tuples(st.sampled_from(["Content-Type", "X-Custom", "Content-Transfer-Encoding"]), header_values),
        max_size=2,
    ).map(tuple),
)


def encode(form: Sequence[Part], boundary: bytes) -> bytes:
    return b"".join(part.encode(boundary) for part in form) + b"--" + boundary + b"--\r\n"


def over_a_limit(form: Sequence[Part]) -> bool:
    files = [part for part in form if part.filename is not None]
    fields = [part for part in form if part.filename is None]
    return len(files) > MAX_FILES or len(fields) > MAX_FIELDS or any(len(part.data) > MAX_PART_SIZE for part in fields)


@HOSTILE
@given(
    form=st.lists(parts, max_size=7),
    boundary=boundaries,
    cuts=st.lists(st.integers(min_value=0), max_size=6),
    on_disk=st.booleans(),
)
def test_well_formed_bodies_parse_to_what_was_sent(
    anyio_backend: str, form: list[Part], boundary: str, cuts: list[int], on_disk: bool
) -> None:
    raw_boundary = boundary.encode()
    # A part's data that happens to contain the delimiter would end that part early: not a well-formed body.
    if any(b"\r\n--" + raw_boundary in b"\r\n" + part.data for part in form):
        return
    body = encode(form, raw_boundary)
    content_type = b'multipart/form-data; boundary="' + raw_boundary + b'"'
    answer = post(anyio_backend, "/form", content_type, chunked(body, cuts), declare=True, on_disk=on_disk)
    if over_a_limit(form):
        assert_answered(answer, {400})
    else:
        assert_answered(answer, {200})
        assert answer.json() == [part.expected() for part in form]


# Mangled bodies ----------------------------------------------------------------------------------------------------


@st.composite
def mangled(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` with a few random edits: bytes inserted, deleted, replaced, or the body cut short."""
    data = bytearray(body)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        where = draw(st.integers(min_value=0, max_value=len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        if edit == "insert":
            data[where:where] = draw(
                st.sampled_from([b"\r\n", b"--", b"\r\n\r\n", b'"', b";", b"\x00", b"\xff"]) | st.binary(max_size=12)
            )
        elif edit == "delete":
            del data[where : where + draw(st.integers(min_value=1, max_value=16))]
        elif edit == "replace" and where < len(data):
            data[where] = draw(st.integers(min_value=0, max_value=255))
        elif edit == "truncate":
            del data[where:]
    return bytes(data)


def content_types(boundary: bytes) -> st.SearchStrategy[bytes]:
    """Mostly the right header (so that the mangled body is parsed), else a hostile one."""
    right = st.sampled_from(
        [b"multipart/form-data; boundary=" + boundary, b'multipart/form-data; boundary="' + boundary + b'"']
    )
    params = st.sampled_from(
        [
            b"; boundary=",
            b'; boundary=""',
            b"",
            b"; boundary=" + boundary + b"; charset=utf-8",
            b"; charset=rot13; boundary=" + boundary,
            b"; charset=" + b"x" * 100 + b"; boundary=" + boundary,
            b"; boundary=" + boundary + b"x",
            b"; boundary*=utf-8''" + boundary,
            b"; boundary=" + boundary + b"; boundary=other",
        ]
    )
    types = st.sampled_from([b"multipart/form-data", b"MULTIPART/FORM-DATA", b"multipart/mixed", b"text/plain"])
    junk = st.binary(max_size=40)
    hostile = st.one_of(st.builds(bytes.__add__, types, params), junk, st.builds(bytes.__add__, types, junk))
    return st.one_of(right, right, right, hostile)


@HOSTILE
@given(
    form=st.lists(parts, min_size=1, max_size=6),
    boundary=boundaries,
    data=st.data(),
    cuts=st.lists(st.integers(min_value=0), max_size=6),
    small=st.booleans(),
    declare=st.booleans(),
    on_disk=st.booleans(),
)
def test_mangled_bodies_are_answered(
    anyio_backend: str,
    form: list[Part],
    boundary: str,
    data: st.DataObject,
    cuts: list[int],
    small: bool,
    declare: bool,
    on_disk: bool,
) -> None:
    raw_boundary = boundary.encode()
    body = data.draw(mangled(encode(form, raw_boundary)), label="body")
    content_type = data.draw(content_types(raw_boundary), label="content_type")
    path = "/small" if small else "/form"
    answer = post(anyio_backend, path, content_type, chunked(body, cuts), declare=declare, on_disk=on_disk)
    assert_answered(answer, {200, 400, 413})
    if answer.status == 413:
        assert small and len(body) > SMALL_BODY
    elif small and declare and len(body) > SMALL_BODY:
        raise AssertionError(f"an over-limit body with its Content-Length was answered {answer.status}")
    if answer.status == 200:
        assert isinstance(answer.json(), list)


@HOSTILE
@given(
    preamble=st.binary(max_size=40),
    head=st.one_of(
        st.binary(max_size=120),
        st.builds(
            bytes.__add__, st.just(b'Content-Disposition: form-data; name="f"; filename="a"'), st.binary(max_size=60)
        ),
    ),
    tail=st.binary(max_size=60),
    boundary=st.binary(min_size=1, max_size=80),
    cuts=st.lists(st.integers(min_value=0), max_size=4),
)
def test_random_bytes_around_a_boundary_are_answered(
    anyio_backend: str, preamble: bytes, head: bytes, tail: bytes, boundary: bytes, cuts: list[int]
) -> None:
    """Arbitrary boundaries (any bytes, quoted in the header) and part headers made of random bytes."""
    body = preamble + b"--" + boundary + b"\r\n" + head + b"\r\n\r\n" + tail + b"\r\n--" + boundary + b"--\r\n"
    content_type = b'multipart/form-data; boundary="' + boundary.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    answer = post(anyio_backend, "/form", content_type, chunked(body, cuts), declare=True, on_disk=False)
    assert_answered(answer, {200, 400})
