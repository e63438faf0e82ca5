"""``starlette.applications``: the very module object :mod:`starlette_routing.applications`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.applications

if TYPE_CHECKING:
    from starlette_routing.applications import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.applications
