"""Streaming parsers for ``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies.

Both parsers need python-multipart, which is imported the first time a form is parsed (never at import time); it is
the module global ``multipart`` (as upstream's), which the parsers look up when they run.
Multipart bodies are parsed by it; urlencoded bodies are split here (python-multipart's event-driven parser only
runs for a ``FormParser`` subclass that overrides its ``on_field_*`` events).  Every limit (number of fields, number
of files, size of a non-file part) is checked while the body is being parsed, so an over-limit or malformed body
stops the parser before the rest of the body is read, and every temporary file created so far is closed.
"""

from __future__ import annotations

import codecs
import encodings
import functools
import importlib
import io
import sys
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from enum import Enum, EnumMeta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus as unquote_plus  # upstream's module has the name
from urllib.parse import unquote_to_bytes

from starlette_core._utils import LazyImports
from starlette_core.concurrency import run_in_threadpool
from starlette_core.datastructures import FormData, Headers, UploadFile
from starlette_core.exceptions import StarletteDeprecationWarning

__all__ = [
    "FormMessage",
    "FormParser",
    "MultiPartException",
    "MultiPartParser",
    "MultipartPart",
]

# The hint names python-multipart itself, not our `multipart` extra: `starlette-core` on the package index is an
# unrelated project, so `pip install starlette-core[multipart]` would install that instead of anything of ours.
_MISSING_MULTIPART = (
    "The `python-multipart` library must be installed to use form parsing. "
    "Install it with `pip install python-multipart`."
)


class MultipartNotInstalled(ImportError, AssertionError):
    """Raised when a form is parsed but python-multipart is not installed.

    An ``ImportError`` (what it is) and an ``AssertionError`` (what upstream raised), so either ``except`` works.
    """


def _python_multipart(attribute: str | None = None) -> Any:
    """python-multipart's package (``python_multipart``, else its legacy name ``multipart``), or ``attribute`` of
    its ``multipart`` module; None when it is not installed.
    """
    for package in ("python_multipart", "multipart"):
        try:
            module = importlib.import_module(f"{package}.multipart")
        except ImportError:
            continue
        return getattr(module, attribute) if attribute else sys.modules[package]
    return None


# Upstream's names for what this module imports on first use (see LazyImports): python-multipart (None when it is
# not installed, as upstream) and tempfile.
_lazy = LazyImports(
    globals(),
    {
        "multipart": _python_multipart,
        "parse_options_header": functools.partial(_python_multipart, "parse_options_header"),
        "SpooledTemporaryFile": "tempfile:SpooledTemporaryFile",
    },
)
if TYPE_CHECKING:
    from tempfile import SpooledTemporaryFile

    from python_multipart.multipart import parse_options_header
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


class _NotRaised(Exception):
    """Stands for python-multipart's parse error when what the ``multipart`` global holds has none."""


def _load_multipart() -> Any:
    """The module global ``multipart`` (python-multipart, imported on first use); MultipartNotInstalled when it is
    None. ``parse_options_header`` is loaded with it.
    """
    multipart = _lazy.load("multipart")
    if multipart is None:
        raise MultipartNotInstalled(_MISSING_MULTIPART)
    _lazy.load("parse_options_header")
    return multipart


# (parse_options_header, value) -> what it returned, for the values seen most: the Content-Type of the forms an app
# receives and the Content-Disposition of their parts.  Bounded in entries and in the length of the values kept, so
# a client cannot make it hold much; the function is part of the key, so that a patched one runs.
_options_memo: dict[tuple[Any, str | bytes], tuple[bytes, dict[bytes, bytes]]] = {}
_OPTIONS_MEMO_MAX = 256
_OPTIONS_VALUE_MAX = 200


def _parsed_options(parse: Any, value: str | bytes | None) -> tuple[bytes, dict[bytes, bytes]]:
    """``parse(value)`` (python-multipart's ``parse_options_header``), remembered for short values.

    The result is shared: callers only read it.
    """
    if value is None or len(value) > _OPTIONS_VALUE_MAX:
        return parse(value)  # type: ignore[no-any-return]
    key = (parse, value)
    options = _options_memo.get(key)
    if options is None:
        options = parse(value)
        if len(_options_memo) < _OPTIONS_MEMO_MAX:
            _options_memo[key] = options
    return options


def _parse_error(multipart: Any) -> Any:
    """What ``except`` catches for a malformed body: python-multipart's ``FormParserError``, from the ``exceptions``
    module of the package in the ``multipart`` global (or a class never raised, when there is none).
    """
    try:
        return importlib.import_module(f"{multipart.__name__}.exceptions").FormParserError
    except (AttributeError, ImportError):
        return _NotRaised


def _charset_from(params: dict[bytes, bytes], default: str = "utf-8") -> str:
    """The codec named by a ``charset`` parameter, or ``default`` (unknown codecs mean latin-1, as upstream)."""
    raw = params.get(b"charset")
    if raw is None:
        return default
    return _codec_or(raw, "latin-1")


def _codec_or(raw: bytes | bytearray, fallback: str) -> str:
    """The character set a client named in ``raw`` (its codec's canonical name), or ``fallback``.

    The name is the client's: only character sets are accepted.  Anything else (an unknown name, a codec that is
    not a text encoding such as base64 or zlib, one of ``_NOT_CHARSETS``) means ``fallback``, never an exception.
    """
    name = bytes(raw).strip()
    if len(name) > _CHARSET_NAME_MAX or not name.isascii():
        return fallback
    # Normalised as the standard library's codec search does, so that only names it could know reach
    # codecs.lookup: both codec registries cache every name looked up, even unknown ones, for good.
    key = encodings.normalize_encoding(name.decode("ascii").lower())
    if key not in _standard_codec_names():
        return fallback
    if key not in _charsets:
        _charsets[key] = _standard_charset(key)
    codec = _charsets[key]
    return fallback if codec is None else codec


# Longer names are not looked up: every codec name and alias of the standard library is far shorter.
_CHARSET_NAME_MAX = 64
# Text encodings of the standard library that are not character sets: the domain-name codecs (idna refuses the
# "replace" error handler on some versions; punycode decodes in quadratic time), Python's escape syntaxes (their
# decoder warns on an unknown escape) and "undefined", which refuses everything.
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined"})
# Normalised name -> canonical codec name, or None when it is not a character set.  Bounded: only names in
# _standard_codec_names() are added.
_charsets: dict[str, str | None] = {}
_codec_names: frozenset[str] | None = None


def _standard_codec_names() -> frozenset[str]:
    """Every normalised name the standard library's codec search may resolve: its aliases and codec modules."""
    global _codec_names
    if _codec_names is None:
        import pkgutil
        from encodings.aliases import aliases

        modules = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
        # The search also tries an alias with its dots made underscores.
        _codec_names = frozenset({*modules, *aliases, *(alias.replace(".", "_") for alias in aliases)})
    return _codec_names


def _standard_charset(key: str) -> str | None:
    """The canonical name of the codec ``key`` names, if it decodes bytes to text and is a character set."""
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    if encodings.normalize_encoding(info.name) in _NOT_CHARSETS:
        return None
    try:
        # bytes.decode refuses a codec that is not a text encoding (base64, zlib, rot13, ...), whatever the
        # bytes; it does not look the codec up for an empty input.
        b"a".decode(info.name, "replace")
    except LookupError:
        return None
    return info.name


def _user_safe_decode(src: bytes | bytearray, codec: str) -> str:
    try:
        return src.decode(codec)
    except UnicodeDecodeError:
        return src.decode("latin-1")


async def _abandon(stream: AsyncGenerator[bytes, None]) -> None:
    """Close a body stream we stop reading early (trio warns about async generators left to the GC)."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _unquote(data: bytes) -> bytes:
    """``unquote_to_bytes(data)``, done in C by ``escape_decode`` when every ``%`` starts a valid escape.

    Backslashes are doubled first and every ``%`` becomes a backslash-x escape, so ``escape_decode`` only ever sees
    escaped backslashes and hex escapes; a ``%`` not followed by two hex digits makes it fail, and
    ``unquote_to_bytes`` (which keeps such a ``%`` as it is) takes over.
    """
    try:
        return codecs.escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:
        return unquote_to_bytes(data)


# Searching bytes for bytes, this module writes `data.find(b"%") >= 0` rather than `b"%" in data`: CPython's `in`
# on bytes first tries the needle as an integer (a byte value), and builds and clears a TypeError with a formatted
# message when it is not one: about 1k instructions more per test (see benchmarks/README.md).

# The fields of a urlencoded body are decoded all at once: joined by a separator byte that none of them holds (the
# body was split on "&"), decoded in a few passes, and split again on that separator, which is counted to tell that
# no field's escapes decoded to it.  The escape of "=" ("%3D") gets a stand-in, so that only the separators split
# names from values.  Both are ASCII control characters (a form's text rarely holds them), so that the text of an
# ASCII body stays ASCII, which Python's string methods handle fastest.
_SEPARATOR = "\x01"
_EQUALS = "\x02"
_SEPARATOR_UTF8 = _SEPARATOR.encode()
_EQUALS_UTF8 = _EQUALS.encode()


def _decode_utf8_fields(joined: bytes, count: int) -> list[tuple[str, str | UploadFile]] | None:
    """The decoded (name, value) pairs of the ``count`` UTF-8 fields in ``joined`` (joined by ``_SEPARATOR_UTF8``).

    The same result as decoding field by field (``+`` is a space, ``%``-escapes are unquoted, the bytes decoded as
    UTF-8 with replacement characters): the separators are ASCII, and a UTF-8 decoder never lets an invalid sequence
    run into an ASCII character or a complete one.  None (decode field by field) when a ``%`` does not start a valid
    escape, or when the text holds a separator or stand-in character of its own.
    """
    data = joined.replace(b"+", b" ")
    equals = 0
    if data.find(b"%") >= 0:
        if data.find(b"%3") >= 0:
            equals = data.count(b"%3D") + data.count(b"%3d")
            if equals:
                data = data.replace(b"%3D", _EQUALS_UTF8).replace(b"%3d", _EQUALS_UTF8)
        if data.find(b"%") >= 0:
            try:
                data = codecs.escape_decode(data.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
            except ValueError:
                return None
    text = data.decode("utf-8", "replace")
    fields = text.split(_SEPARATOR)
    if len(fields) != count:
        return None
    if equals:
        if text.count(_EQUALS) != equals:
            return None
        return [
            (name.replace(_EQUALS, "="), value.replace(_EQUALS, "="))
            for field in fields
            for name, _, value in (field.partition("="),)
        ]
    return [(name, value) for field in fields for name, _, value in (field.partition("="),)]


def _unquote_plus(src: bytes | bytearray, codec: str) -> str:
    data = bytes(src).replace(b"+", b" ")
    if data.find(b"%") >= 0:  # unquote_to_bytes returns anything without a "%" unchanged
        data = unquote_to_bytes(data)
    return data.decode(codec, "replace")


_FORM_MESSAGE_DEPRECATED = "`FormMessage` is deprecated and will be removed in a future version."


class _DeprecatedEnumCall(EnumMeta):
    # Looking a member up by value (FormMessage(1), which unpickling does too) warns, as upstream 1.x's
    # @deprecated class does; its members, iteration and FormMessage["END"] do not.
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        import warnings

        warnings.warn(_FORM_MESSAGE_DEPRECATED, StarletteDeprecationWarning, stacklevel=2)
        return super().__call__(*args, **kwargs)


class FormMessage(Enum, metaclass=_DeprecatedEnumCall):
    """Unused (as upstream, which deprecates it in 1.x)."""

    __deprecated__ = _FORM_MESSAGE_DEPRECATED
    FIELD_START = 1
    FIELD_NAME = 2
    FIELD_DATA = 3
    FIELD_END = 4
    END = 5


@dataclass
class MultipartPart:
    content_disposition: bytes | None = None
    field_name: str = ""
    data: bytearray = field(default_factory=bytearray)
    file: UploadFile | None = None
    item_headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class MultiPartException(Exception):
    """A form body that cannot be accepted (malformed, or over a limit). ``message`` is safe to show the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _too_many_fields(limit: float) -> MultiPartException:
    return MultiPartException(f"Too many fields. Maximum number of fields is {limit}.")


def _part_too_large(limit: int) -> MultiPartException:
    return MultiPartException(f"Part exceeded maximum size of {int(limit / 1024)}KB.")


def _field_too_large(limit: int) -> MultiPartException:
    # A urlencoded field's message (upstream 1.x's FormParser); a multipart part's is the one above.
    return MultiPartException(f"Field exceeded maximum size of {int(limit / 1024)}KB.")


class FormParser:
    """Parser for ``application/x-www-form-urlencoded`` bodies.

    ``max_fields`` (the number of ``name=value`` pairs) and ``max_part_size`` (the encoded size of one pair, its
    ``=`` not counted) are keyword arguments (as upstream 1.3.1) and attributes (set them on the class or the
    instance; ``Request.form()`` does); past either, ``parse()`` raises ``MultiPartException`` (a 400 from
    ``Request.form()``).
    """

    max_fields: int | float = 1000
    max_part_size: int = 1024 * 1024

    def __init__(
        self,
        headers: Headers,
        stream: AsyncGenerator[bytes, None],
        *,
        max_fields: int | float | None = None,
        max_part_size: int | None = None,
    ) -> None:
        self._multipart = _load_multipart()
        self.headers = headers
        self.stream = stream
        if max_fields is not None:
            self.max_fields = max_fields
        if max_part_size is not None:
            self.max_part_size = max_part_size
        self._fields = 0
        self._name = bytearray()
        self._value = bytearray()
        self._raw_items: list[tuple[bytes, bytes]] = []

    def on_field_start(self) -> None:
        self._fields += 1
        if self._fields > self.max_fields:
            raise _too_many_fields(self.max_fields)
        self._name = bytearray()
        self._value = bytearray()

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]
        self._check_size()

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        self._check_size()

    def _check_size(self) -> None:
        if len(self._name) + len(self._value) > self.max_part_size:
            raise _field_too_large(self.max_part_size)

    def on_field_end(self) -> None:
        self._raw_items.append((bytes(self._name), bytes(self._value)))

    def on_end(self) -> None:
        pass

    async def parse(self) -> FormData:
        cls = type(self)
        if cls is not FormParser and any(getattr(cls, name) is not getattr(FormParser, name) for name in _CALLBACKS):
            # A subclass hooks into the parser's events: run them.
            return await self._parse_with_callbacks()
        fields = await self._read_fields()
        if not fields:
            return FormData._from_list([])
        charset = self._charset()
        joined = _SEPARATOR_UTF8.join(fields)
        if joined.find(b"_charset_") >= 0:
            for pair in fields:
                if pair.startswith(b"_charset_"):
                    name, _, value = pair.partition(b"=")
                    if name == b"_charset_":
                        charset = _codec_or(unquote_to_bytes(value), charset)
                        break
        if charset == "utf-8":
            decoded = _decode_utf8_fields(joined, len(fields))
            if decoded is not None:
                return FormData._from_list(decoded)
        items: list[tuple[str, str | UploadFile]] = []
        append = items.append
        for pair in fields:
            name, _, value = pair.replace(b"+", b" ").partition(b"=")
            if name.find(b"%") >= 0:
                name = _unquote(name)
            if value.find(b"%") >= 0:
                value = _unquote(value)
            append((name.decode(charset, "replace"), value.decode(charset, "replace")))
        return FormData._from_list(items)

    def _charset(self) -> str:
        _, params = _parsed_options(parse_options_header, self.headers.get("content-type"))
        return _charset_from(params)

    async def _read_fields(self) -> list[bytes]:
        """The raw ``name=value`` fields of the body, split on ``&`` (empty ones dropped), limits checked.

        Each chunk is checked as it arrives, in body order (for each field: the number of fields, then its size),
        so an over-limit body raises the error python-multipart's events would have, without reading further.
        """
        max_fields = self.max_fields
        max_part_size = self.max_part_size
        fields: list[bytes] = []
        # The last field of the body read so far, which the next chunk may continue (counted in the limits).
        tail: bytes | bytearray = b""
        stream = self.stream
        try:
            async for chunk in stream:
                if not chunk:
                    continue
                if tail:
                    end = chunk.find(b"&")
                    if not isinstance(tail, bytearray):
                        tail = bytearray(tail)
                    if end < 0:
                        tail += chunk
                        if len(tail) > max_part_size:
                            _check_fields([tail], len(fields), max_fields, max_part_size)
                        continue
                    tail += chunk[:end]
                    if len(tail) > max_part_size:
                        _check_fields([tail], len(fields), max_fields, max_part_size)
                    fields.append(bytes(tail))
                    tail = b""
                    chunk = chunk[end + 1 :]
                pieces = chunk.split(b"&")
                if b"" in pieces:
                    pieces = [piece for piece in pieces if piece]
                if pieces and (len(fields) + len(pieces) > max_fields or max(map(len, pieces)) > max_part_size):
                    _check_fields(pieces, len(fields), max_fields, max_part_size)
                if not chunk.endswith(b"&") and pieces:
                    tail = pieces.pop()
                fields += pieces
        except BaseException:
            await _abandon(stream)
            raise
        if tail:
            fields.append(bytes(tail))
        return fields

    async def _parse_with_callbacks(self) -> FormData:
        callbacks = {
            "on_field_start": self.on_field_start,
            "on_field_name": self.on_field_name,
            "on_field_data": self.on_field_data,
            "on_field_end": self.on_field_end,
            "on_end": self.on_end,
        }
        parser = self._multipart.QuerystringParser(callbacks)
        try:
            async for chunk in self.stream:
                if chunk:
                    parser.write(chunk)
        except BaseException:
            await _abandon(self.stream)
            raise
        parser.finalize()

        charset = self._charset()
        for name, value in self._raw_items:
            if name == b"_charset_":
                charset = _codec_or(unquote_to_bytes(value), charset)
                break
        return FormData(
            [(_unquote_plus(name, charset), _unquote_plus(value, charset)) for name, value in self._raw_items]
        )


_CALLBACKS = ("on_field_start", "on_field_name", "on_field_data", "on_field_end", "on_end")


def _check_fields(fields: Sequence[bytes | bytearray], before: int, max_fields: float, max_part_size: int) -> None:
    """Raise the first limit error among ``fields`` (in order, ``before`` fields already counted), if any."""
    for count, pair in enumerate(fields, before + 1):
        if count > max_fields:
            raise _too_many_fields(max_fields)
        # The size of a field is that of its name and value: the "=" between them does not count.
        if len(pair) - (b"=" in pair) > max_part_size:
            raise _field_too_large(max_part_size)


# The longest boundary a multipart body may have (RFC 2046 allows 70 characters): python-multipart's own limit in
# its later releases (Kludex/python-multipart#282), checked here because 0.0.20, its last release for Python 3.9,
# has none.
_MAX_BOUNDARY_LENGTH = 256


class MultiPartParser:
    """Parser for ``multipart/form-data`` bodies; files are spooled to ``SpooledTemporaryFile``-backed uploads.

    Each uploaded file may keep ``min(spool_max_size, max(room left, spool_min_file_size))`` bytes in memory, the
    room left being what ``spool_max_total_size`` leaves after the in-memory files before it; past that it rolls
    over to disk.  So the files of a request keep about ``spool_max_total_size`` bytes in memory together, and once
    that is spent a file of up to ``spool_min_file_size`` bytes still stays in memory: each temporary file (and its
    file descriptor) costs the client more than the floor's worth of body, never a single byte.  The worst case in
    memory is ``spool_max_total_size + max_files * spool_min_file_size``: 10 MiB + 1000 * 64 KiB = 72.5 MiB
    (76,021,760 bytes) with the defaults, and never more than the files the client sent.

    A ``spool_max_total_size`` of 0 keeps in memory only the files of up to ``spool_min_file_size`` bytes; with a
    ``spool_min_file_size`` of 0 too, every file with data goes to disk.  All three are class attributes: set them
    on the class, a subclass or an instance (before ``parse()``).
    """

    spool_max_size = 1024 * 1024  # bytes kept in memory per uploaded file before it rolls over to disk
    spool_max_total_size = 10 * 1024 * 1024  # bytes kept in memory by all the uploaded files of one request
    # Bytes every uploaded file may keep in memory, even past spool_max_total_size (up to spool_max_size).  Each
    # temporary file holds a file descriptor until the request ends: without a floor, 1000 one-byte files past the
    # total would hold 1000 of them (a process's usual limit is 1024).  At 64 KiB a client must send 64 MiB to hold
    # 1000 descriptors, while the worst case in memory stays 72.5 MiB, less than max_fields non-file parts of
    # max_part_size may hold (1000 MiB).
    spool_min_file_size = 64 * 1024
    max_part_size = 1024 * 1024  # bytes allowed in one non-file part

    def __init__(
        self,
        headers: Headers,
        stream: AsyncGenerator[bytes, None],
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> None:
        self._multipart = _load_multipart()
        self.headers = headers
        self.stream = stream
        self.max_files = max_files
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        self.items: list[tuple[str, str | UploadFile]] = []
        self._current_files = 0
        self._current_fields = 0
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""
        self._current_part = MultipartPart()
        self._part_open = False
        self._charset = "utf-8"
        self._raw_name = b""
        # The raw name of every item, and (position, raw value) of every non-file field: values are decoded once
        # the whole body (and so a `_charset_` field) is known.
        self._raw_names: list[bytes] = []
        self._raw_values: list[tuple[int, bytes]] = []
        # Bytes that the finished uploads keep in memory; what the current one may keep, and has received.
        self._spooled_bytes = 0
        self._file_cap = 0
        self._file_bytes = 0
        # File work queued by the callbacks (which cannot await), done by _flush() after each chunk.
        self._files_to_roll: list[SpooledTemporaryFile[bytes]] = []
        self._file_parts_to_write: list[tuple[UploadFile, bytes]] = []
        self._file_parts_to_finish: list[UploadFile] = []
        self._files_to_close_on_error: list[SpooledTemporaryFile[bytes]] = []
        # The data of the current file while it stays in memory (None: it is written to its file as it comes).
        self._file_chunks: list[bytes | memoryview] | None = None

    def on_part_begin(self) -> None:
        self._current_part = MultipartPart()
        self._part_open = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current_part
        if part.file is None:
            if len(part.data) + (end - start) > self.max_part_size:
                raise _part_too_large(self.max_part_size)
            part.data += data[start:end]
        else:
            received = self._file_bytes
            self._file_bytes += end - start
            chunks = self._file_chunks
            if chunks is not None:
                if self._file_bytes <= self._file_cap:
                    # Kept as received (a whole chunk, or a view of a chunk's bytes): copied once, at the end.
                    if type(data) is not bytes:
                        chunks.append(bytes(data[start:end]))
                    elif start or end != len(data):
                        chunks.append(memoryview(data)[start:end])
                    else:
                        chunks.append(data)
                    return
                # Past what it may keep in memory: it goes to disk, with what it has received so far.
                self._file_chunks = None
                self._files_to_roll.append(part.file.file)  # type: ignore[arg-type]
                if chunks:
                    self._file_parts_to_write.append((part.file, b"".join(chunks)))
            elif not self._file_cap and not received:
                # No room left in memory: the file goes to disk before its first byte is written.
                self._files_to_roll.append(part.file.file)  # type: ignore[arg-type]
            self._file_parts_to_write.append((part.file, data[start:end]))

    def on_part_end(self) -> None:
        part = self._current_part
        self._part_open = False
        self._raw_names.append(self._raw_name)
        if part.file is None:
            # Kept as bytes (a copy the size of the data, where the bytearray may have grown up to an eighth
            # larger) and the bytearray emptied, so that only one copy of each value outlives its part.
            self._raw_values.append((len(self.items), bytes(part.data)))
            part.data.clear()
            self.items.append((part.field_name, ""))
        else:
            # A SpooledTemporaryFile rolls over once it holds more than its max_size: a file within its cap is in
            # memory, and takes that much of the room left to the files after it.
            if self._file_bytes <= self._file_cap:
                self._spooled_bytes += self._file_bytes
            chunks = self._file_chunks
            if chunks is None:
                self._file_parts_to_finish.append(part.file)
            else:
                # In memory all along: the spool's buffer becomes the file's bytes, joined once (a BytesIO made
                # from bytes shares them until written to, and reading it whole returns them without a copy).
                self._file_chunks = None
                if chunks:
                    content = chunks[0] if len(chunks) == 1 and type(chunks[0]) is bytes else b"".join(chunks)
                    part.file.file._file = io.BytesIO(content)  # type: ignore[attr-defined]
                    part.file.size = len(content)
            self.items.append((part.field_name, part.file))

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._current_partial_header_name.lower()
        value = self._current_partial_header_value
        if name == b"content-disposition":
            self._current_part.content_disposition = value
        self._current_part.item_headers.append((name, value))
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""

    def on_headers_finished(self) -> None:
        part = self._current_part
        _, options = _parsed_options(parse_options_header, part.content_disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise MultiPartException('The Content-Disposition header field "name" must be provided.')
        self._raw_name = raw_name
        part.field_name = _user_safe_decode(raw_name, self._charset)
        if b"filename" in options:
            self._current_files += 1
            if self._current_files > self.max_files:
                raise MultiPartException(f"Too many files. Maximum number of files is {self.max_files}.")
            part.file = self._new_upload(options[b"filename"], part.item_headers)
        else:
            self._current_fields += 1
            if self._current_fields > self.max_fields:
                raise _too_many_fields(self.max_fields)

    def _new_upload(self, raw_filename: bytes, headers: list[tuple[bytes, bytes]]) -> UploadFile:
        """An empty upload whose spool keeps in memory no more than this file and the request may."""
        _lazy.load("SpooledTemporaryFile")
        # What the total leaves, but never less than the floor: a small file costs no file descriptor.
        room = max(self.spool_max_total_size - self._spooled_bytes, self.spool_min_file_size, 0)
        self._file_cap = min(self.spool_max_size, room) if self.spool_max_size else room
        self._file_bytes = 0
        # A max_size of 0 would mean "never roll over"; a file with no room is rolled over by on_part_data.
        tempfile: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=self._file_cap or 1)  # noqa: SIM115
        self._files_to_close_on_error.append(tempfile)
        # A file of the standard library's own class has its data kept as it comes, and made its buffer at the end
        # (see on_part_data); anything else (a subclass, or whatever the global was patched to) is written to chunk
        # by chunk.  Decided for each file.
        cls = type(tempfile)
        self._file_chunks = [] if cls.__module__ == "tempfile" and cls.__qualname__ == "SpooledTemporaryFile" else None
        return UploadFile(
            file=tempfile,  # type: ignore[arg-type]
            size=0,
            filename=_user_safe_decode(raw_filename, self._charset),
            headers=Headers(raw=headers),
        )

    def on_end(self) -> None:
        pass

    async def parse(self) -> FormData:
        multipart = self._multipart
        _, params = _parsed_options(parse_options_header, self.headers.get("content-type"))
        self._charset = _charset_from(params)
        boundary = params.get(b"boundary")
        if not boundary:
            raise MultiPartException("Missing boundary in multipart.")
        if len(boundary) > _MAX_BOUNDARY_LENGTH:
            raise MultiPartException("Invalid multipart data.")
        callbacks = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }
        try:
            try:
                parser = multipart.MultipartParser(boundary, callbacks)
                async for chunk in self.stream:
                    parser.write(chunk)
                    if self._files_to_roll or self._file_parts_to_write or self._file_parts_to_finish:
                        await self._flush()
                parser.finalize()
            except _parse_error(multipart) as exc:
                raise MultiPartException("Invalid multipart data.") from exc
        except BaseException:
            for file in self._files_to_close_on_error:
                file.close()
            await _abandon(self.stream)
            raise
        if self._part_open and self._current_part.file is not None:
            # The body ended inside a file part: that part is dropped, so nobody else will close its file.
            self._current_part.file.file.close()
        self._decode_fields()
        return FormData(self.items)

    async def _flush(self) -> None:
        """Do the file work the callbacks queued for the last chunk: rollovers first, then writes, then rewinds."""
        for file in self._files_to_roll:
            await run_in_threadpool(file.rollover)
        for upload, data in self._file_parts_to_write:
            await upload.write(data)
        for upload in self._file_parts_to_finish:
            await upload.seek(0)
        self._files_to_roll.clear()
        self._file_parts_to_write.clear()
        self._file_parts_to_finish.clear()

    def _decode_fields(self) -> None:
        items = self.items
        raw_values = self._raw_values
        charset = self._charset
        for index, value in raw_values:
            if self._raw_names[index] == b"_charset_":
                charset = _codec_or(value, charset)
                break
        if charset != self._charset:
            items[:] = [(_user_safe_decode(raw, charset), item[1]) for raw, item in zip(self._raw_names, items)]
        # Each raw value is dropped as soon as it is decoded, so that the raw and decoded copies of all the
        # values never coexist.
        while raw_values:
            index, value = raw_values.pop()
            items[index] = (items[index][0], _user_safe_decode(value, charset))
