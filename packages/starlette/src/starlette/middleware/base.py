"""``starlette.middleware.base`` is the module :mod:`starlette_middleware.base` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.base
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.base import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.base)
