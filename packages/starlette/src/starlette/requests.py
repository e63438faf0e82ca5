"""``starlette.requests`` is the module :mod:`starlette_core.requests` itself."""

from typing import TYPE_CHECKING

import starlette_core.requests
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.requests import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.requests)
