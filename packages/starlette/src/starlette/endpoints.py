"""``starlette.endpoints`` is the module :mod:`starlette_routing.endpoints` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.endpoints

if TYPE_CHECKING:
    from starlette_routing.endpoints import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.endpoints
