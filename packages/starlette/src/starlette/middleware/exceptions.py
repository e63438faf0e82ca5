"""``starlette.middleware.exceptions`` is the module :mod:`starlette_middleware.exceptions` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.exceptions
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.exceptions import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.exceptions)
