"""Middleware for the Starlette-compatible toolkit: CORS, GZip, sessions, errors, ..."""

from __future__ import annotations

__version__ = "0.47.3"
