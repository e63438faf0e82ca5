"""``starlette.types`` is the module :mod:`starlette_core.types` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.types

if TYPE_CHECKING:
    from starlette_core.types import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.types
