"""``starlette.middleware``: the ``Middleware`` spec from :mod:`starlette_middleware`.

This one stays a real package (not an alias of ``starlette_middleware``) because its submodules come from two
distributions: ``starlette.middleware.authentication`` lives in starlette-auth.  It has the names upstream's
module has, those of ``starlette_middleware`` (the same objects) among them.
"""

from __future__ import annotations

import sys as sys
from collections.abc import Iterator as Iterator
from typing import Any as Any
from typing import Protocol as Protocol

from starlette_core._utils import present_definitions_as
from starlette_core.types import ASGIApp as ASGIApp
from starlette_middleware import Middleware as Middleware
from starlette_middleware import P as P
from starlette_middleware import ParamSpec as ParamSpec
from starlette_middleware import _MiddlewareFactory as _MiddlewareFactory

__all__ = ["Middleware"]

# Middleware says it is from here, as upstream's is (see present_module_as).
present_definitions_as(__name__, sys.modules["starlette_middleware"])
