"""Starlette-compatible ASGI toolkit: the familiar ``starlette.*`` import paths."""

__version__ = "0.47.3"
