"""``starlette.middleware.exceptions`` is the module :mod:`starlette_middleware.exceptions` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.exceptions

if TYPE_CHECKING:
    from starlette_middleware.exceptions import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.exceptions
