"""Middleware for the Starlette-compatible toolkit: CORS, GZip, sessions, errors, ...

``Middleware`` is the "class plus arguments" spec that applications and routes take in their ``middleware=``
lists; the application builds each middleware once, when its stack is built.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, Protocol

from starlette_core.types import ASGIApp

if sys.version_info >= (3, 10):  # pragma: no cover
    from typing import ParamSpec as ParamSpec
else:  # pragma: no cover
    from typing_extensions import ParamSpec as ParamSpec

__version__ = "0.47.3"

__all__ = ["Middleware"]

P = ParamSpec("P")


class _MiddlewareFactory(Protocol[P]):
    def __call__(self, app: ASGIApp, /, *args: P.args, **kwargs: P.kwargs) -> ASGIApp: ...  # pragma: no cover


class Middleware:
    """A middleware class (or any factory taking the wrapped app first) with the arguments to build it with.

    Unpacks like a tuple: ``cls, args, kwargs = middleware``.
    """

    def __init__(self, cls: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        parts = [getattr(self.cls, "__name__", "")]
        parts.extend(repr(arg) for arg in self.args)
        parts.extend(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{type(self).__name__}({', '.join(parts)})"
