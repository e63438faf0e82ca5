"""``starlette.middleware.gzip`` is the module :mod:`starlette_middleware.gzip` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.gzip

if TYPE_CHECKING:
    from starlette_middleware.gzip import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.gzip
