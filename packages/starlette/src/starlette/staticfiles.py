"""``starlette.staticfiles``: the very module object :mod:`starlette_routing.staticfiles`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_routing.staticfiles

if TYPE_CHECKING:
    from starlette_routing.staticfiles import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_routing.staticfiles
