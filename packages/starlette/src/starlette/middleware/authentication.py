"""``starlette.middleware.authentication`` is the module :mod:`starlette_auth.middleware` itself."""

from typing import TYPE_CHECKING

import starlette_auth.middleware
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_auth.middleware import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_auth.middleware)
