"""``starlette.applications`` is the module :mod:`starlette_routing.applications` itself."""

from typing import TYPE_CHECKING

import starlette_routing.applications
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_routing.applications import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_routing.applications)
