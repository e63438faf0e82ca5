"""``starlette.middleware.httpsredirect`` is the module :mod:`starlette_middleware.httpsredirect` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.httpsredirect
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.httpsredirect import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.httpsredirect)
