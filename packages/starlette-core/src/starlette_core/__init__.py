"""Core of the Starlette-compatible toolkit: requests, responses, websockets, datastructures."""

from __future__ import annotations

__version__ = "0.47.3"
