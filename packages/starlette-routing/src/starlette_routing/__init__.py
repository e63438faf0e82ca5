"""Routing, endpoints, the application, static files, templates and schemas."""

from __future__ import annotations

__version__ = "0.47.3"
