"""``starlette.background`` is the module :mod:`starlette_core.background` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.background

if TYPE_CHECKING:
    from starlette_core.background import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.background
