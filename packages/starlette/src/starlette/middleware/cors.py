"""``starlette.middleware.cors`` is the module :mod:`starlette_middleware.cors` itself."""

from typing import TYPE_CHECKING

import starlette_middleware.cors
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_middleware.cors import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_middleware.cors)
