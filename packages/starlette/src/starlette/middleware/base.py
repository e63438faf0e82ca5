"""``starlette.middleware.base`` is the module :mod:`starlette_middleware.base` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.base

if TYPE_CHECKING:
    from starlette_middleware.base import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.base
