"""``starlette.config`` is the module :mod:`starlette_core.config` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.config

if TYPE_CHECKING:
    from starlette_core.config import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.config
