"""``starlette.routing`` is the module :mod:`starlette_routing.routing` itself."""

from typing import TYPE_CHECKING

import starlette_routing.routing
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_routing.routing import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_routing.routing)
