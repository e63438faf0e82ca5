"""``starlette.websockets`` is the module :mod:`starlette_core.websockets` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.websockets

if TYPE_CHECKING:
    from starlette_core.websockets import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.websockets
