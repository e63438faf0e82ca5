"""What starlette-routing needs of :mod:`starlette_middleware.body_limit` to apply ``max_body_size``.

A shared internal of starlette-middleware (not upstream API): a Starlette application, Router, Mount and Route
apply their ``max_body_size`` through the same per-request ``RequestBodyLimitResponder`` as
``RequestBodyLimitMiddleware`` does, so that all of them are one mechanism.
"""

from __future__ import annotations

from starlette_middleware.body_limit import _RESPONDER_SCOPE_KEY, _check_limit, _limit, _limit_endpoint

__all__ = ["RESPONDER_SCOPE_KEY", "check_limit", "limit", "limit_endpoint"]

#: Present in the scope of an HTTP request when a body limit is in force for it.
RESPONDER_SCOPE_KEY = _RESPONDER_SCOPE_KEY

#: ``check_limit(value)``: ``value`` when it is None or a non-negative int, else ValueError.
check_limit = _check_limit

#: ``await limit(max_body_size, app, scope, receive, send)``: run ``app`` for an HTTP request with
#: ``max_body_size`` (an int) as the limit in force.
limit = _limit

#: ``await limit_endpoint(max_body_size, app, scope, receive, send)``: as ``limit``, for the route that handles the
#: request, when it has a limit of its own or one is in force (``RESPONDER_SCOPE_KEY in scope``; None keeps that
#: one): a declared body over the limit in force is refused before ``app`` runs.
limit_endpoint = _limit_endpoint
