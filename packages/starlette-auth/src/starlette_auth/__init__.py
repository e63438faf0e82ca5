"""Authentication for the Starlette-compatible toolkit."""

from __future__ import annotations

__version__ = "0.47.3"
