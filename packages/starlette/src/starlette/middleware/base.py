"""``starlette.middleware.base``: the very module object :mod:`starlette_middleware.base`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.base

if TYPE_CHECKING:
    from starlette_middleware.base import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.base
