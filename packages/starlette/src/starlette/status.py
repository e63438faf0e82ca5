"""``starlette.status`` is the module :mod:`starlette_core.status` itself."""

from typing import TYPE_CHECKING

import starlette_core.status
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.status import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.status)
