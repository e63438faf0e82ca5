"""Users, credentials, authentication backends and the ``requires`` decorator (``starlette.authentication``)."""

from __future__ import annotations

import functools
import inspect
import sys as sys  # upstream's module has the name
from collections.abc import Sequence
from typing import Any, Callable
from urllib.parse import urlencode

from starlette_core._utils import is_async_callable
from starlette_core.concurrency import ParamSpec as ParamSpec  # typing's, or typing_extensions' before 3.10
from starlette_core.exceptions import HTTPException
from starlette_core.requests import HTTPConnection, Request
from starlette_core.responses import RedirectResponse
from starlette_core.websockets import WebSocket

_P = ParamSpec("_P")

__all__ = [
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "BaseUser",
    "SimpleUser",
    "UnauthenticatedUser",
    "has_required_scope",
    "requires",
]


def has_required_scope(conn: HTTPConnection, scopes: Sequence[str]) -> bool:
    """True when every scope in ``scopes`` was granted to the connection by the authentication backend."""
    granted = conn.auth.scopes
    return all(scope in granted for scope in scopes)


def requires(
    scopes: str | Sequence[str],
    status_code: int = 403,
    redirect: str | None = None,
) -> Callable[[Callable[_P, Any]], Callable[_P, Any]]:
    """Restrict an endpoint to connections holding every one of ``scopes``.

    The connection is found by parameter name (``request`` or ``websocket``). HTTP endpoints (sync or async, plain
    functions or ``HTTPEndpoint`` methods) answer with ``HTTPException(status_code)`` or, when ``redirect`` names a
    route, a 303 redirect to it carrying the current URL as ``?next=``. WebSocket endpoints close the connection
    before accepting it.
    """
    required = [scopes] if isinstance(scopes, str) else list(scopes)

    def decorator(func: Callable[_P, Any]) -> Callable[_P, Any]:
        names = list(inspect.signature(func).parameters)
        position = next((i for i, name in enumerate(names) if name in ("request", "websocket")), -1)
        if position < 0:
            raise TypeError(f'No "request" or "websocket" argument on function "{func}"')
        kind = names[position]

        if kind == "websocket":

            @functools.wraps(func)
            async def websocket_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
                websocket = kwargs.get("websocket", args[position] if position < len(args) else None)
                assert isinstance(websocket, WebSocket)
                if has_required_scope(websocket, required):
                    await func(*args, **kwargs)
                else:
                    await websocket.close()

            return websocket_wrapper

        def denied(request: Request) -> RedirectResponse:
            if redirect is None:
                raise HTTPException(status_code=status_code)
            query = urlencode({"next": str(request.url)})
            return RedirectResponse(url=f"{request.url_for(redirect)}?{query}", status_code=303)

        if is_async_callable(func):

            @functools.wraps(func)
            async def async_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                request = kwargs.get("request", args[position] if position < len(args) else None)
                assert isinstance(request, Request)
                if has_required_scope(request, required):
                    return await func(*args, **kwargs)
                return denied(request)

            return async_wrapper

        @functools.wraps(func)
        def sync_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
            request = kwargs.get("request", args[position] if position < len(args) else None)
            assert isinstance(request, Request)
            if has_required_scope(request, required):
                return func(*args, **kwargs)
            return denied(request)

        return sync_wrapper

    return decorator


class AuthenticationError(Exception):
    """Raised by a backend when the credentials a client sent are invalid."""


class AuthenticationBackend:
    """Base class for backends: ``authenticate`` returns ``(AuthCredentials, BaseUser)`` or None for anonymous."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        raise NotImplementedError()


class AuthCredentials:
    """The scopes granted to a connection (``request.auth``)."""

    def __init__(self, scopes: Sequence[str] | None = None):
        self.scopes: list[str] = [] if scopes is None else list(scopes)


class BaseUser:
    """Interface for ``request.user``."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()

    @property
    def display_name(self) -> str:
        raise NotImplementedError()

    @property
    def identity(self) -> str:
        raise NotImplementedError()


class SimpleUser(BaseUser):
    """An authenticated user known only by a username."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return self.username  # (as upstream 1.7)


class UnauthenticatedUser(BaseUser):
    """The anonymous user, set when the backend returns None."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""  # (as upstream 1.7)
