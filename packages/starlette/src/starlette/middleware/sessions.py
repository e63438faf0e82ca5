"""``starlette.middleware.sessions`` is the module :mod:`starlette_middleware.sessions` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.sessions

if TYPE_CHECKING:
    from starlette_middleware.sessions import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.sessions
