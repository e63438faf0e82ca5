"""``starlette.endpoints``: the very module object :mod:`starlette_routing.endpoints`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.endpoints

if TYPE_CHECKING:
    from starlette_routing.endpoints import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.endpoints
