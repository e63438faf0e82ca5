"""``starlette.middleware.trustedhost`` is the module :mod:`starlette_middleware.trustedhost` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_middleware.trustedhost

if TYPE_CHECKING:
    from starlette_middleware.trustedhost import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_middleware.trustedhost
