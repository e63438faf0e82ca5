"""``starlette.status`` is the module :mod:`starlette_core.status` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.status

if TYPE_CHECKING:
    from starlette_core.status import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.status
