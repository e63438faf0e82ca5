"""Shared fixtures: every async test and every TestClient runs on both anyio backends."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Literal, cast

import pytest

# graphql-core 3.3 (the `graphql` extra of starlette-routing) runs on Python 3.10 and later, so it is not installed
# on 3.9: there, the test modules that need it are not collected. Their names say so: every test module whose name
# holds "graphql" needs graphql-core, and no other does.
collect_ignore_glob: list[str] = []
if sys.version_info < (3, 10):
    collect_ignore_glob.append("*/test_*graphql*.py")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def test_client_factory(anyio_backend: str) -> Callable[..., Any]:
    """``TestClient`` bound to the current backend: ``client = test_client_factory(app)``."""
    from starlette_testing.testclient import TestClient

    return functools.partial(TestClient, backend=cast(Literal["asyncio", "trio"], anyio_backend))
