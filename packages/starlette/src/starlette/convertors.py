"""``starlette.convertors`` is the module :mod:`starlette_routing.convertors` itself."""

from typing import TYPE_CHECKING

import starlette_routing.convertors
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_routing.convertors import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_routing.convertors)
