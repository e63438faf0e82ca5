"""``starlette.middleware.authentication`` is the module :mod:`starlette_auth.middleware` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_auth.middleware

if TYPE_CHECKING:
    from starlette_auth.middleware import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_auth.middleware
