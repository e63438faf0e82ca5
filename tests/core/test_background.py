from __future__ import annotations

import functools
import threading
from typing import Any

import pytest

from starlette_core.background import BackgroundTask, BackgroundTasks


def on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@pytest.mark.anyio
async def test_async_task_runs_on_the_event_loop_with_arguments() -> None:
    calls: list[Any] = []

    async def record(a: int, *, b: int) -> None:
        calls.append((a, b, on_main_thread()))

    task = BackgroundTask(record, 1, b=2)
    assert task.is_async
    assert task.func is record
    assert task.args == (1,)
    assert task.kwargs == {"b": 2}
    await task()
    assert calls == [(1, 2, True)]


@pytest.mark.anyio
async def test_sync_task_runs_in_the_thread_pool() -> None:
    calls: list[Any] = []

    def record(a: int, *, b: int) -> None:
        calls.append((a, b, on_main_thread()))

    task = BackgroundTask(record, 1, b=2)
    assert not task.is_async
    await task()
    assert calls == [(1, 2, False)]


@pytest.mark.anyio
async def test_partial_of_async_function_is_awaited() -> None:
    calls: list[str] = []

    async def record(value: str) -> None:
        calls.append(value)

    task = BackgroundTask(functools.partial(record, "partial"))
    assert task.is_async
    await task()
    assert calls == ["partial"]


@pytest.mark.anyio
async def test_callable_object_with_async_call_is_awaited() -> None:
    calls: list[str] = []

    class Recorder:
        async def __call__(self, value: str) -> None:
            calls.append(value)

    task = BackgroundTask(Recorder(), "obj")
    assert task.is_async
    await task()
    assert calls == ["obj"]


@pytest.mark.anyio
async def test_background_tasks_run_in_order() -> None:
    calls: list[str] = []

    async def async_record(value: str) -> None:
        calls.append(value)

    def sync_record(value: str) -> None:
        calls.append(value)

    tasks = BackgroundTasks()
    tasks.add_task(async_record, "first")
    tasks.add_task(sync_record, value="second")
    tasks.add_task(async_record, "third")
    assert len(tasks.tasks) == 3
    await tasks()
    assert calls == ["first", "second", "third"]


@pytest.mark.anyio
async def test_background_tasks_from_a_sequence() -> None:
    calls: list[int] = []

    async def record(value: int) -> None:
        calls.append(value)

    initial = (BackgroundTask(record, 1), BackgroundTask(record, 2))
    tasks = BackgroundTasks(initial)
    tasks.add_task(record, 3)
    assert isinstance(tasks.tasks, list)
    await tasks()
    assert calls == [1, 2, 3]
    assert len(initial) == 2


@pytest.mark.anyio
async def test_background_tasks_empty() -> None:
    tasks = BackgroundTasks()
    assert tasks.tasks == []
    await tasks()


@pytest.mark.anyio
async def test_failing_task_stops_the_following_ones() -> None:
    calls: list[str] = []

    def fail() -> None:
        raise ValueError("task failed")

    tasks = BackgroundTasks()
    tasks.add_task(fail)
    tasks.add_task(calls.append, "never")
    with pytest.raises(ValueError, match="task failed"):
        await tasks()
    assert calls == []
