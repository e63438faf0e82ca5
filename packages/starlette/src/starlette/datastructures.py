"""``starlette.datastructures`` is the module :mod:`starlette_core.datastructures` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.datastructures

if TYPE_CHECKING:
    from starlette_core.datastructures import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.datastructures
