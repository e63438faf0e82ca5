"""``starlette.middleware.body_limit`` is the module :mod:`starlette_middleware.body_limit` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.body_limit
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.body_limit import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.body_limit)
