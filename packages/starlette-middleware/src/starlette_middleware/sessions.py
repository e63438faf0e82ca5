"""``SessionMiddleware``: ``request.session`` as a dict kept in a signed cookie (needs itsdangerous).

The cookie holds base64 JSON signed with a timestamp; a cookie that is tampered with, expired or simply garbage
gives an empty session.  The session is written back on every response while it has data, and the cookie is
cleared when a session that had data is emptied.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import TYPE_CHECKING, Any, Literal

from starlette_core.datastructures import MutableHeaders, Secret
from starlette_core.requests import cookie_parser
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from itsdangerous import BadSignature, TimestampSigner

__all__ = ["SessionMiddleware"]


def _load_itsdangerous() -> tuple[type[TimestampSigner], type[BadSignature]]:
    """itsdangerous, imported on first use: it is an optional dependency (the ``sessions`` extra)."""
    try:
        from itsdangerous import BadSignature, TimestampSigner
    except ImportError as exc:
        raise ImportError("SessionMiddleware requires the itsdangerous package: pip install itsdangerous") from exc
    return TimestampSigner, BadSignature


class SessionMiddleware:
    #: Add the ``Partitioned`` attribute (CHIPS) to the session cookie.  Off by default; set it on a subclass
    #: (it is not a constructor argument, whose signature stays exactly starlette 0.47.3's).
    partitioned: bool = False

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
    ) -> None:
        signer_class, self._bad_signature = _load_itsdangerous()
        self.app = app
        self.signer = signer_class(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        self.security_flags = "httponly; samesite=" + same_site
        if https_only:  # the Secure flag only makes sense when the site is served over HTTPS
            self.security_flags += "; secure"
        if domain is not None:
            self.security_flags += f"; domain={domain}"
        if self.partitioned:
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
                if scope["session"]:
                    # There is session data to keep: (re)write the cookie, which also renews its max age.
                    data = b64encode(json.dumps(scope["session"]).encode("utf-8"))
                    value = self.signer.sign(data).decode("utf-8")
                    cookie = self._set_cookie_prefix + value + self._set_cookie_suffix
                    MutableHeaders(scope=message).append("Set-Cookie", cookie)
                elif not initial_session_was_empty:
                    # The session has been cleared: expire the cookie.
                    MutableHeaders(scope=message).append("Set-Cookie", self._clear_cookie)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load_session(self, scope: Scope) -> dict[str, Any]:
        """The session in the request's cookie, or a new empty one if there is none or it is not valid."""
        for name, value in scope["headers"]:
            if name == b"cookie" and self._cookie_name in value:
                break
        else:
            return {}
        cookie = cookie_parser(value.decode("latin-1")).get(self.session_cookie)
        if cookie is None:
            return {}
        try:
            data = self.signer.unsign(cookie.encode("latin-1"), max_age=self.max_age)
            session = json.loads(b64decode(data, validate=True))
        except (self._bad_signature, ValueError):
            # Bad signature, expired, or (with a valid signature) not base64 JSON: start afresh.
            return {}
        return session if isinstance(session, dict) else {}
