"""``starlette.applications`` is the module :mod:`starlette_routing.applications` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.applications

if TYPE_CHECKING:
    from starlette_routing.applications import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.applications
