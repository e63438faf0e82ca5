"""Form parsing against hostile bodies: client-chosen charsets, memory use of large fields, and many uploads.

A charset named by the client (the Content-Type ``charset`` parameter or a ``_charset_`` field) is only used when it
is a character set: anything else falls back (the header's to latin-1, a ``_charset_`` field is ignored) and never
fails the parse.  Large non-file fields cost about their own size in memory, and the uploads of one request keep
about ``MultiPartParser.spool_max_total_size`` bytes in memory together, the rest on disk, except that files of up to
``MultiPartParser.spool_min_file_size`` bytes always stay in memory: a client cannot make a request hold a temporary
file (and a file descriptor) for every byte it sends.
"""

from __future__ import annotations

import encodings
import itertools
import os
import pkgutil
import tempfile
import tracemalloc
from collections.abc import AsyncGenerator, Iterable, Iterator
from encodings.aliases import aliases
from typing import Any, Callable

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.datastructures import FormData, Headers, UploadFile
from starlette_core.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BOUNDARY"
END = b"--BOUNDARY--\r\n"

# Codecs that are not character sets, and names that are no codec at all.
NOT_CHARSETS = [
    "rot13",
    "rot_13",
    "base64",
    "base64_codec",
    "hex",
    "zlib",
    "bz2",
    "uu",
    "quopri",
    "idna",
    "punycode",
    "undefined",
    "unicode_escape",
    "raw-unicode-escape",
    "latin-8",
    "aliases",
    "mbcs",
    "x" * 100,
    "",
]
# Every name the standard library's codec search knows, in the spellings it accepts.
STANDARD_NAMES = sorted(
    {module.name for module in pkgutil.iter_modules(encodings.__path__)} | set(aliases) | set(aliases.values())
)


async def chunks_of(chunks: Iterable[bytes]) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk


async def parse_urlencoded(body: bytes, content_type: str = URLENCODED, parser_class: Any = FormParser) -> FormData:
    parser = parser_class(Headers({"content-type": content_type}), chunks_of([body]))
    return await parser.parse()  # type: ignore[no-any-return]


def part(name: bytes, data: bytes, *, filename: bytes | None = None) -> bytes:
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return b"--BOUNDARY\r\n" + disposition + b"\r\n\r\n" + data + b"\r\n"


def multipart(chunks: Iterable[bytes], content_type: str = MULTIPART) -> MultiPartParser:
    return MultiPartParser(Headers({"content-type": content_type}), chunks_of(chunks))


class EventParser(FormParser):
    """Overrides an event, so that the body is parsed through python-multipart's callbacks."""

    def on_field_end(self) -> None:
        super().on_field_end()


# --- 1. client-chosen charsets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("parser_class", [FormParser, EventParser])
@pytest.mark.parametrize("charset", NOT_CHARSETS)
@pytest.mark.anyio
async def test_urlencoded_charset_parameter_that_is_no_charset_means_latin1(charset: str, parser_class: Any) -> None:
    form = await parse_urlencoded(b"caf%E9=cr%E8me", f"{URLENCODED}; charset={charset}", parser_class)
    assert form.multi_items() == [("café", "crème")]


@pytest.mark.parametrize("parser_class", [FormParser, EventParser])
@pytest.mark.parametrize("charset", [*NOT_CHARSETS, "utf%00-8", "%FF%FE", "utf-8" * 20])
@pytest.mark.anyio
async def test_urlencoded_charset_field_that_is_no_charset_is_ignored(charset: str, parser_class: Any) -> None:
    form = await parse_urlencoded(b"caf%C3%A9=1&_charset_=" + charset.encode(), parser_class=parser_class)
    assert form["café"] == "1"


@pytest.mark.anyio
async def test_urlencoded_charset_names_are_matched_loosely_as_the_standard_library_does() -> None:
    form = await parse_urlencoded(b"a=%E9", f"{URLENCODED}; charset= ISO_8859--1 ")
    assert form["a"] == "é"
    form = await parse_urlencoded(b"a=%80&_charset_=Windows+1252")
    assert form["a"] == "€"
    form = await parse_urlencoded(b"a=%E9&_charset_=ansi_x3.4-1968")  # an alias with a dot: ascii
    assert form["a"] == "\ufffd"
    form = await parse_urlencoded(b"a=%E9&_charset_=%C3%A9")  # a non-ASCII name is unknown
    assert form["a"] == "\ufffd"


@pytest.mark.parametrize("charset", NOT_CHARSETS)
@pytest.mark.anyio
async def test_multipart_charset_parameter_that_is_no_charset_means_latin1(charset: str) -> None:
    body = part(b"caf\xe9", b"cr\xe8me") + part(b"f\xe9", b"\xff", filename=b"r\xe9sum\xe9.txt") + END
    form = await multipart([body], f"{MULTIPART}; charset={charset}").parse()
    assert form["café"] == "crème"
    upload = form["fé"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "résumé.txt"
    assert await upload.read() == b"\xff"
    await form.close()


@pytest.mark.parametrize("charset", NOT_CHARSETS)
@pytest.mark.anyio
async def test_multipart_charset_field_that_is_no_charset_is_ignored(charset: str) -> None:
    body = part("café".encode(), "crème".encode()) + part(b"_charset_", charset.encode()) + END
    form = await multipart([body]).parse()
    assert form.multi_items() == [("café", "crème"), ("_charset_", charset)]


@pytest.mark.anyio
async def test_multipart_charset_field_naming_a_charset_still_applies() -> None:
    body = part(b"caf\xe9", b"\x80") + part(b"_charset_", b" CP1252") + END
    form = await multipart([body]).parse()
    assert form.multi_items() == [("café", "€"), ("_charset_", " CP1252")]


fresh_numbers = itertools.count()  # a name asked about once is remembered: every run of the test needs new ones


@pytest.mark.anyio
async def test_unknown_charset_names_do_not_pile_up_in_memory() -> None:
    # The codec registries remember every name they are asked about, found or not: a client sending a new name
    # with every request must not make the process grow.
    async def parse_all() -> None:
        for number in itertools.islice(fresh_numbers, 2000):
            await parse_urlencoded(b"a=1&_charset_=utf-%d" % number, f"{URLENCODED}; charset=x-{number}")

    await parse_all()  # the first use loads the list of names: not counted
    tracemalloc.start()
    try:
        await parse_all()
        grown = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert grown < 20_000  # hundreds of bytes a name before


# Names the codec machinery knows, names it does not, and whatever hypothesis makes up.
charset_names = st.one_of(
    st.sampled_from(STANDARD_NAMES + NOT_CHARSETS),
    st.text(alphabet=st.characters(max_codepoint=0xFF, blacklist_characters=';"\\\r\n'), max_size=20),
)
field_bytes = st.binary(max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header_charset=st.none() | charset_names,
    field_charset=charset_names,
    pairs=st.lists(st.tuples(field_bytes, field_bytes), max_size=4),
)
def test_urlencoded_any_charset_and_bytes_parse_or_fail_cleanly(
    anyio_backend: str, header_charset: str | None, field_charset: str, pairs: list[tuple[bytes, bytes]]
) -> None:
    content_type = URLENCODED if header_charset is None else f"{URLENCODED}; charset={header_charset}"
    body = b"&".join([b"=".join(pair) for pair in pairs] + [b"_charset_=" + field_charset.encode("latin-1")])

    async def main() -> None:
        for parser_class in (FormParser, EventParser):
            try:
                form = await parse_urlencoded(body, content_type, parser_class)
            except MultiPartException:
                continue
            assert all(isinstance(key, str) and isinstance(value, str) for key, value in form.multi_items())

    anyio.run(main, backend=anyio_backend)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header_charset=st.none() | charset_names,
    field_charset=charset_names,
    fields=st.lists(st.tuples(field_bytes, field_bytes, st.none() | field_bytes), max_size=4),
)
def test_multipart_any_charset_and_bytes_parse_or_fail_cleanly(
    anyio_backend: str,
    header_charset: str | None,
    field_charset: str,
    fields: list[tuple[bytes, bytes, bytes | None]],
) -> None:
    content_type = MULTIPART if header_charset is None else f"{MULTIPART}; charset={header_charset}"
    body = b"".join(part(name, data, filename=filename) for name, data, filename in fields)
    body += part(b"_charset_", field_charset.encode("latin-1")) + END

    async def main() -> None:
        try:
            form = await multipart([body], content_type).parse()
        except MultiPartException:
            return
        for key, value in form.multi_items():
            assert isinstance(key, str)
            assert isinstance(value, str) or isinstance(value.filename, str)
        await form.close()

    anyio.run(main, backend=anyio_backend)


# --- 2. memory of large non-file fields -------------------------------------------------------------------------


def big_fields(count: int, size: int, chunk: bytes) -> Iterator[bytes]:
    """A multipart body of ``count`` fields of ``size`` bytes, made of one reused ``chunk`` (nothing to trace)."""
    for number in range(count):
        yield b'--BOUNDARY\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n' % number
        for _ in range(size // len(chunk)):
            yield chunk
        yield b"\r\n"
    yield END


@pytest.mark.parametrize("charset_field", [False, True])
@pytest.mark.anyio
async def test_large_fields_cost_about_their_size_in_memory(charset_field: bool) -> None:
    count, size = 12, 1024 * 1024
    chunks = big_fields(count, size, b"v" * (64 * 1024))
    if charset_field:  # a `_charset_` field: every name and value is decoded again, at the end
        chunks = iter([part(b"_charset_", b"latin-1"), *chunks])
    parser = multipart(chunks)
    tracemalloc.start()
    try:
        form = await parser.parse()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert form["f0"] == form[f"f{count - 1}"] == "v" * size
    # The parsed form itself holds the data once; the raw bytes must be gone by then (about 2x before).
    assert peak <= 1.2 * count * size


# --- 3. the in-memory spool of uploads --------------------------------------------------------------------------


def upload_parts(count: int, size: int) -> list[bytes]:
    return [
        part(b"file%d" % number, bytes([number % 256]) * size, filename=b"%d.bin" % number) for number in range(count)
    ]


def in_memory(upload: UploadFile) -> bool:
    # A SpooledTemporaryFile has the name of the file it rolled over to, and none while it is in memory.
    return upload.file.name is None


async def uploads_of(form: FormData) -> list[UploadFile]:
    uploads = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    for number, upload in enumerate(uploads):
        assert await upload.read() == bytes([number % 256]) * upload.size  # type: ignore[operator]
    return uploads


def test_spool_defaults() -> None:
    assert MultiPartParser.spool_max_total_size == 10 * 1024 * 1024
    assert MultiPartParser.spool_min_file_size == 64 * 1024


@pytest.mark.anyio
async def test_uploads_past_the_total_go_to_disk() -> None:
    parser = multipart([*upload_parts(50, 1000), END])
    parser.spool_max_total_size = 10_000
    parser.spool_min_file_size = 0
    form = await parser.parse()
    uploads = await uploads_of(form)
    assert [upload.size for upload in uploads] == [1000] * 50
    assert [in_memory(upload) for upload in uploads] == [True] * 10 + [False] * 40
    await form.close()
    assert all(upload.file.closed for upload in uploads)


@pytest.mark.anyio
async def test_default_total_with_files_at_the_per_file_limit() -> None:
    size = MultiPartParser.spool_max_size
    form = await multipart([*upload_parts(12, size), END]).parse()
    uploads = await uploads_of(form)
    assert [in_memory(upload) for upload in uploads] == [True] * 10 + [False] * 2
    await form.close()


@pytest.mark.anyio
async def test_a_file_larger_than_the_room_left_rolls_and_leaves_it_to_the_next() -> None:
    body = [
        *upload_parts(1, 600),
        part(b"big", b"\x01" * 600, filename=b"b"),
        part(b"fits", b"\x02" * 400, filename=b"f"),
    ]
    parser = multipart([*body, END])
    parser.spool_max_total_size = 1000
    parser.spool_min_file_size = 0
    form = await parser.parse()
    first, big, fits = (form[name] for name in ("file0", "big", "fits"))
    assert isinstance(first, UploadFile)
    assert isinstance(big, UploadFile)
    assert isinstance(fits, UploadFile)
    assert (in_memory(first), in_memory(big), in_memory(fits)) == (True, False, True)
    assert await big.read() == b"\x01" * 600
    await form.close()


@pytest.mark.anyio
async def test_empty_files_past_the_total_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    rolled: list[Any] = []
    original = tempfile.SpooledTemporaryFile.rollover

    def rollover(self: Any) -> None:
        rolled.append(self)
        original(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", rollover)
    parser = multipart([*upload_parts(1, 10), part(b"empty", b"", filename=b""), END])
    parser.spool_max_total_size = 10
    parser.spool_min_file_size = 0
    form = await parser.parse()
    empty = form["empty"]
    assert isinstance(empty, UploadFile)
    assert (empty.size, in_memory(empty), rolled) == (0, True, [])
    await form.close()


@pytest.mark.anyio
async def test_a_total_and_a_floor_of_zero_send_every_file_with_data_to_disk() -> None:
    parser = multipart([b"".join(upload_parts(3, 5)), END])
    parser.spool_max_total_size = 0
    parser.spool_min_file_size = 0
    form = await parser.parse()
    assert [in_memory(upload) for upload in await uploads_of(form)] == [False] * 3
    await form.close()


@pytest.fixture
def temporary_files(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every temporary file created (a SpooledTemporaryFile creates one when it rolls over)."""
    created: list[Any] = []
    original = tempfile.TemporaryFile

    def temporary_file(*args: Any, **kwargs: Any) -> Any:
        created.append(original(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)
    return created


def open_descriptors() -> int | None:
    """How many file descriptors the process holds, where the system lists them."""
    for directory in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(directory):
            return len(os.listdir(directory))
    return None


def spent_total() -> list[bytes]:
    """Files that fill the default total: each at the default per-file limit, all in memory."""
    return [part(b"full", b"\x00" * MultiPartParser.spool_max_size, filename=b"full") for _ in range(10)]


@pytest.mark.anyio
async def test_small_files_past_the_total_hold_no_temporary_file(temporary_files: list[Any]) -> None:
    # A thousand one-byte files once the 10 MiB are spent: without the floor, a thousand file descriptors held for
    # the request's lifetime (a few such requests would exhaust the process's).
    tiny = [part(b"tiny", b"\x01", filename=b"%d" % number) for number in range(1000)]
    parser = MultiPartParser(
        Headers({"content-type": MULTIPART}), chunks_of([*spent_total(), b"".join(tiny), END]), max_files=1010
    )
    before = open_descriptors()
    form = await parser.parse()
    try:
        assert open_descriptors() == before
        assert temporary_files == []
        uploads = form.getlist("tiny")
        assert len(uploads) == 1000
        assert all(isinstance(upload, UploadFile) and in_memory(upload) for upload in form.getlist("full"))
        assert all(isinstance(upload, UploadFile) and in_memory(upload) for upload in uploads)
        assert [await upload.read() for upload in uploads if isinstance(upload, UploadFile)] == [b"\x01"] * 1000
    finally:
        await form.close()


@pytest.mark.anyio
async def test_a_file_larger_than_the_floor_past_the_total_still_goes_to_disk(temporary_files: list[Any]) -> None:
    floor = MultiPartParser.spool_min_file_size
    body = [
        *spent_total(),
        part(b"at", b"\x02" * floor, filename=b"at"),
        part(b"over", b"\x03" * (floor + 1), filename=b"over"),
        part(b"small", b"\x04", filename=b"small"),
    ]
    form = await multipart([*body, END]).parse()
    try:
        at, over, small = (form[name] for name in ("at", "over", "small"))
        assert isinstance(at, UploadFile)
        assert isinstance(over, UploadFile)
        assert isinstance(small, UploadFile)
        assert (in_memory(at), in_memory(over), in_memory(small)) == (True, False, True)
        assert len(temporary_files) == 1
        assert (await at.read(), await over.read(), await small.read()) == (
            b"\x02" * floor,
            b"\x03" * (floor + 1),
            b"\x04",
        )
    finally:
        await form.close()


@pytest.mark.anyio
async def test_the_floor_raises_the_room_left_and_the_per_file_limit_caps_it() -> None:
    sizes = [950, 100, 101, 100, 40]
    body = [part(b"f", bytes([number]) * size, filename=b"f") for number, size in enumerate(sizes)]
    parser = multipart([*body, END])
    parser.spool_max_total_size = 1000
    parser.spool_min_file_size = 100
    form = await parser.parse()
    try:
        uploads = await uploads_of(form)
        # 50 bytes left after the first file: the second may keep the floor's 100 all the same.
        assert [upload.size for upload in uploads] == sizes
        assert [in_memory(upload) for upload in uploads] == [True, True, False, True, True]
    finally:
        await form.close()
    parser = multipart([*body, END])
    parser.spool_max_size = 50
    parser.spool_min_file_size = 100
    form = await parser.parse()
    try:
        assert [in_memory(upload) for upload in await uploads_of(form)] == [False] * 4 + [True]
    finally:
        await form.close()


@pytest.mark.anyio
async def test_a_total_of_zero_keeps_only_the_files_up_to_the_floor_in_memory(temporary_files: list[Any]) -> None:
    floor = MultiPartParser.spool_min_file_size
    body = [part(b"f", bytes([number]) * size, filename=b"f") for number, size in enumerate([5, floor, floor + 1])]
    parser = multipart([*body, END])
    parser.spool_max_total_size = 0
    form = await parser.parse()
    try:
        assert [in_memory(upload) for upload in await uploads_of(form)] == [True, True, False]
        assert len(temporary_files) == 1
    finally:
        await form.close()


@pytest.mark.anyio
async def test_no_per_file_limit_still_has_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    # A spool_max_size of 0 means no limit per file, as for SpooledTemporaryFile: the total still applies.
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 0)
    monkeypatch.setattr(MultiPartParser, "spool_max_total_size", 2500)
    monkeypatch.setattr(MultiPartParser, "spool_min_file_size", 0)
    parts = upload_parts(3, 1000)
    form = await multipart([*(piece for one in parts for piece in (one[:-300], one[-300:])), END]).parse()
    assert [in_memory(upload) for upload in await uploads_of(form)] == [True, True, False]
    await form.close()


@pytest.mark.anyio
async def test_memory_held_by_many_uploads_is_bounded_by_the_total_and_the_floor() -> None:
    # The worst case: the total, then the floor for every file after it.  Here every other file is at the floor
    # (it stays in memory) and the others are twice as large (on disk once the total is spent).
    count, total, floor = 200, 1024 * 1024, MultiPartParser.spool_min_file_size
    small, large = b"\x07" * floor, b"\x08" * (2 * floor)

    def body() -> Iterator[bytes]:
        for number in range(count):
            yield b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="%d"\r\n\r\n' % number
            yield large if number % 2 else small
            yield b"\r\n"
        yield END

    parser = multipart(body())
    parser.spool_max_total_size = total
    tracemalloc.start()
    try:
        form = await parser.parse()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    try:
        uploads = [upload for upload in form.getlist("f") if isinstance(upload, UploadFile)]
        # Five pairs and one small file spend the total: 5 * 192 KiB + 64 KiB.
        assert [in_memory(upload) for upload in uploads] == [number < 11 or number % 2 == 0 for number in range(count)]
        kept = sum(upload.size or 0 for upload in uploads if in_memory(upload))
        worst = total + (count - 11) // 2 * floor
        assert kept <= worst
        assert peak < worst + 1024 * 1024  # 18.75 MiB of files (all in memory without the total)
        for number, upload in enumerate(uploads):
            assert await upload.read() == (large if number % 2 else small)
    finally:
        await form.close()


def test_uploads_are_closed_after_the_request(
    test_client_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MultiPartParser, "spool_max_total_size", 3000)
    monkeypatch.setattr(MultiPartParser, "spool_min_file_size", 0)
    seen: list[UploadFile] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        async with request.form() as form:
            uploads = form.getlist("f")
            for upload in uploads:
                assert isinstance(upload, UploadFile)
                seen.append(upload)
            lines = [f"{upload.size} {in_memory(upload)} {(await upload.read())[:1]!r}" for upload in seen]
        await PlainTextResponse("\n".join(lines))(scope, receive, send)

    files = [("f", (f"{number}.txt", bytes([65 + number]) * 1000)) for number in range(5)]
    response = test_client_factory(app).post("/", files=files)
    assert response.text.splitlines() == [
        "1000 True b'A'",
        "1000 True b'B'",
        "1000 True b'C'",
        "1000 False b'D'",
        "1000 False b'E'",
    ]
    assert len(seen) == 5
    assert all(upload.file.closed for upload in seen)
