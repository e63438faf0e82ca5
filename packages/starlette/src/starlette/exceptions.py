"""``starlette.exceptions`` is the module :mod:`starlette_core.exceptions` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.exceptions

if TYPE_CHECKING:
    from starlette_core.exceptions import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.exceptions
