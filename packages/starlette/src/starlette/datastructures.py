"""``starlette.datastructures``: the very module object :mod:`starlette_core.datastructures`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_core.datastructures

if TYPE_CHECKING:
    from starlette_core.datastructures import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.datastructures
