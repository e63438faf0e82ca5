"""``starlette.responses`` is the module :mod:`starlette_core.responses` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.responses

if TYPE_CHECKING:
    from starlette_core.responses import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.responses
