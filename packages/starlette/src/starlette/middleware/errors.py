"""``starlette.middleware.errors`` is the module :mod:`starlette_middleware.errors` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.errors
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.errors import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.errors)
