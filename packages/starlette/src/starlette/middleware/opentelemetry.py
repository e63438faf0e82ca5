"""``starlette.middleware.opentelemetry`` is the module :mod:`starlette_routing.opentelemetry` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.opentelemetry

if TYPE_CHECKING:
    from starlette_routing.opentelemetry import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.opentelemetry
