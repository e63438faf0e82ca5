"""Shared fixtures: every async test and every TestClient runs on both anyio backends."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Literal, cast

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def test_client_factory(anyio_backend: str) -> Callable[..., Any]:
    """``TestClient`` bound to the current backend: ``client = test_client_factory(app)``."""
    from starlette_testing.testclient import TestClient

    return functools.partial(TestClient, backend=cast(Literal["asyncio", "trio"], anyio_backend))


# Tests of mechanisms that exist only on newer Pythons are not collected on older ones (rather than skipped).
collect_ignore = [
    f"core/test_streaming_disconnect_watch_py3{minor}.py" for minor in (11, 12) if sys.version_info < (3, minor)
]
