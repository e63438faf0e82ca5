"""``starlette.authentication``: the very module object :mod:`starlette_auth.authentication`, under its upstream name."""

import sys
from typing import TYPE_CHECKING

import starlette_auth.authentication

if TYPE_CHECKING:
    from starlette_auth.authentication import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_auth.authentication
