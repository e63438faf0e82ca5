"""``SessionMiddleware``: ``request.session`` as a dict kept in a signed cookie (needs itsdangerous).

The cookie holds base64 JSON signed with a timestamp; a cookie that is tampered with, expired or simply garbage
gives an empty session.  The session is a :class:`Session`, a dict that knows whether it was read or changed
(as upstream 1.x): the cookie is written only when the session was changed (and cleared when a session that had
data is emptied), and a response whose request read the session says ``Vary: Cookie``.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import TYPE_CHECKING, Any, Literal

from starlette_core._utils import LazyImports
from starlette_core.datastructures import MutableHeaders, Secret
from starlette_core.requests import HTTPConnection as HTTPConnection  # upstream's module has the name
from starlette_core.requests import cookie_parser
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Session", "SessionMiddleware"]


def _itsdangerous() -> Any:
    """itsdangerous, imported on first use: it is an optional dependency (the ``sessions`` extra)."""
    try:
        import itsdangerous
    except ImportError as exc:
        raise ImportError("SessionMiddleware requires the itsdangerous package: pip install itsdangerous") from exc
    return itsdangerous


# Upstream's names for what this module imports on first use (see LazyImports); the middleware reads them from the
# module's globals (``itsdangerous.TimestampSigner`` when it is built, ``BadSignature`` for each cookie).
_lazy = LazyImports(globals(), {"itsdangerous": _itsdangerous, "BadSignature": lambda: _itsdangerous().BadSignature})
if TYPE_CHECKING:
    import itsdangerous
    from itsdangerous.exc import BadSignature
else:
    __getattr__ = _lazy.module_getattr
    __dir__ = _lazy.module_dir


class Session(dict[str, Any]):
    """The session of one request: a dict that records whether it was read (``accessed``) or changed
    (``modified``).

    Every method that changes the dict marks it modified (and accessed); ``pop``, ``popitem`` and ``setdefault``
    only when they do change it.  ``request.session`` marks it accessed.  A value changed in place
    (``session["cart"].append(item)``) is not seen: call :meth:`mark_modified`.
    """

    accessed: bool = False
    modified: bool = False

    def mark_accessed(self) -> None:
        self.accessed = True

    def mark_modified(self) -> None:
        self.accessed = True
        self.modified = True

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    def pop(self, key: str, *args: Any) -> Any:
        if key in self:
            self.mark_modified()
        return super().pop(key, *args)

    def popitem(self) -> tuple[str, Any]:
        if self:
            self.mark_modified()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.mark_modified()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.mark_modified()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any, /) -> Session:  # type: ignore[override,misc]
        self.mark_modified()
        super().update(other)
        return self


class SessionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Secret,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
    ) -> None:
        _lazy.load("itsdangerous")
        _lazy.load("BadSignature")
        self.app = app
        self.signer = itsdangerous.TimestampSigner(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        self.security_flags = "httponly; samesite=" + same_site
        if https_only:  # the Secure flag only makes sense when the site is served over HTTPS
            self.security_flags += "; secure"
        if domain is not None:
            self.security_flags += f"; domain={domain}"
        if partitioned:  # CHIPS: browsers keep a Partitioned cookie only when it is also Secure
            self.security_flags += "; partitioned"
        self._cookie_name = session_cookie.encode("latin-1")
        max_age_attribute = f"Max-Age={max_age}; " if max_age else ""
        self._set_cookie_prefix = f"{session_cookie}="
        self._set_cookie_suffix = f"; path={path}; {max_age_attribute}{self.security_flags}"
        self._clear_cookie = (
            f"{session_cookie}=null; path={path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; {self.security_flags}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        session = self._load_session(scope)
        scope["session"] = session
        initial_session_was_empty = not session

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                if isinstance(session, Session):
                    accessed, modified = session.accessed, session.modified
                else:
                    # The app put a session of its own (a plain dict) in the scope: it has been replaced, so it
                    # counts as read and changed.
                    accessed = modified = True
                if accessed:
                    # The response may depend on the session, so on the Cookie header: caches must not share it.
                    MutableHeaders(scope=message).add_vary_header("Cookie")
                if modified:
                    if session:
                        data = b64encode(json.dumps(session).encode("utf-8"))
                        value = self.signer.sign(data).decode("utf-8")
                        cookie = self._set_cookie_prefix + value + self._set_cookie_suffix
                        MutableHeaders(scope=message).append("Set-Cookie", cookie)
                    elif not initial_session_was_empty:
                        # The session has been cleared: expire the cookie.
                        MutableHeaders(scope=message).append("Set-Cookie", self._clear_cookie)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load_session(self, scope: Scope) -> Session:
        """The session in the request's cookie, or a new empty one if there is none or it is not valid."""
        for name, value in scope["headers"]:
            # (find() rather than `in`: `in` on bytes first tries the name as an integer, raising and clearing a
            # TypeError.)
            if name == b"cookie" and value.find(self._cookie_name) >= 0:
                break
        else:
            return Session()
        cookie = cookie_parser(value.decode("latin-1")).get(self.session_cookie)
        if cookie is None:
            return Session()
        try:
            data = self.signer.unsign(cookie.encode("latin-1"), max_age=self.max_age)
            session = json.loads(b64decode(data, validate=True))
        except (BadSignature, ValueError, RecursionError):
            # Bad signature, expired, or (with a valid signature) not base64 JSON, or JSON nested deeper than the
            # decoder follows: start afresh.
            return Session()
        return Session(session) if isinstance(session, dict) else Session()
