"""FileResponse against hostile and arbitrary Range headers: the ``max_ranges`` cap, merging, bounded work, and
property tests (any header, any file size: a sound 200, 206, 400 or 416, never an exception)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import FrameType
from typing import Any, Tuple

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette_core.responses import FileResponse
from starlette_core.types import Message
from tests.core.test_responses import body_of, call, headers_of, http_scope

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


def one_byte_ranges(count: int, step: int = 2) -> str:
    """``count`` disjoint one-byte ranges: the shape that amplifies a response the most."""
    return "bytes=" + ",".join(f"{index * step}-{index * step}" for index in range(count))


def multipart_parts(messages: list[Message]) -> list[tuple[int, int, bytes]]:
    """The ``(first, last, data)`` of each part of a multipart/byteranges answer (checking its framing)."""
    headers = headers_of(messages)
    boundary = headers["content-type"].split("; boundary=", 1)[1]
    body = body_of(messages)
    assert headers["content-length"] == str(len(body))
    part_header = re.compile(
        rb"--" + boundary.encode() + rb"\r\nContent-Type: [^\r\n]*\r\nContent-Range: bytes (\d+)-(\d+)/(\d+)\r\n\r\n"
    )
    parts: list[tuple[int, int, bytes]] = []
    position = 0
    while (match := part_header.match(body, position)) is not None:
        first, last = int(match[1]), int(match[2])
        data_end = match.end() + last - first + 1
        parts.append((first, last, body[match.end() : data_end]))
        assert body[data_end : data_end + 2] == b"\r\n"
        position = data_end + 2
    assert body[position:] == b"--" + boundary.encode() + b"--"
    return parts


async def plain_answer(path: Path, method: str = "GET") -> list[Message]:
    return await call(FileResponse(path, stat_result=path.stat()), http_scope(method))


# --- the cap ----------------------------------------------------------------------------------------------------


def test_max_ranges_default() -> None:
    assert FileResponse.max_ranges == 100


@pytest.mark.anyio
async def test_max_ranges_one_byte_ranges_are_answered(data_file: Path) -> None:
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", one_byte_ranges(100))]))
    assert messages[0]["status"] == 206
    parts = multipart_parts(messages)
    assert [(first, last) for first, last, _ in parts] == [(index * 2, index * 2) for index in range(100)]
    assert all(data == CONTENT[first : last + 1] for first, last, data in parts)
    # the work done is bounded by the cap: a part header, the part and its newline per range, start and end
    assert len(messages) == 1 + 3 * 100 + 1


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_more_ranges_than_the_cap_send_the_whole_file(data_file: Path, method: str) -> None:
    response = FileResponse(data_file, stat_result=data_file.stat())
    messages = await call(response, http_scope(method, [("range", one_byte_ranges(101))]))
    assert messages == await plain_answer(data_file, method)
    assert messages[0]["status"] == 200
    assert "content-range" not in headers_of(messages)
    assert len(messages) == 2


@pytest.mark.anyio
async def test_more_ranges_than_the_cap_may_use_pathsend(data_file: Path) -> None:
    scope = http_scope(headers=[("range", one_byte_ranges(101))], extensions={"http.response.pathsend": {}})
    messages = await call(FileResponse(data_file), scope)
    assert messages[0]["status"] == 200
    assert messages[1] == {"type": "http.response.pathsend", "path": str(data_file)}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "status"),
    [
        ("bytes=0-0" + "," * 99, 206),  # 100 parts, 99 of them empty: parsed
        ("bytes=0-0" + "," * 100, 200),  # 101 parts: counted before parsing, as upstream, so empty ones count
        ("bytes=0-0" + ",x" * 100, 200),
        ("bytes=" + ",".join(["99999-"] * 101), 200),  # over the cap wins over unsatisfiable...
        ("bytes=" + ",".join(["5-1"] * 101), 200),  # ...and over reversed
        ("bytes = " + ",".join(["x"] * 101), 200),
    ],
)
async def test_the_cap_counts_every_part_before_parsing(data_file: Path, range_value: str, status: int) -> None:
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", range_value)]))
    assert messages[0]["status"] == status


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "message"),
    [
        ("items=" + "0-0," * 200, "Only support bytes range"),
        ("bytes" + ",0-0" * 200, "Malformed range header."),
    ],
)
async def test_a_header_that_is_no_byte_range_keeps_its_400(data_file: Path, range_value: str, message: str) -> None:
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", range_value)]))
    assert messages[0]["status"] == 400
    assert body_of(messages) == message.encode()


@pytest.mark.anyio
async def test_max_ranges_on_a_subclass(data_file: Path) -> None:
    class TwoRanges(FileResponse):
        max_ranges = 2

    two = await call(TwoRanges(data_file), http_scope(headers=[("range", "bytes=0-0,2-2")]))
    three = await call(TwoRanges(data_file), http_scope(headers=[("range", "bytes=0-0,2-2,4-4")]))
    default = await call(FileResponse(data_file), http_scope(headers=[("range", "bytes=0-0,2-2,4-4")]))
    assert [two[0]["status"], three[0]["status"], default[0]["status"]] == [206, 200, 206]
    assert body_of(three) == CONTENT


@pytest.mark.anyio
async def test_max_ranges_on_an_instance(data_file: Path) -> None:
    lowered = FileResponse(data_file)
    lowered.max_ranges = 1
    raised = FileResponse(data_file)
    raised.max_ranges = 500
    header = [("range", one_byte_ranges(500))]
    assert (await call(lowered, http_scope(headers=[("range", "bytes=0-0")])))[0]["status"] == 206
    assert (await call(lowered, http_scope(headers=[("range", "bytes=0-0,2-2")])))[0]["status"] == 200
    assert len(multipart_parts(await call(raised, http_scope(headers=header)))) == 500
    assert (await call(FileResponse(data_file), http_scope(headers=header)))[0]["status"] == 200
    assert FileResponse.max_ranges == 100


@pytest.mark.anyio
async def test_max_ranges_zero_ignores_every_range(data_file: Path) -> None:
    response = FileResponse(data_file)
    response.max_ranges = 0
    messages = await call(response, http_scope(headers=[("range", "bytes=0-0")]))
    assert messages[0]["status"] == 200
    assert body_of(messages) == CONTENT


@pytest.mark.anyio
async def test_a_parser_returning_no_range_sends_the_whole_file(data_file: Path) -> None:
    # Upstream 1.x's _parse_range_header answers "ignore the Range header" with []: a subclass may do the same.
    class IgnoresRanges(FileResponse):
        @staticmethod
        def _parse_range_header(http_range: str, file_size: int) -> list[tuple[int, int]]:
            return []

    scope = http_scope(headers=[("range", "bytes=0-0")], extensions={"http.response.pathsend": {}})
    messages = await call(IgnoresRanges(data_file), scope)
    assert messages[0]["status"] == 200
    assert messages[1] == {"type": "http.response.pathsend", "path": str(data_file)}


# --- hostile headers cost no per-range work ---------------------------------------------------------------------

TWENTY_THOUSAND = {
    "overlapping": "bytes=" + ",".join(f"{index * 2}-{index * 2 + 2}" for index in reversed(range(20_000))),
    "identical": "bytes=" + "0-9," * 20_000,
    "junk": "bytes=" + ",".join(f"{index}-x{index}" for index in range(20_000)),
    "one reversed": "bytes=" + ",".join(f"{index}-{index}" for index in range(20_000)) + ",79999-5",
    "disjoint": one_byte_ranges(20_000, step=4),
    "unsatisfiable": one_byte_ranges(20_000, step=1_000),
    "empty": "bytes=" + "," * 20_000,
}


@pytest.mark.anyio
@pytest.mark.parametrize("kind", TWENTY_THOUSAND)
async def test_twenty_thousand_ranges_are_not_parsed(data_file: Path, kind: str, monkeypatch: Any) -> None:
    def parse(http_range: str, file_size: int) -> list[tuple[int, int]]:
        raise AssertionError("parsed")

    monkeypatch.setattr(FileResponse, "_parse_range_header", staticmethod(parse))
    response = FileResponse(data_file, stat_result=data_file.stat())
    messages = await call(response, http_scope(headers=[("range", TWENTY_THOUSAND[kind])]))
    assert messages == await plain_answer(data_file)
    assert len(messages) == 2  # not one (or three) per range


@pytest.mark.anyio
async def test_adjacent_and_overlapping_ranges_make_one_part(data_file: Path) -> None:
    # 100 adjacent one-byte ranges in reverse order, then two that overlap them: one 206 part, not 100
    range_value = "bytes=" + ",".join(f"{index}-{index}" for index in reversed(range(98))) + ",50-97,90-99"
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", range_value)]))
    assert messages[0]["status"] == 206
    assert headers_of(messages)["content-range"] == f"bytes 0-99/{len(CONTENT)}"
    assert body_of(messages) == CONTENT[:100]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("range_value", "first", "last"),
    [
        ("bytes=0-2,7-10,0-", 0, len(CONTENT) - 1),
        ("bytes=2-6,11-15,2-,2-", 2, len(CONTENT) - 1),
        ("bytes=50-60,0-9,5-55", 0, 60),
    ],
)
async def test_ranges_a_merge_widens_are_merged_again(data_file: Path, range_value: str, first: int, last: int) -> None:
    # Upstream merged once: "0-" swallowed "0-2" but "7-10" stayed a second part inside the first.
    messages = await call(FileResponse(data_file), http_scope(headers=[("range", range_value)]))
    assert messages[0]["status"] == 206
    assert headers_of(messages)["content-range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert body_of(messages) == CONTENT[first : last + 1]


def profiled_steps(function: Any, *args: Any) -> int:
    """How many Python- and C-level calls and returns running ``function(*args)`` takes (what sys.setprofile sees:
    work done inside one C call, such as str.split or a regex match, is one step)."""
    steps = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal steps
        steps += 1

    sys.setprofile(profile)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return steps


def padded(width: int) -> str:
    """100 ranges whose numbers have ``width`` leading zeros and ``width`` spaces around each dash."""
    zeros, spaces = "0" * width, " " * width
    return "bytes=" + ",".join(f"{zeros}{index * 2}{spaces}-{spaces}{zeros}{index * 2}" for index in range(100))


def test_parsing_work_per_range_does_not_grow_with_its_length() -> None:
    # The parser's Python-level work depends on the number of ranges only: a header 1000 times longer (the same
    # 100 ranges padded with zeros and spaces) takes exactly as many steps; the rest is linear scans in C.
    parse = FileResponse._parse_range_header
    short, long = padded(20), padded(20_000)
    assert len(long) > 900 * len(short)
    assert parse(short, 10_240) == parse(long, 10_240)
    steps = profiled_steps(parse, short, 10_240)
    assert profiled_steps(parse, long, 10_240) == steps
    assert steps < 100 * 40  # and a small constant per range (about 28 steps today)


# --- property tests ---------------------------------------------------------------------------------------------

MAX_SIZE = 70


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """A file of every size from 0 to MAX_SIZE bytes (distinct bytes, so a wrong offset shows)."""
    directory = tmp_path_factory.mktemp("sizes")
    paths: dict[int, Path] = {}
    for size in range(MAX_SIZE + 1):
        paths[size] = directory / f"{size}.bin"
        paths[size].write_bytes(bytes(range(1, size + 1)))
    return paths


def answer(backend: str, path: Path, range_value: str, max_ranges: int) -> list[Message]:
    response = FileResponse(path)
    response.max_ranges = max_ranges
    scope = http_scope()
    scope["headers"] = [(b"range", range_value.encode("utf-8", "surrogatepass"))]

    async def main() -> list[Message]:
        return await call(response, scope)

    return anyio.run(main, backend=backend)


MESSAGES_400 = {
    b"Malformed range header.",
    b"Only support bytes range",
    b"Range header: range must be requested",
    b"Range header: start must be less than end",
}


def sent_ranges(messages: list[Message], content: bytes) -> list[tuple[int, int]]:
    """Check a 206 answer and return the ``(first, last)`` of what it sent, in order."""
    headers = headers_of(messages)
    size = len(content)
    if headers["content-type"].startswith("multipart/byteranges; boundary="):
        parts = multipart_parts(messages)
        assert len(parts) >= 2
    else:
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers["content-range"])
        assert match is not None
        first, last, total = map(int, match.groups())
        assert total == size
        parts = [(first, last, body_of(messages))]
        assert headers["content-length"] == str(last - first + 1)
    for first, last, data in parts:
        assert 0 <= first <= last < size
        assert data == content[first : last + 1]
    # sorted, merged: a gap of at least one byte between parts
    assert all(previous[1] + 1 < following[0] for previous, following in zip(parts, parts[1:]))
    return [(first, last) for first, last, _ in parts]


def check_answer(messages: list[Message], content: bytes, range_value: str, max_ranges: int) -> int:
    status: int = messages[0]["status"]
    assert messages[-1].get("more_body", False) is False
    body = body_of(messages)
    if status == 200:
        assert body == content
        assert "content-range" not in headers_of(messages)
    elif status == 206:
        assert range_value.count(",") < max_ranges
        sent_ranges(messages, content)
    elif status == 416:
        assert headers_of(messages)["content-range"] == f"bytes */{len(content)}"
        assert body == b""
    else:
        assert status == 400
        assert body in MESSAGES_400
    return status


header_text = st.text(st.sampled_from("bytesBYTES=0123456789-, \t\x00x\u00b2\u0660"), max_size=40) | st.text(
    max_size=40
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    range_value=st.one_of(header_text, header_text.map(lambda text: "bytes=" + text)),
    size=st.integers(0, MAX_SIZE),
    max_ranges=st.sampled_from([100, 3, 1]),
)
def test_any_range_header_gets_a_sound_answer(
    anyio_backend: str, files: dict[int, Path], range_value: str, size: int, max_ranges: int
) -> None:
    messages = answer(anyio_backend, files[size], range_value, max_ranges)
    check_answer(messages, files[size].read_bytes(), range_value, max_ranges)


# A byte-range-spec as drawn: ("closed", first, last), ("open", first, None), ("suffix", None, length),
# or ("junk", text, None) for a part that is no range and is ignored.
Spec = Tuple[str, Any, Any]

JUNK = ["", "-", " - ", "abc", "1-x", "x-1", "--5", "+1-2", "0x1-2", "1_0-2"]
numbers = st.integers(0, MAX_SIZE + 10) | st.integers(0, 10**30)
specs: st.SearchStrategy[Spec] = st.one_of(
    st.tuples(st.just("closed"), numbers, numbers),
    st.tuples(st.just("open"), numbers, st.none()),
    st.tuples(st.just("suffix"), st.none(), numbers),
    st.tuples(
        st.just("junk"), st.sampled_from(["", "-", " - ", "abc", "1-x", "x-1", "--5", "+1-2", "0x1-2"]), st.none()
    ),
)
spaces = st.sampled_from(["", " ", "\t", "  "])


@st.composite
def spec_texts(draw: st.DrawFn, spec: Spec) -> str:
    kind, first, last = spec
    if kind == "junk":
        return str(first)
    zeros = "0" * draw(st.integers(0, 3))
    first_text = "" if first is None else zeros + str(first)
    last_text = "" if last is None else zeros + str(last)
    return draw(spaces) + first_text + draw(spaces) + "-" + draw(spaces) + last_text + draw(spaces)


def expected(spec_list: list[Spec], size: int, max_ranges: int) -> tuple[int, list[tuple[int, int]]]:
    """The status and the ``(first, last)`` parts that the byte-range-specs call for, worked out on a set of byte
    positions (not the way the response does it)."""
    if len(spec_list) > max_ranges:
        return 200, []
    wanted: list[tuple[int, int]] = []  # (start, end), end exclusive
    for kind, first, last in spec_list:
        if kind == "closed":
            wanted.append((first, min(last + 1, size)))
        elif kind == "open":
            wanted.append((first, size))
        elif kind == "suffix":
            wanted.append((size - last, size))
    if not wanted:
        return 400, []
    if any(not 0 <= start < size for start, _ in wanted):
        return 416, []
    if any(start >= end for start, end in wanted):
        return 400, []
    positions = sorted({position for start, end in wanted for position in range(start, end)})
    parts: list[tuple[int, int]] = []
    for position in positions:
        if parts and parts[-1][1] == position - 1:
            parts[-1] = (parts[-1][0], position)
        else:
            parts.append((position, position))
    return 206, parts


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    spec_list=st.lists(specs, min_size=1, max_size=8),
    size=st.integers(0, MAX_SIZE),
    max_ranges=st.sampled_from([100, 5, 2]),
)
def test_byte_range_specs_get_the_bytes_they_ask_for(
    anyio_backend: str, files: dict[int, Path], data: st.DataObject, spec_list: list[Spec], size: int, max_ranges: int
) -> None:
    range_value = data.draw(spaces) + "bytes" + data.draw(spaces) + "="
    range_value += ",".join(data.draw(spec_texts(spec)) for spec in spec_list)
    messages = answer(anyio_backend, files[size], range_value, max_ranges)
    content = files[size].read_bytes()
    status = check_answer(messages, content, range_value, max_ranges)
    expected_status, expected_parts = expected(spec_list, size, max_ranges)
    assert status == expected_status
    if status == 206:
        assert sent_ranges(messages, content) == expected_parts


# --- header order -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_range_answer_sets_its_headers_in_place(data_file: Path, method: str) -> None:
    # As upstream sets them (MutableHeaders' item assignment): Content-Length keeps its place, Content-Range goes last;
    # for several ranges Content-Type keeps its place with the multipart type.
    single = await call(FileResponse(data_file), http_scope(method, [("range", "bytes=0-1")]))
    assert [name for name, _ in single[0]["headers"]] == [
        b"content-type",
        b"accept-ranges",
        b"content-length",
        b"last-modified",
        b"etag",
        b"content-range",
    ]
    several = await call(FileResponse(data_file), http_scope(method, [("range", "bytes=0-1,5-6")]))
    assert [name for name, _ in several[0]["headers"]] == [
        b"content-type",
        b"accept-ranges",
        b"content-length",
        b"last-modified",
        b"etag",
    ]
    assert dict(several[0]["headers"])[b"content-type"].startswith(b"multipart/byteranges; boundary=")


@pytest.mark.anyio
async def test_a_range_answer_keeps_one_header_of_each_name_it_sets(data_file: Path) -> None:
    headers = {"content-length": "1"}
    response = FileResponse(data_file, headers=headers)
    response.raw_headers.append((b"content-length", b"2"))  # a duplicate an app added by hand
    messages = await call(response, http_scope("GET", [("range", "bytes=3-5")]))
    assert [value for name, value in messages[0]["headers"] if name == b"content-length"] == [b"3"]
