"""``starlette.requests`` is the module :mod:`starlette_core.requests` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.requests

if TYPE_CHECKING:
    from starlette_core.requests import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.requests
