"""``starlette.testclient`` is the module :mod:`starlette_testing.testclient` itself."""

import sys
from typing import TYPE_CHECKING

import starlette_testing.testclient

if TYPE_CHECKING:
    from starlette_testing.testclient import *  # noqa: F403  (what type checkers read)

sys.modules[__name__] = starlette_testing.testclient
