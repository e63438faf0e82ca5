"""Patch parity: every module-level name of upstream's ``starlette.*`` modules is there on ours, and where upstream
reaches something through such a name while it serves a request (or builds an app), patching the name on
``starlette.X`` changes what ours does.

``upstream-namespaces-0.47.3.json`` (written by ``scripts/gen-upstream-namespaces`` from upstream 0.47.3 with its
``full`` extra) lists, per module, every name of ``dir(module)`` and what it is. Code and test suites import and
patch these names (FastAPI's suite patches ``starlette.responses.json.dumps``; upload tests patch
``starlette.formparsers.SpooledTemporaryFile``).

``CALLED_THROUGH`` lists the names upstream calls (or reads) through its module's globals at request time, or
when an app is put together: the standard-library and third-party functions and modules, and the helpers and
classes one module takes from another (``run_in_threadpool``, ``wrap_app_handling_exceptions``,
``MultiPartParser`` in ``starlette.requests``...). Each has a test below, marked ``@observes(module, name)``, that
patches it on ``starlette.X`` and sees ours use the patched value. Left out: names upstream only uses for typing,
plumbing that nobody patches (``warnings``, ``sys``, ``re``, ``functools``, ``typing.cast``...) and a module's
use of its own classes. ``NOT_CALLED_THROUGH`` lists the few names that are there but that ours does not go through
(README, "Differences from upstream"), each with a test that says so.
"""

from __future__ import annotations

import datetime as datetime_module
import importlib
import inspect
import json
import os
import types
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from unittest import mock

import anyio
import itsdangerous
import pytest
import python_multipart

import starlette
import starlette._exception_handler
import starlette._utils
import starlette.applications
import starlette.background
import starlette.concurrency
import starlette.convertors
import starlette.datastructures
import starlette.endpoints
import starlette.formparsers
import starlette.middleware
import starlette.middleware.base
import starlette.middleware.errors
import starlette.middleware.exceptions
import starlette.middleware.gzip
import starlette.middleware.sessions
import starlette.requests
import starlette.responses
import starlette.routing
import starlette.schemas
import starlette.staticfiles
import starlette.templating
import starlette.testclient
import starlette.websockets
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import Headers, UploadFile
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, Router, WebSocketRoute
from starlette.schemas import OpenAPIResponse, SchemaGenerator
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

DATA = Path(__file__).with_name("upstream-namespaces-0.47.3.json")
UPSTREAM: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
MODULES: dict[str, dict[str, dict[str, str]]] = UPSTREAM["modules"]

CALLED_THROUGH: dict[str, list[str]] = {
    "starlette._exception_handler": ["run_in_threadpool"],
    "starlette._utils": ["iscoroutinefunction"],
    "starlette.applications": ["BaseHTTPMiddleware"],
    "starlette.background": ["run_in_threadpool"],
    "starlette.concurrency": ["anyio"],
    "starlette.convertors": ["uuid"],
    "starlette.datastructures": ["run_in_threadpool"],
    "starlette.endpoints": ["json", "run_in_threadpool"],
    "starlette.formparsers": ["SpooledTemporaryFile", "multipart", "parse_options_header"],
    "starlette.middleware.base": ["_CachedRequest", "anyio"],
    "starlette.middleware.errors": ["html", "inspect", "run_in_threadpool"],
    "starlette.middleware.exceptions": ["wrap_app_handling_exceptions"],
    "starlette.middleware.sessions": ["BadSignature", "b64decode", "b64encode", "itsdangerous", "json"],
    "starlette.requests": [
        "FormParser",
        "MultiPartException",
        "MultiPartParser",
        "anyio",
        "json",
        "parse_options_header",
    ],
    "starlette.responses": [
        "anyio",
        "datetime",
        "format_datetime",
        "formatdate",
        "guess_type",
        "hashlib",
        "http",
        "iterate_in_threadpool",
        "json",
        "token_hex",
    ],
    "starlette.routing": ["inspect", "run_in_threadpool", "wrap_app_handling_exceptions"],
    "starlette.schemas": ["yaml"],
    "starlette.staticfiles": ["FileResponse", "anyio", "os", "parsedate"],
    "starlette.templating": ["jinja2", "pass_context"],
    "starlette.websockets": ["json"],
}

# (module, name) -> what ours does instead; README's "Differences from upstream" has the same.
NOT_CALLED_THROUGH: dict[tuple[str, str], str] = {
    ("starlette.formparsers", "unquote_plus"): "urlencoded bodies are split and decoded by ours (any charset)",
    ("starlette.requests", "http_cookies"): "cookie headers are parsed by ours (cookie_parser)",
    ("starlette.middleware.gzip", "gzip"): "responses are compressed with zlib directly",
    ("starlette.middleware.gzip", "io"): "responses are compressed with zlib directly",
}

OBSERVED: set[tuple[str, str]] = set()


def observes(module: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Marks a test as the one that patches ``module.name`` and sees ours go through it."""

    def register(test: Callable[..., Any]) -> Callable[..., Any]:
        OBSERVED.add((module, name))
        return test

    return register


class Recording:
    """Stands for a module (or a namespace of one): hands out the real attributes and records which were read."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.read: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.read.append(name)
        return getattr(self._target, name)


class Spy:
    """Stands for a function: calls the real one and records the calls."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return self.func(*args, **kwargs)


def import_quietly(name: str) -> types.ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # starlette.middleware.wsgi warns, as upstream's
        return importlib.import_module(name)


def upstream_name(module: str, name: str) -> Any:
    """``module.name`` (type checkers see only the public names of ``starlette.*``: its ``__all__``)."""
    return getattr(import_quietly(module), name)


# --- the data -----------------------------------------------------------------------------------------------------


def test_the_data_is_upstream_0_47_3s_whole_namespace() -> None:
    assert UPSTREAM["starlette"] == "0.47.3"
    # Written with the optional packages that add names (jinja2's pass_context in starlette.templating).
    assert all(UPSTREAM["optional_dependencies"].values())
    assert len(MODULES) == 34
    assert sum(map(len, MODULES.values())) > 750
    for module, name in [
        ("starlette.middleware", "_MiddlewareFactory"),
        ("starlette.middleware.base", "_CachedRequest"),
        ("starlette.formparsers", "SpooledTemporaryFile"),
        ("starlette.formparsers", "multipart"),
        ("starlette.responses", "guess_type"),
        ("starlette.responses", "formatdate"),
        ("starlette.responses", "hashlib"),
        ("starlette.routing", "wrap_app_handling_exceptions"),
        ("starlette.middleware.sessions", "itsdangerous"),
        ("starlette.templating", "pass_context"),
    ]:
        assert name in MODULES[module], (module, name)


def test_the_lists_of_names_called_through_are_upstream_names() -> None:
    listed = {(module, name) for module, names in CALLED_THROUGH.items() for name in names}
    unknown = sorted(f"{m}.{n}" for m, n in listed | NOT_CALLED_THROUGH.keys() if n not in MODULES.get(m, {}))
    assert unknown == []
    assert not listed & NOT_CALLED_THROUGH.keys()


def test_every_name_called_through_has_a_test() -> None:
    listed = {(module, name) for module, names in CALLED_THROUGH.items() for name in names}
    assert sorted(listed - OBSERVED) == []
    assert sorted(OBSERVED - listed) == []


# --- every name is there ------------------------------------------------------------------------------------------


def test_every_upstream_module_level_name_resolves() -> None:
    missing = [
        f"{module}.{name}"
        for module, names in MODULES.items()
        for name in names
        if not hasattr(import_quietly(module), name)
    ]
    assert missing == [], f"{len(missing)} names of upstream's modules are missing on ours:\n" + "\n".join(missing)


def test_every_upstream_module_level_name_is_listed_by_dir() -> None:
    unlisted = [
        f"{module}.{name}"
        for module, names in MODULES.items()
        for name in set(names) - set(dir(import_quietly(module)))
    ]
    assert sorted(unlisted) == []


def describe(value: Any) -> dict[str, str]:
    """What the generator records for a value (scripts/gen-upstream-namespaces)."""
    if isinstance(value, types.ModuleType):
        return {"kind": "module", "module": value.__name__}
    if inspect.isclass(value):
        return {"kind": "class", "module": value.__module__}
    if inspect.isroutine(value):
        return {"kind": "function", "module": getattr(value, "__module__", None) or type(value).__module__}
    kind = type(value)
    return {"kind": "other", "type": f"{kind.__module__}.{kind.__qualname__}"}


# (module, name) -> why ours is another kind of thing, or from another module, than upstream's.
KNOWN_KIND_DIFFERENCES = {
    ("starlette._utils", "iscoroutinefunction"): "inspect's (asyncio's is deprecated, and asyncio slow to import)",
}


TYPING_MODULES = frozenset({"typing", "typing_extensions", "collections.abc", "_collections_abc", "types", "abc"})


def is_typing(described: dict[str, str]) -> bool:
    """Whether a value described as the generator does comes from the typing machinery."""
    module = described.get("module") or described["type"].rpartition(".")[0]
    return module in TYPING_MODULES


def is_ours(module: str) -> bool:
    return module == "starlette" or module.startswith("starlette.")


def same_kind(value: Any, upstream: dict[str, str]) -> bool:
    """Whether ``value`` is what ``upstream`` describes; for a thing of upstream's ``starlette.X``, whether it is
    the one ours has under the same name in ``starlette.X`` (ours are defined in the distributions' modules).
    """
    ours = describe(value)
    if is_typing(upstream) and is_typing(ours):
        return True  # typing's constructs are classes, aliases or special forms depending on the Python
    if ours["kind"] != upstream["kind"]:
        return False
    if upstream["kind"] == "other":
        type_module, _, type_name = upstream["type"].rpartition(".")
        if is_ours(type_module):
            return type(value) is getattr(import_quietly(type_module), type_name)
        return ours == upstream
    if not is_ours(upstream["module"]):
        # The same, or found under its name in upstream's module (``pathlib.Path`` lives in ``pathlib._local`` on
        # Python 3.13).
        home = importlib.import_module(upstream["module"])
        return ours == upstream or getattr(home, getattr(value, "__name__", ""), None) is value
    home = import_quietly(upstream["module"])
    return value is home if upstream["kind"] == "module" else getattr(home, value.__name__, None) is value


def test_every_name_is_the_same_kind_of_thing_as_upstreams() -> None:
    different = []
    for module, names in MODULES.items():
        namespace = import_quietly(module)
        for name, upstream in names.items():
            value = getattr(namespace, name)
            if (module, name) not in KNOWN_KIND_DIFFERENCES and not same_kind(value, upstream):
                different.append(f"{module}.{name}: upstream {upstream}, ours {describe(value)}")
    assert different == []


def test_known_kind_differences_are_differences() -> None:
    for module, name in KNOWN_KIND_DIFFERENCES:
        assert describe(getattr(import_quietly(module), name)) != MODULES[module][name], (module, name)


def test_imported_names_are_the_objects_they_name() -> None:
    assert upstream_name("starlette.responses", "guess_type") is importlib.import_module("mimetypes").guess_type
    assert upstream_name("starlette.formparsers", "multipart") is python_multipart
    assert (
        upstream_name("starlette.formparsers", "parse_options_header")
        is python_multipart.multipart.parse_options_header
    )
    assert (
        upstream_name("starlette.requests", "parse_options_header") is python_multipart.multipart.parse_options_header
    )
    assert upstream_name("starlette.middleware.sessions", "itsdangerous") is itsdangerous
    assert upstream_name("starlette.middleware.sessions", "BadSignature") is itsdangerous.BadSignature
    assert upstream_name("starlette.routing", "wrap_app_handling_exceptions") is (
        starlette._exception_handler.wrap_app_handling_exceptions
    )
    factory = upstream_name("starlette.middleware", "_MiddlewareFactory")
    assert factory is importlib.import_module("starlette_middleware")._MiddlewareFactory
    assert (
        upstream_name("starlette.responses", "anyio") is anyio
        and upstream_name("starlette.concurrency", "anyio") is anyio
    )
    assert upstream_name("starlette.requests", "http_cookies") is importlib.import_module("http.cookies")
    assert upstream_name("starlette.responses", "http") is importlib.import_module("http")
    assert upstream_name("starlette.responses", "_RANGE_PATTERN").fullmatch("0-499") is not None


def test_a_name_upstream_does_not_have_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'starlette_core\.responses' has no attribute 'nope'$"):
        upstream_name("starlette.responses", "nope")


def test_names_imported_on_first_use_stay_out_of_a_cheap_import() -> None:
    import subprocess
    import sys

    heavy = ["anyio", "asyncio", "python_multipart", "tempfile", "email.utils", "mimetypes", "hashlib", "secrets"]
    heavy += ["itsdangerous", "jinja2", "yaml", "uuid"]
    # Before 3.11, starlette._utils imports exceptiongroup's BaseExceptionGroup at module level (as upstream's does),
    # and the backport imports typing_extensions and inspect; on 3.9 typing_extensions also gives ParamSpec.
    if sys.version_info >= (3, 11):
        heavy += ["inspect", "typing_extensions"]
    code = (
        "import sys, starlette.applications, starlette.responses, starlette.requests, starlette.concurrency; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_patching_a_name_imported_on_first_use_and_undoing_it() -> None:
    real = upstream_name("starlette.responses", "formatdate")
    with mock.patch("starlette.responses.formatdate", return_value="patched"):
        assert upstream_name("starlette.responses", "formatdate")() == "patched"
    assert upstream_name("starlette.responses", "formatdate") is real
    # Deleted from the module's globals, it is imported again.
    delattr(starlette.responses, "formatdate")
    assert upstream_name("starlette.responses", "formatdate") is real


def test_a_missing_optional_package_is_none_and_looked_for_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delattr(starlette.schemas, "yaml", raising=False)
    monkeypatch.setitem(sys.modules, "yaml", None)
    assert upstream_name("starlette.schemas", "yaml") is None
    monkeypatch.delitem(sys.modules, "yaml")
    assert upstream_name("starlette.schemas", "yaml") is importlib.import_module("yaml")


def test_pass_context_is_only_there_with_jinja2(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for name in ("jinja2", "pass_context"):
        monkeypatch.delattr(starlette.templating, name, raising=False)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    assert upstream_name("starlette.templating", "jinja2") is None
    assert not hasattr(starlette.templating, "pass_context")


def test_typing_names_come_from_typing_extensions_where_typing_lacks_them() -> None:
    import typing

    import typing_extensions

    assert starlette._utils.typing_name("Any") is typing.Any
    assert starlette._utils.typing_name("ReadOnly") is typing_extensions.ReadOnly  # typing has it from 3.13 on
    assert upstream_name("starlette.testclient", "Self") is starlette._utils.typing_name("Self")


# --- starlette.responses ------------------------------------------------------------------------------------------


@observes("starlette.responses", "json")
def test_json_response_renders_with_a_patched_json_dumps() -> None:
    with mock.patch("starlette.responses.json.dumps", wraps=json.dumps) as dumps:
        response = JSONResponse({"name": "widget", "price": 9.99, "é": None})
    dumps.assert_called_once_with(
        {"name": "widget", "price": 9.99, "é": None},
        ensure_ascii=False,
        allow_nan=False,
        indent=None,
        separators=(",", ":"),
    )
    assert response.body == '{"name":"widget","price":9.99,"é":null}'.encode()
    assert JSONResponse({"name": "widget", "price": 9.99, "é": None}).body == response.body


def test_json_response_renders_with_a_patched_json_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("starlette.responses.json", types.SimpleNamespace(dumps=lambda content, **options: "<x>"))
    assert JSONResponse({"a": 1}).body == b"<x>"


@observes("starlette.responses", "guess_type")
def test_file_response_guesses_its_media_type_with_a_patched_guess_type(monkeypatch: pytest.MonkeyPatch) -> None:
    guess_type = Spy(lambda path: ("application/x-patched", None))
    monkeypatch.setattr("starlette.responses.guess_type", guess_type)
    response = FileResponse("report.txt")
    assert response.media_type == "application/x-patched"
    assert response.headers["content-type"] == "application/x-patched"
    assert guess_type.calls == [(("report.txt",), {})]


@observes("starlette.responses", "formatdate")
@observes("starlette.responses", "hashlib")
def test_file_response_stat_headers_with_patched_formatdate_and_hashlib(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Digest:
        def hexdigest(self) -> str:
            return "cafe"

    monkeypatch.setattr("starlette.responses.formatdate", lambda mtime, usegmt: f"mtime {mtime:.0f} {usegmt}")
    monkeypatch.setattr("starlette.responses.hashlib", types.SimpleNamespace(md5=lambda data, **options: Digest()))
    path = tmp_path / "file.txt"
    path.write_bytes(b"hello")
    os.utime(path, (1_000_000, 1_000_000))
    response = FileResponse(path, stat_result=os.stat(path))
    assert response.headers["last-modified"] == "mtime 1000000 True"
    assert response.headers["etag"] == '"cafe"'


@observes("starlette.responses", "anyio")
def test_file_response_reaches_anyio_through_the_module(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, test_client_factory: Callable[..., Any]
) -> None:
    recording = Recording(anyio)
    monkeypatch.setattr("starlette.responses.anyio", recording)
    path = tmp_path / "file.txt"
    path.write_bytes(b"0123456789")
    client = test_client_factory(FileResponse(path))
    assert client.get("/").content == b"0123456789"
    assert client.get("/", headers={"Range": "bytes=2-4"}).content == b"234"
    assert recording.read.count("to_thread") == 2  # os.stat for each response, in a worker thread
    assert recording.read.count("open_file") == 2


@observes("starlette.responses", "token_hex")
def test_multipart_ranges_take_their_boundary_from_a_patched_token_hex(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, test_client_factory: Callable[..., Any]
) -> None:
    monkeypatch.setattr("starlette.responses.token_hex", lambda size: f"boundary{size}")
    path = tmp_path / "file.txt"
    path.write_bytes(b"0123456789")
    response = test_client_factory(FileResponse(path, media_type="text/plain")).get(
        "/", headers={"Range": "bytes=0-1,5-6"}
    )
    assert response.status_code == 206
    assert response.headers["content-type"] == "multipart/byteranges; boundary=boundary13"
    assert response.content.startswith(b"--boundary13\r\n")


@observes("starlette.responses", "datetime")
@observes("starlette.responses", "format_datetime")
def test_set_cookie_formats_expires_with_the_module_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("starlette.responses.format_datetime", lambda value, usegmt: f"formatted {value} {usegmt}")
    response = Response()
    response.set_cookie("a", "b", expires=datetime_module.datetime(2030, 1, 2, tzinfo=datetime_module.timezone.utc))
    assert "expires=formatted 2030-01-02 00:00:00+00:00 True" in response.headers["set-cookie"]
    # What counts as a datetime is the module's ``datetime``, as upstream's isinstance check.
    monkeypatch.setattr("starlette.responses.datetime", int)
    response = Response()
    response.set_cookie("a", "b", expires=7)
    assert "expires=formatted 7 True" in response.headers["set-cookie"]


@observes("starlette.responses", "http")
def test_set_cookie_builds_the_cookie_with_the_module_http(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.cookies

    class Cookie(http.cookies.SimpleCookie):
        built = 0

        def __init__(self) -> None:
            super().__init__()
            Cookie.built += 1

    monkeypatch.setattr(
        "starlette.responses.http", types.SimpleNamespace(cookies=types.SimpleNamespace(SimpleCookie=Cookie))
    )
    Response().set_cookie("a", "b")
    assert Cookie.built == 1


@observes("starlette.responses", "iterate_in_threadpool")
def test_streaming_a_sync_iterator_goes_through_the_module_iterate_in_threadpool(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    iterate = Spy(starlette.concurrency.iterate_in_threadpool)
    monkeypatch.setattr("starlette.responses.iterate_in_threadpool", iterate)
    response = StreamingResponse(iter([b"a", b"b"]))
    assert len(iterate.calls) == 1
    assert test_client_factory(response).get("/").content == b"ab"


# --- starlette.requests -------------------------------------------------------------------------------------------


def form_scope(content_type: bytes) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type)],
        "app": None,
    }


def receiving(body: bytes) -> Receive:
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


MULTIPART = b"multipart/form-data; boundary=B"
MULTIPART_BODY = (
    b'--B\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
    b'--B\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nfile data\r\n--B--\r\n"
)
URLENCODED = b"application/x-www-form-urlencoded"


@observes("starlette.requests", "FormParser")
@observes("starlette.requests", "MultiPartParser")
@pytest.mark.anyio
async def test_request_form_builds_the_parsers_named_by_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    class MyFormParser(FormParser):
        def __init__(self, headers: Headers, stream: Any) -> None:
            super().__init__(headers, stream)
            built.append("urlencoded")

    class MyMultiPartParser(MultiPartParser):
        def __init__(self, headers: Headers, stream: Any, **limits: Any) -> None:
            super().__init__(headers, stream, **limits)
            built.append(f"multipart {sorted(limits)}")

    monkeypatch.setattr("starlette.requests.FormParser", MyFormParser)
    monkeypatch.setattr("starlette.requests.MultiPartParser", MyMultiPartParser)
    form = await Request(form_scope(URLENCODED), receiving(b"a=1")).form()
    assert form["a"] == "1"
    async with Request(form_scope(MULTIPART), receiving(MULTIPART_BODY)).form() as form:
        assert form["field"] == "value"
    assert built == ["urlencoded", "multipart ['max_fields', 'max_files', 'max_part_size']"]


@observes("starlette.requests", "MultiPartException")
@pytest.mark.anyio
async def test_request_form_catches_the_module_multipart_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--B--\r\n"
    with pytest.raises(HTTPException) as info:
        await Request(form_scope(MULTIPART), receiving(body)).form()
    assert info.value.status_code == 400
    # Another class under the name: the parser's exception is no longer answered with a 400.
    monkeypatch.setattr("starlette.requests.MultiPartException", LookupError)
    with pytest.raises(MultiPartException, match="must be provided"):
        await Request(form_scope(MULTIPART), receiving(body)).form()


@observes("starlette.requests", "parse_options_header")
@pytest.mark.anyio
async def test_request_form_reads_the_content_type_with_the_module_parse_options_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parse = Spy(upstream_name("starlette.requests", "parse_options_header"))
    monkeypatch.setattr("starlette.requests.parse_options_header", parse)
    await Request(form_scope(URLENCODED), receiving(b"a=1")).form()
    assert parse.calls == [(("application/x-www-form-urlencoded",), {})]
    # None, as upstream's when python-multipart is not installed: forms cannot be parsed.
    monkeypatch.setattr("starlette.requests.parse_options_header", None)
    with pytest.raises(AssertionError, match="The `python-multipart` library must be installed"):
        await Request(form_scope(URLENCODED), receiving(b"a=1")).form()


@observes("starlette.requests", "json")
@pytest.mark.anyio
async def test_request_json_decodes_with_a_patched_json_loads() -> None:
    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    with mock.patch("starlette.requests.json.loads", wraps=json.loads) as loads:
        assert await Request(scope, receiving(b'{"a": [1, 2]}')).json() == {"a": [1, 2]}
    loads.assert_called_once_with(b'{"a": [1, 2]}')


@observes("starlette.requests", "anyio")
@pytest.mark.anyio
async def test_request_is_disconnected_uses_the_module_anyio(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(anyio)
    monkeypatch.setattr("starlette.requests.anyio", recording)
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    assert await Request(scope, receiving(b"")).is_disconnected() is False
    assert recording.read == ["CancelScope"]


# --- starlette.formparsers ----------------------------------------------------------------------------------------


def body_stream(*chunks: bytes) -> Any:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return stream()


@observes("starlette.formparsers", "multipart")
@pytest.mark.anyio
async def test_multipart_parser_runs_the_module_multipart(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(python_multipart)
    monkeypatch.setattr("starlette.formparsers.multipart", recording)
    parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(MULTIPART_BODY))
    form = await parser.parse()
    assert form["field"] == "value"
    await form.close()
    assert recording.read == ["MultipartParser"]


@pytest.mark.anyio
async def test_patching_the_parser_class_on_the_multipart_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # What upload tests do: patch an attribute of python-multipart through starlette.formparsers.multipart.
    with mock.patch("starlette.formparsers.multipart.MultipartParser", wraps=python_multipart.MultipartParser) as cls:
        parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(MULTIPART_BODY))
        form = await parser.parse()
    await form.close()
    assert cls.call_args.args[0] == b"B"


@pytest.mark.anyio
async def test_a_form_parser_hooking_events_runs_the_module_querystring_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    class Counting(FormParser):
        fields = 0

        def on_field_end(self) -> None:
            Counting.fields += 1
            super().on_field_end()

    recording = Recording(python_multipart)
    monkeypatch.setattr("starlette.formparsers.multipart", recording)
    form = await Counting(Headers({"content-type": URLENCODED.decode()}), body_stream(b"a=1&b=2")).parse()
    assert form.multi_items() == [("a", "1"), ("b", "2")]
    assert Counting.fields == 2
    assert recording.read == ["QuerystringParser"]


@pytest.mark.parametrize("parser_class", [FormParser, MultiPartParser])
def test_parsers_refuse_a_module_multipart_of_none(monkeypatch: pytest.MonkeyPatch, parser_class: Any) -> None:
    monkeypatch.setattr("starlette.formparsers.multipart", None)
    with pytest.raises(AssertionError, match="The `python-multipart` library must be installed"):
        parser_class(Headers({"content-type": URLENCODED.decode()}), body_stream())


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["namespace", "module"])
async def test_a_module_multipart_without_its_exceptions_still_parses(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    fake: Any = types.SimpleNamespace() if kind == "namespace" else types.ModuleType("fake_multipart")
    fake.MultipartParser = python_multipart.MultipartParser
    monkeypatch.setattr("starlette.formparsers.multipart", fake)
    parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(MULTIPART_BODY))
    form = await parser.parse()
    assert form["field"] == "value"
    await form.close()
    # Its parse errors are not known: they pass through, as upstream's (which never catches them).
    parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(b"--B\r\nbroken\r\n\r\n"))
    with pytest.raises(python_multipart.exceptions.MultipartParseError):
        await parser.parse()


@observes("starlette.formparsers", "parse_options_header")
@pytest.mark.anyio
async def test_parsers_read_headers_with_the_module_parse_options_header(monkeypatch: pytest.MonkeyPatch) -> None:
    parse = Spy(upstream_name("starlette.formparsers", "parse_options_header"))
    monkeypatch.setattr("starlette.formparsers.parse_options_header", parse)
    parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(MULTIPART_BODY))
    form = await parser.parse()
    await form.close()
    assert [args for args, _ in parse.calls] == [
        (MULTIPART.decode(),),
        (b'form-data; name="field"',),
        (b'form-data; name="upload"; filename="a.txt"',),
    ]
    await FormParser(Headers({"content-type": URLENCODED.decode()}), body_stream(b"a=1")).parse()
    assert parse.calls[-1] == ((URLENCODED.decode(),), {})


@observes("starlette.formparsers", "SpooledTemporaryFile")
@pytest.mark.anyio
async def test_uploads_are_spooled_to_the_module_spooled_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempfile import SpooledTemporaryFile

    class Spool(SpooledTemporaryFile):  # type: ignore[type-arg]
        pass

    monkeypatch.setattr("starlette.formparsers.SpooledTemporaryFile", Spool)
    parser = MultiPartParser(Headers({"content-type": MULTIPART.decode()}), body_stream(MULTIPART_BODY))
    form = await parser.parse()
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert isinstance(upload.file, Spool)
    assert await upload.read() == b"file data"
    await form.close()


# --- starlette.concurrency, background, datastructures, _exception_handler, _utils ---------------------------------


@observes("starlette.concurrency", "anyio")
@pytest.mark.anyio
async def test_the_thread_pool_helpers_use_the_module_anyio(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(anyio)
    monkeypatch.setattr("starlette.concurrency.anyio", recording)
    assert await starlette.concurrency.run_in_threadpool(sum, [1, 2], start=3) == 6
    assert await starlette.concurrency.run_in_threadpool(sum, [1, 2]) == 3
    assert [item async for item in starlette.concurrency.iterate_in_threadpool(iter("ab"))] == ["a", "b"]
    assert recording.read == ["to_thread"] * 5  # two calls, then two items and the end of the iterator

    async def first() -> None:
        pass

    async def second() -> None:
        await anyio.sleep_forever()

    with pytest.warns(DeprecationWarning, match="run_until_first_complete is deprecated"):
        await starlette.concurrency.run_until_first_complete((first, {}), (second, {}))
    assert recording.read[-1] == "create_task_group"


def threadpool_spy(monkeypatch: pytest.MonkeyPatch, module: str) -> Spy:
    spy = Spy(starlette.concurrency.run_in_threadpool)
    monkeypatch.setattr(f"{module}.run_in_threadpool", spy)
    return spy


@observes("starlette.background", "run_in_threadpool")
@pytest.mark.anyio
async def test_a_sync_background_task_runs_through_the_module_run_in_threadpool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = threadpool_spy(monkeypatch, "starlette.background")
    done: list[int] = []
    await BackgroundTask(done.append, 1)()
    assert done == [1]
    assert spy.calls == [((done.append, 1), {})]


@observes("starlette.datastructures", "run_in_threadpool")
@pytest.mark.anyio
async def test_an_upload_on_disk_is_read_through_the_module_run_in_threadpool(monkeypatch: pytest.MonkeyPatch) -> None:
    from tempfile import SpooledTemporaryFile

    spy = threadpool_spy(monkeypatch, "starlette.datastructures")
    upload = UploadFile(SpooledTemporaryFile(max_size=1))  # type: ignore[arg-type]  # noqa: SIM115
    await upload.write(b"rolled over")
    await upload.seek(0)
    assert await upload.read() == b"rolled over"
    await upload.close()
    assert [args[0].__name__ for args, _ in spy.calls] == ["write", "seek", "read", "close"]


async def raising_endpoint(request: Request) -> Response:
    raise HTTPException(418)


def sync_teapot_handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("a teapot", status_code=418)


@observes("starlette._exception_handler", "run_in_threadpool")
def test_a_sync_exception_handler_runs_through_the_module_run_in_threadpool(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    spy = threadpool_spy(monkeypatch, "starlette._exception_handler")
    app = Starlette(routes=[Route("/", raising_endpoint)], exception_handlers={418: sync_teapot_handler})
    assert test_client_factory(app).get("/").text == "a teapot"
    assert [args[0] for args, _ in spy.calls] == [sync_teapot_handler]


@observes("starlette._utils", "iscoroutinefunction")
def test_is_async_callable_asks_the_module_iscoroutinefunction(monkeypatch: pytest.MonkeyPatch) -> None:
    def plain() -> None:
        pass

    assert not starlette._utils.is_async_callable(plain)
    monkeypatch.setattr("starlette._utils.iscoroutinefunction", lambda obj: obj is plain)
    assert starlette._utils.is_async_callable(plain)


# --- starlette.routing, endpoints, applications, convertors, schemas, templating, staticfiles, websockets ----------


def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def async_hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def echo_session(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


@observes("starlette.routing", "wrap_app_handling_exceptions")
@observes("starlette.middleware.exceptions", "wrap_app_handling_exceptions")
def test_endpoints_and_exception_middleware_run_through_the_module_wrap_app_handling_exceptions(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    real = starlette._exception_handler.wrap_app_handling_exceptions
    wrapped: list[str] = []

    def spy(module: str) -> Callable[..., Any]:
        def wrap(app: Any, conn: Request | WebSocket) -> Any:
            wrapped.append(f"{module} {type(conn).__name__}")
            return real(app, conn)

        return wrap

    for module in ("starlette.routing", "starlette.middleware.exceptions"):
        monkeypatch.setattr(f"{module}.wrap_app_handling_exceptions", spy(module))
    app = Starlette(
        routes=[Route("/", async_hello), Route("/teapot", raising_endpoint), WebSocketRoute("/ws", echo_session)],
        exception_handlers={418: sync_teapot_handler},
    )
    client = test_client_factory(app)
    assert client.get("/").text == "hello"
    assert client.get("/teapot").text == "a teapot"
    assert client.get("/nowhere").status_code == 404
    with client.websocket_connect("/ws") as session:
        session.send_text("hi")
        assert session.receive_text() == "hi"
    assert wrapped == [
        "starlette.middleware.exceptions Request",
        "starlette.routing Request",
        "starlette.middleware.exceptions Request",
        "starlette.routing Request",
        "starlette.middleware.exceptions Request",
        "starlette.middleware.exceptions WebSocket",
        "starlette.routing WebSocket",
    ]


def test_an_unhandled_error_passes_through_a_patched_wrap_app_handling_exceptions(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    real = starlette._exception_handler.wrap_app_handling_exceptions
    monkeypatch.setattr("starlette.routing.wrap_app_handling_exceptions", Spy(real))

    async def broken(request: Request) -> Response:
        raise KeyError("boom")

    client = test_client_factory(Router([Route("/", broken)]))
    with pytest.raises(KeyError, match="boom"):
        client.get("/")


@observes("starlette.routing", "run_in_threadpool")
def test_a_sync_endpoint_runs_through_the_module_run_in_threadpool(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    spy = threadpool_spy(monkeypatch, "starlette.routing")
    # As upstream's request_response, the name is read when the route is built.
    client = test_client_factory(Router([Route("/", hello)]))
    assert client.get("/").text == "hello"
    assert [args[0] for args, _ in spy.calls] == [hello]


@observes("starlette.routing", "inspect")
def test_a_router_checks_its_lifespan_with_the_module_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(inspect)
    monkeypatch.setattr("starlette.routing.inspect", recording)

    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield

    with pytest.warns(DeprecationWarning, match="async generator function lifespans are deprecated"):
        Router(lifespan=lifespan)  # type: ignore[arg-type]
    assert "isasyncgenfunction" in recording.read
    with pytest.warns(DeprecationWarning, match="iscoroutinefunction_or_partial is deprecated"):
        assert starlette.routing.iscoroutinefunction_or_partial(async_hello)
    assert recording.read[-1] == "iscoroutinefunction"


@observes("starlette.endpoints", "run_in_threadpool")
def test_a_sync_endpoint_method_runs_through_the_module_run_in_threadpool(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    spy = threadpool_spy(monkeypatch, "starlette.endpoints")

    class Endpoint(HTTPEndpoint):
        def get(self, request: Request) -> Response:
            return PlainTextResponse("got")

    assert test_client_factory(Router([Route("/", Endpoint)])).get("/").text == "got"
    assert len(spy.calls) == 1


@observes("starlette.endpoints", "json")
@observes("starlette.websockets", "json")
def test_websocket_json_goes_through_the_modules_json(test_client_factory: Callable[..., Any]) -> None:
    class Echo(WebSocketEndpoint):
        encoding = "json"

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            await websocket.send_json({"echo": data})
            await websocket.send_json(await websocket.receive_json())

    client = test_client_factory(Router([WebSocketRoute("/", Echo)]))
    with (
        mock.patch("starlette.endpoints.json.loads", wraps=json.loads) as loads,
        mock.patch("starlette.websockets.json.dumps", wraps=json.dumps) as dumps,
    ):
        with client.websocket_connect("/") as session:
            session.send_json([1])
            assert session.receive_json() == {"echo": [1]}
            session.send_json([2])
            assert session.receive_json() == [2]
        # The endpoint's decoding, then the WebSocket's receive_json (the test client's own json calls too).
        assert ("[1]",) in [call.args for call in loads.call_args_list]
        assert ("[2]",) in [call.args for call in loads.call_args_list]
        assert ({"echo": [1]},) in [call.args for call in dumps.call_args_list]


@observes("starlette.applications", "BaseHTTPMiddleware")
def test_the_middleware_decorator_builds_the_module_base_http_middleware(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    class MyMiddleware(BaseHTTPMiddleware):
        pass

    monkeypatch.setattr("starlette.applications.BaseHTTPMiddleware", MyMiddleware)
    app = Starlette(routes=[Route("/", async_hello)])
    with pytest.warns(DeprecationWarning, match="The `middleware` decorator is deprecated"):

        @app.middleware("http")
        async def passthrough(request: Request, call_next: RequestResponseEndpoint) -> Response:
            return await call_next(request)

    assert [middleware.cls for middleware in app.user_middleware] == [MyMiddleware]  # type: ignore[comparison-overlap]
    assert test_client_factory(app).get("/").text == "hello"


@observes("starlette.convertors", "uuid")
def test_the_uuid_convertor_uses_the_module_uuid(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    recording = Recording(uuid)
    monkeypatch.setattr("starlette.convertors.uuid", recording)
    value = "12345678-1234-5678-1234-567812345678"
    assert starlette.convertors.CONVERTOR_TYPES["uuid"].convert(value) == uuid.UUID(value)
    assert recording.read == ["UUID"]


@observes("starlette.schemas", "yaml")
def test_schemas_parse_and_render_with_the_module_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    recording = Recording(yaml)
    monkeypatch.setattr("starlette.schemas.yaml", recording)

    def documented(request: Request) -> Response:
        """
        responses:
          200:
            description: fine.
        """
        return PlainTextResponse("")

    schemas = SchemaGenerator({"openapi": "3.0.0"})
    schema = schemas.get_schema([Route("/", documented)])
    assert bytes(OpenAPIResponse(schema).body).startswith(b"openapi: 3.0.0\n")
    assert recording.read == ["safe_load", "dump"]
    monkeypatch.setattr("starlette.schemas.yaml", None)
    with pytest.raises(ImportError, match="pyyaml must be installed to use OpenAPIResponse"):
        OpenAPIResponse({})


@observes("starlette.templating", "jinja2")
@observes("starlette.templating", "pass_context")
def test_templates_are_built_with_the_module_jinja2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import jinja2

    recording = Recording(jinja2)
    pass_context = Spy(jinja2.pass_context)
    monkeypatch.setattr("starlette.templating.jinja2", recording)
    monkeypatch.setattr("starlette.templating.pass_context", pass_context)
    (tmp_path / "page.html").write_text("{{ url_for('home') }}")
    templates = Jinja2Templates(directory=tmp_path)
    assert recording.read == ["FileSystemLoader", "Environment"]
    assert len(pass_context.calls) == 1
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "router": Router([])})
    with pytest.raises(starlette.routing.NoMatchFound):
        templates.TemplateResponse(request, "page.html")
    monkeypatch.setattr("starlette.templating.jinja2", None)
    with pytest.raises(ImportError, match="jinja2 must be installed to use Jinja2Templates"):
        Jinja2Templates(directory=tmp_path)


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / "file.txt").write_bytes(b"static")
    return tmp_path


@observes("starlette.staticfiles", "anyio")
@observes("starlette.staticfiles", "os")
@observes("starlette.staticfiles", "FileResponse")
def test_static_files_go_through_the_module_anyio_os_and_file_response(
    monkeypatch: pytest.MonkeyPatch, static_dir: Path, test_client_factory: Callable[..., Any]
) -> None:
    served: list[str] = []

    class MyFileResponse(FileResponse):
        def __init__(self, path: Any, **kwargs: Any) -> None:
            super().__init__(path, **kwargs)
            served.append(os.path.basename(path))

    recording_anyio = Recording(anyio)
    recording_os = Recording(os)
    monkeypatch.setattr("starlette.staticfiles.anyio", recording_anyio)
    monkeypatch.setattr("starlette.staticfiles.os", recording_os)
    monkeypatch.setattr("starlette.staticfiles.FileResponse", MyFileResponse)
    client = test_client_factory(Router([Mount("/static", StaticFiles(directory=static_dir))]))
    assert client.get("/static/file.txt").text == "static"
    assert served == ["file.txt"]
    assert recording_anyio.read == ["to_thread", "to_thread"]  # check_config's stat, then lookup_path
    assert {"stat", "path"} <= set(recording_os.read)


@observes("starlette.staticfiles", "parsedate")
def test_static_files_compare_dates_with_the_module_parsedate(
    monkeypatch: pytest.MonkeyPatch, static_dir: Path, test_client_factory: Callable[..., Any]
) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    old = "Thu, 01 Jan 1970 00:00:00 GMT"
    assert client.get("/file.txt", headers={"If-Modified-Since": old}).status_code == 200
    parsedate = Spy(lambda value: (9999, 1, 1, 0, 0, 0, 0, 1, -1) if value == old else (1970, 1, 1, 0, 0, 0, 0, 1, -1))
    monkeypatch.setattr("starlette.staticfiles.parsedate", parsedate)
    assert client.get("/file.txt", headers={"If-Modified-Since": old}).status_code == 304
    assert len(parsedate.calls) == 2


# --- starlette.middleware.* ---------------------------------------------------------------------------------------


@observes("starlette.middleware.base", "_CachedRequest")
@observes("starlette.middleware.base", "anyio")
def test_base_http_middleware_builds_the_module_cached_request(
    monkeypatch: pytest.MonkeyPatch, anyio_backend: str, test_client_factory: Callable[..., Any]
) -> None:
    from starlette_middleware.base import _CachedRequest

    assert upstream_name("starlette.middleware.base", "_CachedRequest") is _CachedRequest

    class MyRequest(_CachedRequest):
        pass

    seen: list[type] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        seen.append(type(request))
        return await call_next(request)

    recording = Recording(anyio)
    monkeypatch.setattr("starlette.middleware.base._CachedRequest", MyRequest)
    monkeypatch.setattr("starlette.middleware.base.anyio", recording)
    app = Starlette(routes=[Route("/", async_hello)], middleware=[Middleware(BaseHTTPMiddleware, dispatch=dispatch)])
    assert test_client_factory(app).get("/").text == "hello"
    assert seen == [MyRequest]
    assert issubclass(MyRequest, Request)
    # Under asyncio ours runs the app with asyncio itself (README, "Differences from upstream"); elsewhere anyio.
    expected = [] if anyio_backend == "asyncio" else ["create_memory_object_stream", "create_task_group"]
    assert sorted(set(recording.read)) == expected


@observes("starlette.middleware.errors", "html")
@observes("starlette.middleware.errors", "inspect")
@observes("starlette.middleware.errors", "run_in_threadpool")
def test_the_error_middleware_goes_through_its_module_globals(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    import html

    recording_html = Recording(html)
    recording_inspect = Recording(inspect)
    monkeypatch.setattr("starlette.middleware.errors.html", recording_html)
    monkeypatch.setattr("starlette.middleware.errors.inspect", recording_inspect)
    spy = threadpool_spy(monkeypatch, "starlette.middleware.errors")

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("<boom>")

    debug = test_client_factory(ServerErrorMiddleware(broken, debug=True), raise_server_exceptions=False)
    page = debug.get("/", headers={"Accept": "text/html"}).text
    assert "RuntimeError: &lt;boom&gt;" in page
    assert "escape" in recording_html.read
    assert recording_inspect.read == ["getinnerframes"]

    def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=500)

    handled = test_client_factory(ServerErrorMiddleware(broken, handler=handler), raise_server_exceptions=False)
    assert handled.get("/").text == "handled"
    assert [args[0] for args, _ in spy.calls] == [handler]


def test_a_patched_wrap_app_handling_exceptions_sees_a_lifespan_pass_by(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    spy = Spy(starlette._exception_handler.wrap_app_handling_exceptions)
    monkeypatch.setattr("starlette.middleware.exceptions.wrap_app_handling_exceptions", spy)
    with test_client_factory(ExceptionMiddleware(Router([]))):
        pass
    assert spy.calls == []  # as upstream's: only http and websocket go through it


@observes("starlette.middleware.sessions", "itsdangerous")
@observes("starlette.middleware.sessions", "BadSignature")
@observes("starlette.middleware.sessions", "json")
@observes("starlette.middleware.sessions", "b64encode")
@observes("starlette.middleware.sessions", "b64decode")
def test_sessions_sign_and_encode_with_the_module_globals(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    recording = Recording(itsdangerous)
    monkeypatch.setattr("starlette.middleware.sessions.itsdangerous", recording)
    b64encode = Spy(upstream_name("starlette.middleware.sessions", "b64encode"))
    b64decode = Spy(upstream_name("starlette.middleware.sessions", "b64decode"))
    monkeypatch.setattr("starlette.middleware.sessions.b64encode", b64encode)
    monkeypatch.setattr("starlette.middleware.sessions.b64decode", b64decode)

    async def count(request: Request) -> Response:
        request.session["count"] = request.session.get("count", 0) + 1
        return PlainTextResponse(str(request.session["count"]))

    app = Starlette(routes=[Route("/", count)], middleware=[Middleware(SessionMiddleware, secret_key="secret")])
    client = test_client_factory(app)
    with (
        mock.patch("starlette.middleware.sessions.json.dumps", wraps=json.dumps) as dumps,
        mock.patch("starlette.middleware.sessions.json.loads", wraps=json.loads) as loads,
    ):
        assert client.get("/").text == "1"
        assert client.get("/").text == "2"
    assert recording.read == ["TimestampSigner"]
    assert len(b64encode.calls) == 2 and len(b64decode.calls) == 1
    assert ({"count": 1},) in [call.args for call in dumps.call_args_list]
    assert loads.call_args_list[-1].args == (b'{"count": 1}',)
    # A tampered cookie raises itsdangerous' BadSignature, which the middleware catches by the module's name.
    tampered = client.cookies["session"][:-3] + "xyz"
    client.cookies.clear()
    client.cookies.set("session", tampered)
    assert client.get("/").text == "1"
    monkeypatch.setattr("starlette.middleware.sessions.BadSignature", LookupError)
    client.cookies.clear()
    client.cookies.set("session", tampered)
    with pytest.raises(itsdangerous.BadSignature):
        client.get("/")


# --- what ours does not go through (README, "Differences from upstream") ------------------------------------------


def test_names_not_called_through_are_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for module, name in NOT_CALLED_THROUGH:
        assert f"`{module}.{name}`" in readme, (module, name)
    assert "`starlette.middleware.base.anyio`" in readme


@pytest.mark.anyio
async def test_urlencoded_forms_are_decoded_without_unquote_plus(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(upstream_name("starlette.formparsers", "unquote_plus"))
    monkeypatch.setattr("starlette.formparsers.unquote_plus", spy)
    form = await FormParser(Headers({"content-type": URLENCODED.decode()}), body_stream(b"a=%41+b")).parse()
    assert form["a"] == "A b"
    assert spy.calls == []


def test_cookies_are_parsed_without_http_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    recording = Recording(upstream_name("starlette.requests", "http_cookies"))
    monkeypatch.setattr("starlette.requests.http_cookies", recording)
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", b'a="x\\"y"')]}
    assert Request(scope).cookies == {"a": 'x"y'}
    assert recording.read == []


def test_gzip_compresses_without_gzip_and_io(
    monkeypatch: pytest.MonkeyPatch, test_client_factory: Callable[..., Any]
) -> None:
    from starlette.middleware.gzip import GZipMiddleware

    recordings = {name: Recording(getattr(starlette.middleware.gzip, name)) for name in ("gzip", "io")}
    for name, recording in recordings.items():
        monkeypatch.setattr(f"starlette.middleware.gzip.{name}", recording)
    app = GZipMiddleware(PlainTextResponse("x" * 1000), minimum_size=10)
    response = test_client_factory(app).get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip" and response.text == "x" * 1000
    assert [recording.read for recording in recordings.values()] == [[], []]


def test_classes_and_functions_say_they_are_from_upstreams_module() -> None:
    # What upstream defines in starlette.X says it is from starlette.X on ours too (ours are defined in the
    # distributions' modules, which the meta-package presents under upstream's names): tracebacks, reprs and tools
    # that know a class by its full name ("starlette.exceptions.HTTPException") see the same name.
    elsewhere = [
        f"{module}.{name}: {getattr(import_quietly(module), name).__module__}"
        for module, names in MODULES.items()
        for name, upstream in names.items()
        if upstream["kind"] in ("class", "function")
        and upstream["module"] == module
        and getattr(import_quietly(module), name).__module__ != module
    ]
    assert elsewhere == []


def test_objects_under_upstreams_module_names_pickle() -> None:
    import pickle

    from starlette.datastructures import URL, Headers
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse

    assert repr(HTTPException) == "<class 'starlette.exceptions.HTTPException'>"
    error = pickle.loads(pickle.dumps(HTTPException(418, "teapot")))
    assert (type(error), error.status_code, error.detail) == (HTTPException, 418, "teapot")
    assert pickle.loads(pickle.dumps(URL("http://example.com/a?b=c"))) == URL("http://example.com/a?b=c")
    assert pickle.loads(pickle.dumps(Headers({"a": "b"}))) == Headers({"a": "b"})
    assert pickle.loads(pickle.dumps(JSONResponse)) is JSONResponse
