from __future__ import annotations

import functools
import sys
from typing import Any

import anyio
import pytest

from starlette_core._utils import (
    AwaitableOrContextManager,
    AwaitableOrContextManagerWrapper,
    SupportsAsyncClose,
    collapse_excgroups,
    get_route_path,
    has_exceptiongroups,
    is_async_callable,
)

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup


async def async_func() -> None:
    pass  # pragma: no cover


def sync_func() -> None:
    pass  # pragma: no cover


class AsyncCallable:
    async def __call__(self) -> None:
        pass  # pragma: no cover


class SyncCallable:
    def __call__(self) -> None:
        pass  # pragma: no cover


class WithAsyncMethod:
    async def method(self) -> None:
        pass  # pragma: no cover


def test_is_async_callable_functions() -> None:
    assert is_async_callable(async_func)
    assert not is_async_callable(sync_func)
    assert is_async_callable(lambda: None) is False
    assert is_async_callable(WithAsyncMethod().method)


def test_is_async_callable_callable_objects() -> None:
    assert is_async_callable(AsyncCallable())
    assert not is_async_callable(SyncCallable())
    assert not is_async_callable(SyncCallable)


def test_is_async_callable_sees_through_partials() -> None:
    assert is_async_callable(functools.partial(async_func))
    assert is_async_callable(functools.partial(functools.partial(async_func)))
    assert is_async_callable(functools.partial(AsyncCallable()))
    assert not is_async_callable(functools.partial(sync_func))
    assert not is_async_callable(functools.partial(functools.partial(SyncCallable())))


def test_is_async_callable_non_callables() -> None:
    assert not is_async_callable(None)
    assert not is_async_callable("async")
    assert not is_async_callable(42)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"path": "/users/1"}, "/users/1"),
        ({"path": "/users/1", "root_path": ""}, "/users/1"),
        ({"path": "/api/users/1", "root_path": "/api"}, "/users/1"),
        ({"path": "/api/", "root_path": "/api"}, "/"),
        ({"path": "/api", "root_path": "/api"}, ""),
        # Not on a segment boundary: "/apiv2" is not inside "/api".
        ({"path": "/apiv2/users", "root_path": "/api"}, "/apiv2/users"),
        # Servers that do not include root_path in path: the path is already relative.
        ({"path": "/users/1", "root_path": "/api"}, "/users/1"),
        ({"path": "/a/b/c", "root_path": "/a/b"}, "/c"),
    ],
)
def test_get_route_path(scope: dict[str, Any], expected: str) -> None:
    assert get_route_path(scope) == expected


def test_has_exceptiongroups() -> None:
    assert has_exceptiongroups is True


def test_collapse_excgroups_unwraps_single_exception_groups() -> None:
    error = ValueError("inner")
    with pytest.raises(ValueError, match="inner") as info, collapse_excgroups():
        raise ExceptionGroup("outer", [ExceptionGroup("middle", [error])])
    assert info.value is error


def test_collapse_excgroups_keeps_groups_of_several_exceptions() -> None:
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("several", [ValueError("a"), TypeError("b")])
    assert len(info.value.exceptions) == 2


def test_collapse_excgroups_partially_unwraps_nested_groups() -> None:
    inner = ExceptionGroup("inner", [ValueError("a"), TypeError("b")])
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("outer", [inner])
    assert info.value is inner


def test_collapse_excgroups_passes_plain_exceptions_and_base_exceptions() -> None:
    error = KeyError("plain")
    with pytest.raises(KeyError) as info, collapse_excgroups():
        raise error
    assert info.value is error
    with pytest.raises(KeyboardInterrupt), collapse_excgroups():
        raise BaseExceptionGroup("base", [KeyboardInterrupt()])


def test_collapse_excgroups_without_exception() -> None:
    with collapse_excgroups():
        result = 1 + 1
    assert result == 2


@pytest.mark.anyio
async def test_collapse_excgroups_with_task_group() -> None:
    async def fail() -> None:
        raise RuntimeError("task failed")

    with pytest.raises(RuntimeError, match="task failed"), collapse_excgroups():
        async with anyio.create_task_group() as tg:
            tg.start_soon(fail)


class Resource:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def open_resource(resource: Resource) -> Resource:
    return resource


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_await() -> None:
    resource = Resource()
    wrapper = AwaitableOrContextManagerWrapper(open_resource(resource))
    assert wrapper.aw is not None
    assert await wrapper is resource
    assert not resource.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_context_manager_closes() -> None:
    resource = Resource()
    wrapper = AwaitableOrContextManagerWrapper(open_resource(resource))
    async with wrapper as entered:
        assert entered is resource
        assert wrapper.entered is resource
        assert not resource.closed
    assert resource.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_closes_on_error_and_propagates() -> None:
    resource = Resource()
    with pytest.raises(LookupError):
        async with AwaitableOrContextManagerWrapper(open_resource(resource)):
            raise LookupError
    assert resource.closed


def test_protocols_describe_the_wrapper() -> None:
    def accepts(value: AwaitableOrContextManager[Resource]) -> AwaitableOrContextManager[Resource]:
        return value

    def closeable(value: SupportsAsyncClose) -> SupportsAsyncClose:
        return value

    resource = Resource()
    assert closeable(resource) is resource
    coroutine = open_resource(resource)
    wrapper = AwaitableOrContextManagerWrapper(coroutine)
    assert accepts(wrapper) is wrapper
    coroutine.close()
