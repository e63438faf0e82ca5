"""``starlette.middleware.errors``: the very module object :mod:`starlette_middleware.errors`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.errors

if TYPE_CHECKING:
    from starlette_middleware.errors import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.errors
