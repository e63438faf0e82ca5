"""``starlette._exception_handler`` is the module :mod:`starlette_core._exception_handler` itself."""

from typing import TYPE_CHECKING

import starlette_core._exception_handler
from starlette_core._utils import present_module_as

if TYPE_CHECKING:
    from starlette_core._exception_handler import *  # noqa: F403  (what type checkers read)

present_module_as(__name__, starlette_core._exception_handler)
