"""``HTTPSRedirectMiddleware``: redirects ``http``/``ws`` requests to ``https``/``wss`` (307, default ports dropped)."""

from __future__ import annotations

from starlette_core.datastructures import URL
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send

__all__ = ["HTTPSRedirectMiddleware"]

_SECURE_SCHEMES = {"http": "https", "ws": "wss"}


class HTTPSRedirectMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["scheme"] not in _SECURE_SCHEMES:
            await self.app(scope, receive, send)
            return

        response: Response
        # The URL is built from the Host header only if it is a valid host[:port] (else from scope["server"]).
        url = URL(scope=scope)
        netloc = url.netloc
        if not netloc:
            # No usable Host header and no server address: there is nowhere to redirect to.
            response = PlainTextResponse("Invalid host header", status_code=400)
        else:
            if url.port in (80, 443):
                # The default port of either scheme is dropped rather than carried over to the other scheme.
                hostname = url.hostname or ""
                netloc = f"[{hostname}]" if ":" in hostname else hostname
            response = RedirectResponse(url.replace(scheme=_SECURE_SCHEMES[scope["scheme"]], netloc=netloc), 307)
        await response(scope, receive, send)
