from __future__ import annotations

import threading
from collections.abc import Iterator
from contextvars import ContextVar

import anyio
import pytest

from starlette_core.concurrency import iterate_in_threadpool, run_in_threadpool, run_until_first_complete


def current_thread_is_main() -> bool:
    return threading.current_thread() is threading.main_thread()


@pytest.mark.anyio
async def test_run_in_threadpool_runs_in_a_worker_thread() -> None:
    assert current_thread_is_main()
    assert await run_in_threadpool(current_thread_is_main) is False


@pytest.mark.anyio
async def test_run_in_threadpool_passes_args_and_kwargs() -> None:
    def combine(a: int, b: int, *, sep: str = "-", suffix: str = "") -> str:
        return f"{a}{sep}{b}{suffix}"

    assert await run_in_threadpool(combine, 1, 2) == "1-2"
    assert await run_in_threadpool(combine, 1, 2, sep="+") == "1+2"
    assert await run_in_threadpool(combine, 1, b=3, sep=":", suffix="!") == "1:3!"


@pytest.mark.anyio
async def test_run_in_threadpool_propagates_exceptions() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await run_in_threadpool(fail)


var: ContextVar[str] = ContextVar("var", default="unset")


@pytest.mark.anyio
async def test_run_in_threadpool_copies_context() -> None:
    var.set("set in task")
    assert await run_in_threadpool(var.get) == "set in task"


@pytest.mark.anyio
async def test_iterate_in_threadpool() -> None:
    threads: list[bool] = []

    def gen() -> Iterator[int]:
        for i in range(3):
            threads.append(current_thread_is_main())
            yield i

    assert [item async for item in iterate_in_threadpool(gen())] == [0, 1, 2]
    assert threads == [False, False, False]


@pytest.mark.anyio
async def test_iterate_in_threadpool_accepts_iterables_and_empty() -> None:
    assert [item async for item in iterate_in_threadpool([1, 2])] == [1, 2]
    empty: list[int] = []
    assert [item async for item in iterate_in_threadpool(empty)] == []


@pytest.mark.anyio
async def test_iterate_in_threadpool_propagates_exceptions() -> None:
    def gen() -> Iterator[int]:
        yield 1
        raise RuntimeError("broken iterator")

    seen: list[int] = []
    with pytest.raises(RuntimeError, match="broken iterator"):
        async for item in iterate_in_threadpool(gen()):
            seen.append(item)
    assert seen == [1]


@pytest.mark.anyio
async def test_run_until_first_complete_cancels_the_others_and_warns() -> None:
    events: list[str] = []

    async def quick(label: str) -> None:
        events.append(label)

    async def slow(label: str) -> None:
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            events.append(f"{label} cancelled")
            raise

    with anyio.fail_after(5):
        with pytest.warns(DeprecationWarning, match="run_until_first_complete is deprecated"):
            await run_until_first_complete((slow, {"label": "slow"}), (quick, {"label": "quick"}))
    assert events == ["quick", "slow cancelled"]
