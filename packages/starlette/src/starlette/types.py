"""``starlette.types`` is the module :mod:`starlette_core.types` itself."""

from typing import TYPE_CHECKING

import starlette_core.types
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.types import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.types)
