"""``starlette.middleware.cors`` is the module :mod:`starlette_middleware.cors` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.cors

if TYPE_CHECKING:
    from starlette_middleware.cors import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.cors
