"""How far a :class:`~starlette_core.requests.Request` has got with its body, for layers that pass the body on.

A shared internal of starlette-core (not upstream API): ``BaseHTTPMiddleware`` hands the app downstream the body
that ``dispatch`` has already read, or the rest of the stream, and needs to know which. ``Request`` keeps that
state in private attributes; these functions are the one place outside the class that reads them, so the
attributes stay Request's own business.
"""

from __future__ import annotations

from starlette_core.requests import Request

__all__ = ["cached_body", "is_stream_consumed"]


def cached_body(request: Request) -> bytes | None:
    """The body this request has already read and kept (``await request.body()``), or None if it has not."""
    body: bytes | None = getattr(request, "_body", None)
    return body


def is_stream_consumed(request: Request) -> bool:
    """Whether this request has received the last of its body from the server (through ``body()`` or
    ``stream()``), so that asking ``receive`` for more would wait for a message that is not coming."""
    return request._stream_consumed
