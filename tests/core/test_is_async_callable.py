"""``is_async_callable`` sees ``unittest.mock``'s async mocks as upstream does, on every Python version: an
``AsyncMock``, a ``create_autospec`` of an ``async def`` (which ``inspect`` reads as sync before 3.13), and partials
of them; so what decides sync-or-async with it (background tasks, the test client's ASGI 2/3 check) awaits them.

(Upstream's answer is the same on 3.9-3.13 for every case below.)
"""

from __future__ import annotations

import functools
import subprocess
import sys
from typing import Any
from unittest import mock

import pytest

from starlette_core._utils import is_async_callable
from starlette_core.background import BackgroundTask, BackgroundTasks
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_testing.testclient import TestClient


async def async_function(value: int = 0) -> int:
    return value  # pragma: no cover


def sync_function(value: int = 0) -> int:
    return value  # pragma: no cover


class AsyncCallable:
    async def __call__(self) -> None:
        pass  # pragma: no cover


ASYNC = {
    "AsyncMock()": lambda: mock.AsyncMock(),
    "AsyncMock(return_value=...)": lambda: mock.AsyncMock(return_value=1),
    "AsyncMock(side_effect=sync)": lambda: mock.AsyncMock(side_effect=sync_function),
    "AsyncMock(spec=async)": lambda: mock.AsyncMock(spec=async_function),
    "AsyncMock(spec=sync)": lambda: mock.AsyncMock(spec=sync_function),
    "AsyncMock(spec=async callable class)": lambda: mock.AsyncMock(spec=AsyncCallable),
    "AsyncMock().attribute": lambda: mock.AsyncMock().attribute,
    "MagicMock(spec=async)": lambda: mock.MagicMock(spec=async_function),
    "Mock(spec=async)": lambda: mock.Mock(spec=async_function),
    "create_autospec(async)": lambda: mock.create_autospec(async_function),
    "partial(AsyncMock())": lambda: functools.partial(mock.AsyncMock()),
    "partial(partial(AsyncMock()))": lambda: functools.partial(functools.partial(mock.AsyncMock(), 1)),
    "partial(create_autospec(async))": lambda: functools.partial(mock.create_autospec(async_function), 1),
}
SYNC = {
    "MagicMock()": lambda: mock.MagicMock(),
    "Mock()": lambda: mock.Mock(),
    "MagicMock().attribute": lambda: mock.MagicMock().attribute,
    "create_autospec(sync)": lambda: mock.create_autospec(sync_function),
    "partial(create_autospec(sync))": lambda: functools.partial(mock.create_autospec(sync_function)),
    "create_autospec(async callable instance)": lambda: mock.create_autospec(AsyncCallable()),
    "create_autospec(async callable class)": lambda: mock.create_autospec(AsyncCallable),
    "MagicMock(spec=async callable instance)": lambda: mock.MagicMock(spec=AsyncCallable()),
}


@pytest.mark.parametrize("make", ASYNC.values(), ids=ASYNC.keys())
def test_async_mocks_are_async(make: Any) -> None:
    assert is_async_callable(make()) is True


@pytest.mark.parametrize("make", SYNC.values(), ids=SYNC.keys())
def test_sync_mocks_are_not(make: Any) -> None:
    assert is_async_callable(make()) is False


def test_it_does_not_import_asyncio() -> None:
    # The marker it reads is asyncio's own object: nothing carries it unless asyncio is imported already.
    code = (
        "import sys\n"
        "from starlette_core._utils import is_async_callable\n"
        "def f(): pass\n"
        "class C:\n"
        "    def __call__(self): pass\n"
        "assert not is_async_callable(f) and not is_async_callable(C())\n"
        "assert 'asyncio' not in sys.modules, 'asyncio imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- where it decides ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_background_task_awaits_an_autospec_of_an_async_function() -> None:
    task_function = mock.create_autospec(async_function)
    await BackgroundTask(task_function, 7)()
    task_function.assert_awaited_once_with(7)


@pytest.mark.anyio
async def test_background_tasks_await_async_mocks_and_their_partials() -> None:
    first, second, third = mock.AsyncMock(), mock.AsyncMock(), mock.create_autospec(async_function)
    tasks = BackgroundTasks()
    tasks.add_task(first, 1)
    tasks.add_task(functools.partial(second, 2))
    tasks.add_task(functools.partial(third, 3))
    await tasks()
    first.assert_awaited_once_with(1)
    second.assert_awaited_once_with(2)
    third.assert_awaited_once_with(3)


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("served")(scope, receive, send)


@pytest.mark.parametrize(
    "make",
    [
        lambda: mock.AsyncMock(side_effect=asgi_app),
        lambda: mock.create_autospec(asgi_app, side_effect=asgi_app),
    ],
    ids=["AsyncMock", "create_autospec"],
)
def test_test_client_runs_an_async_mock_as_an_asgi3_app(make: Any, anyio_backend: str) -> None:
    app = make()
    client = TestClient(app, backend=anyio_backend)  # type: ignore[arg-type]
    assert client.get("/").text == "served"
    app.assert_awaited_once()
