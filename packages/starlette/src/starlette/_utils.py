"""``starlette._utils`` is the module :mod:`starlette_core._utils` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core._utils

if TYPE_CHECKING:
    from starlette_core._utils import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core._utils
