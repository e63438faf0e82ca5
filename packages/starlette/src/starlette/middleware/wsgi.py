"""``starlette.middleware.wsgi`` is the module :mod:`starlette_middleware.wsgi` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.wsgi

if TYPE_CHECKING:
    from starlette_middleware.wsgi import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.wsgi
