"""``starlette._exception_handler`` is the module :mod:`starlette_core._exception_handler` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core._exception_handler

if TYPE_CHECKING:
    from starlette_core._exception_handler import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core._exception_handler
