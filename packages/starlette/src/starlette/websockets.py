"""``starlette.websockets`` is the module :mod:`starlette_core.websockets` itself."""

from typing import TYPE_CHECKING

import starlette_core.websockets
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.websockets import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.websockets)
