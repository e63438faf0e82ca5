"""``starlette.authentication`` is the module :mod:`starlette_auth.authentication` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_auth.authentication

if TYPE_CHECKING:
    from starlette_auth.authentication import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_auth.authentication
