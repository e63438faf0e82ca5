"""``starlette.config`` is the module :mod:`starlette_core.config` itself."""

from typing import TYPE_CHECKING

import starlette_core.config
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.config import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.config)
