"""``starlette.routing`` is the module :mod:`starlette_routing.routing` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.routing

if TYPE_CHECKING:
    from starlette_routing.routing import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.routing
