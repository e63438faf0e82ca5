"""``starlette.middleware.trustedhost`` is the module :mod:`starlette_middleware.trustedhost` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.trustedhost
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.trustedhost import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.trustedhost)
