"""``starlette.staticfiles`` is the module :mod:`starlette_routing.staticfiles` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.staticfiles

if TYPE_CHECKING:
    from starlette_routing.staticfiles import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.staticfiles
