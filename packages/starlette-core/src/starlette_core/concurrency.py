"""Helpers that move blocking work to anyio's worker threads (``starlette.concurrency``)."""

from __future__ import annotations

import functools
import sys
import warnings  # noqa: F401  (upstream's module has the name; its warnings go through warn_as_module)
from collections.abc import AsyncIterator, Iterable, Iterator
from collections.abc import Coroutine as Coroutine  # upstream's module has the name
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from starlette_core._utils import LazyImports, warn_as_module
from starlette_core.exceptions import StarletteDeprecationWarning

if sys.version_info >= (3, 10):  # pragma: no cover
    from typing import ParamSpec as ParamSpec
else:  # pragma: no cover
    from typing_extensions import ParamSpec as ParamSpec

P = ParamSpec("P")
T = TypeVar("T")

# The module upstream's warnings from this code name (see warn_as_module).
_UPSTREAM_MODULE = "starlette.concurrency"

__all__ = ["iterate_in_threadpool", "run_in_threadpool", "run_until_first_complete"]

# anyio (and its thread pool) is imported by the first call that needs it (see LazyImports).
_lazy = LazyImports(globals(), {"anyio": "anyio.to_thread"})
if TYPE_CHECKING:
    import anyio.to_thread
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


async def run_until_first_complete(*args: tuple[Callable, dict]) -> None:  # type: ignore[type-arg]
    """Run every ``(async_func, kwargs)`` pair concurrently; cancel the others as soon as one returns.

    Deprecated, as in upstream Starlette.
    """
    warn_as_module(
        _UPSTREAM_MODULE,
        "run_until_first_complete is deprecated and will be removed in a future version.",
        StarletteDeprecationWarning,  # as upstream 1.x (a DeprecationWarning too, as 0.47.3's was)
    )
    _lazy.load("anyio")
    async with anyio.create_task_group() as task_group:

        async def run(func: Callable[[], Any]) -> None:
            await func()
            task_group.cancel_scope.cancel()

        for func, kwargs in args:
            task_group.start_soon(run, functools.partial(func, **kwargs))


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call the blocking ``func(*args, **kwargs)`` in a worker thread and return its result."""
    _lazy.load("anyio")
    if kwargs:
        # anyio's run_sync takes positional arguments only.
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await anyio.to_thread.run_sync(func, *args)


class _StopIteration(Exception):
    """Carries the end of a sync iterator out of a worker thread (StopIteration cannot cross a coroutine)."""


def _next(iterator: Iterator[T]) -> T:
    try:
        return next(iterator)
    except StopIteration:
        raise _StopIteration from None


async def iterate_in_threadpool(iterator: Iterable[T]) -> AsyncIterator[T]:
    """Iterate a blocking (sync) iterable, fetching each item in a worker thread."""
    _lazy.load("anyio")
    as_iterator = iter(iterator)
    while True:
        try:
            yield await anyio.to_thread.run_sync(_next, as_iterator)
        except _StopIteration:
            break
