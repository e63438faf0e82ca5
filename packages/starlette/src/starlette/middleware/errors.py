"""``starlette.middleware.errors`` is the module :mod:`starlette_middleware.errors` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.errors

if TYPE_CHECKING:
    from starlette_middleware.errors import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.errors
