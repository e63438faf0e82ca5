"""``starlette.convertors`` is the module :mod:`starlette_routing.convertors` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.convertors

if TYPE_CHECKING:
    from starlette_routing.convertors import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.convertors
