"""Uploads kept in memory: the parser keeps a file's data as it arrives and makes it the spool's buffer once.

What an application sees must not depend on it: ``UploadFile.file`` is a ``tempfile.SpooledTemporaryFile`` whose
every method works, that rolls over to disk past the parser's limit, and the fields and files are the same however
the body is split into chunks, and the same as when the spool is some other class (written to chunk by chunk).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core import formparsers
from starlette_core.datastructures import FormData, Headers, UploadFile
from starlette_core.formparsers import MultiPartException, MultiPartParser

MULTIPART = "multipart/form-data; boundary=BOUNDARY"
END = b"--BOUNDARY--\r\n"


def part(name: str, data: bytes, *, filename: str | None = None, content_type: bytes | None = None) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'.encode()
    if filename is not None:
        disposition += f'; filename="{filename}"'.encode()
    headers = disposition + b"\r\n"
    if content_type is not None:
        headers += b"Content-Type: " + content_type + b"\r\n"
    return b"--BOUNDARY\r\n" + headers + b"\r\n" + data + b"\r\n"


async def chunks_of(chunks: Iterable[bytes | bytearray]) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk  # type: ignore[misc]  # bytearray too: a server may send any bytes-like body


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({0, len(data), *(min(cut, len(data)) for cut in cuts)})
    return [data[start:end] for start, end in zip(points, points[1:])]


async def parse(chunks: Iterable[bytes | bytearray], **attributes: Any) -> FormData:
    parser = MultiPartParser(Headers({"content-type": MULTIPART}), chunks_of(chunks))
    for name, value in attributes.items():
        setattr(parser, name, value)
    return await parser.parse()


def rolled(upload: UploadFile) -> bool:
    return bool(upload.file._rolled)  # type: ignore[attr-defined]


async def snapshot(form: FormData) -> list[tuple[str, Any]]:
    """Everything an application can see of a form: fields, and each file's name, headers, size, place, bytes."""
    items: list[tuple[str, Any]] = []
    for name, value in form.multi_items():
        if isinstance(value, str):
            items.append((name, value))
        else:
            assert isinstance(value.file, tempfile.SpooledTemporaryFile)
            assert value.file.tell() == 0
            content = await value.read()
            items.append((name, (value.filename, value.headers.raw, value.size, rolled(value), content)))
    await form.close()
    return items


@pytest.fixture
def spool_subclass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser's SpooledTemporaryFile patched to a subclass: the general path, every chunk written to it."""

    class Spool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
        pass

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Spool)


# --- the file object ------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_upload_in_memory_is_a_working_spooled_temporary_file() -> None:
    content = bytes(range(256)) * 8 + b"\nsecond line\nthird"
    body = part("file", content, filename="a.bin", content_type=b"application/octet-stream") + END
    form = await parse([body[:100], body[100:700], body[700:]])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    spool = upload.file
    assert isinstance(spool, tempfile.SpooledTemporaryFile)
    assert not rolled(upload)
    assert (upload.filename, upload.size, upload.content_type) == ("a.bin", len(content), "application/octet-stream")
    assert spool.tell() == 0
    assert spool.read() == content  # the sync API
    spool.seek(0)
    assert spool.readline() == content[: content.index(b"\n") + 1]
    spool.seek(-5, 2)
    assert spool.read() == b"third"
    await upload.seek(0)
    assert await upload.read(3) == content[:3]
    assert await upload.read() == content[3:]
    await upload.write(b"+more")  # appended at the position, size counted
    assert upload.size == len(content) + 5
    await upload.seek(0)
    assert await upload.read() == content + b"+more"
    assert spool.readlines() == []
    spool.seek(0)
    assert b"".join(spool.readlines()) == content + b"+more"
    spool.seek(0)
    spool.truncate(4)
    assert spool.read() == content[:4]
    spool.rollover()
    assert rolled(upload)
    spool.seek(0)
    assert spool.read() == content[:4]
    assert spool.fileno() >= 0
    await upload.close()
    assert spool.closed


@pytest.mark.anyio
async def test_fileno_rolls_an_upload_over_with_its_data() -> None:
    form = await parse([part("file", b"abc" * 100, filename="a") + END])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert upload.file.fileno() >= 0
    assert rolled(upload)
    upload.file.seek(0)
    assert upload.file.read() == b"abc" * 100
    await form.close()


@pytest.mark.anyio
async def test_writes_to_an_upload_in_memory_roll_it_over_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 100)
    form = await parse([part("file", b"x" * 100, filename="a") + END])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert not rolled(upload)
    await upload.seek(100)
    await upload.write(b"y")  # the spool keeps the parser's limit
    assert rolled(upload)
    await upload.seek(0)
    assert await upload.read() == b"x" * 100 + b"y"
    await form.close()


@pytest.mark.anyio
async def test_reading_a_whole_upload_in_memory_does_not_copy_it() -> None:
    content = b"z" * 200_000
    body = part("file", content, filename="a") + END
    form = await parse([body[:65536], body[65536:131072], body[131072:]])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    first = await upload.read()
    await upload.seek(0)
    second = await upload.read()
    assert first == content
    if sys.implementation.name == "cpython":  # a BytesIO made from bytes shares them until written to
        assert first is second
    await form.close()


@pytest.mark.anyio
async def test_a_file_at_the_limit_stays_in_memory_and_one_byte_more_goes_to_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1000)
    at_limit, over = bytes(range(250)) * 4, bytes(range(250)) * 4 + b"!"
    body = part("at", at_limit, filename="at") + part("over", over, filename="over") + END
    form = await parse([body[i : i + 300] for i in range(0, len(body), 300)])
    first, second = form["at"], form["over"]
    assert isinstance(first, UploadFile)
    assert isinstance(second, UploadFile)
    assert not rolled(first)
    assert rolled(second)
    assert (first.size, second.size) == (1000, 1001)
    assert await first.read() == at_limit
    assert await second.read() == over
    await form.close()


@pytest.mark.anyio
async def test_the_default_limit_is_one_mebibyte() -> None:
    size = 1024 * 1024
    body = part("file", b"a" * size, filename="a") + part("big", b"b" * (size + 1), filename="b") + END
    form = await parse([body[i : i + 65536] for i in range(0, len(body), 65536)])
    small, big = form["file"], form["big"]
    assert isinstance(small, UploadFile)
    assert isinstance(big, UploadFile)
    assert (rolled(small), rolled(big)) == (False, True)
    assert (small.size, big.size) == (size, size + 1)
    assert await small.read() == b"a" * size
    assert await big.read() == b"b" * (size + 1)
    await form.close()


@pytest.mark.anyio
async def test_an_empty_file_is_empty_in_memory() -> None:
    form = await parse([part("file", b"", filename="empty") + END])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert (upload.size, rolled(upload), await upload.read()) == (0, False, b"")
    await form.close()


@pytest.mark.anyio
async def test_bytearray_chunks_are_copied_not_kept() -> None:
    body = bytearray(part("file", b"hello world", filename="a") + END)
    chunks = [body[:70], body[70:]]
    form = await parse(chunks)
    for chunk in chunks:
        chunk[:] = b"\x00" * len(chunk)  # a server reusing its buffers changes nothing in the form
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert await upload.read() == b"hello world"
    await form.close()


@pytest.mark.anyio
async def test_a_file_sent_whole_in_one_chunk_is_kept_as_that_chunk() -> None:
    # A chunk holding nothing but the file's data: the parser passes it whole.
    head = b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
    form = await parse([head, b"0123456789", b"\r\n" + END])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert (upload.size, await upload.read()) == (10, b"0123456789")
    await form.close()


# --- limits and bad input are unchanged -----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "limits", "message"),
    [
        (part("a", b"", filename="a") + part("b", b"", filename="b") + END, {"max_files": 1}, "Too many files"),
        (part("a", b"1") + part("b", b"2") + END, {"max_fields": 1}, "Too many fields"),
        (part("a", b"x" * 2000) + END, {"max_part_size": 1024}, "Part exceeded maximum size of 1KB."),
        (b'--BOUNDARY\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n' + END, {}, '"name" must'),
        (b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\nbad header\r\n\r\n', {}, "Invalid multipart data"),
    ],
)
async def test_limits_and_malformed_bodies_still_raise(body: bytes, limits: dict[str, Any], message: str) -> None:
    parser = MultiPartParser(
        Headers({"content-type": MULTIPART}), chunks_of(split_at(body, range(7, 400, 7))), **limits
    )
    with pytest.raises(MultiPartException, match=message):
        await parser.parse()


@pytest.mark.anyio
async def test_a_file_cut_short_by_the_end_of_the_body_is_dropped_and_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created: list[tempfile.SpooledTemporaryFile[bytes]] = []
    original = tempfile.SpooledTemporaryFile

    def factory(*args: Any, **kwargs: Any) -> tempfile.SpooledTemporaryFile[bytes]:
        file: tempfile.SpooledTemporaryFile[bytes] = original(*args, **kwargs)
        created.append(file)
        return file

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", factory)
    body = part("note", b"n") + b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\nabc'
    form = await parse([body])
    assert form.multi_items() == [("note", "n")]
    assert len(created) == 1
    assert created[0].closed


# --- equivalence with the general path and independence from the chunking -----------------------------------


def bodies() -> st.SearchStrategy[bytes]:
    field = st.tuples(st.sampled_from(["a", "b", "note"]), st.binary(max_size=60), st.none())
    upload = st.tuples(
        st.sampled_from(["f", "file"]),
        st.one_of(st.binary(max_size=300), st.sampled_from([b"\r\n--BOUNDAR", b"\r\r\n--", b"x" * 120])),
        st.sampled_from(["a.bin", "b.txt"]),
    )
    parts = st.lists(st.one_of(field, upload), max_size=5)
    return parts.map(lambda items: b"".join(part(n, d, filename=f) for n, d, f in items) + END)


LIMITS = {"spool_max_size": 100, "spool_max_total_size": 250, "spool_min_file_size": 20}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies(), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_the_form_is_the_same_however_the_body_is_split(body: bytes, cuts: list[int]) -> None:
    async def main() -> None:
        whole = await snapshot(await parse([body], **LIMITS))
        assert await snapshot(await parse(split_at(body, cuts), **LIMITS)) == whole
        assert await snapshot(await parse(split_at(body, range(1, len(body))), **LIMITS)) == whole

    anyio.run(main)


@settings(max_examples=100, deadline=None)
@given(body=bodies(), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_the_form_is_the_same_as_when_every_chunk_is_written_to_the_spool(body: bytes, cuts: list[int]) -> None:
    class Spool(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
        pass

    async def main() -> None:
        fast = await snapshot(await parse(split_at(body, cuts), **LIMITS))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(formparsers, "SpooledTemporaryFile", Spool)
            general = await snapshot(await parse(split_at(body, cuts), **LIMITS))
        assert general == fast

    anyio.run(main)


@pytest.mark.anyio
@pytest.mark.usefixtures("spool_subclass")
async def test_a_patched_spool_class_gets_every_chunk_written_to_it() -> None:
    content = bytes(range(256)) * 10
    body = part("file", content, filename="a") + END
    form = await parse([body[i : i + 100] for i in range(0, len(body), 100)])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert type(upload.file).__name__ == "Spool"
    assert (upload.size, upload.file.tell(), await upload.read()) == (len(content), 0, content)
    await form.close()


@pytest.mark.anyio
async def test_a_spool_factory_of_another_kind_is_written_to(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Buffer(io.BytesIO):
        def __init__(self, max_size: int = 0) -> None:
            super().__init__()

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", Buffer)
    form = await parse([part("file", b"abc", filename="a") + END])
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert isinstance(upload.file, Buffer)
    assert await upload.read() == b"abc"
    await form.close()
