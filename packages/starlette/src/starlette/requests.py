"""``starlette.requests``: the very module object :mod:`starlette_core.requests`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_core.requests

if TYPE_CHECKING:
    from starlette_core.requests import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.requests
