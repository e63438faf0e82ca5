"""``starlette.middleware.body_limit`` is the module :mod:`starlette_middleware.body_limit` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.body_limit

if TYPE_CHECKING:
    from starlette_middleware.body_limit import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.body_limit
