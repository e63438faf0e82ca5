"""``starlette.formparsers`` is the module :mod:`starlette_core.formparsers` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.formparsers

if TYPE_CHECKING:
    from starlette_core.formparsers import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.formparsers
