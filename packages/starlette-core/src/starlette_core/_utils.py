"""Small internal helpers shared by every package (``starlette._utils``)."""

from __future__ import annotations

import functools
import importlib
import re
import sys
from collections.abc import AsyncGenerator, Awaitable, Generator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, Callable, Generic, Protocol, TypeVar, overload

from starlette_core.types import Scope

if sys.version_info >= (3, 10):  # pragma: no cover
    from typing import TypeGuard
else:  # pragma: no cover
    from typing_extensions import TypeGuard

has_exceptiongroups = True
if sys.version_info < (3, 11):  # pragma: no cover
    try:
        from exceptiongroup import BaseExceptionGroup  # type: ignore[unused-ignore,import-not-found]
    except ImportError:
        has_exceptiongroups = False

T = TypeVar("T")
AwaitableCallable = Callable[..., Awaitable[T]]


@overload
def is_async_callable(obj: AwaitableCallable[T]) -> TypeGuard[AwaitableCallable[T]]: ...


@overload
def is_async_callable(obj: Any) -> TypeGuard[AwaitableCallable[Any]]: ...


def is_async_callable(obj: Any) -> Any:
    """True for ``async def`` functions, partials of them, and objects whose ``__call__`` is ``async def``; also
    for what is marked as a coroutine function (``unittest.mock.AsyncMock``, ``create_autospec`` of an ``async
    def``), on every Python version."""
    _lazy.load("iscoroutinefunction")
    while isinstance(obj, functools.partial):
        obj = obj.func
    return _marked_async(obj) or (callable(obj) and _marked_async(obj.__call__))


def _marked_async(obj: Any) -> bool:
    if iscoroutinefunction(obj):
        return True
    # Before 3.13 (3.12 for AsyncMock), unittest.mock marks its async mocks with asyncio's marker, which only
    # asyncio.iscoroutinefunction reads (upstream's check below 3.13). The marker is asyncio's own object: nothing
    # carries it unless asyncio is imported, so this does not import asyncio.
    coroutines = sys.modules.get("asyncio.coroutines")
    marker = getattr(coroutines, "_is_coroutine", None)
    return marker is not None and getattr(obj, "_is_coroutine", None) is marker


T_co = TypeVar("T_co", covariant=True)


class AwaitableOrContextManager(Awaitable[T_co], AbstractAsyncContextManager[T_co], Protocol[T_co]):
    """Something that can be awaited or used as ``async with`` (e.g. ``websocket_connect``-style helpers)."""


class SupportsAsyncClose(Protocol):
    async def close(self) -> None: ...  # pragma: no cover


SupportsAsyncCloseType = TypeVar("SupportsAsyncCloseType", bound=SupportsAsyncClose, covariant=False)


class AwaitableOrContextManagerWrapper(Generic[SupportsAsyncCloseType]):
    """Wraps an awaitable so that it can also be used as ``async with``, closing the result on exit."""

    __slots__ = ("aw", "entered")

    def __init__(self, aw: Awaitable[SupportsAsyncCloseType]) -> None:
        self.aw = aw

    def __await__(self) -> Generator[Any, None, SupportsAsyncCloseType]:
        return self.aw.__await__()

    async def __aenter__(self) -> SupportsAsyncCloseType:
        self.entered = await self.aw
        return self.entered

    async def __aexit__(self, *args: Any) -> bool | None:
        await self.entered.close()
        return None


@contextmanager
def collapse_excgroups() -> Generator[None, None, None]:
    """Re-raise the single exception inside (possibly nested) one-exception groups instead of the group."""
    try:
        yield
    except BaseException as exc:
        if has_exceptiongroups:  # pragma: no branch
            while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                exc = exc.exceptions[0]
        raise exc


def is_group_of(exc: BaseException, cls: type[BaseException]) -> bool:
    """True when ``exc`` is an exception group (what task groups raise) holding nothing but ``cls`` exceptions,
    in nested groups too."""
    if not has_exceptiongroups or not isinstance(exc, BaseExceptionGroup):
        return False
    return exc.split(cls)[1] is None


def present_module_as(name: str, module: ModuleType) -> None:
    """Make ``module`` the module named ``name`` too (the meta-package's ``starlette.*`` paths are the distributions'
    modules themselves), and have the classes and functions it defines say they are from there, as upstream's are
    (``starlette.exceptions.HTTPException``, not ``starlette_core.exceptions.HTTPException``): tracebacks, reprs,
    and tools that know a class by its full name (error trackers' ignore lists and grouping) see upstream's names.
    Pickles by reference still load: ``name`` is in ``sys.modules`` with those objects. Without the meta-package
    nothing calls this and the distributions' own names stay.
    """
    sys.modules[name] = module
    present_definitions_as(name, module)


def present_definitions_as(name: str, module: ModuleType) -> None:
    """Have the classes and functions ``module`` defines say they are from the module named ``name``, which must
    have them under the same names (see present_module_as)."""
    own_name = module.__name__
    for value in list(vars(module).values()):
        if isinstance(value, (type, FunctionType)) and value.__module__ == own_name:
            value.__module__ = name


def warn_as_module(module: str, message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category, stacklevel=1)`` from the caller's line, attributed to the module named
    ``module``: the ``starlette.*`` name upstream's code has (``"starlette.routing"``), where ours runs under its
    distribution's name (``starlette_routing.routing``). Filters by module (``-W
    ignore::DeprecationWarning:starlette.routing``, pytest's ``filterwarnings``) then match as they do upstream.
    The file, line and once-per-location registry are the caller's, as ``warnings.warn`` takes them."""
    import warnings

    frame = sys._getframe(1)
    module_globals = frame.f_globals
    registry = module_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(
        message, category, frame.f_code.co_filename, frame.f_lineno, module, registry, module_globals
    )


@asynccontextmanager
async def create_collapsing_task_group() -> AsyncGenerator[anyio.abc.TaskGroup, None]:
    """``anyio.create_task_group()``, but a failure of exactly one task is raised as itself rather than inside an
    exception group (its cause and context kept); several failures still raise the group. (As upstream 1.x's helper
    of the same name, which code around Starlette imports.)"""
    import anyio

    try:
        async with anyio.create_task_group() as task_group:
            yield task_group
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        error = group.exceptions[0]
        raise error from error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def _parsed_host_class() -> Any:
    # ParsedHost, made when first used: dataclasses imports inspect, which a cheap import leaves out.
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class ParsedHost:
        """A ``Host`` header split by ``parse_host_header``: ``host`` keeps the brackets of an IP literal; ``port``
        is the digits as written, or None."""

        host: str
        port: str | None

    ParsedHost.__qualname__ = "ParsedHost"
    return ParsedHost


# host[:port]: a bracketed IP literal (IPv6, or IPvFuture "v1.x") or a name of RFC 3986's reg-name characters
# (unreserved, sub-delims and "%"); the port is ASCII digits.
_HOST_HEADER = re.compile(
    r"(?P<host>\[(?:(?P<ipv6>[0-9A-Fa-f:.]+)|v[0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\]"
    r"|[A-Za-z0-9._~!$&'()*+,;=%-]+)"
    r"(?::(?P<port>[0-9]+))?"
)


def parse_host_header(host_header: str | None) -> ParsedHost | None:
    """A ``Host`` header's host and port, or None when there is none or it is not a plain ``host[:port]`` (as
    upstream 1.x's helper of the same name)."""
    if host_header is None:
        return None
    match = _HOST_HEADER.fullmatch(host_header)
    if match is None:
        return None
    ipv6 = match["ipv6"]
    if ipv6 is not None:
        import ipaddress

        try:
            ipaddress.IPv6Address(ipv6)
        except ValueError:
            return None
    return _lazy.load("ParsedHost")(match["host"], match["port"])  # type: ignore[no-any-return]


def get_route_path(scope: Scope) -> str:
    """The request path relative to ``scope["root_path"]`` (the mount point), for routing."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path:
        return path
    if not path.startswith(root_path):
        # The server did not include root_path in path: path is already relative.
        return path
    if len(path) == len(root_path):
        return ""
    if path[len(root_path)] == "/":
        return path[len(root_path) :]
    # "/apiv2" under root_path "/api": not a prefix on a segment boundary.
    return path


class LazyImports:
    """The names a module binds to things it imports on first use rather than with the module.

    Upstream's modules import these at their top, so they are module attributes there
    (``starlette.responses.guess_type``) that code imports or patches
    (``mock.patch("starlette.formparsers.SpooledTemporaryFile", ...)``). Ours imports them when first needed,
    because they are costly or optional, but they are the module's names all the same: ``module.name`` resolves
    (the module's ``__getattr__``, ``module_getattr``, imports it and keeps it in the module's globals), and the code
    that uses one reads it from the module's globals when it runs (``load``), so a patched value is what runs.

    ``sources`` maps each name to where it comes from:

    - ``"package.module"``: that module; for the name of its top package (``anyio`` from ``"anyio.to_thread"``),
      the top package, once the module is imported (what ``import anyio.to_thread`` binds);
    - ``"package.module:attribute"``: an attribute of that module;
    - a callable: what it returns (None for an optional package that is not installed, which is not kept, so that
      it is looked for again next time).
    """

    __slots__ = ("_module", "_namespace", "_sources")

    def __init__(self, namespace: dict[str, Any], sources: Mapping[str, str | Callable[[], Any]]) -> None:
        self._namespace = namespace
        self._module: str = namespace["__name__"]
        self._sources = dict(sources)

    def load(self, name: str) -> Any:
        """The module's global ``name``: its value (patched or not) if it has one, else imported now and kept."""
        try:
            return self._namespace[name]
        except KeyError:
            pass
        source = self._sources[name]
        if callable(source):
            value = source()
        else:
            module_name, _, attribute = source.partition(":")
            module = importlib.import_module(module_name)
            top = module_name.partition(".")[0]
            value = getattr(module, attribute) if attribute else sys.modules[top] if name == top else module
        if value is None:
            return None
        return self._namespace.setdefault(name, value)

    def module_getattr(self, name: str) -> Any:
        """The module's ``__getattr__``: called for names its globals do not have."""
        if name not in self._sources:
            raise AttributeError(f"module {self._module!r} has no attribute {name!r}")
        return self.load(name)

    def module_dir(self) -> list[str]:
        """The module's ``__dir__``: its globals and the names it imports on first use."""
        return sorted({*self._namespace, *self._sources})


def typing_name(name: str) -> Any:
    """``typing.<name>``, or ``typing_extensions.<name>`` on the Pythons whose ``typing`` does not have it yet (a
    LazyImports source for upstream's names of that kind: typing_extensions is slow to import).
    """
    import typing

    try:
        return getattr(typing, name)
    except AttributeError:
        return getattr(importlib.import_module("typing_extensions"), name)


# Upstream's names for what this module imports on first use (see LazyImports). inspect pulls in ast, dis,
# tokenize...: it is only needed when apps are put together.
_lazy = LazyImports(
    globals(),
    {
        "iscoroutinefunction": "inspect:iscoroutinefunction",
        "TypeIs": functools.partial(typing_name, "TypeIs"),
        "ParsedHost": _parsed_host_class,
    },
)
if TYPE_CHECKING:
    from dataclasses import dataclass
    from inspect import iscoroutinefunction

    import anyio.abc
    from typing_extensions import TypeIs as TypeIs

    @dataclass(frozen=True)
    class ParsedHost:
        host: str
        port: str | None
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir
