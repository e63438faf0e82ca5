"""``starlette.schemas`` is the module :mod:`starlette_routing.schemas` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.schemas

if TYPE_CHECKING:
    from starlette_routing.schemas import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.schemas
