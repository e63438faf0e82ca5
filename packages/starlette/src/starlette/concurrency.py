"""``starlette.concurrency`` is the module :mod:`starlette_core.concurrency` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_core.concurrency

if TYPE_CHECKING:
    from starlette_core.concurrency import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_core.concurrency
