"""``starlette.convertors``: the very module object :mod:`starlette_routing.convertors`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.convertors

if TYPE_CHECKING:
    from starlette_routing.convertors import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.convertors
