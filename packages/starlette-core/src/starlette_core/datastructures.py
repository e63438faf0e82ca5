"""URLs, headers, query strings, multi-dicts, uploaded files and friends (``starlette.datastructures``)."""

from __future__ import annotations

import io
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, MutableMapping, Sequence, ValuesView
from shlex import shlex
from typing import Any, BinaryIO, NamedTuple, TypeVar, Union, overload
from typing import cast as cast  # upstream's module has the name
from urllib.parse import SplitResult, parse_qsl, quote_from_bytes, unquote, urlencode, urlsplit

from starlette_core.concurrency import run_in_threadpool
from starlette_core.types import Scope

__all__ = [
    "URL",
    "Address",
    "CommaSeparatedStrings",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MultiDict",
    "MutableHeaders",
    "QueryParams",
    "Secret",
    "State",
    "URLPath",
    "UploadFile",
]


class Address(NamedTuple):
    host: str
    port: int


_T = TypeVar("_T")
_KeyType = TypeVar("_KeyType")
# The value type of an immutable mapping may be covariant.
_CovariantValueType = TypeVar("_CovariantValueType", covariant=True)
_MultiDictT = TypeVar("_MultiDictT", bound="ImmutableMultiDict[Any, Any]")

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SECURE_SCHEMES = frozenset(("https", "wss"))
_URL_IGNORED_CHARS = str.maketrans("", "", "\t\r\n")  # urlsplit removes these before parsing
_ASCII = "".join(map(chr, range(128)))

# host[:port] where host is a DNS name / IPv4 address (labels of letters, digits, '-' and '_', an optional
# trailing dot), a bracketed IPv6 literal (with an optional zone: "[fe80::1%25eth0]") or IPvFuture literal
# ("[v1.x]", RFC 3986; urlsplit takes only a lowercase "v"), and port is ASCII digits, leading zeros allowed
# ("example.com:000080", which upstream keeps too). Anything else in a Host header ('/', '@', '?', '#', spaces,
# backslashes, ...) could change how the URL is parsed, so such a header is ignored.
_VALID_HOST = re.compile(
    r"(?:\[(?:(?P<ipv6>[0-9A-Fa-f:.]+(?:%(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+)?)"
    r"|v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\]"
    r"|(?:[A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?)(?::(?P<port>[0-9]+))?"
)


def _is_valid_host(host: str) -> bool:
    """Whether ``host`` is a plain ``host[:port]`` that urlsplit parses (and whose .port reads) without error."""
    match = _VALID_HOST.fullmatch(host)
    if match is None:
        return False
    port = match.group("port")
    if port is not None:
        port = port.lstrip("0")
        if len(port) > 5 or (port and int(port) > 65535):
            return False
    ipv6 = match.group("ipv6")
    if ipv6 is not None:
        import ipaddress  # deferred: only bracketed IPv6 hosts need it

        try:
            ipaddress.IPv6Address(ipv6)
        except ValueError:
            return False
    return True


def _netloc_from_scope(scope: Scope) -> str | None:
    """The ``host[:port]`` that a URL built from ``scope`` should carry, or None when there is no valid one."""
    for key, value in scope["headers"]:
        if key == b"host":
            host_header: str = value.decode("latin-1")
            if _is_valid_host(host_header):
                return host_header
            break
    server = scope.get("server")
    if server is None:
        return None
    host, port = server[0], server[1]
    if host is None:
        return None
    host = str(host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 address
    if port is not None and port != _DEFAULT_PORTS.get(scope.get("scheme", "http")):
        host = f"{host}:{port}"
    return host if _is_valid_host(host) else None


class URL:
    """An immutable URL, built from a string, from an ASGI scope, or from components."""

    def __init__(self, url: str = "", scope: Scope | None = None, **components: Any) -> None:
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            scheme = scope.get("scheme", "http")
            path: str = scope["path"]
            if "?" in path or "#" in path:
                # A decoded "?" or "#" of the path stays part of the path (as upstream 1.9).
                path = path.replace("?", "%3F").replace("#", "%23")
            if path and path[0] != "/":
                # A path must never be able to supply the authority part of the URL ("@evil.com/x").
                path = "/" + path
            netloc = _netloc_from_scope(scope)
            if netloc is not None:
                url = f"{scheme}://{netloc}{path}"
            else:
                # Without an authority, "//evil.com" would be read as one (urlsplit also drops tabs and
                # newlines first, so "/\t/evil.com" too): remove those and collapse the leading slashes.
                path = path.translate(_URL_IGNORED_CHARS)
                if path.startswith("//"):
                    path = "/" + path.lstrip("/")
                url = path
            query_string: bytes = scope.get("query_string", b"")
            if query_string:
                try:
                    url += "?" + query_string.decode()
                except UnicodeDecodeError:
                    # Not UTF-8 (upstream raises: a 500). Its bytes over 0x7F are %-escaped, so that a URL made from
                    # this one (a redirect's Location) carries the client's bytes, not their UTF-8 for latin-1 text.
                    url += "?" + quote_from_bytes(query_string, safe=_ASCII)
        elif components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = URL("").replace(**components).components.geturl()
        self._url = url
        self._components: SplitResult | None = None

    @property
    def components(self) -> SplitResult:
        if self._components is None:
            self._components = urlsplit(self._url)
        return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    @property
    def is_secure(self) -> bool:
        return self.scheme in _SECURE_SCHEMES

    def replace(self, **kwargs: Any) -> URL:
        if "username" in kwargs or "password" in kwargs or "hostname" in kwargs or "port" in kwargs:
            hostname = kwargs.pop("hostname", None)
            port = kwargs.pop("port", self.port)
            username = kwargs.pop("username", self.username)
            password = kwargs.pop("password", self.password)

            if hostname is None:
                # Keep the current host, exactly as written (brackets of an IPv6 literal included).
                hostname = self.netloc.rpartition("@")[2]
                if not hostname.endswith("]"):
                    hostname = hostname.rsplit(":", 1)[0]

            if ":" in hostname and not hostname.startswith("["):
                # An IPv6 address: bracketed in a URL (as upstream 1.8).
                hostname = f"[{hostname}]"
            netloc = hostname
            if port is not None:
                netloc = f"{netloc}:{port}"
            if username is not None:
                userinfo = username if password is None else f"{username}:{password}"
                netloc = f"{userinfo}@{netloc}"
            kwargs["netloc"] = netloc

        components = self.components._replace(**kwargs)
        return self.__class__(components.geturl())

    def include_query_params(self, **kwargs: Any) -> URL:
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        params.update({str(key): str(value) for key, value in kwargs.items()})
        return self.replace(query=urlencode(params.multi_items()))

    def replace_query_params(self, **kwargs: Any) -> URL:
        return self.replace(query=urlencode([(str(key), str(value)) for key, value in kwargs.items()]))

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        if isinstance(keys, str):
            keys = [keys]
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        for key in keys:
            params.pop(key, None)
        return self.replace(query=urlencode(params.multi_items()))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, (str, URL)) and str(self) == str(other)

    def __hash__(self) -> int:
        # Consistent with __eq__, which compares the string form (and so equals plain strings).
        return hash(self._url)

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        url = str(self)
        if self.password:
            url = str(self.replace(password="********"))
        return f"{self.__class__.__name__}({url!r})"


class URLPath(str):
    """A URL path string (as returned by ``url_path_for``) that remembers its protocol and host.

    ``make_absolute_url`` turns it into a full URL relative to a base URL.
    """

    protocol: str
    host: str

    def __new__(cls, path: str, protocol: str = "", host: str = "") -> URLPath:
        assert protocol in ("http", "websocket", "")
        return str.__new__(cls, path)

    def __init__(self, path: str, protocol: str = "", host: str = "") -> None:
        self.protocol = protocol
        self.host = host

    def make_absolute_url(self, base_url: str | URL) -> URL:
        if isinstance(base_url, str):
            base_url = URL(base_url)
        if self.protocol == "http":
            scheme = "https" if base_url.is_secure else "http"
        elif self.protocol == "websocket":
            scheme = "wss" if base_url.is_secure else "ws"
        else:
            scheme = base_url.scheme
        netloc = self.host or base_url.netloc
        path = base_url.path.rstrip("/") + str(self)
        return URL(scheme=scheme, netloc=netloc, path=path)


class Secret:
    """Holds a string that must not show up in tracebacks or logs: its repr is masked."""

    def __init__(self, value: str):
        self._value = value

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


class CommaSeparatedStrings(Sequence[str]):
    """A sequence of strings parsed from ``"a, b, 'c d'"`` (shell-style quoting) or given as a sequence."""

    def __init__(self, value: str | Sequence[str]):
        if isinstance(value, str):
            splitter = shlex(value, posix=True)
            splitter.whitespace = ","
            splitter.whitespace_split = True
            self._items = [item.strip() for item in splitter]
        else:
            self._items = list(value)

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int | slice) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._items!r})"

    def __str__(self) -> str:
        return ", ".join(repr(item) for item in self)


class ImmutableMultiDict(Mapping[_KeyType, _CovariantValueType]):
    """A mapping that keeps every (key, value) pair; indexing returns the last value of a key."""

    _dict: dict[_KeyType, _CovariantValueType]

    def __init__(
        self,
        *args: ImmutableMultiDict[_KeyType, _CovariantValueType]
        | Mapping[_KeyType, _CovariantValueType]
        | Iterable[tuple[_KeyType, _CovariantValueType]],
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."

        value: Any = args[0] if args else []
        if kwargs:
            value = ImmutableMultiDict(value).multi_items() + ImmutableMultiDict(kwargs).multi_items()

        items: list[tuple[Any, Any]]
        if not value:
            items = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "keys"):
            items = list(value.items())
        else:
            items = list(value)

        self._dict = dict(items)
        self._list = items

    @classmethod
    def _from_list(cls: type[_MultiDictT], items: list[tuple[Any, Any]]) -> _MultiDictT:
        """An instance holding ``items`` (taken over, not copied), without ``__init__``'s argument handling."""
        new = cls.__new__(cls)
        new._dict = dict(items)
        new._list = items
        return new

    @overload
    def get(self, key: _KeyType, /) -> _CovariantValueType | None: ...

    @overload
    def get(self, key: _KeyType, default: _CovariantValueType | _T, /) -> _CovariantValueType | _T: ...

    def get(self, key: Any, default: Any = None) -> Any:
        # (A subclass that changes __getitem__ gets _get_through_getitem instead: see __init_subclass__.)
        return self._dict.get(key, default)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__getitem__ is not _MULTIDICT_GETITEM and cls.get is _MULTIDICT_GET:
            # __getitem__ changed, get did not: get must go through __getitem__, as Mapping.get does.
            cls.get = _get_through_getitem  # type: ignore[method-assign]

    def getlist(self, key: Any) -> list[_CovariantValueType]:
        # A plain loop rather than a list comprehension (see benchmarks/README.md).
        values: list[_CovariantValueType] = []
        for item_key, item_value in self._list:
            if item_key == key:
                values.append(item_value)
        return values

    def keys(self) -> KeysView[_KeyType]:
        return self._dict.keys()

    def values(self) -> ValuesView[_CovariantValueType]:
        return self._dict.values()

    def items(self) -> ItemsView[_KeyType, _CovariantValueType]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[_KeyType, _CovariantValueType]]:
        return list(self._list)

    def __getitem__(self, key: _KeyType) -> _CovariantValueType:
        return self._dict[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[_KeyType]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, self.__class__):
            return False
        # Equal when every key has the same values in the same order; the order of different keys does not
        # matter (as upstream 1.10; 0.47.3 sorted the pairs, so a key's values could be in any order, and
        # values that do not sort, such as uploaded files, raised TypeError).
        return len(self._list) == len(other._list) and _values_by_key(self._list) == _values_by_key(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.multi_items()!r})"


def _values_by_key(items: list[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    values: dict[Any, list[Any]] = {}
    for key, value in items:
        values.setdefault(key, []).append(value)
    return values


_MULTIDICT_GETITEM = ImmutableMultiDict.__getitem__
_MULTIDICT_GET = ImmutableMultiDict.get


def _get_through_getitem(self: ImmutableMultiDict[Any, Any], key: Any, default: Any = None) -> Any:
    """``Mapping.get``: ``ImmutableMultiDict.get`` for a subclass that changed ``__getitem__``."""
    try:
        return self[key]
    except KeyError:
        return default


class MultiDict(ImmutableMultiDict[Any, Any]):
    """A mutable ``ImmutableMultiDict``."""

    def __setitem__(self, key: Any, value: Any) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: Any) -> None:
        self._list = [(k, v) for k, v in self._list if k != key]
        del self._dict[key]

    def pop(self, key: Any, default: Any = None) -> Any:
        self._list = [(k, v) for k, v in self._list if k != key]
        return self._dict.pop(key, default)

    def popitem(self) -> tuple[Any, Any]:
        key, value = self._dict.popitem()
        self._list = [(k, v) for k, v in self._list if k != key]
        return key, value

    def poplist(self, key: Any) -> list[Any]:
        values = [v for k, v in self._list if k == key]
        self.pop(key)
        return values

    def clear(self) -> None:
        self._dict.clear()
        self._list.clear()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self._dict[key] = default
            self._list.append((key, default))
        return self[key]

    def setlist(self, key: Any, values: list[Any]) -> None:
        if not values:
            self.pop(key, None)
        else:
            self._list = [(k, v) for k, v in self._list if k != key] + [(key, value) for value in values]
            self._dict[key] = values[-1]

    def append(self, key: Any, value: Any) -> None:
        self._list.append((key, value))
        self._dict[key] = value

    def update(
        self,
        *args: MultiDict | Mapping[Any, Any] | list[tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        value = MultiDict(*args, **kwargs)
        self._list = [(k, v) for k, v in self._list if k not in value._dict] + value.multi_items()
        self._dict.update(value._dict)


# Stand-ins for the escapes "%26" ("&") and "%3D" ("=") while a whole query string is unquoted at once: characters
# that latin-1 decoding (how a raw query string becomes text) never produces.
_AMPERSAND = "\ue026"
_EQUALS = "\ue03d"


def _split_pairs(query: str) -> list[tuple[str, str]]:
    """The (name, value) of every non-empty "&"-separated field, split at its first "=".

    (A plain loop rather than a chain of map/filter/itemgetter: see benchmarks/README.md.)
    """
    pairs = []
    for field in query.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
    return pairs


def _parse_query_string(query: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(query, keep_blank_values=True)``, in a few passes over the whole string.

    Pairs are separated by "&" (empty ones skipped); a pair without "=" has an empty value; "+" means a space
    and %-escapes are decoded as UTF-8 with replacement characters, as parse_qsl does.  Unquoting the whole string
    at once gives what unquoting each name and value does (a UTF-8 decoder never lets an invalid sequence run into
    "&" or "="), once the escapes of "&" and "=" are stand-ins that the split does not see.
    """
    query = query.replace("+", " ")
    return _parse_escaped_query(query) if "%" in query else _split_pairs(query)


def _parse_escaped_query(query: str) -> list[tuple[str, str]]:
    """``_parse_query_string`` for a query string with %-escapes, "+" already replaced."""
    if _AMPERSAND in query or _EQUALS in query:
        return _parse_query_string_pairwise(query)
    escaped = query
    ampersands = escaped.count("%26")
    if ampersands:
        escaped = escaped.replace("%26", _AMPERSAND)
    equals = escaped.count("%3D") + escaped.count("%3d")
    if equals:
        escaped = escaped.replace("%3D", _EQUALS).replace("%3d", _EQUALS)
    text = unquote(escaped)
    if not ampersands and not equals:
        return _split_pairs(text)
    if text.count(_AMPERSAND) != ampersands or text.count(_EQUALS) != equals:
        # Another escape decoded to a stand-in too: the text cannot tell them apart.
        return _parse_query_string_pairwise(query)
    return [
        (name.replace(_AMPERSAND, "&").replace(_EQUALS, "="), value.replace(_AMPERSAND, "&").replace(_EQUALS, "="))
        for name, value in _split_pairs(text)
    ]


def _parse_query_string_pairwise(query: str) -> list[tuple[str, str]]:
    """``_parse_query_string`` one pair at a time ("+" already replaced)."""
    return [(unquote(name), unquote(value)) for name, value in _split_pairs(query)]


class QueryParams(ImmutableMultiDict[str, str]):
    """An immutable multi-dict of query parameters, parsed from a query string when given one."""

    def __init__(
        self,
        *args: ImmutableMultiDict[Any, Any] | Mapping[Any, Any] | list[tuple[Any, Any]] | str | bytes,
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."

        value = args[0] if args else []
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):
            items = _parse_query_string(value)
            if not kwargs:
                # Parsed pairs are already strings: no second pass to convert them.
                self._list = items
                self._dict = dict(items)
                return
            super().__init__(items, **kwargs)
        else:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._list = [(str(k), str(v)) for k, v in self._list]
        self._dict = {str(k): str(v) for k, v in self._dict.items()}

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"


class UploadFile:
    """A file uploaded in a multipart form, with async I/O methods.

    While the underlying ``SpooledTemporaryFile`` is held in memory the I/O happens inline; once it has rolled
    over to disk (or for any other real file) it runs in the thread pool so that the event loop never blocks.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.filename = filename
        self.file = file
        self.size = size
        self.headers = headers or Headers()
        # SpooledTemporaryFile's rollover threshold; 0 means "never rolls", as in its constructor.
        self._max_mem_size: int = getattr(self.file, "_max_size", 0)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type", None)

    @property
    def _in_memory(self) -> bool:
        if isinstance(self.file, io.BytesIO):
            return True
        # SpooledTemporaryFile sets _rolled once its data moved to a real file; anything else is a real file.
        return not getattr(self.file, "_rolled", True)

    def _will_roll(self, size_to_add: int) -> bool:
        if not self._in_memory:
            return True
        if not self._max_mem_size:
            return False
        return self.file.tell() + size_to_add > self._max_mem_size

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        if self._will_roll(len(data)):
            await run_in_threadpool(self.file.write, data)
        else:
            self.file.write(data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(filename={self.filename!r}, size={self.size!r}, headers={self.headers!r})"


class FormData(ImmutableMultiDict[str, Union[UploadFile, str]]):
    """An immutable multi-dict of form fields; file fields are ``UploadFile`` instances."""

    def __init__(
        self,
        *args: FormData | Mapping[str, str | UploadFile] | list[tuple[str, str | UploadFile]],
        **kwargs: str | UploadFile,
    ) -> None:
        super().__init__(*args, **kwargs)

    async def close(self) -> None:
        """Close every uploaded file in the form."""
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                await value.close()


# Header name as given -> its lower-cased latin-1 bytes, for the names lookups see most (bounded: names come from
# application code, but a client could make an application look up arbitrary ones).
_HEADER_NAMES: dict[str, bytes] = {}
_HEADER_NAMES_MAX = 256


def _header_name(key: str) -> bytes:
    """``key.lower().encode("latin-1")``, remembered in ``_HEADER_NAMES`` for plain strings while it has room."""
    raw_key = key.lower().encode("latin-1")
    if type(key) is str and len(_HEADER_NAMES) < _HEADER_NAMES_MAX:
        _HEADER_NAMES[key] = raw_key
    return raw_key


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive multi-dict of HTTP headers over a raw list of latin-1 byte pairs.

    Lookups scan the raw list, which may be shared with the ASGI scope or a MutableHeaders, so they always see
    its current contents. (A request reads a few headers: building a dict for them costs more than the scans.)
    """

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        self._list: list[tuple[bytes, bytes]]
        if scope is not None and headers is None and raw is None:
            # scope["headers"] may be any iterable: make it a list that both this object and the scope share.
            self._list = scope["headers"] = [*scope["headers"]]
        elif headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw
        else:
            self._list = []

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        try:
            get_key = key.lower().encode("latin-1")
        except UnicodeEncodeError:
            return []
        return [value.decode("latin-1") for item_key, value in self._list if item_key == get_key]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=self._list[:])

    def __getitem__(self, key: str) -> str:
        raw_key = _HEADER_NAMES.get(key) if type(key) is str else None
        if raw_key is None:
            try:
                raw_key = _header_name(key)
            except UnicodeEncodeError:
                raise KeyError(key) from None
        for item_key, item_value in self._list:
            if item_key == raw_key:
                return item_value.decode("latin-1")
        raise KeyError(key)

    @overload
    def get(self, key: str, /) -> str | None: ...

    @overload
    def get(self, key: str, default: str | _T, /) -> str | _T: ...

    def get(self, key: str, default: Any = None) -> Any:
        """The first value of the header ``key`` (case-insensitive), or ``default``."""
        raw_key = _HEADER_NAMES.get(key) if type(key) is str else None
        if raw_key is None:
            try:
                raw_key = _header_name(key)
            except UnicodeEncodeError:
                return default
        for item_key, item_value in self._list:
            if item_key == raw_key:
                return item_value.decode("latin-1")
        return default

    def __contains__(self, key: Any) -> bool:
        raw_key = _HEADER_NAMES.get(key) if type(key) is str else None
        if raw_key is None:
            try:
                raw_key = _header_name(key)
            except UnicodeEncodeError:
                return False
        for item_key, _ in self._list:  # noqa: SIM110 (a plain loop rather than any(): see benchmarks/README.md)
            if item_key == raw_key:
                return True
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return False
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{self.__class__.__name__}({as_dict!r})"
        return f"{self.__class__.__name__}(raw={self.raw!r})"


class MutableHeaders(Headers):
    """Headers that can be changed in place; over a scope or message, the changes go to its ``headers`` list."""

    def __setitem__(self, key: str, value: str) -> None:
        """Set the header ``key`` to ``value``, replacing every existing value of it (in its first position)."""
        set_key = key.lower().encode("latin-1")
        set_value = value.encode("latin-1")
        found = [index for index, (item_key, _) in enumerate(self._list) if item_key == set_key]
        for index in reversed(found[1:]):
            del self._list[index]
        if found:
            self._list[found[0]] = (set_key, set_value)
        else:
            self._list.append((set_key, set_value))

    def __delitem__(self, key: str) -> None:
        """Remove every value of the header ``key`` (no error if there is none)."""
        del_key = key.lower().encode("latin-1")
        # Slice assignment: the list may be shared with a scope or message and must change in place.
        self._list[:] = [item for item in self._list if item[0] != del_key]

    def __ior__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        new = self.mutablecopy()
        new.update(other)
        return new

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def setdefault(self, key: str, value: str) -> str:
        """Return the first value of ``key``, first appending ``key: value`` if the header is absent."""
        set_key = key.lower().encode("latin-1")
        for item_key, item_value in self._list:
            if item_key == set_key:
                return item_value.decode("latin-1")
        self._list.append((set_key, value.encode("latin-1")))
        return value

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def append(self, key: str, value: str) -> None:
        """Add ``key: value`` without touching existing values of the header."""
        self._list.append((key.lower().encode("latin-1"), value.encode("latin-1")))

    def add_vary_header(self, vary: str) -> None:
        existing = self.get("vary")
        if existing is not None:
            vary = f"{existing}, {vary}"
        self["vary"] = vary


class State:
    """An object whose attributes live in a dict (``request.state``, ``app.state``)."""

    _state: dict[str, Any]

    def __init__(self, state: dict[str, Any] | None = None):
        if state is None:
            state = {}
        super().__setattr__("_state", state)

    def __setattr__(self, key: Any, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: Any) -> Any:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'{self.__class__.__name__}' object has no attribute '{key}'") from None

    def __delattr__(self, key: Any) -> None:
        del self._state[key]

    # Also a mapping of its attributes (as upstream 0.52): state["key"], len(state), iteration over the names.
    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)
