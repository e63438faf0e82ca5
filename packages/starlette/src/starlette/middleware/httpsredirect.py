"""``starlette.middleware.httpsredirect`` is the module :mod:`starlette_middleware.httpsredirect` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.httpsredirect

if TYPE_CHECKING:
    from starlette_middleware.httpsredirect import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.httpsredirect
