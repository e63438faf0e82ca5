"""``Range`` headers on ``FileResponse``: a well-formed header is answered with exactly the requested bytes (one
part, or a multipart/byteranges body of sorted, merged parts); anything else is a 200 with the whole file, a 400 or
a 416, never an exception.  The number of messages sent is bounded by ``max_ranges``, however long the header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import anyio
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from ._drive import HOSTILE, Answer, assert_answered, http, http_scope

CONTENT = bytes(range(256)) * 4 + b"tail"
SIZE = len(CONTENT)
MAX_RANGES = FileResponse.max_ranges


@dataclass
class Served:
    app: Starlette
    etag: str
    last_modified: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    path: Path = tmp_path_factory.mktemp("range") / "data.bin"
    path.write_bytes(CONTENT)

    async def download(request: Request) -> FileResponse:
        return FileResponse(path)

    app = Starlette(routes=[Route("/file", download, methods=["GET", "HEAD"])])
    head = anyio.run(http, app, http_scope("/file", method="HEAD"))
    etag, last_modified = head.header("etag"), head.header("last-modified")
    assert etag is not None and last_modified is not None
    yield Served(app, etag, last_modified)


def get(backend: str, served: Served, range_header: bytes, if_range: Optional[bytes], method: str = "GET") -> Answer:
    headers = [(b"range", range_header)]
    if if_range is not None:
        headers.append((b"if-range", if_range))
    answer = anyio.run(http, served.app, http_scope("/file", method=method, headers=headers), backend=backend)
    assert_answered(answer, {200, 206, 400, 416})
    # start, a part header, data and a newline per range, the closing boundary: nothing grows with the header.
    assert answer.sends <= 3 * MAX_RANGES + 3
    event(f"status {answer.status}")
    return answer


def parts_of(answer: Answer) -> list[tuple[int, int, bytes]]:
    """The (first, last, data) of each part of a 206 (one part, or a multipart/byteranges body)."""
    assert answer.header("content-length") == str(len(answer.body))
    content_type = answer.header("content-type") or ""
    if not content_type.startswith("multipart/byteranges"):
        single = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", answer.header("content-range") or "")
        assert single is not None, answer.header("content-range")
        first, last, size = map(int, single.groups())
        assert size == SIZE
        return [(first, last, answer.body)]
    boundary = content_type.partition("boundary=")[2].encode()
    body, position, parts = answer.body, 0, []
    part_head = re.compile(
        rb"--" + re.escape(boundary) + rb"\r\nContent-Type: [^\r\n]*\r\nContent-Range: bytes (\d+)-(\d+)/(\d+)\r\n\r\n"
    )
    while True:
        match = part_head.match(body, position)
        if match is None:
            break
        first, last, size = map(int, match.groups())
        assert size == SIZE
        data = body[match.end() : match.end() + last - first + 1]
        position = match.end() + len(data)
        assert body[position : position + 2] == b"\r\n"
        position += 2
        parts.append((first, last, data))
    assert body[position:] == b"--" + boundary + b"--"
    assert len(parts) >= 2
    return parts


def check_parts(answer: Answer, wanted: Optional[set[int]] = None) -> None:
    """Each part holds the file's bytes at its positions; parts are sorted, apart (merged) and inside the file."""
    parts = parts_of(answer)
    covered: set[int] = set()
    previous_last = -2
    for first, last, data in parts:
        assert previous_last + 1 < first <= last < SIZE
        assert data == CONTENT[first : last + 1]
        covered.update(range(first, last + 1))
        previous_last = last
    if wanted is not None:
        assert covered == wanted


# Well-formed headers: every spec satisfiable ("first-last" with first <= last, "first-", "-suffix").
positions = st.integers(min_value=0, max_value=SIZE - 1)
specs = st.one_of(
    st.builds(lambda first, length: (first, first + length), positions, st.integers(min_value=0, max_value=SIZE)),
    st.tuples(positions, st.none()),
    st.tuples(st.none(), st.integers(min_value=1, max_value=SIZE)),
)


def spec_text(first: Optional[int], last: Optional[int]) -> str:
    return f"{'' if first is None else first}-{'' if last is None else last}"


def spec_bytes(first: Optional[int], last: Optional[int]) -> range:
    if first is None:
        assert last is not None
        return range(SIZE - last, SIZE)
    return range(first, SIZE if last is None else min(last, SIZE - 1) + 1)


@HOSTILE
@given(
    requested=st.lists(specs, min_size=1, max_size=8),
    separator=st.sampled_from([",", ", ", " , ", ",\t"]),
    units=st.sampled_from(["bytes", "BYTES", " bytes "]),
)
def test_well_formed_ranges_get_exactly_their_bytes(
    anyio_backend: str, served: Served, requested: list[tuple[Optional[int], Optional[int]]], separator: str, units: str
) -> None:
    header = units + "=" + separator.join(spec_text(*spec) for spec in requested)
    answer = get(anyio_backend, served, header.encode(), None)
    assert answer.status == 206
    wanted = {position for spec in requested for position in spec_bytes(*spec)}
    check_parts(answer, wanted)


numbers = st.one_of(
    st.integers(min_value=0, max_value=3 * SIZE).map(str),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.integers(min_value=1, max_value=6000).map(lambda digits: "9" * digits),
    st.integers(min_value=1, max_value=6000).map(lambda zeros: "0" * zeros + "1"),
    st.sampled_from(["", " ", "-1", "+1", "0x10", "1e3", "١٢", "²", "1.5", "\x00"]),
)
hostile_specs = st.one_of(
    st.builds(lambda first, last: f"{first}-{last}", numbers, numbers),
    st.builds(lambda first, last: f"{first} - {last}", numbers, numbers),
    st.sampled_from(["", "-", "--", "abc", "1-x", "x-1", "=", "bytes=0-1", "0-1-2", " ", "\t"]),
    st.sampled_from(["0-10", "-5", "100-", "20-30", "1000-", "0-0"]),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=8),
)
headers = st.one_of(
    st.builds(
        lambda units, parts: f"{units}={','.join(parts)}",
        st.sampled_from(["bytes", "Bytes", "items", "", "bytes ", "byte"]),
        st.lists(hostile_specs, max_size=12),
    ),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=40),
)


@HOSTILE
@given(header=headers, if_range=st.none() | st.sampled_from(["etag", "date", '"nope"', "", "\xff"]), head=st.booleans())
def test_hostile_ranges_are_answered(
    anyio_backend: str, served: Served, header: str, if_range: Optional[str], head: bool
) -> None:
    condition = {"etag": served.etag, "date": served.last_modified}.get(if_range or "", if_range)
    answer = get(
        anyio_backend,
        served,
        header.encode(),
        None if condition is None else condition.encode(),
        "HEAD" if head else "GET",
    )
    if head and answer.status in (200, 206):
        assert answer.body == b""
    elif answer.status == 200:
        assert answer.body == CONTENT
    elif answer.status == 206:
        check_parts(answer)
    elif answer.status == 416:
        assert answer.header("content-range") == f"bytes */{SIZE}"


@HOSTILE
@given(
    count=st.integers(min_value=MAX_RANGES - 3, max_value=3 * MAX_RANGES),
    spec=st.sampled_from(["0-0", "5-9", "-1", "", "x", "2-1", f"{SIZE}-"]),
    step=st.integers(min_value=0, max_value=7),
)
def test_many_ranges_are_capped(anyio_backend: str, served: Served, count: int, spec: str, step: int) -> None:
    """However many specs (distinct, repeated or junk), the answer stays within max_ranges parts."""
    if step and spec and spec[0].isdigit():
        parts = [f"{first}-{first + 1}" for first in range(0, count * step, step)]
    else:
        parts = [spec] * count
    answer = get(anyio_backend, served, ("bytes=" + ",".join(parts)).encode(), None)
    if count > MAX_RANGES:
        assert answer.status == 200
    if answer.status == 200:
        assert answer.body == CONTENT
    elif answer.status == 206:
        check_parts(answer)
