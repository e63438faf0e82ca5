"""``starlette.middleware.sessions``: the very module object :mod:`starlette_middleware.sessions`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.sessions

if TYPE_CHECKING:
    from starlette_middleware.sessions import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.sessions
