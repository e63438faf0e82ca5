"""FormParser / MultiPartParser: parsing, limits, malformed input and cleanup."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import pytest

from starlette_core import formparsers
from starlette_core.datastructures import FormData, Headers, UploadFile
from starlette_core.formparsers import (
    FormMessage,
    FormParser,
    MultiPartException,
    MultiPartParser,
    MultipartPart,
)
from starlette_core.requests import ClientDisconnect, Request
from starlette_core.types import Message

URLENCODED = "application/x-www-form-urlencoded"


class Body:
    """An async chunk source that fails the test if it is read past ``allowed`` chunks."""

    def __init__(self, chunks: Iterable[bytes], allowed: int | None = None) -> None:
        self.chunks = list(chunks)
        self.allowed = len(self.chunks) if allowed is None else allowed
        self.read = 0
        self.closed = False

    async def stream(self) -> AsyncGenerator[bytes, None]:
        try:
            for chunk in self.chunks:
                if self.read >= self.allowed:
                    raise AssertionError("the parser read past the point where it should have stopped")
                self.read += 1
                yield chunk
        finally:
            self.closed = True


def headers_for(content_type: str) -> Headers:
    return Headers({"content-type": content_type})


async def parse_urlencoded(*chunks: bytes, content_type: str = URLENCODED, **limits: Any) -> FormData:
    parser = FormParser(headers_for(content_type), Body(chunks).stream())
    for name, value in limits.items():
        setattr(parser, name, value)
    return await parser.parse()


def part(name: str | bytes, data: bytes, *, filename: str | bytes | None = None, extra: bytes = b"") -> bytes:
    raw_name = name.encode() if isinstance(name, str) else name
    disposition = b'Content-Disposition: form-data; name="' + raw_name + b'"'
    if filename is not None:
        raw_filename = filename.encode() if isinstance(filename, str) else filename
        disposition += b'; filename="' + raw_filename + b'"'
    return b"--BOUNDARY\r\n" + disposition + b"\r\n" + extra + b"\r\n" + data + b"\r\n"


END = b"--BOUNDARY--\r\n"
MULTIPART = "multipart/form-data; boundary=BOUNDARY"


def multipart_parser(chunks: Iterable[bytes], content_type: str = MULTIPART, **kwargs: Any) -> MultiPartParser:
    return MultiPartParser(headers_for(content_type), Body(chunks).stream(), **kwargs)


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture
def spooled_files(monkeypatch: pytest.MonkeyPatch) -> list[tempfile.SpooledTemporaryFile[bytes]]:
    """Every SpooledTemporaryFile the parser creates."""
    created: list[tempfile.SpooledTemporaryFile[bytes]] = []
    original = tempfile.SpooledTemporaryFile

    def factory(*args: Any, **kwargs: Any) -> tempfile.SpooledTemporaryFile[bytes]:
        file: tempfile.SpooledTemporaryFile[bytes] = original(*args, **kwargs)
        created.append(file)
        return file

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", factory)  # the name the parser looks up, as upstream's
    return created


# --- public helpers -------------------------------------------------------------------------------------------


def test_form_message_members() -> None:
    assert [m.name for m in FormMessage] == ["FIELD_START", "FIELD_NAME", "FIELD_DATA", "FIELD_END", "END"]


def test_multipart_part_defaults() -> None:
    first, second = MultipartPart(), MultipartPart()
    assert first == second
    assert (first.content_disposition, first.field_name, first.file) == (None, "", None)
    first.data.append(1)
    first.item_headers.append((b"a", b"b"))
    assert second.data == bytearray()
    assert second.item_headers == []


def test_multipart_exception_message() -> None:
    exc = MultiPartException("Too many files.")
    assert exc.message == "Too many files."
    assert str(exc) == "Too many files."


def test_class_level_defaults() -> None:
    assert MultiPartParser.spool_max_size == 1024 * 1024
    assert MultiPartParser.max_part_size == 1024 * 1024
    assert FormParser.max_fields == 1000
    assert FormParser.max_part_size == 1024 * 1024


# --- urlencoded -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_urlencoded_fields() -> None:
    form = await parse_urlencoded(b"a=1&b=hello+world&a=2&empty=&novalue&x%26y=%3D%25")
    assert form.multi_items() == [
        ("a", "1"),
        ("b", "hello world"),
        ("a", "2"),
        ("empty", ""),
        ("novalue", ""),
        ("x&y", "=%"),
    ]


@pytest.mark.anyio
async def test_urlencoded_across_chunks() -> None:
    body = b"first=%C3%A9t%C3%A9&second=two+words&third=3"
    form = await parse_urlencoded(*split(body, 1))
    assert form.multi_items() == [("first", "été"), ("second", "two words"), ("third", "3")]


@pytest.mark.anyio
async def test_urlencoded_empty_body() -> None:
    assert await parse_urlencoded(b"") == FormData()
    assert await parse_urlencoded() == FormData()


@pytest.mark.anyio
async def test_urlencoded_utf8_by_default_even_unescaped() -> None:
    form = await parse_urlencoded("name=José&city=Zürich".encode())
    assert form.multi_items() == [("name", "José"), ("city", "Zürich")]


@pytest.mark.anyio
async def test_urlencoded_invalid_utf8_is_replaced() -> None:
    form = await parse_urlencoded(b"a=%FF%FEok")
    assert form["a"] == "\ufffd\ufffdok"


@pytest.mark.anyio
async def test_urlencoded_charset_parameter() -> None:
    form = await parse_urlencoded(b"a=%E9t%E9", content_type=URLENCODED + "; charset=latin-1")
    assert form["a"] == "été"


@pytest.mark.anyio
async def test_urlencoded_unknown_charset_parameter_means_latin1() -> None:
    form = await parse_urlencoded(b"a=%E9", content_type=URLENCODED + "; charset=no-such-codec")
    assert form["a"] == "é"


@pytest.mark.anyio
async def test_urlencoded_charset_field() -> None:
    form = await parse_urlencoded(b"a=%E9&_charset_=ISO-8859-1&b=%E0&_charset_=utf-8")
    assert form.multi_items() == [("a", "é"), ("_charset_", "ISO-8859-1"), ("b", "à"), ("_charset_", "utf-8")]
    # An unknown `_charset_` is ignored.
    form = await parse_urlencoded(b"a=%C3%A9&_charset_=bogus")
    assert form["a"] == "é"


@pytest.mark.anyio
async def test_urlencoded_too_many_fields_stops_reading() -> None:
    body = Body([b"a=1&b=2&", b"c=3&d=4", b"&e=5"], allowed=2)
    parser = FormParser(headers_for(URLENCODED), body.stream())
    parser.max_fields = 3
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many fields. Maximum number of fields is 3."
    assert body.read == 2
    assert body.closed


@pytest.mark.anyio
async def test_urlencoded_limit_with_a_plain_async_iterator() -> None:
    class Chunks:
        def __init__(self) -> None:
            self.chunks = [b"a=1&", b"b=2&", b"c=3"]

        def __aiter__(self) -> Chunks:
            return self

        async def __anext__(self) -> bytes:
            if not self.chunks:
                raise StopAsyncIteration  # pragma: no cover
            return self.chunks.pop(0)

    source = Chunks()
    parser = FormParser(headers_for(URLENCODED), source)  # type: ignore[arg-type]
    parser.max_fields = 1
    with pytest.raises(MultiPartException, match="Too many fields"):
        await parser.parse()
    assert source.chunks == [b"c=3"]


@pytest.mark.anyio
async def test_urlencoded_field_limit_is_inclusive() -> None:
    form = await parse_urlencoded(b"a=1&b=2&c=3", max_fields=3)
    assert len(form) == 3


@pytest.mark.anyio
async def test_urlencoded_default_field_limit() -> None:
    body = b"&".join(b"f%d=1" % i for i in range(1000))
    assert len(await parse_urlencoded(body)) == 1000
    with pytest.raises(MultiPartException, match="Maximum number of fields is 1000"):
        await parse_urlencoded(body + b"&one=more")


@pytest.mark.anyio
async def test_urlencoded_part_too_large_stops_reading() -> None:
    body = Body([b"small=1&big=", b"x" * 600, b"x" * 600, b"&more=1"], allowed=3)
    parser = FormParser(headers_for(URLENCODED), body.stream())
    parser.max_part_size = 1024
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Field exceeded maximum size of 1KB."
    assert body.read == 3
    assert body.closed


@pytest.mark.anyio
async def test_urlencoded_part_size_counts_the_name_too() -> None:
    with pytest.raises(MultiPartException, match="Field exceeded maximum size"):
        await parse_urlencoded(b"n" * 1000 + b"=" + b"v" * 100, max_part_size=1024)
    with pytest.raises(MultiPartException, match="Field exceeded maximum size"):
        await parse_urlencoded(b"n" * 2000, max_part_size=1024)
    form = await parse_urlencoded(b"n" * 1000 + b"=" + b"v" * 24, max_part_size=1024)
    assert form["n" * 1000] == "v" * 24


@pytest.mark.anyio
async def test_urlencoded_default_part_size() -> None:
    value = b"v" * (1024 * 1024 - 1)
    assert (await parse_urlencoded(b"k=" + value))["k"] == value.decode()
    with pytest.raises(MultiPartException, match=r"^Field exceeded maximum size of 1024KB\.$"):
        await parse_urlencoded(b"k=" + value + b"vv")


@pytest.mark.anyio
async def test_urlencoded_client_disconnect_propagates() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"a=1&b=", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    request = Request({"type": "http", "headers": [(b"content-type", URLENCODED.encode())]}, receive)
    with pytest.raises(ClientDisconnect):
        await request.form()


# --- multipart: parsing ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_multipart_fields_and_files() -> None:
    body = (
        part("name", b"value")
        + part("upload", b"file\r\ncontent", filename="notes.txt", extra=b"Content-Type: text/plain\r\n")
        + part("name", b"second")
        + part("empty", b"", filename="")
        + END
    )
    form = await multipart_parser([body]).parse()
    assert form.getlist("name") == ["value", "second"]
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "notes.txt"
    assert upload.content_type == "text/plain"
    assert upload.size == len(b"file\r\ncontent")
    assert await upload.read() == b"file\r\ncontent"
    assert upload.headers["content-disposition"] == 'form-data; name="upload"; filename="notes.txt"'
    empty = form["empty"]
    assert isinstance(empty, UploadFile)
    assert (empty.filename, empty.size, await empty.read()) == ("", 0, b"")
    await form.close()


@pytest.mark.parametrize("size", [1, 3, 7, 64])
@pytest.mark.anyio
async def test_multipart_any_chunking(size: int) -> None:
    body = part("a", b"1" * 50) + part("f", b"\r\n--BOUNDAR" * 5, filename="f.bin") + part("b", b"") + END
    form = await multipart_parser(split(body, size)).parse()
    assert form["a"] == "1" * 50
    assert form["b"] == ""
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert await upload.read() == b"\r\n--BOUNDAR" * 5
    await form.close()


@pytest.mark.anyio
async def test_multipart_header_names_are_case_insensitive_and_all_kept() -> None:
    body = (
        b"--BOUNDARY\r\n"
        b'CONTENT-DISPOSITION: form-data; name="f"; filename="x.csv"\r\n'
        b"Content-Type: text/csv\r\n"
        b"X-Custom: 1\r\n\r\n"
        b"a,b\r\n" + END
    )
    form = await multipart_parser([body]).parse()
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.headers.raw == [
        (b"content-disposition", b'form-data; name="f"; filename="x.csv"'),
        (b"content-type", b"text/csv"),
        (b"x-custom", b"1"),
    ]
    assert upload.content_type == "text/csv"
    await form.close()


@pytest.mark.anyio
async def test_multipart_quoted_boundary_and_filename_path() -> None:
    body = part("f", b"data", filename="C:\\Users\\me\\report.pdf") + END
    form = await multipart_parser([body], content_type='multipart/form-data; boundary="BOUNDARY"').parse()
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "report.pdf"
    await form.close()


@pytest.mark.anyio
async def test_multipart_empty_body_is_an_empty_form() -> None:
    assert await multipart_parser([b""]).parse() == FormData()
    assert await multipart_parser([END]).parse() == FormData()


@pytest.mark.anyio
async def test_multipart_large_file_rolls_over_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1024)
    content = bytes(range(256)) * 40
    body = part("big", content, filename="big.bin") + part("small", b"s", filename="s.bin") + END
    form = await multipart_parser(split(body, 500)).parse()
    big, small = form["big"], form["small"]
    assert isinstance(big, UploadFile)
    assert isinstance(small, UploadFile)
    assert big.file._rolled  # type: ignore[attr-defined]
    assert not small.file._rolled  # type: ignore[attr-defined]
    assert big.size == len(content)
    assert await big.read() == content
    assert await small.read() == b"s"
    await form.close()
    assert big.file.closed
    assert small.file.closed


# --- multipart: charsets --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_multipart_utf8_by_default() -> None:
    body = part("prénom", "Zoë".encode()) + part("f", b"x", filename="résumé.txt") + END
    form = await multipart_parser([body]).parse()
    assert form["prénom"] == "Zoë"
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "résumé.txt"
    await form.close()


@pytest.mark.anyio
async def test_multipart_invalid_utf8_falls_back_to_latin1() -> None:
    form = await multipart_parser([part("a", b"caf\xe9") + END]).parse()
    assert form["a"] == "café"


@pytest.mark.anyio
async def test_multipart_charset_parameter() -> None:
    body = part(b"cl\xe9", b"\xe0 bient\xf4t") + END
    form = await multipart_parser([body], content_type=MULTIPART + "; charset=iso-8859-1").parse()
    assert form["clé"] == "à bientôt"
    form = await multipart_parser([body], content_type=MULTIPART + "; charset=unknown-codec").parse()
    assert form["clé"] == "à bientôt"


@pytest.mark.anyio
async def test_multipart_charset_field() -> None:
    body = (
        part(b"cl\xe9", b"caf\xe9")
        + part("f", b"\xe9", filename=b"\xe9.txt")
        + part("_charset_", b"windows-1252")
        + part("euro", b"\x80")
        + END
    )
    form = await multipart_parser([body]).parse()
    assert form.multi_items()[0] == ("clé", "café")
    assert form["_charset_"] == "windows-1252"
    assert form["euro"] == "€"
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    # Filenames are decoded as the headers arrive, with the Content-Type charset (latin-1 fallback).
    assert upload.filename == "é.txt"
    assert await upload.read() == b"\xe9"
    await form.close()


@pytest.mark.anyio
async def test_multipart_charset_field_naming_the_current_charset_or_nothing_known() -> None:
    body = part("a", "é".encode()) + part("_charset_", b"UTF-8") + END
    assert (await multipart_parser([body]).parse())["a"] == "é"
    body = part("a", "é".encode()) + part("_charset_", b"nonsense") + END
    assert (await multipart_parser([body]).parse())["a"] == "é"


# --- multipart: limits ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_multipart_too_many_fields_stops_reading(spooled_files: list[Any]) -> None:
    chunks = [part("a", b"1") + part("f", b"x", filename="f"), part("b", b"2"), part("c", b"3"), END]
    body = Body(chunks, allowed=3)
    parser = MultiPartParser(headers_for(MULTIPART), body.stream(), max_fields=2)
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many fields. Maximum number of fields is 2."
    assert body.read == 3
    assert body.closed
    assert len(spooled_files) == 1
    assert spooled_files[0].closed


@pytest.mark.anyio
async def test_multipart_too_many_files_stops_reading(spooled_files: list[Any]) -> None:
    chunks = [part("f", b"x" * 10, filename="1") + part("g", b"y", filename="2"), part("h", b"z", filename="3"), END]
    body = Body(chunks, allowed=2)
    parser = MultiPartParser(headers_for(MULTIPART), body.stream(), max_files=2)
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Too many files. Maximum number of files is 2."
    assert body.read == 2
    assert len(spooled_files) == 2
    assert all(file.closed for file in spooled_files)


@pytest.mark.anyio
async def test_multipart_limits_are_inclusive() -> None:
    body = part("a", b"1") + part("b", b"2") + part("f", b"x", filename="f") + part("p", b"12345") + END
    form = await multipart_parser([body], max_fields=3, max_files=1, max_part_size=5).parse()
    assert len(form) == 4
    await form.close()


@pytest.mark.anyio
async def test_multipart_field_too_large_stops_reading(spooled_files: list[Any]) -> None:
    chunks = [
        part("f", b"file data", filename="f.txt") + b'--BOUNDARY\r\nContent-Disposition: form-data; name="v"\r\n\r\n',
        b"x" * 700,
        b"x" * 700,
        b"\r\n" + END,
    ]
    body = Body(chunks, allowed=3)
    parser = MultiPartParser(headers_for(MULTIPART), body.stream(), max_part_size=1024)
    with pytest.raises(MultiPartException) as info:
        await parser.parse()
    assert info.value.message == "Part exceeded maximum size of 1KB."
    assert body.read == 3
    assert spooled_files[0].closed


@pytest.mark.anyio
async def test_multipart_default_part_size() -> None:
    ok = "v" * (1024 * 1024)
    assert (await multipart_parser([part("k", ok.encode()) + END]).parse())["k"] == ok
    with pytest.raises(MultiPartException, match=r"^Part exceeded maximum size of 1024KB\.$"):
        await multipart_parser([part("k", ok.encode() + b"v") + END]).parse()


@pytest.mark.anyio
async def test_multipart_files_have_no_part_size_limit() -> None:
    form = await multipart_parser([part("f", b"x" * 5000, filename="f") + END], max_part_size=1024).parse()
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.size == 5000
    await form.close()


# --- multipart: malformed input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; charset=utf-8", "multipart/form-data; boundary="],
)
@pytest.mark.anyio
async def test_multipart_missing_boundary(content_type: str) -> None:
    body = Body([part("a", b"1") + END], allowed=0)
    with pytest.raises(MultiPartException) as info:
        await MultiPartParser(headers_for(content_type), body.stream()).parse()
    assert info.value.message == "Missing boundary in multipart."
    assert body.read == 0


@pytest.mark.anyio
async def test_multipart_boundary_too_long() -> None:
    with pytest.raises(MultiPartException, match=r"^Invalid multipart data\.$"):
        await multipart_parser([b""], content_type="multipart/form-data; boundary=" + "b" * 300).parse()


@pytest.mark.parametrize(
    "body",
    [
        b"complete garbage that is not multipart at all",
        b"--NOTTHEBOUNDARY\r\n\r\n",
        b"--BOUNDARY\r\nthis header has no colon\r\n\r\nx\r\n" + END,
        b"--BOUNDARY\r\n: empty name\r\n\r\nx\r\n" + END,
        b"--BOUNDARYxx\r\n",
    ],
)
@pytest.mark.anyio
async def test_multipart_garbage_is_malformed(body: bytes) -> None:
    with pytest.raises(MultiPartException) as info:
        await multipart_parser([body]).parse()
    assert info.value.message == "Invalid multipart data."
    assert info.value.__cause__ is not None


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Type: text/plain\r\n",
        b"Content-Disposition: form-data\r\n",
        b'Content-Disposition: form-data; filename="f.txt"\r\n',
        b"",
    ],
)
@pytest.mark.anyio
async def test_multipart_part_without_a_name(headers: bytes) -> None:
    body = b"--BOUNDARY\r\n" + headers + b"\r\nx\r\n" + END
    with pytest.raises(MultiPartException) as info:
        await multipart_parser([body]).parse()
    assert info.value.message == 'The Content-Disposition header field "name" must be provided.'


@pytest.mark.anyio
async def test_multipart_failure_midway_closes_every_file(spooled_files: list[Any]) -> None:
    chunks = [
        part("f1", b"a", filename="1") + part("f2", b"b" * 100, filename="2"),
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f3"; filename="3"\r\n\r\npartial',
        b"\r\n--BOUNDARY\r\nbroken header line\r\n\r\n",
        END,
    ]
    body = Body(chunks, allowed=3)
    with pytest.raises(MultiPartException, match="Invalid multipart data"):
        await MultiPartParser(headers_for(MULTIPART), body.stream()).parse()
    assert len(spooled_files) == 3
    assert all(file.closed for file in spooled_files)
    assert body.closed


@pytest.mark.anyio
async def test_multipart_client_disconnect_closes_every_file(spooled_files: list[Any]) -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": part("f", b"x", filename="f"), "more_body": True},
        {"type": "http.request", "body": part("g", b"partial", filename="g")[:-4], "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    request = Request({"type": "http", "headers": [(b"content-type", MULTIPART.encode())]}, receive)
    with pytest.raises(ClientDisconnect):
        await request.form()
    assert len(spooled_files) == 2
    assert all(file.closed for file in spooled_files)


@pytest.mark.anyio
async def test_multipart_truncated_inside_a_file_keeps_finished_parts(spooled_files: list[Any]) -> None:
    body = part("a", b"1") + part("f", b"done", filename="f") + b"--BOUNDARY\r\n"
    body += b'Content-Disposition: form-data; name="g"; filename="g"\r\n\r\ncut'
    form = await multipart_parser([body]).parse()
    assert list(form.keys()) == ["a", "f"]
    finished, dropped = spooled_files
    assert not finished.closed
    assert dropped.closed
    await form.close()
    assert finished.closed


@pytest.mark.anyio
async def test_multipart_truncated_inside_a_field_drops_it() -> None:
    body = part("a", b"1") + b'--BOUNDARY\r\nContent-Disposition: form-data; name="b"\r\n\r\ncut'
    form = await multipart_parser([body]).parse()
    assert form.multi_items() == [("a", "1")]


# --- python-multipart import ----------------------------------------------------------------------------------


@pytest.fixture
def fresh_import(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    # python-multipart as an earlier test left it in the module's globals goes (put back afterwards).
    for name in ("multipart", "parse_options_header"):
        if name in vars(formparsers):
            monkeypatch.delattr(formparsers, name)
    return monkeypatch


@pytest.mark.anyio
async def test_legacy_multipart_module_is_used_when_python_multipart_is_missing(
    fresh_import: pytest.MonkeyPatch,
) -> None:
    import python_multipart.exceptions
    import python_multipart.multipart

    fresh_import.setitem(sys.modules, "python_multipart", None)
    fresh_import.setitem(sys.modules, "python_multipart.multipart", None)
    fresh_import.setitem(sys.modules, "multipart", python_multipart)
    fresh_import.setitem(sys.modules, "multipart.multipart", python_multipart.multipart)
    fresh_import.setitem(sys.modules, "multipart.exceptions", python_multipart.exceptions)
    form = await parse_urlencoded(b"a=1")
    assert form["a"] == "1"
    assert vars(formparsers)["multipart"] is python_multipart
    assert vars(formparsers)["parse_options_header"] is python_multipart.multipart.parse_options_header


@pytest.mark.parametrize("parser_class", [FormParser, MultiPartParser])
def test_parsers_need_python_multipart(fresh_import: pytest.MonkeyPatch, parser_class: Any) -> None:
    for name in ("python_multipart.multipart", "multipart.multipart"):
        fresh_import.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"Install it with `pip install python-multipart`\.") as info:
        parser_class(headers_for(URLENCODED), Body([]).stream())
    assert isinstance(info.value, AssertionError)
    assert "The `python-multipart` library must be installed to use form parsing." in str(info.value)
    # `starlette-core` on the package index is an unrelated project: the hint must not send anyone there.
    assert "starlette-core" not in str(info.value)
