"""``starlette.middleware.sessions`` is the module :mod:`starlette_middleware.sessions` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.sessions
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.sessions import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.sessions)
