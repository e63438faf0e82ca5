"""``starlette.exceptions`` is the module :mod:`starlette_core.exceptions` itself."""

from typing import TYPE_CHECKING

import starlette_core.exceptions
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core.exceptions import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core.exceptions)
